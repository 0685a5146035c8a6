"""the plan's other indicators: yearly figures per unit

Revision ID: d4a8e6f1b2c3
Revises: 5f30ed10946f
Create Date: 2026-11-30 18:20:00

The figures an admin enters each year for the indicators listed in certify/data/plan-indicators.yaml
(preschool universalisation, digital schools, community learning centres using IT, ...).
"""
from alembic import op
import sqlalchemy as sa

import certify.models.types


revision = 'd4a8e6f1b2c3'
down_revision = '5f30ed10946f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'indicator_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('indicator', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('updated_at', certify.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('value >= 0', name=op.f('ck_indicator_figures_value_not_negative')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_indicator_figures_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_figures')),
        sa.UniqueConstraint('unit_id', 'indicator', 'year',
                            name=op.f('uq_indicator_figures_unit_id')),
    )
    with op.batch_alter_table('indicator_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_figures_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('indicator_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_figures_unit_id'))
    op.drop_table('indicator_figures')
