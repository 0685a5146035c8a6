"""Pages anyone may open without an account: dossier look-up, certificate check, ward progress."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.route("/lookup")
def lookup():
    return render_template("public/lookup.html")


@bp.route("/verify")
def verify_form():
    return render_template("public/verify.html")


@bp.route("/public/progress")
def progress():
    return render_template("public/progress.html")
