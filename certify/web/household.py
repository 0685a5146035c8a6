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

from .. import clock, policy, rubric
from ..errors import Duplicate, Invalid, NotFound, Stale, TransitionNotAllowed
from ..models import Nomination
from ..services import deadlines, evidence, judging, nominations, people
from ..workflow import meaning, workflow, workflows
from . import assessment, confirm
from .conflict import conflict
from .filters import GENDERS, TARGET_GROUPS, loc
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
    """The evaluation years the title's dossiers can be filed for today (nominations.filing_years
    decides, as `create` and the submission would)."""
    return [(f.year, str(f.year)) for f in nominations.filing_years(wf.code)] \
        if wf is not None else []


SUBJECT = {"household": "person", "organization": "organization"}


def _titles() -> list:
    """Every title the signed-in applicant files for: its subject's titles, in file order."""
    return [wf for wf in workflows().values() if wf.spec.subject == SUBJECT[current_user.role]]


def _offers(items: list[Nomination]) -> list[tuple]:
    """(title, years still free) for each title: the years without an open dossier, each a
    nominations.FilingYear (late ones are offered with a warning)."""
    out = []
    for wf in _titles():
        taken = {n.year for n in items if n.title_code == wf.code and n.is_open}
        out.append((wf, [f for f in nominations.filing_years(wf.code) if f.year not in taken]))
    return out


def _priority(n: Nomination) -> int:
    """What needs doing now comes first: a returned dossier, then a draft, then the rest."""
    spec = workflow(n.title_code).spec
    if n.state in meaning.returned_states(spec):
        return 0
    if n.state == spec.initial_state:
        return 1
    return 2


def _return_reason(n: Nomination) -> str | None:
    """The reviewer's comment that sent the dossier back (the last such event's)."""
    send_back = set(meaning.send_back_events(workflow(n.title_code).spec))
    last = next((h for h in reversed(n.history) if h.event in send_back), None)
    return last.comment if last is not None else None


def _todo(rows: list[Nomination]) -> list[Nomination]:
    """The applicant's own dossiers needing action, returned first, then drafts."""
    return sorted((n for n in rows if _priority(n) < 2 and policy.is_applicant(current_user, n)),
                  key=lambda n: (_priority(n), n.updated_at))


@bp.route("/")
@roles(*APPLICANTS)
def index():
    form = NominateForm()
    rows = sorted(nominations.of_applicant(current_user), key=_priority)
    todo = _todo(rows)
    if current_user.role == "organization":
        org = current_user.organization
        return render_template("household/organization.html", org=org, nominations=rows,
                               offers=_offers(rows), form=form, todo=todo,
                               return_reason=_return_reason, priority=_priority)
    members = people.household_members(current_user)
    by_person: dict[int, list[Nomination]] = {}
    for n in rows:
        by_person.setdefault(n.person_id, []).append(n)
    offers = {m.id: _offers(by_person.get(m.id, [])) for m in members}
    return render_template("household/index.html", members=members, by_person=by_person,
                           offers=offers, form=form, todo=todo, return_reason=_return_reason,
                           priority=_priority)


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
    titles = _titles()
    code = request.form.get("title")
    if code is None and len(titles) == 1:  # one title to file for: the form may leave it out
        code = titles[0].code
    wf = next((t for t in titles if t.code == code), None)
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


def _load(nomination_id: int, *, reading: bool = False) -> Nomination:
    """The applicant's nomination; `reading`: also one the household reads without filing it (an
    organization filed it for its member)."""
    n = nominations.get(current_user, nomination_id)
    if not (reading or policy.is_applicant(current_user, n)):
        abort(404)
    return n


def _deletable(n: Nomination) -> bool:
    """A draft never submitted, which its applicant may delete (the engine decides again)."""
    return (n.receipt_code is None and policy.is_applicant(current_user, n)
            and n.state == workflow(n.title_code).spec.initial_state)


