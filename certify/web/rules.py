"""The rules, readable: each title's criteria and the state machine the software enforces."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("rules", __name__, url_prefix="/rules")


@bp.route("/")
def index():
    return render_template("rules/index.html")
