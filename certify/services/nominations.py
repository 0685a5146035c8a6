"""Nominations: create, edit the self-assessment, list, fire events, decisions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import IntegrityError

from .. import clock, rubric
from ..bulk import without_cyclic_gc
from ..database import commit_keeping, writes
from ..errors import (BadRequest, Duplicate, Forbidden, Invalid, NotFound, Stale,
                      TransitionNotAllowed, invalid)
from ..extensions import db
from .. import policy
from ..models import (Decision, HistoryEntry, Nomination, Organization, Person, Recognition, Unit,
                      User)
from ..workflow import engine, meaning, workflow, workflows
from . import deadlines, decisions, progress, scope
from . import units as unit_service
from .validate import MAX_INT, Longest, Reasons, fold, row, too_long

APPLICANT_ROLE = {"person": "household", "organization": "organization"}
# The first evaluation year of the plan (QĐ 1373/QĐ-TTg, 2021-2030): `create` refuses earlier.
FIRST_YEAR = 2021


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
    year = r.integer("year", year, minimum=FIRST_YEAR, maximum=this_year + 1)
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
    # A draft has no receipt code: the dossier is received (and given one) when first submitted.
    nomination = Nomination(
        receipt_code=None, title_code=wf.code, year=year,
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


@writes
def delete_draft(actor: User, nomination_id, *, version=None) -> None:
    """Delete a draft never submitted (the engine decides and records it); its evidence files
    are removed from the disk once the deletion is committed. `version`, when given, must be
    the one the caller saw."""
    nomination = engine.lock(nomination_id)
    if nomination is not None and policy.can_view(actor, nomination) and version is not None \
            and version != nomination.version:
        raise Stale(f"The nomination has changed (version {nomination.version}, not {version}).",
                    {"current_version": nomination.version, "state": nomination.state})
    paths = engine.delete_draft(nomination, actor)
    db.session.commit()
    from . import evidence
    evidence.unlink_all(paths)


@dataclass
class FilingYear:
    """An evaluation year a dossier can be filed for today; `late` past its last day on time
    ("submit_by"): still accepted (officials decide), said with a warning."""

    year: int
    late: bool
    submit_by: object = None  # date | None


def filing_years(title_code: str, today=None) -> list[FilingYear]:
    """The years `create` accepts and the title lets be submitted today (deadlines
    "submit_from"), newest first, each with whether it is late."""
    wf = workflow(title_code)
    if wf is None:
        return []
    today = today or clock.today()
    out = []
    for year in deadlines.fileable_years(title_code, today):
        if not FIRST_YEAR <= year <= today.year + 1 or wf.rules_for_year(year) is None:
            continue  # create refuses it
        due = deadlines.for_year(title_code, year).get("submit_by")
        out.append(FilingYear(year, due is not None and today > due, due))
    return out


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


# What the applicant declares before submitting (NĐ 30/2020 forms' "cam đoan"), recorded as the
# submission's history comment when declared.
DECLARATION = ("Tôi cam đoan những thông tin kê khai là đúng sự thật và chịu trách nhiệm trước "
               "pháp luật về nội dung đã kê khai.")


def _declared_comment(comment, declared, event: str, spec) -> str | None:
    """The history comment of an event: the declaration first when the applicant declared on a
    submit event."""
    if not declared or event not in meaning.submit_events(spec):
        return comment
    rest = (comment or "").strip() if isinstance(comment, str) else ""
    return f"{DECLARATION} {rest}".strip()


@writes
def save_and_submit(actor: User, nomination_id: int, *, version, self_assessment,
                    declared: bool = False) -> Nomination:
    """Save the self-assessment and submit the dossier in one transaction: if the submission is
    refused (a missing score, the year not open yet), nothing of the request is kept.
    `declared`: the applicant ticked the declaration, recorded in the history entry."""
    nomination = engine.lock(nomination_id)
    _save_self_assessment(actor, nomination, version, self_assessment)
    spec = workflow(nomination.title_code).spec
    event = meaning.submit_event(spec)
    if event is None:
        raise TransitionNotAllowed("This title has no event that submits a dossier.",
                                   {"state": nomination.state})
    engine.fire(nomination, event, actor,
                engine.Payload(comment=_declared_comment(None, declared, event, spec)),
                nomination.version)
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
         decision=None, notes=None, declared=None) -> Nomination:
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
    if declared:  # the applicant's declaration on submitting (api: optional "declared")
        comment = _declared_comment(comment, declared, event,
                                    workflow(nomination.title_code).spec)
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
    clauses = [and_(Nomination.title_code == wf.code, Nomination.state.in_(STAGES[stage](wf.spec)))
               for wf in workflows().values() if STAGES[stage](wf.spec)]
    return or_(*clauses) if clauses else false()


def _late():
    """A WHERE clause: open dossiers of a title and year whose last day for a decision
    (deadlines.py, "approve_by") has passed, by the rule version of each year."""
    today = clock.today()
    clauses = []
    for wf in workflows().values():
        closed = set(wf.spec.states) - {s for s in wf.spec.states if meaning.is_open(wf.spec, s)}
        finished = closed | set(meaning.granted_states(wf.spec))
        for year in range(2021, today.year + 2):
            due = deadlines.for_year(wf.code, year).get("approve_by")
            if due is not None and due < today:
                clauses.append(and_(Nomination.title_code == wf.code, Nomination.year == year,
                                    Nomination.state.not_in(finished)))
    return or_(*clauses) if clauses else false()


def is_late(nomination: Nomination) -> bool:
    """The same test as `_late`, for one row (a flag on the lists)."""
    wf = workflow(nomination.title_code)
    if wf is None or not meaning.is_open(wf.spec, nomination.state) or \
            nomination.state in meaning.granted_states(wf.spec):
        return False
    due = deadlines.for_year(nomination.title_code, nomination.year).get("approve_by")
    return due is not None and due < clock.today()


def late_among(items: list[Nomination]) -> set[int]:
    """The ids of the late ones among a page's rows (`is_late`), each title and year's deadline
    worked out once."""
    today, due = clock.today(), {}
    out = set()
    for n in items:
        wf = workflow(n.title_code)
        if wf is None or not meaning.is_open(wf.spec, n.state) or \
                n.state in meaning.granted_states(wf.spec):
            continue
        key = (n.title_code, n.year)
        if key not in due:
            due[key] = deadlines.for_year(n.title_code, n.year).get("approve_by")
        if due[key] is not None and due[key] < today:
            out.add(n.id)
    return out


def submitted_late_among(items: list[Nomination]) -> set[int]:
    """The ids of the rows submitted after their last day on time (`deadlines.submitted_late`),
    each title and year's day and the time zone worked out once for the page."""
    zone, due, out = clock.zone(), {}, set()
    for n in items:
        if n.submitted_at is None:
            continue
        key = (n.title_code, n.year)
        if key not in due:
            due[key] = deadlines.for_year(n.title_code, n.year).get("submit_by")
        if due[key] is not None and n.submitted_at.astimezone(zone).date() > due[key]:
            out.add(n.id)
    return out


