"""Recording screening results: append-only prediction and action rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from listingguard.db import insert_returning_ids, insert_statement
from listingguard.listings.models import ListingRevision
from listingguard.screening.models import Action, Prediction
from listingguard.screening.pipeline import ScreeningResult


def _prediction_rows(
    revision: ListingRevision, result: ScreeningResult, *, bundle_id: str | None, role: str, now: datetime
) -> list[dict[str, Any]]:
    rules_by_topic: dict[str, list[str]] = {}
    for hit in result.rule_hits:
        rules_by_topic.setdefault(hit.topic, []).append(hit.rule_id)
    return [
        {
            "revision_id": revision.id,
            "topic": topic,
            "score": result.scores.get(topic),
            "model_version": result.model_version,
            "rule_set_version": result.rule_set_version,
            "bundle_id": bundle_id,
            "role": role,
            "fired_rules": sorted(set(rules_by_topic.get(topic, []))),
            "explanation": result.explanations.get(topic),
            "created_at": now,
        }
        for topic in sorted(set(result.scores) | set(rules_by_topic))
    ]


def record_predictions(
    db_session: Session,
    *,
    revisions: Sequence[ListingRevision],
    results: Sequence[ScreeningResult],
    bundle_id: str,
    role: str,
    now: datetime,
) -> None:
    """Insert the predictions of a bundle that observes without acting (``role`` shadow or treatment)."""
    rows = [
        row
        for revision, result in zip(revisions, results, strict=True)
        for row in _prediction_rows(revision, result, bundle_id=bundle_id, role=role, now=now)
    ]
    if rows:
        db_session.execute(insert_statement(Prediction), rows)


def record(
    db_session: Session,
    *,
    revisions: Sequence[ListingRevision],
    results: Sequence[ScreeningResult],
    now: datetime,
    bundle_id: str | None = None,
) -> list[int]:
    """Insert one prediction per scored or ruled topic and one action per listing; return the action ids.

    ``bundle_id`` names the production bundle that produced the results (every action row carries it).
    """
    prediction_rows: list[dict[str, Any]] = []
    action_rows: list[dict[str, Any]] = []
    for revision, result in zip(revisions, results, strict=True):
        prediction_rows.extend(_prediction_rows(revision, result, bundle_id=bundle_id, role="production", now=now))
        record_json = result.to_record()
        action_rows.append(
            {
                "revision_id": revision.id,
                "listing_id": revision.listing_id,
                "action": result.action,
                "topics": result.topics,
                "reasons": {
                    k: record_json[k] for k in ("reasons", "scores", "rules", "rule_hits", "priority", "explanations")
                },
                "model_version": result.model_version,
                "rule_set_version": result.rule_set_version,
                "policy_version": result.policy_version,
                "bundle_id": bundle_id,
                "created_at": now,
            }
        )
    if prediction_rows:
        db_session.execute(insert_statement(Prediction), prediction_rows)
    return insert_returning_ids(db_session, Action, action_rows)


def record_moderation(
    db_session: Session,
    *,
    revision_id: int,
    listing_id: str,
    action: str,
    topics: list[str],
    reason: str,
    decision_id: int,
    previous: Action | None,
    now: datetime,
) -> Action:
    """Append the action a moderator's decision implies (hide or restore), keeping the versions before it."""
    row = Action(
        revision_id=revision_id,
        listing_id=listing_id,
        action=action,
        topics=topics,
        reasons={"reasons": [reason], "source": "moderator", "decision_id": decision_id},
        model_version=None,
        rule_set_version=previous.rule_set_version if previous else "none",
        policy_version=previous.policy_version if previous else "none",
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    return row


def latest_action_statement(revision_id: int) -> Select[Action]:
    """The query behind :func:`latest_action`; the index ``(revision_id, id)`` serves it in one step."""
    return select(Action).where(Action.revision_id == revision_id).order_by(Action.id.desc()).limit(1)


def latest_action(db_session: Session, *, revision_id: int) -> Action | None:
    """The most recent action recorded for a revision, or None."""
    return db_session.scalars(latest_action_statement(revision_id)).first()


def action_record(action: Action, revision: ListingRevision) -> dict[str, Any]:
    """The API/score JSON of a stored action (used when a re-sent listing did not change)."""
    reasons = action.reasons or {}
    return {
        "id": revision.listing_id,
        "action": action.action,
        "topics": action.topics,
        "scores": reasons.get("scores", {}),
        "rules": reasons.get("rules", []),
        "rule_hits": reasons.get("rule_hits", []),
        "reasons": reasons.get("reasons", []),
        "priority": reasons.get("priority", 0.0),
        "explanations": reasons.get("explanations", {}),
        "versions": {
            "model": action.model_version,
            "rules": action.rule_set_version,
            "policy": action.policy_version,
            "bundle": action.bundle_id,
        },
    }
