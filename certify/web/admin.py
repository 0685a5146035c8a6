"""Admin pages: units, denominators, accounts, organizations."""

from __future__ import annotations

from flask import Blueprint, render_template

from .helpers import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles("admin")
def index():
    return render_template("admin/index.html")
