"""Members of an organization (its staff and learners): the list with search and paging, adding a
member, ending a membership, filing a member's "Công dân học tập" dossier, and the share of members
holding the title on 31 December. Written by the organization's own account and by admins; read by
the reviewers and approvers whose unit contains the organization's (services/members.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import NumberRange, Optional

from .. import clock
from ..errors import Duplicate, Forbidden, Invalid, NotFound, TransitionNotAllowed
from ..extensions import db
from ..messages import reasons
from ..models import Nomination, Unit
from ..services import members, nominations, scope
from ..workflow import workflows
from ..services.validate import Longest
from .helpers import (INVALID_CHOICE, ActionForm, MaxLength, WholeNumberField, choices, flash_error,
                      int_arg, roles)
from .household import MemberForm, NominateForm, _years

bp = Blueprint("members", __name__, url_prefix="/to-chuc")


def _citizen_title():
    """The title a person holds (the first person title of the files): members' dossiers and
    the share are of it."""
    return next((wf for wf in workflows().values() if wf.spec.subject == "person"), None)

MEMBER_ROLES = {"staff": _l("Cán bộ, người lao động"), "learner": _l("Người học")}
READERS = ("organization", "admin", "reviewer", "approver")
PER_PAGE = 25


@bp.app_template_filter("member_role")
def member_role(code: str) -> str:
    return str(MEMBER_ROLES.get(code, code or ""))


class MembershipForm(MemberForm):
    """A member: a known số định danh links the person already registered (the name is checked
    against it); a new one registers the person with these details and their commune."""

    birth_year = WholeNumberField(_l("Năm sinh"), validators=[
        Optional(), NumberRange(1900, 2100, message=_l("Năm sinh không hợp lệ."))])
    unit_code = SelectField(_l("Xã, phường nơi cư trú"), invalid_choice_message=INVALID_CHOICE)
    role = SelectField(_l("Là"), invalid_choice_message=INVALID_CHOICE,
                       choices=choices(MEMBER_ROLES.items()))
    starts = StringField(_l("Từ ngày"), validators=[MaxLength(10)])
    until = StringField(_l("Đến ngày (nếu đã nghỉ, chuyển đi)"), validators=[Optional(),
                                                                            MaxLength(10)])
    FIELD_OF = {"from": "starts", "person_id": "national_id"}

    def membership_data(self) -> dict:
        return {**self.data_for_service(), "unit_code": self.unit_code.data,
                "role": self.role.data, "from": (self.starts.data or "").strip(),
                "until": (self.until.data or "").strip() or None}

    def take_reasons(self, error: Invalid) -> list[str]:
        for item in error.details or []:
            item["field"] = self.FIELD_OF.get(item.get("field"), item.get("field"))
        return super().take_reasons(error)


class EndForm(ActionForm):
    until = StringField(_l("Ngày cuối là thành viên"), validators=[MaxLength(10)])


def _communes() -> list:
    communes = db.session.scalars(select(Unit).where(Unit.level == "commune")
                                  .order_by(Unit.name, Unit.code))
    return choices((u.code, f"{u.name} ({u.code})") for u in communes)


def _organization(org_id: int):
    try:
        return members.readable(current_user, org_id)
    except NotFound:
        abort(404)


def _member_dossiers(org) -> dict[int, Nomination]:
    """The organization's open "Công dân học tập" dossiers for its members, by person."""
    if not scope.writes_members(current_user, org) or current_user.role != "organization":
        return {}
    found = db.session.scalars(select(Nomination).where(
        scope.nomination_filter(current_user), Nomination.person_id.is_not(None),
        Nomination.is_open).order_by(Nomination.year))
    return {n.person_id: n for n in found}


