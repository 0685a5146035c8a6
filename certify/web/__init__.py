"""The server-rendered pages: blueprints, language choice, formatting filters and error pages."""

from __future__ import annotations

from flask import Flask, abort, request, session
from flask_babel import get_babel

from ..links import public_url

LANGUAGES = ("vi", "en")


def select_locale() -> str:
    """Vietnamese unless the user chose English (remembered in the session and a cookie); API
    clients choose with Accept-Language."""
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES) or "vi"
    chosen = session.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else "vi"


# Everything the pages load comes from the app itself (no CDN); inline styles are allowed for the
# server-drawn SVG charts, scripts only from /static.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def _refuse_nul_bytes():
    """A NUL byte is never part of a real name or code, and PostgreSQL refuses it in text: such a
    request is a bad request (400), not a server error. Multipart bodies are left to their views,
    which bound their size before reading them."""
    if request.path.startswith("/api/"):
        return
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in v for v in values):
        abort(400)


def _security_headers(response):
    """Headers every answer carries. nosniff on all of them (API JSON, static files, errors,
    redirects): a browser never guesses a type from the content. no-store on everything but static
    files: nearly every other answer holds personal data, a form token bound to the session, or
    state that changes (a revoked certificate must not be shown valid from a cache), and the few
    public, unchanging ones (rules, the OpenAPI document) are small and rarely fetched — one
    simple rule is worth more than their caching. A view that sets its own Cache-Control keeps it."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    if not request.path.startswith("/api/"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    from . import (account, admin, auth, district, errors, evidence, filters, household,
                   indicators, members, notifications, organizations, progress, public, review,
                   rules)
    from .. import policy
    from ..extensions import login_manager

    get_babel(app).locale_selector = select_locale
    login_manager.login_view = "auth.signin"
    login_manager.login_message = None  # the sign-in page says why on its own
    app.after_request(_security_headers)
    app.add_template_global(public_url, "public_url")
    app.before_request(_refuse_nul_bytes)
    filters.register(app)
    policy.register(app)
    errors.register(app)
    for module in (auth, household, evidence, review, district, public, progress, admin, rules,
                   account, members, indicators, notifications, organizations):
        app.register_blueprint(module.bp)
