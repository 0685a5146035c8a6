"""Scoring and pass rules: pure functions over a title's criteria (no database, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass
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


def score_errors(criteria, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    """Unknown criterion codes and points that are not whole numbers within 0..max."""
    by_code = {c.code: c for c in criteria}
    reasons = []
    for code, points in assessment.items():
        criterion = by_code.get(code)
        if criterion is None:
            reasons.append(Reason(f"{field}.{code}", "unknown_criterion",
                                  f"There is no criterion {code}.", {}))
        elif isinstance(points, bool) or not isinstance(points, int):
            reasons.append(Reason(f"{field}.{code}", "not_integer",
                                  f"Points for {code} must be a whole number.", {}))
        elif not 0 <= points <= criterion.max_points:
            reasons.append(Reason(f"{field}.{code}", "out_of_range",
                                  f"Points for {code} must be between 0 and {criterion.max_points}.",
                                  {"max_points": criterion.max_points, "points": points}))
    return reasons


def missing(criteria, assessment: Mapping[str, Any]) -> list[str]:
    return [c.code for c in criteria if c.code not in assessment]


def total(assessment: Mapping[str, Any] | None) -> int:
    return sum(v for v in (assessment or {}).values() if isinstance(v, int) and not isinstance(v, bool))


def completeness_errors(criteria, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    return [Reason(f"{field}.{code}", "missing", f"Criterion {code} has no score.", {})
            for code in missing(criteria, assessment)]


def pass_rule_errors(criteria, rule, assessment: Mapping[str, Any], field: str) -> list[Reason]:
    """Every way a complete assessment falls short of the pass rule: each indicator below the
    minimum, and the total against the threshold."""
    reasons = [
        Reason(f"{field}.{c.code}", "below_minimum",
               f"Criterion {c.code} scores {assessment[c.code]}, below the minimum of {rule.min_each}.",
               {"points": assessment[c.code], "minimum": rule.min_each})
        for c in criteria
        if c.code in assessment and assessment[c.code] < rule.min_each
    ]
    points = total(assessment)
    if points < rule.min_total:
        reasons.append(Reason(field, "below_threshold",
                              f"The total is {points}, below the threshold of {rule.min_total}.",
                              {"total": points, "threshold": rule.min_total}))
    return reasons


def passes(criteria, rule, assessment: Mapping[str, Any]) -> bool:
    return not missing(criteria, assessment) and not pass_rule_errors(criteria, rule, assessment, "")


def grade(grades, points: int) -> str | None:
    """The highest grade whose minimum the total reaches; None for ungraded titles or below all."""
    for g in sorted(grades, key=lambda g: g.min_total, reverse=True):
        if points >= g.min_total:
            return g.code
    return None
