"""The API's plumbing: operations registered with their OpenAPI description, bearer
authentication, JSON parsing, errors as api.md's table, pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import messages
from ..errors import BadRequest, CertifyError, Forbidden, Invalid, RateLimited, Unauthorized
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


OPERATIONS: list[Operation] = []
_PUBLIC_ENDPOINTS: set[str] = set()


def operation(rule: str, method: str, *, summary: str, tag: str, status: int = 200,
              body: type[BaseModel] | None = None, response: Any = None,
              errors: tuple[int, ...] = (), public: bool = False,
              query: dict[str, dict] | None = None, roles: tuple[str, ...] = (),
              description: str = "") -> Callable:
    """Register a view under /api/v1 together with what the OpenAPI document says of it.

    `roles` restricts the operation to those account roles (403 for the others); `description`
    is the document's longer text for it."""

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
                                    description))
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


def parse(model: type[BaseModel]) -> BaseModel:
    """The request body as `model`: 400 when it is not JSON or a field has the wrong type, 422
    when a required field is missing."""
    raw = request.get_data(cache=True)
    try:
        parsed = model.model_validate_json(raw or b"")
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        details = [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "code": e["type"],
                    "message": e["msg"]} for e in errors]
        if all(e["type"] == "missing" for e in errors):
            raise Invalid("Required fields are missing.", details) from exc
        raise BadRequest("The body is not a JSON object of the expected shape.",
                         [d for d in details if d["code"] != "missing"]) from exc
    return parsed


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
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
}


def error_response(error: CertifyError):
    """The error in the contract's shape; `message` (and each reason's) in the language the
    client asks for with Accept-Language — Vietnamese unless it asks for English."""
    body = {"error": {"code": error.code, "message": messages.summary(error),
                      "details": messages.localized_details(error.details)}}
    response = jsonify(body)
    response.status_code = error.status
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


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 429: "rate_limited"}


def http_error(error: HTTPException):
    """Werkzeug's own errors (unknown route, wrong method, rate limit) in the API's shape."""
    code = HTTP_CODES.get(error.code, "error")
    message = {
        400: lambda: messages.describe(BadRequest(""))[0],
        404: lambda: _("Không có tài nguyên này."),
        405: lambda: _("Phương thức không được hỗ trợ cho địa chỉ này."),
        429: lambda: messages.describe(RateLimited(""))[0],
    }.get(error.code, lambda: error.description or error.name)()
    response = jsonify({"error": {"code": code, "message": message, "details": None}})
    response.status_code = error.code or 500
    return response


@bp.errorhandler(InternalServerError)
def internal_error(error: Exception):
    current_app.logger.error("Unhandled error on %s", request.path,
                             exc_info=getattr(error, "original_exception", error))
    response = jsonify({"error": {"code": "internal", "message":
                                  _("Có lỗi ở phía máy chủ; chưa có gì bị thay đổi."),
                                  "details": None}})
    response.status_code = 500
    return response
