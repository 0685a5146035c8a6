"""Sign-in, sign-out, the language switch and the home page that sends each role to its work."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..extensions import limiter
from ..services import accounts
from . import LANGUAGES
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


def _signin_key() -> str:
    # The same counter as the API's /auth/token (scope "signin"): ten failures per username in
    # the window, whichever door they came through.
    return f"signin:{(request.form.get('username') or '').strip()}"


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


@bp.route("/signin", methods=["GET", "POST"])
@limiter.shared_limit(lambda: current_app.config["SIGNIN_FAILURES_LIMIT"], scope="signin",
                      key_func=_signin_key, methods=["POST"],
                      deduct_when=lambda response: response.status_code == 401)
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            login_user(user)
            session.permanent = False
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
        return render_template("auth/signin.html", form=form), 401
    return render_template("auth/signin.html", form=form), 400 if form.errors else 200


@bp.route("/signout", methods=["POST"])
@login_required
def signout():
    if SignOutForm().validate_on_submit():
        logout_user()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.home"))


@bp.route("/lang/<code>")
def language(code: str):
    target = _safe_next(request.args.get("next")) or url_for("auth.home")
    response = redirect(target)
    if code in LANGUAGES:
        session["lang"] = code
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response
