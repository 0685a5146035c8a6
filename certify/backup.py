"""Backup and restore of the whole database: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

Both stay consistent while the app serves: SQLite's backup API copies a snapshot page by page,
pg_dump reads one snapshot. A restore checks the file before it touches the database (that it is
a backup of this kind of database, readable, from a schema this code knows) and replaces the
content only with `--yes`; on PostgreSQL it runs in one transaction, so a failure changes nothing.
The PostgreSQL tools get the connection through libpq's environment variables (PGHOST, PGUSER,
PGPASSWORD...), never a command line a shell parses or `ps` shows.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404 — fixed programs, argument lists, no shell
from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from .extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
# libpq settings a database URL's query may carry, and the environment variable each becomes.
LIBPQ_QUERY = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
               "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
               "application_name": "PGAPPNAME", "options": "PGOPTIONS"}
# What the refusal to overwrite counts, so the operator sees what would be replaced.
COUNTED = ("units", "users", "nominations", "recognitions", "audit_entries")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


# -- commands ---------------------------------------------------------------------------------------

@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent copy of the whole database to FILE (sao lưu), while the app may run."""
    try:
        backup(file)
    except BackupError as exc:
        _fail("Không sao lưu được (backup failed).", exc)
    click.echo(f"Đã sao lưu cơ sở dữ liệu vào {file} (backup written).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True,
              help="Replace what the database holds now with the backup's content.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database's content with a backup made by `flask backup` (khôi phục)."""
    try:
        revision = check_file(file)
        present = holdings()
        if present is not None and not yes:
            click.echo("Cơ sở dữ liệu đang có dữ liệu (the database is not empty): "
                       + ", ".join(f"{table} {count}" for table, count in present.items())
                       + ". Khôi phục sẽ thay thế toàn bộ; chạy lại với --yes nếu chắc chắn "
                         "(restoring replaces all of it; run again with --yes).", err=True)
            raise SystemExit(1)
        restore(file)
    except BackupError as exc:
        _fail("Không khôi phục được; cơ sở dữ liệu chưa bị thay đổi (restore refused, nothing "
              "changed).", exc)
    click.echo(f"Đã khôi phục cơ sở dữ liệu từ {file} (restored).")
    if revision not in _code_heads():
        click.echo("Bản sao lưu có lược đồ cũ hơn mã nguồn; hãy chạy: flask --app certify init-db "
                   "(the backup's schema is older than the code: run init-db).")


def _fail(message: str, exc: BackupError) -> None:
    click.echo(message, err=True)
    click.echo(f"  {exc}", err=True)
    raise SystemExit(1)


# -- the work -----------------------------------------------------------------------------------

def backup(path: Path) -> None:
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: a backup never overwrites a file.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent}.")
    partial = path.with_name(path.name + ".partial")
    try:
        if _dialect() == "sqlite":
            _sqlite_backup(_sqlite_path(), partial)
        else:
            _pg_backup(partial)
        partial.replace(path)  # only a finished backup carries the name asked for
    finally:
        partial.unlink(missing_ok=True)


def check_file(path: Path) -> str:
    """The schema revision of a backup fit for this database, or BackupError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    with path.open("rb") as fh:
        header = fh.read(16)
    kind = _dialect()
    if header.startswith(SQLITE_HEADER):
        if kind != "sqlite":
            raise BackupError(f"{path} is a SQLite backup; this database is {kind}.")
        revisions = _sqlite_check(path)
    elif header.startswith(PG_CUSTOM_HEADER):
        if kind != "postgresql":
            raise BackupError(f"{path} is a PostgreSQL backup; this database is {kind}.")
        revisions = _pg_check(path)
    else:
        raise BackupError(f"{path} is not a backup made by `flask backup`.")
    if len(revisions) != 1:
        raise BackupError(f"{path} records no single schema revision (found {revisions or 'none'}).")
    revision = revisions[0]
    if not _known_revision(revision):
        raise BackupError(f"{path} has schema revision {revision}, which this code does not know "
                          "(a backup of a newer version of certify?).")
    return revision


def holdings() -> dict[str, int] | None:
    """Row counts of the database's main tables, or None when it holds no tables at all."""
    names = set(inspect(db.engine).get_table_names())
    if not names:
        return None
    counts = {}
    with db.engine.connect() as conn:
        for table in COUNTED:
            if table in names:
                # The names come from COUNTED above, never from input.
                counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # nosec B608
    return counts


