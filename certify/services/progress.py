"""Progress toward the targets (domain.md, "How progress is counted").

Holders come from the per-day counters in progress_deltas, which the workflow engine keeps in the
same transaction as each recognition; answering costs grow with the number of units and of days
with changes, never with the number of citizens. `recount()` derives the same figures from the
recognitions themselves, for `flask check`.

Holders are subjects, not recognitions (domain.md): a unit recognised for 2024 and again for 2025,
both still valid, is one holder. The counters therefore follow, per subject, the days on which it
holds at least one valid recognition of the title.

**Where a holder counts, across reorganisations.** A holder counts on day D in the unit valid on D
along its line of succession: the unit where its recognition was decided, then each successor it
moved to through reorganisations (from that successor's `effective` day), up to its unit today (a
person's commune, an organization's unit). So before a reorganisation's effective date it counts on
the old unit, from that date on the new one. From a split unit the line goes to the successor that
is, or leads to, the subject's unit today. When several of a subject's recognitions are valid on D,
the first (earliest `valid_from`, then lowest id) places it, so a holder is never counted twice nor
lost on any day. Days before the first unit of a line existed (a decision back-dated before the
unit it was taken in began) count on that unit. The engine (`record_change` with the subject's
`placement`), a reorganisation (`follow_reorganization`), `rebuild()` and `recount()` all follow
this rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from sqlalchemy import Integer, bindparam, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import writes
from ..extensions import db
from ..models import (Denominator, Nomination, Organization, Person, ProgressDelta, Recognition,
                      Succession, Unit)

Interval = tuple[date, date] | None  # first and last day a recognition counts; None: never


def interval(recognition: Recognition) -> Interval:
    end = recognition.ends_on
    return (recognition.valid_from, end) if end >= recognition.valid_from else None


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


Segment = tuple[int, date, date]  # a unit id, and the first and last day a subject counts there
# Ranks a recognition not yet flushed (no id) after every stored one of the same first day.
UNSAVED = 2**62


class Lineage:
    """The successions (a small table), loaded once per call: where each unit's subjects went.

    `line(unit, today)` is the line of succession from `unit`: the unit, then each successor from
    the day it took over. A unit taken over whole has one successor; from a split unit the line goes
    to the successor that is, or leads to, `today` (the subject's unit today); if none does (the
    subject moved elsewhere later), to the successor with the lowest id. `cut` stops the line at
    the given units (the state before a reorganisation that is being applied)."""

    def __init__(self, rows) -> None:
        self.successors: dict[int, list[tuple[int, date]]] = defaultdict(list)
        self.predecessors: dict[int, list[int]] = defaultdict(list)
        for predecessor, successor, effective in sorted(rows):
            self.successors[predecessor].append((successor, effective))
            self.predecessors[successor].append(predecessor)
        self._lines: dict = {}

    @classmethod
    def load(cls) -> Lineage:
        return cls(db.session.execute(select(Succession.predecessor_id, Succession.successor_id,
                                             Succession.effective)).all())

    def leads_to(self, start: int, goal: int) -> bool:
        seen, stack = set(), [start]
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(s for s, _ in self.successors.get(current, ()))
        return False

    def sources(self, unit_id: int) -> set[int]:
        """`unit_id` and every unit whose line of succession can reach it."""
        found, stack = set(), [unit_id]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.predecessors.get(current, ()))
        return found

    def line(self, unit_id: int, today: int | None = None,
             cut: frozenset[int] = frozenset()) -> tuple[tuple[int, date | None], ...]:
        key = (unit_id, today, cut)
        found = self._lines.get(key)
        if found is None:
            steps: list[tuple[int, date | None]] = [(unit_id, None)]
            seen = {unit_id}
            current = unit_id
            while current not in cut and self.successors.get(current):
                options = self.successors[current]
                step = options[0]
                if len(options) > 1 and today is not None:
                    step = next((o for o in options if self.leads_to(o[0], today)), step)
                if step[0] in seen:  # a cycle cannot be entered through the services; be safe
                    break
                seen.add(step[0])
                steps.append(step)
                current = step[0]
            found = self._lines[key] = tuple(steps)
        return found

    @staticmethod
    def unit_on(line, day: date) -> int:
        unit = line[0][0]
        for successor, start in line[1:]:
            if start > day:
                break
            unit = successor
        return unit

    def placement(self, recognitions, today: int | None,
                  cut: frozenset[int] = frozenset()) -> list[Segment]:
        """Where a subject holding `recognitions` (of one title) counts: on each day it holds one,
        the unit valid that day on the line of succession of the first of those valid that day
        (earliest `valid_from`, then lowest id), as sorted segments."""
        spans = []
        for rec in recognitions:
            span = interval(rec)
            if span is not None:
                spans.append((span, (rec.valid_from, rec.id or UNSAVED),
                              self.line(rec.unit_id, today, cut)))
        bounds: set[date] = set()
        for (first, last), _rank, line in spans:
            bounds.update((first, last + timedelta(days=1)))
            bounds.update(start for _u, start in line[1:] if first < start <= last)
        days = sorted(bounds)
        segments: list[Segment] = []
        for day, following in zip(days, days[1:]):
            valid = [(rank, line) for (first, last), rank, line in spans if first <= day <= last]
            if not valid:
                continue
            unit = self.unit_on(min(valid, key=lambda v: v[0])[1], day)
            last = following - timedelta(days=1)
            if segments and segments[-1][0] == unit and segments[-1][2] + timedelta(days=1) == day:
                segments[-1] = (unit, segments[-1][1], last)
            else:
                segments.append((unit, day, last))
        return segments


def subject_unit(nomination: Nomination) -> int | None:
    """The unit of the nomination's subject today (a person's commune, an organization's unit)."""
    subject = nomination.person if nomination.person_id is not None else nomination.organization
    return subject.unit_id if subject is not None else None


