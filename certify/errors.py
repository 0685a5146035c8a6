"""Errors and the one table from error to HTTP status and code, for the API, the pages and the
OpenAPI document alike."""

from __future__ import annotations

from typing import Any


class CertifyError(Exception):
    """An error with its place in the table: `status` (HTTP), `code` (api.md's machine word) and
    `doc` (what the OpenAPI document says of it)."""

    status = 500
    code = "internal"
    doc = "A fault in the server (internal); nothing was changed."

    def __init__(self, message: str = "", details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(CertifyError):
    status, code = 400, "bad_request"
    doc = "The body is not JSON, or a field has the wrong type (bad_request)."


class Unauthorized(CertifyError):
    status, code = 401, "unauthorized"
    doc = "Missing, wrong, expired or revoked credentials (unauthorized)."


class Forbidden(CertifyError):
    status, code = 403, "forbidden"
    doc = "The caller's role may not do this (forbidden)."


class NotFound(CertifyError):
    status, code = 404, "not_found"
    doc = "No such object, or outside the caller's scope (not_found)."


class MethodNotAllowed(CertifyError):
    status, code = 405, "method_not_allowed"
    doc = "The address does not take this method (method_not_allowed)."


class Conflict(CertifyError):
    """The object's state does not allow the request (the three api.md codes below)."""

    status, code = 409, "conflict"
    doc = "transition_not_allowed, stale or duplicate."


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class Stale(Conflict):
    code = "stale"


class Duplicate(Conflict):
    code = "duplicate"


class TooLarge(CertifyError):
    """The body is larger than the configured limit; nothing past the limit was read."""

    status, code = 413, "too_large"
    doc = "The body is larger than the configured limit; nothing was read past it (too_large)."


class Invalid(CertifyError):
    """Well-formed but invalid; `details` lists every reason."""

    status, code = 422, "invalid"
    doc = "Well-formed but invalid; details lists each reason (invalid)."


class RateLimited(CertifyError):
    """Too many attempts; `retry_after` says in how many seconds to try again (Retry-After)."""

    status, code = 429, "rate_limited"
    doc = "Too many attempts (rate_limited)."

    def __init__(self, message: str = "", details: Any = None, *,
                 retry_after: int | None = None):
        super().__init__(message, details)
        self.retry_after = retry_after


class Internal(CertifyError):
    """A fault in the server (a bug): never the answer to any input, logged with its trace."""


class Busy(CertifyError):
    """The database stayed busy (another writer held the lock) past the wait limit; nothing was
    changed and the request may be repeated after `retry_after` seconds."""

    status, code = 503, "busy"
    doc = ("The database stayed busy past the wait limit; nothing was changed; try again after "
           "Retry-After seconds (busy).")

    def __init__(self, message: str = "", details: Any = None, retry_after: int = 1):
        super().__init__(message, details)
        self.retry_after = max(1, int(retry_after))


# The table: for each HTTP status, the error it means where no service said more (Werkzeug's
# own answers — unknown address, wrong method, body too large — and the pages' aborts).
BY_STATUS: dict[int, type[CertifyError]] = {cls.status: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict, TooLarge, Invalid,
    RateLimited, Internal, Busy)}


def for_status(status: int | None) -> type[CertifyError]:
    """The error class of an HTTP status; another 4xx is a bad request, another 5xx internal."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    return BadRequest if status is not None and 400 <= status < 500 else Internal


def invalid(field: str, code: str, message: str) -> Invalid:
    """A single-reason Invalid, for checks that have one thing to say."""
    return Invalid(message, [{"field": field, "code": code, "message": message}])
