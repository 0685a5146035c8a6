"""dated rule versions: the version each nomination is judged by, the level on recognitions, the
reviewer's notes on targets

Revision ID: 8a4f2c6e1d93
Revises: 3f8b6d2a1c47
Create Date: 2026-11-30 11:50:00

Every existing nomination was judged on the only rules the product knew: "Đơn vị học tập" on
TT 22/2020's points and grades (whatever its year — nothing is re-judged, its points and grade stay),
"Công dân học tập" on QĐ 324/QĐ-KHVN. They record that version. Recognitions get no level (the
levels came with TT 24/2023).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '8a4f2c6e1d93'
down_revision = '3f8b6d2a1c47'
branch_labels = None
depends_on = None

# The version ids of workflows/<title>.yaml that judged the dossiers stored before this revision.
JUDGED_BY = {'don-vi-hoc-tap': 'tt22-2020', 'cong-dan-hoc-tap': 'qd324-2023'}
# A title the product did not ship: its version is found again from its year when it is read.
UNKNOWN = 'unknown'


def upgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_version', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('review_notes', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=32), nullable=True))
    nominations = sa.table('nominations', sa.column('title_code', sa.String),
                           sa.column('rule_version', sa.String))
    bind = op.get_bind()
    for title, version in JUDGED_BY.items():
        bind.execute(nominations.update().where(nominations.c.title_code == title)
                     .values(rule_version=version))
    bind.execute(nominations.update().where(nominations.c.rule_version.is_(None))
                 .values(rule_version=UNKNOWN))
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.alter_column('rule_version', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.drop_column('level')
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_column('review_notes')
        batch_op.drop_column('rule_version')
