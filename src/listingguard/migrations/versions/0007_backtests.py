"""Backtests: one row per backtest, one per listing revision of its window.

Revision ID: 0007_backtests
Revises: 0006_registry
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_backtests"
down_revision = "0006_registry"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "candidate_bundle",
            sa.String(40),
            sa.ForeignKey("bundles.id", name="fk_backtests_candidate_bundle_bundles"),
            nullable=False,
        ),
        sa.Column("production_bundles", sa.JSON, nullable=False),
        sa.Column("window_start", TZ, nullable=False),
        sa.Column("window_end", TZ, nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("label_budget", sa.Integer, nullable=False),
        sa.Column("exploration", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("listings", sa.Integer, nullable=False),
        sa.Column("thresholds", sa.JSON, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("planned_at", TZ),
        sa.UniqueConstraint("candidate_bundle", "window_start", "window_end", name="uq_backtests_window"),
    )
    op.create_index("ix_backtests_candidate_bundle", "backtests", ["candidate_bundle"])
    op.create_table(
        "backtest_items",
        sa.Column(
            "backtest_id",
            sa.Integer,
            sa.ForeignKey("backtests.id", name="fk_backtest_items_backtest_id_backtests"),
            primary_key=True,
        ),
        sa.Column(
            "revision_id",
            sa.Integer,
            sa.ForeignKey("listing_revisions.id", name="fk_backtest_items_revision_id_listing_revisions"),
            primary_key=True,
        ),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("production_mask", sa.Integer, nullable=False),
        sa.Column("matched_mask", sa.Integer, nullable=False),
        sa.Column("own_mask", sa.Integer, nullable=False),
        sa.Column("scores", sa.LargeBinary, nullable=False),
        sa.Column("stratum", sa.Integer),
        sa.Column("sampled", sa.Boolean, nullable=False),
        sa.Column("inclusion_probability", sa.Float),
        sa.Column(
            "task_id", sa.Integer, sa.ForeignKey("review_tasks.id", name="fk_backtest_items_task_id_review_tasks")
        ),
    )


def downgrade() -> None:
    op.drop_table("backtest_items")
    op.drop_index("ix_backtests_candidate_bundle", table_name="backtests")
    op.drop_table("backtests")