NATIONAL_ID = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class QueueFilter:
    """What a staff list is narrowed to: pages, the API and the exports all read one of these.

    `q` searches one box: a name without diacritics (person or organization), a receipt code
    (exact, any case) or a số định danh (exactly 12 digits)."""

    stage: str | None = None  # "review", "decision" (STAGES)
    state: str | None = None
    title: str | None = None
    year: int | None = None
    unit: str | None = None  # a unit's code: it and every unit below it
    target_group: str | None = None
    late: bool = False
    q: str | None = None

    def args(self) -> dict:
        """The filter as query-string arguments (what pager and export links carry)."""
        out = {}
        for name in ("stage", "state", "title", "year", "unit", "target_group", "q"):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value
        if self.late:
            out["late"] = "1"
        return out


def _rows_options(detail: bool = True):
    """What list rows show, loaded with the page in a fixed number of statements: the subject
    and unit (pages), and with `detail` also who filed it and the recognition (what the API's
    items carry; their histories: `histories_of`)."""
    # Only the columns rows read (names, who owns them, levels and the unit's place in the
    # tree): a list page's cost is mostly building its rows.
    rows = (joinedload(Nomination.person).load_only(Person.full_name, Person.household_id),
            joinedload(Nomination.organization).load_only(Organization.name,
                                                           Organization.level),
            joinedload(Nomination.unit).load_only(Unit.code, Unit.name, Unit.path))
    if not detail:
        return rows
    return rows + (joinedload(Nomination.created_by).load_only(User.role, User.organization_id),
                   selectinload(Nomination.recognition).joinedload(Recognition.decision),
                   selectinload(Nomination.recognition).joinedload(Recognition.unit))


