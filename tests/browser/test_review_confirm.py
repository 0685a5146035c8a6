"""On a phone (360 px, CSRF on): what cannot be undone is confirmed on a page of its own, without
JavaScript; the review page shows each indicator's evidence beside it, fills the form from the
self-assessment (in place with JavaScript, by a reload without) and offers the next dossier."""

from __future__ import annotations

import io

import pytest

from tests.factories import CITIZEN, CITIZEN_PASS, person
from tests.web_support import Site
from tests.web_support import sign_in as client_sign_in

from .conftest import PHONE, shot, sign_in
from .test_journey import no_horizontal_scroll

PDF = b"%PDF-1.4\n% minh chung\n"


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def phone_without_js(browser, live_url):
    context = browser.new_context(viewport=PHONE, locale="vi-VN", base_url=live_url,
                                  java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _submitted(site, name: str) -> int:
    def make(w):
        from certify.services import nominations
        from certify.workflow import engine
        p = person(w.household_a, name)
        n = nominations.create(w.household_a, title=CITIZEN, subject_id=p.id, year=2026,
                               self_assessment=dict(CITIZEN_PASS))
        engine.apply(n.id, "submit", w.household_a, n.version)
        return n.id
    return site.run(make)


def test_reject_and_withdraw_are_confirmed_without_javascript(phone_without_js, site):
    page = phone_without_js
    nid = site.nomination("submitted")
    receipt = site.nomination_row(nid).receipt_code
    sign_in(page, "review-a")
    page.goto(f"/review/nominations/{nid}")
    page.get_by_label("Lý do (bắt buộc)").fill("Khai không đúng thực tế")
    page.get_by_role("button", name="Không công nhận…").click()
    page.wait_for_load_state()
    content = page.content()
    assert "Thao tác này không thể hoàn tác." in content and receipt in content
    assert "Khai không đúng thực tế" in content
    no_horizontal_scroll(page)
    shot(page, "confirm-reject", last=True)
    # "Quay lại" changes nothing.
    page.get_by_role("link", name="Quay lại").click()
    page.wait_for_load_state()
    assert site.nomination_row(nid).state == "submitted"
    page.get_by_label("Lý do (bắt buộc)").fill("Khai không đúng thực tế")
    page.get_by_role("button", name="Không công nhận…").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Không công nhận", exact=True).click()
    page.wait_for_load_state()
    assert "Đã thực hiện “Không công nhận”" in page.content()
    assert site.nomination_row(nid).state == "rejected"

    # A household withdraws its own dossier the same way.
    other = _submitted(site, "Lê Thị Hoa")
    page.context.clear_cookies()
    sign_in(page, "ho-a")
    page.goto(f"/household/nominations/{other}")
    page.get_by_role("button", name="Rút hồ sơ…").click()
    page.wait_for_load_state()
    assert "Thao tác này không thể hoàn tác." in page.content()
    assert site.nomination_row(other).state == "submitted"
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Rút hồ sơ", exact=True).click()
    page.wait_for_load_state()
    assert "Đã rút hồ sơ." in page.content()
    assert site.nomination_row(other).state == "withdrawn"


def test_prefill_without_javascript_reloads_the_form_filled(phone_without_js, site):
    page = phone_without_js
    nid = _submitted(site, "Vũ Văn Khánh")
    sign_in(page, "review-a")
    page.goto(f"/review/nominations/{nid}")
    assert page.locator("#c-1\\.1").input_value() == ""
    page.get_by_role("link", name="Điền theo điểm tự đánh giá").click()
    page.wait_for_load_state()
    assert "prefill=1" in page.url
    assert all(page.locator(f"#c-{code.replace('.', chr(92) + '.')}").input_value() == str(v)
               for code, v in CITIZEN_PASS.items())


def test_the_review_page_on_a_phone(new_phone, site, app):
    first = site.nomination("draft")
    household = app.test_client()
    client_sign_in(household, "ho-a")
    household.post(f"/nominations/{first}/evidence", data={
        "criterion": "1.3", "file": (io.BytesIO(PDF), "the-thu-vien.pdf")},
        content_type="multipart/form-data")

    def submit(w):
        from certify.extensions import db
        from certify.models import Nomination
        from certify.workflow import engine
        engine.apply(first, "submit", w.household_a, db.session.get(Nomination, first).version)
    site.run(submit)
    second = _submitted(site, "Đỗ Minh Tâm")

    phone = new_phone()
    sign_in(phone, "review-a")
    phone.goto(f"/review/nominations/{first}")
    # The evidence sits in its indicator's row, under the self-assessed score.
    row = phone.locator(".criterion", has=phone.locator("#c-1\\.3"))
    assert "the-thu-vien.pdf" in row.inner_text() and "Tự chấm: 8" in row.inner_text()
    link = row.get_by_role("link", name="the-thu-vien.pdf")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_scroll(phone)
    shot(phone, "review-page")
    # With JavaScript the form fills in place, and the running total follows.
    url = phone.url
    phone.get_by_role("link", name="Điền theo điểm tự đánh giá").click()
    assert phone.url == url
    assert phone.locator("#c-1\\.1").input_value() == str(CITIZEN_PASS["1.1"])
    assert phone.locator("[data-total]").inner_text() == str(sum(CITIZEN_PASS.values()))
    phone.locator("#c-1\\.1").fill("9")
    assert phone.locator("[data-total]").inner_text() == str(sum(CITIZEN_PASS.values()) + 1)
    # The next dossier is one tap away...
    phone.get_by_role("link", name="Hồ sơ tiếp theo: Đỗ Minh Tâm →").first.click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/review/nominations/{second}")
    # ...and opens by itself once the reviewer has verified the first.
    phone.goto(f"/review/nominations/{first}")
    phone.get_by_role("link", name="Điền theo điểm tự đánh giá").click()
    phone.get_by_role("button", name="Xác nhận đạt").click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/review/nominations/{second}")
    assert "Hồ sơ tiếp theo trong hàng chờ: Đỗ Minh Tâm." in phone.content()
    assert site.nomination_row(first).state == "verified"
