"""Review tasks (work for moderators) and decisions (their verdicts, which are the labels)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listingguard.db import Base
from listingguard.listings.models import ListingRevision

TASK_KINDS = ("enforcement", "evaluation", "exploration")
TASK_PURPOSES = ("primary", "second_review", "appeal")
TASK_STATUSES = ("open", "claimed", "decided", "cancelled")


class ReviewTask(Base):
    """One listing waiting for a human.

    ``kind`` is why it is reviewed: ``enforcement`` (the system suspects it), ``evaluation`` (a backtest or
    experiment needs a blind label: no scores or model shown) or ``exploration`` (a random sample of
    listings nobody flagged, drawn with probability ``inclusion_probability``, kept for unbiased recall).
    ``purpose`` is ``primary``, ``second_review`` (agreement measurement) or ``appeal``.
    """

    __tablename__ = "review_tasks"
    __table_args__ = (
        Index("ix_review_tasks_queue", "status", "priority", "created_at"),
        # Hand-out order over open and claimed tasks only (migration 0003): a claim reads one index entry
        # instead of sorting the backlog.
        Index(
            "ix_review_tasks_claimable",
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text("status IN ('open', 'claimed')"),
            sqlite_where=text("status IN ('open', 'claimed')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id"), index=True)
    listing_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default="primary")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics_key: Mapped[str] = mapped_column(String(512), default="")  # ",a,b," for portable LIKE filters
    priority: Mapped[float] = mapped_column(Float)
    inclusion_probability: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(64), default="screening")
    status: Mapped[str] = mapped_column(String(16), default="open")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    excluded_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("review_tasks.id"), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    revision: Mapped[ListingRevision] = relationship("ListingRevision")


class Decision(Base):
    """A moderator's verdict on a task: violated topics (empty list = ``ok``). Append-only."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("review_tasks.id"), unique=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id"), index=True)
    listing_id: Mapped[str] = mapped_column(String(128), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    ok: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    inclusion_probability: Mapped[float] = mapped_column(Float)
    claim_token: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    task: Mapped[ReviewTask] = relationship("ReviewTask")
