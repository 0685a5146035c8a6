"""Nominations: create, edit the self-assessment, list, fire events, decisions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import clock, rubric
from ..database import commit_keeping, writes
from ..errors import (BadRequest, Duplicate, Forbidden, Invalid, NotFound, Stale,
                      TransitionNotAllowed, invalid)
from ..extensions import db
from .. import policy
from ..models import Decision, Nomination, Organization, Person, Recognition, Unit, User
from ..workflow import engine, meaning, workflow, workflows
from . import decisions, progress, scope
from . import units as unit_service
from .validate import MAX_INT, Longest, Reasons, fold, row, too_long

APPLICANT_ROLE = {"person": "household", "organization": "organization"}


def _title(code):
    wf = workflow(code) if isinstance(code, str) else None
    if wf is None:
        raise invalid("title", "unknown", f"There is no title {code}.")
    return wf


def _assessment_errors(rules, assessment, field: str) -> list[dict]:
    if not isinstance(assessment, dict):
        raise BadRequest(f"{field} must be an object of criterion codes and points.")
    return [r.as_dict() for r in rubric.score_errors(rules, assessment, field)]


@writes
def create(actor: User, *, title, subject_id, year, self_assessment=None) -> Nomination:
    wf = _title(title)
    subject_model = Person if wf.spec.subject == "person" else Organization
    subject = row(subject_model, subject_id)
    if subject is None:
        raise NotFound(f"No such {wf.spec.subject}.")
    if wf.spec.subject == "person":
        visible = policy.can_view_person(actor, subject)
    else:
        visible = policy.can_view_organization(actor, subject)
    owner = policy.can_apply_for(actor, subject)
    if not visible:
        raise NotFound(f"No such {wf.spec.subject}.")
    if not owner:
        raise Forbidden(f"Only the {APPLICANT_ROLE[wf.spec.subject]} account applies for this title.")
    r = Reasons()
    this_year = clock.today().year
    year = r.integer("year", year, minimum=2021, maximum=this_year + 1)
    assessment = {} if self_assessment is None else self_assessment
    # Judged by the version in force on 31 December of its year, fixed now and never changed.
    rules = wf.rules_for_year(year) if year is not None else None
    if year is not None and rules is None:
        r.add("year", "no_rules", f"No rules of this title are in force for {year}.")
    if rules is not None:
        r.items += _assessment_errors(rules, assessment, "self_assessment")
    elif not isinstance(assessment, dict):
        raise BadRequest("self_assessment must be an object of criterion codes and points.")
    key = Nomination.person_id if wf.spec.subject == "person" else Nomination.organization_id
    if year is not None and not r.items:
        # One open dossier per subject, title and year whoever files it: for a person (one row
        # per số định danh) their household or an organization they are a member of.
        clash = db.session.scalar(select(Nomination).where(
            Nomination.title_code == wf.code, key == subject.id, Nomination.year == year,
            Nomination.is_open.is_(True)))
        if clash is not None:
            filer = "organization" if scope.filing_organization_id(clash) else APPLICANT_ROLE[
                wf.spec.subject]
            raise Duplicate(f"This {wf.spec.subject} already has an open nomination for the title "
                            f"and year {year}, filed by {'an' if filer == 'organization' else 'the'}"
                            f" {filer}.", {"nomination_id": clash.id, "filed_by": filer})
    r.raise_if_any()
    now = clock.now()
    nomination = Nomination(
        receipt_code=_receipt_code(wf.code, year), title_code=wf.code, year=year,
        rule_version=rules.id, unit_id=subject.unit_id, state=wf.spec.initial_state, version=1,
        is_open=meaning.is_open(wf.spec, wf.spec.initial_state),
        self_assessment=dict(assessment), review_assessment={}, created_by_id=actor.id,
        created_at=now, updated_at=now)
    if wf.spec.subject == "person":
        nomination.person = subject
    else:
        nomination.organization = subject
    db.session.add(nomination)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent request created the same one first
        db.session.rollback()
        raise Duplicate("This subject already has an open nomination for the title and year.") from exc
    return nomination


def _receipt_code(title_code: str, year: int) -> str:
    prefix = "".join(part[0] for part in title_code.split("-")).upper()
    return f"{prefix}-{year}-{engine.random_code(8)}"


def get(actor: User, nomination_id) -> Nomination:
    nomination = row(Nomination, nomination_id)
    if nomination is None or not policy.can_view(actor, nomination):
        raise NotFound("No such nomination.")
    return nomination


@writes
def update_self_assessment(actor: User, nomination_id: int, *, version, self_assessment) -> Nomination:
    """Replace the self-assessment of a nomination the applicant may still edit."""
    nomination = engine.lock(nomination_id)
    _save_self_assessment(actor, nomination, version, self_assessment)
    db.session.commit()
    return nomination


@writes
def save_and_submit(actor: User, nomination_id: int, *, version, self_assessment) -> Nomination:
    """Save the self-assessment and submit the dossier in one transaction: if the submission is
    refused (a missing score, the year not open yet), nothing of the request is kept."""
    nomination = engine.lock(nomination_id)
    _save_self_assessment(actor, nomination, version, self_assessment)
    event = meaning.submit_event(workflow(nomination.title_code).spec)
    if event is None:
        raise TransitionNotAllowed("This title has no event that submits a dossier.",
                                   {"state": nomination.state})
    engine.fire(nomination, event, actor, engine.Payload(), nomination.version)
    db.session.commit()
    return nomination


def _save_self_assessment(actor: User, nomination: Nomination | None, version,
                          self_assessment) -> None:
    """Check and write a self-assessment inside the caller's transaction (the row locked)."""
    if nomination is None or not policy.can_view(actor, nomination):
        raise NotFound("No such nomination.")
    if version != nomination.version:
        raise Stale(
            f"The nomination has changed (version {nomination.version}, not {version}).",
            {"current_version": nomination.version, "state": nomination.state})
    if not policy.is_applicant(actor, nomination):
        raise Forbidden("Only the applicant edits the self-assessment.")
    if not policy.can_edit(actor, nomination):
        raise TransitionNotAllowed(
            f"The self-assessment cannot change while the nomination is {nomination.state}.",
            {"state": nomination.state})
    wf = workflow(nomination.title_code)
    errors = _assessment_errors(wf.rules(nomination), self_assessment, "self_assessment")
    if errors:
        raise Invalid("The self-assessment is invalid.", errors)
    nomination.self_assessment = dict(self_assessment)
    nomination.version += 1
    nomination.updated_at = clock.now()


