"""Jinja filters and globals: Vietnamese dates and numbers, names of states, events and groups."""

from __future__ import annotations

from datetime import date, datetime, timezone

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import clock
from ..services.progress import percent_text, points_text
from ..workflow import meaning, workflow, workflows
from ..workflow.spec import RuleVersion

TARGET_GROUPS = {
    "commune_resident": _l("Người dân trong xã, phường"),
    "worker": _l("Người lao động"),
    "staff_business": _l("Cán bộ, công nhân viên, doanh nhân"),
    "learner": _l("Học sinh, sinh viên, học viên"),
}
GENDERS = {"male": _l("Nam"), "female": _l("Nữ")}
ROLES = {
    "admin": _l("Quản trị"),
    "household": _l("Hộ gia đình"),
    "organization": _l("Cơ quan, đơn vị"),
    "reviewer": _l("Thẩm định"),
    "approver": _l("Phê duyệt"),
}
# The tier a reviewer or approver acts at, in the words of role labels, from the lowest up.
TIER_WORDS = {"commune": _l("cấp xã"), "district": _l("cấp huyện"), "province": _l("cấp tỉnh")}
LEVELS = {"province": _l("Tỉnh"), "district": _l("Huyện, thị xã"), "commune": _l("Xã, phường")}
# An organization's own level (Organization.level), lowest first.
ORG_LEVELS = {"commune": _l("Cấp xã"), "district": _l("Cấp huyện"), "province": _l("Cấp tỉnh")}
GRADES_FALLBACK = {"tot": _l("Tốt"), "kha": _l("Khá"), "trung_binh": _l("Trung bình")}


def lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "vi"


def loc(localized) -> str:
    """The current language's text of a {vi, en} pair from a workflow file."""
    if localized is None:
        return ""
    return getattr(localized, lang(), None) or localized.vi


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = format_datetime(value, "dd/MM/yyyy")
        return value
    return value.strftime("%d/%m/%Y")


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the product's time zone (a naive value is UTC, as Babel takes it):
    digits only, the same in every language, so formatted without Babel's per-call work (a list
    of 200 rows calls it 200 times)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(clock.zone()).strftime("%d/%m/%Y %H:%M")


def number(value) -> str:
    """3.700.000 in Vietnamese, 3,700,000 in English."""
    if value is None:
        return "—"
    return format_decimal(value, locale=lang())


def percent(value) -> str:
    """One decimal, or as many as a small share needs (services/progress.percent_pattern)."""
    if value is None:
        return "—"
    return percent_text(value, lang())


def points(value) -> str:
    """A difference of two ratios in percentage points (services/progress.points_text)."""
    if value is None:
        return "—"
    return points_text(value, lang())


def title_name(code: str) -> str:
    wf = workflow(code)
    return loc(wf.spec.name) if wf else code


def state_name(state: str, title_code: str | None = None) -> str:
    for wf in ([workflow(title_code)] if title_code else []) + list(workflows().values()):
        if wf is not None and state in wf.spec.states:
            return loc(wf.spec.states[state].name)
    return state


# A state's badge colour by (its title's loaded file, state), with that file's spec kept so an
# id is never reused for another: lists ask it once per row.
_TONES: dict[tuple[int, str], tuple[object, str]] = {}


def row_labels(nominations) -> dict[int, tuple[str, str, str]]:
    """A list page's rows → (title name, state name, state badge tone), each worked out once per
    title and state of the page, in the current language (not once per row)."""
    memo: dict[tuple[str, str], tuple[str, str, str]] = {}
    out = {}
    for n in nominations:
        key = (n.title_code, n.state)
        if key not in memo:
            memo[key] = (title_name(n.title_code), state_name(n.state, n.title_code),
                         state_tone(n.state, n.title_code))
        out[n.id] = memo[key]
    return out


def event_name(event: str, title_code: str | None = None) -> str:
    from ..services.reorganizations import REORGANIZE

    if event == REORGANIZE:  # not a workflow event: the dossier moved to a new unit
        return _("Chuyển sang đơn vị mới (sắp xếp đơn vị hành chính)")
    from ..workflow.engine import PAPER_IMPORT

    if event == PAPER_IMPORT:  # recorded from a decision on paper (services/imports.py)
        return _("Nhập từ quyết định giấy")
    for wf in ([workflow(title_code)] if title_code else []) + list(workflows().values()):
        if wf is not None and event in wf.spec.events:
            return loc(wf.spec.events[event].name)
    return event