def _render(n: Nomination, *, scores=None, errors=None, lines=None, status=200,
            confirm_anyway=False, declared=False):
    wf = workflow(n.title_code)
    rules = wf.rules(n)
    scores = n.self_assessment if scores is None else scores
    # Editable while the applicant may change it and submit it from here.
    editable = policy.can_edit(current_user, n) and any(
        policy.can_fire(current_user, n, e) for e in meaning.submit_events(wf.spec))
    form = ActionForm(formdata=None, version=n.version)
    measured = judging.measured(n, rules)
    prior, today = judging.prior_levels(n), clock.today()
    return render_template(
        "household/nomination.html", n=n, wf=wf, rules=rules, scores=scores, errors=errors or {},
        lines=lines or [], sheet=assessment.sheet(rules, scores, measured, prior, today),
        groups=assessment.groups(rules), measured=measured,
        review_sheet=(assessment.sheet(rules, n.review_assessment, measured, prior, today)
                      if n.review_assessment else None),
        returned=n.state in meaning.returned_states(wf.spec),
        return_reason=_return_reason(n),
        shortfalls=assessment.shortfalls(rules, scores, measured) if editable else [],
        confirm_anyway=confirm_anyway, declared=declared,
        deletable=_deletable(n),
        editable=editable, form=form, input_name=assessment.input_name,
        files=evidence.list_files(current_user, n.id), max_mb=evidence.max_bytes() // 1048576,
        filer=people.filing_organization(n)), status


@bp.route("/nominations/<id:nomination_id>")
@roles(*APPLICANTS)
def nomination(nomination_id: int):
    return _render(_load(nomination_id, reading=True))


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
    submitting = request.form.get("action") in ("submit", "submit_anyway")
    declared = request.form.get("declared") == "1"
    if errors:
        return _render(n, scores=assessment.typed(rules, request.form), errors=errors,
                       lines=[_("Một số điểm chưa hợp lệ; chưa có gì được lưu.")], status=422,
                       declared=declared)
    if submitting and not declared:
        # The declaration is ticked on the page before submitting; without it nothing changes.
        # A score still missing is said at once too.
        missing = rubric.missing(rules, scores)
        lines = [_("Hãy đánh dấu ô cam đoan trước khi nộp hồ sơ; chưa có gì được lưu.")]
        if missing:
            lines.append(_("Hãy chấm đủ tất cả chỉ số trước khi nộp; chưa có gì được lưu."))
        return _render(n, scores=assessment.typed(rules, request.form), status=422, lines=lines,
                       errors={code: _("Chưa có điểm.") for code in missing})
    if submitting and request.form.get("action") != "submit_anyway" and \
            not deadlines.submission_reasons(n.title_code, n.year) and \
            assessment.shortfalls(rules, scores, judging.measured(n, rules)):
        # Said plainly before submitting: fix it, or submit anyway. Nothing is written yet.
        return _render(n, scores=scores, confirm_anyway=True, declared=declared)
    # Saving and submitting are one transaction: a refused submission keeps nothing.
    save_with = nominations.save_and_submit if submitting else nominations.update_self_assessment
    try:
        extra = {"declared": declared} if submitting else {}
        n = save_with(current_user, n.id, version=form.seen_version(), self_assessment=scores,
                      **extra)
    except Stale:
        return conflict(nomination_id, url_for("household.nomination", nomination_id=nomination_id))
    except Invalid as error:
        return _refused(nominations.get(current_user, nomination_id), wf, error)
    except TransitionNotAllowed as error:
        flash_error(error)
        return redirect(url_for("household.nomination", nomination_id=nomination_id))
    if submitting:
        flash(_("Đã nộp hồ sơ. Mã biên nhận: %(code)s", code=n.receipt_code), "success")
    else:
        flash(_("Đã lưu bản tự đánh giá."), "success")
    return redirect(url_for("household.nomination", nomination_id=n.id))


