"""The only code that changes a nomination's state.

`apply()` does everything an event means in one database transaction: scope, version, transition,
role and tier, guard, the state change through python-statemachine, the history entry, the
recognition and the progress counters. Its checks run in the order api.md fixes for errors:
404 (scope), 409 stale, 409 transition_not_allowed, 403, 422.
"""

from __future__ import annotations

import functools
import secrets
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import delete as sa_delete
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update as sa_update
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from statemachine.exceptions import TransitionNotAllowed as MachineRefused

from .. import clock, policy, rubric
from ..database import commit_keeping, writes
from ..errors import Forbidden, Invalid, NotFound, Stale, TransitionNotAllowed
from ..extensions import db
from ..models import Decision, HistoryEntry, Nomination, Recognition, Unit, User
from ..services import notifications, progress
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
    the checks and the answer read (its unit, subject, recognition and history with the actors),
    in one statement."""
    if not isinstance(nomination_id, int) or not 1 <= nomination_id <= MAX_INT:
        return None
    return db.session.scalars(_lock_statement(), {"nomination_id": nomination_id}).unique().first()


@functools.cache
def _lock_statement():
    """`lock`'s statement, built once: SQLAlchemy keeps its cache key on the statement object, so
    a request neither rebuilds the query and its loader options nor recomputes that key."""
    return (select(Nomination).where(Nomination.id == bindparam("nomination_id"))
            .options(joinedload(Nomination.unit, innerjoin=True), joinedload(Nomination.person),
                     joinedload(Nomination.organization), joinedload(Nomination.recognition),
                     joinedload(Nomination.history).joinedload(HistoryEntry.actor))
            .with_for_update(of=Nomination).execution_options(populate_existing=True))


def lock_all(nomination_ids: list[int]) -> dict[int, Nomination]:
    """Load several nominations for change (those that exist), locked in id order so that two
    requests over overlapping sets cannot deadlock; CHUNK ids per statement, below the
    databases' limits on bound parameters (PostgreSQL's 65,535, SQLite's 32,766 by default),
    whatever the count."""
    storable = sorted({i for i in nomination_ids
                       if isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_INT})
    out: dict[int, Nomination] = {}
    for part in _chunks(storable):
        out.update((n.id, n) for n in db.session.scalars(
            select(Nomination).where(Nomination.id.in_(part)).order_by(Nomination.id)
            .with_for_update().execution_options(populate_existing=True)))
    return out


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
    wf, chosen = _check(nomination, event, actor, payload, version)

    before = nomination.state
    to = _send(wf, nomination.state, event)
    assert to == chosen.to, (to, chosen.to)

    now = clock.now()
    effects = wf.spec.events[event].effects
    values: dict[str, Any] = {"state": to, "version": nomination.version + 1, "updated_at": now,
                              "is_open": meaning.is_open(wf.spec, to)}
    # The reviewer scores; the approver's events do not rewrite those scores (nor the grade).
    if payload.assessment is not None and chosen.role == "reviewer":
        values["review_assessment"] = dict(payload.assessment)
        values["review_notes"] = {k: v.strip() for k, v in (payload.notes or {}).items()
                                  if v.strip()}
    if "enter_review_queue" in effects:
        values["submitted_at"] = now
        if nomination.receipt_code is None:  # the first submission receives the dossier
            from ..services.nominations import _receipt_code
            values["receipt_code"] = _receipt_code(nomination.title_code, nomination.year)
    _store(nomination, values)
    _record(nomination, {"event": event, "from_state": before, "to_state": to,
                         "actor_id": actor.id, "at": now,
                         "comment": (payload.comment or "").strip() or None})
    if "grant_recognition" in effects:
        _grant(wf, nomination, payload.decision)
    if "end_recognition" in effects and nomination.recognition is not None:
        _end(nomination.recognition, reason=(payload.comment or "").strip() or None)
    notifications.on_event(nomination, event, before, actor, payload.comment)
    return nomination


class _State:
    """What a cached state machine is bound to: the state of the nomination being changed."""

    state: str | None = None


_machines = threading.local()


def _send(wf: Workflow, state: str, event: str) -> str:
    """Let the title's python-statemachine make the transition from `state`; returns the state it
    leads to. The machine reads its model's state at every event, so each thread keeps one
    machine per title, bound to a `_State` given the nomination's state (building a machine
    costs more than the transition itself); a refused or failed event, or a final state (after
    which a machine takes no more events), drops it."""
    cache = _machines.__dict__
    entry = cache.get(wf.spec.code)
    if entry is None or entry[0] is not wf.machine_class or entry[2].is_terminated:
        holder = _State()
        entry = cache[wf.spec.code] = (wf.machine_class, holder, wf.machine(holder))
    _cls, holder, machine = entry
    holder.state = state
    try:
        machine.send(event)
    except MachineRefused as exc:  # the file and the machine disagree: a bug, never user input
        cache.pop(wf.spec.code, None)
        raise TransitionNotAllowed(str(exc), {"state": state, "event": event}) from exc
    except BaseException:
        cache.pop(wf.spec.code, None)
        raise
    if machine.is_terminated:  # a machine that entered a final state takes no more events
        cache.pop(wf.spec.code, None)
    return holder.state


# An event writes its dossier's row and history entry with two statements of its own, built once,
# rather than through the session's unit of work: the flush's bookkeeping (sorting the mappers'
# dependencies, cascading along the dossier's relationships) cost more than the rest of an
# event's work together. The session's copies are then set to what was written, as if loaded, so
# that the answer is built without reading them again; anything else the event adds (a
# recognition, a decision) still goes through the session.

def _store(nomination: Nomination, values: dict[str, Any]) -> None:
    """UPDATE the nomination's row with `values` (column → value) and make them the session's
    committed copy."""
    state = sa_inspect(nomination)
    if state.pending or state.modified:  # what the caller changed goes first, as a flush would
        db.session.flush()
    db.session.connection().execute(_update_statement(frozenset(values)),
                                    {"row_id": nomination.id,
                                     **{f"new_{k}": v for k, v in values.items()}})
    for key, value in values.items():
        set_committed_value(nomination, key, value)


@functools.cache
def _update_statement(columns: frozenset[str]):
    table = Nomination.__table__
    return (sa_update(table).where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}", type_=table.c[name].type)
                     for name in sorted(columns)}))


def _record(nomination: Nomination, row: dict[str, Any]) -> HistoryEntry:
    """INSERT the nomination's history entry `row` and add it, as stored, to the session and to
    the nomination's history when that is loaded (a history read later finds it in the table).
    Its actor and nomination are the session's, found by their ids without a query."""
    result = db.session.connection().execute(_history_insert(),
                                             {"nomination_id": nomination.id, **row})
    entry = HistoryEntry(id=result.inserted_primary_key[0], nomination_id=nomination.id, **row)
    make_transient_to_detached(entry)
    db.session.add(entry)
    if "history" not in sa_inspect(nomination).unloaded:
        set_committed_value(nomination, "history", [*nomination.history, entry])
    return entry


