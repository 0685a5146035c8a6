"""The review queue and the review page, for reviewers and approvers (and admins, who may look)."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, SearchField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import Optional

from ..errors import Forbidden, Invalid, NotFound, Stale, TransitionNotAllowed
from ..models import Nomination
from ..services import evidence, exports, judging, nominations, scope
from ..services import units as unit_service
from .. import policy
from ..workflow import meaning, workflow, workflows
from . import assessment, confirm
from .conflict import conflict
from .errors import page
from .filters import TARGET_GROUPS, event_name, loc, state_name
from ..services.validate import Longest
from .helpers import INVALID_CHOICE, ActionForm, MaxLength, attachment, choices, int_arg, roles
from ..messages import describe, reason
from .. import clock

bp = Blueprint("review", __name__, url_prefix="/review")

STAFF = ("reviewer", "approver", "admin")
# The state filter's value for "the review queue", whatever each title calls that state (no
# state is named with a leading "@": YAML would not read it unquoted).
QUEUE = "@queue"
PER_PAGE = 30
MAX_PER_PAGE = 200


class QueueFilters(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    state = SelectField(_l("Trạng thái"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])
    title = SelectField(_l("Danh hiệu"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])
    year = StringField(_l("Năm"), validators=[Optional()])
    unit = StringField(_l("Mã đơn vị (gồm các đơn vị trực thuộc)"), validators=[Optional()])
    target_group = SelectField(_l("Đối tượng"), invalid_choice_message=INVALID_CHOICE,
                               validators=[Optional()])
    late = BooleanField(_l("Chỉ hồ sơ quá hạn xét"))
    q = SearchField(_l("Tìm theo tên (không cần dấu), mã hồ sơ, số định danh, tên đơn vị"),
                    validators=[Optional(), MaxLength(Longest.QUERY)])


def _state_choices():
    seen: dict[str, str] = {QUEUE: _("Chờ thẩm định")}
    for wf in workflows().values():
        for name in wf.spec.states:
            seen.setdefault(name, state_name(name, wf.code))
    return choices([("", _("Tất cả"))] + list(seen.items()))


def read_filter(args, *, state_default: str = "", with_state: bool = True):
    """The list filter from a query string (or a form carrying it), its form, and the arguments
    that reproduce it (for pager and export links). Pages, exports and bulk steps all read it
    here; `with_state=False` for the approver's list (always the dossiers awaiting a decision)."""
    state = args.get("state", state_default) if with_state else ""
    form = QueueFilters(formdata=None, state=state, title=args.get("title", ""),
                        year=args.get("year", ""), unit=args.get("unit", ""),
                        target_group=args.get("target_group", ""),
                        late=bool(args.get("late")), q=args.get("q", ""))
    form.state.choices = _state_choices()
    form.title.choices = choices([("", _("Tất cả"))] + [(wf.code, loc(wf.spec.name))
                                                       for wf in workflows().values()])
    form.target_group.choices = choices([("", _("Tất cả"))] + list(TARGET_GROUPS.items()))
    raw_year = (args.get("year") or "").strip()
    year = int_arg(raw_year, 1900, 2200) if raw_year else None
    if raw_year and year is None:
        year = -1  # a year that is not one matches nothing (never an error page)
    q = (args.get("q") or "").strip() or None  # past Longest.QUERY: the service says 422
    if with_state:
        f = nominations.QueueFilter(
            state=(state or None) if state != QUEUE else None,
            stage="review" if state == QUEUE else None, title=args.get("title") or None,
            year=year, unit=(args.get("unit") or "").strip() or None,
            target_group=args.get("target_group") or None, late=bool(args.get("late")), q=q)
    else:
        f = nominations.QueueFilter(
            stage="decision", title=args.get("title") or None, year=year,
            unit=(args.get("unit") or "").strip() or None,
            target_group=args.get("target_group") or None, late=bool(args.get("late")), q=q)
    params = {k: v for k, v in {"state": state if with_state else "",
                                "title": args.get("title", ""), "year": raw_year,
                                "unit": (args.get("unit") or "").strip(),
                                "target_group": args.get("target_group", ""),
                                "late": "1" if args.get("late") else "",
                                "q": q or ""}.items() if v}
    if with_state:
        params.setdefault("state", "")
    return f, form, params


def _page_size(args, default: int) -> int:
    return int_arg(args.get("per_page"), 1, MAX_PER_PAGE) or default


