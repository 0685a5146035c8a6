"""Friendly error pages (403, 404, 409, 429, 500); JSON under /api/ so clients keep their contract."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import CertifyError
from ..extensions import db

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "rate_limited",
         500: "error"}


def _api() -> bool:
    return request.path.startswith("/api/")


def page(status: int, message: str | None = None, **extra):
    titles = {
        400: _("Yêu cầu không hợp lệ"),
        403: _("Không có quyền truy cập"),
        404: _("Không tìm thấy trang"),
        405: _("Yêu cầu không hợp lệ"),
        409: _("Hồ sơ đã thay đổi"),
        413: _("Tệp quá lớn"),
        429: _("Quá nhiều lần thử"),
        500: _("Đã có lỗi xảy ra"),
    }
    defaults = {
        400: _("Yêu cầu gửi lên không đúng. Hãy quay lại và thử lại."),
        403: _("Tài khoản của bạn không được xem hoặc thực hiện việc này."),
        404: _("Trang hoặc hồ sơ bạn tìm không có, hoặc nằm ngoài phạm vi tài khoản của bạn."),
        405: _("Yêu cầu gửi lên không đúng. Hãy quay lại và thử lại."),
        409: _("Người khác vừa thao tác trên hồ sơ này trước bạn."),
        413: _("Tệp gửi lên vượt quá dung lượng cho phép."),
        429: _("Bạn đã thử quá nhiều lần. Hãy đợi ít phút rồi thử lại."),
        500: _("Hệ thống gặp sự cố. Hãy thử lại sau ít phút."),
    }
    return render_template("errors/error.html", status=status, heading=titles.get(status, titles[500]),
                           message=message or defaults.get(status, defaults[500]), **extra), status


def _api_error(error: HTTPException):
    from ..api.core import http_error

    return http_error(error)


def register(app: Flask) -> None:
    # Handlers by status code: Flask prefers them to the class handler certify/__init__.py
    # registers for the API, so each hands /api/ paths back to the API's JSON shape.
    @app.errorhandler(CSRFError)
    def _csrf(error):
        if _api():
            return _api_error(error)
        return page(400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                           "Hãy tải lại trang và gửi lại."))

    def _http(error: HTTPException):
        if _api():
            return _api_error(error)
        return page(error.code or 400)

    for status in (400, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(status, _http)

    @app.errorhandler(CertifyError)
    def _certify(error: CertifyError):
        db.session.rollback()
        if _api():
            return jsonify(error.as_dict()), error.status
        from ..messages import describe

        return page(error.status if error.status in CODES else 400, " ".join(describe(error)))

    @app.errorhandler(500)
    def _internal(error):
        db.session.rollback()
        if _api():
            from ..api.core import internal_error

            return internal_error(error)
        return page(500)
