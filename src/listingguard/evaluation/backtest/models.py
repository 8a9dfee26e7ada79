"""Backtest tables: one row per backtest, one row per listing revision of its window.

A backtest's items are written chunk by chunk while the candidate replays the window (each chunk its own
transaction, so an interrupted replay resumes where it stopped); its sample, its strata and its
evaluation tasks are written in one transaction at the end of the replay, so a backtest either has all
of its tasks or none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from listingguard.db import Base

STATUSES = ("replaying", "labelling")


class Backtest(Base):
    """A candidate bundle replayed on a past window, compared with what served then."""

    __tablename__ = "backtests"
    __table_args__ = (UniqueConstraint("candidate_bundle", "window_start", "window_end", name="uq_backtests_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_bundle: Mapped[str] = mapped_column(ForeignKey("bundles.id"), index=True)
    production_bundles: Mapped[list[str]] = mapped_column(JSON, default=list)  # what served in the window
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    topics: Mapped[list[str]] = mapped_column(JSON)
    label_budget: Mapped[int] = mapped_column(Integer)
    exploration: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    listings: Mapped[int] = mapped_column(Integer, default=0)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BacktestItem(Base):
    """One listing revision of a backtest's window: who flagged which topic, the scores, its stratum.

    Topic flags are bit masks over the backtest's ``topics`` (bit ``j`` = ``topics[j]``); ``scores`` holds
    float32 production scores then candidate scores, one per topic.
    """

    __tablename__ = "backtest_items"

    backtest_id: Mapped[int] = mapped_column(ForeignKey("backtests.id"), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id"), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(128))
    production_mask: Mapped[int] = mapped_column(Integer)
    matched_mask: Mapped[int] = mapped_column(Integer, default=0)  # set at planning (needs every score)
    own_mask: Mapped[int] = mapped_column(Integer)
    scores: Mapped[bytes] = mapped_column(LargeBinary)
    stratum: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    inclusion_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("review_tasks.id"), nullable=True)
