"""Ingest and screen: the orchestration shared by the HTTP API and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from listingguard.listings import service as listings_service
from listingguard.listings.batch import ListingBatch
from listingguard.listings.schemas import ListingIn
from listingguard.review import service as review_service
from listingguard.screening import service as screening_service
from listingguard.screening.deployment import Deployment
from listingguard.screening.pipeline import Screener, ScreeningResult


def ingest_and_screen(
    db_session: Session,
    *,
    screener: Screener | Deployment,
    listings: Sequence[ListingIn],
    explain: bool = True,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Store listings, screen new and changed ones, record predictions and actions.

    ``screener`` is a deployment (production, which acts, and arms such as a shadow, which only record
    their predictions) or a single screener (a fixed deployment of one bundle). Returns one JSON record per
    input listing (in order) with ``status`` (created, revised, unchanged), ``revision`` and the action with
    its reasons and versions (the bundle included). Nothing is committed here: the caller's transaction
    either keeps all of it or none of it.
    """
    now = now or datetime.now(UTC)
    deployment = screener if isinstance(screener, Deployment) else Deployment(production=screener)
    # Screen before touching the database: screening is pure CPU, and on SQLite the transaction holds the
    # write lock, so doing it first keeps the lock (and any row locks on PostgreSQL) as short as possible.
    # A re-sent unchanged listing is screened for nothing, which is cheaper than holding the lock longer.
    screened, observed = deployment.screen(ListingBatch.from_listings(list(listings)), explain=explain)
    outcomes = listings_service.ingest(db_session, listings=listings, now=now)
    fresh_at = [i for i, o in enumerate(outcomes) if o.needs_screening]
    fresh = [(outcomes[i], screened[i]) for i in fresh_at]
    results: dict[int, ScreeningResult] = {}
    bundle = deployment.bundle_id
    if fresh:
        revisions = [o.revision for o, _ in fresh]
        fresh_results = [r for _, r in fresh]
        screening_service.record(db_session, revisions=revisions, results=fresh_results, bundle_id=bundle, now=now)
        for arm_results in observed:  # arms record predictions only: they never act and create no task
            screening_service.record_predictions(
                db_session,
                revisions=revisions,
                results=[arm_results.results[i] for i in fresh_at],
                bundle_id=arm_results.arm.bundle_id,
                role=arm_results.arm.role,
                now=now,
            )
        review_service.create_for_screening(
            db_session,
            revisions=revisions,
            results=fresh_results,
            sampling_policy=deployment.production.policy.spec.sampling,
            now=now,
        )
        results = {id(o.revision): r for o, r in fresh}
    out = []
    for outcome in outcomes:
        result = results.get(id(outcome.revision))  # a repeat within the batch shares its revision
        if result is not None:
            record = result.to_record()
            record["versions"]["bundle"] = bundle
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
