"""Download names: whatever an uploader called a file, every download of it works and offers a name
of the safe set (no CR/LF, no control or bidi characters, bounded, the stored type's extension);
certificates and progress exports carry well-formed names too. And the upload keeps its own body
limit when the app has a smaller one."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import pytest
from werkzeug.http import parse_options_header

from certify.extensions import db
from certify.filenames import MAX_CHARACTERS, safe_filename
from certify.models import EvidenceFile
from certify.services import evidence

from .factories import decide
from .web_support import Site, csrf_token, sign_in, text

PDF = b"%PDF-1.4\n% minh chung\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@pytest.mark.parametrize("given, kind, offered", [
    ("giay-khen.pdf", "pdf", "giay-khen.pdf"),
    ("Giấy khen năm 2025.PDF", "pdf", "Giấy khen năm 2025.pdf"),
    ("a\r\nb.pdf", "pdf", "a b.pdf"),
    ("anh\x00\x07\x1b.png", "png", "anh.png"),
    ("hoa-don\u202egpj.exe", "png", "hoa-dongpj.exe.png"),  # shown as "...exe.jpg" before
    (f"x{BIDI}y.jpeg", "jpg", "xy.jpg"),
    ("C:\\Users\\an\\anh.JPG", "jpg", "anh.jpg"),
    ("../../etc/passwd", "pdf", "passwd.pdf"),
    ('a"b<c>|d?.pdf', "pdf", "a_b_c__d_.pdf"),
    ("anh.png", "pdf", "anh.png.pdf"),  # the content is a PDF whatever the name says
    ("...", "pdf", "tep.pdf"),
    ("\u202e\r\n", "png", "tep.png"),
])
def test_names_are_reduced_to_the_safe_set(given, kind, offered):
    assert safe_filename(given, kind) == offered


def test_long_names_are_trimmed_and_keep_their_extension():
    name = safe_filename("Giấy chứng nhận " * 40 + ".pdf", "pdf")
    assert len(name) <= MAX_CHARACTERS and name.endswith(".pdf")
    assert name.startswith("Giấy chứng nhận Giấy")


def test_decomposed_diacritics_are_composed():
    assert safe_filename("Nguye\u0302\u0303n.pdf", "pdf") == "Nguyễn.pdf"


@pytest.fixture
def site(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100 * 1024)
    return Site(app)


@pytest.fixture
def household(client, site):
    sign_in(client, "ho-a")
    return client


def raw_upload(client, nid, data: bytes, quoted_name: str, criterion="1.3", csrf=None):
    """A multipart upload whose file name is given RFC 2231-encoded (filename*=UTF-8''...), as a
    hostile client can send it: this is how a CR/LF reaches the server's form parser."""
    boundary = "certify-test-boundary"
    fields = {"criterion": criterion, **({"csrf_token": csrf} if csrf else {})}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
             f"filename*=UTF-8''{quoted_name}\r\nContent-Type: application/octet-stream\r\n\r\n"
             ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/nominations/{nid}/evidence", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}",
                       follow_redirects=True)


def _token(page: str) -> str:
    return page.split("/evidence/")[1].split('"')[0]


def disposition(response) -> dict:
    value, options = parse_options_header(response.headers["Content-Disposition"])
    assert value == "attachment"
    raw = response.headers["Content-Disposition"]
    assert "\r" not in raw and "\n" not in raw and raw.isascii()
    return options


def test_a_name_with_cr_lf_and_bidi_controls_is_cleaned_at_upload(household, site):
    nid = site.nomination("draft")
    page = text(raw_upload(household, nid, PDF, quote("giay\r\nkhen\u202egpj.exe")))
    assert "Đã tải lên giay khengpj.exe.pdf cho chỉ số 1.3." in page
    token = _token(page)

    response = household.get(f"/nominations/{nid}/evidence/{token}")
    assert response.status_code == 200 and response.data == PDF
    assert disposition(response)["filename"] == "giay khengpj.exe.pdf"

    def stored(_w):
        return db.session.query(EvidenceFile).one().name
    assert site.run(stored) == "giay khengpj.exe.pdf"


