"""Admin pages: units, denominators per year, accounts (create, disable, reset password, unlock
sign-in), organizations. Every change goes through the services; bad input changes nothing."""

from __future__ import annotations

import re
import secrets
import time
from datetime import date
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from .. import clock
from ..errors import Invalid
from ..messages import reasons
from ..models import EARLIEST, LEVELS, ROLES, User
from ..routing import body_limit
from ..services import (accounts, directory, imports, nominations, people,
                        reorganization_files, signin_guard)
from ..services import units as unit_service
from ..services.validate import MAX_INT
from ..workflow import workflows
from .filters import LEVELS as LEVEL_NAMES
from .filters import ORG_LEVELS
from .filters import role_name
from .district import VietnameseDateField
from .filters import loc
from ..services.validate import Longest
from .helpers import (INVALID_CHOICE, ActionForm, MaxLength, WholeNumberField, choices, int_arg,
                      roles)

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UnitForm(FlaskForm):
    code = StringField(_l("Mã đơn vị"), validators=[InputRequired(_l("Hãy nhập mã đơn vị.")),
                                                     MaxLength(Longest.UNIT_CODE)])
    name = StringField(_l("Tên"), validators=[InputRequired(_l("Hãy nhập tên.")),
                                              MaxLength(Longest.UNIT_NAME)])
    level = SelectField(_l("Cấp"), invalid_choice_message=INVALID_CHOICE)
    parent_code = SelectField(_l("Đơn vị cấp trên"), invalid_choice_message=INVALID_CHOICE,
                              validators=[Optional()])
    valid_from = VietnameseDateField(_l("Có từ ngày"), validators=[Optional()])


class AccountForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[
        InputRequired(_l("Hãy nhập tên đăng nhập.")), MaxLength(Longest.USERNAME)])
    display_name = StringField(_l("Tên hiển thị"), validators=[Optional(),
                                                                 MaxLength(Longest.DISPLAY_NAME)])
    # The password policy is the service's (accounts.password_reasons), shown as its reasons.
    password = PasswordField(_l("Mật khẩu"), validators=[InputRequired(_l("Hãy nhập mật khẩu."))])
    role = SelectField(_l("Vai trò"), invalid_choice_message=INVALID_CHOICE)
    unit_code = SelectField(_l("Đơn vị hành chính"), invalid_choice_message=INVALID_CHOICE,
                            validators=[Optional()])
    organization_id = SelectField(_l("Cơ quan, đơn vị"), invalid_choice_message=INVALID_CHOICE,
                                  validators=[Optional()])
    email = StringField(_l("Địa chỉ e-mail nhận thông báo"), validators=[Optional(),
                                                                       MaxLength(254)])


class ReorganizationForm(FlaskForm):
    """A reorganisation file, pasted or uploaded (services/reorganizations.py says its shape)."""

    text = TextAreaField(_l("Nội dung tệp sắp xếp (YAML)"), validators=[Optional()])
    file = FileField(_l("Hoặc tải tệp lên (.yaml, .yml hoặc .csv)"))


class ConfirmReorganizationForm(FlaskForm):
    """The previewed file, applied with one click."""

    text = HiddenField()
    filename = HiddenField()


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[InputRequired(_l("Hãy nhập mật khẩu."))])


class OrganizationForm(FlaskForm):
    name = StringField(_l("Tên"), validators=[
        InputRequired(_l("Hãy nhập tên.")), MaxLength(Longest.ORGANIZATION_NAME)])
    unit_code = SelectField(_l("Đơn vị hành chính"), invalid_choice_message=INVALID_CHOICE)
    members_count = WholeNumberField(_l("Số thành viên"), validators=[
        InputRequired(_l("Hãy nhập số thành viên.")),
        NumberRange(min=0, message=_l("Số thành viên không được âm.")),
        NumberRange(max=10_000_000, message=_l("Số thành viên quá lớn."))])
    # Its own level; blank: its unit's. Under vn-2025 it picks who reviews its dossier.
    level = SelectField(_l("Cấp của cơ quan"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])


