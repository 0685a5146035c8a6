"""The admin's page for the plan's other indicators: one year's figures for one unit, each a
percentage (0–100) or a count, against its targets (certify/services/indicators.py). Bad input
shows every reason beside the form and saves nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..errors import Invalid
from ..services import directory
from ..services import indicators as service
from ..services import units as unit_service
from .filters import loc
from .helpers import ActionForm, roles

bp = Blueprint("indicators", __name__, url_prefix="/admin/indicators")


def _year(raw: str | None) -> int | None:
    try:
        year = int((raw or "").strip())
    except ValueError:
        return None
    return year if service.FIRST_YEAR <= year <= service.LAST_YEAR else None


def _message(item: dict, names: dict[str, str]) -> str:
    name = names.get(item.get("field"), item.get("field"))
    if item.get("field") == "year":
        return _("Năm phải từ %(first)s đến %(last)s.", first=service.FIRST_YEAR,
                 last=service.LAST_YEAR)
    if item.get("code") == "not_number":
        return _("%(name)s: phải là một số.", name=name)
    if item.get("code") == "out_of_range":
        kind = service.by_code().get(item.get("field"))
        if kind is not None and kind.kind == "percent":
            return _("%(name)s: tỉ lệ phần trăm phải từ 0 đến 100.", name=name)
        return _("%(name)s: phải là số không âm.", name=name)
    return _("%(name)s: không có chỉ tiêu này.", name=name)


@bp.route("/", methods=["GET", "POST"])
@roles("admin")
def edit():
    unit = (unit_service.find(request.values.get("unit") or "") if request.values.get("unit")
            else directory.top_unit())
    if unit is None:
        abort(404)
    raw_year = request.values.get("year")
    year = _year(raw_year) if raw_year else clock.today().year
    form = ActionForm()
    names = {i.code: loc(i.name) for i in service.indicators()}
    lines: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        values, typed = {}, {}
        for indicator in service.indicators():
            typed[indicator.code] = request.form.get(indicator.code, "")
            try:
                values[indicator.code] = service.parse(typed[indicator.code])
            except ValueError:
                lines.append(_("%(name)s: phải là một số.", name=names[indicator.code]))
        if year is None:
            lines.insert(0, _("Năm phải từ %(first)s đến %(last)s.", first=service.FIRST_YEAR,
                              last=service.LAST_YEAR))
        if not lines:
            try:
                service.set_figures(unit, year, values)
            except Invalid as error:
                lines = [_message(item, names) for item in error.details]
            else:
                flash(_("Đã lưu các chỉ tiêu khác năm %(year)s của %(name)s.", year=year,
                        name=unit.name), "success")
                return redirect(url_for("indicators.edit", unit=unit.code, year=year))
        return render_template("admin/indicators.html", unit=unit, year=year or raw_year,
                               rows=service.rows(unit, year or clock.today().year), typed=typed,
                               form=form, lines=lines, units=directory.all_units()), 422
    if year is None:
        lines.append(_("Năm phải từ %(first)s đến %(last)s.", first=service.FIRST_YEAR,
                       last=service.LAST_YEAR))
        year = clock.today().year
    rows = service.rows(unit, year)
    typed = {r.indicator.code: "" if r.value is None else f"{r.value:g}".replace(".", ",")
             for r in rows}
    return render_template("admin/indicators.html", unit=unit, year=year, rows=rows, typed=typed,
                           form=form, lines=lines, units=directory.all_units()), \
        (422 if lines else 200)
