"""Errors the services raise; the API turns them into its error table, the pages into messages."""

from __future__ import annotations

from typing import Any


class CertifyError(Exception):
    status = 500
    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(CertifyError):
    status, code = 400, "bad_request"


class Unauthorized(CertifyError):
    status, code = 401, "unauthorized"


class Forbidden(CertifyError):
    status, code = 403, "forbidden"


class NotFound(CertifyError):
    status, code = 404, "not_found"


class TransitionNotAllowed(CertifyError):
    status, code = 409, "transition_not_allowed"


class Stale(CertifyError):
    status, code = 409, "stale"


class Duplicate(CertifyError):
    status, code = 409, "duplicate"


class Invalid(CertifyError):
    """Well-formed but invalid; `details` lists every reason."""

    status, code = 422, "invalid"


class RateLimited(CertifyError):
    """Too many attempts; `retry_after` says in how many seconds to try again (Retry-After)."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, details: Any = None, *, retry_after: int | None = None):
        super().__init__(message, details)
        self.retry_after = retry_after


def invalid(field: str, code: str, message: str) -> Invalid:
    """A single-reason Invalid, for checks that have one thing to say."""
    return Invalid(message, [{"field": field, "code": code, "message": message}])
