"""On a phone, with CSRF on: an organization adds a member, starts their "Công dân học tập"
self-assessment from the list; the district reads the member share."""

from __future__ import annotations

import pytest

from tests.web_support import Site

from .conftest import shot, sign_in
from .test_journey import no_horizontal_scroll


@pytest.fixture
def site(app):
    return Site(app)


def test_an_organization_adds_a_member_and_starts_their_self_assessment(new_phone, site):
    phone = new_phone()
    sign_in(phone, "truong")
    phone.get_by_role("link", name="Thành viên").first.click()
    phone.get_by_label("Số định danh cá nhân (12 chữ số)").fill("038200000077")
    phone.get_by_label("Họ và tên").fill("Hoàng Thị Mai")
    phone.get_by_label("Năm sinh").fill("1992")
    phone.get_by_label("Giới tính").select_option(label="Nữ")
    phone.get_by_label("Xã, phường nơi cư trú").select_option(label="Phường Lam Sơn (16732)")
    phone.get_by_label("Từ ngày").fill("2024-09-01")
    phone.get_by_role("button", name="Thêm", exact=True).click()
    phone.wait_for_load_state()
    assert "Đã thêm Hoàng Thị Mai vào danh sách thành viên." in phone.content()
    no_horizontal_scroll(phone)
    shot(phone, "members-list")
    phone.get_by_role("button", name="Tự đánh giá Công dân học tập").click()
    phone.wait_for_load_state()
    assert "/household/nominations/" in phone.url
    assert "Đã tạo hồ sơ cho Hoàng Thị Mai" in phone.content()

    district = new_phone()
    sign_in(district, "review-district")
    district.goto(f"/to-chuc/{site.organization}/thanh-vien/ty-le?nam=2026")
    assert "0/1 thành viên (0%)" in district.content()  # none holds it: exactly 0 %
    no_horizontal_scroll(district)
    shot(district, "members-share", last=True)
