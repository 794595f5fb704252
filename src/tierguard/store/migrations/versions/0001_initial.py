"""The initial schema: targets, scans (with the compressed ScanResult document), assets, usages, decisions,
decision_rules, findings and the indexes of the list filters (see tierguard/store/tables.py).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


# size: the whole initial schema, one table after another, reads as the schema does in tables.py
def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        sa.Column("last_ok_scan_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_targets_name")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_last_ok_scan_id"), ["last_ok_scan_id"], unique=False)

    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("estate", sa.Text(), nullable=True),
        sa.Column("revision", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("command", sa.String(length=16), nullable=False),
        sa.Column("started", sa.String(length=40), nullable=False),
        sa.Column("finished", sa.String(length=40), nullable=False),
        sa.Column("recorded", sa.String(length=40), nullable=False),
        sa.Column("worst_verdict", sa.String(length=8), nullable=True),
        sa.Column("assets", sa.Integer(), nullable=False),
        sa.Column("denies", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.String(length=16), nullable=False),
        sa.Column("codec", sa.String(length=8), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_scans_target_id_targets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scans_estate_revision_status"), ["estate", "revision", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_scans_status_id"), ["status", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scans_target_id_status_id"), ["target_id", "status", "id"], unique=False
        )

    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("use_mode", sa.String(length=32), nullable=False),
        sa.Column("producer", sa.Text(), nullable=True),
        sa.Column("jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("service_jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("usages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_assets_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        for cols in (
            ["scan_id", "asset_id"],
            ["scan_id", "kind", "verdict"],
            ["scan_id", "verdict"],
            ["scan_id", "producer", "verdict"],
            ["scan_id", "jurisdiction", "verdict"],
            ["scan_id", "service_jurisdiction", "jurisdiction", "verdict"],
            ["scan_id", "search"],
        ):
            batch_op.create_index(batch_op.f("ix_assets_" + "_".join(cols)), cols, unique=False)

    op.create_table(
        "decision_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_decision_rules_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_rules")),
    )
    with op.batch_alter_table("decision_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_rules_scan_id_rule_id_asset_id"),
            ["scan_id", "rule_id", "asset_id"],
            unique=False,
        )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("asset_name", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("waived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_decisions_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decisions_scan_id_asset_id"), ["scan_id", "asset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_decisions_scan_id_verdict"), ["scan_id", "verdict"], unique=False
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("asset_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_findings_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_findings_scan_id_asset_id"), ["scan_id", "asset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_findings_scan_id_rule_id"), ["scan_id", "rule_id"], unique=False)

    op.create_table(
        "usages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("use_mode", sa.String(length=32), nullable=False),
        sa.Column("strength", sa.String(length=1), nullable=False),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("service_jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("host", sa.Text(), nullable=True),
        sa.Column("user", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_usages_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usages")),
    )
    with op.batch_alter_table("usages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usages_scan_id_asset_id"), ["scan_id", "asset_id"], unique=False)


def downgrade() -> None:
    for table in ("usages", "findings", "decisions", "decision_rules", "assets", "scans", "targets"):
        op.drop_table(table)
