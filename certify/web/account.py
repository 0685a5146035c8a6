"""The signed-in person's own account: changing their password with the current one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from .. import sessions
from ..errors import Forbidden, Invalid, RateLimited
from ..messages import describe
from ..services import accounts, notifications, signin_guard

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[
        InputRequired(_l("Hãy nhập mật khẩu hiện tại."))])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[
        InputRequired(_l("Hãy nhập mật khẩu mới."))])
    repeat = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        InputRequired(_l("Hãy nhập lại mật khẩu mới.")),
        EqualTo("new_password", _l("Hai lần nhập mật khẩu mới không giống nhau."))])


class EmailForm(FlaskForm):
    email = EmailField(_l("Địa chỉ e-mail nhận thông báo"), validators=[
        Optional(), Length(max=notifications.EMAIL_MAX)])


@bp.route("/email", methods=["POST"])
@login_required
def email():
    """The address notifications are e-mailed to (empty: the inbox alone)."""
    form = EmailForm()
    user = current_user._get_current_object()
    lines: list[str] = []
    if form.validate_on_submit():
        try:
            notifications.set_email(user, form.email.data)
        except Invalid:
            lines = [_("Địa chỉ e-mail không hợp lệ.")]
        else:
            flash(_("Đã lưu địa chỉ e-mail.") if user.email else _("Đã bỏ địa chỉ e-mail."),
                  "success")
            return redirect(url_for("account.password"))
    else:
        lines = [_("Địa chỉ e-mail không hợp lệ.")]
    return render_template("account/password.html", form=PasswordChangeForm(formdata=None),
                           email_form=form, lines=[], email_lines=lines), 422


@bp.app_template_global()
def password_limits() -> tuple[int, int]:
    """The policy's length bounds, for the password inputs' minlength and their hints."""
    return accounts.password_limits()


@bp.app_template_global()
def password_hint() -> str:
    """The password policy in a sentence, under every field that sets a password."""
    low, high = accounts.password_limits()
    return _("Từ %(min)s đến %(max)s ký tự, có thể có dấu cách và chữ có dấu; không dùng mật khẩu "
             "phổ biến (như 123456789abc) hay tên đăng nhập.", min=low, max=high)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    lines: list[str] = []
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            user = current_user._get_current_object()
            try:
                signin_guard.change_password(user, form.current_password.data,
                                             form.new_password.data, request.remote_addr)
            except (Invalid, Forbidden, RateLimited) as error:
                lines, status = describe(error), error.status
            else:
                # Every session of the account has ended with the old password; this one goes
                # on, signed in again on a new session id with the new password's key.
                sessions.sign_in(user)
                flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác và mọi mã API của tài khoản "
                        "đã hết hiệu lực."), "success")
                return redirect(url_for("account.password"))
        return render_template("account/password.html", form=form, lines=lines,
                               email_form=_email_form()), status
    return render_template("account/password.html", form=form, lines=lines,
                           email_form=_email_form())


def _email_form() -> EmailForm:
    return EmailForm(formdata=None, email=current_user.email)
