"""Reading a score form (one number input per criterion) and describing a score sheet."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import rubric
from ..workflow import Workflow


def input_name(code: str) -> str:
    return f"c-{code}"


def parse(wf: Workflow, form) -> tuple[dict[str, int], dict[str, str]]:
    """Scores typed into the form (blank inputs left out) and a message per bad input."""
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    for c in wf.spec.criteria:
        raw = (form.get(input_name(c.code)) or "").strip()
        if not raw:
            continue
        try:
            points = int(raw)
        except ValueError:
            errors[c.code] = _("Điểm phải là số nguyên.")
            continue
        if not 0 <= points <= c.max_points:
            errors[c.code] = _("Điểm phải từ 0 đến %(max)s.", max=c.max_points)
            continue
        scores[c.code] = points
    return scores, errors


@dataclass
class Sheet:
    """A score sheet's total and where it stands against the pass rule."""

    total: int
    max_total: int
    complete: bool
    passes: bool
    min_total: int
    min_each: int

    @property
    def status(self) -> str:
        if not self.complete:
            return _("Chưa chấm đủ các chỉ số.")
        if self.passes:
            return _("Đạt yêu cầu.")
        return _("Chưa đạt yêu cầu.")


def sheet(wf: Workflow, scores: dict | None) -> Sheet:
    scores = {k: v for k, v in (scores or {}).items() if isinstance(v, int) and not isinstance(v, bool)}
    spec = wf.spec
    return Sheet(total=rubric.total(scores), max_total=spec.max_total,
                 complete=not rubric.missing(spec.criteria, scores),
                 passes=rubric.passes(spec.criteria, spec.pass_rule, scores),
                 min_total=spec.pass_rule.min_total, min_each=spec.pass_rule.min_each)


def groups(wf: Workflow) -> list[tuple]:
    """Criteria grouped as the file lists them: [(group, [criterion, ...]), ...]."""
    out: list[tuple] = []
    for c in wf.spec.criteria:
        if out and out[-1][0] == c.group:
            out[-1][1].append(c)
        else:
            out.append((c.group, [c]))
    return out
