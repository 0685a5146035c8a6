"""The recount check behind `flask check`: do the progress counters agree with the recognitions?

Besides the days asked for, every check covers the day before and the day of each
reorganisation's effective date (`reorganization_days`): the days on which holders move from the
old units to their successors."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import ProgressDelta, Recognition, Succession, Unit
from . import progress


def change_days(title_code: str) -> list[date]:
    """Every day on which either side can change: a counter row's day, and each recognition's
    first day, the day after its last, and its revocation day.

    Both the counters and the recount are step functions of the date that only move on these
    days, so checking each of them checks every date there is.
    """
    days = set(db.session.scalars(
        select(ProgressDelta.day).where(ProgressDelta.title_code == title_code).distinct()))
    days.update(reorganization_days())
    for valid_from, valid_until, revoked_on in db.session.execute(
            select(Recognition.valid_from, Recognition.valid_until, Recognition.revoked_on)
            .where(Recognition.title_code == title_code)):
        days.add(valid_from)
        days.add(valid_until + timedelta(days=1))
        if revoked_on is not None:
            days.add(revoked_on)
    return sorted(days)


def reorganization_days() -> list[date]:
    """The last day of the old units and the first of the new, for every reorganisation."""
    days = set()
    for effective in db.session.scalars(select(Succession.effective).distinct()):
        days.update((effective - timedelta(days=1), effective))
    return sorted(days)


def days_to_check(title_code: str, day: date, all_days: bool = False) -> list[date]:
    """`day` (or, with `all_days`, every change day) and the days around every reorganisation."""
    asked = change_days(title_code) if all_days else [day]
    return sorted(set(asked) | set(reorganization_days()))


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def check(title_code: str, days: list[date]) -> dict[date, list[tuple[Unit, int, int]]]:
    """The disagreements on each of `days` that has any: (unit, counters say, records say).
    Callers pass `days_to_check`, which adds the days around every reorganisation."""
    found = {}
    lineage = progress.Lineage.load()
    for day in days:
        differences = progress.discrepancies(title_code, day, lineage)
        if differences:
            found[day] = differences
    return found
