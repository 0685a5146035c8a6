"""The page shell: sign-in and sign-out, throttling, CSRF, language switch, error pages, formats."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from certify import create_app
from certify.web import filters

from .conftest import TEST_CONFIG
from .web_support import Site, csrf_token, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


def test_home_speaks_vietnamese_by_default(client):
    page = text(client.get("/"))
    assert 'lang="vi"' in page
    assert "Đăng nhập" in page


def test_sign_in_sends_each_role_to_its_work(client, site):
    response = client.post("/signin", data={"username": "ho-a", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/household/")
    client.post("/signout")
    sign_in(client, "review-a")
    assert client.get("/").headers["Location"].endswith("/review/")


def test_wrong_password_is_refused_with_a_message(client, site):
    response = client.post("/signin", data={"username": "ho-a", "password": "wrong password"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in text(response)
    assert client.get("/household/").status_code == 302  # still signed out


def test_sign_in_is_throttled_per_username_after_ten_failures(client, site):
    for _ in range(10):
        assert client.post("/signin", data={"username": "ho-a", "password": "nope"}).status_code == 401
    blocked = client.post("/signin", data={"username": "ho-a", "password": "correct horse battery"})
    assert blocked.status_code == 429
    assert "Quá nhiều lần thử" in text(blocked)
    # Another username is not affected.
    assert client.post("/signin", data={"username": "review-a",
                                        "password": "correct horse battery"}).status_code == 302


def test_successful_sign_ins_are_not_counted(client, site):
    for _ in range(12):
        sign_in(client, "ho-a")
        client.post("/signout")


def test_sign_out_ends_the_session_and_needs_post(client, site):
    sign_in(client, "ho-a")
    assert client.get("/signout").status_code == 405
    assert client.get("/household/").status_code == 200
    client.post("/signout")
    assert client.get("/household/").status_code == 302


def test_pages_need_an_account_and_the_right_role(client, site):
    response = client.get("/review/")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    sign_in(client, "ho-a")
    forbidden = client.get("/review/")
    assert forbidden.status_code == 403
    assert "Không có quyền truy cập" in text(forbidden)


def test_next_parameter_cannot_send_users_elsewhere(client, site):
    response = client.post("/signin?next=https://evil.example/", data={
        "username": "ho-a", "password": "correct horse battery"})
    assert response.headers["Location"] == "/"


def test_friendly_not_found_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text(response)


def test_api_paths_keep_json_errors(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_english_switch_is_remembered(client, site):
    response = client.get("/lang/en?next=/signin")
    assert response.headers["Location"] == "/signin"
    page = text(client.get("/signin"))
    assert 'lang="en"' in page and "Sign in" in page and "Đăng nhập" not in page
    # A new session on the same browser keeps English through the cookie.
    with client.session_transaction() as session:
        session.clear()
    assert "Sign in" in text(client.get("/signin"))
    client.get("/lang/vi")
    assert "Đăng nhập" in text(client.get("/signin"))


def test_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert 'lang="vi"' in text(client.get("/"))


def test_csrf_is_enforced_when_enabled(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post("/signin", data={"username": "ho-a", "password": "correct horse battery"})
    assert refused.status_code == 400
    assert "Phiên làm việc đã hết hạn" in text(refused)
    token = csrf_token(text(client.get("/signin")))
    accepted = client.post("/signin", data={"username": "ho-a", "password": "correct horse battery",
                                            "csrf_token": token})
    assert accepted.status_code == 302
    # Signing out without the token does nothing.
    client.post("/signout")
    assert client.get("/household/").status_code == 200


def test_unexpected_errors_get_a_friendly_page(database_url):
    app = create_app({**TEST_CONFIG, "TESTING": False, "DATABASE_URL": database_url})

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in text(response)


def test_dates_and_numbers_in_vietnamese(app):
    with app.test_request_context("/"):
        assert filters.day(date(2026, 3, 7)) == "07/03/2026"
        assert filters.number(3700000) == "3.700.000"
        # 17:30 UTC is 00:30 the next day in Hà Nội.
        assert filters.moment(datetime(2026, 3, 7, 17, 30, tzinfo=timezone.utc)) == "08/03/2026 00:30"


def test_pages_load_nothing_from_elsewhere(client):
    response = client.get("/signin")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    html = text(response)
    assert "http://" not in html and "https://" not in html
    assert client.get("/static/app.css").status_code == 200
    assert len(client.get("/static/app.css").data) < 10_000


def test_sign_in_failures_count_the_same_through_the_api_and_the_page(client, site):
    for _ in range(6):
        assert client.post("/api/v1/auth/token", json={"username": "ho-a",
                                                       "password": "nope"}).status_code == 401
    for _ in range(4):
        assert client.post("/signin", data={"username": "ho-a", "password": "nope"}).status_code == 401
    assert client.post("/signin", data={"username": "ho-a",
                                        "password": "correct horse battery"}).status_code == 429
    assert client.post("/api/v1/auth/token", json={"username": "ho-a", "password":
                                                   "correct horse battery"}).status_code == 429