def placer(nomination: Nomination, lineage: Lineage | None = None):
    """recognitions → the segments where the nomination's subject counts (see `Lineage.placement`).
    The successions are read once, here."""
    lineage = lineage or Lineage.load()
    today = subject_unit(nomination)
    return lambda recognitions: lineage.placement(recognitions, today)


def _ancestors(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _upsert(rows: list[dict]) -> None:
    """Add each row's delta to the counter of its unit, title and day (one executemany)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ProgressDelta.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["unit_id", "title_code", "day"],
        set_={"delta": table.c.delta + stmt.excluded.delta},
    )
    db.session.flush()
    db.session.connection().execute(stmt, rows)  # Core executemany: no ORM bookkeeping per row


def record_change(title_code: str, before: list[Segment], after: list[Segment],
                  paths: dict[int, str] | None = None) -> None:
    """Move a subject's counted days from the segments `before` to `after` (see `placement`), on
    each segment's unit and every ancestor of it. Called by the workflow engine inside its
    transaction; `paths` (unit id → path) spares the query for the units' ancestors."""
    if before == after:
        return
    changes: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for sign, segments in ((-1, before), (1, after)):
        for unit_id, first, last in segments:
            changes[unit_id][first] += sign
            changes[unit_id][last + timedelta(days=1)] -= sign
    if paths is None:
        paths = dict(db.session.execute(select(Unit.id, Unit.path)
                                        .where(Unit.id.in_(list(changes)))).all())
    total: dict[tuple[int, date], int] = defaultdict(int)
    for unit_id, by_day in changes.items():
        for ancestor in _ancestors(paths[unit_id]):
            for day, delta in by_day.items():
                total[(ancestor, day)] += delta
    rows = [{"unit_id": unit_id, "title_code": title_code, "day": day, "delta": delta}
            for (unit_id, day), delta in total.items() if delta]
    if rows:
        _upsert(rows)


def follow_reorganization(effective: date, old_ids: list[int]) -> None:
    """Move the counters of the units `old_ids` that end on the day before `effective` to their
    successors from `effective` on, inside the reorganisation's transaction (called by
    reorganizations.apply after the successions are linked and the subjects moved).

    A unit taken over whole (merge, rename) hands its *own* contribution (its counters minus its
    children's) over with set-based SQL: the level on `effective` and every later delta, off the
    old unit's ancestor chain and onto the successor's; nothing is read per citizen. Only the
    subjects of a split unit are placed one by one: their days from `effective` go to the
    successor each went to (`Lineage.line`)."""
    lineage = Lineage.load()
    whole: dict[int, int] = {}
    split: list[int] = []
    for old_id in old_ids:
        options = [s for s, day in lineage.successors.get(old_id, ()) if day == effective]
        if len(options) == 1:
            whole[old_id] = options[0]
        elif options:
            split.append(old_id)
    involved = set(whole) | set(whole.values()) | set(split)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(involved)))}
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in db.session.execute(select(Unit.id, Unit.parent_id)
                                            .where(Unit.parent_id.in_(list(whole)))):
        children[parent].append(child)
    hand_over = _hand_over_statement(effective)
    for old_id, new_id in whole.items():
        leaving, arriving = units[old_id].ancestor_ids(), units[new_id].ancestor_ids()
        shared = set(leaving) & set(arriving)
        # Onto the new chain first, then off the old one from the top down, the old unit itself
        # last: every statement reads the old unit's own contribution before any changes it.
        for unit_id, sign in ([(u, 1) for u in arriving if u not in shared]
                              + [(u, -1) for u in leaving if u not in shared]):
            db.session.execute(hand_over, {"old": old_id, "units": [old_id] + children[old_id],
                                           "target": unit_id, "sign": sign})
    if split:
        _place_split(lineage, split, effective)


