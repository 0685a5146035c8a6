"""Administrative units with their validity and lineage, and their denominators.

A unit exists from `valid_from` to `valid_until`, both days included (None: still current). A code
names at most one unit on any day, and is free again the day after its unit ends: `find(code, on)`
is the one way a code becomes a unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..database import writes
from ..errors import Invalid, NotFound
from ..extensions import db
from ..models import EARLIEST, LEVELS, SUCCESSION_KINDS, Denominator, Succession, Unit, User
from ..workflow import workflows
from . import scope
from .validate import Longest, Reasons

RANK = {level: i for i, level in enumerate(LEVELS)}


def valid_on(day: date):
    """The SQL condition: a unit exists on `day`."""
    return (Unit.valid_from <= day) & or_(Unit.valid_until.is_(None), Unit.valid_until >= day)


def find(code: str, on: date | None = None) -> Unit | None:
    """The unit that bears `code` on the day `on` (default: today), or None."""
    if not isinstance(code, str):
        return None
    day = on or clock.today()
    return db.session.scalars(select(Unit).where(Unit.code == code, valid_on(day))
                              .order_by(Unit.valid_from)).first()


def get_visible(actor: User, code: str, on: date | None = None) -> Unit:
    unit = find(code, on)
    if unit is None or not scope.in_unit_scope(actor, unit):
        raise NotFound(f"No unit {code}" + (f" on {on.isoformat()}." if on else "."))
    return unit


def children_on(unit: Unit, day: date | None = None) -> list[Unit]:
    """The units standing directly below `unit` on `day` (default: today)."""
    day = day or clock.today()
    return [child for child in unit.children if child.valid_on(day)]


def _overlapping(code: str, start: date, end: date | None) -> Unit | None:
    """A unit bearing `code` on some day from `start` to `end` (None: open)."""
    query = select(Unit).where(Unit.code == code,
                               or_(Unit.valid_until.is_(None), Unit.valid_until >= start))
    if end is not None:
        query = query.where(Unit.valid_from <= end)
    return db.session.scalars(query.order_by(Unit.valid_from)).first()


def _period(unit: Unit) -> str:
    until = unit.valid_until.isoformat() if unit.valid_until else "now"
    return f"{unit.valid_from.isoformat()} to {until}"


def _day(r: Reasons, name: str, value) -> date | None:
    """A day given as a date or as YYYY-MM-DD text, or None when not given."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    r.add(name, "date_parsing", f"{name} must be a date YYYY-MM-DD.")
    return None


@writes
def create(*, code, name, level, parent_code=None, valid_from=None, valid_until=None) -> Unit:
    """A new unit (see `add`), committed."""
    unit = add(code=code, name=name, level=level, parent_code=parent_code, valid_from=valid_from,
               valid_until=valid_until)
    db.session.commit()
    return unit