def _refused(n: Nomination, wf, error: Invalid):
    """The page again with what the user typed and why nothing was kept: a score missing shows
    beside its indicator, any other reason above the form."""
    prefix = "self_assessment."
    items = error.details or []
    missing = {item["field"][len(prefix):] for item in items
               if item.get("code") == "missing" and str(item.get("field", "")).startswith(prefix)}
    lines = [reason(item) for item in items
             if not (item.get("code") == "missing" and item["field"][len(prefix):] in missing)]
    lines.append(_("Hãy chấm đủ tất cả chỉ số trước khi nộp; chưa có gì được lưu.") if missing
                 else _("Chưa có gì được lưu."))
    return _render(n, scores=assessment.typed(wf.rules(n), request.form), status=422, lines=lines,
                   errors={code: _("Chưa có điểm.") for code in missing})


@bp.route("/nominations/<id:nomination_id>/withdraw/confirm", methods=["POST"])
@roles(*APPLICANTS)
def withdraw_confirm(nomination_id: int):
    """The confirmation page of a withdrawal; nothing is written here."""
    n = _load(nomination_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return _withdraw_confirmation(n, form)


def _withdraw_confirmation(n: Nomination, form: ActionForm):
    back = url_for("household.nomination", nomination_id=n.id)
    event = policy.withdraw_event(current_user, n)
    if form.seen_version() != n.version:
        return conflict(n.id, back)
    if event is None:
        flash_error(TransitionNotAllowed("The dossier cannot be withdrawn now.", {"state": n.state}))
        return redirect(back)
    return confirm.render(n, event, action=url_for("household.withdraw", nomination_id=n.id),
                          back=back, version=n.version)


@bp.route("/nominations/<id:nomination_id>/withdraw", methods=["POST"])
@roles(*APPLICANTS)
def withdraw(nomination_id: int):
    n = _load(nomination_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    event = policy.withdraw_event(current_user, n)
    if event is not None and confirm.needed(n, event) and not confirm.given():
        # A withdrawal cannot be undone: without `confirmed=1` the POST only asks to confirm.
        return _withdraw_confirmation(n, form)
    try:
        if event is None:
            raise TransitionNotAllowed("The dossier cannot be withdrawn now.", {"state": n.state})
        nominations.fire(current_user, n.id, event, version=form.seen_version())
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
    from ..services import public as public_service
    from . import public as public_pages

    n = _load(nomination_id, reading=True)
    return render_template(
        "household/receipt.html", n=n,
        follow=public_service.follow(n) if n.receipt_code else None,
        next_step=public_pages.next_step, status_text=public_pages.status_text,
        qr=public_pages.qr_markup, lookup_url=public_pages.lookup_url)


@bp.route("/nominations/<id:nomination_id>/delete", methods=["POST"])
@roles(*APPLICANTS)
def delete(nomination_id: int):
    """Delete a draft never submitted: without `confirmed=1` the POST only shows the
    confirmation page (no JavaScript needed); nothing is deleted until its button is pressed."""
    n = _load(nomination_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("household.nomination", nomination_id=n.id)
    if form.seen_version() != n.version:
        return conflict(n.id, back)
    if not _deletable(n):
        flash_error(TransitionNotAllowed("Only a draft never submitted can be deleted.",
                                         {"state": n.state, "event": "delete"}))
        return redirect(back)
    if not confirm.given():
        return render_template("household/delete_confirm.html", n=n, back=back,
                               version=n.version,
                               files=evidence.list_files(current_user, n.id))
    label = f"{n.subject_name} · {loc(workflow(n.title_code).spec.name)} {n.year}"
    try:
        nominations.delete_draft(current_user, n.id, version=form.seen_version())
    except Stale:
        return conflict(nomination_id, back)
    except TransitionNotAllowed as error:
        flash_error(error)
        return redirect(back)
    flash(_("Đã xoá hồ sơ nháp %(label)s.", label=label), "success")
    return redirect(url_for("household.index"))