@writes
def fire(actor: User, nomination_id, event, *, version, comment=None, assessment=None,
         decision=None, notes=None) -> Nomination:
    """Fire a workflow event: what the API's /events and the review buttons call. `decision` (for
    an event that grants the title) is the id of a decision of the actor's unit, `{"id"}`, or the
    fields of a new one-item decision (`number`, `date`, `signer`, `signer_position`, `place`)."""
    if not isinstance(event, str) or not event:
        raise invalid("event", "required", "event is required.")
    if assessment is not None and not isinstance(assessment, dict):
        raise BadRequest("assessment must be an object of criterion codes and points.")
    nomination = engine.lock(nomination_id)
    if nomination is None:
        raise NotFound("No such nomination.")
    chosen, reasons = None, None
    if event in meaning.grant_events(workflow(nomination.title_code).spec) and decision is not None:
        chosen, reasons = _decision_for(actor, nomination, decision)
    payload = engine.Payload(comment=comment, assessment=assessment, decision=chosen,
                             reasons=reasons, notes=notes)
    engine.fire(nomination, event, actor, payload, version)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a simultaneous decision took the number after the check
        raise invalid("decision.number", "taken", "This decision number already exists.") from exc
    commit_keeping()
    return nomination


def approve(actor: User, nomination_id, *, version, decision) -> Nomination:
    """Recognise one dossier by its title's granting event, in `decision` (see `fire`)."""
    event = meaning.grant_event(workflow(get(actor, nomination_id).title_code).spec)
    if event is None:
        raise TransitionNotAllowed("This title has no event that recognises a dossier.", {})
    return fire(actor, nomination_id, event, version=version, decision=decision)