@functools.cache
def _history_insert():
    return HistoryEntry.__table__.insert()


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
    until = valid_until(rules, start)
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


def valid_until(rules, start: date) -> date:
    """The last day a recognition starting on `start` is valid under `rules`."""
    if rules.valid.counted_from == "end_of_decision_year":
        # "kept for the N years following the year of recognition" (TT 24/2023)
        return date(start.year + rules.valid.years, 12, 31)
    return clock.add_years(start, rules.valid.years) - timedelta(days=1)


# The history event of a dossier recorded from a paper decision (not a workflow event).
PAPER_IMPORT = "import"


@dataclass
class PaperRecognition:
    """A title granted on paper before the product (certify/services/imports.py): its subject,
    evaluation year, the paper decision (new or stored) and, when the paper says so, its last day,
    level or grade."""

    workflow: Workflow
    rules: Any  # the RuleVersion of `year`
    unit: Any  # the subject's Unit
    year: int
    person_id: int | None
    organization_id: int | None
    decision: Decision
    valid_until: date | None = None
    level: str | None = None
    grade: str | None = None


def record_paper_recognitions(items: list[PaperRecognition], actor: User | None) -> list[Nomination]:
    """Record recognitions granted on paper, inside the caller's write transaction: each becomes a
    nomination created directly in its title's granted state, with one history entry (event
    "import", naming the paper decision), and its recognition, valid from the decision's date;
    the progress counters move as `_grant` moves them, summed per title."""
    from ..services.nominations import _receipt_code

    now = clock.now()
    actor_id = actor.id if actor is not None else None
    made: list[tuple[Nomination, Recognition, Any]] = []
    for item in items:
        spec = item.workflow.spec
        state = meaning.granted_states(spec)[0]
        d = item.decision
        nomination = Nomination(
            receipt_code=_receipt_code(spec.code, item.year), title_code=spec.code, year=item.year,
            rule_version=item.rules.id, unit_id=item.unit.id, person_id=item.person_id,
            organization_id=item.organization_id, state=state,
            is_open=meaning.is_open(spec, state), version=1, self_assessment={},
            review_assessment={}, created_by_id=actor_id, created_at=now, updated_at=now)
        nomination.history.append(HistoryEntry(
            event=PAPER_IMPORT, from_state=None, to_state=state, actor_id=actor_id, at=now,
            comment=f"Nhập từ quyết định giấy số {d.number} ngày {d.date:%d/%m/%Y} "
                    f"(imported from the paper decision {d.number} of {d.date.isoformat()})."))
        recognition = Recognition(
            nomination=nomination, code=random_code(12), title_code=spec.code,
            unit_id=item.unit.id, valid_from=d.date,
            valid_until=item.valid_until or valid_until(item.rules, d.date),
            grade=item.grade, level=item.level, decision=d)
        made.append((nomination, recognition, item.unit))
    db.session.add_all([n for n, _r, _u in made])
    progress.lock_subjects([n for n, _r, _u in made])
    db.session.flush()
    # Holders are subjects: per subject and title, the days its new recognitions add to those its
    # stored ones already cover.
    new_ids = {r.id for _n, r, _u in made}
    added: dict[tuple, list[Recognition]] = {}
    units: dict[tuple, Any] = {}
    for n, r, unit in made:
        key = (n.title_code, n.person_id, n.organization_id)
        added.setdefault(key, []).append(r)
        units[key] = unit
    stored: dict[tuple, list[Recognition]] = {key: [] for key in added}
    for person in (True, False):
        column = Nomination.person_id if person else Nomination.organization_id
        ids = sorted({k[1] if person else k[2] for k in added if (k[1] is not None) == person})
        for start in range(0, len(ids), 2000):
            for rec, title, pid, oid in db.session.execute(
                    select(Recognition, Nomination.title_code, Nomination.person_id,
                           Nomination.organization_id)
                    .join(Nomination, Nomination.id == Recognition.nomination_id)
                    .where(column.in_(ids[start:start + 2000]))
                    .order_by(Recognition.id)):
                key = (title, pid, oid)
                if key in stored and rec.id not in new_ids:
                    stored[key].append(rec)
    # Where each subject counts follows its line of succession (progress.Lineage), read once.
    lineage = progress.Lineage.load()
    paths = dict(db.session.execute(select(Unit.id, Unit.path)).all())
    # Every subject's change summed per title: one counters' upsert per title, not per subject.
    before_of: dict[str, list] = {}
    after_of: dict[str, list] = {}
    for key, new in added.items():
        title_code, today = key[0], units[key].id
        before = stored[key]
        if before:
            before_of.setdefault(title_code, []).extend(lineage.placement(before, today))
        after_of.setdefault(title_code, []).extend(lineage.placement(before + new, today))
    for title_code, after in after_of.items():
        progress.record_change(title_code, before_of.get(title_code, []), after, paths)
    return [n for n, _r, _u in made]


