"""The progress dashboard: holders against the denominator and the target, per child unit."""

from __future__ import annotations

from flask import Blueprint, render_template

from .helpers import roles

bp = Blueprint("progress", __name__, url_prefix="/progress")


@bp.route("/")
@roles("reviewer", "approver", "admin")
def dashboard():
    return render_template("progress/dashboard.html")
