"""Fixtures: one app per test session on a real database (SQLite file, or PostgreSQL when
CERTIFY_TEST_DATABASE_URL is set), schema built by the Alembic migrations, tables emptied
between tests."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from flask import has_app_context
from flask_babel import refresh
from flask.testing import FlaskClient

from certify import create_app
from certify.extensions import db, limiter
from certify.services import signin_guard

from .factories import World, build_world


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("CERTIFY_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'certify-test.sqlite3'}"


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    # The cheapest argon2 settings: password checks are not what these tests measure.
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_KIB": 8,
    # The demo's history at a hundredth of the town's citizens (flask demo-data without --scale).
    "DEMO_SCALE": 0.01,
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


class Client(FlaskClient):
    """A test client whose requests see the database as a fresh request would.

    A test that holds an application context (the `ctx` fixture) shares it with the requests it
    makes (Flask reuses a pushed context), and with it the session's open transaction and cached
    objects. Ending that transaction around each request gives the request, and the test after
    it, a current view — as separate requests have in production."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
            refresh()  # Flask-Babel caches the locale on the (shared) context
        try:
            return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                db.session.commit()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    # Evidence files (the dossiers' documents the factories attach) go to a folder of the run.
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                      "EVIDENCE_FOLDER": str(tmp_path_factory.mktemp("evidence"))})
    app.test_client_class = Client
    with app.app_context():
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_everything() -> None:
    """Start from an empty database, whatever an earlier run left behind."""
    db.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()
        signin_guard.reset()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(ctx) -> World:
    """A province, a district with two wards, accounts for every role, a household member and an
    organization — see tests/factories.py."""
    return build_world()
