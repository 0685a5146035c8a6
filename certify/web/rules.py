"""The rules, readable: each title's criteria table, pass rule and grades, and its transitions
read from the state machine the engine runs — so an official sees what the software enforces."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..workflow import workflow, workflows
from .diagram import draw
from ..workflow.spec import ByOrganizationLevel
from .filters import LEVELS, TIER_WORDS, event_name, state_name

bp = Blueprint("rules", __name__, url_prefix="/rules")

ROLES = {"applicant": _l("Người đề nghị (hộ gia đình, cơ quan)"), "reviewer": _l("Cấp thẩm định"),
         "approver": _l("Cấp phê duyệt")}
NEEDS = {
    "comment": _l("kèm nhận xét"),
    "complete_self_assessment": _l("tự đánh giá đủ mọi chỉ số, chỉ tiêu và đủ hồ sơ bắt buộc"),
    "complete_assessment": _l("đánh giá đủ mọi chỉ số, chỉ tiêu"),
    "pass_rule": _l("kết quả thẩm định đạt điều kiện (đủ điểm, hoặc đạt ít nhất mức độ thấp nhất)"),
}
EFFECTS = {
    "grant_recognition": _l("cấp công nhận và giấy chứng nhận"),
    "end_recognition": _l("chấm dứt hiệu lực công nhận"),
    "enter_review_queue": _l("vào hàng chờ thẩm định"),
}


def route_words(route) -> str:
    """Who acts for a role, in words: "Xã, phường", or, routed by the organization's level,
    "theo cấp của cơ quan: cấp xã, cấp huyện → Xã, phường; cấp tỉnh → Tỉnh"."""
    if route is None:
        return ""
    if not isinstance(route, ByOrganizationLevel):
        return str(LEVELS[route])
    parts = []
    for tier in route.levels():
        orgs = [org for org in TIER_WORDS if route.by_organization_level.get(org) == tier]
        parts.append(f"{', '.join(str(TIER_WORDS[o]) for o in orgs)} → {LEVELS[tier]}")
    return _("theo cấp của cơ quan: %(parts)s", parts="; ".join(parts))


def tier_lines(wf, version) -> list[str]:
    """The tiers of one version under the profile in force, one line per dated entry."""
    tiers = version.tiers[wf.profile_name]
    lines = []
    for entry in (tiers if isinstance(tiers, list) else [tiers]):
        line = _("thẩm định: %(reviewer)s; phê duyệt: %(approver)s",
                 reviewer=route_words(entry.reviewer), approver=route_words(entry.approver))
        if isinstance(tiers, list):
            line = _("từ %(day)s: %(tiers)s", day=entry.from_.strftime("%d/%m/%Y"), tiers=line)
        lines.append(line)
    return lines


def transitions(wf) -> list[dict]:
    """Every transition of the machine, with who may fire it and what it needs."""
    rows = []
    for state in wf.machine_class.states:
        for t in state.transitions:
            event = wf.spec.events[t.event]
            specs = [s for s in event.transitions if t.source.value in s.from_ and s.to == t.target.value]
            who = []
            for s in specs:
                words = route_words(wf.route(s.role))
                who.append(f"{ROLES[s.role]}" + (f" ({words})" if words else ""))
            rows.append({"event": t.event, "source": t.source.value, "target": t.target.value,
                         "who": who, "needs": [NEEDS[n] for n in event.needs],
                         "effects": [EFFECTS[e] for e in event.effects]})
    return rows


def evaluation_years(wf) -> dict[str, tuple[int | None, int | None]]:
    """Each version's first and last evaluation year (None: open-ended, or no year at all)."""
    out = {}
    versions = wf.spec.versions
    for i, v in enumerate(versions):
        first = v.in_force_from.year
        last = versions[i + 1].in_force_from.year - 1 if i + 1 < len(versions) else None
        out[v.id] = (None, None) if last is not None and last < first else (first, last)
    return out


@bp.route("/")
def index():
    return render_template("rules/index.html", titles=list(workflows().values()))


@bp.route("/<code>")
def title(code: str):
    wf = workflow(code)
    if wf is None:
        abort(404)
    machine = wf.machine_class
    diagram = draw(machine, lambda s: state_name(s, wf.code), lambda e: event_name(e, wf.code))
    return render_template("rules/title.html", wf=wf, rows=transitions(wf), diagram=diagram,
                           years=evaluation_years(wf),
                           tiers={v.id: tier_lines(wf, v) for v in wf.spec.versions},
                           states=list(machine.states), mermaid=f"{machine:mermaid}")
