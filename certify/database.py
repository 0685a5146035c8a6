"""Database engine set-up: SQLite made fit for a server, write transactions that lock up front
and wait for locks a bounded time, and a database that stays busy reported as Busy (503)."""

from __future__ import annotations

import functools
import math
import sqlite3
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .errors import Busy
from .extensions import db

# Execution option asking for a transaction that takes the write lock when it begins.
WRITE = {"certify_write": True}

# PostgreSQL's answers when a lock or statement waited too long, or the transaction had to yield
# to another (a deadlock, a serialization conflict): nothing was written, trying again may work.
_PG_BUSY = {"55P03",  # lock_not_available (lock_timeout)
            "57014",  # query_canceled (statement_timeout)
            "40P01",  # deadlock_detected
            "40001"}  # serialization_failure


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "busy, try again", not a fault."""
    orig = getattr(error, "orig", error)
    if isinstance(orig, sqlite3.OperationalError):
        # SQLITE_BUSY / SQLITE_LOCKED, also as extended codes (their low byte)
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY,
                                                                   sqlite3.SQLITE_LOCKED)
    return getattr(orig, "sqlstate", None) in _PG_BUSY


def busy_error() -> Busy:
    """Busy, asking the client to come back after about as long as a writer may wait."""
    wait = current_app.config["DATABASE_LOCK_TIMEOUT"]
    return Busy(f"The database stayed busy for more than {wait} s; nothing was changed.",
                retry_after=math.ceil(wait))


def configure_engine(engine: Engine, lock_timeout_s: float) -> None:
    """Bound every wait for a lock to `lock_timeout_s` (DATABASE_LOCK_TIMEOUT): SQLite's busy
    timeout on each connection, PostgreSQL's lock_timeout in each write transaction."""
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def _on_begin_pg(conn):
            # Writers wait for row locks (SELECT ... FOR UPDATE) and unique-index checks; past the
            # limit PostgreSQL gives up (lock_not_available) and the request answers 503 busy.
            if conn.get_execution_options().get("certify_write"):
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_s * 1000)}")

        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (SQLAlchemy's
        # documented pysqlite recipe), so that write transactions can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that read first cannot later upgrade to a writer in WAL mode once
        # another connection has committed (SQLITE_BUSY_SNAPSHOT, no waiting); a write transaction
        # therefore takes the lock at BEGIN, where busy_timeout makes it queue instead.
        if conn.get_execution_options().get("certify_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write() -> None:
    """Start a fresh transaction on the request's session that holds the write lock (SQLite) —
    PostgreSQL needs nothing here, its writers lock rows with SELECT ... FOR UPDATE.

    Whatever the session read before is committed away first: no writes are pending by contract,
    and the objects it loaded are refreshed on next access.
    """
    session = db.session()
    if session.in_transaction():
        _end_read(session)
    session.connection(execution_options=WRITE)


def _end_read(session) -> None:
    """End the read transaction before a write one. What a writer may change is expired, so that
    the write transaction reads it afresh under its lock; the signed-in account, its API token and
    units are kept as the request loaded them (a request acts as the account it authenticated)."""
    from .models import ApiToken, Unit, User

    keep = (ApiToken, Unit, User)
    _commit_without_expiry(session)
    for obj in list(session.identity_map.values()):
        if not isinstance(obj, keep):
            session.expire(obj)


def commit_keeping() -> None:
    """Commit the write transaction without expiring what it loaded: it held the write lock (the
    rows it locked), so what the session holds is what was committed, and the response can be
    built from it without reading it all again."""
    _commit_without_expiry(db.session())


def _commit_without_expiry(session) -> None:
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


F = TypeVar("F", bound=Callable)


def writes(fn: F) -> F:
    """Mark a service that writes: it runs in a fresh write transaction (`begin_write`), and
    whatever it raises rolls everything back. The service commits when it is done. A database
    that stays busy past DATABASE_LOCK_TIMEOUT (another writer holds the lock) raises Busy.

    On SQLite a transaction that read before writing fails at once (SQLITE_BUSY) when another
    writer committed in between; starting every write transaction with the lock makes concurrent
    writers queue instead."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            begin_write()
            return fn(*args, **kwargs)
        except DBAPIError as exc:
            db.session.rollback()
            if is_busy(exc):
                raise busy_error() from exc
            raise
        except BaseException:
            db.session.rollback()
            raise

    return wrapper  # type: ignore[return-value]
