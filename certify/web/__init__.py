"""The server-rendered pages: blueprints, language choice, formatting filters and error pages."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import get_babel

LANGUAGES = ("vi", "en")


def select_locale() -> str:
    """Vietnamese unless the user chose English (remembered in the session and a cookie)."""
    chosen = session.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else "vi"


def init_app(app: Flask) -> None:
    from . import (admin, auth, district, errors, evidence, filters, household, progress, public,
                   review, rules)
    from ..extensions import login_manager

    get_babel(app).locale_selector = select_locale
    login_manager.login_view = "auth.signin"
    login_manager.login_message = None  # the sign-in page says why on its own
    filters.register(app)
    errors.register(app)
    for module in (auth, household, evidence, review, district, public, progress, admin, rules):
        app.register_blueprint(module.bp)
