"""Database engine set-up: SQLite made fit for a server, and write transactions that lock up front."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

# Execution option asking for a transaction that takes the write lock when it begins.
WRITE = {"certify_write": True}


def configure_engine(engine: Engine, busy_timeout_s: int) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
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
        session.commit()
    session.connection(execution_options=WRITE)


F = TypeVar("F", bound=Callable)


def writes(fn: F) -> F:
    """Mark a service that writes: it runs in a fresh write transaction (`begin_write`), and
    whatever it raises rolls everything back. The service commits when it is done.

    On SQLite a transaction that read before writing fails at once (SQLITE_BUSY) when another
    writer committed in between; starting every write transaction with the lock makes concurrent
    writers queue instead."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        begin_write()
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return wrapper  # type: ignore[return-value]
