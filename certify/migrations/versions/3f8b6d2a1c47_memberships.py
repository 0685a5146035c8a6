"""memberships of organizations; a person may have no household

Revision ID: 3f8b6d2a1c47
Revises: 7c3e1a9d5b20
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import certify.models.types


# revision identifiers, used by Alembic.
revision = '3f8b6d2a1c47'
down_revision = '7c3e1a9d5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', certify.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('staff', 'learner')", name=op.f('ck_memberships_role')),
        sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on',
                           name=op.f('ck_memberships_dates')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_memberships_created_by_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_memberships_organization_id_organizations')),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_memberships_person_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_organization_dates',
                              ['organization_id', 'starts_on', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.alter_column('household_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Persons registered by an organization alone have no household to go back to.
    op.execute("DELETE FROM persons WHERE household_id IS NULL "
               "AND id NOT IN (SELECT person_id FROM nominations WHERE person_id IS NOT NULL)")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.alter_column('household_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_person_id'))
        batch_op.drop_index('ix_memberships_organization_dates')
    op.drop_table('memberships')
