"""Reading an assessment form (a number input per points criterion, met / not met per target) and
describing the sheet against the rule version the nomination is judged by."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import rubric

# What a target's select sends: met, not met (blank: not assessed yet).
MET, NOT_MET = "dat", "khong-dat"


def input_name(code: str) -> str:
    return f"c-{code}"


def note_name(code: str) -> str:
    return f"note-{code}"


def parse(rules, form) -> tuple[dict[str, int | bool], dict[str, str]]:
    """Values entered in the form (blank inputs left out) and a message per bad input."""
    values: dict[str, int | bool] = {}
    errors: dict[str, str] = {}
    for c in rules.assessed_criteria:
        raw = (form.get(input_name(c.code)) or "").strip()
        if not raw:
            continue
        if c.kind == "target":
            if raw not in (MET, NOT_MET):
                errors[c.code] = _("Chọn “Đạt” hoặc “Chưa đạt”.")
            else:
                values[c.code] = raw == MET
            continue
        try:
            points = int(raw)
        except ValueError:
            errors[c.code] = _("Điểm phải là số nguyên.")
            continue
        if not 0 <= points <= c.max_points:
            errors[c.code] = _("Điểm phải từ 0 đến %(max)s.", max=c.max_points)
            continue
        values[c.code] = points
    return values, errors


def notes(rules, form) -> dict[str, str]:
    """The reviewer's notes typed beside each target (blank ones left out)."""
    out = {}
    for c in rules.assessed_criteria:
        text = (form.get(note_name(c.code)) or "").strip()
        if c.kind == "target" and text:
            out[c.code] = text
    return out


def typed(rules, form) -> dict:
    """What the user entered, to show it back after an error (invalid text kept as text)."""
    out: dict = {}
    for c in rules.assessed_criteria:
        raw = (form.get(input_name(c.code)) or "").strip()
        if not raw:
            continue
        if c.kind == "target":
            out[c.code] = {MET: True, NOT_MET: False}.get(raw, raw)
        else:
            out[c.code] = int(raw) if raw.lstrip("-").isdigit() else raw
    return out


@dataclass
class Sheet:
    """A sheet's standing: the total against the pass rule (points), or the level its targets
    reach (levels)."""

    by_levels: bool
    complete: bool
    passes: bool
    total: int = 0
    max_total: int = 0
    min_total: int = 0
    min_each: int = 0
    level: str | None = None
    level_name: str = ""

    @property
    def status(self) -> str:
        if not self.complete:
            return _("Chưa đánh giá đủ các chỉ tiêu.") if self.by_levels \
                else _("Chưa chấm đủ các chỉ số.")
        if self.by_levels:
            return _("Đạt %(level)s.", level=self.level_name) if self.level \
                else _("Chưa đạt mức độ nào.")
        if self.passes:
            return _("Đạt yêu cầu.")
        return _("Chưa đạt yêu cầu.")


def sheet(rules, values: dict | None, measured=None, prior=None, on=None) -> Sheet:
    """`prior` (level → first decision date) and `on` (the day judged from) decide a level open
    only after another; without them such a level is not shown as reached."""
    from .filters import loc

    values = rubric.well_formed(rules, values or {})
    complete = not rubric.missing(rules, values)
    if rules.by_levels:
        level, _why = rubric.level(rules, values, measured or {}, prior, on)
        found = rules.level(level)
        return Sheet(by_levels=True, complete=complete, passes=complete and level is not None,
                     level=level, level_name=loc(found.name) if found else "")
    return Sheet(by_levels=False, total=rubric.total(values), max_total=rules.max_total,
                 complete=complete, passes=rubric.passes(rules, values),
                 min_total=rules.pass_rule.min_total, min_each=rules.pass_rule.min_each)


def groups(rules) -> list[tuple]:
    """Criteria grouped as the file lists them: [(group, [criterion, ...]), ...]."""
    out: list[tuple] = []
    for c in rules.criteria:
        if out and out[-1][0] == c.group:
            out[-1][1].append(c)
        else:
            out.append((c.group, [c]))
    return out


def shortfalls(rules, values: dict | None, measured=None) -> list[str]:
    """Why a complete self-assessment would not pass its year's rule (rubric.passes), in words:
    each indicator below its minimum, the total against the threshold (or each target not met).
    Empty while incomplete or when it passes: said before submitting, never refused for it."""
    from ..messages import reason

    values = rubric.well_formed(rules, values or {})
    if rubric.missing(rules, values) or rubric.passes(rules, values, measured):
        return []
    return [reason(r.as_dict()) for r in
            rubric.pass_rule_errors(rules, values, "self_assessment", measured)]
