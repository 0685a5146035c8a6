"""nominations.receipt_code is given at the first submission: nullable (a draft has none)

The column keeps its unique constraint (several NULLs are allowed by both databases). Upgrade:
dossiers never submitted (no submission time, not recorded from a paper decision) lose the code
they were given at creation — they were never received. Downgrade gives every dossier without a
code a new one (the same form: title initials, year, 8 characters) and makes the column NOT NULL.

Revision ID: d7a3c1e9b842
Revises: d7a4c2e9b6f1
Create Date: 2026-11-30 18:30:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3c1e9b842'
down_revision = "d7a4c2e9b6f1"
branch_labels = None
depends_on = None

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def upgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.alter_column('receipt_code', existing_type=sa.String(length=32), nullable=True)
    op.execute(sa.text(
        "UPDATE nominations SET receipt_code = NULL WHERE submitted_at IS NULL AND id NOT IN "
        "(SELECT nomination_id FROM history_entries WHERE event = 'import')"))


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, title_code, year FROM nominations WHERE receipt_code IS NULL")).all()
    for nid, title_code, year in rows:
        prefix = "".join(part[0] for part in title_code.split("-")).upper()
        code = f"{prefix}-{year}-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
        bind.execute(sa.text("UPDATE nominations SET receipt_code = :c WHERE id = :i"),
                     {"c": code, "i": nid})
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.alter_column('receipt_code', existing_type=sa.String(length=32), nullable=False)
