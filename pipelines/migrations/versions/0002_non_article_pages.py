"""non_article_pages: pages requested as articles that held none, skipped until they change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from pipelines.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "non_article_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("source_date", UtcDateTime),
        sa.Column("first_seen", UtcDateTime, nullable=False),
        sa.Column("last_checked", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_non_article_pages"),
        sa.UniqueConstraint("url", name="uq_non_article_pages_url"),
    )


def downgrade() -> None:
    op.drop_table("non_article_pages")
