"""nominations.is_open: the duplicate rule no longer names states

Revision ID: b4e8f2a61c07
Revises: 8a4f2c6e1d93
Create Date: 2026-11-30 12:00:00.000000

"""
from pathlib import Path

from alembic import op
import sqlalchemy as sa
import yaml


# revision identifiers, used by Alembic.
revision = 'b4e8f2a61c07'
down_revision = '8a4f2c6e1d93'
branch_labels = None
depends_on = None

# The initial schema's partial indexes named the states that free a subject; these are they.
OLD_WHERE = "state NOT IN ('rejected', 'withdrawn')"


def _freeing_states() -> dict[str, list[str]]:
    """Per title code, the states its workflow file flags `frees_subject` (the files in force when
    run inside the app, else the shipped ones)."""
    try:
        from flask import current_app
        folder = Path(current_app.config["WORKFLOWS"])
    except (ImportError, RuntimeError, KeyError):
        folder = Path(__file__).resolve().parents[3] / "workflows"
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        states = data.get("states") or {}
        out[data.get("code", path.stem)] = [name for name, s in states.items()
                                            if isinstance(s, dict) and s.get("frees_subject")]
    return out


def _indexes(batch_op, where: str) -> None:
    for subject in ("organization", "person"):
        clause = sa.text(f"{subject}_id IS NOT NULL AND {where}")
        batch_op.create_index(f'uq_nominations_open_{subject}',
                              ['title_code', f'{subject}_id', 'year'], unique=True,
                              sqlite_where=clause, postgresql_where=clause)


def upgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_open', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    nominations = sa.table('nominations', sa.column('title_code', sa.String),
                           sa.column('state', sa.String), sa.column('is_open', sa.Boolean))
    for title, states in _freeing_states().items():
        if states:
            op.execute(nominations.update()
                       .where(nominations.c.title_code == title, nominations.c.state.in_(states))
                       .values(is_open=False))
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_index('uq_nominations_open_person')
        batch_op.drop_index('uq_nominations_open_organization')
        _indexes(batch_op, "is_open")


def downgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_index('uq_nominations_open_person')
        batch_op.drop_index('uq_nominations_open_organization')
        _indexes(batch_op, OLD_WHERE)
        batch_op.drop_column('is_open')
