"""The whole journey in Vietnamese, in a real browser at 360 px: a household adds a member and
submits, the ward returns it, the household fixes and resubmits, the ward verifies, the district
issues a decision, the certificate PDF downloads and its QR code's page says valid; and the 409
message when two reviewers act at once."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from ..web_support import Site
from .conftest import shot, sign_in

SCORES = ["9", "8", "8", "8", "8", "8", "8", "8", "9", "8"]  # 82: passes (≥ 80, none below 5)
CODES = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2"]


@pytest.fixture
def site(app):
    return Site(app)


def fill_scores(page, scores):
    for code, points in zip(CODES, scores):
        page.locator(f'input[name="c-{code}"]').fill(points)


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 360)
        .map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8).join(', ')""")
    assert width <= 360, f"the page is {width}px wide at a 360px screen: {wide}"


def test_whole_journey(new_phone, site, live_url):
    household = new_phone()
    sign_in(household, "ho-a")
    shot(household, "01-household-members")
    no_horizontal_scroll(household)

    household.get_by_role("link", name="Thêm thành viên").click()
    household.get_by_label("Họ và tên").fill("Phạm Thị Dung")
    household.get_by_label("Số định danh cá nhân (12 chữ số)").fill("03819")
    household.get_by_label("Năm sinh").fill("1992")
    household.get_by_role("button", name="Lưu").click()
    expect(household.get_by_text("Số định danh cá nhân phải gồm đúng 12 chữ số.")).to_be_visible()
    household.get_by_label("Số định danh cá nhân (12 chữ số)").fill("038192004567")
    household.get_by_role("button", name="Lưu").click()
    expect(household.get_by_text("Đã thêm Phạm Thị Dung vào hộ.")).to_be_visible()

    member = household.locator("section.card", has_text="Phạm Thị Dung")
    member.get_by_role("button", name=re.compile("Đề nghị công nhận")).click()
    # Evidence for indicator 1.3, from the phone's files.
    household.get_by_label("Chỉ số", exact=True).select_option("1.3")
    household.set_input_files('input[name="file"]', files=[{
        "name": "giay-khen-clb-doc-sach.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n% minh chung\n"}])
    household.get_by_role("button", name="Tải lên").click()
    expect(household.get_by_text("Đã tải lên giay-khen-clb-doc-sach.pdf cho chỉ số 1.3.")).to_be_visible()
    fill_scores(household, SCORES[:5])
    # The running total follows the typing (JavaScript), before anything is sent.
    expect(household.locator("[data-total]")).to_have_text("41")
    fill_scores(household, SCORES)
    expect(household.locator("[data-total]")).to_have_text("82")
    expect(household.locator("[data-status]")).to_have_text("Đạt yêu cầu.")
    shot(household, "02-self-assessment")
    no_horizontal_scroll(household)
    household.get_by_label(re.compile("Tôi cam đoan")).check()
    household.get_by_role("button", name="Lưu và nộp hồ sơ").click()
    expect(household.get_by_text("Đã nộp hồ sơ").first).to_be_visible()
    receipt = household.locator(".receipt").inner_text().strip()
    assert re.fullmatch(r"CDHT-\d{4}-[0-9A-Z]{8}", receipt)
    shot(household, "03-submitted")
    assert len(household.content().encode()) < 100_000

    reviewer = new_phone()
    sign_in(reviewer, "review-a")
    reviewer.get_by_label("Tìm theo tên (không cần dấu)").fill("pham thi dung")
    reviewer.get_by_role("button", name="Lọc").click()
    shot(reviewer, "04-review-queue")
    reviewer.get_by_role("link", name="Phạm Thị Dung").click()
    with reviewer.expect_download() as evidence_file:
        reviewer.get_by_role("link", name="giay-khen-clb-doc-sach.pdf").click()
    assert open(evidence_file.value.path(), "rb").read().startswith(b"%PDF")
    reviewer.get_by_label(re.compile("Cần bổ sung, sửa những gì")).fill("Bổ sung minh chứng tiêu chí 2.2")
    reviewer.get_by_role("button", name="Trả lại để bổ sung").click()
    expect(reviewer.get_by_text("Đã thực hiện “Trả lại để bổ sung”")).to_be_visible()

    household.reload()
    expect(household.get_by_text("Bổ sung minh chứng tiêu chí 2.2").first).to_be_visible()
    household.locator('input[name="c-2.2"]').fill("9")
    household.get_by_label(re.compile("Tôi cam đoan")).check()
    household.get_by_role("button", name="Lưu và nộp hồ sơ").click()
    expect(household.get_by_text("Đã nộp hồ sơ").first).to_be_visible()

    reviewer.goto("/review/?q=pham")
    reviewer.get_by_role("link", name="Phạm Thị Dung").click()
    fill_scores(reviewer, SCORES)
    shot(reviewer, "05-review")
    no_horizontal_scroll(reviewer)
    reviewer.get_by_role("button", name="Xác nhận đạt").click()
    expect(reviewer.get_by_text("Đã thực hiện “Xác nhận đạt”")).to_be_visible()

    district = new_phone()
    sign_in(district, "approve")
    row = district.locator("tr", has_text="Phạm Thị Dung")
    row.locator('input[type="checkbox"]').check()
    district.get_by_label("Số quyết định").fill("27/QĐ-UBND")
    district.get_by_label("Người ký").fill("Nguyễn Văn Hùng")
    district.get_by_label("Thẩm quyền ký").select_option("tm_chu_tich")
    shot(district, "06-district-queue")
    district.get_by_role("button", name=re.compile("Tiếp tục")).click()
    expect(district.get_by_text("Sẽ công nhận 1 hồ sơ sau:")).to_be_visible()
    expect(district.get_by_text(re.compile("Phạm Thị Dung"))).to_be_visible()
    shot(district, "07-confirm-decision")
    district.get_by_role("button", name="Ban hành quyết định").click()
    expect(district.get_by_text(re.compile("Đã ban hành quyết định số 27/QĐ-UBND"))).to_be_visible()
    shot(district, "08-decision")

    with district.expect_download() as download:
        district.get_by_role("link", name="PDF", exact=True).first.click()
    pdf = open(download.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF")
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    urls = [found.text for found in zxingcpp.read_barcodes(image)]
    assert len(urls) == 1 and urls[0].startswith(live_url + "/verify/")

    public = new_phone()
    public.goto(urls[0])
    expect(public.get_by_text("Giấy chứng nhận còn hiệu lực.")).to_be_visible()
    expect(public.get_by_text("P.T.D.")).to_be_visible()
    shot(public, "09-verify", last=True)

    public.goto(f"/lookup?code={receipt}")
    expect(public.get_by_text("Đã công nhận").first).to_be_visible()


def test_two_reviewers_at_once_get_a_friendly_409(new_phone, site):
    site.nomination("submitted")
    first, second = new_phone(), new_phone()
    for page in (first, second):
        sign_in(page, "review-a")
        page.get_by_role("link", name="Nguyễn Văn An").click()
    first.get_by_label(re.compile("Cần bổ sung, sửa những gì")).fill("Thiếu minh chứng")
    first.get_by_role("button", name="Trả lại để bổ sung").click()
    expect(first.get_by_text("Đã thực hiện")).to_be_visible()

    fill_scores(second, ["8"] * 10)
    second.get_by_role("button", name="Xác nhận đạt").click()
    expect(second.get_by_role("heading", name="Hồ sơ đã thay đổi")).to_be_visible()
    expect(second.get_by_text("Người khác vừa thao tác trên hồ sơ này trước bạn")).to_be_visible()
    expect(second.get_by_text("Thiếu minh chứng")).to_be_visible()
    shot(second, "10-conflict-409", last=True)


def test_english_switch(new_phone, site):
    page = new_phone()
    sign_in(page, "ho-a")
    page.get_by_role("link", name="EN").click()
    expect(page.get_by_role("heading", name="Household members")).to_be_visible()
    page.goto("/household/")
    expect(page.get_by_role("heading", name="Household members")).to_be_visible()
    shot(page, "11-household-english")


@pytest.mark.parametrize("username, paths", [
    (None, ["/", "/lookup", "/verify", "/public/progress", "/rules/cong-dan-hoc-tap"]),
    ("ho-a", ["/household/", "/household/members/new"]),
    ("review-a", ["/review/", "/progress/"]),
    ("approve", ["/district/", "/district/decisions/", "/progress/?unit=381"]),
    ("admin", ["/admin/", "/admin/accounts", "/admin/organizations",
               "/admin/units/16729/denominators"]),
])
def test_main_pages_fit_a_phone(new_phone, site, username, paths):
    site.nomination("approved")
    site.nomination("verified", year=2025)
    page = new_phone()
    if username:
        sign_in(page, username)
    for path in paths:
        page.goto(path)
        no_horizontal_scroll(page)
        name = (username or "public") + path.replace("/", "-").replace("?", "-").rstrip("-")
        shot(page, f"page-{name}")