def _decision_for(actor: User, nomination: Nomination, value):
    """The decision an approval joins or creates, or the reasons it cannot (reported by the engine
    after its own checks)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"id": value}
    if not isinstance(value, dict):
        raise BadRequest("decision must be an object.")
    r = Reasons()
    if value.get("id") is not None:
        found = row(Decision, value["id"])
        if found is None or found.unit_id != actor.unit_id:
            raise NotFound("No such decision.")
        decisions.check_dates(r, found.date, [nomination], "decision.date")
        return (None, r.items) if r.items else (found, None)
    if actor.unit is None:
        return None, None  # the engine refuses the event to an account without a unit
    fields = decisions.read(r, number=value.get("number"), date_=value.get("date"),
                            signer=value.get("signer"),
                            signer_position=value.get("signer_position"),
                            place=value.get("place"), prefix="decision.")
    decisions.check_number_free(r, actor, fields["number"], "decision.")
    decisions.check_dates(r, fields["date"], [nomination], "decision.date")
    return (None, r.items) if r.items else (decisions.new(actor, fields), None)


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int


def paginate(query, page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


# Stages of the procedure a list can ask for, whatever each title calls their states.
STAGES = {"review": meaning.queue_states, "decision": meaning.awaiting_decision_states}


def in_stage(stage: str):
    """A WHERE clause: nominations in the states that make up `stage` (see STAGES) in their title."""
    from sqlalchemy import and_, false, or_

    clauses = [and_(Nomination.title_code == wf.code, Nomination.state.in_(STAGES[stage](wf.spec)))
               for wf in workflows().values() if STAGES[stage](wf.spec)]
    return or_(*clauses) if clauses else false()


def search(actor: User, *, state=None, stage=None, title=None, year=None, unit=None, q=None,
           target_group=None, page=1, per_page=50) -> Page:
    """Nominations the actor may see; reviewers get the longest-waiting first. `stage` ("review",
    "decision") selects the states that stage means in each title."""
    if q is not None and len(q) > Longest.QUERY:
        raise too_long("q", Longest.QUERY)
    query = select(Nomination).where(scope.nomination_filter(actor))
    if state:
        query = query.where(Nomination.state == state)
    if stage in STAGES:
        # A queue lists what the account's tier acts on where a title routes it by level.
        query = query.where(in_stage(stage), policy.routed_filter(actor))
    if title:
        query = query.where(Nomination.title_code == title)
    if year is not None:
        if not isinstance(year, int) or abs(year) > MAX_INT:
            return Page([], 0, page, per_page)
        query = query.where(Nomination.year == year)
    if unit:
        found = unit_service.find(unit)
        if found is None:
            return Page([], 0, page, per_page)
        query = query.where(Nomination.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(found.path))))
    if q or target_group:
        query = query.join(Person, Person.id == Nomination.person_id)
        if q:
            query = query.where(Person.search_name.contains(fold(q), autoescape=True))
        if target_group:
            query = query.where(Person.target_group == target_group)
    query = query.order_by(*QUEUE_ORDER)
    return paginate(query, page, per_page)


# The order of every staff list: the longest-waiting first (never submitted last), then by id.
QUEUE_ORDER = (Nomination.submitted_at.is_(None), Nomination.submitted_at, Nomination.id)


def next_in_queue(actor: User, nomination: Nomination, stage: str) -> Nomination | None:
    """The dossier after `nomination` in the actor's list of `stage` ("review", "decision"), in
    the lists' order (QUEUE_ORDER): what "Hồ sơ tiếp theo" opens. None at the end of the list."""
    from sqlalchemy import and_, or_

    query = select(Nomination).where(scope.nomination_filter(actor), in_stage(stage),
                                     Nomination.id != nomination.id)
    if nomination.submitted_at is not None:
        query = query.where(or_(
            Nomination.submitted_at > nomination.submitted_at,
            Nomination.submitted_at.is_(None),
            and_(Nomination.submitted_at == nomination.submitted_at,
                 Nomination.id > nomination.id)))
    else:
        query = query.where(Nomination.submitted_at.is_(None), Nomination.id > nomination.id)
    return db.session.scalars(query.order_by(*QUEUE_ORDER).limit(1)).first()


