"""Ingest and screen: the orchestration shared by the HTTP API and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from listingguard.listings import service as listings_service
from listingguard.listings.batch import ListingBatch
from listingguard.listings.schemas import ListingIn
from listingguard.screening import service as screening_service
from listingguard.screening.pipeline import Screener, ScreeningResult


def ingest_and_screen(
    db_session: Session,
    *,
    screener: Screener,
    listings: Sequence[ListingIn],
    explain: bool = True,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Store listings, screen new and changed ones, record predictions and actions.

    Returns one JSON record per input listing (in order) with ``status`` (created, revised, unchanged),
    ``revision`` and the action with its reasons. Nothing is committed here: the caller's transaction
    either keeps all of it or none of it.
    """
    now = now or datetime.now(UTC)
    outcomes = listings_service.ingest(db_session, listings=listings, now=now)
    fresh = [o for o in outcomes if o.needs_screening]
    results: dict[int, ScreeningResult] = {}
    if fresh:
        screened = screener.screen(ListingBatch.from_listings([o.listing for o in fresh]), explain=explain)
        screening_service.record(db_session, revisions=[o.revision for o in fresh], results=screened, now=now)
        results = {id(o.revision): r for o, r in zip(fresh, screened, strict=True)}
    out = []
    for outcome in outcomes:
        result = results.get(id(outcome.revision))  # a repeat within the batch shares its revision
        if result is not None:
            record = result.to_record()
        else:
            action = screening_service.latest_action(db_session, revision_id=outcome.revision.id)
            record = (
                screening_service.action_record(action, outcome.revision)
                if action is not None
                else {"id": outcome.listing.id, "action": None}
            )
        record["status"] = outcome.status
        record["revision"] = outcome.revision.revision
        out.append(record)
    return out