def add(*, code, name, level, parent_code=None, valid_from=None, valid_until=None) -> Unit:
    """A new unit in the caller's transaction (not committed), valid from `valid_from` (default: EARLIEST, a unit whose start is not recorded)
    to `valid_until` (default: current). The parent is the unit bearing `parent_code` on the
    first day, and must exist for as long as the new unit does."""
    r = Reasons()
    code = r.text("code", code, max_length=Longest.UNIT_CODE)
    name = r.text("name", name, max_length=Longest.UNIT_NAME)
    level = r.choice("level", level, LEVELS)
    start = _day(r, "valid_from", valid_from) or EARLIEST
    end = _day(r, "valid_until", valid_until)
    if end is not None and end < start:
        r.add("valid_until", "before_start", "valid_until cannot come before valid_from.")
        end = start
    if code and (other := _overlapping(code, start, end)) is not None:
        r.items.append({
            "field": "code", "code": "taken",
            "message": f"Unit {code} ({other.name}) is valid from {_period(other)}; a code names "
                       f"one unit on any day, so a new {code} can start on the day after that "
                       f"unit ends at the earliest.",
            "unit": {"code": other.code, "name": other.name,
                     "valid_from": other.valid_from.isoformat(),
                     "valid_until": other.valid_until.isoformat() if other.valid_until else None}})
    parent = None
    if parent_code is not None:
        parent = find(parent_code, start)
        if parent is None:
            r.add("parent_code", "unknown", f"There is no unit {parent_code} on {start.isoformat()}.")
        elif level and RANK[level] <= RANK[parent.level]:
            r.add("level", "not_below_parent",
                  f"A {level} cannot stand below a {parent.level}.")
        elif parent.valid_until is not None and (end is None or end > parent.valid_until):
            r.items.append({
                "field": "parent_code", "code": "ends_before",
                "message": f"Unit {parent_code} ends on {parent.valid_until.isoformat()}; a unit "
                           f"below it must end by then.",
                "valid_until": parent.valid_until.isoformat()})
    r.raise_if_any()
    unit = Unit(code=code, name=name, level=level, parent=parent, valid_from=start,
                valid_until=end)
    db.session.add(unit)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request made a current unit of this code in the meantime (the partial unique
        # index): the same refusal as above, nothing written (the caller's @writes rolls back).
        raise Invalid("Some fields are missing or invalid.", [{
            "field": "code", "code": "taken",
            "message": f"Unit {code} was created by another request meanwhile."}]) from None
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return unit


@writes
def end(unit: Unit, last_day) -> Unit:
    """Close a current unit (see `close`), committed."""
    close(unit, last_day)
    db.session.commit()
    return unit


def close(unit: Unit, last_day) -> Unit:
    """Close a current unit in the caller's transaction: `last_day` is the last day it exists
    (its code is free the day after). Its children must have ended by then."""
    r = Reasons()
    last = _day(r, "valid_until", last_day)
    if last_day is None:
        r.add("valid_until", "required", "Give the last day the unit exists.")
    if unit.valid_until is not None:
        r.add("valid_until", "ended", f"Unit {unit.code} already ended on "
                                      f"{unit.valid_until.isoformat()}.")
    if last is not None and last < unit.valid_from:
        r.add("valid_until", "before_start",
              f"Unit {unit.code} starts on {unit.valid_from.isoformat()}.")
    if last is not None:
        going_on = [c.code for c in unit.children if c.valid_until is None or c.valid_until > last]
        if going_on:
            r.add("valid_until", "children_go_on",
                  f"Units below {unit.code} still exist after {last.isoformat()}: "
                  f"{', '.join(going_on)}; end or move them first.")
    r.raise_if_any()
    unit.valid_until = last
    db.session.flush()
    return unit


@writes
def record_succession(predecessor: Unit, successor: Unit, *, effective, kind, source="") -> Succession:
    """Record a succession (see `link`), committed."""
    succession = link(predecessor, successor, effective=effective, kind=kind, source=source)
    db.session.commit()
    return succession


def link(predecessor: Unit, successor: Unit, *, effective, kind, source="") -> Succession:
    """In the caller's transaction, record that from `effective` on `successor` takes over (all or part of) `predecessor`:
    the predecessor exists on the day before, the successor on the day itself."""
    r = Reasons()
    day = _day(r, "effective", effective)
    if effective is None:
        r.add("effective", "required", "Give the day the change takes effect.")
    kind = r.choice("kind", kind, SUCCESSION_KINDS)
    source = r.text("source", source, max_length=Longest.SUCCESSION_SOURCE, required=False) or ""
    if predecessor.id == successor.id:
        r.add("successor", "same_unit", "A unit cannot succeed itself.")
    elif day is not None:
        if not predecessor.valid_on(day - timedelta(days=1)):
            r.add("predecessor", "not_valid",
                  f"Unit {predecessor.code} ({predecessor.name}) does not exist on the day before "
                  f"{day.isoformat()}.")
        if not successor.valid_on(day):
            r.add("successor", "not_valid",
                  f"Unit {successor.code} ({successor.name}) does not exist on {day.isoformat()}.")
    if db.session.scalar(select(Succession.id).where(Succession.predecessor_id == predecessor.id,
                                                     Succession.successor_id == successor.id)):
        r.add("successor", "taken", "That succession is already recorded.")
    r.raise_if_any()
    succession = Succession(predecessor=predecessor, successor=successor, effective=day,
                            kind=kind, source=source)
    db.session.add(succession)
    db.session.flush()
    return succession


@dataclass(frozen=True)
class Lineage:
    """A unit's links: to the units it took over, and to those that took it over, earliest first."""

    predecessors: list[Succession] = field(default_factory=list)
    successors: list[Succession] = field(default_factory=list)


def lineage(units: list[Unit]) -> dict[int, Lineage]:
    """Unit id → its Lineage, for every unit in `units` (two queries, whatever their number)."""
    found = {u.id: Lineage() for u in units}
    if not found:
        return found
    ids = list(found)
    for link in db.session.scalars(
            select(Succession).where(or_(Succession.successor_id.in_(ids),
                                         Succession.predecessor_id.in_(ids)))
            .options(joinedload(Succession.predecessor), joinedload(Succession.successor))
            .order_by(Succession.effective, Succession.id)):
        if link.successor_id in found:
            found[link.successor_id].predecessors.append(link)
        if link.predecessor_id in found:
            found[link.predecessor_id].successors.append(link)
    return found


@writes
def set_denominators(unit: Unit, year, figures: dict) -> list[Denominator]:
    r = Reasons()
    r.integer("year", year, minimum=2000, maximum=2100)
    known = workflows()
    if not isinstance(figures, dict) or not figures:
        r.add("denominators", "required", "Give at least one title code with its figure.")
        figures = {}
    for title_code, value in figures.items():
        if title_code not in known:
            r.add(title_code, "unknown_title", f"There is no title {title_code}.")
        r.integer(title_code, value, minimum=0)
    r.raise_if_any()
    rows = []
    for title_code, value in figures.items():
        row = db.session.scalar(select(Denominator).where(
            Denominator.unit_id == unit.id, Denominator.title_code == title_code,
            Denominator.year == year))
        if row is None:
            row = Denominator(unit=unit, title_code=title_code, year=year, value=value)
            db.session.add(row)
        else:
            row.value = value
            row.carried_from = None  # entered by a person: no longer a carried sum
        rows.append(row)
    db.session.commit()
    return rows


def denominators_of(unit: Unit, year: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Denominator.title_code, Denominator.value)
        .where(Denominator.unit_id == unit.id, Denominator.year == year)).all())


def carried_denominators(unit: Unit, year: int) -> dict[str, str]:
    """Title code → the reorganisation (its source text) whose predecessors' sum the unit's figure
    for `year` still is: to be checked and entered again by an admin."""
    return dict(db.session.execute(
        select(Denominator.title_code, Denominator.carried_from)
        .where(Denominator.unit_id == unit.id, Denominator.year == year,
               Denominator.carried_from.is_not(None))).all())

