"""persons.unit_id only for persons without a household: a member lives where the household is

A reorganisation then moves a household's members by moving the household (issue 8, Scale): no
person row is written. Upgrade: persons with a household lose their own unit (NULL); if a
person's stored unit differed from their household's, the household's is kept (it is the one a
member lives in; the number of such persons is logged). A CHECK constraint then says exactly one of
household_id and unit_id is set, and ix_persons_unit_id holds only the non-NULL ones. Downgrade gives every household member their household's unit
back.

Revision ID: 5f30ed10946f
Revises: ca1bb9b5b957
Create Date: 2026-11-30 15:15:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f30ed10946f'
down_revision = 'ca1bb9b5b957'
branch_labels = None
depends_on = None

CHECK = "(household_id IS NULL) <> (unit_id IS NULL)"
NOT_NULL = "unit_id IS NOT NULL"


def upgrade():
    differing = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM persons p JOIN households h ON h.id = p.household_id "
        "WHERE p.unit_id <> h.unit_id")).scalar()
    if differing:
        logging.getLogger("alembic.runtime.migration").warning(
            "%d household member(s) had a unit other than their household's: they now live "
            "where their household is.", differing)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)
    op.execute("UPDATE persons SET unit_id = NULL WHERE household_id IS NOT NULL")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_persons_household_or_unit'), CHECK)
    # Only the persons without a household in the index: with millions of NULLs in it, SQLite's
    # statistics call it useless and `unit_id = ?` would read the whole table.
    op.drop_index('ix_persons_unit_id', table_name='persons')
    op.create_index('ix_persons_unit_id', 'persons', ['unit_id'], unique=False,
                    sqlite_where=sa.text(NOT_NULL), postgresql_where=sa.text(NOT_NULL))


def downgrade():
    op.drop_index('ix_persons_unit_id', table_name='persons')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_persons_household_or_unit'), type_='check')
    op.execute("UPDATE persons SET unit_id = (SELECT h.unit_id FROM households h "
               "WHERE h.id = persons.household_id) WHERE household_id IS NOT NULL")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
    op.create_index('ix_persons_unit_id', 'persons', ['unit_id'], unique=False)
