"""Sign-in throttling (services/signin_guard.py) through both doors, on the in-process storage and
on Redis: counted before the password is checked, per username and address, per address, per
username; successes not counted; an attacker cannot keep the real user out; an admin unlocks."""

from __future__ import annotations

import logging
import threading
from collections import Counter

import pytest
from limits import parse_many
from sqlalchemy import select

from certify import create_app
from certify.extensions import db
from certify.models import AuditEntry
from certify.services import signin_guard
from certify.deployment import problems

from .conftest import TEST_CONFIG
from .factories import PASSWORD
from .test_sessions import REDIS_URL, redis_or_skip
from .web_support import Site, sign_in, text

ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


@pytest.fixture(params=["memory://", "redis"])
def storage(request, app):
    if request.param == "memory://":
        yield "memory://"
        return
    client = redis_or_skip()
    yield REDIS_URL
    client.flushdb()


def make_app(database_url: str, storage: str, **config):
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                       "RATELIMIT_STORAGE_URI": storage, **config})


@pytest.fixture
def web(storage, database_url):
    return make_app(database_url, storage)


@pytest.fixture
def site(web):
    return Site(web)


def limit(web, name: str) -> int:
    """The first window's amount of a sign-in limit setting."""
    return parse_many(web.config[name])[0].amount


