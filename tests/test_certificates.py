"""Certificate PDFs: what a holder reads on them, the QR code a phone scans, the embedded font."""

from __future__ import annotations

import io
import unicodedata

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from certify.extensions import db
from certify.services import certificates

from .factories import TT22_YEAR, UNIT_TITLE, decide, nomination_in, person

VERIFY = "https://chungnhan.example.vn/xac-minh/"


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def qr_codes(pdf: bytes) -> list[list[str]]:
    """What a phone would read from each page's QR code(s), from the page rendered to pixels."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [[found.text for found in zxingcpp.read_barcodes(page.render(scale=2).to_pil())]
                for page in document]
    finally:
        document.close()


def test_certificate_of_an_approved_citizen(world):
    recognition = nomination_in(world, "approved").recognition
    pdf = certificates.recognition_pdf(recognition, VERIFY + recognition.code)

    assert pdf.startswith(b"%PDF")
    [page] = text_of(pdf)
    assert "GIẤY CHỨNG NHẬN" in page
    assert "Nguyễn Văn An" in page
    assert "“Công dân học tập” năm 2026" in page
    assert recognition.code in page
    assert (f"Có giá trị từ ngày {recognition.valid_from:%d/%m/%Y} "
            f"đến ngày {recognition.valid_until:%d/%m/%Y}") in page
    assert "Phường Ba Đình, Thị xã Bỉm Sơn, Thanh Hóa" in page
    assert "Xếp loại" not in page  # "Công dân học tập" has no grades
    assert "Quyết định số" in page  # approved one by one, in a one-item decision
    assert qr_codes(pdf) == [[VERIFY + recognition.code]]


def test_certificate_under_a_decision_prints_its_number_dates_and_signer(world):
    n = nomination_in(world, "verified")
    decide(world, [n])
    recognition = n.recognition

    [page] = text_of(certificates.recognition_pdf(recognition, VERIFY + recognition.code))
    # Valid for one year from the decision (workflows/cong-dan-hoc-tap.yaml, valid_years: 1).
    assert "Có giá trị từ ngày 20/11/2026 đến ngày 19/11/2027" in page
    assert "Quyết định số 125/QĐ-UBND ngày 20/11/2026" in page
    assert "Ngày 20 tháng 11 năm 2026" in page
    assert "TM. ỦY BAN NHÂN DÂN" in page and "CHỦ TỊCH" in page
    assert "Lê Văn Thắng" in page
    assert "THỊ XÃ BỈM SƠN" in page  # the issuing unit heads the page


def test_certificate_of_a_learning_unit_names_the_organization_and_its_grade(world):
    n = nomination_in(world, "approved", title=UNIT_TITLE, year=TT22_YEAR)  # graded in points
    recognition = n.recognition
    pdf = certificates.recognition_pdf(recognition, VERIFY + recognition.code)

    [page] = text_of(pdf)
    assert "Trường THCS Ba Đình" in page
    assert f"“Đơn vị học tập” năm {n.year}" in page
    assert "Xếp loại: Tốt" in page  # 100 points (factories.UNIT_CODES)
    assert "Theo TT 22/2020/TT-BGDĐT" in page
    assert "Năm sinh" not in page
    assert (f"đến ngày {recognition.valid_until:%d/%m/%Y}") in page
    assert qr_codes(pdf) == [[VERIFY + recognition.code]]


def test_decision_pdf_has_one_page_per_recognition_each_with_its_own_code(world):
    citizen = nomination_in(world, "verified")
    other = nomination_in(world, "verified",
                          subject=person(world.household_a, "Lê Thị Hồng Nhung", gender="female"))
    organization = nomination_in(world, "verified", title=UNIT_TITLE)
    decision = decide(world, [citizen, other, organization])

    pdf = certificates.decision_pdf(decision, lambda code: VERIFY + code)

    pages = text_of(pdf)
    codes = [n.recognition.code for n in (citizen, other, organization)]
    names = ["Nguyễn Văn An", "Lê Thị Hồng Nhung", "Trường THCS Ba Đình"]
    assert len(pages) == 3
    for page, code, name in zip(pages, codes, names):
        assert name in page and code in page
        assert "Quyết định số 125/QĐ-UBND ngày 20/11/2026" in page
    assert qr_codes(pdf) == [[VERIFY + code] for code in codes]


def test_decomposed_diacritics_print_as_the_composed_letters(world):
    # The same name typed with combining marks (as some keyboards send it).
    typed = unicodedata.normalize("NFD", "Phạm Thị Hồng Ngọc")
    assert typed != "Phạm Thị Hồng Ngọc"
    n = nomination_in(world, "approved", subject=person(world.household_a, typed, gender="female"))

    [page] = text_of(certificates.recognition_pdf(n.recognition, VERIFY + n.recognition.code))
    assert "Phạm Thị Hồng Ngọc" in page


def test_the_font_travels_inside_the_pdf(world):
    recognition = nomination_in(world, "approved").recognition
    reader = PdfReader(io.BytesIO(certificates.recognition_pdf(recognition, VERIFY + "X")))

    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        # A TrueType subset whose program is in the file: nothing depends on the reader's fonts.
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_a_long_organization_name_stays_on_the_page(world):
    long_name = ("Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên và Hướng nghiệp "
                 "thị xã Bỉm Sơn, tỉnh Thanh Hóa, cơ sở đào tạo liên kết Phường Ba Đình")
    world.organization.name = long_name
    db.session.commit()
    n = nomination_in(world, "approved", title=UNIT_TITLE)
    pdf = certificates.recognition_pdf(n.recognition, VERIFY + n.recognition.code)

    assert " ".join(text_of(pdf)[0].split()).count(long_name) == 1
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        width, height = page.get_size()
        text = page.get_textpage()
        boxes = [text.get_charbox(i) for i in range(text.count_chars())]
    finally:
        document.close()
    assert boxes
    for left, bottom, right, top in boxes:
        assert 0 <= left and right <= width and 0 <= bottom and top <= height


def test_a_revoked_recognition_says_so_on_its_certificate(world):
    n = nomination_in(world, "revoked")
    [page] = text_of(certificates.recognition_pdf(n.recognition, VERIFY + n.recognition.code))
    assert f"ĐÃ THU HỒI TỪ NGÀY {n.recognition.revoked_on:%d/%m/%Y}" in page


def test_the_qr_widget_encodes_exactly_the_verification_address():
    url = VERIFY + "ABCDEF123456?lang=vi"
    drawing = certificates.qr_drawing(url, 100)
    [widget] = drawing.contents
    assert widget.value == url
    assert (drawing.width, drawing.height) == (100, 100)
