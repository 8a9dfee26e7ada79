"""A partial index that hands out the next review task without sorting the whole backlog.

Claiming asks for the claimable task with the highest priority, then the oldest. The first index
(status, priority, created_at) cannot serve that order for "open, or claimed with an expired lease", so
every claim sorted every open task. This index holds only open and claimed tasks, in hand-out order; decided
and cancelled tasks (the vast majority over time) are not in it at all.

Revision ID: 0003_claim_index
Revises: 0002_review
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_claim_index"
down_revision = "0002_review"
branch_labels = None
depends_on = None

WHERE = sa.text("status IN ('open', 'claimed')")


def upgrade() -> None:
    op.create_index(
        "ix_review_tasks_claimable",
        "review_tasks",
        [sa.text("priority DESC"), "created_at", "id"],
        postgresql_where=WHERE,
        sqlite_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_review_tasks_claimable", table_name="review_tasks")
