"""The deadlines a workflow file sets for an evaluation year, whether a dossier came in late, and
the first day a dossier of a year may be submitted. Late dossiers are reported, never refused:
officials decide (domain.md)."""

from __future__ import annotations

from datetime import date, timedelta

from .. import clock
from ..models import Nomination
from ..rubric import Reason
from ..workflow import workflow


def _day(deadline, year: int) -> date:
    target_year = year + deadline.year_offset
    try:
        return date(target_year, deadline.month, deadline.day)
    except ValueError:  # 29 February in a common year: the next day is 1 March
        return date(target_year, 3, 1)


def _spec(title_code: str, year: int):
    """The deadlines of the rule version a dossier of `year` is judged by."""
    wf = workflow(title_code)
    rules = wf.rules_for_year(year) if wf is not None else None
    return rules.deadlines if rules is not None else None


def for_year(title_code: str, year: int) -> dict[str, date]:
    """The title's days for an evaluation year (see `days`), by the rule version of that year."""
    return days(_spec(title_code, year), year)


def days(spec, year: int) -> dict[str, date]:
    """The days a version's `deadlines` set for an evaluation year, only those it sets:
    "submit_from" (first day a dossier may be submitted), "submit_before" / "approve_before" (the
    day named in "trước ngày …") and "submit_by" / "approve_by" (the last day on time, the day
    before)."""
    if spec is None:
        return {}
    out = {}
    if spec.submit_from is not None:
        out["submit_from"] = _day(spec.submit_from, year)
    for name in ("submit", "approve"):
        before = getattr(spec, f"{name}_before")
        if before is not None:
            out[f"{name}_before"] = _day(before, year)
            out[f"{name}_by"] = out[f"{name}_before"] - timedelta(days=1)
    return out


def submitted_late(nomination: Nomination) -> bool:
    """Whether the dossier last entered the review queue after the last day on time."""
    due = for_year(nomination.title_code, nomination.year).get("submit_by")
    if due is None or nomination.submitted_at is None:
        return False
    return nomination.submitted_at.astimezone(clock.zone()).date() > due


def opens(title_code: str, year: int) -> date | None:
    """The first day a dossier of `year` may be submitted, if the title sets one."""
    return for_year(title_code, year).get("submit_from")


def may_submit(title_code: str, year: int, today: date | None = None) -> bool:
    first = opens(title_code, year)
    return first is None or (today or clock.today()) >= first


def submission_reasons(title_code: str, year: int, today: date | None = None) -> list[Reason]:
    """Why a dossier of `year` cannot be submitted on `today` (empty when it can)."""
    if may_submit(title_code, year, today):
        return []
    first = opens(title_code, year)
    return [Reason("year", "not_open",
                   f"A dossier for {year} can be submitted from {first:%d/%m/%Y}, once its "
                   "evaluation year has ended.",
                   {"year": year, "submit_from": first.isoformat()})]


def fileable_years(title_code: str, today: date | None = None) -> list[int]:
    """The evaluation years an applicant page offers: this year and last, less those not open."""
    this = (today or clock.today()).year
    return [y for y in (this, this - 1) if may_submit(title_code, y, today)]
