"""organizations carry a level (cấp tỉnh, cấp huyện, cấp xã)

Organization.level: which tier reviews and approves its "Đơn vị học tập" dossier where a tier
profile routes by it (vn-2025 from 1/7/2025). Every existing organization gets its unit's level:
an organization attached to a commune is "commune", to a district "district", to the province
"province"; an admin changes it afterwards (a provincial upper-secondary school attached to a town).

Revision ID: 93ad62661205
Revises: c5d1e7a3f902
Create Date: 2026-11-30 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '93ad62661205'
down_revision = 'c5d1e7a3f902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE organizations SET level = (SELECT units.level FROM units "
                       "WHERE units.id = organizations.unit_id)"))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('level', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint(
            'level', "level IN ('province', 'district', 'commune')")


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizations_level'), type_='check')
        batch_op.drop_column('level')
