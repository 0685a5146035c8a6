"""Sign-in, sign-out, the end of expired sessions, the language switch and the home page that
sends each role to its work."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .. import sessions
from ..errors import RateLimited
from ..services import signin_guard
from . import LANGUAGES
from .errors import page
from .helpers import MaxLength

bp = Blueprint("auth", __name__)

HOME = {
    "household": "household.index",
    "organization": "household.index",
    "reviewer": "review.queue",
    "approver": "district.queue",
    "admin": "admin.index",
}


class SignInForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"),
                           validators=[DataRequired(_l("Hãy nhập tên đăng nhập.")), MaxLength(80)])
    password = PasswordField(_l("Mật khẩu"),
                             validators=[DataRequired(_l("Hãy nhập mật khẩu.")), MaxLength(200)])


class SignOutForm(FlaskForm):
    pass


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for(HOME.get(current_user.role, "public.lookup")))
    return render_template("auth/home.html")


@bp.before_app_request
def end_expired_session():
    """A signed-in session that has been idle too long, is past the absolute limit, or whose
    account no longer accepts it (disabled, password changed) ends here, on the server; the
    browser goes to the sign-in page with a message. The API authenticates with tokens and
    static files need no account: neither is concerned."""
    if "_user_id" not in session or request.path.startswith("/api/") \
            or request.endpoint == "static":
        return None
    if sessions.expired():
        message = _("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.")
    elif not current_user.is_authenticated:
        message = _("Phiên đăng nhập đã kết thúc. Hãy đăng nhập lại.")
    else:
        sessions.note_activity()
        return None
    sessions.sign_out()
    flash(message, "info")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.signin", next=back))


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = signin_guard.authenticate(form.username.data.strip(), form.password.data,
                                             request.remote_addr)
        except RateLimited as error:
            seconds = error.retry_after or 60
            response = current_app.make_response(page(429, _(
                "Bạn đã thử đăng nhập sai quá nhiều lần. Hãy thử lại sau %(minutes)s phút.",
                minutes=math.ceil(seconds / 60))))
            response.headers["Retry-After"] = str(seconds)
            return response
        if user is not None:
            sessions.sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
        return render_template("auth/signin.html", form=form), 401
    return render_template("auth/signin.html", form=form), 400 if form.errors else 200


@bp.route("/signout", methods=["POST"])
@login_required
def signout():
    if SignOutForm().validate_on_submit():
        sessions.sign_out()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.home"))


@bp.route("/lang/<code>")
def language(code: str):
    target = _safe_next(request.args.get("next")) or url_for("auth.home")
    response = redirect(target)
    if code in LANGUAGES:
        session["lang"] = code
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
