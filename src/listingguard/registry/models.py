"""Registry tables: what was registered (versions), what serves (bundles), and which bundle each alias names.

Versions and bundles are immutable once written. An alias is the one mutable thing, and every move of it is
an append-only ``alias_events`` row (database triggers refuse UPDATE and DELETE), so "which bundle served
production at 10:00 on 20 November, who put it there and why" always has an answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from listingguard.db import Base

ALIASES = ("production", "candidate", "shadow")


class ModelVersion(Base):
    """A registered model directory: its content hash, where the artifact lives, and its manifest."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    uri: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="trained")  # trained | zero_shot
    topics: Mapped[list[str]] = mapped_column(JSON)
    topics_key: Mapped[str] = mapped_column(String(1024))  # ",a,b," for portable LIKE filters
    author: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    parent_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    feature_key: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(64))


class RuleSetVersion(Base):
    """A registered rule-set directory (its version is the hash of its files)."""

    __tablename__ = "rule_set_versions"

    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    uri: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(64))


class PolicyVersion(Base):
    """A registered policy file (its version is the hash of its bytes)."""

    __tablename__ = "policy_versions"

    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    uri: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(80))
    parent: Mapped[str | None] = mapped_column(String(80), nullable=True)
    topics: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(64))


class Bundle(Base):
    """What serves: a model version (or none: rules only) + a rule-set version + a policy version.

    The id is a hash of the three versions, so the same three always make the same bundle, registered or not.
    """

    __tablename__ = "bundles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_version: Mapped[str | None] = mapped_column(ForeignKey("model_versions.version"), nullable=True, index=True)
    rule_set_version: Mapped[str] = mapped_column(ForeignKey("rule_set_versions.version"))
    policy_version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Alias(Base):
    """A movable name on a bundle. ``generation`` grows by one with every move (servers poll it)."""

    __tablename__ = "aliases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    bundle_id: Mapped[str | None] = mapped_column(ForeignKey("bundles.id"), nullable=True)  # None: cleared
    generation: Mapped[int] = mapped_column(Integer)
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moved_by: Mapped[str] = mapped_column(String(64))


class AliasEvent(Base):
    """One move of an alias: from what, to what, by whom, when, why, on what evidence. Append-only."""

    __tablename__ = "alias_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alias: Mapped[str] = mapped_column(String(32), index=True)
    from_bundle: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_bundle: Mapped[str | None] = mapped_column(ForeignKey("bundles.id"), nullable=True)
    generation: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # promote | rollback | first | override | clear
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
