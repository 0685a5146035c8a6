"""The only code that changes a nomination's state.

`apply()` does everything an event means in one database transaction: scope, version, transition,
role and tier, guard, the state change through python-statemachine, the history entry, the
recognition and the progress counters. Its checks run in the order api.md fixes for errors:
404 (scope), 409 stale, 409 transition_not_allowed, 403, 422.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from statemachine.exceptions import TransitionNotAllowed as MachineRefused

from .. import clock, policy, rubric
from ..database import commit_keeping, writes
from ..errors import Forbidden, Invalid, NotFound, Stale, TransitionNotAllowed
from ..extensions import db
from ..models import Decision, HistoryEntry, Nomination, Recognition, User
from ..services import progress
from ..services.validate import MAX_INT, Longest
from . import Workflow, meaning, workflow

# Crockford's base32 without look-alikes (no I, L, O, U): codes people read aloud and type.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@dataclass
class Payload:
    """What an event may carry besides its name."""

    comment: str | None = None
    assessment: dict[str, Any] | None = None
    decision: Decision | None = None
    # The reviewer's note per target criterion, kept beside met / not met.
    notes: dict[str, Any] | None = None
    # Reasons the caller found in what the event carries (a new decision's fields), reported
    # with the guard's after the scope, version and role checks, as api.md orders errors.
    reasons: list[dict] | None = None


def lock(nomination_id: int) -> Nomination | None:
    """Load a nomination for change, holding its row lock (PostgreSQL) until commit — with what
    the checks and the answer read (its unit, subject, recognition and history), in two
    statements rather than one per relation."""
    if not isinstance(nomination_id, int) or not 1 <= nomination_id <= MAX_INT:
        return None
    return db.session.scalars(
        select(Nomination).where(Nomination.id == nomination_id)
        .options(joinedload(Nomination.unit, innerjoin=True), joinedload(Nomination.person),
                 joinedload(Nomination.organization), joinedload(Nomination.recognition),
                 selectinload(Nomination.history).joinedload(HistoryEntry.actor))
        .with_for_update(of=Nomination).execution_options(populate_existing=True)
    ).unique().first()


def lock_all(nomination_ids: list[int]) -> dict[int, Nomination]:
    """Load several nominations for change (those that exist), locked in id order so that two
    requests over overlapping sets cannot deadlock."""
    storable = [i for i in nomination_ids
                if isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_INT]
    return {n.id: n for n in db.session.scalars(
        select(Nomination).where(Nomination.id.in_(storable)).order_by(Nomination.id)
        .with_for_update().execution_options(populate_existing=True))}


def _guard(wf: Workflow, event: str, nomination: Nomination, payload: Payload) -> list[dict]:
    spec = wf.spec
    rules = wf.rules(nomination)
    reasons: list[rubric.Reason] = []
    if payload.comment is not None and len(payload.comment.strip()) > Longest.COMMENT:
        reasons.append(rubric.Reason("comment", "too_long",
                                     f"comment is longer than {Longest.COMMENT} characters.",
                                     {"max_length": Longest.COMMENT}))
    if payload.assessment is not None:
        reasons += rubric.score_errors(rules, payload.assessment, "assessment")
    if payload.notes is not None:
        reasons += rubric.note_errors(rules, payload.notes, "notes", Longest.NOTE)
    if "grant_recognition" in spec.events[event].effects and payload.decision is None \
            and not payload.reasons:
        # A title is recognised by a decision (NĐ 30/2020): no recognition without one.
        reasons += [rubric.Reason(f"decision.{name}", "required",
                                  f"decision.{name} is required (or decision.id).", {})
                    for name in ("number", "date", "signer", "signer_position")]
    if "enter_review_queue" in spec.events[event].effects:
        # The title's first day of submission (TT 24/2023: after the evaluation year ends).
        from ..services import deadlines
        reasons += deadlines.submission_reasons(nomination.title_code, nomination.year)
    for need in spec.events[event].needs:
        if need == "comment" and not (payload.comment or "").strip():
            reasons.append(rubric.Reason("comment", "required",
                                         "A comment is required for this action.", {}))
        elif need == "complete_self_assessment":
            reasons += rubric.completeness_errors(rules, nomination.self_assessment or {},
                                                  "self_assessment")
            from ..services import evidence
            reasons += evidence.missing_documents(nomination, rules)
        elif need == "complete_assessment":
            if payload.assessment is None:
                reasons.append(rubric.Reason("assessment", "required",
                                             "The reviewer's scores for every criterion are required.",
                                             {}))
            else:
                reasons += rubric.completeness_errors(rules, payload.assessment, "assessment")
        elif need == "pass_rule" and payload.assessment is not None:
            from ..services import judging
            valid = rubric.well_formed(rules, payload.assessment)
            reasons += rubric.pass_rule_errors(rules, valid, "assessment",
                                               judging.measured(nomination, rules))
    return [r.as_dict() for r in reasons] + list(payload.reasons or [])


def fire(nomination: Nomination, event: str, actor: User, payload: Payload,
         version: int | None = None) -> Nomination:
    """Check and apply one event inside the caller's write transaction (see `apply`)."""
    if not policy.can_view(actor, nomination):
        raise NotFound("No such nomination.")
    if version is not None and version != nomination.version:
        raise Stale(f"The nomination has changed (version {nomination.version}, not {version}); "
                    "reload it and try again.",
                    {"current_version": nomination.version, "state": nomination.state})
    wf = workflow(nomination.title_code)
    candidates = wf.spec.transition(event, nomination.state)
    if not candidates:
        raise TransitionNotAllowed(
            f"'{event}' is not possible while the nomination is {nomination.state}.",
            {"state": nomination.state, "event": event})
    chosen = next((t for t in candidates if policy.may_take(actor, wf, t, nomination)), None)
    if chosen is None:
        raise Forbidden(f"Your account may not '{event}' this nomination.",
                        {"roles": sorted({t.role for t in candidates})})
    reasons = _guard(wf, event, nomination, payload)
    if reasons:
        raise Invalid("The action's requirements are not met.", reasons)

    before = nomination.state
    try:
        wf.machine(nomination).send(event)
    except MachineRefused as exc:  # the file and the machine disagree: a bug, never user input
        raise TransitionNotAllowed(str(exc), {"state": before, "event": event}) from exc
    assert nomination.state == chosen.to, (nomination.state, chosen.to)

    now = clock.now()
    # The reviewer scores; the approver's events do not rewrite those scores (nor the grade).
    if payload.assessment is not None and chosen.role == "reviewer":
        nomination.review_assessment = dict(payload.assessment)
        nomination.review_notes = {k: v.strip() for k, v in (payload.notes or {}).items()
                                   if v.strip()}
    nomination.version += 1
    nomination.updated_at = now
    effects = wf.spec.events[event].effects
    if "enter_review_queue" in effects:
        nomination.submitted_at = now
    nomination.is_open = meaning.is_open(wf.spec, nomination.state)
    db.session.add(HistoryEntry(nomination=nomination, event=event, from_state=before,
                                to_state=nomination.state, actor_id=actor.id, at=now,
                                comment=(payload.comment or "").strip() or None))
    if "grant_recognition" in effects:
        _grant(wf, nomination, payload.decision)
    if "end_recognition" in effects and nomination.recognition is not None:
        _end(nomination.recognition, reason=(payload.comment or "").strip() or None)
    return nomination


