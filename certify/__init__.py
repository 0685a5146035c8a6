"""certify: recognition of "Công dân học tập" and "Đơn vị học tập" titles (Vietnam, 2021-2030)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from .config import Defaults, finish, instance_path, shipped


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path(),
                template_folder=str(shipped("templates")))
    configure(app, test_config)
    from .routing import Request

    app.request_class = Request  # body limits per view (certify.routing.body_limit)
    app.json.ensure_ascii = False  # Vietnamese text as UTF-8, not \u escapes
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_workflows(app)
    register_blueprints(app)
    register_cli(app)
    register_operations(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CERTIFY")
    if test_config:
        app.config.update(test_config)
    finish(app.config, app.instance_path)


def register_extensions(app: Flask) -> None:
    from .database import configure_engine
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .models import User

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True)
    with app.app_context():
        configure_engine(db.engine, app.config["DATABASE_LOCK_TIMEOUT"])
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app)
    limiter.init_app(app)
    from . import sessions
    from .services import signin_guard

    sessions.init_app(app)
    signin_guard.init_app(app)
    # Served (not a `flask` command, which is one short process): say loudly what would go
    # wrong if more than one process served this configuration — gunicorn's hook refuses it.
    if not app.config.get("TESTING") and click.get_current_context(silent=True) is None:
        from .deployment import problems

        for problem in problems(app.config, workers=2):
            app.logger.warning("*** certify: with more than one process: %s ***", problem)

    @login_manager.user_loader
    def load_user(session_id: str):
        """The account a session names — if it is active and its password has not changed since
        the sign-in (see User.get_id); otherwise the session ends (web/auth.py)."""
        user_id, _, key = session_id.partition(":")
        user = db.session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
        if user is None or not user.active or key != user.session_key:
            return None
        return user


def register_workflows(app: Flask) -> None:
    """Load and validate workflows/*.yaml; a broken file stops the app (WorkflowError)."""
    from .workflow import load_all

    app.extensions["certify.workflows"] = load_all(app.config["WORKFLOWS"], app.config["PROFILE"])


def register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .extensions import csrf
    from .routing import IdConverter

    app.url_map.converters["id"] = IdConverter  # before any rule uses it

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies
    app.register_blueprint(api_bp)

    from .web import init_app as init_web

    init_web(app)  # the server-rendered pages, their language choice and error pages
    register_api_errors(app)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)


def register_operations(app: Flask) -> None:
    """What an operator relies on: JSON logs with request ids, /healthz, the audit trail."""
    from . import logs
    from .web import audit, health

    logs.configure(app)
    app.register_blueprint(health.bp)
    audit.init_app(app)


def register_api_errors(app: Flask) -> None:
    """Errors raised before any view runs (unknown path, wrong method) answer /api/ requests in
    the API's JSON shape. Page error handlers registered for a status code take precedence over
    this one in Flask's lookup, so they must hand /api/ paths to certify.api.core.http_error."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    from .api.core import http_error

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if request.path.startswith("/api/"):
            return http_error(error)
        return error
