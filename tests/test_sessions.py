"""Browser sessions the server can end: sign-out, a password change and disabling the account end
them for every copy of the cookie; idle and absolute timeouts; cookie attributes; a new session
id and CSRF secret at sign-in — with CSRF on, in the database storage and in Redis."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from certify import create_app, sessions
from certify.extensions import db
from certify.models import BrowserSession, User
from certify.services import accounts

from .conftest import TEST_CONFIG
from .factories import PASSWORD
from .web_support import Site, csrf_token, text

REDIS_URL = "redis://127.0.0.1:6379/2"  # this part's Redis database; the fixtures flush it
NEW_PASSWORD = "Sông Mã xa rồi, Tây Tiến ơi"
EXPIRED = "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại."
ENDED = "Phiên đăng nhập đã kết thúc. Hãy đăng nhập lại."


def redis_or_skip(url: str = REDIS_URL):
    """A client of the test Redis database, emptied; skips when Redis is not running, except
    under CI (CI=true), where the test must not pass by skipping."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not reachable at {url}")
    client.flushdb()
    return client


@pytest.fixture(params=["database", "redis"])
def storage(request, app):
    """The session storage under test (the `app` fixture empties the tables afterwards)."""
    if request.param == "database":
        yield "database"
        return
    client = redis_or_skip()
    yield REDIS_URL
    client.flushdb()


def make_app(database_url: str, **config):
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True,
                       **config})


@pytest.fixture
def web(storage, database_url):
    return make_app(database_url, SESSION_STORAGE_URI=storage)


@pytest.fixture
def site(web):
    return Site(web)


