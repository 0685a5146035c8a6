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


# -- data migrations --------------------------------------------------------------------------------

RULE_VERSIONS = "c5d1e7a3f902"  # dated rule versions
BEFORE_RULE_VERSIONS = "b4e8f2a61c07"


def test_existing_dossiers_keep_the_version_they_were_judged_by(app):
    """Rows made before the rule versions existed: "Đơn vị học tập" dossiers were judged on TT
    22/2020 whatever their year — they record it and keep their points and grade — citizens'
    on QĐ 324. Runs on the test database (SQLite or PostgreSQL) and leaves it at the head."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from certify.workflow import workflow
    from tests import factories as f

    with app.app_context():
        try:
            w = f.build_world()
            old_unit = f.nomination_in(w, "approved", title=f.UNIT_TITLE, year=f.TT22_YEAR)
            new_unit = f.nomination_in(w, "draft", title=f.UNIT_TITLE, year=f.UNIT_YEAR)
            citizen = f.nomination_in(w, "approved")
            kept = {n.id: (dict(n.review_assessment), n.recognition.grade if n.recognition
                           else None) for n in (old_unit, new_unit, citizen)}
            ids = {"old_unit": old_unit.id, "new_unit": new_unit.id, "citizen": citizen.id}
            tt22 = workflow(f.UNIT_TITLE).rules_for_year(f.TT22_YEAR).id
            [qd324] = [v.id for v in workflow(f.CITIZEN).spec.versions]
            db.session.remove()

            downgrade(revision=BEFORE_RULE_VERSIONS)
            columns = {c["name"] for c in inspect(db.engine).get_columns("nominations")}
            assert "rule_version" not in columns
            upgrade(revision=RULE_VERSIONS)

            with db.engine.connect() as conn:
                rows = {nid: (version, assessment, grade, level) for nid, version, assessment,
                        grade, level in conn.execute(text(
                            "SELECT n.id, n.rule_version, n.review_assessment, r.grade, r.level "
                            "FROM nominations n LEFT JOIN recognitions r "
                            "ON r.nomination_id = n.id"))}
            def decoded(value):
                import json
                return json.loads(value) if isinstance(value, str) else value
            for nid, (version, assessment, grade, level) in rows.items():
                if nid in kept:
                    assert (decoded(assessment), grade) == kept[nid]
                assert level is None
            assert rows[ids["old_unit"]][0] == tt22 and rows[ids["old_unit"]][2] == "tot"
            assert rows[ids["new_unit"]][0] == tt22  # judged on TT 22 so far: recorded as such
            assert rows[ids["citizen"]][0] == qd324
        finally:
            db.session.remove()
            upgrade()
