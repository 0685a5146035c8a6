"""The password policy (OWASP ASVS 4.0.3 level 2, V2.1) and the self-service password change,
through the services, the pages, the API and the commands."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from certify.errors import Invalid
from certify.extensions import db
from certify.models import User
from certify.services import accounts

from .api_client import Api
from .factories import PASSWORD
from .web_support import Site, csrf_token, sign_in, text

NEW = "một mật khẩu mới, dài và dễ nhớ"


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def limits(app) -> tuple[int, int]:
    return app.config["PASSWORD_MIN_LENGTH"], app.config["PASSWORD_MAX_LENGTH"]


def phrase(length: int) -> str:
    """A password of exactly `length` characters that is not on any list (Vietnamese, spaces)."""
    text_ = ("học tập suốt đời ở Bỉm Sơn " * (length // 10 + 2))[:length - 1] + "!"
    assert not accounts.is_common_password(text_)
    return text_


def common_password(low: int, high: int) -> str:
    """A password long enough for the length rule, taken from the library's list of common ones."""
    return next(p for p in FREQUENCY_LISTS["passwords"] if low <= len(p) <= high)


def codes(error: Invalid) -> list[str]:
    return [item["code"] for item in error.details]


def password_hash(site: Site, username: str) -> str:
    return site.run(lambda w: db.session.scalar(
        select(User.password_hash).where(User.username == username)))


def can_sign_in(app, username: str, password: str) -> bool:
    return app.test_client().post("/api/v1/auth/token", json={
        "username": username, "password": password}).status_code == 200


def token_works(app, token: str) -> bool:
    return app.test_client().get("/api/v1/titles", headers={
        "Authorization": f"Bearer {token}"}).status_code == 200