def of_applicant(actor: User) -> list[Nomination]:
    """Every nomination a household or organization account applies for, newest year first."""
    return list(db.session.scalars(
        select(Nomination).where(scope.nomination_filter(actor))
        .order_by(Nomination.year.desc(), Nomination.id.desc())))


def get_recognition(actor: User, recognition_id) -> Recognition:
    """A recognition, for anyone who may see its nomination."""
    rec = row(Recognition, recognition_id)
    if rec is None:
        raise NotFound("No such recognition.")
    get(actor, rec.nomination_id)
    return rec


@writes
def issue_decision(actor: User, *, number, date_, signer, nomination_ids, signer_position=None,
                   place=None) -> Decision:
    """Approve every listed nomination in one recognition decision — all or none."""
    r = Reasons()
    fields = decisions.read(r, number=number, date_=date_, signer=signer,
                            signer_position=signer_position, place=place)
    if not isinstance(nomination_ids, list) or not nomination_ids:
        r.add("nomination_ids", "required", "List at least one nomination.")
        nomination_ids = []
    elif len(set(nomination_ids)) != len(nomination_ids):
        r.add("nomination_ids", "repeated", "A nomination is listed twice.")
    if not policy.can_decide(actor):
        raise Forbidden("Only an approver issues recognition decisions.")
    rows = engine.lock_all(nomination_ids)
    for nid in nomination_ids:
        if nid not in rows or not policy.can_view(actor, rows[nid]):
            raise NotFound(f"No such nomination: {nid}.", {"nomination_id": nid})
    events = {}  # each nomination's title's event that recognises it
    for nid in nomination_ids:
        spec = workflow(rows[nid].title_code).spec
        events[nid] = next((e for e in meaning.grant_events(spec)
                            if spec.transition(e, rows[nid].state)), None)
        if events[nid] is None:
            raise TransitionNotAllowed(
                f"Nomination {nid} is {rows[nid].state}, not awaiting a decision.",
                {"nomination_id": nid, "state": rows[nid].state})
    decisions.check_number_free(r, actor, fields["number"])
    decisions.check_dates(r, fields["date"], [rows[nid] for nid in nomination_ids])
    r.raise_if_any()
    decision = decisions.new(actor, fields)
    db.session.add(decision)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # A simultaneous decision over other nominations took the number after the check above
        # (on PostgreSQL the row locks do not serialise those two).
        raise invalid("number", "taken", f"Decision {number} already exists.") from exc
    # Every subject locked up front, in id order: approvals lock subjects (progress counters), and
    # two decisions taking them in different orders would deadlock.
    progress.lock_subjects(rows.values())
    for nid in nomination_ids:
        engine.fire(rows[nid], events[nid], actor, engine.Payload(decision=decision))
    db.session.commit()
    return decision


def decision_items(decision: Decision, page=1, per_page=50) -> Page:
    """The decision's recognitions (its annex), a page at a time."""
    return paginate(select(Recognition).where(Recognition.decision_id == decision.id)
                    .order_by(Recognition.id), page, per_page)


def get_decision(actor: User, decision_id) -> Decision:
    decision = row(Decision, decision_id)
    if decision is None or not policy.can_view_decision(actor, decision):
        raise NotFound("No such decision.")
    return decision


def list_decisions(actor: User, page=1, per_page=50) -> Page:
    query = select(Decision)
    if actor.role != "admin":
        if actor.unit is None or actor.role not in ("approver", "reviewer"):
            return Page([], 0, page, per_page)
        query = query.where(Decision.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(actor.unit.path))))
    return paginate(query.order_by(Decision.date.desc(), Decision.id.desc()), page, per_page)

