"""Humans in the loop: users, API tokens, review tasks, decisions (append-only), audit log (append-only).

Revision ID: 0002_review
Revises: 0001_core
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listingguard.migrations.triggers import drop_append_only, make_append_only

revision = "0002_review"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_api_tokens_user_id_users"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_used_at", TZ),
        sa.Column("revoked_at", TZ),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "review_tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "revision_id",
            sa.Integer,
            sa.ForeignKey("listing_revisions.id", name="fk_review_tasks_revision_id_listing_revisions"),
            nullable=False,
        ),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("topics_key", sa.String(512), nullable=False),
        sa.Column("priority", sa.Float, nullable=False),
        sa.Column("inclusion_probability", sa.Float, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.Integer, sa.ForeignKey("users.id", name="fk_review_tasks_claimed_by_users")),
        sa.Column("claim_token", sa.String(36)),
        sa.Column("lease_expires_at", TZ),
        sa.Column(
            "excluded_user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_review_tasks_excluded_user_id_users")
        ),
        sa.Column(
            "parent_task_id",
            sa.Integer,
            sa.ForeignKey("review_tasks.id", name="fk_review_tasks_parent_task_id_review_tasks"),
        ),
        sa.Column("message", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
    )
    op.create_index("ix_review_tasks_revision_id", "review_tasks", ["revision_id"])
    op.create_index("ix_review_tasks_listing_id", "review_tasks", ["listing_id"])
    op.create_index("ix_review_tasks_queue", "review_tasks", ["status", "priority", "created_at"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "task_id",
            sa.Integer,
            sa.ForeignKey("review_tasks.id", name="fk_decisions_task_id_review_tasks"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "revision_id",
            sa.Integer,
            sa.ForeignKey("listing_revisions.id", name="fk_decisions_revision_id_listing_revisions"),
            nullable=False,
        ),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column(
            "reviewer_id", sa.Integer, sa.ForeignKey("users.id", name="fk_decisions_reviewer_id_users"), nullable=False
        ),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("inclusion_probability", sa.Float, nullable=False),
        sa.Column("claim_token", sa.String(36), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_decisions_revision_id", "decisions", ["revision_id"])
    op.create_index("ix_decisions_listing_id", "decisions", ["listing_id"])
    op.create_index("ix_decisions_reviewer_id", "decisions", ["reviewer_id"])
    op.create_index("ix_decisions_created_at", "decisions", ["created_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(128), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_entity_id", "audit_log", ["entity_id"])
    make_append_only("decisions")
    make_append_only("audit_log")


def downgrade() -> None:
    drop_append_only("audit_log")
    drop_append_only("decisions")
    op.drop_table("audit_log")
    op.drop_table("decisions")
    op.drop_table("review_tasks")
    op.drop_table("api_tokens")
    op.drop_table("users")
