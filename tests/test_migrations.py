"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certify.extensions import db


def test_migrated_schema_matches_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


# -- data migrations --------------------------------------------------------------------------------

RULE_VERSIONS = "8a4f2c6e1d93"  # dated rule versions
BEFORE_RULE_VERSIONS = "3f8b6d2a1c47"


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
