"""Scoring, pass rules and levels: pure functions over one rule version of a title (no database,
no Flask)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping


@dataclass(frozen=True)
class Reason:
    """One unmet requirement, as the API's `details` and the forms show it."""

    field: str
    code: str
    message: str
    params: Mapping[str, Any]

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message, **self.params}


@dataclass(frozen=True)
class Measured:
    """A computed target's figure (the share of members holding a title on `as_of`), and the
    threshold basis it is compared on: "members", or "learners" for a school."""

    value: float | None
    numerator: int
    denominator: int
    as_of: date
    basis: str = "members"

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator,
                "as_of": self.as_of.isoformat(), "basis": self.basis}


def score_errors(rules, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    """Unknown criterion codes; points that are not whole numbers within 0..max; targets that are
    not true or false; computed targets, which no one sets."""
    by_code = {c.code: c for c in rules.criteria}
    reasons = []
    for code, value in assessment.items():
        criterion = by_code.get(code)
        if criterion is None:
            reasons.append(Reason(f"{field}.{code}", "unknown_criterion",
                                  f"There is no criterion {code}.", {}))
        elif criterion.computed is not None:
            reasons.append(Reason(f"{field}.{code}", "computed",
                                  f"Target {code} is computed from the records; it cannot be set.",
                                  {}))
        elif criterion.kind == "target":
            if not isinstance(value, bool):
                reasons.append(Reason(f"{field}.{code}", "not_boolean",
                                      f"Target {code} is met (true) or not met (false).", {}))
        elif isinstance(value, bool) or not isinstance(value, int):
            reasons.append(Reason(f"{field}.{code}", "not_integer",
                                  f"Points for {code} must be a whole number.", {}))
        elif not 0 <= value <= criterion.max_points:
            reasons.append(Reason(f"{field}.{code}", "out_of_range",
                                  f"Points for {code} must be between 0 and {criterion.max_points}.",
                                  {"max_points": criterion.max_points, "points": value}))
    return reasons


def well_formed(rules, assessment: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the right kind for their criterion (what score_errors does not refuse)."""
    kinds = {c.code: c.kind for c in rules.assessed_criteria}
    return {k: v for k, v in assessment.items()
            if (kinds.get(k) == "target" and isinstance(v, bool))
            or (kinds.get(k) == "points" and isinstance(v, int) and not isinstance(v, bool))}


def note_errors(rules, notes, field: str, longest: int) -> list[Reason]:
    """Notes are text, one per assessed criterion, each at most `longest` characters."""
    if not isinstance(notes, Mapping):
        return [Reason(field, "not_object", "notes must be an object of criterion codes and text.",
                       {})]
    codes = {c.code for c in rules.assessed_criteria}
    reasons = []
    for code, text in notes.items():
        if code not in codes:
            reasons.append(Reason(f"{field}.{code}", "unknown_criterion",
                                  f"There is no criterion {code} to note.", {}))
        elif not isinstance(text, str):
            reasons.append(Reason(f"{field}.{code}", "not_text", "A note is text.", {}))
        elif len(text.strip()) > longest:
            reasons.append(Reason(f"{field}.{code}", "too_long",
                                  f"The note on {code} is longer than {longest} characters.",
                                  {"max_length": longest}))
    return reasons


def missing(rules, assessment: Mapping[str, Any]) -> list[str]:
    """The criteria a person must assess that have no value yet."""
    return [c.code for c in rules.assessed_criteria if c.code not in assessment]


def total(assessment: Mapping[str, Any] | None) -> int:
    return sum(v for v in (assessment or {}).values() if isinstance(v, int) and not isinstance(v, bool))


def completeness_errors(rules, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    return [Reason(f"{field}.{code}", "missing", f"Criterion {code} has no score.", {})
            for code in missing(rules, assessment)]


def _points_errors(rules, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    rule = rules.pass_rule
    reasons = [
        Reason(f"{field}.{c.code}", "below_minimum",
               f"Criterion {c.code} scores {assessment[c.code]}, below the minimum of {rule.min_each}.",
               {"points": assessment[c.code], "minimum": rule.min_each})
        for c in rules.criteria
        if c.code in assessment and assessment[c.code] < rule.min_each
    ]
    points = total(assessment)
    if points < rule.min_total:
        reasons.append(Reason(field, "below_threshold",
                              f"The total is {points}, below the threshold of {rule.min_total}.",
                              {"total": points, "threshold": rule.min_total}))
    return reasons


def level_errors(rules, level, assessment: Mapping[str, Any], measured: Mapping[str, Measured],
                 field: str, prior: Mapping[str, date] | None = None,
                 on: date | None = None) -> list[Reason]:
    """Every way the assessment falls short of `level`: each target not met, each computed share
    below the level's threshold, and a prior level not held long enough."""
    reasons = []
    for c in rules.criteria:
        if c.computed is None:
            if assessment.get(c.code) is not True:
                reasons.append(Reason(f"{field}.{c.code}", "not_met",
                                      f"Target {c.code} is not met.", {"level": level.code}))
            continue
        figure = measured.get(c.code)
        limits = level.min_share[c.code]
        basis = figure.basis if figure is not None else "members"
        threshold = limits.learners if basis == "learners" and limits.learners else limits.members
        value = figure.value if figure is not None else None
        if value is None or value < threshold:
            shown = "no members" if value is None else f"{value:.2%}"
            reasons.append(Reason(f"{field}.{c.code}", "below_share",
                                  f"Target {c.code}: {shown} of {basis}, below the {threshold:.0%} "
                                  f"of {level.code}.",
                                  {"level": level.code, "value": value, "threshold": threshold,
                                   "basis": basis}))
    if level.after is not None:
        # Without a day to judge from, a level that needs an earlier one is not reached.
        since = (prior or {}).get(level.after.level)
        if since is None or on is None or since > _years_before(on, level.after.years):
            reasons.append(Reason(field, "too_soon",
                                  f"{level.code} needs a recognition at {level.after.level} at "
                                  f"least {level.after.years} year(s) before.",
                                  {"level": level.code, "after": level.after.level,
                                   "years": level.after.years,
                                   "since": since.isoformat() if since else None}))
    return reasons


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def pass_rule_errors(rules, assessment: Mapping[str, Any], field: str,
                     measured: Mapping[str, Measured] | None = None) -> list[Reason]:
    """Every way a complete assessment falls short of passing: the points version's pass rule, or
    a levels version's first level (each unmet target)."""
    if rules.pass_rule is not None:
        return _points_errors(rules, assessment, field)
    # A target with no mark is reported once, as missing (completeness_errors), not also unmet.
    return [r for r in level_errors(rules, rules.levels[0], assessment, measured or {}, field)
            if not (r.code == "not_met" and r.field.partition(".")[2] not in assessment)]


def passes(rules, assessment: Mapping[str, Any],
           measured: Mapping[str, Measured] | None = None) -> bool:
    return not missing(rules, assessment) and not pass_rule_errors(rules, assessment, "", measured)


def level(rules, assessment: Mapping[str, Any], measured: Mapping[str, Measured],
          prior: Mapping[str, date] | None = None,
          on: date | None = None) -> tuple[str | None, list[Reason]]:
    """The highest level whose targets are all met (and, for a level open only after another, held
    long enough by `on`), and why the next level up is not reached."""
    reached, why = None, []
    for lv in rules.levels:
        errors = level_errors(rules, lv, assessment, measured, "assessment", prior, on)
        if errors:
            why = errors
            break
        reached = lv.code
    return reached, why


def grade(grades, points: int) -> str | None:
    """The highest grade whose minimum the total reaches; None for ungraded titles or below all."""
    for g in sorted(grades, key=lambda g: g.min_total, reverse=True):
        if points >= g.min_total:
            return g.code
    return None