def _hand_over_statement(effective: date):
    """INSERT ... SELECT: onto unit :target, :sign times the own contribution of unit :old (its
    counters minus those of its children; :units is the old unit and its children) from
    `effective` on — the level on that day, then each later delta."""
    own = (select(ProgressDelta.title_code,
                  case((ProgressDelta.day < effective, effective),
                       else_=ProgressDelta.day).label("on"),
                  case((ProgressDelta.unit_id == bindparam("old"), ProgressDelta.delta),
                       else_=-ProgressDelta.delta).label("delta"))
           .where(ProgressDelta.unit_id.in_(bindparam("units", expanding=True)))
           .subquery())
    total = func.sum(own.c.delta)
    table = ProgressDelta.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).from_select(
        ["unit_id", "title_code", "day", "delta"],
        select(bindparam("target", type_=Integer), own.c.title_code, own.c.on,
               total * bindparam("sign", type_=Integer))
        .group_by(own.c.title_code, own.c.on).having(total != 0))
    return stmt.on_conflict_do_update(index_elements=["unit_id", "title_code", "day"],
                                      set_={"delta": table.c.delta + stmt.excluded.delta})


def _place_split(lineage: Lineage, split: list[int], effective: date) -> None:
    sources = set().union(*(lineage.sources(u) for u in split))
    subjects = db.session.execute(
        select(Nomination.person_id, Nomination.organization_id).distinct()
        .join(Recognition, Recognition.nomination_id == Nomination.id)
        .where(Recognition.unit_id.in_(list(sources)))).all()
    persons = sorted({p for p, _ in subjects if p is not None})
    organizations = sorted({o for p, o in subjects if p is None and o is not None})
    cut = frozenset(split)
    paths = dict(db.session.execute(select(Unit.id, Unit.path)).all())
    by_subject: dict[tuple, list[Recognition]] = defaultdict(list)
    today: dict[tuple, int] = {}
    for column, model, ids in ((Nomination.person_id, Person, persons),
                               (Nomination.organization_id, Organization, organizations)):
        for start in range(0, len(ids), 900):
            for rec, subject_id, unit_id in db.session.execute(
                    select(Recognition, column, model.unit_id)
                    .join(Nomination, Nomination.id == Recognition.nomination_id)
                    .join(model, model.id == column)
                    .where(column.in_(ids[start:start + 900])).order_by(Recognition.id)):
                key = (model.__name__, subject_id, rec.title_code)
                by_subject[key].append(rec)
                today[key] = unit_id
    for key, recs in by_subject.items():
        record_change(key[2], lineage.placement(recs, today[key], cut),
                      lineage.placement(recs, today[key]), paths)


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
    if workflow.spec.subject == "organization":
        # A title held by organizations: only the child units that hold some (or count some).
        holding = holding_organizations(kids)
        kids = [k for k in kids if counted[k.id] or k.id in holding]
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