def histories_of(ids: list[int]) -> dict[int, list]:
    """Nomination id → its history in order (as `Nomination.history`), for a page in one
    statement that reads only the columns shown: rows with `event`, `from_state`, `to_state`,
    `actor` (the account's display name), `at` and `comment`, no ORM object per entry."""
    out: dict[int, list] = {i: [] for i in ids}
    if not ids:
        return out
    for row in db.session.execute(
            select(HistoryEntry.nomination_id, HistoryEntry.event, HistoryEntry.from_state,
                   HistoryEntry.to_state, User.display_name.label("actor"), HistoryEntry.at,
                   HistoryEntry.comment)
            .outerjoin(User, User.id == HistoryEntry.actor_id)
            .where(HistoryEntry.nomination_id.in_(ids))
            .order_by(HistoryEntry.nomination_id, HistoryEntry.id)):
        out[row.nomination_id].append(row)
    return out


def matching(actor: User, f: QueueFilter):
    """The SELECT of the nominations `actor` may see that match `f`, longest-waiting first; None
    when nothing can match (an unknown unit, a year out of range)."""
    if f.q is not None and len(f.q) > Longest.QUERY:
        raise too_long("q", Longest.QUERY)
    query = select(Nomination).where(scope.nomination_filter(actor))
    if f.state:
        query = query.where(Nomination.state == f.state)
    if f.stage in STAGES:
        # A queue lists what the account's tier acts on where a title routes it by level.
        query = query.where(in_stage(f.stage), policy.routed_filter(actor))
    if f.title:
        query = query.where(Nomination.title_code == f.title)
    if f.year is not None:
        if not isinstance(f.year, int) or abs(f.year) > MAX_INT:
            return None
        query = query.where(Nomination.year == f.year)
    if f.unit:
        found = unit_service.find(f.unit)
        if found is None:
            return None
        query = query.where(Nomination.unit_id.in_(
            found.subtree_ids()))
    if f.late:
        query = query.where(_late())
    q = (f.q or "").strip()
    if q or f.target_group:
        query = query.outerjoin(Person, Person.id == Nomination.person_id)
        if f.target_group:
            query = query.where(Person.target_group == f.target_group)
    if q:
        query = query.outerjoin(Organization, Organization.id == Nomination.organization_id)
        folded = fold(q)
        found_by = [func.upper(Nomination.receipt_code) == q.upper()]
        if folded:
            found_by += [Person.search_name.contains(folded, autoescape=True),
                         Organization.search_name.contains(folded, autoescape=True)]
        if NATIONAL_ID.match(q):
            found_by.append(Person.national_id == q)
        query = query.where(or_(*found_by))
    return query.order_by(*QUEUE_ORDER)


def search(actor: User, filter: QueueFilter | None = None, *, page=1, per_page=50,
           detail: bool = True, **fields) -> Page:
    """Nominations the actor may see matching `filter` (or its fields given by name), a page at a
    time, each row's subject and unit (and with `detail` its history and recognition) loaded with
    the page: a fixed number of statements whatever its length."""
    f = filter or QueueFilter(**fields)
    query = matching(actor, f)
    if query is None:
        return Page([], 0, page, per_page)
    return paginate(query.options(*_rows_options(detail)), page, per_page)


def matching_ids(actor: User, f: QueueFilter) -> list[int]:
    """The ids of every nomination matching `f`, in list order ("select all matching")."""
    query = matching(actor, f)
    if query is None:
        return []
    return list(db.session.scalars(query.with_only_columns(Nomination.id)))


def rows_of(ids: list[int]) -> list[Nomination]:
    """The nominations `ids`, in that order, with what list rows show (one batch of statements)."""
    if not ids:
        return []
    found = {n.id: n for n in db.session.scalars(
        select(Nomination).where(Nomination.id.in_(ids)).options(*_rows_options(False)))}
    return [found[i] for i in ids if i in found]


# The order of every staff list: the longest-waiting first (never submitted last), then by id.
QUEUE_ORDER = (Nomination.submitted_at.is_(None), Nomination.submitted_at, Nomination.id)


def next_in_queue(actor: User, nomination: Nomination, stage: str) -> Nomination | None:
    """The dossier after `nomination` in the actor's list of `stage` ("review", "decision"), in
    the lists' order (QUEUE_ORDER): what "Hồ sơ tiếp theo" opens. None at the end of the list."""
    from sqlalchemy import and_, or_

    query = select(Nomination).where(scope.nomination_filter(actor), in_stage(stage),
                                     policy.routed_filter(actor), Nomination.id != nomination.id)
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
@without_cyclic_gc()
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
    engine.preload(list(rows.values()), actor)  # what the checks read, a few statements for all
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
    # The engine checks and writes the whole set at once (`fire`'s checks, set-based writes).
    engine.fire_many([rows[nid] for nid in nomination_ids], events, actor,
                     engine.Payload(decision=decision))
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


