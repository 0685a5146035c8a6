"""Pages for applicants: a household's members and their nominations (self-assessment, submit,
withdraw, timeline, receipt); an organization account applies for its own unit the same way."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from .. import clock, rubric
from ..errors import Duplicate, Invalid, NotFound, Stale, TransitionNotAllowed
from ..models import CLOSED_STATES, Nomination
from ..services import deadlines, evidence, judging, nominations, people, scope
from ..workflow import engine, workflow, workflows
from . import assessment
from .conflict import conflict
from .filters import GENDERS, TARGET_GROUPS
from ..services.validate import Longest
from .helpers import (INVALID_CHOICE, ActionForm, MaxLength, WholeNumberField, choices, flash_error,
                      int_arg, roles)
from ..messages import reason

bp = Blueprint("household", __name__, url_prefix="/household")

APPLICANTS = ("household", "organization")


class MemberForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[
        DataRequired(_l("Hãy nhập họ và tên.")), MaxLength(Longest.FULL_NAME)])
    national_id = StringField(_l("Số định danh cá nhân (12 chữ số)"), validators=[
        DataRequired(_l("Hãy nhập số định danh cá nhân."))])
    birth_year = WholeNumberField(_l("Năm sinh"), validators=[
        InputRequired(_l("Hãy nhập năm sinh.")),
        NumberRange(1900, 2100, message=_l("Năm sinh không hợp lệ."))])
    gender = SelectField(_l("Giới tính"), invalid_choice_message=INVALID_CHOICE,
                         choices=choices(GENDERS.items()))
    target_group = SelectField(_l("Đối tượng"), invalid_choice_message=INVALID_CHOICE,
                               choices=choices(TARGET_GROUPS.items()))
    ethnicity = StringField(_l("Dân tộc"), validators=[Optional(), MaxLength(Longest.ETHNICITY)])
    religion = StringField(_l("Tôn giáo"), validators=[Optional(), MaxLength(Longest.RELIGION)])
    occupation = StringField(_l("Nghề nghiệp, nơi làm việc"), validators=[Optional(),
                                                                          MaxLength(Longest.OCCUPATION)])

    def data_for_service(self) -> dict:
        return {"full_name": self.full_name.data, "national_id": (self.national_id.data or "").strip(),
                "birth_year": self.birth_year.data, "gender": self.gender.data,
                "target_group": self.target_group.data, "ethnicity": self.ethnicity.data or None,
                "religion": self.religion.data or None,
                "occupation": self.occupation.data or None}

    def take_reasons(self, error: Invalid) -> list[str]:
        """Put each reason under its field; return those that belong to no field."""
        loose = []
        for item in error.details or []:
            f = getattr(self, item.get("field", ""), None)
            if f is not None and hasattr(f, "errors"):
                f.errors = list(f.errors) + [reason(item)]
            else:
                loose.append(reason(item))
        return loose


class NominateForm(ActionForm):
    year = SelectField(_l("Năm đánh giá"), invalid_choice_message=INVALID_CHOICE, coerce=int)


def _years(wf) -> list[tuple[int, str]]:
    """The evaluation years the title's dossiers can be filed for today."""
    return [(y, str(y)) for y in deadlines.fileable_years(wf.code)] if wf is not None else []


def _citizen_title():
    return next((wf for wf in workflows().values() if wf.spec.subject == "person"), None)


def _org_title():
    return next((wf for wf in workflows().values() if wf.spec.subject == "organization"), None)


@bp.route("/")
@roles(*APPLICANTS)
def index():
    if current_user.role == "organization":
        org = current_user.organization
        rows = nominations.of_applicant(current_user)
        form = NominateForm()
        years = _years(_org_title())
        form.year.choices = choices(years)
        return render_template("household/organization.html", org=org, nominations=rows,
                               title=_org_title(), form=form, years=years)
    members = people.household_members(current_user)
    rows = nominations.of_applicant(current_user)
    by_person: dict[int, list[Nomination]] = {}
    for n in rows:
        by_person.setdefault(n.person_id, []).append(n)
    form = NominateForm()
    years = _years(_citizen_title())
    form.year.choices = choices(years)
    return render_template("household/index.html", members=members, by_person=by_person,
                           title=_citizen_title(), form=form, years=years,
                           closed=CLOSED_STATES)


