"""Core schema: listings, revisions, append-only predictions and actions.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listingguard.migrations.triggers import drop_append_only, make_append_only

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("current_revision", sa.Integer, nullable=False),
        sa.Column("first_seen_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_listings_seller_id", "listings", ["seller_id"])
    op.create_table(
        "listing_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "listing_id",
            sa.String(128),
            sa.ForeignKey("listings.id", name="fk_listing_revisions_listing_id_listings"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("price", sa.Float, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("brand", sa.String(100)),
        sa.Column("condition", sa.String(20)),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("image_refs", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("labels", sa.JSON),
        sa.Column("meta", sa.JSON),
        sa.UniqueConstraint("listing_id", "revision", name="uq_listing_revisions_listing_revision"),
    )
    op.create_index("ix_listing_revisions_listing_id", "listing_revisions", ["listing_id"])
    op.create_index("ix_listing_revisions_content_hash", "listing_revisions", ["content_hash"])
    op.create_index("ix_listing_revisions_category", "listing_revisions", ["category"])
    op.create_index("ix_listing_revisions_created_at", "listing_revisions", ["created_at"])
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "revision_id",
            sa.Integer,
            sa.ForeignKey("listing_revisions.id", name="fk_predictions_revision_id_listing_revisions"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("model_version", sa.String(80)),
        sa.Column("rule_set_version", sa.String(80), nullable=False),
        sa.Column("fired_rules", sa.JSON, nullable=False),
        sa.Column("explanation", sa.JSON),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_predictions_revision_id", "predictions", ["revision_id"])
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "revision_id",
            sa.Integer,
            sa.ForeignKey("listing_revisions.id", name="fk_actions_revision_id_listing_revisions"),
            nullable=False,
        ),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("model_version", sa.String(80)),
        sa.Column("rule_set_version", sa.String(80), nullable=False),
        sa.Column("policy_version", sa.String(80), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_actions_revision_id", "actions", ["revision_id"])
    op.create_index("ix_actions_listing_id", "actions", ["listing_id"])
    op.create_index("ix_actions_action", "actions", ["action"])
    op.create_index("ix_actions_created_at", "actions", ["created_at"])
    make_append_only("predictions")
    make_append_only("actions")


def downgrade() -> None:
    drop_append_only("actions")
    drop_append_only("predictions")
    op.drop_table("actions")
    op.drop_table("predictions")
    op.drop_table("listing_revisions")
    op.drop_table("listings")
