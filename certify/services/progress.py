"""Progress toward the targets (domain.md, "How progress is counted").

Holders come from the per-day counters in progress_deltas, which the workflow engine keeps in the
same transaction as each recognition; answering costs grow with the number of units and of days
with changes, never with the number of citizens. `recount()` derives the same figures from the
recognitions themselves, for `flask check`.

Holders are subjects, not recognitions (domain.md): a unit recognised for 2024 and again for 2025,
both still valid, is one holder. The counters therefore follow, per subject, the days on which it
holds at least one valid recognition of the title.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import writes
from ..extensions import db
from ..models import Denominator, Nomination, Organization, Person, ProgressDelta, Recognition, Unit

Interval = tuple[date, date] | None  # first and last day a recognition counts; None: never


def interval(recognition: Recognition) -> Interval:
    end = recognition.ends_on
    return (recognition.valid_from, end) if end >= recognition.valid_from else None


def held_days(recognitions) -> list[tuple[date, date]]:
    """The days on which at least one of `recognitions` counts, as disjoint, sorted intervals."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(i for i in map(interval, recognitions) if i is not None):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def lock_subjects(nominations) -> None:
    """Hold the row locks of the nominations' subjects (PostgreSQL; SQLite's write transaction
    already excludes every other writer), in id order, so that two approvals or revocations for
    one subject queue and each sees the other's recognitions."""
    for model, ids in ((Person, {n.person_id for n in nominations}),
                       (Organization, {n.organization_id for n in nominations})):
        ids.discard(None)
        if ids:
            db.session.execute(select(model.id).where(model.id.in_(sorted(ids)))
                               .order_by(model.id).with_for_update())


def subject_recognitions(nomination: Nomination) -> list[Recognition]:
    """The stored recognitions of the nomination's title held by its subject, subject locked."""
    lock_subjects([nomination])
    same_subject = (Nomination.person_id == nomination.person_id if nomination.person_id is not None
                    else Nomination.organization_id == nomination.organization_id)
    # Autoflush on: one decision may approve two nominations (two years) of the same subject.
    return list(db.session.scalars(
        select(Recognition).join(Nomination, Nomination.id == Recognition.nomination_id)
        .where(Recognition.title_code == nomination.title_code, same_subject)
        .order_by(Recognition.id)))


def record_change(title_code: str, unit: Unit, before: list[tuple[date, date]],
                  after: list[tuple[date, date]]) -> None:
    """Move a subject's held days (see `held_days`) from `before` to `after`, for its unit and
    every ancestor. Called by the workflow engine inside its transaction."""
    changes: dict[date, int] = defaultdict(int)
    for first, last in before:
        changes[first] -= 1
        changes[last + timedelta(days=1)] += 1
    for first, last in after:
        changes[first] += 1
        changes[last + timedelta(days=1)] -= 1
    rows = [
        {"unit_id": unit_id, "title_code": title_code, "day": day, "delta": delta}
        for unit_id in unit.ancestor_ids()
        for day, delta in changes.items()
        if delta
    ]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ProgressDelta).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["unit_id", "title_code", "day"],
        set_={"delta": ProgressDelta.delta + stmt.excluded.delta},
    )
    db.session.execute(stmt)