def _end(recognition: Recognition, on: date | None = None, reason: str | None = None) -> None:
    held = progress.subject_recognitions(recognition.nomination)
    place = progress.placer(recognition.nomination)
    before = place(held)
    recognition.revoked_on = on or clock.today()
    recognition.revoke_reason = reason
    progress.record_change(recognition.title_code, before, place(held))


# -- many nominations at once: the same checks, set-based writes ----------------------------------

# Rows per UPDATE ... WHERE id IN (...) and per preloading SELECT: below SQLite's and PostgreSQL's
# limits on bound parameters, and few statements for a decision over ten thousand dossiers.
CHUNK = 2000


@dataclass
class Fired:
    """What `fire_many` did to one nomination (what a notification would say)."""

    nomination: Nomination
    event: str
    from_state: str
    to_state: str
    comment: str | None = None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def preload(nominations: list[Nomination], actor: User) -> None:
    """Put what the checks read (each dossier's unit, organization and — for an applicant —
    person and filer) in the session's identity map, a constant number of statements whatever
    the count: the checks then read them without a query per nomination."""
    from sqlalchemy.orm.attributes import set_committed_value

    from ..models import Organization, Person

    wanted = [("unit", "unit_id", Unit), ("organization", "organization_id", Organization)]
    if actor.role in ("household", "organization"):
        wanted += [("person", "person_id", Person), ("created_by", "created_by_id", User)]
    for relation, key, model in wanted:
        ids = {getattr(n, key) for n in nominations}
        ids.discard(None)
        found = {}
        for part in _chunks(sorted(ids)):
            found.update((o.id, o) for o in db.session.scalars(
                select(model).where(model.id.in_(part))))
        for n in nominations:
            set_committed_value(n, relation, found.get(getattr(n, key)))


