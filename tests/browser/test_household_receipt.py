"""The household's journey at 360 px (issue 10 items 2 and 3): start a draft and delete it (the
confirmation works without JavaScript), fill a self-assessment that fails the pass rule and see
it said plainly, fix it, tick the declaration, submit, open the receipt with its QR code — decoded
from the pixels on the screen — and follow that code to the public look-up in another browser."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from certify.workflow import workflow

from ..factories import CITIZEN
from ..web_support import Site
from .conftest import SHOTS, shot, sign_in
from .test_journey import no_horizontal_scroll


@pytest.fixture
def site(app):
    return Site(app)


def _rules(app):
    from certify import clock

    with app.app_context():
        rules = workflow(CITIZEN).rules_for_year(clock.today().year)
        return ([c.code for c in rules.assessed_criteria], rules.pass_rule.min_each,
                rules.pass_rule.min_total)


def _fill(page, scores: dict) -> None:
    for code, points in scores.items():
        page.locator(f'input[name="c-{code}"]').fill(str(points))


def _nominate(page) -> None:
    member = page.locator("section.card", has_text="Nguyễn Văn An")
    member.get_by_role("button", name=re.compile("Đề nghị công nhận")).first.click()
    expect(page.get_by_text("Đã tạo hồ sơ").first).to_be_visible()


def test_household_draft_delete_warning_declaration_receipt_and_look_up(app, site, new_phone,
                                                                           live_url):
    codes, min_each, min_total = _rules(app)
    household = new_phone()
    sign_in(household, "ho-a")

    # A draft started by mistake, deleted after a confirmation page.
    _nominate(household)
    expect(household.get_by_text("mã biên nhận được cấp khi nộp hồ sơ")).to_be_visible()
    household.get_by_role("button", name="Xoá hồ sơ nháp…").click()
    expect(household.get_by_text("Thao tác này không thể hoàn tác.")).to_be_visible()
    shot(household, "receipt-01-delete-draft-confirm")
    no_horizontal_scroll(household)
    household.get_by_role("button", name="Xoá hồ sơ nháp", exact=True).click()
    expect(household.get_by_text(re.compile("Đã xoá hồ sơ nháp"))).to_be_visible()

    # A self-assessment that fails the rule of its year: one indicator below its minimum.
    _nominate(household)
    passing = max(min_each, -(-min_total // len(codes)))
    failing = {code: passing for code in codes}
    failing[codes[-1]] = min_each - 1
    _fill(household, failing)
    household.get_by_role("button", name="Lưu và nộp hồ sơ").click()
    # Without the declaration nothing is submitted.
    expect(household.get_by_text("Hãy đánh dấu ô cam đoan trước khi nộp hồ sơ")).to_be_visible()
    household.get_by_label(re.compile("Tôi cam đoan")).check()
    household.get_by_role("button", name="Lưu và nộp hồ sơ").click()
    warning = household.locator("#shortfalls")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"thấp hơn mức tối thiểu {min_each}")
    expect(household.get_by_role("button", name="Vẫn nộp hồ sơ")).to_be_visible()
    # The warning as the household sees it (the page is a POST's answer: a viewport shot).
    warning.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    household.screenshot(path=str(SHOTS / "receipt-02-failing-self-assessment.png"))
    no_horizontal_scroll(household)

    # Fix it rather than submit anyway, then declare and submit.
    household.get_by_role("button", name="Lưu nháp để sửa lại").click()
    expect(household.get_by_text("Đã lưu bản tự đánh giá.")).to_be_visible()
    _fill(household, {codes[-1]: passing})
    household.get_by_label(re.compile("Tôi cam đoan")).check()
    household.get_by_role("button", name="Lưu và nộp hồ sơ").click()
    expect(household.get_by_text("Đã nộp hồ sơ").first).to_be_visible()
    code = household.locator(".receipt").first.inner_text().strip()
    assert re.fullmatch(r"CDHT-\d{4}-[0-9A-Z]{8}", code)

    # The receipt: office, dates, status, next step and a QR code a phone can scan.
    household.get_by_role("link", name="Xem và in biên nhận").click()
    for words in ("Cơ quan tiếp nhận", "Ngày tiếp nhận", "Ngày hẹn trả kết quả",
                  "Tình trạng xử lý"):
        expect(household.get_by_text(words, exact=True)).to_be_visible()
    expect(household.get_by_text("Bước tiếp theo:")).to_be_visible()
    expect(household.get_by_text("Phường Ba Đình").first).to_be_visible()
    no_horizontal_scroll(household)
    shot(household, "receipt-03-receipt-with-qr")
    pixels = household.locator("svg.qr").screenshot()
    image = Image.open(io.BytesIO(pixels))
    image = image.resize((image.width * 3, image.height * 3), Image.NEAREST)
    decoded = [found.text for found in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{live_url}/lookup?code={code}"]

    # Anyone follows it, without an account, and reads no name.
    public = new_phone()
    public.goto(decoded[0])
    expect(public.get_by_text(code).first).to_be_visible()
    expect(public.get_by_text("Cơ quan tiếp nhận", exact=True)).to_be_visible()
    expect(public.get_by_text(re.compile("Hồ sơ đang chờ Phường Ba Đình thẩm định"))).to_be_visible()
    assert "Nguyễn Văn An" not in public.content()
    no_horizontal_scroll(public)
    shot(public, "receipt-04-public-look-up", last=True)