def holding_organizations(units: list[Unit]) -> set[int]:
    """The ids among `units` whose subtree holds at least one organization."""
    if not units:
        return set()
    paths = {u.id: u.path for u in units}
    found = set()
    for (path,) in db.session.execute(
            select(Unit.path).join(Organization, Organization.unit_id == Unit.id)
            .where(or_(*(Unit.path.startswith(p) for p in paths.values()))).distinct()):
        found.update(i for i, p in paths.items() if path.startswith(p))
    return found


SMALLEST_PERCENT = 0.000001  # 0,0001%: below it a share reads "< 0,0001%"


def percent_pattern(value: float) -> str:
    """One decimal, or as many as a small share needs to show its first significant digit
    (10 of 70,560 is "0,01%", never "0,0%"), at most four."""
    share = abs(value) * 100
    if share == 0:
        return "0%"  # exactly none: no decimals that could hide a small share
    if share >= 0.1:
        return "#,##0.0%"
    decimals = min(4, -math.floor(math.log10(share)))
    return "#,##0." + "0" * decimals + "%"


def percent_text(value: float, locale: str = "vi") -> str:
    """A ratio as the dashboard, the report and its files show it ("0,01%", "37,5%")."""
    if 0 < abs(value) < SMALLEST_PERCENT:
        return "< " + format_percent(SMALLEST_PERCENT, format="#,##0.0000%", locale=locale)
    return format_percent(value, format=percent_pattern(value), locale=locale)


def points_text(value: float, locale: str = "vi") -> str:
    """A difference of two ratios in percentage points, as precise as `percent_text`
    ("39,99" for 40% less 0,014%)."""
    pattern = percent_pattern(value).rstrip("%")
    if abs(value) * 100 >= 0.1:
        pattern = "#,##0.00"  # two decimals: 40% less 0,014% is 39,99, not 40,0
    return format_decimal(abs(value) * 100, format=pattern, locale=locale)


def gap(holders_: int, denominator: int | None, target: float | None) -> int | None:
    """People (or units) still needed to reach `target`: 0 once reached; None without a
    denominator or a target. Exact: 40% of 70,560 is 28,224, not 28,225 by a rounding error."""
    if target is None or not denominator:
        return None
    needed = math.ceil(Decimal(str(target)) * denominator)
    return max(0, needed - holders_)


@dataclass
class Verdict:
    """A target year that has passed: the figure on its 31 December against its target."""

    year: int
    target: float
    source: str | None
    holders: int
    denominator: int | None

    @property
    def ratio(self) -> float | None:
        return self.holders / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        return None if self.ratio is None else self.gap == 0

    @property
    def gap(self) -> int | None:
        return gap(self.holders, self.denominator, self.target)

    @property
    def points(self) -> float | None:
        """Ratio minus target (negative when short)."""
        return None if self.ratio is None else self.ratio - self.target


@dataclass
class Line:
    """One unit on the dashboard: its figure, the target it is measured against, and verdicts."""

    figure: Figure
    target: float | None
    target_year: int | None
    source: str | None
    verdicts: list[Verdict]

    @property
    def gap(self) -> int | None:
        return gap(self.figure.holders, self.figure.denominator, self.target)


