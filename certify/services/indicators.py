"""The plan's other indicators (certify/data/plan-indicators.yaml): their targets in named sets, and
the yearly figures an admin enters per unit, shown on the dashboard and in the yearly report."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..models import IndicatorFigure, Unit
from ..workflow.spec import Localized
from .validate import MAX_INT

DATA = Path(__file__).resolve().parent.parent / "data" / "plan-indicators.yaml"
# The years a figure may be entered for (the plan's span, with room on either side).
FIRST_YEAR, LAST_YEAR = 2000, 2100
KINDS = ("percent", "number")


@dataclass(frozen=True)
class Target:
    set: str
    set_name: Localized
    year: int
    value: float
    assumption: str | None


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Localized
    kind: str
    targets: tuple[Target, ...]


@lru_cache(maxsize=1)
def indicators() -> tuple[Indicator, ...]:
    """The indicators of the data file, in its order (the file is checked as it is read)."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    sets = raw["sets"]
    found, seen = [], set()
    for item in raw["indicators"]:
        code, kind = item["code"], item["kind"]
        if code in seen or kind not in KINDS:
            raise ValueError(f"{DATA.name}: indicator {code}: listed twice or unknown kind {kind}")
        seen.add(code)
        targets = []
        for t in item.get("targets", ()):
            if t["set"] not in sets:
                raise ValueError(f"{DATA.name}: indicator {code}: unknown set {t['set']}")
            targets.append(Target(t["set"], Localized(**sets[t["set"]]["name"]), int(t["year"]),
                                  float(t["value"]), t.get("assumption")))
        found.append(Indicator(code, Localized(**item["name"]), kind, tuple(targets)))
    return tuple(found)


def by_code() -> dict[str, Indicator]:
    return {i.code: i for i in indicators()}


def figures(unit: Unit, year: int) -> dict[str, float]:
    """Indicator code → the figure entered for `unit` and `year`."""
    return dict(db.session.execute(
        select(IndicatorFigure.indicator, IndicatorFigure.value)
        .where(IndicatorFigure.unit_id == unit.id, IndicatorFigure.year == year)).all())


def parse(raw: str) -> float | None:
    """"12,5" or "12.5" → 12.5; "" → None; ValueError otherwise (not a finite number)."""
    text = (raw or "").strip().replace(" ", "").replace("%", "")
    if not text:
        return None
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def problems(year, values: dict) -> list[dict]:
    """Every reason the figures `values` (code → number or None) for `year` cannot be saved."""
    found = []
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        found.append({"field": "year", "code": "out_of_range",
                      "message": f"year must be between {FIRST_YEAR} and {LAST_YEAR}."})
    known = by_code()
    for code, value in values.items():
        indicator = known.get(code)
        if indicator is None:
            found.append({"field": code, "code": "unknown", "message": f"No indicator {code}."})
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            found.append({"field": code, "code": "not_number",
                          "message": f"{code} must be a number."})
        elif indicator.kind == "percent" and not 0 <= value <= 100:
            found.append({"field": code, "code": "out_of_range",
                          "message": f"{code} is a percentage between 0 and 100."})
        elif indicator.kind == "number" and not 0 <= value <= MAX_INT:
            found.append({"field": code, "code": "out_of_range",
                          "message": f"{code} must be a number not below 0."})
    return found


def set_figures(unit: Unit, year: int, values: dict) -> None:
    """Save the figures for `unit` and `year` (None removes one), all or nothing: any bad value
    raises Invalid listing every reason, and nothing is written."""
    reasons = problems(year, values)
    if reasons:
        raise Invalid("The indicator figures are not valid.", reasons)
    rows = {row.indicator: row for row in db.session.scalars(
        select(IndicatorFigure).where(IndicatorFigure.unit_id == unit.id,
                                      IndicatorFigure.year == year))}
    for code, value in values.items():
        row = rows.get(code)
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(IndicatorFigure(unit_id=unit.id, indicator=code, year=year,
                                           value=float(value)))
        else:
            row.value = float(value)
    db.session.commit()


@dataclass
class Row:
    indicator: Indicator
    value: float | None
    # The targets of each named set for the year's target: the first target year at or after
    # the year, per set (never merged across sets).
    targets: list[Target]

    def met(self, target: Target) -> bool | None:
        return None if self.value is None else self.value >= target.value


def rows(unit: Unit, year: int) -> list[Row]:
    """Each indicator with the figure entered for `unit` and `year` and the targets it is read
    against: per named set, the first target year at or after `year` (the last, past it)."""
    entered = figures(unit, year)
    out = []
    for indicator in indicators():
        chosen = []
        for set_code in dict.fromkeys(t.set for t in indicator.targets):
            own = sorted((t for t in indicator.targets if t.set == set_code), key=lambda t: t.year)
            chosen.append(next((t for t in own if t.year >= year), own[-1]))
        out.append(Row(indicator, entered.get(indicator.code), chosen))
    return out


def for_dashboard(unit: Unit, year: int) -> dict:
    """What templates/progress/_indicators.html shows: the rows, and whether any was entered."""
    found = rows(unit, year)
    return {"rows": found, "year": year, "unit": unit,
            "entered": any(r.value is not None for r in found)}
