"""flask backup / restore: a backup taken from a database in use brings every row back exactly after
the data was changed and deleted; restore checks the file and asks before replacing anything. On
the suite's database: SQLite's online backup, or pg_dump/pg_restore on PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import select, text

from certify.extensions import db
from certify.models import Denominator, User
from certify.services import accounts, units

from .factories import CITIZEN, nomination_in
from .web_support import Site


@pytest.fixture
def site(app):
    site = Site(app)
    site.run(lambda w: (nomination_in(w, "approved"), nomination_in(w, "returned", year=2025),
                        units.set_denominators(w.ward_a, 2026, {CITIZEN: 4200})))
    return site


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table (and the schema revision), in a stable order."""
    with app.app_context():
        tables = {}
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                tables[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            tables["alembic_version"] = [tuple(r) for r in conn.execute(
                text("SELECT version_num FROM alembic_version"))]
        db.session.remove()
        return tables


def change_everything(site):
    def change(w):
        w.ward_a.name = "Tên đã bị sửa"
        db.session.delete(db.session.scalars(select(Denominator)).first())
        db.session.commit()
        accounts.set_active(w.reviewer_a, False)
        accounts.create_user(username="ke-den-sau", password="mật khẩu đủ dài nhé",
                             role="admin")
    site.run(change)


def test_backup_then_changes_then_restore_gives_back_every_row(app, site, runner, tmp_path):
    before = snapshot(app)
    assert before["nominations"] and before["recognitions"] and before["denominators"]
    file = tmp_path / "certify.backup"

    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert file.stat().st_size > 0

    change_everything(site)
    changed = snapshot(app)
    assert changed != before

    result = runner.invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before
    # and the app works on the restored database
    name = site.run(lambda w: w.ward_a.name)
    assert name == "Phường Ba Đình"
    assert site.count(User) == len(before["users"])


def test_restore_asks_before_replacing_a_database_that_holds_data(app, site, runner, tmp_path):
    file = tmp_path / "certify.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    change_everything(site)
    changed = snapshot(app)

    result = runner.invoke(args=["restore", str(file)])
    assert result.exit_code == 1
    assert "--yes" in result.output and "users" in result.output
    assert snapshot(app) == changed


def test_backup_never_overwrites_a_file(app, site, runner, tmp_path):
    file = tmp_path / "taken"
    file.write_bytes(b"something precious")
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert file.read_bytes() == b"something precious"
    assert not (tmp_path / "taken.partial").exists()


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(app, site, runner, tmp_path):
    before = snapshot(app)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"PGDMP but not really a dump" if _dialect(app) == "postgresql"
                     else b"SQLite format 3\x00 and then garbage" + b"\x00" * 200)
    missing = tmp_path / "missing.backup"
    for path in (junk, missing):
        result = runner.invoke(args=["restore", "--yes", str(path)])
        assert result.exit_code == 1, result.output
        assert "nothing changed" in result.output
        assert "Traceback" not in result.output
    assert snapshot(app) == before


def test_restore_refuses_a_backup_of_the_other_kind_of_database(app, site, runner, tmp_path):
    other = tmp_path / "other.backup"
    if _dialect(app) == "postgresql":
        with sqlite3.connect(other) as con:
            con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    else:
        other.write_bytes(b"PGDMP" + b"\x00" * 100)
    before = snapshot(app)
    result = runner.invoke(args=["restore", "--yes", str(other)])
    assert result.exit_code == 1 and "backup" in result.output
    assert snapshot(app) == before


def test_restore_refuses_a_backup_from_a_newer_schema(app, site, runner, tmp_path):
    if _dialect(app) != "sqlite":
        pytest.skip("the backup file is edited with sqlite3")
    file = tmp_path / "certify.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    newer = tmp_path / "newer.backup"
    shutil.copy(file, newer)
    with sqlite3.connect(newer) as con:
        con.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    before = snapshot(app)
    result = runner.invoke(args=["restore", "--yes", str(newer)])
    assert result.exit_code == 1 and "ffffffffffff" in result.output
    assert snapshot(app) == before


def test_restore_into_an_empty_database_needs_no_yes(app, site, runner, tmp_path):
    """The disaster case: a new, empty database gets the backup."""
    if _dialect(app) != "sqlite":
        pytest.skip("needs a second database; on PostgreSQL the suite has only its own")
    from certify import create_app

    from .conftest import TEST_CONFIG

    file = tmp_path / "certify.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    before = snapshot(app)
    fresh = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"})
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(file)])
        assert result.exit_code == 0, result.output
        assert snapshot(fresh) == before
        assert fresh.test_client().get("/healthz").status_code == 200
    finally:
        with fresh.app_context():
            db.engine.dispose()


def _dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name

