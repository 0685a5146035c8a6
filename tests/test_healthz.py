"""/healthz: 200 when the database answers at the code's migration head, 503 with the reason when
it is behind or unreachable; no account, no cookie, no caching, nothing personal."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from certify import create_app
from certify.backup import script_directory
from certify.extensions import db

from .conftest import TEST_CONFIG


def code_head() -> str:
    return ",".join(sorted(script_directory().get_heads()))


def test_healthy_database_at_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": code_head()}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


def test_needs_no_account_and_ignores_a_bad_one(client):
    response = client.get("/healthz", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 200


@pytest.fixture
def other_app(tmp_path):
    """An app on a database of its own, to be left behind the code's schema."""
    made = []

    def build(url: str):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_a_database_behind_the_code_is_unhealthy_until_migrated(other_app, tmp_path):
    app = other_app(f"sqlite:///{tmp_path / 'behind.sqlite3'}")
    client = app.test_client()

    empty = client.get("/healthz")
    assert empty.status_code == 503
    body = empty.get_json()
    assert body["status"] == "error" and body["database"] == "ok"
    assert body["migrations"] is None and body["expected"] == code_head()
    assert "init-db" in body["reason"]
    assert empty.headers["Cache-Control"] == "no-store"

    parent = script_directory().get_revision(code_head()).down_revision
    older = parent[0] if isinstance(parent, tuple) else parent
    with app.app_context():
        upgrade(revision=older)
    behind = client.get("/healthz")
    assert behind.status_code == 503
    assert behind.get_json()["migrations"] == older

    with app.app_context():
        upgrade()
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_database_is_unhealthy_and_the_answer_tells_no_secrets(other_app):
    # Nothing listens on port 1; the URL's password must not reach the answer.
    app = other_app("postgresql://certify:s3cret-pw@127.0.0.1:1/certify?connect_timeout=2")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"] == "error"
    raw = response.get_data(as_text=True)
    assert "s3cret" not in raw and "127.0.0.1" not in raw
