"""dated rule versions: the version each nomination is judged by, the level on recognitions, the
reviewer's notes on targets

Revision ID: c5d1e7a3f902
Revises: b4e8f2a61c07
Create Date: 2026-11-30 11:50:00

Every existing nomination was judged on the only rules the product knew: "Đơn vị học tập" on
TT 22/2020's points and grades (whatever its year — nothing is re-judged, its points and grade stay),
"Công dân học tập" on QĐ 324/QĐ-KHVN. They record that version. Recognitions get no level (the
levels came with TT 24/2023).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'c5d1e7a3f902'
down_revision = 'b4e8f2a61c07'
branch_labels = None
depends_on = None

# The version ids of workflows/<title>.yaml that judged the dossiers stored before this revision.
JUDGED_BY = {'don-vi-hoc-tap': 'tt22-2020', 'cong-dan-hoc-tap': 'qd324-2023'}
# A title the product did not ship: its version is found again from its year when it is read.
UNKNOWN = 'unknown'


def upgrade():
    # Plain ALTER TABLE (no batch copy): the nominations table is referenced by others, and
    # SQLite cannot drop and rebuild it while they hold rows. Every row gets UNKNOWN first.
    op.add_column('nominations', sa.Column('rule_version', sa.String(length=32), nullable=False,
                                           server_default=UNKNOWN))
    op.add_column('nominations', sa.Column('review_notes', sa.JSON().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    op.add_column('recognitions', sa.Column('level', sa.String(length=32), nullable=True))
    nominations = sa.table('nominations', sa.column('title_code', sa.String),
                           sa.column('rule_version', sa.String))
    bind = op.get_bind()
    for title, version in JUDGED_BY.items():
        bind.execute(nominations.update().where(nominations.c.title_code == title)
                     .values(rule_version=version))
    if bind.dialect.name != 'sqlite':
        # The product always names the version; SQLite keeps the default (dropping it would
        # rebuild the table), which no insert relies on.
        op.alter_column('nominations', 'rule_version', server_default=None,
                        existing_type=sa.String(length=32), existing_nullable=False)


def downgrade():
    op.drop_column('recognitions', 'level')
    op.drop_column('nominations', 'review_notes')
    op.drop_column('nominations', 'rule_version')