@dataclass(frozen=True)
class DecisionFilter:
    """What the decisions list is narrowed to (the page and `GET /api/v1/decisions`): the year of
    its date, a range of dates (inclusive), a part of its number (any case) and a unit (its code:
    decisions of it and every unit below)."""

    year: int | None = None
    date_from: object = None  # datetime.date
    date_to: object = None
    q: str | None = None
    unit: str | None = None


def _decisions_matching(actor: User, f: DecisionFilter):
    """The SELECT of the decisions `actor` may see matching `f`, newest first; None when nothing
    can match. A range that ends before it starts, or a search past Longest.QUERY, is 422."""
    r = Reasons()
    q = (f.q or "").strip()
    if len(q) > Longest.QUERY:
        raise too_long("q", Longest.QUERY)
    if f.date_from is not None and f.date_to is not None and f.date_to < f.date_from:
        r.add("to", "before_from", "The end of the range is before its start.")
    r.raise_if_any()
    query = select(Decision)
    if actor.role != "admin":
        if actor.unit is None or actor.role not in ("approver", "reviewer"):
            return None
        query = query.where(Decision.unit_id.in_(
            actor.unit.subtree_ids()))
    if f.year is not None:
        if not isinstance(f.year, int) or not 1 <= f.year <= 9999:
            return None
        from datetime import date as day

        query = query.where(Decision.date >= day(f.year, 1, 1), Decision.date <= day(f.year, 12, 31))
    if f.date_from is not None:
        query = query.where(Decision.date >= f.date_from)
    if f.date_to is not None:
        query = query.where(Decision.date <= f.date_to)
    if q:
        query = query.where(func.upper(Decision.number).contains(q.upper(), autoescape=True))
    if f.unit:
        found = unit_service.find(f.unit)
        if found is None:
            return None
        query = query.where(Decision.unit_id.in_(
            found.subtree_ids()))
    return query.order_by(Decision.date.desc(), Decision.id.desc())


def list_decisions(actor: User, page=1, per_page=50, f: DecisionFilter | None = None) -> Page:
    """The decisions of the actor's unit and below matching `f`, newest first; each with
    `item_count` (its recognitions, counted for the whole page in one statement)."""
    query = _decisions_matching(actor, f or DecisionFilter())
    if query is None:
        return Page([], 0, page, per_page)
    result = paginate(query.options(joinedload(Decision.unit)), page, per_page)
    counts = dict(db.session.execute(
        select(Recognition.decision_id, func.count()).where(
            Recognition.decision_id.in_([d.id for d in result.items]))
        .group_by(Recognition.decision_id)).all()) if result.items else {}
    for d in result.items:
        d.item_count = counts.get(d.id, 0)
    return result


def first_items_of(found: list[Decision], per_page=50) -> dict[int, list[Recognition]]:
    """Decision id → the first `per_page` of its recognitions (its annex's first page) with their
    subject and unit, for a page of decisions in one statement (numbered per decision by the
    database)."""
    if not found:
        return {}
    ranked = select(Recognition.id.label("id"), func.row_number().over(
        partition_by=Recognition.decision_id, order_by=Recognition.id).label("rank")).where(
        Recognition.decision_id.in_([d.id for d in found])).subquery()
    out: dict[int, list[Recognition]] = {d.id: [] for d in found}
    for r in db.session.scalars(
            select(Recognition).join(ranked, ranked.c.id == Recognition.id)
            .where(ranked.c.rank <= per_page).order_by(Recognition.id)
            .options(joinedload(Recognition.nomination).joinedload(Nomination.person),
                     joinedload(Recognition.nomination).joinedload(Nomination.organization),
                     joinedload(Recognition.unit))):
        out[r.decision_id].append(r)
    return out


# -- bulk work: one transaction over a confirmed set, all or nothing ------------------------------

# What each verified dossier's history says when a reviewer verified a selection on the
# household's own scores (the history is the record, kept in the domain's language).
BULK_VERIFY_COMMENT = "Xác minh theo điểm tự đánh giá (xác minh hàng loạt)"


