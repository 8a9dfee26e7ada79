"""Turning moderators' decisions into a training set: the feedback loop.

Each decided primary or appeal task is one labelled listing (the latest decision wins when a listing was
appealed). Every label keeps the inclusion probability of its task: enforcement tasks were chosen by the
system (probability 1), exploration tasks at random with probability pi, so training weights each
exploration label by 1/pi and the model learns about the unflagged population without bias.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listingguard.errors import Invalid
from listingguard.listings import service as listings_service
from listingguard.listings.models import ListingRevision
from listingguard.review.models import Decision


@dataclass(slots=True)
class DecisionTrainingSet:
    """Labelled listings from decisions, with their sampling weights and where they came from."""

    records: list[dict[str, Any]]
    weights: list[float]
    lineage: dict[str, Any]
    sha256: str


def from_decisions(db_session: Session, *, since: datetime, until: datetime | None = None) -> DecisionTrainingSet:
    """Decisions made in ``[since, until)`` as training records (interchange format) and 1/pi weights."""
    query = (
        select(Decision, ListingRevision)
        .join(ListingRevision, ListingRevision.id == Decision.revision_id)
        .where(Decision.created_at >= since, Decision.purpose.in_(("primary", "appeal")))
        .order_by(Decision.id)
    )
    if until is not None:
        query = query.where(Decision.created_at < until)
    latest: dict[int, tuple[Decision, ListingRevision]] = {}
    for decision, revision in db_session.execute(query).all():
        latest[revision.id] = (decision, revision)  # ordered by id: a later decision (appeal) replaces earlier
    if not latest:
        window = f"since {since.isoformat()}" + (f" until {until.isoformat()}" if until else "")
        raise Invalid(f"no decisions {window}; review some tasks first or choose an earlier --since")
    records: list[dict[str, Any]] = []
    weights: list[float] = []
    digest = hashlib.sha256()
    kinds: dict[str, int] = {}
    for decision, revision in latest.values():
        records.append({**listings_service.revision_record(revision), "labels": list(decision.topics)})
        weights.append(1.0 / max(decision.inclusion_probability, 1e-6))
        kinds[decision.kind] = kinds.get(decision.kind, 0) + 1
        digest.update(f"{decision.id}:{decision.revision_id}:{','.join(decision.topics)};".encode())
    lineage = {
        "decision_window": {"since": since.isoformat(), "until": until.isoformat() if until else None},
        "decisions": len(records),
        "decisions_by_kind": kinds,
        "weighting": "each label weighted by 1/pi, its task's inclusion probability",
    }
    return DecisionTrainingSet(records=records, weights=weights, lineage=lineage, sha256=digest.hexdigest())
