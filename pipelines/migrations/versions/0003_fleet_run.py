"""crawl_runs.fleet_run: the fleet run a worker's run belonged to (fleet mode, REDIS_URL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("fleet_run", sa.String(64)))
        batch.create_index("ix_crawl_runs_fleet_run", ["fleet_run"])


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_index("ix_crawl_runs_fleet_run")
        batch.drop_column("fleet_run")