def _target(wf: Workflow, from_state: str, event: str) -> str:
    """Where `event` leads from `from_state`, asked of the title's state machine (the authority),
    on a stand-in for the dossier: once per title, state and event however many dossiers."""

    class _Row:
        state = from_state

    row = _Row()
    try:
        wf.machine(row).send(event)
    except MachineRefused as exc:  # the file and the machine disagree: a bug, never user input
        raise TransitionNotAllowed(str(exc), {"state": from_state, "event": event}) from exc
    return row.state


def fire_many(nominations: list[Nomination], event, actor: User, payload,
              refused=None) -> list[Fired]:
    """Check and apply an event on many nominations inside the caller's write transaction (the
    rows locked, e.g. by `lock_all`), with the results of calling `fire` on each in turn.

    `event` is an event name, or a mapping nomination id → event name (titles name their events
    as they like); `payload` a Payload, or a function nomination → Payload. The checks are
    `fire`'s, in its order, nomination after nomination (the first refusal is raised; `refused`,
    if given, maps (nomination, error) → the error to raise instead): scope, transition,
    role and tier, guard. Each distinct (title, state, event) goes through the title's state
    machine once. Then the writes, a number of statements that does not grow with the count beyond
    chunks of CHUNK rows: the nominations' new state and version, their history entries, the
    recognitions (for a granting event) and the progress counters of their subjects."""
    from ..errors import CertifyError

    event_of = (lambda n: event) if isinstance(event, str) else (lambda n: event[n.id])
    payload_of = payload if callable(payload) else (lambda n: payload)
    preload(nominations, actor)
    targets: dict[tuple[str, str, str], str] = {}
    plan: list[tuple[Nomination, Workflow, str, Any, Payload, str]] = []
    for n in nominations:
        name, p = event_of(n), payload_of(n)
        try:
            wf, chosen = _check(n, name, actor, p)
        except CertifyError as exc:
            raise (refused(n, exc) if refused is not None else exc) from exc
        key = (wf.code, n.state, name)
        if key not in targets:
            targets[key] = _target(wf, n.state, name)
        assert targets[key] == chosen.to, (targets[key], chosen.to)
        plan.append((n, wf, name, chosen, p, targets[key]))
    if not plan:
        return []
    return _write_many(plan, actor)


def _check(nomination: Nomination, event: str, actor: User, payload: Payload,
           version: int | None = None):
    """An event's checks, in the order api.md fixes for errors: scope (404), the version the
    caller saw, if given (409 stale; a set under `fire_many` is decided as locked), the
    transition (409), role and tier (403), the guard (422). Returns the workflow and the
    transition taken."""
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
    return wf, chosen


