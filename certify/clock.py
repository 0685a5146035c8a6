"""The product's notion of today: calendar dates in CERTIFY_TIMEZONE (api.md, Conventions)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    return datetime.now(zone()).date()


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
