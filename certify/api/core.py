"""The API's plumbing: operations registered with their OpenAPI description, bearer
authentication, JSON parsing (the one place a body is read), errors in api.md's shape,
pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from flask import current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from .. import messages
from ..errors import (BadRequest, CertifyError, Forbidden, Internal, Invalid, TooLarge,
                      Unauthorized, for_status)
from ..models import User
from ..services import accounts
from ..services.validate import MAX_INT
from . import bp


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    status: int
    body: type[BaseModel] | None
    response: Any
    errors: tuple[int, ...]
    public: bool
    query: dict[str, dict] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    description: str = ""
    body_media: str = "application/json"
    response_media: tuple[str, ...] = ("application/json",)
    # Other success statuses answered with the same response shape (e.g. 200 beside 201).
    also: tuple[int, ...] = ()
    # Other media types the request body may have: media type → its OpenAPI schema.
    other_bodies: dict[str, dict] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
_PUBLIC_ENDPOINTS: set[str] = set()


def operation(rule: str, method: str, *, summary: str, tag: str, status: int = 200,
              body: type[BaseModel] | None = None, response: Any = None,
              errors: tuple[int, ...] = (), public: bool = False,
              query: dict[str, dict] | None = None, roles: tuple[str, ...] = (),
              description: str = "", body_media: str = "application/json",
              response_media: tuple[str, ...] = ("application/json",),
              also: tuple[int, ...] = (),
              other_bodies: dict[str, dict] | None = None) -> Callable:
    """Register a view under /api/v1 together with what the OpenAPI document says of it.

    `roles` restricts the operation to those account roles (403 for the others); `description`
    is the document's longer text for it. `body_media` is the request body's media type (the
    `body` shape then describes a form's fields); `response_media` other than JSON means the
    success answer is a file's bytes in one of those types. `other_bodies` lists other media
    types the body may have (media type → OpenAPI schema), which the view reads itself."""

    def register(view: Callable) -> Callable:
        endpoint = f"{view.__name__}_{method.lower()}"
        if roles:
            inner = view

            def view(*args, **kwargs):  # noqa: F811 — the role-checked wrapper
                if actor().role not in roles:
                    raise Forbidden("Your account's role may not do this.",
                                    {"roles": list(roles)})
                return inner(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
        if public:
            _PUBLIC_ENDPOINTS.add(f"{bp.name}.{endpoint}")
        OPERATIONS.append(Operation(rule, method, endpoint, summary, tag, status, body, response,
                                    tuple(errors), public, dict(query or {}), tuple(roles),
                                    description, body_media, tuple(response_media),
                                    tuple(also), dict(other_bodies or {})))
        return view

    return register


def actor() -> User:
    return g.actor


@bp.before_request
def authenticate() -> None:
    """Every operation but the public ones needs `Authorization: Bearer <token>` (401 first)."""
    if request.endpoint in _PUBLIC_ENDPOINTS or request.endpoint is None:
        refuse_nul()
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: send Authorization: Bearer <token>.")
    g.actor, g.token = accounts.user_for_token(token.strip())
    refuse_nul()


def refuse_nul() -> None:
    """A NUL character is never part of a real name, code or query, and PostgreSQL refuses it in
    text: such a request is a bad request, not a server error."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v
                                      for k, v in request.args.items(multi=True)):
        raise BadRequest("The request contains a NUL character.")