def _write_many(plan, actor: User) -> list[Fired]:
    from sqlalchemy import update

    now = clock.now()
    table = Nomination.__table__
    fired: list[Fired] = []
    # The nominations' rows: one UPDATE per chunk of those that end alike (state, open, queue).
    groups: dict[tuple, list[Nomination]] = {}
    scored: list[dict] = []
    for n, wf, name, chosen, p, to in plan:
        effects = wf.spec.events[name].effects
        entered = "enter_review_queue" in effects
        groups.setdefault((to, meaning.is_open(wf.spec, to), entered), []).append(n)
        # The reviewer scores; the approver's events do not rewrite those scores (nor the grade).
        if p.assessment is not None and chosen.role == "reviewer":
            scored.append({"b_id": n.id, "b_review": dict(p.assessment),
                           "b_notes": {k: v.strip() for k, v in (p.notes or {}).items()
                                       if v.strip()}})
        fired.append(Fired(n, name, n.state, to, p.comment))
    db.session.flush()  # what the caller added (a decision) goes first
    conn = db.session.connection()
    for (to, is_open, entered), rows in groups.items():
        values = {"state": to, "version": table.c.version + 1, "updated_at": now,
                  "is_open": is_open}
        if entered:
            values["submitted_at"] = now
        for part in _chunks([n.id for n in rows]):
            conn.execute(update(table).where(table.c.id.in_(part)).values(**values))
    if scored:
        from sqlalchemy import bindparam

        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values(review_assessment=bindparam("b_review"),
                             review_notes=bindparam("b_notes")), scored)
    # The history, one executemany.
    conn.execute(HistoryEntry.__table__.insert(), [
        {"nomination_id": n.id, "event": name, "from_state": n.state, "to_state": to,
         "actor_id": actor.id, "at": now, "comment": (p.comment or "").strip() or None}
        for n, wf, name, chosen, p, to in plan])
    granted = [(n, wf, p) for n, wf, name, chosen, p, to in plan
               if "grant_recognition" in wf.spec.events[name].effects]
    if granted:
        _grant_many(granted, now)
    # The session's copies of what was written are expired: read again, they say what the rows
    # now hold (the callers commit next, which expires everything anyway).
    written = ["state", "version", "updated_at", "is_open", "submitted_at", "review_assessment",
               "review_notes", "history", "recognition"]
    for n, wf, name, chosen, p, to in plan:
        db.session.expire(n, written)
    # An event ending a recognition (revoke) keeps `fire`'s way, one dossier at a time.
    for n, wf, name, chosen, p, to in plan:
        if "end_recognition" in wf.spec.events[name].effects and n.recognition is not None:
            _end(n.recognition, reason=(p.comment or "").strip() or None)
    just_fired(fired, actor)
    return fired


def just_fired(fired: list[Fired], actor: User) -> None:
    """The one place where a set of nominations is known to have just gone through their events
    (each `Fired` names the nomination, event and states), inside the still-open transaction:
    their notifications are written here, set-based, as `fire`'s hook writes one event's."""
    if not fired:
        return
    # What the notices read of each nomination after its event (its version, its recognition),
    # read again for the whole set in a constant number of statements, not once a row.
    for part in _chunks([f.nomination.id for f in fired]):
        db.session.scalars(select(Nomination).where(Nomination.id.in_(part))
                           .options(selectinload(Nomination.recognition),
                                    selectinload(Nomination.person),
                                    selectinload(Nomination.organization))
                           .execution_options(populate_existing=True)).all()
    notifications.on_events((f.nomination, f.event, f.from_state, actor, f.comment)
                            for f in fired)


def _random_codes(count: int, length: int) -> list[str]:
    """`count` codes as `random_code` makes them (CODE_ALPHABET has 32 letters: each random byte's
    low five bits pick one, uniformly), from one read of the system's randomness."""
    assert len(CODE_ALPHABET) == 32
    data = secrets.token_bytes(count * length)
    letters = "".join(CODE_ALPHABET[b & 31] for b in data)
    return [letters[i:i + length] for i in range(0, len(letters), length)]


@dataclass
class _Placed:
    """What `progress.Lineage.placement` reads of a recognition not yet inserted."""

    id: int
    unit_id: int
    valid_from: date
    valid_until: date
    revoked_on: date | None = None

    @property
    def ends_on(self) -> date:
        return self.valid_until


