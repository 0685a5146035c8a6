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
from . import assessment
from .conflict import conflict
from .errors import page
from .filters import TARGET_GROUPS, loc, state_name
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


def _render(n: Nomination, *, scores=None, notes=None, errors=None, lines=None, comment="",
            status=200):
    wf = workflow(n.title_code)
    rules = wf.rules(n)
    allowed = policy.allowed_events(current_user, n)
    if scores is None:
        scores = n.review_assessment or {}
    shares = judging.shares(n, rules)
    measured = judging.measured(n, rules, known=shares)
    prior, today = judging.prior_levels(n), clock.today()
    # What the reviewer's marks reach if approved today (the decision's day decides in the end).
    result = judging.outcome(n, scores, on=today)
    return render_template(
        "review/nomination.html", n=n, wf=wf, rules=rules, allowed=allowed, scores=scores,
        notes=n.review_notes or {} if notes is None else notes, errors=errors or {},
        lines=lines or [], comment=comment, groups=assessment.groups(rules),
        shares=shares, measured=measured, outcome=result,
        why_not_higher=[reason(r.as_dict()) for r in result.why_not_higher],
        self_sheet=assessment.sheet(rules, n.self_assessment, measured, prior, today),
        sheet=assessment.sheet(rules, scores, measured, prior, today),
        input_name=assessment.input_name, note_name=assessment.note_name,
        form=ActionForm(formdata=None, version=n.version),
        comment_max=Longest.COMMENT,
        comment_events=[e for e in allowed if e in meaning.comment_events(wf.spec)],
        tones={e: meaning.event_tone(wf.spec, e) for e in allowed},
        files=evidence.list_files(current_user, n.id)), status


@bp.route("/nominations/<id:nomination_id>")
@roles(*STAFF)
def nomination(nomination_id: int):
    return _render(nominations.get(current_user, nomination_id))


@bp.route("/nominations/<id:nomination_id>", methods=["POST"])
@roles(*STAFF)
def act(nomination_id: int):
    n = nominations.get(current_user, nomination_id)
    wf = workflow(n.title_code)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    event = request.form.get("event", "")
    if event not in wf.spec.events:
        abort(400)
    if event in meaning.grant_events(wf.spec):
        # An approval is a decision: its number, date, signer and position are asked first.
        return redirect(url_for("district.approve_form", nomination_id=nomination_id))
    comment = (request.form.get("comment") or "").strip()
    scores, notes = None, None
    if event in meaning.assessment_events(wf.spec):
        rules = wf.rules(n)
        scores, errors = assessment.parse(rules, request.form)
        notes = assessment.notes(rules, request.form)
        if errors:
            return _render(n, scores=scores, notes=notes, errors=errors, comment=comment,
                           status=422, lines=[_("Một số điểm chưa hợp lệ; hồ sơ chưa thay đổi.")])
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
        return _render(n, scores=scores, notes=notes, comment=comment, status=422,
                       lines=[_("Chưa thực hiện được “%(event)s”:", event=loc(wf.spec.events[event].name))]
                       + describe(error))
    flash(_("Đã thực hiện “%(event)s” cho hồ sơ của %(name)s.", event=loc(wf.spec.events[event].name),
            name=n.subject_name), "success")
    return redirect(url_for("review.queue") if meaning.leaves_queue(wf.spec, event) else back)
