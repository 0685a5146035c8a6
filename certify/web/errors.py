"""Friendly error pages for every status of the one error table (certify/errors.py); JSON under
/api/ so clients keep their contract."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .. import errors as e
from ..extensions import db

# Each error's page: a heading and what to tell the reader when the view has nothing better.
PAGES = {
    e.BadRequest: (_l("Yêu cầu không hợp lệ"),
                   _l("Yêu cầu gửi lên không đúng. Hãy quay lại và thử lại.")),
    e.Unauthorized: (_l("Chưa đăng nhập"), _l("Hãy đăng nhập để tiếp tục.")),
    e.Forbidden: (_l("Không có quyền truy cập"),
                  _l("Tài khoản của bạn không được xem hoặc thực hiện việc này.")),
    e.NotFound: (_l("Không tìm thấy trang"),
                 _l("Trang hoặc hồ sơ bạn tìm không có, hoặc nằm ngoài phạm vi tài khoản của bạn.")),
    e.MethodNotAllowed: (_l("Yêu cầu không hợp lệ"),
                         _l("Yêu cầu gửi lên không đúng. Hãy quay lại và thử lại.")),
    e.Conflict: (_l("Hồ sơ đã thay đổi"), _l("Người khác vừa thao tác trên hồ sơ này trước bạn.")),
    e.TooLarge: (_l("Nội dung quá lớn"),
                 _l("Nội dung gửi lên vượt quá dung lượng cho phép; chưa có gì bị thay đổi.")),
    e.Invalid: (_l("Dữ liệu chưa hợp lệ"), _l("Dữ liệu gửi lên chưa hợp lệ; chưa có gì bị thay đổi.")),
    e.RateLimited: (_l("Quá nhiều lần thử"),
                    _l("Bạn đã thử quá nhiều lần. Hãy đợi ít phút rồi thử lại.")),
    e.Internal: (_l("Đã có lỗi xảy ra"), _l("Hệ thống gặp sự cố. Hãy thử lại sau ít phút.")),
    e.Busy: (_l("Hệ thống đang bận"),
             _l("Hệ thống đang bận nên chưa lưu được; chưa có gì bị thay đổi. "
                "Hãy thử lại sau ít giây.")),
}


def _api() -> bool:
    return request.path.startswith("/api/")


def page(status: int, message: str | None = None, **extra):
    """The error page for an HTTP status (its heading from the table's error for that status)."""
    heading, default = PAGES.get(e.for_status(status), PAGES[e.Internal])
    return render_template("errors/error.html", status=status, heading=heading,
                           message=message or default, **extra), status


def error_page(error: e.CertifyError):
    """The page for a service error, with what the services said (in the reader's language)."""
    from ..messages import describe

    body, status = page(error.status, " ".join(describe(error)))
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, e.Busy) else {}
    return body, status, headers


def register(app: Flask) -> None:
    from ..api.core import error_response, http_error, internal_error
    from ..database import busy_error, is_busy

    # Handlers by status code: Flask prefers them to the class handler certify/__init__.py
    # registers for the API, so each hands /api/ paths back to the API's JSON shape.
    @app.errorhandler(CSRFError)
    def _csrf(error):
        if _api():
            return http_error(error)
        return page(400, _l("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                            "Hãy tải lại trang và gửi lại."))

    def _http(error: HTTPException):
        if _api():
            return http_error(error)
        if error.code == e.TooLarge.status and request.mimetype == "multipart/form-data":
            # the pages send multipart bodies only to upload files: say what the file limit is
            from ..messages import reason

            return page(error.code, reason({"field": "file", "code": "too_large"}))
        return page(error.code or 400)

    for status in e.BY_STATUS:
        if 400 <= status < 500:
            app.register_error_handler(status, _http)

    @app.errorhandler(e.CertifyError)
    def _certify(error: e.CertifyError):
        db.session.rollback()
        if _api():
            return error_response(error)
        return error_page(error)

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError):
        # A wait for a lock outside a writing service (those raise Busy themselves); any other
        # database error is a fault, answered 500 below.
        if not is_busy(error):
            raise error
        return _certify(busy_error())

    @app.errorhandler(500)
    def _internal(error):
        db.session.rollback()
        if _api():
            return internal_error(error)
        return page(500)