def _grant_many(granted, now) -> None:
    """The recognitions of `granted` [(nomination, workflow, payload)], inserted in one
    executemany, as `_grant` makes each; and the progress counters of their subjects moved as
    `_grant` moves them one after another, set-based: per subject, the placement of its stored
    recognitions before and with the new ones (`record_paper_recognitions`' way)."""
    from ..models import Organization, Person
    from ..services import judging

    rows: list[dict] = []
    new: dict[tuple, list] = {}
    codes = _random_codes(len(granted), 12)
    for index, (n, wf, p) in enumerate(granted):
        decision = p.decision
        start = decision.date if decision is not None else clock.today()
        result = judging.outcome(n, on=start)
        row = {"nomination_id": n.id, "code": codes[index], "title_code": n.title_code,
               "unit_id": n.unit_id, "valid_from": start,
               "valid_until": valid_until(wf.rules(n), start), "grade": result.grade,
               "level": result.level, "decision_id": decision.id if decision is not None else None,
               "created_at": now}
        rows.append(row)
        # A stand-in for the placement: ranked after every stored recognition, in the order
        # they are inserted, as their ids will be.
        stand_in = _Placed(progress.UNSAVED + index, n.unit_id, start, row["valid_until"])
        new.setdefault((n.title_code, n.person_id, n.organization_id), []).append(stand_in)
    # Stored recognitions of the same subjects and titles, and each subject's unit today.
    stored: dict[tuple, list[Recognition]] = {key: [] for key in new}
    today: dict[tuple, int] = {}
    for is_person, column, model in ((True, Nomination.person_id, Person),
                                     (False, Nomination.organization_id, Organization)):
        ids = sorted({k[1] if is_person else k[2] for k in new
                      if (k[1] is not None) == is_person})
        for part in _chunks(ids):
            units_now = dict(db.session.execute(
                select(model.id, model.unit_id).where(model.id.in_(part))).all())
            for key in new:
                subject = key[1] if is_person else key[2]
                if (key[1] is not None) == is_person and subject in units_now:
                    today[key] = units_now[subject]
            for rec, title, pid, oid in db.session.execute(
                    select(Recognition, Nomination.title_code, Nomination.person_id,
                           Nomination.organization_id)
                    .join(Nomination, Nomination.id == Recognition.nomination_id)
                    .where(column.in_(part)).order_by(Recognition.id)):
                if (title, pid, oid) in stored:
                    stored[(title, pid, oid)].append(rec)
    db.session.connection().execute(Recognition.__table__.insert(), rows)
    # Every subject's change summed per title: one counters' upsert per title.
    lineage = progress.Lineage.load()
    before: dict[str, list] = {}
    after: dict[str, list] = {}
    for key, added in new.items():
        held, unit_today = stored[key], today.get(key)
        if held:
            before.setdefault(key[0], []).extend(lineage.placement(held, unit_today))
        after.setdefault(key[0], []).extend(lineage.placement(held + added, unit_today))
    for title_code in after:
        progress.record_change(title_code, before.get(title_code, []), after[title_code])

def delete_draft(nomination: Nomination | None, actor: User) -> list:
    """Delete a draft its applicant never submitted, inside the caller's write transaction (the
    row locked by `lock`): its history, its evidence rows (the files' paths are returned, to be
    removed once the transaction commits) and the dossier itself, with an audit entry. Anyone but
    the applicant: NotFound; a dossier ever submitted (it has a receipt code) or no longer in its
    title's initial state: TransitionNotAllowed."""
    from ..services import audit_trail, evidence

    if nomination is None or not policy.can_view(actor, nomination) \
            or not policy.is_applicant(actor, nomination):
        raise NotFound("No such nomination.")
    wf = workflow(nomination.title_code)
    if nomination.receipt_code is not None or nomination.state != wf.spec.initial_state:
        raise TransitionNotAllowed(
            "Only a draft never submitted can be deleted; withdraw this dossier instead.",
            {"state": nomination.state, "event": "delete"})
    paths = evidence.discard_all(nomination)
    audit_trail.record(
        action="delete", entity_type="nomination", entity_id=nomination.id,
        key=f"{nomination.title_code} · {nomination.year} · #{nomination.id}",
        before={"title": nomination.title_code, "year": nomination.year,
                "state": nomination.state, "unit_id": nomination.unit_id,
                "person_id": nomination.person_id, "organization_id": nomination.organization_id,
                "evidence_files": len(paths)})
    # Its notices go with it (a reminder that the draft was due): the inbox rows, and the mails
    # of the same notices not yet handed to the mail server (those sent or given up stay listed).
    from ..models import Notification, OutboxMail
    keys = select(Notification.key).where(Notification.nomination_id == nomination.id)
    db.session.execute(sa_delete(OutboxMail).where(OutboxMail.key.in_(keys),
                                                   OutboxMail.state == "pending"))
    db.session.execute(sa_delete(Notification).where(Notification.nomination_id == nomination.id))
    db.session.delete(nomination)
    return paths
