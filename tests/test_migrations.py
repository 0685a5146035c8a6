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