def holders(unit_ids: list[int], title_code: str, as_of: date) -> dict[int, int]:
    """Holders valid on `as_of`, for each unit's whole subtree."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(ProgressDelta.unit_id, func.coalesce(func.sum(ProgressDelta.delta), 0))
        .where(ProgressDelta.unit_id.in_(unit_ids), ProgressDelta.title_code == title_code,
               ProgressDelta.day <= as_of)
        .group_by(ProgressDelta.unit_id)
    ).all()
    found = {unit_id: int(total) for unit_id, total in rows}
    return {unit_id: found.get(unit_id, 0) for unit_id in unit_ids}


def denominators(unit: Unit, title_code: str, year: int,
                 on: date | None = None) -> dict[int, int | None]:
    """The denominator of `unit` and of every unit below it: the figure entered for that unit,
    title and year, or else the sum of its children's (recursively); None where nothing is known.
    With `on`, only the units valid that day are summed: in a year of a reorganisation the former
    units and their successors both have the year's figure (a new unit's carried from them)."""
    units = [u for u in db.session.scalars(select(Unit).where(Unit.path.startswith(unit.path)))
             if on is None or u.valid_on(on)]
    entered = dict(db.session.execute(
        select(Denominator.unit_id, Denominator.value)
        .join(Unit, Unit.id == Denominator.unit_id)
        .where(Unit.path.startswith(unit.path), Denominator.title_code == title_code,
               Denominator.year == year)
    ).all())
    children: dict[int | None, list[int]] = defaultdict(list)
    for u in units:
        children[u.parent_id].append(u.id)
    result: dict[int, int | None] = {}
    # Deepest first, so every child is resolved before its parent.
    for u in sorted(units, key=lambda u: u.path.count("/"), reverse=True):
        if u.id in entered:
            result[u.id] = entered[u.id]
        else:
            known = [result[c] for c in children[u.id] if result.get(c) is not None]
            result[u.id] = sum(known) if known else None
    return result


@dataclass
class Figure:
    unit: Unit
    holders: int
    denominator: int | None

    @property
    def ratio(self) -> float | None:
        if not self.denominator:
            return None
        return self.holders / self.denominator


@dataclass
class Progress:
    figure: Figure
    title_code: str
    as_of: date
    target: float | None
    target_year: int | None
    children: list[Figure]


def progress(unit: Unit, workflow, as_of: date) -> Progress:
    kids = sorted((k for k in unit.children if k.valid_on(as_of)), key=lambda u: u.code)
    counted = holders([unit.id] + [k.id for k in kids], workflow.code, as_of)
    denominator = denominators(unit, workflow.code, as_of.year, on=as_of)
    target, target_year = workflow.spec.target_for(as_of.year)
    return Progress(
        figure=Figure(unit, counted[unit.id], denominator.get(unit.id)),
        title_code=workflow.code,
        as_of=as_of,
        target=target,
        target_year=target_year,
        children=[Figure(k, counted[k.id], denominator.get(k.id)) for k in kids],
    )


def recount(title_code: str, as_of: date) -> dict[int, int]:
    """Holders per unit (whole subtree) counted from the recognitions themselves — slow, exact.
    A subject holding several valid recognitions counts once."""
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    holding: dict[tuple[int | None, int | None], int] = {}
    for rec, person_id, organization_id in db.session.execute(
            select(Recognition, Nomination.person_id, Nomination.organization_id)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .where(Recognition.title_code == title_code, Recognition.valid_from <= as_of,
                   Recognition.valid_until >= as_of)):
        if rec.valid_on(as_of):
            holding[(person_id, organization_id)] = rec.unit_id
    counts: dict[int, int] = defaultdict(int)
    for unit_id in holding.values():
        for ancestor in units[unit_id].ancestor_ids():
            counts[ancestor] += 1
    return {unit_id: counts.get(unit_id, 0) for unit_id in units}


def discrepancies(title_code: str, as_of: date) -> list[tuple[Unit, int, int]]:
    """(unit, counters say, records say) for every unit where the two disagree."""
    exact = recount(title_code, as_of)
    fast = holders(list(exact), title_code, as_of)
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    return [(units[i], fast[i], exact[i]) for i in sorted(exact) if fast[i] != exact[i]]


def for_viewer(viewer, title_code, unit_code, as_of: date | None) -> Progress:
    """Progress as a signed-in account (or, with viewer None, the public) may see it: the unit
    defaults to the account's own (or the top of the tree), and must lie within its scope."""
    from ..errors import NotFound, invalid
    from ..workflow import workflow
    from . import scope
    from . import units as unit_service

    wf = workflow(title_code) if isinstance(title_code, str) else None
    if wf is None:
        raise invalid("title", "unknown", f"There is no title {title_code}.")
    if unit_code:
        unit = unit_service.find(unit_code, as_of)
        if unit is None or (viewer is not None and not scope.in_unit_scope(viewer, unit)):
            raise NotFound(f"No unit {unit_code}.")
    elif viewer is not None and viewer.unit is not None:
        unit = viewer.unit
    else:
        from .directory import top_unit

        unit = top_unit(as_of)
        if unit is None:
            raise NotFound("No units have been set up yet.")
    from .. import clock

    return progress(unit, wf, as_of or clock.today())


@writes
def rebuild(title_code: str) -> None:
    """Recompute the title's counters from the recognitions, in one transaction (for a database
    whose counters drifted, e.g. one written before holders were counted per subject)."""
    db.session.execute(ProgressDelta.__table__.delete()
                       .where(ProgressDelta.title_code == title_code))
    by_subject: dict[tuple[int | None, int | None], list[Recognition]] = defaultdict(list)
    for rec, person_id, organization_id in db.session.execute(
            select(Recognition, Nomination.person_id, Nomination.organization_id)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .where(Recognition.title_code == title_code).order_by(Recognition.id)):
        by_subject[(person_id, organization_id)].append(rec)
    for held in by_subject.values():
        record_change(title_code, held[-1].unit, [], held_days(held))
    db.session.commit()
