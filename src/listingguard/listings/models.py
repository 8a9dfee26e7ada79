"""Listing tables: one row per listing id, one row per distinct content revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listingguard.db import Base


class Listing(Base):
    """A listing id as the marketplace knows it, pointing at its latest revision."""

    __tablename__ = "listings"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(128), index=True)
    current_revision: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    revisions: Mapped[list[ListingRevision]] = relationship(
        "ListingRevision", back_populates="listing", order_by="ListingRevision.revision"
    )


class ListingRevision(Base):
    """One version of a listing's content. A new revision is created only when the content changes."""

    __tablename__ = "listing_revisions"
    __table_args__ = (UniqueConstraint("listing_id", "revision", name="uq_listing_revisions_listing_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    price: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(100), index=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    condition: Mapped[str | None] = mapped_column(String(20))
    seller_id: Mapped[str] = mapped_column(String(128))
    image_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    labels: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    listing: Mapped[Listing] = relationship("Listing", back_populates="revisions")