def sign_in(client, username: str = "ho-a", password: str = PASSWORD):
    token = csrf_token(text(client.get("/signin")))
    response = client.post("/signin", data={"username": username, "password": password,
                                            "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return response


def sign_out(client):
    token = csrf_token(text(client.get("/household/")))
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302


def session_id(client) -> str:
    return client.get_cookie("session").value


def copy_of(web, client):
    """Another browser holding a copy of `client`'s session cookie."""
    other = web.test_client()
    other.set_cookie("session", session_id(client))
    return other


def signed_in(client) -> bool:
    response = client.get("/household/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def stored(web, sid: str) -> bool:
    """Whether the storage still holds a session under `sid`."""
    with web.test_request_context("/"):
        interface = web.session_interface
        return interface._retrieve_session_data(interface._get_store_id(sid)) is not None


def test_a_copied_cookie_opens_nothing_after_sign_out(web, site):
    browser = web.test_client()
    sign_in(browser)
    copy = copy_of(web, browser)
    assert signed_in(copy)  # the copy is as good as the original while the session lives
    old = session_id(browser)
    sign_out(browser)
    assert not signed_in(browser)
    assert not signed_in(copy)
    assert not stored(web, old)  # ended on the server, not only forgotten by the browser
    assert session_id(browser) != old


def test_the_database_storage_deletes_the_row_at_sign_out(app, database_url):
    web = make_app(database_url)
    assert web.config["SESSION_STORAGE_URI"] == "database"  # the default
    Site(web)
    browser = web.test_client()
    sign_in(browser)
    old = session_id(browser)
    with web.app_context():
        assert db.session.get(BrowserSession, old) is not None
        db.session.remove()
    sign_out(browser)
    with web.app_context():
        assert db.session.get(BrowserSession, old) is None
        db.session.remove()


def _change(web, username: str, change) -> None:
    with web.app_context():
        change(db.session.scalar(select(User).where(User.username == username)))
        db.session.remove()


def test_a_password_change_ends_every_session_of_the_account(web, site):
    browser = web.test_client()
    sign_in(browser)
    copy = copy_of(web, browser)
    other_account = web.test_client()
    sign_in(other_account, "review-a")
    _change(web, "ho-a", lambda user: accounts.set_password(user, NEW_PASSWORD))
    refused = browser.get("/household/")
    assert refused.status_code == 302 and "/signin" in refused.headers["Location"]
    assert ENDED in text(browser.get(refused.headers["Location"]))
    assert not signed_in(copy)
    assert other_account.get("/review/").status_code == 200  # other accounts keep theirs
    sign_in(browser, "ho-a", NEW_PASSWORD)
    assert signed_in(browser)


def test_disabling_the_account_ends_its_sessions(web, site):
    browser = web.test_client()
    sign_in(browser)
    copy = copy_of(web, browser)
    old = session_id(browser)
    _change(web, "ho-a", lambda user: accounts.set_active(user, False))
    assert not signed_in(browser)
    assert not signed_in(copy)
    assert not stored(web, old)


def test_an_idle_session_ends_with_a_message(web, site):
    browser = web.test_client()
    sign_in(browser)
    idle = web.config["SESSION_IDLE_MINUTES"] * 60
    # Activity within the idle time keeps the session, and moves its idle clock on.
    with browser.session_transaction() as session:
        session[sessions.SEEN_AT] -= idle - 2 * sessions.SEEN_RESOLUTION
    assert signed_in(browser)
    with browser.session_transaction() as session:
        assert sessions.now() - session[sessions.SEEN_AT] < sessions.SEEN_RESOLUTION
        session[sessions.SEEN_AT] -= idle
    old = session_id(browser)
    response = browser.get("/household/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signin?next=/household/")
    assert EXPIRED in text(browser.get(response.headers["Location"]))
    assert not signed_in(browser)
    assert not stored(web, old)


def test_a_session_ends_after_the_absolute_limit_however_active(web, site):
    browser = web.test_client()
    sign_in(browser)
    limit = web.config["SESSION_MAX_HOURS"] * 3600
    with browser.session_transaction() as session:
        session[sessions.SIGNED_IN_AT] -= limit - 60
    assert signed_in(browser)  # active and not yet at the limit
    with browser.session_transaction() as session:
        session[sessions.SIGNED_IN_AT] -= 60
        assert sessions.now() - session[sessions.SEEN_AT] < sessions.SEEN_RESOLUTION  # just seen
    response = browser.get("/household/")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert EXPIRED in text(browser.get(response.headers["Location"]))
    assert not signed_in(browser)


def test_a_new_session_id_at_sign_in(web, site):
    """Session fixation: an id known before sign-in (here the attacker's own visit to the sign-in
    page, planted in the victim's browser) is worth nothing after it."""
    attacker = web.test_client()
    attacker.get("/signin")
    planted = session_id(attacker)
    victim = web.test_client()
    victim.set_cookie("session", planted)
    sign_in(victim)
    assert session_id(victim) != planted
    assert not stored(web, planted)
    assert not signed_in(attacker)
    assert signed_in(victim)


def test_an_invented_session_id_is_replaced(web, site):
    browser = web.test_client()
    browser.set_cookie("session", "chosen-by-the-attacker")
    sign_in(browser)
    assert session_id(browser) != "chosen-by-the-attacker"
    assert not signed_in(copy_of_value(web, "chosen-by-the-attacker"))


def copy_of_value(web, value: str):
    other = web.test_client()
    other.set_cookie("session", value)
    return other


def test_a_csrf_token_from_before_sign_in_is_refused_after(web, site):
    browser = web.test_client()
    planted = csrf_token(text(browser.get("/signin")))
    assert browser.post("/signin", data={"username": "ho-a", "password": PASSWORD,
                                         "csrf_token": planted}).status_code == 302
    refused = browser.post("/signout", data={"csrf_token": planted})
    assert refused.status_code == 400 and "Phiên làm việc đã hết hạn" in text(refused)
    assert signed_in(browser)
    sign_out(browser)  # with a token issued after sign-in
    assert not signed_in(browser)


def test_the_language_survives_sign_in(web, site):
    browser = web.test_client()
    browser.get("/lang/en")
    sign_in(browser)
    assert 'lang="en"' in text(browser.get("/household/"))


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_cookies_are_http_only_same_site_lax_and_not_secure_over_http(web, site):
    browser = web.test_client()
    browser.get("/signin")
    token = csrf_token(text(browser.get("/signin")))
    response = browser.post("/signin", data={"username": "ho-a", "password": PASSWORD,
                                             "csrf_token": token})
    cookie = set_cookies(response)["session"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie  # the browser forgets it when it closes
    lang = set_cookies(browser.get("/lang/en"))["lang"]
    assert "HttpOnly" in lang and "SameSite=Lax" in lang and "Secure" not in lang


@pytest.mark.parametrize("config", [{"PUBLIC_URL": "https://hoctap.example.vn"},
                                    {"SESSION_COOKIE_SECURE": True}])
def test_cookies_are_secure_when_served_over_https(app, database_url, config):
    secure = make_app(database_url, **config)
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    Site(secure)
    browser = secure.test_client()
    response = browser.get("/signin", base_url="https://localhost")
    cookie = set_cookies(response)["session"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    lang = set_cookies(browser.get("/lang/en", base_url="https://localhost"))["lang"]
    assert "Secure" in lang


def test_an_explicit_setting_wins_over_the_public_url(app, database_url):
    plain = make_app(database_url, PUBLIC_URL="https://hoctap.example.vn",
                     SESSION_COOKIE_SECURE=False)
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_an_unknown_storage_stops_the_app(app, database_url):
    with pytest.raises(ValueError, match="SESSION_STORAGE_URI"):
        make_app(database_url, SESSION_STORAGE_URI="memcached://somewhere")