def test_a_vietnamese_name_has_an_ascii_fallback_and_the_utf8_name(household, site):
    nid = site.nomination("draft")
    page = text(raw_upload(household, nid, PNG, quote("Ảnh giấy khen.PNG")))
    token = _token(page)
    response = household.get(f"/nominations/{nid}/evidence/{token}")
    options = disposition(response)
    # parse_options_header decodes filename* (RFC 5987) and prefers it, as browsers do.
    assert options["filename"] == "Ảnh giấy khen.png"
    header = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote("Ảnh giấy khen.png", safe="") in header
    assert 'filename="Anh giay khen.png"' in header


def test_rows_stored_with_bad_names_still_download(household, site):
    """Rows written before names were cleaned at upload: their downloads worked never (a CR/LF
    in a header is refused) and must work now, with a clean name."""
    nid = site.nomination("draft")
    token = _token(text(raw_upload(household, nid, PDF, "plain.pdf")))

    def spoil(_w):
        row = db.session.query(EvidenceFile).one()
        row.name = "bien\r\nban\x07\u202eFDP.exe.png"  # PostgreSQL holds no NUL
        db.session.commit()
    site.run(spoil)

    page = household.get(f"/household/nominations/{nid}")
    assert page.status_code == 200
    assert "bien ban" in text(page) and "\u202e" not in text(page)
    response = household.get(f"/nominations/{nid}/evidence/{token}")
    assert response.status_code == 200 and response.data == PDF
    assert disposition(response)["filename"] == "bien banFDP.exe.png.pdf"


def test_certificate_and_export_downloads_have_well_formed_names(client, site):
    from certify.models import Nomination

    nid = site.nomination("verified")

    def decided(w):
        decision = decide(w, [db.session.get(Nomination, nid)], number="01/QĐ-UBND",
                          on=date(2026, 3, 1))
        return decision.id, db.session.get(Nomination, nid).recognition.id
    decision_id, recognition_id = site.run(decided)
    sign_in(client, "approve")

    one = client.get(f"/recognitions/{recognition_id}/certificate.pdf")
    assert one.status_code == 200 and one.mimetype == "application/pdf"
    assert disposition(one)["filename"].startswith("giay-chung-nhan-")
    every = client.get(f"/district/decisions/{decision_id}/certificates.pdf")
    assert disposition(every)["filename"] == f"giay-chung-nhan-qd-{decision_id}.pdf"
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/progress/export.{fmt}?unit=381&as_of=2026-06-30")
        assert export.status_code == 200
        assert disposition(export)["filename"] == \
            f"tien-do-cong-dan-hoc-tap-381-2026-06-30.{fmt}"


# The upload's own limit under the app's body limit.

@pytest.fixture
def small_app_limit(app, monkeypatch):
    """The app's body limit far below the evidence file limit, and CSRF checked as in production
    (its check reads the form before any view runs)."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_file_within_its_limit_is_accepted_above_the_apps_body_limit(
        household, site, small_app_limit, app):
    nid = site.nomination("draft")
    token = csrf_token(text(household.get(f"/household/nominations/{nid}")))
    data = PDF + b"x" * (50 * 1024)
    with app.app_context():
        assert len(data) < evidence.max_bytes()
    page = text(raw_upload(household, nid, data, "lon.pdf", csrf=token))
    assert "Đã tải lên lon.pdf cho chỉ số 1.3." in page


def test_a_file_over_its_limit_is_refused_with_a_clear_message(
        household, site, small_app_limit, app):
    nid = site.nomination("draft")
    token = csrf_token(text(household.get(f"/household/nominations/{nid}")))
    with app.app_context():
        data = PDF + b"x" * (evidence.max_bytes() + 200 * 1024)
    response = household.post(f"/nominations/{nid}/evidence", data={
        "csrf_token": token, "criterion": "1.3", "file": (io.BytesIO(data), "qua-lon.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Tệp quá lớn: mỗi tệp tối đa 0,1 MB." in text(response)
    assert "Đã tải lên" not in text(household.get(f"/household/nominations/{nid}"))


def test_other_forms_keep_the_apps_body_limit(household, site, small_app_limit):
    nid = site.nomination("draft")
    response = household.post(f"/household/nominations/{nid}/withdraw",
                              data={"comment": "x" * (64 * 1024)})
    assert response.status_code == 413


def test_signed_out_clients_stay_under_the_apps_body_limit(client, site, small_app_limit):
    nid = site.nomination("draft")
    response = client.post(f"/nominations/{nid}/evidence", data={
        "criterion": "1.3", "file": (io.BytesIO(PDF + b"x" * (50 * 1024)), "a.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 413
