"""A database that stays busy: while another connection holds the lock a write needs, the request
waits DATABASE_LOCK_TIMEOUT and answers 503 `busy` with Retry-After — nothing changed, and the
same request goes through once the lock is released. On SQLite (the write lock) and on
PostgreSQL (row and table locks, lock_timeout)."""

from __future__ import annotations

import math
import sqlite3
from contextlib import contextmanager

import pytest

from certify import create_app
from certify.models import HistoryEntry, Person
from tests.api_client import Api
from tests.conftest import TEST_CONFIG, Client
from tests.factories import PASSWORD

from .web_support import Site, sign_in, text

# Short, so the tests do not sit out the production default; the behaviour is the same.
LOCK_TIMEOUT = 0.3


@pytest.fixture
def busy_app(app, database_url):
    """A second app on the same database, as another worker process would be, with a short wait."""
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                        "DATABASE_LOCK_TIMEOUT": LOCK_TIMEOUT})
    other.test_client_class = Client
    yield other
    from certify.extensions import db

    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def api(busy_app):
    return Api(busy_app.test_client())


@contextmanager
def holding(database_url: str, *, row: tuple[str, int] | None = None, table: str | None = None):
    """Another connection holding the lock a write needs: SQLite's database write lock, or on
    PostgreSQL a row lock (SELECT ... FOR UPDATE) or a table lock."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.split("sqlite:///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        conn = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
        if row is not None:
            conn.execute(f"SELECT id FROM {row[0]} WHERE id = %s FOR UPDATE", (row[1],))
        if table is not None:
            conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def assert_busy(r):
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) == math.ceil(LOCK_TIMEOUT)


def test_an_event_on_a_locked_nomination_is_503_busy_and_changes_nothing(api, site, database_url):
    nid = site.nomination("submitted")
    before = site.nomination_row(nid)
    api.token("review-a")  # signing in writes a token: before the lock is taken
    body = {"event": "return", "version": before.version, "comment": "Bổ sung minh chứng"}
    with holding(database_url, row=("nominations", nid)):
        r = api.post(f"/nominations/{nid}/events", "review-a", json=body)
        assert_busy(r)
        assert r.get_json()["error"]["code"] == "busy"
    after = site.nomination_row(nid)
    assert (after.state, after.version) == (before.state, before.version)
    assert site.count(HistoryEntry) == 1  # the submission only
    r = api.post(f"/nominations/{nid}/events", "review-a", json=body)
    assert r.status_code == 200 and r.get_json()["state"] == "returned"


def test_registering_a_person_while_the_table_is_locked_is_503_busy(api, site, database_url):
    api.token("ho-a")
    body = {"full_name": "Lê Văn Cường", "national_id": "038199900001", "birth_year": 1990,
            "gender": "male", "target_group": "worker"}
    with holding(database_url, table="persons"):
        assert_busy(api.post("/persons", "ho-a", json=body))
    assert site.count(Person) == 2
    assert api.post("/persons", "ho-a", json=body).status_code == 201


def test_a_page_that_finds_the_database_busy_says_so(busy_app, site, database_url):
    client = busy_app.test_client()
    sign_in(client, "review-a", PASSWORD)
    nid = site.nomination("submitted")
    with holding(database_url, row=("nominations", nid)):
        r = client.post(f"/review/nominations/{nid}",
                        data={"event": "return", "version": "2", "comment": "Bổ sung"})
        assert_busy(r)
        assert "Hệ thống đang bận" in text(r)
    assert site.nomination_row(nid).state == "submitted"

