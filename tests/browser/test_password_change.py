"""Changing one's own password in a real browser (CSRF on): from the header link, the session
that changed it goes on, another browser signed in to the same account is signed out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..web_support import Site
from .conftest import shot, sign_in
from .test_journey import no_horizontal_scroll

NEW = "một mật khẩu mới, dài và dễ nhớ"


@pytest.fixture
def site(app):
    return Site(app)


def test_change_password_from_the_header(new_phone, site):
    phone, other = new_phone(), new_phone()
    sign_in(phone, "ho-a")
    sign_in(other, "ho-a")
    phone.get_by_role("link", name="Đổi mật khẩu").click()
    expect(phone.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    no_horizontal_scroll(phone)
    phone.get_by_label("Mật khẩu hiện tại").fill("not my password")
    phone.get_by_label("Mật khẩu mới", exact=True).fill(NEW)
    phone.get_by_label("Nhập lại mật khẩu mới").fill(NEW)
    phone.get_by_role("button", name="Đổi mật khẩu").click()
    expect(phone.get_by_role("alert")).to_contain_text("Mật khẩu hiện tại không đúng.")
    shot(phone, "password-wrong-current", last=True)

    phone.goto("/account/password")
    phone.get_by_label("Mật khẩu hiện tại").fill("correct horse battery")
    phone.get_by_label("Mật khẩu mới", exact=True).fill(NEW)
    phone.get_by_label("Nhập lại mật khẩu mới").fill(NEW)
    phone.get_by_role("button", name="Đổi mật khẩu").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã đổi mật khẩu.")
    shot(phone, "password-changed", last=True)  # the message shows once
    phone.goto("/household/")
    expect(phone.get_by_role("heading", level=1)).not_to_have_text("Đăng nhập")
    assert "/signin" not in phone.url

    other.goto("/household/")
    assert "/signin" in other.url
    sign_in(other, "ho-a", NEW)
    assert "/signin" not in other.url