@bp.route("/")
@roles(*STAFF)
def queue():
    args = request.args
    default_state = QUEUE if current_user.role == "reviewer" else ""
    f, form, params = read_filter(args, state_default=default_state)
    page_no = max(int_arg(args.get("page")) or 1, 1)
    per_page = _page_size(args, PER_PAGE)
    result = nominations.search(current_user, f, page=page_no, per_page=per_page,
                                detail=False)
    if per_page != PER_PAGE:
        params["per_page"] = per_page
    # Bulk steps are offered on the review queue to an account that scores dossiers.
    bulk = current_user.role == "reviewer" and f.stage == "review"
    return render_template("review/queue.html", form=form, result=result, params=params,
                           bulk=bulk, bulk_form=BulkForm(formdata=None),
                           late=nominations.late_among, comment_max=Longest.COMMENT,
                           submitted_late_among=nominations.submitted_late_among)


EXPORTS = {"csv": ("text/csv; charset=utf-8", exports.queue_csv),
           "xlsx": (exports.XLSX_TYPE, exports.queue_xlsx)}


@bp.route("/export.<any(csv, xlsx):fmt>")
@roles(*STAFF)
def export(fmt: str):
    """The queue as filtered, every matching row (not only one page)."""
    default_state = QUEUE if current_user.role == "reviewer" else ""
    f, _form, _params = read_filter(request.args, state_default=default_state)
    mimetype, build = EXPORTS[fmt]
    return attachment(build(current_user, f), mimetype, f"ho-so-{clock.today().isoformat()}", fmt)


@bp.route("/units/<code>/roster.<any(csv, xlsx):fmt>")
@roles(*STAFF)
def roster(code: str, fmt: str):
    """A unit's roster: its households and their members, its organizations (and below)."""
    unit = unit_service.find(code)
    if unit is None or not scope.in_unit_scope(current_user, unit):
        abort(404)
    build = exports.roster_csv if fmt == "csv" else exports.roster_xlsx
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else exports.XLSX_TYPE
    return attachment(build(current_user, unit), mimetype, f"danh-sach-{unit.code}", fmt)


# -- bulk verify and bulk return ------------------------------------------------------------------

BULK_STEPS = ("verify", "return")
# How many of a confirmed selection the confirmation page names (the count says the rest).
SHOWN = 200


class BulkForm(FlaskForm):
    """A bulk step over selected dossiers (or every one matching the filter)."""

    action = HiddenField()
    comment = TextAreaField(_l("Lý do trả lại (gửi cho tất cả hồ sơ đã chọn)"),
                            validators=[Optional(), MaxLength(Longest.COMMENT)])
    token = HiddenField()


def selected_ids(form_data, f) -> list[int]:
    """The dossiers a bulk form names: every one matching the filter ("all_matching"), or those
    ticked."""
    if form_data.get("all_matching"):
        return nominations.matching_ids(current_user, f)
    ids = [int_arg(v) for v in form_data.getlist("nomination_id")]
    return list(dict.fromkeys(i for i in ids if i is not None))


def _back(params) -> str:
    return url_for("review.queue", **params)


@bp.route("/bulk/confirm", methods=["POST"])
@roles("reviewer")
def bulk_confirm():
    """Step one: who and how many; nothing is written yet."""
    form = BulkForm()
    if not form.validate_on_submit():
        return page(400, _("Biểu mẫu không hợp lệ hoặc đã hết hạn; hãy tải lại trang."),
                    back=url_for("review.queue"))
    action = request.form.get("action", "")
    f, _form, params = read_filter(request.form, state_default=QUEUE)
    if action not in BULK_STEPS:
        abort(400)
    # Bulk steps act on the review queue: "all matching" never reaches beyond it.
    ids = selected_ids(request.form, dataclasses.replace(f, stage="review"))
    comment = (form.comment.data or "").strip()
    if not ids:
        return page(422, _("Hãy chọn ít nhất một hồ sơ; chưa có gì được ghi."), back=_back(params))
    if action == "return" and not comment:
        return page(422, _("Hãy nhập lý do trả lại; chưa có gì được ghi."), back=_back(params))
    if not request.form.get("all_matching"):  # ticked ids: each one the reviewer may see
        ticked = nominations.rows_of(ids)
        if len(ticked) != len(ids) or not all(policy.can_view(current_user, n) for n in ticked):
            abort(404)
    shown = nominations.rows_of(ids[:SHOWN])
    failing = nominations.failing_self_assessments(nominations.rows_of(ids)) \
        if action == "verify" else []
    token = nominations.seal(current_user, ids, "bulk-" + action)
    return render_template("review/bulk_confirm.html", action=action, ids=ids, shown=shown,
                           failing=failing, comment=comment, token=token, params=params,
                           form=BulkForm(formdata=None, action=action, comment=comment,
                                         token=token)), (422 if failing else 200)


