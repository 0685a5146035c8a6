"""denominators carried by a reorganisation say so

Revision ID: ca1bb9b5b957
Revises: c5a10b4a90ae
Create Date: 2026-11-30 15:40:00

A new unit's denominator summed from its predecessors' figures when a reorganisation applied
(services/reorganizations.py, `carried`) records the text of that reorganisation in
`carried_from`, until an admin enters the figure again (which clears it). Figures stored before
this revision were all entered: NULL.
"""
from alembic import op
import sqlalchemy as sa


revision = 'ca1bb9b5b957'
down_revision = 'c5a10b4a90ae'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('denominators', sa.Column('carried_from', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('denominators') as batch:
        batch.drop_column('carried_from')
