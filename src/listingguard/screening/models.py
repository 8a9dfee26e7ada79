"""Append-only records of what the system thought (predictions) and did (actions).

Rows are never updated or deleted (database triggers refuse it), so any past decision can be traced to the
model, rule-set and policy versions that produced it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listingguard.db import Base

if TYPE_CHECKING:
    from listingguard.listings.models import ListingRevision

APPEND_ONLY_TABLES = ("predictions", "actions")


class Prediction(Base):
    """One topic's score for one listing revision, from one model version and rule set."""

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    rule_set_version: Mapped[str] = mapped_column(String(80))
    bundle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="production", server_default="production")
    fired_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    revision: Mapped[ListingRevision] = relationship("ListingRevision")


class Action(Base):
    """What the policy did with a listing revision, with every reason and version behind it."""

    __tablename__ = "actions"
    # (revision_id, id): a revision's latest action in one index step (migration 0004).
    __table_args__ = (Index("ix_actions_revision_id_id", "revision_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id"))
    listing_id: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(16), index=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    rule_set_version: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(80))
    bundle_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    revision: Mapped[ListingRevision] = relationship("ListingRevision")
