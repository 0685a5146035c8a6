"""The progress dashboard: holders against the denominator and the target, per child unit, with
server-drawn bars and CSV/XLSX downloads; and the public view of the same counts."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..errors import NotFound
from ..services import directory, exports
from ..services import progress as progress_service
from ..services import units as unit_service
from ..workflow import workflow, workflows
from ..services import indicators as indicator_service
from ..services import report as report_service
from .chart import path_bars, unit_bars
from .helpers import attachment, roles

bp = Blueprint("progress", __name__, url_prefix="/progress")


def _as_of() -> date:
    raw = request.args.get("as_of") or ""
    try:
        return date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        return clock.today()


def _title():
    titles = list(workflows().values())
    return workflow(request.args.get("title") or "") or titles[0], titles


def _result():
    unit, wf, titles, as_of = _chosen()
    return progress_service.progress(unit, wf, as_of), wf, titles


def _chosen():
    """The unit (in the account's scope, 404 otherwise), title and day the page asks for."""
    wf, titles = _title()
    code = request.args.get("unit") or ""
    as_of = _as_of()
    if code:
        try:  # the unit bearing the code on the day counted
            unit = unit_service.get_visible(current_user, code, as_of)
        except NotFound:
            abort(404)
    else:
        unit = current_user.unit or directory.top_unit(as_of)
    if unit is None:
        abort(404)
    return unit, wf, titles, as_of


SORTS = {
    "name": lambda line: line.figure.unit.name,
    "holders": lambda line: line.figure.holders,
    "ratio": lambda line: (line.figure.ratio is not None, line.figure.ratio or 0),
    "gap": lambda line: (line.gap is not None, line.gap or 0),
}


def sorted_children(lines: list, sort: str) -> tuple[list, str]:
    """The children's rows in the order `sort` asks ("ratio", "-gap", ...; unknown: by code)."""
    key = sort.lstrip("-")
    if key not in SORTS:
        return lines, ""
    return sorted(lines, key=SORTS[key], reverse=sort.startswith("-")), sort


def page_context(dash, wf, link, sort_link) -> dict:
    """What templates/progress/_table.html needs, for the dashboard and the public page."""
    children, sort = sorted_children(dash.children, request.args.get("sort") or "")
    path, by_ratio = path_bars(dash.path)
    return {"dash": dash, "result": dash.progress, "wf": wf, "children": children, "sort": sort,
            "bars": unit_bars(children), "path_bars": path, "path_by_ratio": by_ratio,
            "denominator_label": exports.denominator_label(dash.progress),
            "link": link, "sort_link": sort_link}


@bp.route("/")
@roles("reviewer", "approver", "admin")
def dashboard():
    unit, wf, titles, as_of = _chosen()
    dash = progress_service.dashboard(unit, wf, as_of)
    result = dash.progress
    args = {"title": wf.code, "as_of": result.as_of.isoformat()}
    units = directory.visible_units(current_user, result.as_of)
    if wf.spec.subject == "organization":  # only the units that hold organizations
        holding = progress_service.holding_organizations(units)
        units = [u for u in units if u.id in holding or u.id == result.figure.unit.id]
    return render_template(
        "progress/dashboard.html", titles=titles, units=units, args=args,
        indicators=indicator_service.for_dashboard(result.figure.unit, result.as_of.year),
        **page_context(
            dash, wf, lambda u: url_for("progress.dashboard", unit=u.code, **args),
            lambda sort: url_for("progress.dashboard", unit=result.figure.unit.code, sort=sort,
                                 **args)))


@bp.route("/export.<fmt>")
@roles("reviewer", "approver", "admin")
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    result, _wf, _titles = _result()
    if fmt == "csv":
        data, mime = exports.progress_csv(result), "text/csv; charset=utf-8"
    else:
        data = exports.progress_xlsx(result)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return attachment(data, mime, exports.filename(result, fmt), fmt)


@bp.route("/report/<int:year>.<fmt>")
@roles("reviewer", "approver", "admin")
def report(year: int, fmt: str):
    """The yearly report (services/report.py) for the unit asked (default: the account's)."""
    if fmt not in report_service.FORMATS:
        abort(404)
    # A unit outside the account's scope: 404; a year not yet begun: 422 (the error pages).
    found = report_service.build(current_user, year, request.args.get("unit") or None)
    data, mime = report_service.render(found, fmt)
    return attachment(data, mime, report_service.filename(found, fmt), fmt)