class OrganizationLevelForm(FlaskForm):
    level = SelectField(_l("Cấp của cơ quan"), invalid_choice_message=INVALID_CHOICE,
                        validators=[InputRequired(_l("Hãy chọn cấp."))])


def _org_level_choices(blank: bool):
    return choices(([("", _("Theo đơn vị hành chính"))] if blank else [])
                   + [(level, ORG_LEVELS[level]) for level in ORG_LEVELS])


def _unit_choices(blank: bool):
    units = directory.all_units()
    pairs = [(u.code, f"{'— ' * (u.path.count('/') - 2)}{u.name} ({u.code})") for u in units]
    return choices(([("", _("(không có)"))] if blank else []) + pairs)


def _unit_form(formdata=None):
    form = UnitForm(formdata=formdata) if formdata is not None else UnitForm()
    form.level.choices = choices((level, LEVEL_NAMES[level]) for level in LEVELS)
    form.parent_code.choices = _unit_choices(blank=True)
    return form


# How a succession changed the units (models.SUCCESSION_KINDS).
KIND_NAMES = {"merge": _l("sáp nhập"), "split": _l("chia tách"), "rename": _l("đổi tên")}


def _day_arg() -> tuple[date | None, list[str]]:
    """The day asked for in `?ngay=` (None: today), or a message when it is not a date."""
    raw = (request.args.get("ngay") or "").strip()
    if not raw:
        return None, []
    try:
        return date.fromisoformat(raw), []
    except ValueError:
        return None, [_("Ngày xem không hợp lệ; đang hiện các đơn vị hôm nay.")]


def _units_page(form, lines: list[str], status: int = 200):
    day, problems = _day_arg()
    units = directory.all_units(day)
    return render_template("admin/index.html", form=form, units=units, lines=lines,
                           day=day, day_lines=problems, lineage=unit_service.lineage(units),
                           earliest=EARLIEST, kind_names=KIND_NAMES), status


@bp.route("/", methods=["GET", "POST"])
@roles("admin")
def index():
    """The units as they are today, or as they were on `?ngay=YYYY-MM-DD`: validity and lineage."""
    form = _unit_form()
    if request.method == "POST":
        lines: list[str] = []
        if form.validate_on_submit():
            try:
                unit = unit_service.create(code=form.code.data.strip(), name=form.name.data.strip(),
                                           level=form.level.data,
                                           parent_code=form.parent_code.data or None,
                                           valid_from=form.valid_from.data)
            except Invalid as error:
                lines = reasons(error)
            else:
                flash(_("Đã thêm đơn vị %(name)s.", name=unit.name), "success")
                return redirect(url_for("admin.index"))
        return _units_page(form, lines, 422)
    return _units_page(form, [])


@bp.route("/units/<code>/denominators", methods=["GET", "POST"])
@roles("admin")
def denominators(code: str):
    day, _problems = _day_arg()
    unit = unit_service.find(code, day)
    if unit is None:
        abort(404)
    year = int_arg(request.values.get("year"), 2000, 2100) or clock.today().year
    titles = list(workflows().values())
    form = ActionForm()
    lines: list[str] = []
    values = unit_service.denominators_of(unit, year) if 2000 <= year <= 2100 else {}
    # Figures a reorganisation summed from the former units: shown flagged until re-entered.
    carried = unit_service.carried_denominators(unit, year) if 2000 <= year <= 2100 else {}
    if request.method == "POST" and form.validate_on_submit():
        figures, bad = {}, False
        for wf in titles:
            raw = (request.form.get(wf.code) or "").strip().replace(".", "").replace(",", "")
            if not raw:
                continue
            if not raw.isdigit() or int(raw) > MAX_INT:
                lines.append(_("%(title)s: mẫu số phải là số nguyên không âm.", title=loc(wf.spec.name)))
                bad = True
            else:
                figures[wf.code] = int(raw)
        if not figures and not bad:
            lines.append(_("Hãy nhập ít nhất một mẫu số."))
        if not lines:
            try:
                unit_service.set_denominators(unit, year, figures)
            except Invalid as error:
                lines = reasons(error)
            else:
                flash(_("Đã lưu mẫu số năm %(year)s của %(name)s.", year=year, name=unit.name),
                      "success")
                return redirect(url_for("admin.denominators", code=code, year=year,
                                        ngay=day.isoformat() if day else None))
        values = {wf.code: request.form.get(wf.code, "") for wf in titles}
        return render_template("admin/denominators.html", unit=unit, year=year, titles=titles,
                               values=values, form=form, lines=lines, day=day,
                               carried=carried), 422
    return render_template("admin/denominators.html", unit=unit, year=year, titles=titles,
                           values=values, form=form, lines=lines, day=day, carried=carried)


