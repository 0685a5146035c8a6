"""Logs: every request has an id (the client's when sane), every record of the request carries it,
one access line per request names method, path, status, duration and account — and nothing
secret or personal (no password, token, cookie or query string)."""

from __future__ import annotations

import io
import json
import re

import pytest

from certify import create_app, logs
from certify.extensions import db

from .conftest import TEST_CONFIG
from .factories import PASSWORD
from .web_support import Site, sign_in


@pytest.fixture
def site(app):
    return Site(app)


class Captured:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def raw(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.raw.splitlines() if line.strip()]

    def access(self, request_id: str) -> list[dict]:
        return [r for r in self.records()
                if r["logger"] == logs.ACCESS_LOGGER and r["request_id"] == request_id]


def capture(app) -> Captured:
    """What the app's real log handler writes, read from a buffer instead of stderr."""
    stream = io.StringIO()
    logs.install_handler(app).setStream(stream)
    return Captured(stream)


@pytest.fixture
def logged(app):
    captured = capture(app)
    yield captured
    logs.install_handler(app)  # back to stderr


def test_each_request_gets_an_id_in_the_header_and_one_access_line(client, logged):
    first = client.get("/verify/NO-SUCH-CODE")
    second = client.get("/verify/NO-SUCH-CODE")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert ids[0] != ids[1]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    (line,) = logged.access(ids[0])
    assert line["method"] == "GET" and line["path"] == "/verify/NO-SUCH-CODE"
    assert line["status"] == first.status_code and line["user_id"] is None
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and "timestamp" in line


@pytest.mark.parametrize("incoming, kept", [
    ("req-42.abc_DEF", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("has space", False),
    ("semi;colon", False),
    ("", False),
])
def test_a_sane_incoming_request_id_is_kept_any_other_replaced(client, logged, incoming, kept):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    chosen = response.headers["X-Request-ID"]
    assert (chosen == incoming) is kept
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", chosen)
    assert len(logged.access(chosen)) == 1


def test_the_access_line_names_the_account_and_never_secrets(app, client, site, logged):
    response = sign_in(client, "admin")
    cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    admin_id = site.run(lambda w: w.admin.id)
    page = client.get("/review/?q=nguyen+van+an&national_id=038100000001")
    (line,) = logged.access(page.headers["X-Request-ID"])
    assert line["user_id"] == admin_id and line["path"] == "/review/"

    token = client.post("/api/v1/auth/token", json={"username": "approve", "password": PASSWORD})
    bearer = token.get_json()["token"]
    api = client.get("/api/v1/nominations", headers={"Authorization": f"Bearer {bearer}"})
    (line,) = logged.access(api.headers["X-Request-ID"])
    assert line["user_id"] == site.run(lambda w: w.approver.id)

    raw = logged.raw
    for secret in (PASSWORD, bearer, cookie, "nguyen", "038100000001", "national_id"):
        assert secret not in raw


def test_a_control_character_in_the_path_cannot_forge_a_line(client, logged):
    response = client.get("/verify/abc%0A%7B%22forged%22%3A1%7D")
    (line,) = logged.access(response.headers["X-Request-ID"])
    assert "\n" not in line["path"] and "\\x0a" in line["path"]
    assert all("forged" not in r for r in logged.records())


def test_unhandled_errors_are_logged_with_the_request_id_and_traceback(database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                      "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        app.logger.warning("about to fail")
        raise RuntimeError("kaput")

    captured = capture(app)
    try:
        response = app.test_client().get("/boom", headers={"X-Request-ID": "trace-me-1"})
        assert response.status_code == 500
        assert response.headers["X-Request-ID"] == "trace-me-1"
        mine = [r for r in captured.records() if r["request_id"] == "trace-me-1"]
        warning = next(r for r in mine if r["message"] == "about to fail")
        assert warning["level"] == "WARNING"
        error = next(r for r in mine if r["level"] == "ERROR")
        assert "Traceback" in error["exc_info"] and "RuntimeError: kaput" in error["exc_info"]
        assert [r["status"] for r in mine if r["logger"] == logs.ACCESS_LOGGER] == [500]
    finally:
        with app.app_context():
            db.engine.dispose()


def test_text_format_carries_the_request_id_too(database_url, app):
    text_app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "LOG_FORMAT": "text"})
    captured = capture(text_app)
    try:
        response = text_app.test_client().get("/healthz")
        rid = response.headers["X-Request-ID"]
        assert re.search(rf"INFO certify\.access \[{rid}\] GET /healthz 200 ", captured.raw)
    finally:
        logs.install_handler(app)  # the session's app writes JSON again
        with text_app.app_context():
            db.engine.dispose()


def test_an_unknown_log_format_stops_the_app(database_url):
    with pytest.raises(ValueError, match="CERTIFY_LOG_FORMAT"):
        create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "LOG_FORMAT": "xml"})
