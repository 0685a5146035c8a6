"""Several real processes: gunicorn with three workers on Redis-backed limits and sessions. Sign-in
guesses, public look-ups and a signed-in browser are served by whichever worker accepts each
connection, and the counts and the session hold across them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from limits import parse_many

from .factories import PASSWORD
from .test_sessions import REDIS_URL, redis_or_skip
from .web_support import Site, csrf_token

REPOSITORY = Path(__file__).resolve().parents[1]
PUBLIC_LIMIT = "6 per minute"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def workers(app, database_url):
    """gunicorn with three workers, started once for this module (they boot slowly)."""
    redis_or_skip()
    port = _free_port()
    env = {**os.environ, "CERTIFY_DATABASE_URL": database_url, "CERTIFY_SECRET_KEY": "workers",
           "CERTIFY_RATELIMIT_STORAGE_URI": REDIS_URL, "CERTIFY_SESSION_STORAGE_URI": REDIS_URL,
           "CERTIFY_PUBLIC_RATE_LIMIT": PUBLIC_LIMIT}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "3", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--no-control-socket", "certify:create_app()"],
        cwd=REPOSITORY, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # workers boot slowly on a busy machine
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped: {process.stderr.read().decode()[-2000:]}")
            try:
                requests.get(f"{url}/signin", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn's workers did not answer within 180 s")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis_or_skip()  # empty the Redis database again


@pytest.fixture
def server(workers, app):
    redis_or_skip()  # no counts or sessions from an earlier test
    Site(app)  # the accounts, in the database the workers use
    return workers


def _at_once(count: int, request) -> Counter:
    start = threading.Barrier(count)
    statuses: list[int] = []

    def run(i: int):
        start.wait()
        statuses.append(request(i).status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(statuses)


def test_guesses_across_workers_let_through_at_most_the_limit(server, app):
    allowed = parse_many(app.config["SIGNIN_FAILURES_LIMIT"])[0].amount
    statuses = _at_once(3 * allowed, lambda i: requests.post(
        f"{server}/api/v1/auth/token", json={"username": "ho-a", "password": f"guess {i}"},
        timeout=60))
    assert statuses == {401: allowed, 429: 2 * allowed}
    refused = requests.post(f"{server}/api/v1/auth/token",
                            json={"username": "ho-a", "password": PASSWORD}, timeout=60)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_public_look_ups_are_limited_across_workers(server):
    allowed = parse_many(PUBLIC_LIMIT)[0].amount
    statuses = _at_once(3 * allowed, lambda i: requests.get(
        f"{server}/api/v1/public/dossiers/CDHT-0000-NONE{i}", timeout=60))
    assert statuses == {404: allowed, 429: 2 * allowed}


def test_a_session_holds_across_workers_and_ends_for_all_of_them(server):
    browser = requests.Session()
    token = csrf_token(browser.get(f"{server}/signin", timeout=60).text)
    signed_in = browser.post(f"{server}/signin", data={"username": "ho-a", "password": PASSWORD,
                                                       "csrf_token": token},
                             allow_redirects=False, timeout=60)
    assert signed_in.status_code == 302
    copy = requests.Session()
    copy.cookies.set("session", browser.cookies["session"])
    # Each request is a new connection, which any of the three workers may accept.
    for _ in range(9):
        assert browser.get(f"{server}/household/", allow_redirects=False,
                           timeout=60).status_code == 200
    assert copy.get(f"{server}/household/", allow_redirects=False, timeout=60).status_code == 200
    token = csrf_token(browser.get(f"{server}/household/", timeout=60).text)
    assert browser.post(f"{server}/signout", data={"csrf_token": token}, allow_redirects=False,
                        timeout=60).status_code == 302
    for _ in range(6):
        assert copy.get(f"{server}/household/", allow_redirects=False,
                        timeout=60).status_code == 302