@bp.route("/bulk", methods=["POST"])
@roles("reviewer")
def bulk():
    """Step two: the confirmed set, exactly, in one transaction; all or nothing."""
    form = BulkForm()
    if not form.validate_on_submit():
        return page(400, _("Biểu mẫu không hợp lệ hoặc đã hết hạn; hãy tải lại trang."),
                    back=url_for("review.queue"))
    action = form.action.data or ""
    if action not in BULK_STEPS:
        abort(400)
    ids = nominations.unseal(current_user, form.token.data or "", "bulk-" + action)
    if ids is None:
        return page(400, _("Xác nhận không hợp lệ hoặc đã hết hạn; hãy chọn lại."),
                    back=url_for("review.queue"))
    try:
        if action == "verify":
            done = nominations.bulk_verify(current_user, ids)
        else:
            done = nominations.bulk_return(current_user, ids, form.comment.data or "")
    except (Stale, TransitionNotAllowed, NotFound):
        return page(409, _("Một số hồ sơ đã được người khác xử lý hoặc không còn chờ thẩm định. "
                           "Chưa có gì được ghi; hãy chọn lại."), back=url_for("review.queue"))
    except Forbidden as error:
        return page(403, " ".join(describe(error)))
    except Invalid as error:
        return page(422, " ".join([_("Chưa có gì được ghi:")] + describe(error)),
                    back=url_for("review.queue"))
    if action == "verify":
        flash(_("Đã xác minh %(count)s hồ sơ theo điểm tự đánh giá.", count=len(done)), "success")
    else:
        flash(_("Đã trả lại %(count)s hồ sơ.", count=len(done)), "success")
    return redirect(url_for("review.queue"))


def _stage(user) -> str | None:
    """The list whose "Hồ sơ tiếp theo" the account follows: a reviewer's queue, an approver's
    dossiers awaiting a decision."""
    return {"reviewer": "review", "approver": "decision"}.get(user.role)


def _next(n: Nomination) -> Nomination | None:
    stage = _stage(current_user)
    return nominations.next_in_queue(current_user, n, stage) if stage else None


def _self_scores(n: Nomination, rules) -> dict:
    """The applicant's self-assessment, for the criteria a reviewer enters (computed ones are
    measured, never typed): what "Điền theo điểm tự đánh giá" puts in the form."""
    entered = {c.code for c in rules.criteria if not c.computed}
    return {code: v for code, v in (n.self_assessment or {}).items() if code in entered}


def _evidence(rules, files) -> dict:
    """Evidence files by where the review page shows them: beside their criterion (`by_code`),
    or in the block above the criteria (the required documents and any file whose code is no
    criterion of the rules in force)."""
    codes = {c.code for c in rules.criteria}
    return {"by_code": {code: [f for f in files if f.criterion == code] for code in codes},
            "general": [f for f in files if f.criterion not in codes]}


def _render(n: Nomination, *, scores=None, notes=None, errors=None, lines=None, comment="",
            comment_for=None, prefill=False, status=200):
    wf = workflow(n.title_code)
    rules = wf.rules(n)
    allowed = policy.allowed_events(current_user, n)
    if prefill:
        scores = _self_scores(n, rules)
    elif scores is None:
        scores = n.review_assessment or {}
    shares = judging.shares(n, rules)
    measured = judging.measured(n, rules, known=shares)
    prior, today = judging.prior_levels(n), clock.today()
    # What the reviewer's marks reach if approved today (the decision's day decides in the end).
    result = judging.outcome(n, scores, on=today)
    spec = wf.spec
    comments = set(meaning.comment_events(spec))
    final = [e for e in allowed if confirm.needed(n, e) and e not in meaning.grant_events(spec)]
    send_back = [e for e in allowed if e in comments and e not in final]
    files = evidence.list_files(current_user, n.id)
    return render_template(
        "review/nomination.html", n=n, wf=wf, rules=rules, allowed=allowed, scores=scores,
        notes=n.review_notes or {} if notes is None else notes, errors=errors or {},
        lines=lines or [], comment=comment, comment_for=comment_for, prefilled=prefill,
        groups=assessment.groups(rules),
        shares=shares, measured=measured, outcome=result,
        why_not_higher=[reason(r.as_dict()) for r in result.why_not_higher],
        self_sheet=assessment.sheet(rules, n.self_assessment, measured, prior, today),
        sheet=assessment.sheet(rules, scores, measured, prior, today),
        input_name=assessment.input_name, note_name=assessment.note_name,
        form=ActionForm(formdata=None, version=n.version),
        comment_max=Longest.COMMENT,
        main_events=[e for e in allowed if e not in final and e not in send_back],
        send_back_events=send_back, final_events=final, comment_events=comments,
        tones={e: meaning.event_tone(spec, e) for e in allowed},
        files=files, evidence=_evidence(rules, files), next_n=_next(n)), status