def restore(path: Path) -> None:
    """Replace the database's content with the backup at `path` (checked with check_file)."""
    # Our own pooled connections must not hold locks (PostgreSQL) or a stale schema (SQLite).
    db.session.remove()
    db.engine.dispose()
    if _dialect() == "sqlite":
        _sqlite_restore(Path(path), _sqlite_path())
    else:
        _pg_restore(Path(path))
    db.engine.dispose()


# -- SQLite -------------------------------------------------------------------------------------

def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups of {name} databases are not supported.")
    return name


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:") \
            or db.engine.url.query.get("mode") == "memory":
        raise BackupError("The database lives in memory: there is no file to back up or restore.")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        # One self-contained file, whatever journal the live database uses.
        dst.execute("PRAGMA journal_mode=DELETE")


def _sqlite_check(path: Path) -> list[str]:
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            result = con.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                raise BackupError(f"{path} is damaged: {result[0] if result else 'no answer'}.")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                raise BackupError(f"{path} is a SQLite database but not a certify backup.")
            return [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}.") from exc


def _sqlite_restore(source: Path, target: Path) -> None:
    if target.exists() and source.resolve() == target.resolve():
        raise BackupError("The backup is the database itself.")
    # The backup API writes the destination under its lock, in one go, and keeps its journal mode
    # (WAL): connections of a running app see the restored content at their next transaction.
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target, timeout=current_app.config["DATABASE_LOCK_TIMEOUT"])) as dst:
        try:
            src.backup(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"Writing the database failed: {exc}.") from exc


# -- PostgreSQL ---------------------------------------------------------------------------------

def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value not in (None, ""):
            env[key] = str(value)
    for name, variable in LIBPQ_QUERY.items():
        value = url.query.get(name)
        if isinstance(value, str):
            env[variable] = value
    return env


def _server_major() -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def _tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True,  # nosec B603
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\)\s+(\d+)", out)
    return int(found.group(1)) if found else None


def _pg_tool(name: str) -> str:
    """pg_dump or pg_restore of the server's major version or newer (an older pg_dump refuses
    a newer server): CERTIFY_PG_BIN, else Debian's versioned folders, else the PATH."""
    server = _server_major()
    configured = current_app.config.get("PG_BIN")
    if configured:
        candidates = [Path(configured) / name]
    else:
        folders = []
        for folder in Path("/usr/lib/postgresql").glob("*/bin"):
            if folder.parent.name.isdigit() and int(folder.parent.name) >= server:
                folders.append((int(folder.parent.name), folder))
        candidates = [folder / name for _, folder in sorted(folders, key=lambda pair: pair[0])]
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file():
            major = _tool_major(candidate)
            if major is not None and major >= server:
                return str(candidate)
    raise BackupError(f"No {name} of PostgreSQL {server} or newer was found (looked at "
                      f"{', '.join(map(str, candidates)) or 'nothing'}); install the client tools "
                      f"of PostgreSQL {server} or set CERTIFY_PG_BIN to their folder.")


def _run(args: list[str], what: str) -> str:
    env = _pg_env(db.engine.url)
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True,  # nosec B603
                              stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise BackupError(f"{what} could not start: {exc}.") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _conninfo_dbname(name: str) -> str:
    """`dbname='…'` in libpq's quoting: a name holding "=" would otherwise be read as settings."""
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pg_backup(target: Path) -> None:
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"], "pg_dump")


def _pg_check(path: Path) -> list[str]:
    tool = _pg_tool("pg_restore")
    listing = _run([tool, "--list", str(path)], "Reading the backup")
    if not re.search(r"TABLE DATA \S+ alembic_version ", listing):
        raise BackupError(f"{path} is a PostgreSQL backup but not of a certify database.")
    script = _run([tool, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                  "Reading the backup's schema revision")
    copied = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$",
                       script, re.M | re.S)
    return copied.group(1).split() if copied else []


def _pg_restore(source: Path) -> None:
    name = db.engine.url.database or ""
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--no-password",
          f"--dbname={_conninfo_dbname(name)}", str(source)], "pg_restore")


# -- schema revisions ---------------------------------------------------------------------------

def script_directory():
    """The code's Alembic migrations (their heads are the schema this code expects)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return ScriptDirectory.from_config(config)


def _known_revision(revision: str) -> bool:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        return script_directory().get_revision(revision) is not None
    except (RevisionError, CommandError):
        return False


def _code_heads() -> set[str]:
    return set(script_directory().get_heads())