@dataclass
class PathYear:
    """Holders at a year's end (or on the day counted, for the current year) against the target."""

    year: int
    day: date
    holders: int
    denominator: int | None
    target: float | None
    target_year: int | None
    from_predecessors: bool = False
    split: bool = False  # a predecessor that was split is counted whole (see `Point`)

    @property
    def ratio(self) -> float | None:
        return self.holders / self.denominator if self.denominator else None

    @property
    def gap(self) -> int | None:
        return gap(self.holders, self.denominator, self.target)


@dataclass
class Dashboard:
    progress: Progress
    unit: Line
    children: list[Line]
    path: list[PathYear]
    history: History  # the path's points, with the predecessors that stand in before the unit
    denominator_name: object  # the workflow's Localized name, or None


# The plan's span: the dashboard's path starts in the plan's first year (QĐ 1373, 2021–2030).
PLAN_START = 2021


def passed_target_years(workflow, as_of: date) -> list[int]:
    """Target years whose 31 December is on or before `as_of`."""
    return sorted(y for y in workflow.spec.targets if date(y, 12, 31) <= as_of)


def _verdicts(unit: Unit, workflow, as_of: date) -> list[Verdict]:
    years = passed_target_years(workflow, as_of)
    if not years:
        return []
    points = history(unit, workflow, as_of, days=[date(y, 12, 31) for y in years]).points
    return [Verdict(y, workflow.spec.targets[y], workflow.spec.target_source(y), p.holders,
                    p.denominator) for y, p in zip(years, points)]


def _verdicts_together(units: list[Unit], workflow, as_of: date) -> dict[int, list[Verdict]]:
    """The verdicts of the units that already stood on every passed target year's 31 December,
    in two queries per target year and one for the denominators (the others are left out: their
    figures are their predecessors', through `history`)."""
    years = passed_target_years(workflow, as_of)
    standing = [u for u in units if all(u.valid_from <= date(y, 12, 31) for y in years)]
    if not years:
        return {u.id: [] for u in units}
    denominator = _denominators_by_year(standing, workflow.code, years)
    found: dict[int, list[Verdict]] = {u.id: [] for u in standing}
    for y in years:
        counted = holders([u.id for u in standing], workflow.code, date(y, 12, 31))
        for u in standing:
            found[u.id].append(Verdict(y, workflow.spec.targets[y],
                                       workflow.spec.target_source(y), counted[u.id],
                                       denominator.get((u.id, y))))
    return found


def path(unit: Unit, workflow, as_of: date) -> tuple[list[PathYear], History]:
    """Holders at each year's end from the plan's first year to `as_of` (the last point), from the
    counters (through `history`, so a unit formed later shows its predecessors' figures)."""
    first = min(PLAN_START, as_of.year)
    days = [date(y, 12, 31) for y in range(first, as_of.year)] + [as_of]
    found = history(unit, workflow, as_of, days=days)
    out = []
    for p in found.points:
        target, target_year = workflow.spec.target_for(p.day.year)
        out.append(PathYear(p.day.year, p.day, p.holders, p.denominator, target, target_year,
                            p.from_predecessors, p.split))
    return out, found


def dashboard(unit: Unit, workflow, as_of: date) -> Dashboard:
    """Everything the dashboard and the yearly report show for `unit`: its figure and each
    child's, with target, source, gap and a verdict for every target year passed, and the path."""
    result = progress(unit, workflow, as_of)
    source = workflow.spec.target_source(result.target_year)

    figures = [result.figure, *result.children]
    verdicts = _verdicts_together([f.unit for f in figures], workflow, as_of)

    def line(figure: Figure) -> Line:
        found = verdicts.get(figure.unit.id)
        if found is None:  # a unit formed after a target year: its predecessors stand in
            found = _verdicts(figure.unit, workflow, as_of)
        return Line(figure, result.target, result.target_year, source, found)

    years, found = path(unit, workflow, as_of)
    return Dashboard(result, line(result.figure), [line(f) for f in result.children], years,
                     found, workflow.spec.denominator)


