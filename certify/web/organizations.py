"""The organizations of a reviewer's or approver's unit (and below): name, level, unit, members
today and the state of their latest "Đơn vị học tập" dossier; searchable and paginated."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import Optional

from ..services import directory
from ..services.nominations import Page
from ..services.validate import Longest
from .filters import ORG_LEVELS
from .helpers import INVALID_CHOICE, MaxLength, choices, int_arg, roles

bp = Blueprint("organizations", __name__)
PER_PAGE = 50
MAX_PER_PAGE = 200


class OrganizationFilters(FlaskForm):
    """The organizations list's filter (GET): a name without diacritics, a level, a unit."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(_l("Tìm theo tên (không cần dấu)"),
                    validators=[Optional(), MaxLength(Longest.QUERY)])
    level = SelectField(_l("Cấp của cơ quan"), invalid_choice_message=INVALID_CHOICE,
                        validators=[Optional()])
    unit = StringField(_l("Mã đơn vị (gồm các đơn vị trực thuộc)"), validators=[Optional()])


def read(args):
    """The filter form from a query string, the page asked for, and the arguments that
    reproduce it (pager links); the admin's organizations page reads it too."""
    form = OrganizationFilters(args)
    form.level.choices = choices([("", _("Tất cả"))] + list(ORG_LEVELS.items()))
    page_no = max(int_arg(args.get("page")) or 1, 1)
    per_page = int_arg(args.get("per_page"), 1, MAX_PER_PAGE) or PER_PAGE
    params = {k: v for k, v in {"q": (args.get("q") or "").strip(), "level": args.get("level"),
                                "unit": (args.get("unit") or "").strip()}.items() if v}
    if per_page != PER_PAGE:
        params["per_page"] = per_page
    return form, page_no, per_page, params


def search(form, page_no: int, per_page: int):
    """The page of rows for a validated form, or None when the form is not valid."""
    if not form.validate():
        return None
    return directory.search_organizations(
        current_user, q=form.q.data, level=form.level.data or None,
        unit=(form.unit.data or "").strip() or None, page=page_no, per_page=per_page)


@bp.route("/organizations/")
@roles("reviewer", "approver", "admin")
def index():
    form, page_no, per_page, params = read(request.args)
    result = search(form, page_no, per_page)
    status = 200
    if result is None:  # says why beside the field, lists nothing
        result, status = Page([], 0, page_no, per_page), 422
    return render_template("organizations/index.html", form=form, result=result, params=params,
                           org_levels=ORG_LEVELS), status