@writes
def apply(nomination_id: int, event: str, actor: User, version: int | None,
          payload: Payload | None = None) -> Nomination:
    """Fire `event` on a nomination as `actor`, in one transaction; raises a CertifyError."""
    nomination = lock(nomination_id)
    if nomination is None:
        raise NotFound("No such nomination.")
    fire(nomination, event, actor, payload or Payload(), version)
    commit_keeping()
    return nomination


def _grant(wf: Workflow, nomination: Nomination, decision: Decision | None) -> None:
    from ..services import judging

    start = decision.date if decision is not None else clock.today()
    rules = wf.rules(nomination)
    if rules.valid.counted_from == "end_of_decision_year":
        # "kept for the N years following the year of recognition" (TT 24/2023)
        until = date(start.year + rules.valid.years, 12, 31)
    else:
        until = clock.add_years(start, rules.valid.years) - timedelta(days=1)
    result = judging.outcome(nomination, on=start)
    # Holders are subjects: the counters move by the days this recognition adds to those the
    # subject already holds the title on (an earlier recognition may still be valid).
    held = progress.subject_recognitions(nomination)
    # Where the subject counts on each day: along the lines of succession of its recognitions
    # (a recognition decided before a reorganisation counts on the successor from its date).
    place = progress.placer(nomination)
    recognition = Recognition(
        nomination=nomination, code=random_code(12), title_code=nomination.title_code,
        unit_id=nomination.unit_id, valid_from=start, valid_until=until,
        grade=result.grade, level=result.level, decision=decision)
    db.session.add(recognition)
    progress.record_change(nomination.title_code, place(held), place(held + [recognition]))


def _end(recognition: Recognition, on: date | None = None, reason: str | None = None) -> None:
    held = progress.subject_recognitions(recognition.nomination)
    place = progress.placer(recognition.nomination)
    before = place(held)
    recognition.revoked_on = on or clock.today()
    recognition.revoke_reason = reason
    progress.record_change(recognition.title_code, before, place(held))
