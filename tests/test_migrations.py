"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certify.extensions import db


def test_migrated_schema_matches_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_open_flag_is_back_filled_from_the_workflow_files(app, world):
    """Existing dossiers in a state the files flag `frees_subject` are closed by the migration,
    the others stay open; the unique rule then no longer names states."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from certify.workflow import meaning, workflow
    from tests.factories import CITIZEN, nomination_in

    still_open = nomination_in(world, "draft", year=2026).id
    withdrawn = nomination_in(world, "withdrawn", year=2025).id
    refused = nomination_in(world, "draft", year=2024).id
    freeing = meaning.freeing_states(workflow(CITIZEN).spec)
    assert "withdrawn" in freeing and "rejected" in freeing
    db.session.commit()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision("b4e8f2a61c07").down_revision
    db.session.remove()
    downgrade(revision=before)
    with db.engine.begin() as conn:  # the old schema: no flag, the state alone
        assert "is_open" not in [c["name"] for c in inspect(conn).get_columns("nominations")]
        conn.execute(text("UPDATE nominations SET state = 'rejected' WHERE id = :id"),
                     {"id": refused})
    upgrade()
    flags = dict(db.session.execute(text("SELECT id, is_open FROM nominations")).all())
    assert flags[still_open] and not flags[withdrawn] and not flags[refused]


def test_rebuilt_tables_keep_the_rows_that_point_at_them(app, world):
    """Down to before the memberships and the units' validity and back up, with households,
    persons, dossiers, memberships and recognitions pointing at the rebuilt tables (SQLite
    rebuilds `persons` and `units`): every row survives, nothing points nowhere."""
    from datetime import date

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from certify.models import Membership
    from tests.factories import nomination_in

    approved = nomination_in(world, "approved", year=2026)
    db.session.add(Membership(organization_id=world.organization.id, person_id=approved.person_id,
                              role="staff", starts_on=date(2024, 1, 1)))
    db.session.commit()

    def counts():
        return {table: db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                for table in ("units", "households", "persons", "nominations", "recognitions",
                              "users")}

    before = counts()
    db.session.remove()
    downgrade(revision="7c3e1a9d5b20")  # before the memberships: persons and units rebuilt
    assert counts() == before
    db.session.remove()
    upgrade()
    assert counts() == before
    assert db.session.execute(text("SELECT COUNT(*) FROM memberships")).scalar() == 0
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
