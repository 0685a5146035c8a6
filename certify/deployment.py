"""Whether the settings suit the number of processes serving the app; gunicorn's start-up check."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

# Session stores every process of the machine sees alike (the auth part's SESSION_STORAGE_URI).
SHARED_SESSION_SCHEMES = ("redis", "rediss", "unix")


def problems(config: Mapping, workers: int) -> list[str]:
    """Why `workers` processes could not serve with this configuration; empty when they can.

    Each process keeps in-memory storage to itself: with several, every one counts its own sign-in
    failures and look-ups (35 guesses then get through where 10 should), and a session created
    by one process is unknown to the others."""
    if workers <= 1:
        return []
    found = []
    limits = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if urlsplit(limits).scheme == "memory":
        found.append(
            f"CERTIFY_RATELIMIT_STORAGE_URI={limits}: mỗi tiến trình trong {workers} tiến trình sẽ "
            f"đếm riêng số lần đăng nhập sai và lượt tra cứu; hãy dùng redis://… "
            f"(each of the {workers} workers would keep its own rate-limit counters; "
            f"use redis://…).")
    sessions = str(config.get("SESSION_STORAGE_URI") or "database")
    if sessions != "database" and urlsplit(sessions).scheme not in SHARED_SESSION_SCHEMES:
        found.append(
            f"CERTIFY_SESSION_STORAGE_URI={sessions}: phiên đăng nhập không được chia sẻ giữa "
            f"{workers} tiến trình; hãy dùng \"database\" hoặc redis://… "
            f"(sessions would not be shared between the {workers} workers; use \"database\" or "
            f"redis://…).")
    return found


def on_starting(server) -> None:
    """gunicorn hook, in the master before any worker starts: refuse to start several workers on
    storage each would keep to itself. Building the app here also validates the configuration and
    the workflow files once, and creates a development secret key before the workers race to."""
    from . import create_app
    from .extensions import db

    app = create_app()
    with app.app_context():
        db.engine.dispose()  # the workers are forked from here: they must not share connections
    server.certify_config = app.config
    found = problems(app.config, server.num_workers)
    if found:
        # gunicorn prints a RuntimeError from a hook as "Error: …" and exits with status 1.
        raise RuntimeError("certify refuses to start:\n  " + "\n  ".join(found))


def nworkers_changed(server, new_value: int, old_value: int | None) -> None:
    """gunicorn hook: the same rule when an operator adds workers at run time (SIGTTIN)."""
    config = getattr(server, "certify_config", None)
    if old_value is None or config is None:  # gunicorn's first setting, before on_starting
        return
    found = problems(config, new_value)
    if found:
        server.log.error("certify keeps %s workers: %s", old_value, " ".join(found))
        server.num_workers = old_value