@dataclass
class Point:
    """One point of a unit's chart: holders at the end of a month or quarter (or on `as_of`)."""

    day: date
    holders: int
    denominator: int | None
    # Before the unit existed, the figure is its predecessors' (`from_predecessors`); `split` when
    # one of them was split, so shown whole (more than the unit took over).
    from_predecessors: bool = False
    split: bool = False

    @property
    def ratio(self) -> float | None:
        return self.holders / self.denominator if self.denominator else None


def chart_days(first: date, as_of: date, most: int = 24) -> list[date]:
    """Month ends from `first` to `as_of` (quarter ends when there would be more than `most`),
    then `as_of` itself."""
    def month_end(year: int, month: int) -> date:
        return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)

    months = (as_of.year - first.year) * 12 + as_of.month - first.month
    step = 1 if months <= most else 3
    days = []
    year, month = first.year, first.month
    if step == 3:
        month = (month - 1) // 3 * 3 + 3
    while True:
        day = month_end(year, month)
        if day >= as_of:
            break
        days.append(day)
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return days + [as_of]


# The chart starts at the first holder, but never before this day (the titles' first targets).
CHART_START = date(2021, 1, 1)


@dataclass
class History:
    unit: Unit
    points: list[Point]
    # The units whose figures stand in before the unit existed (none for a unit without a change).
    predecessors: list[Unit]


def history(unit: Unit, workflow, as_of: date, days: list[date] | None = None) -> History:
    """The unit's holders (and ratio, where a denominator is known) on `days` (default: month or
    quarter ends from the first holder, not before 2021, to `as_of`). Before the unit's
    `valid_from` a point shows its predecessors' figures, summed over those taken over whole,
    recursively through earlier changes, plus the unit's own back-dated holders; a predecessor
    that was split is counted whole and the point marked `split`. Four queries whatever the span:
    the successions, the units involved, their counters, their denominators."""
    lineage = Lineage.load()
    involved = lineage.sources(unit.id)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(involved)))}
    rows = db.session.execute(
        select(ProgressDelta.unit_id, ProgressDelta.day, ProgressDelta.delta)
        .where(ProgressDelta.unit_id.in_(list(units)),
               ProgressDelta.title_code == workflow.code, ProgressDelta.day <= as_of)
        .order_by(ProgressDelta.day)).all()
    if days is None:
        first = max(min((r.day for r in rows), default=as_of), CHART_START)
        days = chart_days(min(first, as_of), as_of)
    steps: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for unit_id, day, delta in rows:
        level = steps[unit_id][-1][1] if steps[unit_id] else 0
        steps[unit_id].append((day, level + delta))

    def level(unit_id: int, day: date) -> int:
        found = 0
        for on, value in steps.get(unit_id, ()):
            if on > day:
                break
            found = value
        return found

    def standing(unit_id: int, day: date, marked: bool, found: dict[int, bool]) -> list:
        """The units whose figures stand for `unit_id` on `day`, each marked when reached
        through a split (each unit once, however many ways lead to it)."""
        found[unit_id] = found.get(unit_id, False) or marked
        if units[unit_id].valid_from > day:
            for before in lineage.predecessors.get(unit_id, ()):
                if before in units:
                    split = len(lineage.successors.get(before, ())) > 1
                    standing(before, day, marked or split, found)
        return list(found.items())

    years = sorted({d.year for d in days})
    denominator = _denominators_by_year(list(units.values()), workflow.code, years)
    points, used = [], set()
    for day in days:
        stand = standing(unit.id, day, False, {})
        used.update(u for u, _ in stand if u != unit.id)
        figures = [denominator.get((u, day.year)) for u, _ in stand
                   if u != unit.id or units[u].valid_from <= day]
        known = figures and all(f is not None for f in figures)
        points.append(Point(day, sum(level(u, day) for u, _ in stand),
                            sum(figures) if known else None,
                            from_predecessors=unit.valid_from > day,
                            split=any(m for _, m in stand)))
    return History(unit, points, sorted((units[u] for u in used), key=lambda u: u.code))