@bp.route("/nominations/<id:nomination_id>")
@roles(*STAFF)
def nomination(nomination_id: int):
    # ?prefill=1: the form filled with the self-assessed scores, for the reviewer to adjust.
    return _render(nominations.get(current_user, nomination_id),
                   prefill=request.args.get("prefill") == "1")


def _read_event(n: Nomination) -> tuple[ActionForm, str]:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    event = request.form.get("event", "")
    if event not in workflow(n.title_code).spec.events:
        abort(400)
    return form, event


@bp.route("/nominations/<id:nomination_id>/confirm", methods=["POST"])
@roles(*STAFF)
def confirm_event(nomination_id: int):
    """The confirmation page of an event that cannot be undone; nothing is written here."""
    n = nominations.get(current_user, nomination_id)
    form, event = _read_event(n)
    if not confirm.needed(n, event):
        abort(400)  # the other events act at once (their forms post to `act`)
    return _confirmation(n, form, event)


def _confirmation(n: Nomination, form: ActionForm, event: str):
    back = url_for("review.nomination", nomination_id=n.id)
    if event in meaning.grant_events(workflow(n.title_code).spec):
        # An approval is a decision: its number, date, signer and position are asked first,
        # then confirmed on the decision's own page.
        return redirect(url_for("district.approve_form", nomination_id=n.id))
    if form.seen_version() != n.version or not workflow(n.title_code).spec.transition(event, n.state):
        return conflict(n.id, back)  # someone acted first: show what changed, as the act would
    if event not in policy.allowed_events(current_user, n):
        return page(403, _("Tài khoản của bạn không được thực hiện thao tác này với hồ sơ."))
    comment = (request.form.get("comment") or "").strip()
    problems = confirm.comment_problems(n, event, comment)
    if problems:
        return _render(n, comment=comment, comment_for=event, status=422, lines=[
            _("Chưa thực hiện được “%(event)s”:", event=event_name(event, n.title_code))] + problems)
    return confirm.render(n, event, action=url_for("review.act", nomination_id=n.id), back=back,
                          version=n.version, comment=comment)


@bp.route("/nominations/<id:nomination_id>", methods=["POST"])
@roles(*STAFF)
def act(nomination_id: int):
    n = nominations.get(current_user, nomination_id)
    wf = workflow(n.title_code)
    form, event = _read_event(n)
    if event in meaning.grant_events(wf.spec) or (confirm.needed(n, event) and not confirm.given()):
        # What cannot be undone is confirmed first: without `confirmed=1` the POST only shows
        # the confirmation page.
        return _confirmation(n, form, event)
    comment = (request.form.get("comment") or "").strip()
    scores, notes = None, None
    if event in meaning.assessment_events(wf.spec):
        rules = wf.rules(n)
        scores, errors = assessment.parse(rules, request.form)
        notes = assessment.notes(rules, request.form)
        if errors:
            return _render(n, scores=scores, notes=notes, errors=errors, comment=comment,
                           comment_for=event, status=422,
                           lines=[_("Một số điểm chưa hợp lệ; hồ sơ chưa thay đổi.")])
    back = url_for("review.nomination", nomination_id=nomination_id)
    try:
        nominations.fire(current_user, nomination_id, event, version=form.seen_version(),
                         comment=comment or None, assessment=scores, notes=notes)
    except (Stale, TransitionNotAllowed):
        return conflict(nomination_id, back)
    except Forbidden as error:
        return page(403, " ".join(describe(error)))
    except Invalid as error:
        n = nominations.get(current_user, nomination_id)
        return _render(n, scores=scores, notes=notes, comment=comment, comment_for=event,
                       status=422,
                       lines=[_("Chưa thực hiện được “%(event)s”:", event=loc(wf.spec.events[event].name))]
                       + describe(error))
    flash(_("Đã thực hiện “%(event)s” cho hồ sơ của %(name)s.", event=loc(wf.spec.events[event].name),
            name=n.subject_name), "success")
    if not meaning.leaves_queue(wf.spec, event):
        return redirect(back)
    # The dossier left the queue: the next one in it is offered at once (the queue when none is left).
    following = _next(n)
    if following is None:
        return redirect(url_for("review.queue"))
    flash(_("Hồ sơ tiếp theo trong hàng chờ: %(name)s.", name=following.subject_name), "info")
    return redirect(url_for("review.nomination", nomination_id=following.id))
