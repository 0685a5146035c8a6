"""On a phone (360 px): a reviewer finds an organization of the ward by its name typed without
diacritics on the new organizations list, sees its level and the state of its latest dossier,
and pages through the list with the filter kept; nothing scrolls sideways."""

from __future__ import annotations

import pytest

from certify.services import people
from tests.web_support import Site

from .conftest import shot, sign_in
from .test_journey import no_horizontal_scroll


@pytest.fixture
def site(app):
    return Site(app)


def test_a_reviewer_searches_the_organizations_of_the_ward_on_a_phone(new_phone, site):
    def build(w):
        for i in range(7):
            people.create_organization(name=f"Trường Mầm non Hướng Dương {i}",
                                       unit_code=w.ward_a.code, members_count=12)
        people.create_organization(name="Trạm Y tế Phường Ba Đình", unit_code=w.ward_a.code,
                                   members_count=9)
    site.run(build)
    phone = new_phone()
    sign_in(phone, "review-a")
    phone.get_by_role("link", name="Cơ quan, đơn vị").first.click()
    phone.wait_for_load_state()
    assert "Tìm thấy 8 cơ quan, đơn vị." in phone.content()
    no_horizontal_scroll(phone)
    phone.goto(phone.url + "?per_page=5")
    phone.get_by_label("Tìm theo tên (không cần dấu)").fill("truong mam non huong duong")
    phone.get_by_role("button", name="Lọc").click()
    phone.wait_for_load_state()
    content = phone.content()
    assert "Tìm thấy 7 cơ quan, đơn vị." in content and "Trang 1 / 2" in content
    assert "Trạm Y tế" not in content and "Cấp xã" in content and "chưa có hồ sơ" in content
    no_horizontal_scroll(phone)
    shot(phone, "organizations-search")
    phone.get_by_role("link", name="Trang sau").click()
    phone.wait_for_load_state()
    content = phone.content()
    assert "Trang 2 / 2" in content and "Hướng Dương 6" in content and "Trạm Y tế" not in content
    no_horizontal_scroll(phone)
    shot(phone, "organizations-page-2", last=True)
