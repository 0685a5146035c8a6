"""decision issuer, signer position and place

Revision ID: 7d41c2a9e0b5
Revises: 215351970bac
Create Date: 2026-11-30 10:10:00

Existing decisions get their issuer from their unit's name as it stands ("ỦY BAN NHÂN DÂN" + the
name in capitals); their signer position and place stay empty, and they display without those
lines.
"""
from alembic import op
import sqlalchemy as sa


revision = '7d41c2a9e0b5'
down_revision = '215351970bac'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('signer_position', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('place', sa.String(length=100), nullable=True))
    decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer),
                         sa.column('issuer', sa.String))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('name', sa.String))
    bind = op.get_bind()
    # Upper-cased in Python: SQLite's upper() leaves Vietnamese letters as they are.
    for decision_id, name in bind.execute(
            sa.select(decisions.c.id, units.c.name).join(units, units.c.id == decisions.c.unit_id)):
        bind.execute(decisions.update().where(decisions.c.id == decision_id)
                     .values(issuer=f"ỦY BAN NHÂN DÂN {name.upper()}"))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('issuer', server_default=None)


def downgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('place')
        batch_op.drop_column('signer_position')
        batch_op.drop_column('issuer')