def api_signin(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def page_signin(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/signin", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_simultaneous_guesses_let_through_at_most_the_limit(web, site):
    allowed = limit(web, "SIGNIN_FAILURES_LIMIT")
    guesses = 3 * allowed
    start = threading.Barrier(guesses)
    statuses: list[int] = []

    def guess(i: int):
        client = web.test_client()
        start.wait()
        door = api_signin if i % 2 else page_signin
        statuses.append(door(client, "ho-a", f"guess {i}").status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {401: allowed, 429: guesses - allowed}
    assert api_signin(web.test_client(), "ho-a", PASSWORD).status_code == 429


def test_refusal_says_when_to_try_again(web, site):
    client = web.test_client()
    for _ in range(limit(web, "SIGNIN_FAILURES_LIMIT")):
        assert api_signin(client, "ho-a", "wrong").status_code == 401
    window = parse_many(web.config["SIGNIN_FAILURES_LIMIT"])[0].get_expiry()
    api = api_signin(client, "ho-a", PASSWORD)
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(api.headers["Retry-After"]) <= window
    page = page_signin(client, "ho-a", PASSWORD)
    assert page.status_code == 429 and "Quá nhiều lần thử" in text(page)
    assert 0 < int(page.headers["Retry-After"]) <= window
    assert client.get("/household/").status_code == 302  # not signed in


def test_both_doors_share_the_counters(web, site):
    client = web.test_client()
    allowed = limit(web, "SIGNIN_FAILURES_LIMIT")
    for i in range(allowed):
        door = api_signin if i % 2 else page_signin
        assert door(client, "ho-a", "wrong").status_code == 401
    assert page_signin(client, "ho-a", PASSWORD).status_code == 429
    assert api_signin(client, "ho-a", PASSWORD).status_code == 429


def test_the_real_user_elsewhere_still_signs_in_while_an_attacker_is_locked(web, site):
    attacker, admin = web.test_client(), web.test_client()
    for _ in range(limit(web, "SIGNIN_FAILURES_LIMIT")):
        assert api_signin(attacker, "admin", "guess", ATTACKER).status_code == 401
    assert api_signin(attacker, "admin", PASSWORD, ATTACKER).status_code == 429
    assert api_signin(admin, "admin", PASSWORD, ELSEWHERE).status_code == 200
    assert page_signin(admin, "admin", PASSWORD, ELSEWHERE).status_code == 302


def test_one_address_trying_many_usernames_is_stopped(web, site):
    client = web.test_client()
    allowed = limit(web, "SIGNIN_ADDRESS_LIMITS")
    for i in range(allowed):
        assert api_signin(client, f"user-{i}", "guess", ATTACKER).status_code == 401
    # Even a right password of an account it never tried: the address is stopped.
    assert api_signin(client, "ho-b", PASSWORD, ATTACKER).status_code == 429
    assert api_signin(client, "ho-b", PASSWORD, ELSEWHERE).status_code == 200


def test_one_username_from_many_addresses_is_stopped_later(web, site):
    client = web.test_client()
    allowed = limit(web, "SIGNIN_USERNAME_LIMITS")
    per_address = limit(web, "SIGNIN_FAILURES_LIMIT") - 1
    for i in range(allowed):
        address = f"192.0.2.{i // per_address + 1}"
        assert api_signin(client, "review-a", "guess", address).status_code == 401
    assert api_signin(client, "review-a", PASSWORD, "192.0.2.200").status_code == 429
    # The lock is this username's alone.
    assert api_signin(client, "review-b", PASSWORD, "192.0.2.200").status_code == 200


def test_successful_sign_ins_are_not_counted(web, site):
    client = web.test_client()
    allowed = limit(web, "SIGNIN_FAILURES_LIMIT")
    for _ in range(allowed - 1):
        assert api_signin(client, "ho-a", "wrong").status_code == 401
    for _ in range(limit(web, "SIGNIN_ADDRESS_LIMITS") + 1):  # an office behind one address
        assert api_signin(client, "ho-a", PASSWORD).status_code == 200
    # The failures before the successes still count: one more fills the window.
    assert page_signin(client, "ho-a", "wrong").status_code == 401
    assert page_signin(client, "ho-a", PASSWORD).status_code == 429


def test_an_admin_unlocks_an_account(web, site):
    user = web.test_client()
    for address in ("127.0.0.1", ATTACKER):
        for _ in range(limit(web, "SIGNIN_FAILURES_LIMIT")):
            assert page_signin(user, "ho-a", "wrong", address).status_code == 401
    assert page_signin(user, "ho-a", PASSWORD).status_code == 429
    admin = web.test_client()
    sign_in(admin, "admin")
    page = text(admin.get("/admin/accounts"))
    assert "Mở khóa đăng nhập" in page
    uid = site.run(lambda w: w.household_a.id)
    response = admin.post(f"/admin/accounts/{uid}/unlock", follow_redirects=True)
    assert "Đã mở khóa đăng nhập cho ho-a." in text(response)
    assert page_signin(user, "ho-a", PASSWORD).status_code == 302
    # Every address starts again from nothing (and is counted again from here).
    assert page_signin(user, "ho-a", "wrong", ATTACKER).status_code == 401


def test_unlocking_needs_an_admin(web, site):
    uid = site.run(lambda w: w.household_a.id)
    client = web.test_client()
    sign_in(client, "review-a")
    assert client.post(f"/admin/accounts/{uid}/unlock").status_code == 403


def test_two_processes_share_the_counters_in_redis(app, database_url):
    """Two apps stand for two worker processes: on Redis a failure in one counts in the other;
    on memory:// each counts on its own, which is why deployment.problems() names it."""
    redis_or_skip()
    first, second = make_app(database_url, REDIS_URL), make_app(database_url, REDIS_URL)
    Site(first)
    allowed = limit(first, "SIGNIN_FAILURES_LIMIT")
    for i in range(allowed):
        worker = first if i % 2 else second
        assert api_signin(worker.test_client(), "ho-a", "wrong").status_code == 401
    assert api_signin(first.test_client(), "ho-a", PASSWORD).status_code == 429
    assert api_signin(second.test_client(), "ho-a", PASSWORD).status_code == 429
    redis_or_skip()  # empties the database again


def test_memory_storage_is_named_as_a_problem_for_several_processes(app, database_url, caplog):
    assert problems({"RATELIMIT_STORAGE_URI": "memory://"}, workers=2)
    assert problems({}, workers=2) == problems({"RATELIMIT_STORAGE_URI": "memory://"}, workers=2)
    assert problems({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, workers=2) == []
    with caplog.at_level(logging.WARNING):
        make_app(database_url, "memory://", TESTING=False)
    assert any("RATELIMIT_STORAGE_URI" in r.getMessage() for r in caplog.records)


def test_a_malformed_limit_stops_the_app(app, database_url):
    with pytest.raises(ValueError, match="SIGNIN_ADDRESS_LIMITS"):
        make_app(database_url, "memory://", SIGNIN_ADDRESS_LIMITS="lots")



def test_guessing_through_the_password_change_counts_as_sign_in_failures(web, site):
    """A stolen session cannot try current passwords faster than the sign-in page allows: each
    wrong current password counts against the same username and address."""
    from .test_passwords import change

    thief = web.test_client()
    sign_in(thief, "ho-a")
    allowed = limit(web, "SIGNIN_FAILURES_LIMIT")
    for i in range(allowed):
        assert change(thief, f"guess {i}", "mot-mat-khau-moi-rat-dai").status_code == 403
    refused = change(thief, PASSWORD, "mot-mat-khau-moi-rat-dai")
    assert refused.status_code == 429
    assert page_signin(web.test_client(), "ho-a", PASSWORD).status_code == 429
    # Nothing changed: the old password is still the one (once the lock is lifted).
    site.run(lambda w: signin_guard.unlock(w.household_a))
    assert page_signin(web.test_client(), "ho-a", PASSWORD).status_code == 302


def test_an_unlock_is_kept_in_the_audit_trail(web, site):
    admin = web.test_client()
    sign_in(admin, "admin")
    uid = site.run(lambda w: w.household_a.id)
    admin.post(f"/admin/accounts/{uid}/unlock")
    entries = site.run(lambda w: [(e.action, e.entity_id, e.actor_name)
                                  for e in db.session.scalars(select(AuditEntry))])
    assert ("unlock", uid, "admin") in entries
