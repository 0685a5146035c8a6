"""District pages: the queue of verified nominations, recognition decisions, revocation."""

from __future__ import annotations

from flask import Blueprint, render_template

from .helpers import roles

bp = Blueprint("district", __name__, url_prefix="/district")


@bp.route("/")
@roles("approver", "admin")
def queue():
    return render_template("district/queue.html")


@bp.route("/decisions")
@roles("approver", "reviewer", "admin")
def decisions():
    return render_template("district/decisions.html")