def body() -> bytes:
    """The request's body, read once and kept: 413 `too_large` past the request's limit
    (MAX_CONTENT_LENGTH, or what the view raised it to). Werkzeug refuses a declared length over
    the limit before reading anything; a chunked body without a length is refused as soon as it
    goes past the limit (certify.routing.Request)."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = request.max_content_length
        raise TooLarge(f"The body is larger than {limit} bytes.", {"limit": limit}) from None


def parse(model: type[BaseModel]) -> BaseModel:
    """The request body as `model`: 400 when it is not JSON (also when nested past the parser's
    depth limit) or a field has the wrong type, 422 when a required field is missing or a text is
    longer than its field takes. Parsed once per request: asking again returns the same result
    (or raises the same error)."""
    parsed = request.environ.setdefault("certify.parsed", {})  # this request's, not the context's
    if model not in parsed:
        try:
            parsed[model] = _validate(model, body())
        except CertifyError as error:
            parsed[model] = error
    result = parsed[model]
    if isinstance(result, CertifyError):
        raise result
    return result


def _validate(model: type[BaseModel], raw: bytes) -> BaseModel:
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=True, include_input=False)
    except (ValueError, RecursionError):  # the parser's own limits (depth, size of a number)
        raise BadRequest("The body is not a JSON object of the expected shape.") from None
    details = []
    for e in errors:
        field = ".".join(str(p) for p in e["loc"]) or "(body)"
        if e["type"] == "string_too_long":
            limit = (e.get("ctx") or {}).get("max_length")
            details.append({"field": field, "code": "too_long", "max_length": limit,
                            "message": f"{field} is longer than {limit} characters."})
        else:
            details.append({"field": field, "code": e["type"], "message": e["msg"]})
    if all(d["code"] in ("missing", "too_long") for d in details):
        raise Invalid("Some fields are missing or too long.", details)
    raise BadRequest("The body is not a JSON object of the expected shape.",
                     [d for d in details if d["code"] not in ("missing", "too_long")])


def query_int(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"Query parameter {name} must be a whole number.",
                         [{"field": name, "code": "int_parsing",
                           "message": "not a whole number"}]) from None
    if abs(number) > MAX_INT:
        raise Invalid(f"Query parameter {name} is out of range.",
                      [{"field": name, "code": "out_of_range", "message": "out of range"}])
    return number


def query_date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Query parameter {name} must be a date YYYY-MM-DD.",
                         [{"field": name, "code": "date_parsing", "message": "not a date"}]) from None


MAX_PER_PAGE = 200


def page_args() -> tuple[int, int]:
    page = query_int("page", 1)
    per_page = query_int("per_page", 50)
    if page < 1:
        raise Invalid("page starts at 1.",
                      [{"field": "page", "code": "out_of_range", "message": "page starts at 1"}])
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise Invalid(f"per_page is between 1 and {MAX_PER_PAGE}.",
                      [{"field": "per_page", "code": "out_of_range",
                        "message": f"per_page is between 1 and {MAX_PER_PAGE}"}])
    return page, per_page


def page_json(page, serialize: Callable) -> dict:
    return {"items": [serialize(item) for item in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page}


PAGE_QUERY = {
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_INT, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
}


def error_response(error: CertifyError, status: int | None = None):
    """The error in the contract's shape, with the status and code of the one table
    (certify/errors.py); `message` (and each reason's) in the language the client asks for with
    Accept-Language — Vietnamese unless it asks for English."""
    body = {"error": {"code": error.code, "message": messages.summary(error),
                      "details": messages.localized_details(error.details)}}
    response = jsonify(body)
    response.status_code = status or error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="certify"'
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(CertifyError)
def _certify_error(error: CertifyError):
    return error_response(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_error(error)


def http_error(error: HTTPException):
    """Werkzeug's own errors (unknown route, wrong method, body too large, rate limit) in the
    API's shape, with the code the one table gives their status."""
    status = error.code or 500
    details = None
    if status == 413:
        details = {"limit": request.max_content_length}
    response = error_response(for_status(status)(error.description or "", details), status)
    # Werkzeug's Allow (405) and Flask-Limiter's Retry-After (429) stay with the answer.
    headers = error.response.headers if error.response is not None else dict(error.get_headers())
    for name in ("Allow", "Retry-After"):
        if name in headers:
            response.headers[name] = headers[name]
    return response


@bp.errorhandler(InternalServerError)
def internal_error(error: Exception):
    current_app.logger.error("Unhandled error on %s", request.path,
                             exc_info=getattr(error, "original_exception", error))
    return error_response(Internal("A fault in the server."))
