"""Several processes only on shared storage: certify.deployment.problems, and real gunicorn started
with deploy/gunicorn.conf.py refusing several workers on in-memory rate limits."""

from __future__ import annotations

import pytest

from certify import create_app
from certify.deployment import problems
from tests.conftest import TEST_CONFIG

from .servers import Browser, Gunicorn, environment

SHARED = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "SESSION_STORAGE_URI": "database"}


def test_one_worker_may_keep_everything_in_memory():
    assert problems({"RATELIMIT_STORAGE_URI": "memory://"}, 1) == []


def test_the_defaults_refuse_several_workers(database_url):
    """Out of the box (memory:// limits) only one process may serve."""
    config = create_app({**TEST_CONFIG, "DATABASE_URL": database_url}).config
    assert problems(config, 1) == []
    found = problems(config, 3)
    assert len(found) == 1 and "CERTIFY_RATELIMIT_STORAGE_URI=memory://" in found[0]


@pytest.mark.parametrize("sessions", ["database", "redis://127.0.0.1:6379/0",
                                      "rediss://cache.example:6380/1"])
def test_shared_storage_serves_any_number_of_workers(sessions):
    assert problems({**SHARED, "SESSION_STORAGE_URI": sessions}, 8) == []


def test_sessions_kept_in_one_process_are_refused():
    found = problems({**SHARED, "SESSION_STORAGE_URI": "memory://"}, 2)
    assert len(found) == 1 and "CERTIFY_SESSION_STORAGE_URI=memory://" in found[0]


def test_both_problems_are_named():
    found = problems({"RATELIMIT_STORAGE_URI": "memory://", "SESSION_STORAGE_URI": "filesystem"}, 4)
    assert len(found) == 2


@pytest.fixture
def sqlite_env(tmp_path):
    return environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'certify.sqlite3'}",
                       RATELIMIT_STORAGE_URI="memory://")


@pytest.mark.slow
def test_gunicorn_refuses_two_workers_on_memory_storage(sqlite_env):
    server = Gunicorn(sqlite_env, "--workers", "2")
    try:
        assert server.url is None, "gunicorn served with per-worker rate limits"
        assert server.exit_code() != 0
        assert "certify refuses to start" in server.output
        assert "CERTIFY_RATELIMIT_STORAGE_URI=memory://" in server.output
        assert "Booting worker" not in server.output
    finally:
        server.stop()


@pytest.mark.slow
def test_gunicorn_serves_one_worker_on_memory_storage(sqlite_env):
    server = Gunicorn(sqlite_env, "--workers", "1")
    try:
        assert server.url, server.output
        status, _, page = Browser(server.url).get("/")
        assert status == 200 and "Công nhận danh hiệu học tập" in page
    finally:
        server.stop()
