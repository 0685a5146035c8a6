"""Browser sessions kept on the server (Flask-Session), in the database or Redis: the cookie holds
only a random id, so ending a session on the server ends it for every copy of the cookie."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, session
from flask_login import login_user, logout_user
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects import postgresql, sqlite

from . import clock
from .database import WRITE, is_busy
from .extensions import db
from .models import BrowserSession

# Keys of our own in the session: when the account signed in, and when it was last seen (both
# whole seconds since the epoch, from certify.clock).
SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
# A signed-in user's activity is written to the stored session at most this often, not on every
# request; the idle timeout is therefore exact to within this many seconds.
SEEN_RESOLUTION = 60


class DatabaseSessionInterface(ServerSideSessionInterface):
    """Flask-Session's storage interface over the `sessions` table (models/sessions.py).

    Not Flask-Session's own SqlAlchemySessionInterface: that one declares its model on our
    db.Model each time an app is created (a second app in one process fails), creates the table
    itself behind Alembic's back, and commits the request's own db.session when it saves. Here the
    table comes from a migration, and every write runs in a transaction of its own that takes
    SQLite's write lock when it begins (certify.database), whatever the request has read."""

    session_class = ServerSideSession
    ttl = False  # expired rows are deleted by Flask-Session's cleanup (every N requests)

    def __init__(self, app: Flask, cleanup_n_requests: int | None):
        super().__init__(app, key_prefix="", use_signer=False, permanent=False,
                         cleanup_n_requests=cleanup_n_requests)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        with db.engine.connect() as conn:
            data = conn.scalar(select(BrowserSession.data).where(
                BrowserSession.session_id == store_id, BrowserSession.expiry > clock.now()))
        return None if data is None else self.serializer.decode(data)

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession,
                        store_id: str) -> None:
        values = {"data": self.serializer.encode(session),
                  "expiry": clock.now() + session_lifetime}
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(BrowserSession).values(session_id=store_id, **values)
        try:
            with _writing() as conn:
                conn.execute(statement.on_conflict_do_update(index_elements=["session_id"],
                                                             set_=values))
        except DBAPIError as error:
            # Saved after the view has answered: what the view did is committed, so a busy
            # database here must not turn its answer into an error that says nothing changed.
            # The session keeps its stored state (a message for the next page may be lost).
            if not is_busy(error):
                raise
            current_app.logger.warning("Session not saved: the database stayed busy")

    def _delete_session(self, store_id: str) -> None:
        with _writing() as conn:
            conn.execute(delete(BrowserSession).where(BrowserSession.session_id == store_id))

    def _delete_expired_sessions(self) -> None:
        # Housekeeping on a random request: when the database is busy, a later one does it.
        try:
            with _writing() as conn:
                conn.execute(delete(BrowserSession).where(BrowserSession.expiry <= clock.now()))
        except DBAPIError as error:
            if not is_busy(error):
                raise


def _writing():
    return db.engine.execution_options(**WRITE).begin()


def init_app(app: Flask) -> None:
    """Put the session in the storage CERTIFY_SESSION_STORAGE_URI names."""
    uri = str(app.config["SESSION_STORAGE_URI"])
    if uri == "database":
        app.session_interface = DatabaseSessionInterface(
            app, int(app.config["SESSION_CLEANUP_N_REQUESTS"] or 0) or None)
    elif uri.startswith(("redis://", "rediss://", "unix://")):
        import redis

        app.session_interface = RedisSessionInterface(
            app, client=redis.Redis.from_url(uri), key_prefix="certify:session:",
            use_signer=False, permanent=False)
    else:
        raise ValueError(f'CERTIFY_SESSION_STORAGE_URI is {uri!r}: use "database" or a redis:// URL')


def now() -> int:
    return int(clock.now().timestamp())


def sign_in(user) -> None:
    """Sign `user` in on a new session id that carries nothing over but the language: whoever
    planted or read the old id (session fixation), or the CSRF secret that came with it, gains
    nothing."""
    lang = session.get("lang")
    current_app.session_interface.regenerate(session)  # (an empty session's id is new already)
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's token of this request, made from the old secret
    login_user(user)
    if lang:
        session["lang"] = lang
    session[SIGNED_IN_AT] = session[SEEN_AT] = now()


def sign_out() -> None:
    """End the session on the server: its stored record is deleted, and the browser continues
    on a new, signed-out id (which keeps the language and any message for the next page)."""
    lang = session.get("lang")
    if session:
        current_app.session_interface.regenerate(session)
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["lang"] = lang


def expired() -> bool:
    """Whether the signed-in session has been idle too long or has passed the absolute limit
    since sign-in (a session without the times is treated as expired)."""
    cfg = current_app.config
    signed_in, seen, moment = session.get(SIGNED_IN_AT), session.get(SEEN_AT), now()
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return True
    return (moment - signed_in >= int(cfg["SESSION_MAX_HOURS"]) * 3600
            or moment - seen >= int(cfg["SESSION_IDLE_MINUTES"]) * 60)


def note_activity() -> None:
    moment = now()
    if moment - int(session.get(SEEN_AT) or 0) >= SEEN_RESOLUTION:
        session[SEEN_AT] = moment
