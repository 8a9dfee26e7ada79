"""An index that finds a revision's latest action in one step, whatever the table statistics say.

``screening.service.latest_action`` asks for ``WHERE revision_id = ? ORDER BY id DESC LIMIT 1`` (every
re-sent listing runs it). With only an index on ``revision_id``, PostgreSQL without table statistics (a
fresh import, before autovacuum's first ANALYZE) estimated many matches per revision and walked the
primary key backwards, filtering row by row: measured, re-ingesting stored listings ran at 32 listings/s
instead of 500/s. An index on ``(revision_id, id)`` serves the filter and the order at once, so no
estimate can make another plan cheaper. It also serves every lookup the single-column index did (the
foreign key, the task page's action history), which it replaces. ``db.migrate`` runs ANALYZE afterwards.

Revision ID: 0004_latest_action_index
Revises: 0003_claim_index
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004_latest_action_index"
down_revision = "0003_claim_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_actions_revision_id_id", "actions", ["revision_id", "id"])
    op.drop_index("ix_actions_revision_id", table_name="actions")


def downgrade() -> None:
    op.create_index("ix_actions_revision_id", "actions", ["revision_id"])
    op.drop_index("ix_actions_revision_id_id", table_name="actions")
