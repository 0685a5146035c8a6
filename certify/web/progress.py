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
from .bars import bars
from .chart import chart
from .filters import percent
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
    return progress_service.progress(unit, wf, as_of), wf, titles


@bp.route("/")
@roles("reviewer", "approver", "admin")
def dashboard():
    result, wf, titles = _result()
    args = {"title": wf.code, "as_of": result.as_of.isoformat()}
    history = progress_service.history(result.figure.unit, wf, result.as_of)
    return render_template(
        "progress/dashboard.html", result=result, wf=wf, titles=titles, history=history,
        chart=chart(history.points),
        units=directory.visible_units(current_user, result.as_of), geometry=bars(result, percent),
        denominator_label=exports.denominator_label(result),
        link=lambda u: url_for("progress.dashboard", unit=u.code, **args), args=args)


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
