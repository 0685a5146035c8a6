"""organizations.search_name: an organization found by its name without diacritics

Revision ID: c5a10b4a90ae
Revises: 93ad62661205
Create Date: 2026-11-30 15:30:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a10b4a90ae'
down_revision = '93ad62661205'
branch_labels = None
depends_on = None


def fold(text: str) -> str:
    """certify.services.validate.fold as it was when this ran (a migration keeps its own copy)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())[:200].rstrip()


def upgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("search_name", sa.String(length=300), nullable=False,
                                   server_default=""))
        batch.create_index("ix_organizations_search_name", ["search_name"])
    bind = op.get_bind()
    table = sa.table("organizations", sa.column("id", sa.Integer),
                     sa.column("name", sa.String), sa.column("search_name", sa.String))
    rows = bind.execute(sa.select(table.c.id, table.c.name)).all()
    if rows:
        bind.execute(table.update().where(table.c.id == sa.bindparam("oid"))
                     .values(search_name=sa.bindparam("folded")),
                     [{"oid": i, "folded": fold(name)[:300]} for i, name in rows])


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_index("ix_organizations_search_name")
        batch.drop_column("search_name")
