"""On a phone (360 px), with CSRF on: the approver selects every dossier matching a filter, not
only the visible page, sees how many and who, and issues one decision over exactly them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import nomination_in, person
from tests.web_support import Site

from .conftest import shot, sign_in
from .test_journey import no_horizontal_scroll


@pytest.fixture
def site(app):
    return Site(app)


def test_the_approver_selects_all_matching_sees_the_count_and_decides(new_phone, site):
    def build(w):
        return [nomination_in(w, "verified", subject=person(w.household_a, f"Phan Văn Trị {i}")).id
                for i in range(5)]
    site.run(build)
    site.run(lambda w: nomination_in(w, "verified",
                                     subject=person(w.household_a, "Lê Lợi")).id)
    phone = new_phone()
    sign_in(phone, "approve")
    phone.goto("/district/?per_page=2")
    phone.get_by_label("Tìm theo tên (không cần dấu), mã hồ sơ, số định danh, tên đơn vị").fill(
        "phan van tri")
    phone.get_by_role("button", name="Lọc").click()
    phone.wait_for_load_state()
    assert "5 hồ sơ đã thẩm định" in phone.content() and "Trang 1 / 3" in phone.content()
    no_horizontal_scroll(phone)
    select_all = phone.get_by_label("Chọn tất cả 5 hồ sơ khớp bộ lọc (không chỉ trang này)")
    box = select_all.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24  # a target a thumb can tap
    row_box = phone.locator("input.pick[name=nomination_id]").first.bounding_box()
    assert row_box["width"] >= 24 and row_box["height"] >= 24
    select_all.check()
    phone.get_by_label("Số quyết định").fill("45/QĐ-UBND")
    phone.get_by_label("Ngày quyết định").fill(
        datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat())
    phone.get_by_label("Người ký").fill("Lê Văn Hùng")
    phone.get_by_label("Thẩm quyền ký").select_option(index=1)
    shot(phone, "district-select-all")
    phone.get_by_role("button", name="Tiếp tục: xem lại trước khi ban hành").click()
    phone.wait_for_load_state()
    content = phone.content()
    assert "Sẽ công nhận 5 hồ sơ sau:" in content and "Lê Lợi" not in content
    assert all(f"Phan Văn Trị {i}" in content for i in range(5))
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Ban hành quyết định").click()
    phone.wait_for_load_state()
    assert "Đã ban hành quyết định số 45/QĐ-UBND công nhận 5 hồ sơ." in phone.content()
    no_horizontal_scroll(phone)
    shot(phone, "district-decision-issued", last=True)
