"""What a moderator sees for a task: the listing, and (unless the task is blind) the machine's signals.

Evaluation tasks exist to label listings for backtests and experiments without bias, so they show no
scores, no rule hits, no model features and no suspected topics: only the listing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from listingguard.listings import service as listings_service
from listingguard.listings.models import ListingRevision
from listingguard.review.models import ReviewTask
from listingguard.screening.models import Action

BLIND_KINDS = ("evaluation",)


@dataclass(slots=True)
class Segment:
    """A run of text with the same highlighting."""

    text: str
    rules: list[str] = field(default_factory=list)
    model: bool = False


def screening_action(db_session: Session, *, revision_id: int) -> Action | None:
    """The screener's own action for a revision (not a moderator's follow-up)."""
    actions = db_session.scalars(select(Action).where(Action.revision_id == revision_id).order_by(Action.id)).all()
    for action in actions:
        if (action.reasons or {}).get("source") != "moderator":
            return action
    return None


def segments(
    text: str, field_name: str, rule_hits: list[dict[str, Any]], explanations: dict[str, Any]
) -> list[Segment]:
    """Split ``text`` into runs marked by rule hits and by the model's top text features."""
    rules: list[list[str]] = [[] for _ in text]
    model = [False] * len(text)
    for hit in rule_hits:
        # every occurrence; hits stored before occurrences were recorded have only the first one
        spans = hit.get("spans") or [hit]
        for span in spans:
            if span.get("field") == field_name and span.get("start") is not None:
                for i in range(max(0, span["start"]), min(len(text), span["end"])):
                    if hit["rule_id"] not in rules[i]:
                        rules[i].append(hit["rule_id"])
    for contributions in explanations.values():
        for c in contributions:
            if c.get("kind") == "text" and c.get("field") == field_name and c.get("start") is not None:
                for i in range(max(0, c["start"]), min(len(text), c["end"])):
                    model[i] = True
    out: list[Segment] = []
    for i, ch in enumerate(text):
        key = (sorted(set(rules[i])), model[i])
        if out and (out[-1].rules, out[-1].model) == key:
            out[-1].text += ch
        else:
            out.append(Segment(ch, key[0], key[1]))
    return out


class PriceReference(Protocol):
    """What the page needs to put a price beside its category's median (a screener answers it).

    A protocol rather than the screener itself, so that review does not reach into a fitted model.
    """

    @property
    def reference_currency(self) -> str: ...

    def reference_rate(self, currency: str) -> float | None: ...

    def median_price(self, category: str) -> float | None: ...


def price_context(prices: PriceReference, *, price: float, currency: str, category: str) -> dict[str, Any]:
    """The price against its category's median, converted to the reference currency as the rules do."""
    median = prices.median_price(category)
    rate = prices.reference_rate(currency)
    return {
        "median": median,
        "ratio": (price * rate / median) if median and rate is not None else None,
        "currency": prices.reference_currency,
    }


def task_view(db_session: Session, *, task: ReviewTask, prices: PriceReference, show_claim: bool) -> dict[str, Any]:
    """Everything the review page and the review API show for ``task``."""
    revision: ListingRevision = db_session.get(ListingRevision, task.revision_id)  # type: ignore[assignment]
    listing = listings_service.revision_record(revision)
    view: dict[str, Any] = {
        "id": task.id,
        "kind": task.kind,
        "purpose": task.purpose,
        "status": task.status,
        "priority": task.priority,
        "listing_id": task.listing_id,
        "revision": revision.revision,
        "created_at": task.created_at,
        "message": task.message,
        "listing": listing,
        "claim_token": task.claim_token if show_claim else None,
        "lease_expires_at": task.lease_expires_at if show_claim else None,
        "signals": None,
    }
    view["price_context"] = price_context(
        prices, price=revision.price, currency=revision.currency, category=revision.category
    )
    if task.kind in BLIND_KINDS:
        return view
    action = screening_action(db_session, revision_id=task.revision_id)
    reasons = (action.reasons if action else None) or {}
    view["signals"] = {
        "suspected_topics": task.topics,
        "action": action.action if action else None,
        "scores": reasons.get("scores", {}),
        "rule_hits": reasons.get("rule_hits", []),
        "explanations": reasons.get("explanations", {}),
        "reasons": reasons.get("reasons", []),
        "versions": {
            "model": action.model_version if action else None,
            "rules": action.rule_set_version if action else None,
            "policy": action.policy_version if action else None,
        },
    }
    return view
