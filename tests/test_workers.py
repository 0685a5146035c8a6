"""Three real gunicorn workers on PostgreSQL and Redis, started with deploy/gunicorn.conf.py:
sign-in throttling and the public look-ups' limit hold across them, a session survives requests
served by different ones through a whole journey (household → reviewer → approver → public
look-up), and signing out ends it on every one of them.

Runs when CERTIFY_TEST_DATABASE_URL is PostgreSQL (it creates and drops a database of its own
beside that one) and Redis answers at CERTIFY_TEST_REDIS_URL (default redis://127.0.0.1:6379/3,
a database this test flushes); under CI (CI=true) a missing Redis is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis
from limits import parse
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certify.config import Defaults
from tests.factories import CITIZEN_PASS, one_item_decision

from .servers import Browser, Gunicorn, csrf_token, environment, flask

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("CERTIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
WORKERS = 3
# Demo accounts (certify/data/bim-son.yaml): a household of phường Ba Đình, the ward's reviewer
# and the town's approver.
HOUSEHOLD, REVIEWER, APPROVER = "ho-ba-dinh", "tham-dinh-ba-dinh", "phe-duyet-bim-son"
# Small, so that a test can go past it quickly; the same storage as the sign-in counters.
PUBLIC_LIMIT = "6 per minute"


@dataclass
class Deployment:
    server: Gunicorn
    password: str
    redis: redis.Redis

    @property
    def url(self) -> str:
        return self.server.url


def _postgresql_url() -> str:
    url = os.environ.get("CERTIFY_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("several workers are tested on PostgreSQL (CERTIFY_TEST_DATABASE_URL)")
    return url


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis does not answer at {REDIS_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return client


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    url = make_url(_postgresql_url())
    store = _redis()
    own = url.set(database=f"{url.database}_workers")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = own.database

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store.flushdb()
    env = environment(tmp_path_factory.mktemp("workers"),
                      DATABASE_URL=own.render_as_string(hide_password=False),
                      RATELIMIT_STORAGE_URI=REDIS_URL, SESSION_STORAGE_URI=REDIS_URL,
                      PUBLIC_RATE_LIMIT=PUBLIC_LIMIT, WORKERS=WORKERS)
    server = None
    try:
        flask(env, "init-db")
        password = secrets.token_urlsafe(16)
        flask(env, "demo-data", "--password", password)
        server = Gunicorn(env)
        assert server.url, server.output
        server.wait_for("Booting worker", WORKERS)
        yield Deployment(server, password, store)
    finally:
        if server is not None:
            server.stop()
        store.flushdb()
        drop()
        admin.dispose()


@pytest.fixture
def deployed(deployment):
    """Each test starts with no counters and no sessions."""
    deployment.redis.flushdb()
    return deployment


def test_signin_throttling_holds_across_workers(deployed):
    """api.md: after the limit of failed sign-ins for one username in the window, /auth/token
    answers 429 rate_limited for that username — however many processes serve, and however
    many guesses arrive at once."""
    limit = parse(Defaults.SIGNIN_FAILURES_LIMIT).amount
    guesses = 35

    def guess(i: int):
        return Browser(deployed.url).post(f"/api/v1/auth/token?guess={i}",
                                          json_body={"username": REVIEWER,
                                                     "password": f"doan-sai-{i}"})

    with ThreadPoolExecutor(max_workers=7) as pool:
        answers = list(pool.map(guess, range(guesses)))
    statuses = [status for status, _, _ in answers]
    assert len(deployed.server.workers_serving("guess=")) > 1, "one worker served every guess"
    assert statuses.count(401) == limit, statuses
    assert statuses.count(429) == guesses - limit, statuses
    assert all('"rate_limited"' in body for status, _, body in answers if status == 429)
    # The right password does not open the locked username from here either, until the window ends.
    status, _, body = Browser(deployed.url).post(
        "/api/v1/auth/token", json_body={"username": REVIEWER, "password": deployed.password})
    assert status == 429 and '"rate_limited"' in body


def test_public_look_ups_are_limited_across_workers(deployed):
    allowed = parse(PUBLIC_LIMIT).amount
    look_ups = 3 * allowed

    def look_up(i: int):
        return Browser(deployed.url).get(f"/api/v1/public/dossiers/CDHT-0000-NONE{i}?probe={i}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [status for status, _, _ in pool.map(look_up, range(look_ups))]
    assert len(deployed.server.workers_serving("probe=")) > 1, "one worker served every look-up"
    assert statuses.count(404) == allowed, statuses
    assert statuses.count(429) == look_ups - allowed, statuses


def test_signing_out_ends_the_session_on_every_worker(deployed):
    household = Browser(deployed.url)
    _, _, page = household.get("/signin")
    status, where, _ = household.post("/signin", form={
        "csrf_token": csrf_token(page), "username": HOUSEHOLD, "password": deployed.password})
    assert status == 200 and "/household" in where
    # A copy of the cookie, as a thief would have it.
    copy = Browser(deployed.url)
    for cookie in household.cookies:
        copy.cookies.set_cookie(cookie)
    status, where, page = copy.get("/household/")
    assert status == 200 and where.endswith("/household/")
    household.post("/signout", form={"csrf_token": csrf_token(page)})

    def with_copy(i: int):
        return copy.get(f"/household/?after={i}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(with_copy, range(12)))
    assert len(deployed.server.workers_serving("after=")) > 1, "one worker served every request"
    assert all("/signin" in where for _, where, _ in answers), [w for _, w, _ in answers]


def test_a_journey_across_workers(deployed):
    household = Browser(deployed.url)
    _, _, page = household.get("/signin")
    status, where, page = household.post("/signin", form={
        "csrf_token": csrf_token(page), "username": HOUSEHOLD, "password": deployed.password})
    assert status == 200 and "/household" in where, page

    # The household adds a member…
    _, _, page = household.get("/household/members/new")
    national_id = f"038{secrets.randbelow(10**9):09d}"
    status, where, page = household.post("/household/members/new", form={
        "csrf_token": csrf_token(page), "full_name": "Phạm Thị Thu", "national_id": national_id,
        "birth_year": "1985", "gender": "female", "target_group": "worker"})
    assert status == 200 and where.endswith("/household/") and "Phạm Thị Thu" in page, page
    section = next(s for s in page.split('<section class="card" id="member-') if national_id in s)
    person_id = section.split('"', 1)[0]
    year = re.search(r'<option value="(\d{4})"', section).group(1)

    # …nominates them and submits a passing self-assessment.
    status, where, page = household.post("/household/nominate", form={
        "csrf_token": csrf_token(section), "person_id": person_id, "year": year})
    assert status == 200 and "/household/nominations/" in where, page
    nomination_id = int(where.rstrip("/").split("/")[-1])
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    status, _, page = household.post(f"/household/nominations/{nomination_id}", form={
        "csrf_token": csrf_token(page), "version": version, "action": "submit", "declared": "1",
        **{f"c-{code}": str(points) for code, points in CITIZEN_PASS.items()}})
    assert status == 200, page

    # The session (one cookie) is known to every worker: many requests at once, all signed in.
    def household_page(i: int):
        return household.get(f"/household/?probe={i}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(household_page, range(18)))
    assert all(status == 200 and "/household/" in where and "Phạm Thị Thu" in body
               for status, where, body in pages)
    assert len(deployed.server.workers_serving("probe=")) > 1, "one worker served every request"

    # The ward verifies and the town approves, through the API.
    reviewer, approver = _token(deployed, REVIEWER), _token(deployed, APPROVER)
    nomination = _api(deployed, "GET", f"/nominations/{nomination_id}", reviewer)
    assert nomination["state"] == "submitted"
    nomination = _api(deployed, "POST", f"/nominations/{nomination_id}/events", reviewer,
                      {"event": "verify", "version": nomination["version"],
                       "assessment": CITIZEN_PASS})
    assert nomination["state"] == "verified"
    nomination = _api(deployed, "POST", f"/nominations/{nomination_id}/events", approver,
                      {"event": "approve", "version": nomination["version"],
                       "decision": one_item_decision(date=_today())})
    assert nomination["state"] == "approved"

    # Anyone can follow the dossier by its receipt code; the household sees it approved.
    code = nomination["receipt_code"]
    assert _api(deployed, "GET", f"/public/dossiers/{code}")["state"] == "approved"
    status, _, page = Browser(deployed.url).get(f"/lookup?code={code}")
    assert status == 200 and code in page
    status, where, page = household.get(f"/household/nominations/{nomination_id}")
    assert status == 200 and where.endswith(f"/household/nominations/{nomination_id}")


def _today() -> str:
    """Today where the deployment counts its days (its default CERTIFY_TIMEZONE)."""
    return datetime.now(ZoneInfo(Defaults.TIMEZONE)).date().isoformat()


def _token(deployed, username: str) -> dict:
    body = _api(deployed, "POST", "/auth/token", None,
                {"username": username, "password": deployed.password})
    return {"Authorization": f"Bearer {body['token']}"}


def _api(deployed, method: str, path: str, headers: dict | None = None, body: dict | None = None):
    status, _, text_ = Browser(deployed.url).request(method, "/api/v1" + path, json_body=body,
                                                    headers=headers)
    assert status in (200, 201), (method, path, status, text_)
    return json.loads(text_)