@bp.route("/members/new", methods=["GET", "POST"])
@roles("household")
def add_member():
    form = MemberForm()
    loose: list[str] = []
    if form.validate_on_submit():
        try:
            person = people.add_person(current_user, form.data_for_service())
        except Invalid as error:
            loose = form.take_reasons(error)
        else:
            flash(_("Đã thêm %(name)s vào hộ.", name=person.full_name), "success")
            return redirect(url_for("household.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("household/member.html", form=form, loose=loose, person=None), status


@bp.route("/members/<id:person_id>/edit", methods=["GET", "POST"])
@roles("household")
def edit_member(person_id: int):
    person = people.get_person(current_user, person_id)
    form = MemberForm(obj=person)
    loose: list[str] = []
    if form.validate_on_submit():
        try:
            people.update_person(current_user, person, form.data_for_service())
        except Invalid as error:
            loose = form.take_reasons(error)
        else:
            flash(_("Đã lưu thông tin của %(name)s.", name=person.full_name), "success")
            return redirect(url_for("household.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("household/member.html", form=form, loose=loose, person=person), status


@bp.route("/nominate", methods=["POST"])
@roles(*APPLICANTS)
def nominate():
    form = NominateForm()
    wf = _citizen_title() if current_user.role == "household" else _org_title()
    form.year.choices = choices(_years(wf))
    if current_user.role == "household":
        subject_id = int_arg(request.form.get("person_id"))
    else:
        subject_id = current_user.organization_id
    if wf is None or not form.validate_on_submit():
        flash(_("Không tạo được hồ sơ: hãy chọn năm đánh giá và thử lại."), "error")
        return redirect(url_for("household.index"))
    try:
        n = nominations.create(current_user, title=wf.code, subject_id=subject_id,
                               year=form.year.data, self_assessment={})
    except Duplicate as error:
        flash_error(error)
        existing = (error.details or {}).get("nomination_id")
        if existing:
            return redirect(url_for("household.nomination", nomination_id=existing))
        return redirect(url_for("household.index"))
    except (Invalid, NotFound) as error:
        if isinstance(error, NotFound):
            abort(404)
        flash_error(error)
        return redirect(url_for("household.index"))
    flash(_("Đã tạo hồ sơ. Hãy tự đánh giá từng chỉ số rồi nộp."), "success")
    return redirect(url_for("household.nomination", nomination_id=n.id))


def _load(nomination_id: int) -> Nomination:
    n = nominations.get(current_user, nomination_id)
    if not scope.owns(current_user, n):
        abort(404)
    return n


def _render(n: Nomination, *, scores=None, errors=None, lines=None, status=200):
    wf = workflow(n.title_code)
    rules = wf.rules(n)
    scores = n.self_assessment if scores is None else scores
    editable = n.state in nominations.EDITABLE_STATES
    allowed = engine.allowed_events(current_user, n)
    form = ActionForm(formdata=None, version=n.version)
    measured = judging.measured(n, rules)
    prior, today = judging.prior_levels(n), clock.today()
    return render_template(
        "household/nomination.html", n=n, wf=wf, rules=rules, scores=scores, errors=errors or {},
        lines=lines or [], sheet=assessment.sheet(rules, scores, measured, prior, today),
        groups=assessment.groups(rules), measured=measured,
        review_sheet=(assessment.sheet(rules, n.review_assessment, measured, prior, today)
                      if n.review_assessment else None),
        editable=editable, allowed=allowed, form=form, input_name=assessment.input_name,
        files=evidence.list_files(current_user, n.id), max_mb=evidence.max_bytes() // 1048576), status


@bp.route("/nominations/<id:nomination_id>")
@roles(*APPLICANTS)
def nomination(nomination_id: int):
    return _render(_load(nomination_id))


@bp.route("/nominations/<id:nomination_id>", methods=["POST"])
@roles(*APPLICANTS)
def save(nomination_id: int):
    n = _load(nomination_id)
    wf = workflow(n.title_code)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    rules = wf.rules(n)
    scores, errors = assessment.parse(rules, request.form)
    submitting = request.form.get("action") == "submit"
    if errors:
        return _render(n, scores=assessment.typed(rules, request.form), errors=errors,
                       lines=[_("Một số điểm chưa hợp lệ; chưa có gì được lưu.")], status=422)
    early = deadlines.submission_reasons(n.title_code, n.year) if submitting else []
    if early:  # the same rule the engine applies, said before anything is saved
        return _render(n, scores=assessment.typed(rules, request.form),
                       lines=[reason(r.as_dict()) for r in early]
                       + [_("Chưa có gì được lưu.")], status=422)
    if submitting and rubric.missing(rules, scores):
        missing = rubric.missing(rules, scores)
        return _render(n, scores=assessment.typed(rules, request.form),
                       errors={code: _("Chưa có điểm.") for code in missing},
                       lines=[_("Hãy chấm đủ tất cả chỉ số trước khi nộp; chưa có gì được lưu.")],
                       status=422)
    try:
        n = nominations.update_self_assessment(current_user, n.id, version=form.seen_version(),
                                               self_assessment=scores)
        if submitting:
            n = nominations.fire(current_user, n.id, "submit", version=n.version)
    except Stale:
        return conflict(nomination_id, url_for("household.nomination", nomination_id=nomination_id))
    except (TransitionNotAllowed, Invalid) as error:
        flash_error(error)
        return redirect(url_for("household.nomination", nomination_id=nomination_id))
    if submitting:
        flash(_("Đã nộp hồ sơ. Mã biên nhận: %(code)s", code=n.receipt_code), "success")
    else:
        flash(_("Đã lưu bản tự đánh giá."), "success")
    return redirect(url_for("household.nomination", nomination_id=n.id))


@bp.route("/nominations/<id:nomination_id>/withdraw", methods=["POST"])
@roles(*APPLICANTS)
def withdraw(nomination_id: int):
    n = _load(nomination_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        nominations.fire(current_user, n.id, "withdraw", version=form.seen_version())
    except Stale:
        return conflict(nomination_id, url_for("household.nomination", nomination_id=nomination_id))
    except TransitionNotAllowed as error:
        flash_error(error)
    else:
        flash(_("Đã rút hồ sơ."), "success")
    return redirect(url_for("household.nomination", nomination_id=nomination_id))


@bp.route("/nominations/<id:nomination_id>/receipt")
@roles(*APPLICANTS)
def receipt(nomination_id: int):
    n = _load(nomination_id)
    return render_template("household/receipt.html", n=n)