def _account_form():
    form = AccountForm()
    form.role.choices = choices((r, role_name(r)) for r in ROLES)
    form.unit_code.choices = _unit_choices(blank=True)
    form.organization_id.choices = choices(
        [("", _("(không có)"))] + [(o.id, o.name) for o in directory.organizations()])
    return form


@bp.route("/accounts", methods=["GET", "POST"])
@roles("admin")
def accounts_page():
    form = _account_form()
    lines: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            from ..services import notifications

            try:
                email = notifications.clean_email(form.email.data)
                user = accounts.create_user(
                    username=form.username.data.strip(), password=form.password.data,
                    role=form.role.data, unit_code=form.unit_code.data or None,
                    display_name=form.display_name.data or None,
                    organization_id=int_arg(form.organization_id.data))
            except Invalid as error:
                lines = reasons(error)
            else:
                if email:
                    notifications.set_email(user, email)
                flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
                return redirect(url_for("admin.accounts_page"))
    return render_template("admin/accounts.html", form=form, users=directory.users(), lines=lines,
                           action=ActionForm(formdata=None), password_form=PasswordForm(formdata=None)), status


def _account(user_id: int) -> User:
    return accounts.get_user(user_id)


@bp.route("/accounts/<id:user_id>/active", methods=["POST"])
@roles("admin")
def set_active(user_id: int):
    user = _account(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash(_("Bạn không thể khóa chính tài khoản của mình."), "error")
        return redirect(url_for("admin.accounts_page"))
    accounts.set_active(user, active)
    flash(_("Đã mở lại tài khoản %(name)s.", name=user.username) if active else
          _("Đã khóa tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/accounts/<id:user_id>/unlock", methods=["POST"])
@roles("admin")
def unlock(user_id: int):
    """Let the account sign in again at once, from any address, after too many failures."""
    user = _account(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    signin_guard.unlock(user)
    flash(_("Đã mở khóa đăng nhập cho %(name)s.", name=user.username), "success")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/accounts/<id:user_id>/password", methods=["POST"])
@roles("admin")
def reset_password(user_id: int):
    user = _account(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "error")
        return redirect(url_for("admin.accounts_page"))
    try:
        accounts.set_password(user, form.password.data)
    except Invalid as error:
        for line in reasons(error):
            flash(line, "error")
    else:
        flash(_("Đã đặt lại mật khẩu cho %(name)s.", name=user.username), "success")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/organizations", methods=["GET", "POST"])
@roles("admin")
def organizations():
    form = OrganizationForm()
    form.unit_code.choices = _unit_choices(blank=False)
    form.level.choices = _org_level_choices(blank=True)
    lines: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                org = people.create_organization(name=form.name.data.strip(),
                                                 unit_code=form.unit_code.data,
                                                 members_count=form.members_count.data,
                                                 level=form.level.data or None)
            except Invalid as error:
                lines = reasons(error)
            else:
                flash(_("Đã thêm %(name)s.", name=org.name), "success")
                return redirect(url_for("admin.organizations"))
    return _organizations_page(form, lines, status)


def _organizations_page(form, lines, status, level_lines=()):
    """The page: the organizations found by the list's filter (web/organizations.py: a name
    without diacritics, level, unit; paginated), then the form that adds one."""
    from . import organizations as org_list

    filter_form, page_no, per_page, params = org_list.read(request.args)
    result = org_list.search(filter_form, page_no, per_page)
    if result is None:
        result, status = nominations.Page([], 0, page_no, per_page), 422
    return render_template("admin/organizations.html", form=form, lines=lines,
                           level_lines=list(level_lines), level_form=OrganizationLevelForm(
                               formdata=None), org_levels=ORG_LEVELS, filter_form=filter_form,
                           result=result, params=params), status


@bp.route("/organizations/<id:org_id>/level", methods=["POST"])
@roles("admin")
def organization_level(org_id: int):
    """Set an organization's own level (the row's select on the organizations page)."""
    level_form = OrganizationLevelForm()
    level_form.level.choices = _org_level_choices(blank=False)
    org = people.get_organization(current_user, org_id)
    problems: list[str] = []
    if not level_form.validate_on_submit():
        problems = [str(e) for errors in level_form.errors.values() for e in errors]
    else:
        try:
            people.set_organization_level(current_user, org.id, level_form.level.data)
        except Invalid as error:
            problems = reasons(error)
    if problems:
        form = OrganizationForm(formdata=None)
        form.unit_code.choices = _unit_choices(blank=False)
        form.level.choices = _org_level_choices(blank=True)
        return _organizations_page(form, [], 422, [f"{org.name}: {p}" for p in problems])
    flash(_("Đã đặt cấp của %(name)s: %(level)s.", name=org.name,
            level=ORG_LEVELS[level_form.level.data]), "success")
    return redirect(url_for("admin.organizations"))


# What of a split unit is left unassigned (services/reorganizations.py).
ITEM_KINDS = {"household": _l("hộ gia đình"), "organization": _l("cơ quan, đơn vị"),
              "person": _l("công dân"), "account": _l("tài khoản")}
# How much of a reorganisation file a page takes (a province's file is a few hundred lines).
REORGANIZATION_FILE_CHARS = 1_000_000


def _reorganization_text(form: ReorganizationForm) -> tuple[str, str]:
    """The file's text and name: an upload (YAML or CSV by its name), else the pasted YAML."""
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        reorganization_files.kind_of(upload.filename)
        raw = upload.read(REORGANIZATION_FILE_CHARS + 1)
        try:
            return raw.decode("utf-8-sig"), upload.filename
        except UnicodeDecodeError:
            raise Invalid("", [{"field": "(file)", "code": "encoding"}]) from None
    return form.text.data or "", ""


@bp.route("/reorganizations", methods=["GET", "POST"])
@roles("admin")
def reorganizations_page():
    """Paste or upload a reorganisation file, see what would move, confirm to apply it."""
    form, confirm = ReorganizationForm(), ConfirmReorganizationForm()
    lines: list[str] = []
    plan, status, text, filename = None, 200, "", ""
    if request.method == "POST":
        status = 422
        if "confirm" in request.form and confirm.validate_on_submit():
            text, filename = confirm.text.data or "", confirm.filename.data or ""
            try:
                plan = reorganization_files.apply(text, filename or None, actor=current_user)
            except Invalid as error:
                lines = reasons(error)
            else:
                status = 200
        elif "confirm" not in request.form and form.validate_on_submit():
            try:
                text, filename = _reorganization_text(form)
                if len(text) > REORGANIZATION_FILE_CHARS:
                    raise Invalid("", [{"field": "(file)", "code": "too_long",
                                        "max_length": REORGANIZATION_FILE_CHARS}])
                plan = reorganization_files.plan(text, filename or None)
            except Invalid as error:
                lines = reasons(error)
            else:
                status = 200
        else:
            lines = [_("Dữ liệu gửi lên chưa hợp lệ; hãy thử lại.")]
        confirm.text.data, confirm.filename.data = text, filename
        # The text box holds YAML only: a CSV upload is not put back into it.
        form.text.data = "" if filename.lower().endswith(".csv") else text
    return render_template("admin/reorganizations.html", form=form, confirm=confirm, plan=plan,
                           lines=lines, kind_names=KIND_NAMES, level_names=LEVEL_NAMES,
                           item_kinds=ITEM_KINDS), status


# -- imports (services/imports.py) ----------------------------------------------------------------
# Upload → preview (counts and every bad row) → apply with one click. Between the two the file
# waits under instance/imports/ named by a random token, and is removed once applied.

IMPORT_KINDS = {"persons": _l("Hộ gia đình và nhân khẩu"), "members": _l("Thành viên cơ quan, đơn vị"),
                "recognitions": _l("Danh hiệu đã công nhận trên giấy")}
IMPORT_REASONS = {
    "required": _l("chưa nhập"),
    "format": _l("sai định dạng"),
    "national_id": _l("số định danh cá nhân phải gồm đúng 12 chữ số"),
    "unknown_unit": _l("không có xã, phường mang mã này"),
    "not_commune": _l("mã này không phải của xã, phường"),
    "unknown_target_group": _l("không rõ đối tượng"),
    "unknown_gender": _l("giới tính là Nam hoặc Nữ"),
    "unknown_role": _l("vai trò là Cán bộ, người lao động hoặc Người học"),
    "out_of_range": _l("giá trị nằm ngoài khoảng cho phép"),
    "too_long": _l("quá dài"),
    "control_character": _l("có ký tự điều khiển (xuống dòng, tab…)"),
    "duplicate": _l("trùng với một dòng khác trong tệp"),
    "name_mismatch": _l("số định danh này đã đăng ký với họ tên khác"),
    "unknown_person": _l("chưa có người mang số định danh này; hãy ghi họ tên, năm sinh, giới tính, đối tượng và mã xã để đăng ký"),
    "unknown_organization": _l("không có cơ quan, đơn vị này"),
    "ambiguous_organization": _l("nhiều cơ quan, đơn vị cùng tên; hãy ghi mã (id)"),
    "date": _l("không phải ngày (dd/mm/yyyy hoặc yyyy-mm-dd)"),
    "future": _l("sau ngày hôm nay"),
    "before_start": _l("trước ngày bắt đầu"),
    "overlap": _l("người này đã là thành viên với vai trò này trong một số ngày đó"),
    "one_subject": _l("ghi số định danh (cá nhân) hoặc cơ quan, đơn vị, không ghi cả hai"),
    "unknown_title": _l("không có danh hiệu này"),
    "wrong_subject": _l("danh hiệu này dành cho loại đối tượng khác"),
    "no_rules": _l("chưa có quy định của danh hiệu cho năm này"),
    "before_year": _l("quyết định ký trước năm đánh giá"),
    "already_recognized": _l("đối tượng đã được công nhận danh hiệu này cho năm này"),
    "open_dossier": _l("đối tượng đang có hồ sơ danh hiệu này cho năm này"),
    "decision_date_differs": _l("số quyết định này đã được ghi với ngày khác"),
    "unknown_level": _l("không phải mức độ của quy định năm đó"),
    "unknown_grade": _l("không phải xếp loại của quy định năm đó"),
    "not_a_table": _l("tệp không phải CSV (UTF-8) hay XLSX"),
    "old_excel": _l("tệp Excel 97-2003 (.xls): hãy lưu lại dạng XLSX"),
    "encoding": _l("tệp CSV không phải UTF-8: hãy lưu dạng “CSV UTF-8”"),
    "empty": _l("tệp không có dòng nào dưới dòng tiêu đề"),
    "unknown_column": _l("cột không rõ"),
    "missing_column": _l("thiếu cột bắt buộc"),
    "duplicate_column": _l("cột bị lặp"),
    "changed_meanwhile": _l("trong lúc nhập, người khác đã đăng ký một số dòng này; chưa nhập gì, hãy thử lại"),
}
# What an import creates or reuses, as the preview counts it.
IMPORT_THINGS = {"households": _l("hộ gia đình"), "persons": _l("công dân"),
                 "memberships": _l("thành viên"), "nominations": _l("hồ sơ"),
                 "recognitions": _l("danh hiệu được công nhận"), "decisions": _l("quyết định")}
IMPORT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def import_reason(problem) -> str:
    """A problem of an imported file in the reader's language."""
    text = str(IMPORT_REASONS.get(problem.reason, problem.reason))
    return f"{text} ({problem.detail})" if problem.detail else text


class ImportForm(FlaskForm):
    kind = SelectField(_l("Loại danh sách"), choices=choices(IMPORT_KINDS.items()),
                       invalid_choice_message=INVALID_CHOICE)
    file = FileField(_l("Tệp CSV hoặc XLSX"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()


def _import_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored_import(token: str | None) -> tuple[Path, str] | None:
    if not token or not IMPORT_TOKEN.match(token):
        return None
    for kind in imports.KINDS:
        path = _import_folder() / f"{token}.{kind}"
        if path.is_file():
            return path, kind
    return None


def _forget_old_imports() -> None:
    """Uploads previewed and never applied go after a day."""
    cutoff = time.time() - 86400
    for path in _import_folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _import_limit() -> int:
    return int(current_app.config["IMPORT_MAX_BYTES"])


@bp.route("/imports", methods=["GET", "POST"])
@roles("admin")
@body_limit(_import_limit)
def imports_page():
    """Upload a list, see every bad row and what would be created, then import it in one click."""
    form, confirm = ImportForm(), ConfirmImportForm()
    report, token, status = None, None, 200
    if request.method == "POST":
        status = 422
        if "confirm" in request.form:
            stored = _stored_import(confirm.token.data) if confirm.validate_on_submit() else None
            if stored is None:
                flash(_("Tệp xem trước không còn; hãy tải lên lại."), "error")
            else:
                path, kind = stored
                try:
                    report = imports.apply(kind, path.read_bytes(), current_user)
                except imports.ImportRefused as refused:
                    report, token = refused.report, confirm.token.data
                else:
                    path.unlink(missing_ok=True)
                    status = 200
                    flash(_("Đã nhập %(rows)s dòng.", rows=report.rows), "success")
        elif form.validate_on_submit():
            upload = form.file.data
            data = upload.read() if upload is not None and getattr(upload, "filename", "") else b""
            kind = form.kind.data
            try:
                report = imports.check(kind, data)
            except imports.ImportRefused as refused:
                report = refused.report
            if not report.file_problem:
                _forget_old_imports()
                token = secrets.token_urlsafe(24)
                (_import_folder() / f"{token}.{kind}").write_bytes(data)
                status = 200
        else:
            flash(_("Dữ liệu gửi lên chưa hợp lệ; hãy thử lại."), "error")
        confirm.token.data = token
    shown = report.errors[:imports.SHOWN_ERRORS] if report is not None else []
    return render_template("admin/imports.html", form=form, confirm=confirm, report=report,
                           token=token, shown=shown, reason=import_reason,
                           kinds=IMPORT_KINDS, things=IMPORT_THINGS,
                           columns=imports.COLUMNS), status


@bp.route("/imports/<token>/errors.csv")
@roles("admin")
def import_errors(token: str):
    """Every problem of a previewed file, as CSV (the page lists the first ones)."""
    stored = _stored_import(token)
    if stored is None:
        abort(404)
    path, kind = stored
    try:
        report = imports.check(kind, path.read_bytes())
    except imports.ImportRefused as refused:
        report = refused.report
    return Response(report.errors_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=loi-nhap-du-lieu.csv"})
