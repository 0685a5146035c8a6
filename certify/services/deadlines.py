"""The deadlines a workflow file sets for an evaluation year (TT 24/2023: submit before 15 January
of the following year, recognise before 15 February) and whether a dossier came in late. Late
dossiers are reported, never refused: officials decide (domain.md)."""

from __future__ import annotations

from datetime import date

from .. import clock
from ..models import Nomination
from ..workflow import workflow


def _day(deadline, year: int) -> date:
    target_year = year + deadline.year_offset
    try:
        return date(target_year, deadline.month, deadline.day)
    except ValueError:  # 29-31 in a short month: its last day
        return date(target_year, deadline.month, 28)


def for_year(title_code: str, year: int) -> dict[str, date]:
    """{"submit_by": date, "approve_by": date}, with only the deadlines the title sets."""
    wf = workflow(title_code)
    spec = wf.spec.deadlines if wf is not None else None
    if spec is None:
        return {}
    out = {}
    for name in ("submit_by", "approve_by"):
        deadline = getattr(spec, name)
        if deadline is not None:
            out[name] = _day(deadline, year)
    return out


def submitted_late(nomination: Nomination) -> bool:
    """Whether the dossier last entered the review queue after the submission deadline."""
    due = for_year(nomination.title_code, nomination.year).get("submit_by")
    if due is None or nomination.submitted_at is None:
        return False
    return nomination.submitted_at.astimezone(clock.zone()).date() > due