def token_for(app, username: str, password: str = PASSWORD) -> str:
    r = app.test_client().post("/api/v1/auth/token", json={"username": username,
                                                            "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


# -- the policy ------------------------------------------------------------------------------------

def test_shorter_than_the_minimum_is_refused_and_the_minimum_accepted(world, limits):
    low, _high = limits
    with pytest.raises(Invalid) as caught:
        accounts.create_user(username="ngan", password=phrase(low - 1), role="admin")
    assert codes(caught.value) == ["too_short"]
    assert caught.value.details[0]["minimum"] == low
    assert db.session.scalar(select(User).where(User.username == "ngan")) is None
    accounts.create_user(username="vua", password=phrase(low), role="admin")
    assert accounts.authenticate("vua", phrase(low)) is not None


def test_longer_than_the_maximum_is_refused_and_the_maximum_accepted(world, limits):
    _low, high = limits
    with pytest.raises(Invalid) as caught:
        accounts.create_user(username="dai", password=phrase(high + 1), role="admin")
    assert codes(caught.value) == ["too_long"]
    accounts.create_user(username="vua", password=phrase(high), role="admin")
    # Not truncated: the whole password counts, its last character too.
    assert accounts.authenticate("vua", phrase(high)) is not None
    assert accounts.authenticate("vua", phrase(high)[:-1] + "?") is None


def test_sign_in_refuses_an_over_long_password_without_checking_it(world, limits):
    """An account that somehow holds a longer password (set before the limit, or by hand) is not
    signed in with it: the input is refused before argon2 sees it."""
    _low, high = limits
    too_long = phrase(high + 1)
    world.admin.password_hash = accounts.hash_password(too_long)
    db.session.commit()
    assert accounts.check_password(world.admin, too_long)  # the hash does match...
    assert accounts.authenticate("admin", too_long) is None  # ...but sign-in refuses the input


def test_the_api_sign_in_answers_401_for_an_over_long_password(client, site, limits):
    r = client.post("/api/v1/auth/token", json={"username": "admin",
                                                 "password": "x" * (limits[1] * 1000)})
    assert r.status_code == 401


def test_length_counts_characters_not_bytes(world, limits):
    low, _high = limits
    vietnamese = ("ễ" * low)
    assert len(vietnamese.encode()) == 3 * low
    accounts.set_password(world.admin, vietnamese)
    assert accounts.authenticate("admin", vietnamese) is not None
    with pytest.raises(Invalid) as caught:
        accounts.set_password(world.admin, "ễ" * (low - 1))  # 3 bytes each, yet too short
    assert codes(caught.value) == ["too_short"]
    # The same letters as a keyboard may send them, decomposed (e + two combining marks), are
    # still one character each.
    decomposed = unicodedata.normalize("NFD", "ễ" * (low - 1))
    assert len(decomposed) == 3 * (low - 1) >= low
    with pytest.raises(Invalid):
        accounts.set_password(world.admin, decomposed)


def test_spaces_and_any_printable_unicode_are_allowed_but_not_nul(world, limits):
    low, _high = limits
    for password in ("   ba   khoảng   trắng   ", "Mật khẩu 🌾 có biểu tượng", "пароль на русском"):
        accounts.set_password(world.admin, password)
        assert accounts.authenticate("admin", password) is not None
    with pytest.raises(Invalid) as caught:
        accounts.set_password(world.admin, "có ký tự\x00NUL ở giữa")
    assert "control_character" in codes(caught.value)
    with pytest.raises(Invalid) as caught:
        accounts.set_password(world.admin, " " * low)
    assert codes(caught.value) == ["required"]


def test_common_passwords_from_the_library_list_are_refused(world, limits):
    common = common_password(*limits)
    for variant in (common, common.upper(), f" {common} "):
        with pytest.raises(Invalid) as caught:
            accounts.create_user(username="moi", password=variant, role="admin")
        assert codes(caught.value) == ["common"], variant
    assert db.session.scalar(select(User).where(User.username == "moi")) is None


def test_the_username_or_display_name_as_password_is_refused(world):
    with pytest.raises(Invalid) as caught:
        accounts.create_user(username="nguyen.van.an.1985", password="Nguyen.Van.An.1985",
                             role="admin")
    assert codes(caught.value) == ["same_as_username"]
    with pytest.raises(Invalid) as caught:
        accounts.create_user(username="an85", password="Nguyễn Văn An 1985", role="admin",
                             display_name="Nguyễn Văn An 1985")
    assert codes(caught.value) == ["same_as_display_name"]
    accounts.create_user(username="an85", password="Nguyễn Văn An 1985!", role="admin",
                         display_name="Nguyễn Văn An 1985")


def test_every_reason_is_told_at_once(world):
    with pytest.raises(Invalid) as caught:
        accounts.create_user(username="x", password="", role="nobody")
    assert {(i["field"], i["code"]) for i in caught.value.details} >= {
        ("password", "required"), ("role", "not_allowed")}


def test_the_settings_are_the_one_place_the_bounds_come_from(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MIN_LENGTH", 20)
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert spec["PasswordChange"]["properties"]["new_password"]["minLength"] == 20
    assert spec["UserCreate"]["properties"]["password"]["minLength"] == 20
    sign_in(client, "admin")
    page = text(client.get("/account/password"))
    assert 'minlength="20"' in page and "Từ 20 đến" in page
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            accounts.set_password(admin, phrase(19))
        assert caught.value.details[0]["minimum"] == 20


# -- the API ---------------------------------------------------------------------------------------

def test_the_openapi_document_describes_the_change_and_the_policy(client, limits):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/auth/password"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "422"}
    assert "revoked" in operation["description"]
    schemas = spec["components"]["schemas"]
    new_password = schemas["PasswordChange"]["properties"]["new_password"]
    assert (new_password["minLength"], new_password["maxLength"]) == limits
    assert "revoked" in schemas["PasswordChanged"]["properties"]["tokens_revoked"]["description"]


def test_api_change_needs_the_right_current_password(app, client, site):
    api = Api(client)
    token = token_for(app, "ho-a")
    before = password_hash(site, "ho-a")
    r = api.post("/auth/password", json={"current_password": "not my password",
                                         "new_password": NEW},
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    error = r.get_json()["error"]
    assert error["code"] == "forbidden"
    assert error["details"][0]["field"] == "current_password"
    assert error["message"] == "Mật khẩu hiện tại không đúng."
    assert password_hash(site, "ho-a") == before
    assert token_works(app, token) and can_sign_in(app, "ho-a", PASSWORD)


def test_api_change_refuses_a_weak_password_with_reasons_in_both_languages(app, client, site,
                                                                           limits):
    api = Api(client)
    token = token_for(app, "ho-a")
    before = password_hash(site, "ho-a")
    for new, code in ((phrase(limits[0] - 1), "too_short"), (common_password(*limits), "common"),
                      ("HO-A" + " " * limits[0], "same_as_username")):
        r = api.post("/auth/password", json={"current_password": PASSWORD, "new_password": new},
                     headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 422, r.get_json()
        [reason] = r.get_json()["error"]["details"]
        assert (reason["field"], reason["code"]) == ("new_password", code)
        assert reason["message"].startswith("Mật khẩu mới:")
    r = api.post("/auth/password", json={"current_password": PASSWORD,
                                         "new_password": phrase(limits[1] + 1)},
                 headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    [reason] = r.get_json()["error"]["details"]
    assert reason["message"] == f"New password: at most {limits[1]} characters."
    assert password_hash(site, "ho-a") == before
    assert token_works(app, token)


def test_api_change_ends_every_token_and_session_its_own_included(app, client, site):
    api = Api(client)
    token, other_token = token_for(app, "ho-a"), token_for(app, "ho-a")
    browser = app.test_client()
    sign_in(browser, "ho-a")
    r = api.post("/auth/password", json={"current_password": PASSWORD, "new_password": NEW},
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["tokens_revoked"] is True and body["user"]["username"] == "ho-a"
    assert not token_works(app, token) and not token_works(app, other_token)
    assert browser.get("/household/").status_code == 302  # back to the sign-in page
    assert not can_sign_in(app, "ho-a", PASSWORD)
    assert can_sign_in(app, "ho-a", NEW)
    assert can_sign_in(app, "ho-b", PASSWORD)  # other accounts are untouched


def test_api_change_needs_a_token(client, site):
    r = client.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                    "new_password": NEW})
    assert r.status_code == 401


def test_admin_created_accounts_follow_the_policy_through_the_api(app, client, site, limits):
    api = Api(client)
    for password, code in ((phrase(limits[0] - 1), "too_short"),
                           (common_password(*limits), "common")):
        r = api.post("/users", "admin", json={"username": "moi", "password": password,
                                              "role": "admin"})
        assert r.status_code == 422
        assert [d["code"] for d in r.get_json()["error"]["details"]] == [code]
    assert not can_sign_in(app, "moi", phrase(limits[0] - 1))


# -- the pages -------------------------------------------------------------------------------------

def change(client, current: str, new: str, repeat: str | None = None):
    page = text(client.get("/account/password"))
    return client.post("/account/password", data={
        "csrf_token": csrf_token(page), "current_password": current, "new_password": new,
        "repeat": new if repeat is None else repeat})


@pytest.mark.parametrize("username", ["ho-a", "truong", "review-a", "approve", "admin"])
def test_every_signed_in_user_finds_the_page_in_the_header(client, site, username):
    assert 'href="/account/password"' not in text(client.get("/rules/"))
    sign_in(client, username)
    assert 'href="/account/password"' in text(client.get("/rules/"))
    assert client.get("/account/password").status_code == 200


def test_the_page_needs_a_sign_in(client, site):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_page_change_with_a_wrong_current_password_changes_nothing(app, client, site):
    sign_in(client, "review-a")
    before = password_hash(site, "review-a")
    response = change(client, "not my password", NEW)
    assert response.status_code == 403
    assert "Mật khẩu hiện tại không đúng." in text(response)
    assert password_hash(site, "review-a") == before
    assert can_sign_in(app, "review-a", PASSWORD)


def test_page_change_refuses_a_weak_or_mistyped_password(app, client, site, limits):
    sign_in(client, "review-a")
    before = password_hash(site, "review-a")
    weak = change(client, PASSWORD, common_password(*limits))
    assert weak.status_code == 422
    assert "Mật khẩu mới: thuộc danh sách mật khẩu phổ biến" in text(weak)
    short = change(client, PASSWORD, phrase(limits[0] - 1))
    assert short.status_code == 422
    assert f"Mật khẩu mới: cần ít nhất {limits[0]} ký tự." in text(short)
    mistyped = change(client, PASSWORD, NEW, NEW + "x")
    assert mistyped.status_code == 422
    assert "Hai lần nhập mật khẩu mới không giống nhau." in text(mistyped)
    assert password_hash(site, "review-a") == before


def test_page_change_keeps_this_session_and_ends_the_others(app, client, site):
    sign_in(client, "review-a")
    other_browser = app.test_client()
    sign_in(other_browser, "review-a")
    token = token_for(app, "review-a")
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200 and "Đã đổi mật khẩu." in text(followed)
    assert client.get("/review/").status_code == 200  # this session goes on
    assert other_browser.get("/review/").status_code == 302  # the other one has ended
    assert not token_works(app, token)
    assert not can_sign_in(app, "review-a", PASSWORD) and can_sign_in(app, "review-a", NEW)


def test_the_page_speaks_english_too(client, site, limits):
    client.get("/lang/en")
    sign_in(client, "ho-a")
    response = change(client, PASSWORD, phrase(limits[0] - 1))
    assert f"New password: at least {limits[0]} characters are needed." in text(response)
    assert "Change password" in text(response)


def test_admin_reset_and_creation_pages_follow_the_policy(app, client, site, limits):
    sign_in(client, "admin")
    uid = site.run(lambda w: w.reviewer_a.id)
    common = common_password(*limits)
    response = client.post(f"/admin/accounts/{uid}/password", data={"password": common},
                           follow_redirects=True)
    assert "Mật khẩu: thuộc danh sách mật khẩu phổ biến" in text(response)
    assert can_sign_in(app, "review-a", PASSWORD)
    created = client.post("/admin/accounts", data={"username": "moi-tao", "password": "moi-tao",
                                                   "role": "admin"})
    assert created.status_code == 422
    assert "Mật khẩu: không được trùng với tên đăng nhập." in text(created)


# -- the commands ----------------------------------------------------------------------------------

def test_create_admin_refuses_a_common_password(runner, ctx, limits):
    common = common_password(*limits)
    result = runner.invoke(args=["create-admin", "boss", "--password", common])
    assert result.exit_code == 1 and "password:" in result.output
    assert db.session.scalar(select(User).where(User.username == "boss")) is None


def test_the_demo_script_default_password_meets_the_policy(ctx):
    script = (Path(__file__).parent.parent / "scripts" / "demo.sh").read_text()
    default = re.search(r"CERTIFY_DEMO_PASSWORD:-([^}\"]+)}", script).group(1)
    assert accounts.password_reasons(default) == []