def _bulk_rows(actor: User, nomination_ids) -> dict[int, Nomination]:
    if not isinstance(nomination_ids, list) or not nomination_ids:
        raise invalid("nomination_ids", "required", "List at least one nomination.")
    if len(set(nomination_ids)) != len(nomination_ids):
        raise invalid("nomination_ids", "repeated", "A nomination is listed twice.")
    rows = engine.lock_all(nomination_ids)
    engine.preload(list(rows.values()), actor)
    for nid in nomination_ids:
        if nid not in rows or not policy.can_view(actor, rows[nid]):
            raise NotFound(f"No such nomination: {nid}.", {"nomination_id": nid})
    return rows


def _bulk_fire(actor: User, rows: dict[int, Nomination], ids: list[int], step: str,
               payload_of) -> list[Nomination]:
    """Fire the procedure's `step` ("score", "send_back") on every row through the engine's
    set-based path; the first refusal names its dossier and the caller's transaction rolls back."""
    events = {}
    for nid in ids:
        n = rows[nid]
        events[nid] = meaning.procedure(workflow(n.title_code).spec)[step]
        if events[nid] is None:
            raise TransitionNotAllowed(f"Nomination {nid}'s title has no such step.",
                                       {"nomination_id": nid, "state": n.state})

    def refused(n: Nomination, exc):
        if isinstance(exc, TransitionNotAllowed):
            return TransitionNotAllowed(
                f"Nomination {n.id} ({n.subject_name}) is {n.state}: {exc.message}",
                {"nomination_id": n.id, "state": n.state})
        if isinstance(exc, Invalid):
            return Invalid(f"Nomination {n.id} ({n.subject_name}): {exc.message}",
                           [{**item, "nomination_id": n.id} for item in exc.details or []])
        return exc

    fired = engine.fire_many([rows[nid] for nid in ids], events, actor, payload_of,
                             refused=refused)
    return [f.nomination for f in fired]


def failing_self_assessments(nominations_: list[Nomination]) -> list[Nomination]:
    """Those whose self-assessment would not pass as the review (what a bulk verify refuses)."""
    from . import judging  # judging -> members -> this module

    return [n for n in nominations_
            if not rubric.passes(workflow(n.title_code).rules(n), n.self_assessment or {},
                                 judging.measured(n))]


@writes
@without_cyclic_gc()
def bulk_verify(actor: User, nomination_ids) -> list[Nomination]:
    """Verify every listed dossier taking its self-assessed scores as the review, recorded as
    such in each history; all or none."""
    rows = _bulk_rows(actor, nomination_ids)
    done = _bulk_fire(actor, rows, nomination_ids, "score", lambda n: engine.Payload(
        comment=BULK_VERIFY_COMMENT, assessment=dict(n.self_assessment or {})))
    db.session.commit()
    return done


@writes
@without_cyclic_gc()
def bulk_return(actor: User, nomination_ids, comment) -> list[Nomination]:
    """Send every listed dossier back to its applicant with one reason; all or none."""
    if not isinstance(comment, str) or not comment.strip():
        raise invalid("comment", "required", "A reason is required to return dossiers.")
    if len(comment.strip()) > Longest.COMMENT:
        raise too_long("comment", Longest.COMMENT)
    rows = _bulk_rows(actor, nomination_ids)
    done = _bulk_fire(actor, rows, nomination_ids, "send_back",
                      lambda n: engine.Payload(comment=comment.strip()))
    db.session.commit()
    return done


# -- a confirmed selection, carried from the confirmation to the commit ---------------------------

# How long a confirmation page stays valid.
SEAL_MAX_AGE = 3600


def _serializer(purpose: str):
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt=f"certify-{purpose}")


def seal(actor: User, ids: list[int], purpose: str) -> str:
    """A signed token of exactly `ids` (in order) for `actor`: what a confirmation page carries, so
    that confirming decides the set that was shown even if the filter's matches change meanwhile.
    The ids go as gaps from one to the next, which the serializer's compression makes small."""
    gaps, last = [], 0
    for i in ids:
        gaps.append(i - last)
        last = i
    return _serializer(purpose).dumps({"u": actor.id, "g": gaps})


def unseal(actor: User, token: str, purpose: str) -> list[int] | None:
    """The ids of a token `seal` made for `actor` and `purpose` within SEAL_MAX_AGE, else None."""
    from itsdangerous import BadData

    try:
        data = _serializer(purpose).loads(token, max_age=SEAL_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("u") != actor.id or not isinstance(data.get("g"), list):
        return None
    ids, last = [], 0
    for gap in data["g"]:
        if not isinstance(gap, int):
            return None
        last += gap
        ids.append(last)
    return ids
