"""Baseline: the schema newscrawl 0.1 created with metadata.create_all, before migrations.

Databases made by that release have no alembic_version table; ``pipelines.migrate``
stamps them with this revision and upgrades them from here. Its tables were articles,
article_urls, article_revisions, crawl_runs, crawl_locks, minhash_bands and
minhash_signatures (tests/fixtures/schema_v0 has their DDL).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to do: such databases already have these tables


def downgrade() -> None:
    pass
