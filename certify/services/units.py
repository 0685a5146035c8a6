"""Administrative units and their denominators."""

from __future__ import annotations

from sqlalchemy import select

from ..database import writes
from ..errors import NotFound
from ..extensions import db
from ..models import LEVELS, Denominator, Unit, User
from ..workflow import workflows
from . import scope
from .validate import Longest, Reasons

RANK = {level: i for i, level in enumerate(LEVELS)}


def find(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def get_visible(actor: User, code: str) -> Unit:
    unit = find(code) if isinstance(code, str) else None
    if unit is None or not scope.in_unit_scope(actor, unit):
        raise NotFound(f"No unit {code}.")
    return unit


@writes
def create(*, code, name, level, parent_code=None) -> Unit:
    r = Reasons()
    code = r.text("code", code, max_length=Longest.UNIT_CODE)
    name = r.text("name", name, max_length=Longest.UNIT_NAME)
    level = r.choice("level", level, LEVELS)
    if code and find(code) is not None:
        r.add("code", "taken", f"Unit {code} already exists.")
    parent = None
    if parent_code is not None:
        parent = find(parent_code)
        if parent is None:
            r.add("parent_code", "unknown", f"There is no unit {parent_code}.")
        elif level and RANK[level] <= RANK[parent.level]:
            r.add("level", "not_below_parent",
                  f"A {level} cannot stand below a {parent.level}.")
    r.raise_if_any()
    unit = Unit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    db.session.commit()
    return unit


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
        rows.append(row)
    db.session.commit()
    return rows


def denominators_of(unit: Unit, year: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Denominator.title_code, Denominator.value)
        .where(Denominator.unit_id == unit.id, Denominator.year == year)).all())

