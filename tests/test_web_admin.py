"""Admin pages: units, denominators, accounts (create, disable, reset password), organizations."""

from __future__ import annotations

import pytest

from certify.models import Denominator, Organization, Unit, User

from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def admin(client, site):
    sign_in(client, "admin")
    return client


def _user(site, username):
    from sqlalchemy import select

    from certify.extensions import db
    return site.run(lambda w: db.session.scalar(select(User.id).where(User.username == username)))


def test_only_admins_reach_admin_pages(client, site):
    sign_in(client, "approve")
    for path in ("/admin/", "/admin/accounts", "/admin/organizations", "/admin/units/381/denominators"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/", data={"code": "99", "name": "X", "level": "province"}).status_code == 403
    assert site.count(Unit) == 4


def test_create_unit(admin, site):
    response = admin.post("/admin/", data={"code": "16735", "name": "Phường Bắc Sơn", "level": "commune",
                                           "parent_code": "381"})
    assert response.status_code == 302
    assert "Phường Bắc Sơn" in text(admin.get("/admin/"))


def test_bad_unit_is_refused(admin, site):
    taken = admin.post("/admin/", data={"code": "381", "name": "X", "level": "commune",
                                        "parent_code": "38"})
    assert taken.status_code == 422
    assert "Mã 381 đang là mã của Thị xã Bỉm Sơn" in text(taken)
    upside_down = admin.post("/admin/", data={"code": "999", "name": "X", "level": "province",
                                              "parent_code": "381"})
    assert upside_down.status_code == 422
    assert "Cấp của đơn vị phải thấp hơn cấp của đơn vị cấp trên." in text(upside_down)
    assert site.count(Unit) == 4


def test_denominators(admin, site):
    response = admin.post("/admin/units/16729/denominators", data={
        "year": "2026", "cong-dan-hoc-tap": "3.700"})
    assert response.status_code == 302
    page = text(admin.get("/admin/units/16729/denominators?year=2026"))
    assert 'value="3700"' in page
    bad = admin.post("/admin/units/16729/denominators", data={"year": "2026", "cong-dan-hoc-tap": "-5"})
    assert bad.status_code == 422 and "mẫu số phải là số nguyên không âm" in text(bad)
    assert site.count(Denominator) == 1
    assert admin.get("/admin/units/nope/denominators").status_code == 404


def test_create_account_and_sign_in_with_it(admin, site, app):
    response = admin.post("/admin/accounts", data={
        "username": "ho-moi", "password": "mat khau dai", "role": "household",
        "unit_code": "16729", "display_name": "Hộ ông Mới", "organization_id": ""})
    assert response.status_code == 302
    other = app.test_client()
    sign_in(other, "ho-moi", "mat khau dai")
    assert other.get("/household/").status_code == 200


def test_bad_account_is_refused(admin, site):
    before = site.count(User)
    short = admin.post("/admin/accounts", data={"username": "x", "password": "short", "role": "admin"})
    minimum = site.app.config["PASSWORD_MIN_LENGTH"]
    assert short.status_code == 422 and f"Mật khẩu: cần ít nhất {minimum} ký tự." in text(short)
    taken = admin.post("/admin/accounts", data={"username": "ho-a", "password": "a long enough passphrase",
                                                "role": "reviewer", "unit_code": "16729"})
    assert taken.status_code == 422 and "Tên đăng nhập: đã được dùng." in text(taken)
    no_unit = admin.post("/admin/accounts", data={"username": "r2", "password": "a long enough passphrase",
                                                  "role": "reviewer", "unit_code": ""})
    assert no_unit.status_code == 422 and "Đơn vị hành chính: chưa nhập." in text(no_unit)
    assert site.count(User) == before


def test_disable_and_enable_an_account(admin, site, app):
    uid = _user(site, "ho-a")
    household = app.test_client()
    sign_in(household, "ho-a")
    admin.post(f"/admin/accounts/{uid}/active", data={"active": "0"})
    assert site.get(User, uid).active is False
    # The open session ends and signing in again is refused.
    assert household.get("/household/").status_code == 302
    assert household.post("/signin", data={"username": "ho-a",
                                            "password": "correct horse battery"}).status_code == 401
    admin.post(f"/admin/accounts/{uid}/active", data={"active": "1"})
    sign_in(household, "ho-a")


def test_admin_cannot_lock_themselves_out(admin, site):
    uid = _user(site, "admin")
    response = admin.post(f"/admin/accounts/{uid}/active", data={"active": "0"}, follow_redirects=True)
    assert "Bạn không thể khóa chính tài khoản của mình." in text(response)
    assert site.get(User, uid).active is True


def test_reset_password(admin, site, app):
    uid = _user(site, "review-a")
    short = admin.post(f"/admin/accounts/{uid}/password", data={"password": "abc"},
                       follow_redirects=True)
    assert f"Mật khẩu: cần ít nhất {app.config['PASSWORD_MIN_LENGTH']} ký tự." in text(short)
    admin.post(f"/admin/accounts/{uid}/password", data={"password": "mot mat khau moi"})
    other = app.test_client()
    sign_in(other, "review-a", "mot mat khau moi")


def test_organizations(admin, site):
    response = admin.post("/admin/organizations", data={"name": "Trường Tiểu học Lam Sơn",
                                                         "unit_code": "381", "members_count": "35"})
    assert response.status_code == 302
    assert "Trường Tiểu học Lam Sơn" in text(admin.get("/admin/organizations"))
    bad = admin.post("/admin/organizations", data={"name": "X", "unit_code": "381",
                                                   "members_count": "-1"})
    assert bad.status_code == 422 and "Số thành viên không được âm." in text(bad)
    assert site.count(Organization) == 2


def test_a_new_password_ends_the_old_sessions_and_tokens(admin, site, app):
    uid = _user(site, "review-a")
    browser = app.test_client()
    sign_in(browser, "review-a")
    assert browser.get("/review/").status_code == 200
    token = app.test_client().post("/api/v1/auth/token", json={
        "username": "review-a", "password": "correct horse battery"}).get_json()["token"]
    admin.post(f"/admin/accounts/{uid}/password", data={"password": "mot mat khau moi"})
    assert browser.get("/review/").status_code == 302  # back to the sign-in page
    assert app.test_client().get("/api/v1/titles", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    sign_in(browser, "review-a", "mot mat khau moi")
    assert browser.get("/review/").status_code == 200
