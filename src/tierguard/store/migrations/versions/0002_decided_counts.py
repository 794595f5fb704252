"""scans.decided: how many of a scan's assets carry a decision, so a deep page of the decisions listing skips
whole scans by their counts (as the assets listing does with scans.assets) instead of walking 50,000 rows.
Existing scans are backfilled from their asset rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite has one for a NOT NULL column with a constant default): no table copy
    op.add_column("scans", sa.Column("decided", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.execute(
        "UPDATE scans SET decided = (SELECT count(*) FROM assets WHERE assets.scan_id = scans.id "
        "AND coalesce(assets.verdict, '') != '')"
    )


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("decided")
