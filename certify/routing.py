"""Routing shared by the pages and the API: the `id` URL converter, and request-body limits per
view (MAX_CONTENT_LENGTH unless a view asks for another)."""

from __future__ import annotations

from typing import Callable, TypeVar

from flask import Request as FlaskRequest
from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from .services.validate import MAX_INT


class IdConverter(IntegerConverter):
    """A row id in a URL: any run of digits matches, so the address always reaches its view (and
    answers 404 there for an id no row can have). Refusing a number here would make the rule not
    match, and Werkzeug then answers 405 when another rule on the same path takes other methods
    (PATCH /api/v1/nominations/0 did) — a status the API does not document.

    An id no column can hold (0, or past MAX_INT) becomes 0, which no row has and every driver
    binds: lookups find nothing, never overflow."""

    def to_python(self, value: str) -> int:
        digits = value.lstrip("0")
        if len(digits) > len(str(MAX_INT)):  # before int(): Python refuses very long numbers
            return 0
        number = int(digits or "0")
        return number if 1 <= number <= MAX_INT else 0


F = TypeVar("F", bound=Callable)


def body_limit(limit: int | Callable[[], int]) -> Callable[[F], F]:
    """Let one view take bodies up to `limit` bytes (a callable is asked on each request, and
    None from it keeps MAX_CONTENT_LENGTH) instead of MAX_CONTENT_LENGTH. Put it under the route
    decorator:

        @bp.route("/upload", methods=["POST"])
        @body_limit(lambda: current_app.config["UPLOAD_MAX_BODY"])
        def upload(): ...

    The limit holds from the first byte read — also when something reads the body before the
    view runs (the CSRF check reads the form in a before_request hook), which setting
    `request.max_content_length` inside the view would be too late for."""

    def decorate(view: F) -> F:
        view.certify_body_limit = limit  # type: ignore[attr-defined]
        return view

    return decorate


class Request(FlaskRequest):
    """Flask's request, whose body limit is the matched view's `body_limit` if it has one."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.url_rule is not None:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            limit = getattr(view, "certify_body_limit", None)
            if callable(limit):
                limit = limit()
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self):
        """Werkzeug's guarded input stream — except for a body without a Content-Length
        (chunked), which Werkzeug stops reading at the limit and hands on cut short as if it were
        whole; that one is refused (413) instead."""
        limit = self.max_content_length
        if (self.content_length is None and limit is not None
                and self.environ.get("wsgi.input_terminated")):
            return _AtMost(self.environ["wsgi.input"], limit)
        return super().stream


class _AtMost(LimitedStream):
    """A stream of at most `limit` bytes: it reads one byte past the limit to learn whether the
    body goes on, and raises RequestEntityTooLarge (413) when it does."""

    def __init__(self, stream, limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)
        self._at_most = limit

    def readinto(self, b) -> int | None:  # type: ignore[override]
        count = super().readinto(b)
        if self._pos > self._at_most:
            raise RequestEntityTooLarge()
        return count
