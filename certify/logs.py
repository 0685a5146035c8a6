"""Logging: JSON (or text) lines that carry their request's id, and one access line per request.

Every request gets an id: the client's or proxy's `X-Request-ID` when it is a sane token, else a new
one. It is kept in `g.request_id`, added to every record logged while the request runs (a filter on
the handler) and sent back in the `X-Request-ID` header, so a user's report, the proxy's log and
ours meet on one id. The access line names the method, the path without its query string (which
may hold names or CCCD numbers), the status, the duration and the account's id — never a body,
a password, a token or a cookie.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
ACCESS_LOGGER = "certify.access"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Requests whose access line need not look the account up (the load balancer polls /healthz).
_NO_ACCOUNT = {"static", "health.healthz"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record: the current request's, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def request_id() -> str:
    """The current request's id (chosen by the first before_request function)."""
    if "request_id" not in g:
        _choose_id()
    return g.request_id


def _choose_id() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if SANE_ID.match(incoming) else uuid.uuid4().hex


def formatter(kind: str) -> logging.Formatter:
    if kind == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    return JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s",
                         rename_fields={"levelname": "level", "name": "logger"}, timestamp=True,
                         json_ensure_ascii=False)


def configure(app: Flask) -> None:
    """Send the app's logs (the `certify` logger and its children) to stderr in the configured
    format, replacing Flask's default handler, and log one access line per request."""
    install_handler(app)
    # First of all before_request functions, so that a request another hook stops (a rate limit,
    # a bad request) still has its id and its start time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def install_handler(app: Flask) -> logging.Handler:
    """(Re)install the app's log handler; the logger is per process, so the last call wins."""
    kind = app.config["LOG_FORMAT"]
    if kind not in ("json", "text"):
        raise ValueError(f"CERTIFY_LOG_FORMAT must be json or text, not {kind!r}")
    logger = app.logger
    logger.removeHandler(default_handler)
    for old in [h for h in logger.handlers if getattr(h, "certify", False)]:
        logger.removeHandler(old)  # create_app may run again in one process (tests, shells)
    handler = logging.StreamHandler(sys.stderr)
    handler.certify = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    # Each line once, in our format, whatever handlers a server or a library put on the root.
    logger.propagate = False
    return handler


def _start() -> None:
    _choose_id()  # afresh: a test or shell may run several requests in one application context
    g.request_started = time.perf_counter()


def _finish(response):
    rid = request_id()
    response.headers[HEADER] = rid
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    path = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", request.path[:500])
    method = _CONTROL.sub("?", request.method[:16])
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %s ms", method, path, response.status_code, duration,
        extra={"method": method, "path": path, "status": response.status_code,
               "duration_ms": duration, "user_id": _user_id()})
    return response


def _user_id() -> int | None:
    """The acting account's id: the API's bearer token, or the page session's account."""
    actor = g.get("actor")
    if actor is not None:
        return actor.id
    if request.path.startswith("/api/") or request.endpoint in _NO_ACCOUNT:
        return None
    try:
        from flask_login import current_user

        return current_user.id if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 — the access line must never turn an answer into an error
        return None
