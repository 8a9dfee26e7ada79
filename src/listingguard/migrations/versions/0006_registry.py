"""The registry: model, rule-set and policy versions, bundles, aliases with their history; bundles on actions.

Every action and prediction row from now on names the bundle that produced it, and a prediction its role
(``production``, or ``shadow``/``treatment`` for bundles that score beside production without acting).
Rows written before this migration keep ``bundle_id`` null and count as ``production``.

Revision ID: 0006_registry
Revises: 0005_web_sessions
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listingguard.migrations.triggers import drop_append_only, make_append_only

revision = "0006_registry"
down_revision = "0005_web_sessions"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("topics_key", sa.String(1024), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("parent_version", sa.String(80)),
        sa.Column("feature_key", sa.String(64), nullable=False),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_model_versions_author", "model_versions", ["author"])
    op.create_index("ix_model_versions_created_at", "model_versions", ["created_at"])
    op.create_table(
        "rule_set_versions",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("parent", sa.String(80)),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "bundles",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "model_version",
            sa.String(80),
            sa.ForeignKey("model_versions.version", name="fk_bundles_model_version_model_versions"),
        ),
        sa.Column(
            "rule_set_version",
            sa.String(80),
            sa.ForeignKey("rule_set_versions.version", name="fk_bundles_rule_set_version_rule_set_versions"),
            nullable=False,
        ),
        sa.Column(
            "policy_version",
            sa.String(80),
            sa.ForeignKey("policy_versions.version", name="fk_bundles_policy_version_policy_versions"),
            nullable=False,
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_bundles_model_version", "bundles", ["model_version"])
    op.create_table(
        "aliases",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("bundle_id", sa.String(40), sa.ForeignKey("bundles.id", name="fk_aliases_bundle_id_bundles")),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("moved_at", TZ, nullable=False),
        sa.Column("moved_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "alias_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alias", sa.String(32), nullable=False),
        sa.Column("from_bundle", sa.String(40)),
        sa.Column("to_bundle", sa.String(40), sa.ForeignKey("bundles.id", name="fk_alias_events_to_bundle_bundles")),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_alias_events_alias", "alias_events", ["alias"])
    op.create_index("ix_alias_events_at", "alias_events", ["at"])
    make_append_only("alias_events")
    # Plain ALTER TABLE (not batch mode): SQLite can add a nullable column in place, and a batch rebuild
    # would drop the append-only triggers of these tables.
    op.add_column("actions", sa.Column("bundle_id", sa.String(40)))
    op.create_index("ix_actions_bundle_id", "actions", ["bundle_id"])
    op.add_column("predictions", sa.Column("bundle_id", sa.String(40)))
    op.add_column("predictions", sa.Column("role", sa.String(16), nullable=False, server_default="production"))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:  # SQLite rebuilds the table: restore its triggers after
        batch.drop_column("role")
        batch.drop_column("bundle_id")
    op.drop_index("ix_actions_bundle_id", table_name="actions")
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("bundle_id")
    if op.get_bind().dialect.name == "sqlite":
        drop_append_only("predictions")
        drop_append_only("actions")
        make_append_only("predictions")
        make_append_only("actions")
    drop_append_only("alias_events")
    op.drop_table("alias_events")
    op.drop_table("aliases")
    op.drop_table("bundles")
    op.drop_table("policy_versions")
    op.drop_table("rule_set_versions")
    op.drop_table("model_versions")
