"""Listing storage: idempotent ingestion with content revisions.

Re-sending a listing with the same id and content changes nothing; changed content becomes a new revision
(and is screened again). Services only ``flush()``; the caller (HTTP request, CLI chunk) owns the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select, update
from sqlalchemy.orm import Session

from listingguard.db import insert_new, insert_returning_ids, table_of
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


def revision_record(revision: ListingRevision) -> dict[str, Any]:
    """A stored revision in the interchange format (plus its revision number), as the API shows it."""
    return {
        "id": revision.listing_id,
        "revision": revision.revision,
        "title": revision.title,
        "description": revision.description,
        "price": revision.price,
        "currency": revision.currency,
        "category": revision.category,
        "brand": revision.brand,
        "condition": revision.condition,
        "seller_id": revision.seller_id,
        "image_refs": revision.image_refs,
        "created_at": _as_utc(revision.created_at).isoformat(),
    }


def _as_utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite returns them without a zone, PostgreSQL with one. Always with it here,
    so records from the database mix with records from files (training on both sorts them by time)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _current_revision_query(matches: ColumnElement[bool]) -> Select[Any]:
    revisions = table_of(ListingRevision)
    listings = table_of(Listing)
    return (
        select(revisions.c.id, revisions.c.listing_id, revisions.c.revision, revisions.c.content_hash)
        .join(
            listings,
            and_(listings.c.id == revisions.c.listing_id, listings.c.current_revision == revisions.c.revision),
        )
        .where(matches)
    )


_CURRENT_ONE = _current_revision_query(table_of(Listing).c.id == bindparam("listing_id"))
_CURRENT_MANY = _current_revision_query(table_of(Listing).c.id.in_(bindparam("listing_ids", expanding=True)))


def _current_revisions(db_session: Session, ids: Sequence[str]) -> dict[str, ListingRevision]:
    """The current revision of each known id, as detached rows holding only what ingestion compares.

    A Core query: this runs on every request of the HTTP path, where loading full ORM objects cost more
    than the screening.
    """
    found: dict[str, ListingRevision] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        # One id (the HTTP path) compares with `=` in a statement built once: an IN list is re-rendered
        # on every execution and, its length varying, never becomes a prepared statement.
        if len(part) == 1:
            rows = db_session.execute(_CURRENT_ONE, {"listing_id": part[0]})
        else:
            rows = db_session.execute(_CURRENT_MANY, {"listing_ids": part})
        for row in rows:
            found[row.listing_id] = ListingRevision(
                id=row.id, listing_id=row.listing_id, revision=row.revision, content_hash=row.content_hash
            )
    return found


def _revision_values(listing: ListingIn, *, number: int, content_hash: str, now: datetime) -> dict[str, object]:
    return {
        "listing_id": listing.id,
        "revision": number,
        "content_hash": content_hash,
        "title": listing.title,
        "description": listing.description,
        "price": listing.price,
        "currency": listing.currency,
        "category": listing.category,
        "brand": listing.brand,
        "condition": listing.condition.value if listing.condition else None,
        "seller_id": listing.seller_id,
        "image_refs": list(listing.image_refs),
        "created_at": listing.created_at,
        "received_at": now,
        "labels": listing.labels,
        "meta": listing.meta,
    }


def _revision_numbers(
    listings: Sequence[ListingIn], hashes: Sequence[str], latest: dict[str, tuple[int, str]]
) -> list[tuple[int, bool]]:
    """Each listing's revision number, in order, and whether it is new content (else unchanged).

    ``latest`` holds the current ``(revision, content hash)`` of the ids the database knows; an id not in
    it starts at revision 1. A repeat within the batch compares with the one before it.
    """
    latest = dict(latest)
    out: list[tuple[int, bool]] = []
    for listing, content_hash in zip(listings, hashes, strict=True):
        previous = latest.get(listing.id)
        if previous is not None and previous[1] == content_hash:
            out.append((previous[0], False))
            continue
        number = previous[0] + 1 if previous is not None else 1
        latest[listing.id] = (number, content_hash)
        out.append((number, True))
    return out


def ingest(db_session: Session, *, listings: Sequence[ListingIn], now: datetime) -> list[IngestOutcome]:
    """Store new listings and new revisions of changed ones; report what happened to each, in order.

    Uses bulk Core statements (one per table) rather than the ORM unit of work: on the single-listing
    HTTP path the ORM's bookkeeping cost more than the screening itself. The listing rows of ids the
    database does not know are inserted first, skipping ids it knows (:func:`insert_new`), so a new
    listing, the common case, is stored without first looking for it: two statements instead of three.
    Only the ids that were skipped are looked up.
    """
    hashes = [listing.content_hash() for listing in listings]
    # Each id's row as if it were new: its current revision is the last number it gets in this batch.
    new_rows: dict[str, dict[str, object]] = {}
    for listing, (number, _) in zip(listings, _revision_numbers(listings, hashes, {}), strict=True):
        row = new_rows.setdefault(
            listing.id, {"id": listing.id, "seller_id": listing.seller_id, "first_seen_at": now, "updated_at": now}
        )
        row["current_revision"] = number
    # Rows in id order, here and for the updates below: two batches that share ids then lock them in
    # the same order on PostgreSQL and cannot deadlock.
    created = insert_new(db_session, Listing, [new_rows[i] for i in sorted(new_rows)])
    current = _current_revisions(db_session, sorted(new_rows.keys() - created))
    numbers = _revision_numbers(listings, hashes, {k: (v.revision, v.content_hash) for k, v in current.items()})
    moved: dict[str, int] = {}
    pending: list[tuple[ListingIn, dict[str, object] | None, int]] = []
    for listing, content_hash, (number, fresh) in zip(listings, hashes, numbers, strict=True):
        if not fresh:
            pending.append((listing, None, number))
            continue
        if listing.id not in created:  # the listing row exists: point it at the new revision
            moved[listing.id] = number
        pending.append((listing, _revision_values(listing, number=number, content_hash=content_hash, now=now), number))
    for listing_id, number in sorted(moved.items()):
        db_session.execute(
            update(Listing).where(Listing.id == listing_id).values(current_revision=number, updated_at=now)
        )
    rows = [row for _, row, _ in pending if row is not None]
    ids = insert_returning_ids(db_session, ListingRevision, rows)
    outcomes: list[IngestOutcome] = []
    made = iter(ids)
    by_key: dict[tuple[str, int], ListingRevision] = {}
    for listing, inserted, number in pending:
        if inserted is None:
            known = by_key.get((listing.id, number)) or current[listing.id]
            outcomes.append(IngestOutcome(listing, known, "unchanged"))
            continue
        revision = ListingRevision(id=next(made), **inserted)  # a detached record of what was inserted
        by_key[(listing.id, number)] = revision
        status = "created" if number == 1 else "revised"
        outcomes.append(IngestOutcome(listing, revision, status))
    return outcomes
