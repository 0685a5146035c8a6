"""/healthz: whether this process can serve — its database answers and carries the code's schema.

For load balancers and service managers: no account, no personal data, no rate limit, and cheap
(one trivial query and one read of alembic_version; the code's migration heads are read once).
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..backup import script_directory
from ..extensions import db, limiter

bp = Blueprint("health", __name__)


def code_heads() -> tuple[str, ...]:
    """The migration head(s) of the code, read from the script directory once per process."""
    heads = current_app.extensions.get("certify.migration_heads")
    if heads is None:
        heads = tuple(sorted(script_directory().get_heads()))
        current_app.extensions["certify.migration_heads"] = heads
    return heads


def check() -> tuple[bool, dict]:
    """(healthy, the answer's body)."""
    body = {"status": "ok", "database": "ok", "migrations": None}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except Exception:  # noqa: BLE001 — any failure to reach the database is the answer
        # The exception may name hosts and accounts: it goes to the log, not to the caller.
        current_app.logger.exception("Health check: the database does not answer")
        body.update(status="error", database="error",
                    reason="The database does not answer.")
        return False, body
    expected = code_heads()
    body["migrations"] = ",".join(current) or None
    if current != expected:
        body.update(status="error", expected=",".join(expected),
                    reason="The database is not at the code's migration head; "
                           "run `flask --app certify init-db`.")
        return False, body
    return True, body


@bp.route("/healthz")
@limiter.exempt
def healthz():
    healthy, body = check()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