def _render_index(org, form: MembershipForm | None = None, loose=None, status: int = 200):
    q = (request.args.get("q") or "").strip()[:Longest.QUERY]
    current = request.args.get("hien_tai") == "1"
    page = members.search(current_user, org.id, q=q or None,
                          on=clock.today() if current else None,
                          page=int_arg(request.args.get("page")) or 1, per_page=PER_PAGE)
    writer = scope.writes_members(current_user, org)
    if writer and form is None:
        form = MembershipForm(formdata=None, starts=clock.today().isoformat())
    if form is not None:
        form.unit_code.choices = _communes()
    nominate = NominateForm(formdata=None)
    years = _years(_citizen_title())
    nominate.year.choices = choices(years)
    return render_template(
        "members/index.html", org=org, page=page, q=q, current=current, form=form,
        loose=loose or [], writer=writer, end_form=EndForm(formdata=None), nominate=nominate,
        years=years, dossiers=_member_dossiers(org), today=clock.today(),
        files=current_user.role == "organization" and current_user.organization_id == org.id,
        args={k: v for k, v in (("q", q), ("hien_tai", "1" if current else "")) if v},
        sees_full=lambda p: scope.sees_full_national_id(current_user, p)), status


@bp.route("/<id:org_id>/thanh-vien")
@roles(*READERS)
def index(org_id: int):
    return _render_index(_organization(org_id))


@bp.route("/<id:org_id>/thanh-vien", methods=["POST"])
@roles("organization", "admin")
def add(org_id: int):
    org = _organization(org_id)
    if not scope.writes_members(current_user, org):
        abort(404)
    form = MembershipForm()
    form.unit_code.choices = _communes()
    # The commune and the person's details matter only for a new person: checked by the service.
    form.unit_code.validate_choice = False
    loose: list[str] = []
    if form.validate_on_submit():
        try:
            m = members.add(current_user, org.id, form.membership_data())
        except Invalid as error:
            loose = form.take_reasons(error)
        else:
            flash(_("Đã thêm %(name)s vào danh sách thành viên.", name=m.person.full_name),
                  "success")
            return redirect(url_for("members.index", org_id=org.id))
    return _render_index(org, form, loose, status=422)


@bp.route("/<id:org_id>/thanh-vien/<id:member_id>/ket-thuc", methods=["POST"])
@roles("organization", "admin")
def end(org_id: int, member_id: int):
    org = _organization(org_id)
    form = EndForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        m = members.end(current_user, org.id, member_id, (form.until.data or "").strip())
    except (NotFound, Forbidden):
        abort(404)
    except Invalid as error:
        for line in reasons(error):
            flash(line, "error")
    else:
        flash(_("Đã ghi ngày cuối %(name)s là thành viên: %(day)s.", name=m.person.full_name,
                day=m.ends_on.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("members.index", org_id=org.id))


@bp.route("/<id:org_id>/thanh-vien/<id:member_id>/de-nghi", methods=["POST"])
@roles("organization")
def nominate(org_id: int, member_id: int):
    """Start a member's "Công dân học tập" self-assessment, filed by the organization."""
    org = _organization(org_id)
    try:
        m = members.get(current_user, org.id, member_id)
    except NotFound:
        abort(404)
    wf = _citizen_title()
    form = NominateForm()
    form.year.choices = choices(_years(wf))
    if wf is None or not form.validate_on_submit():
        flash(_("Không tạo được hồ sơ: hãy chọn năm đánh giá và thử lại."), "error")
        return redirect(url_for("members.index", org_id=org.id))
    try:
        n = nominations.create(current_user, title=wf.code, subject_id=m.person_id,
                               year=form.year.data, self_assessment={})
    except (Duplicate, Forbidden, Invalid, TransitionNotAllowed) as error:
        flash_error(error)
        return redirect(url_for("members.index", org_id=org.id))
    except NotFound:
        abort(404)
    flash(_("Đã tạo hồ sơ cho %(name)s. Hãy tự đánh giá từng chỉ số rồi nộp.",
            name=m.person.full_name), "success")
    return redirect(url_for("household.nomination", nomination_id=n.id))


@bp.route("/<id:org_id>/thanh-vien/ty-le")
@roles(*READERS)
def share(org_id: int):
    """The share of members holding "Công dân học tập" on 31 December of a year, and the list."""
    org = _organization(org_id)
    wf = _citizen_title()
    if wf is None:
        abort(404)
    this_year = clock.today().year
    year = int_arg(request.args.get("nam"), minimum=2000, maximum=this_year + 1) or this_year
    role = request.args.get("vai_tro") if request.args.get("vai_tro") in MEMBER_ROLES else None
    result = members.share(org.id, wf.code, year, role)
    return render_template("members/share.html", org=org, share=result, year=year, role=role,
                           years=list(range(this_year + 1, this_year - 6, -1)), title=wf,
                           roles=MEMBER_ROLES)
