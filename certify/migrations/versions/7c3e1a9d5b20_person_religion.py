"""person religion

Revision ID: 7c3e1a9d5b20
Revises: 7d41c2a9e0b5
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e1a9d5b20'
down_revision = '7d41c2a9e0b5'
branch_labels = None
depends_on = None


def upgrade():
    # Optional, as on the national platform (domain.md, Registration).
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('religion', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('religion')