def _denominators_by_year(units: list[Unit], title_code: str,
                          years: list[int]) -> dict[tuple[int, int], int | None]:
    """(unit id, year) → the denominator as `denominators` finds it, for several units and years
    in two queries."""
    if not units or not years:
        return {}
    below = db.session.scalars(select(Unit).where(or_(*(Unit.path.startswith(u.path)
                                                         for u in units)))).all()
    entered = {(u, y): v for u, y, v in db.session.execute(
        select(Denominator.unit_id, Denominator.year, Denominator.value)
        .where(Denominator.unit_id.in_([u.id for u in below]),
               Denominator.title_code == title_code, Denominator.year.in_(years))).all()}
    children: dict[int | None, list[int]] = defaultdict(list)
    for u in below:
        children[u.parent_id].append(u.id)
    result: dict[tuple[int, int], int | None] = {}
    for year in years:
        for u in sorted(below, key=lambda u: u.path.count("/"), reverse=True):
            if (u.id, year) in entered:
                result[(u.id, year)] = entered[(u.id, year)]
            else:
                known = [result[(c, year)] for c in children[u.id]
                         if result.get((c, year)) is not None]
                result[(u.id, year)] = sum(known) if known else None
    return result


def recount(title_code: str, as_of: date, lineage: Lineage | None = None) -> dict[int, int]:
    """Holders per unit (whole subtree) counted from the recognitions themselves — slow, exact,
    by the rule of the module's text: each subject valid on `as_of` counts once, on the unit valid
    that day on the line of succession of its first valid recognition (see `Lineage.placement`)."""
    lineage = lineage or Lineage.load()
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    holding: dict[tuple[int | None, int | None], tuple] = {}
    for rec, person_id, organization_id, today in db.session.execute(
            select(Recognition, Nomination.person_id, Nomination.organization_id,
                   func.coalesce(Person.unit_id, Organization.unit_id))
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .outerjoin(Person, Person.id == Nomination.person_id)
            .outerjoin(Organization, Organization.id == Nomination.organization_id)
            .where(Recognition.title_code == title_code, Recognition.valid_from <= as_of,
                   Recognition.valid_until >= as_of)):
        if rec.valid_on(as_of):
            key, rank = (person_id, organization_id), (rec.valid_from, rec.id)
            if key not in holding or rank < holding[key][0]:
                holding[key] = (rank, rec.unit_id, today)
    counts: dict[int, int] = defaultdict(int)
    for _rank, unit_id, today in holding.values():
        counted = lineage.unit_on(lineage.line(unit_id, today), as_of)
        for ancestor in units[counted].ancestor_ids():
            counts[ancestor] += 1
    return {unit_id: counts.get(unit_id, 0) for unit_id in units}


def discrepancies(title_code: str, as_of: date,
                  lineage: Lineage | None = None) -> list[tuple[Unit, int, int]]:
    """(unit, counters say, records say) for every unit where the two disagree."""
    exact = recount(title_code, as_of, lineage)
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
    lineage = Lineage.load()
    paths = dict(db.session.execute(select(Unit.id, Unit.path)).all())
    by_subject: dict[tuple[int | None, int | None], list[Recognition]] = defaultdict(list)
    today: dict[tuple[int | None, int | None], int | None] = {}
    for rec, person_id, organization_id, unit_id in db.session.execute(
            select(Recognition, Nomination.person_id, Nomination.organization_id,
                   func.coalesce(Person.unit_id, Organization.unit_id))
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .outerjoin(Person, Person.id == Nomination.person_id)
            .outerjoin(Organization, Organization.id == Nomination.organization_id)
            .where(Recognition.title_code == title_code).order_by(Recognition.id)):
        by_subject[(person_id, organization_id)].append(rec)
        today[(person_id, organization_id)] = unit_id
    for key, held in by_subject.items():
        record_change(title_code, [], lineage.placement(held, today[key]), paths)
    db.session.commit()