def tier_levels(role: str, titles=None) -> list[str]:
    """The unit levels the tier profiles in force give `role`, over the titles (default: all),
    lowest first."""
    found = {level for wf in (workflows().values() if titles is None else titles)
             for level in wf.tier_levels(role)}
    return [level for level in TIER_WORDS if level in found]


def tier_words(role: str, titles=None) -> str:
    """"cấp huyện", or "cấp xã, cấp tỉnh" when titles differ: who acts as `role` now."""
    return ", ".join(str(TIER_WORDS[level]) for level in tier_levels(role, titles))


def role_name(role: str | None, level: str | None = None) -> str:
    """An account role's label; a reviewer's or approver's names the tiers the profile in force
    gives that role ("Phê duyệt (cấp huyện)" under three tiers, "Phê duyệt (cấp xã, cấp tỉnh)"
    under two, where units go to the province), or the one tier of an account's `level`."""
    label = str(ROLES.get(role, role or ""))
    words = ""
    if role in ("reviewer", "approver"):
        words = str(TIER_WORDS.get(level, "")) if level else tier_words(role)
    return _("%(role)s (%(tiers)s)", role=label, tiers=words) if words else label


def procedure_lines() -> list[str]:
    """One sentence per title a household files for: who self-assesses, who reviews, who decides,
    at the tiers in force."""
    return [_("Hộ gia đình đăng ký thành viên và tự đánh giá danh hiệu “%(title)s”; %(reviewer)s "
              "thẩm định; %(approver)s ra quyết định công nhận.", title=loc(wf.spec.name),
              reviewer=tier_words("reviewer", [wf]), approver=tier_words("approver", [wf]))
            for wf in workflows().values() if wf.spec.subject == "person"]


def state_tone(state: str, title_code: str | None = None) -> str:
    """The badge colour of a state (CSS `state-<tone>`), from what the state means in its title."""
    wf = workflow(title_code) if title_code else None
    if wf is None:
        return "plain"
    key = (id(wf.spec), state)
    if key not in _TONES:
        _TONES[key] = (wf.spec, meaning.state_tone(wf.spec, state))
    return _TONES[key][1]


def _version_name(code: str, title_code: str | None, pick) -> str | None:
    """The name a version of the title gives to the grade or level `code` (None: none does)."""
    wf = workflow(title_code) if title_code else None
    for version in (wf.spec.versions if wf is not None else []):
        found = pick(version, code)
        if found is not None:
            return loc(found.name)
    return None


def grade_name(code: str | None, title_code: str | None = None) -> str:
    if not code:
        return ""
    return _version_name(code, title_code, RuleVersion.grade) \
        or str(GRADES_FALLBACK.get(code, code))


def level_of(code: str | None, title_code: str | None = None) -> str:
    """A recognition level's name as the title's file gives it ("Mức độ 1"); empty for none."""
    if not code:
        return ""
    return _version_name(code, title_code, RuleVersion.level) or code


def position_lines(code) -> str:
    """A decision's authority line as printed ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"); empty if unknown."""
    from ..services.decisions import POSITIONS

    return " / ".join(POSITIONS.get(code or "", ()))


def place_and_date(decision) -> str:
    from ..services.decisions import place_and_date as line

    return line(decision)


def register(app: Flask) -> None:
    app.add_template_filter(position_lines, "position_lines")
    app.add_template_filter(place_and_date, "place_and_date")
    app.add_template_filter(day, "day")
    app.add_template_filter(moment, "moment")
    app.add_template_filter(number, "number")
    app.add_template_filter(points, "points")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(loc, "loc")
    app.add_template_filter(title_name, "title_name")
    app.add_template_filter(state_name, "state_name")
    app.add_template_filter(event_name, "event_name")
    app.add_template_filter(grade_name, "grade_name")
    app.add_template_filter(level_of, "recognition_level")
    app.add_template_filter(lambda v: str(TARGET_GROUPS.get(v, v or "")), "target_group")
    app.add_template_filter(lambda v: str(GENDERS.get(v, v or "")), "gender")
    app.add_template_filter(role_name, "role_name")
    app.add_template_filter(state_tone, "state_tone")
    app.add_template_filter(lambda v: str(LEVELS.get(v, v or "")), "level_name")

    from ..services import deadlines
    from ..services.validate import Longest

    # A global, so that imported macros (which see no request context) read it too.
    app.jinja_env.globals["longest"] = Longest

    @app.context_processor
    def _globals():
        return {"lang": lang(), "all_titles": lambda: list(workflows().values()),
                "procedure_lines": procedure_lines,
                "deadlines": deadlines.for_year, "submitted_late": deadlines.submitted_late,
                "row_labels": row_labels,
                "rule_days": deadlines.days}
