"""The audit log page (/admin/audit) and the request hook that tells the audit trail who is acting."""

from __future__ import annotations

from flask import Blueprint, Flask, g, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from ..services import audit_trail
from .helpers import INVALID_CHOICE, choices, int_arg, roles

bp = Blueprint("audit", __name__, url_prefix="/admin")

PER_PAGE = 50

ENTITIES = {
    "unit": _l("Đơn vị hành chính"),
    "denominator": _l("Mẫu số"),
    "account": _l("Tài khoản"),
    "organization": _l("Cơ quan, đơn vị"),
    "membership": _l("Thành viên cơ quan, đơn vị"),
    "nomination": _l("Hồ sơ nháp"),  # a draft its applicant deleted
}
ACTIONS = {
    "create": _l("Thêm mới"),
    "update": _l("Sửa"),
    "delete": _l("Xóa"),
    "activate": _l("Mở lại tài khoản"),
    "deactivate": _l("Khóa tài khoản"),
    "password": _l("Đổi mật khẩu"),
    "unlock": _l("Mở khóa đăng nhập"),
}
FIELDS = {
    "code": _l("Mã"),
    "name": _l("Tên"),
    "level": _l("Cấp"),
    "parent_id": _l("Đơn vị cấp trên (id)"),
    "unit_id": _l("Đơn vị (id)"),
    "title_code": _l("Danh hiệu"),
    "year": _l("Năm"),
    "value": _l("Giá trị"),
    "username": _l("Tên đăng nhập"),
    "password": _l("Mật khẩu"),
    "role": _l("Vai trò"),
    "display_name": _l("Tên hiển thị"),
    "household_id": _l("Hộ gia đình (id)"),
    "organization_id": _l("Cơ quan, đơn vị (id)"),
    "active": _l("Đang hoạt động"),
    "members_count": _l("Số thành viên"),
}


class AuditFilters(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    entity = SelectField(_l("Loại dữ liệu"), invalid_choice_message=INVALID_CHOICE,
                         validators=[Optional()])
    actor = SelectField(_l("Người thực hiện"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])


def shown(value) -> str:
    """A recorded value as the page shows it."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("có")
    if value is False:
        return _("không")
    if value == audit_trail.CHANGED:
        return _("(đã thay đổi)")
    return str(value)


def changes(entry) -> list[tuple[str, str, str]]:
    """(field, before, after) for each recorded field of an entry."""
    before, after = entry.before or {}, entry.after or {}
    names = list(dict.fromkeys([*before, *after]))
    return [(str(FIELDS.get(n, n)), shown(before.get(n)), shown(after.get(n))) for n in names]


@bp.route("/audit")
@roles("admin")
def log():
    args = request.args
    entity = args.get("entity") if args.get("entity") in ENTITIES else ""
    names = audit_trail.actor_names()
    actor = args.get("actor") if args.get("actor") in names else ""
    form = AuditFilters(formdata=None, entity=entity, actor=actor)
    form.entity.choices = choices([("", _("Tất cả"))] + list(ENTITIES.items()))
    form.actor.choices = choices([("", _("Tất cả"))] + [(n, n) for n in names])
    page_no = int_arg(args.get("page")) or 1
    result = audit_trail.entries(entity_type=entity or None, actor=actor or None, page=page_no,
                                 per_page=PER_PAGE)
    params = {k: v for k, v in (("entity", entity), ("actor", actor)) if v}
    return render_template("admin/audit.html", form=form, result=result, params=params,
                           entities=ENTITIES, actions=ACTIONS, changes=changes)


def _request_actor():
    """Who acts in this request: the API's bearer-token account, or the page session's."""
    if not has_request_context():
        return audit_trail.CLI
    actor = g.get("actor")
    if actor is not None:
        return actor
    if request.path.startswith("/api/"):
        return None  # an API call before or without a token
    return current_user if current_user.is_authenticated else None


def _set_actor() -> None:
    g.audit_actor_token = audit_trail.set_actor(_request_actor)


def _reset_actor(_exc=None) -> None:
    token = g.pop("audit_actor_token", None)
    if token is not None:
        try:
            audit_trail.reset_actor(token)
        except ValueError:  # torn down in another context than it was set in: nothing to undo
            pass


def init_app(app: Flask) -> None:
    audit_trail.install()
    app.before_request(_set_actor)
    app.teardown_request(_reset_actor)
    app.register_blueprint(bp)
