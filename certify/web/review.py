"""The review queue and the review page, for reviewers and approvers (and admins, who may look)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import Optional

from ..errors import Forbidden, Invalid, Stale, TransitionNotAllowed
from ..models import Nomination
from ..services import evidence, judging, nominations
from .. import policy
from ..workflow import meaning, workflow, workflows
from . import assessment, confirm
from .conflict import conflict
from .errors import page
from .filters import TARGET_GROUPS, event_name, loc, state_name
from ..services.validate import Longest
from .helpers import INVALID_CHOICE, ActionForm, MaxLength, choices, int_arg, roles
from ..messages import describe, reason
from .. import clock

bp = Blueprint("review", __name__, url_prefix="/review")

STAFF = ("reviewer", "approver", "admin")
# The state filter's value for "the review queue", whatever each title calls that state (no
# state is named with a leading "@": YAML would not read it unquoted).
QUEUE = "@queue"
PER_PAGE = 30


class QueueFilters(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    state = SelectField(_l("Trạng thái"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])
    title = SelectField(_l("Danh hiệu"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])
    year = StringField(_l("Năm"), validators=[Optional()])
    target_group = SelectField(_l("Đối tượng"), invalid_choice_message=INVALID_CHOICE,
                               validators=[Optional()])
    q = SearchField(_l("Tìm theo tên (không cần dấu)"),
                    validators=[Optional(), MaxLength(Longest.QUERY)])


def _state_choices():
    seen: dict[str, str] = {QUEUE: _("Chờ thẩm định")}
    for wf in workflows().values():
        for name in wf.spec.states:
            seen.setdefault(name, state_name(name, wf.code))
    return choices([("", _("Tất cả"))] + list(seen.items()))


@bp.route("/")
@roles(*STAFF)
def queue():
    args = request.args
    default_state = QUEUE if current_user.role == "reviewer" else ""
    state = args.get("state", default_state)
    form = QueueFilters(formdata=None, state=state, title=args.get("title", ""),
                        year=args.get("year", ""), target_group=args.get("target_group", ""),
                        q=args.get("q", ""))
    form.state.choices = _state_choices()
    form.title.choices = choices([("", _("Tất cả"))] + [(wf.code, loc(wf.spec.name))
                                                       for wf in workflows().values()])
    form.target_group.choices = choices([("", _("Tất cả"))] + list(TARGET_GROUPS.items()))
    year = int_arg(args.get("year"), 1900, 2200) if args.get("year") else None
    page_no = max(int_arg(args.get("page")) or 1, 1)
    result = nominations.search(
        current_user, state=(state or None) if state != QUEUE else None,
        stage="review" if state == QUEUE else None, title=args.get("title") or None, year=year,
        q=(args.get("q") or "").strip() or None, target_group=args.get("target_group") or None,
        page=page_no, per_page=PER_PAGE)
    params = {k: v for k, v in args.items() if k != "page"}
    params.setdefault("state", state)
    return render_template("review/queue.html", form=form, result=result, params=params)


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
