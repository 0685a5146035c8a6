"""units with validity and lineage; a code unique among the units valid on the same day

valid_from, valid_until and the table unit_successions; the plain unique constraint on code gives
way to a partial unique index over the current units (valid_until IS NULL).

Existing units are back-filled with valid_from = 1900-01-01 (certify.models.units.EARLIEST: a unit
whose start the product never recorded) and stay current (valid_until NULL).

Revision ID: 8a4f2c6e1d93
Revises: 3f8b6d2a1c47
Create Date: 2026-11-30 12:00:00.000000

"""
from datetime import date

from alembic import op
import sqlalchemy as sa

import certify.models.types


# revision identifiers, used by Alembic.
revision = '8a4f2c6e1d93'
down_revision = '3f8b6d2a1c47'
branch_labels = None
depends_on = None

EARLIEST = date(1900, 1, 1)


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
    op.execute(sa.text("UPDATE units SET valid_from = :day").bindparams(
        sa.bindparam('day', value=EARLIEST, type_=sa.Date())))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('valid_from', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint('uq_units_code', type_='unique')
        batch_op.create_check_constraint(
            'validity', 'valid_until IS NULL OR valid_until >= valid_from')
        batch_op.create_index(batch_op.f('ix_units_code'), ['code'], unique=False)
        batch_op.create_index('uq_units_current_code', ['code'], unique=True,
                              sqlite_where=sa.text('valid_until IS NULL'),
                              postgresql_where=sa.text('valid_until IS NULL'))

    op.create_table(
        'unit_successions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('predecessor_id', sa.Integer(), nullable=False),
        sa.Column('successor_id', sa.Integer(), nullable=False),
        sa.Column('effective', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('created_at', certify.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('merge', 'split', 'rename')",
                           name=op.f('ck_unit_successions_kind')),
        sa.CheckConstraint('predecessor_id <> successor_id',
                           name=op.f('ck_unit_successions_distinct_units')),
        sa.ForeignKeyConstraint(['predecessor_id'], ['units.id'],
                                name=op.f('fk_unit_successions_predecessor_id_units')),
        sa.ForeignKeyConstraint(['successor_id'], ['units.id'],
                                name=op.f('fk_unit_successions_successor_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_successions')),
        sa.UniqueConstraint('predecessor_id', 'successor_id',
                            name=op.f('uq_unit_successions_predecessor_id')),
    )
    with op.batch_alter_table('unit_successions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_successions_predecessor_id'), ['predecessor_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_unit_successions_successor_id'), ['successor_id'],
                              unique=False)


def downgrade():
    # Going back to one unit per code forever: only the current units and what hangs on them can
    # be kept, so a database holding ended units (or their lineage) is refused rather than cut.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM units WHERE valid_until IS NOT NULL")).scalar():
        raise RuntimeError("Units that have ended are recorded; a downgrade would lose them.")
    with op.batch_alter_table('unit_successions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_successions_successor_id'))
        batch_op.drop_index(batch_op.f('ix_unit_successions_predecessor_id'))
    op.drop_table('unit_successions')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('uq_units_current_code')
        batch_op.drop_index(batch_op.f('ix_units_code'))
        batch_op.drop_constraint(batch_op.f('ck_units_validity'), type_='check')
        batch_op.create_unique_constraint(batch_op.f('uq_units_code'), ['code'])
        batch_op.drop_column('valid_until')
        batch_op.drop_column('valid_from')
