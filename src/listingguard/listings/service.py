"""Listing storage: idempotent ingestion with content revisions.

Re-sending a listing with the same id and content changes nothing; changed content becomes a new revision
(and is screened again). Services only ``flush()``; the caller (HTTP request, CLI chunk) owns the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from listingguard.errors import NotFound
from listingguard.listings.models import Listing, ListingRevision
from listingguard.listings.schemas import ListingIn

CHUNK = 500


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What ingestion did with one listing: ``created``, ``revised`` or ``unchanged``."""

    listing: ListingIn
    revision: ListingRevision
    status: str

    @property
    def needs_screening(self) -> bool:
        return self.status != "unchanged"


def get(db_session: Session, *, listing_id: str) -> Listing | None:
    """The listing with this id, or None."""
    return db_session.get(Listing, listing_id)


def get_current_revision(db_session: Session, *, listing_id: str) -> ListingRevision | None:
    """The latest revision of a listing, or None."""
    return db_session.scalars(
        select(ListingRevision)
        .join(
            Listing,
            and_(Listing.id == ListingRevision.listing_id, Listing.current_revision == ListingRevision.revision),
        )
        .where(Listing.id == listing_id)
    ).first()


def get_current_revision_or_raise(db_session: Session, *, listing_id: str) -> ListingRevision:
    """The latest revision of a listing, or :class:`NotFound`."""
    revision = get_current_revision(db_session, listing_id=listing_id)
    if revision is None:
        raise NotFound(f"no listing with id {listing_id!r}")
    return revision


def _current_revisions(db_session: Session, ids: Sequence[str]) -> dict[str, ListingRevision]:
    found: dict[str, ListingRevision] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        rows = db_session.scalars(
            select(ListingRevision)
            .join(
                Listing,
                and_(Listing.id == ListingRevision.listing_id, Listing.current_revision == ListingRevision.revision),
            )
            .where(Listing.id.in_(part))
        )
        for row in rows:
            found[row.listing_id] = row
    return found


def _revision_row(listing: ListingIn, *, number: int, content_hash: str, now: datetime) -> ListingRevision:
    return ListingRevision(
        listing_id=listing.id,
        revision=number,
        content_hash=content_hash,
        title=listing.title,
        description=listing.description,
        price=listing.price,
        currency=listing.currency,
        category=listing.category,
        brand=listing.brand,
        condition=listing.condition.value if listing.condition else None,
        seller_id=listing.seller_id,
        image_refs=list(listing.image_refs),
        created_at=listing.created_at,
        received_at=now,
        labels=listing.labels,
        meta=listing.meta,
    )


def ingest(db_session: Session, *, listings: Sequence[ListingIn], now: datetime) -> list[IngestOutcome]:
    """Store new listings and new revisions of changed ones; report what happened to each, in order."""
    current = _current_revisions(db_session, sorted({x.id for x in listings}))
    parents = {x.listing_id: x for x in current.values()}
    known = (
        {row.id: row for row in db_session.scalars(select(Listing).where(Listing.id.in_(list(parents))))}
        if parents
        else {}
    )
    outcomes: list[IngestOutcome] = []
    for listing in listings:
        content_hash = listing.content_hash()
        previous = current.get(listing.id)
        if previous is not None and previous.content_hash == content_hash:
            outcomes.append(IngestOutcome(listing, previous, "unchanged"))
            continue
        number = previous.revision + 1 if previous is not None else 1
        revision = _revision_row(listing, number=number, content_hash=content_hash, now=now)
        parent = known.get(listing.id)
        if parent is None:
            parent = Listing(
                id=listing.id, seller_id=listing.seller_id, current_revision=number, first_seen_at=now, updated_at=now
            )
            db_session.add(parent)
            known[listing.id] = parent
        else:
            parent.current_revision = number
            parent.seller_id = listing.seller_id
            parent.updated_at = now
        db_session.add(revision)
        current[listing.id] = revision
        outcomes.append(IngestOutcome(listing, revision, "created" if previous is None else "revised"))
    db_session.flush()
    return outcomes
