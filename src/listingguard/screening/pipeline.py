"""The one scoring code path: a batch of listings in, an action with its reasons per listing out.

The HTTP API, ``listingguard ingest``, ``listingguard score``, ``evaluate`` and the demo all call
:meth:`Screener.screen`, so a listing gets the same action whichever way it arrives. Work is vectorised per
batch: text is normalised once, features are computed once, and one matrix product scores every topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from listingguard.detection import explain as explain_mod
from listingguard.detection.model import ModerationModel
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import Policy
from listingguard.rules.engine import RuleHit, RuleSet


@dataclass(slots=True)
class ScreeningResult:
    """Everything the system concluded about one listing, and the versions that concluded it."""

    listing_id: str
    action: str
    topics: list[str]
    scores: dict[str, float]
    rule_hits: list[RuleHit]
    reasons: list[str]
    priority: float
    model_version: str | None
    rule_set_version: str
    policy_version: str
    explanations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def rules(self) -> list[str]:
        """Ids of the rules that fired (each once)."""
        return sorted({h.rule_id for h in self.rule_hits})

    def to_record(self) -> dict[str, Any]:
        """The JSON form used by the API and by ``listingguard score``."""
        return {
            "id": self.listing_id,
            "action": self.action,
            "topics": self.topics,
            "scores": {t: round(p, 6) for t, p in self.scores.items()},
            "rules": self.rules,
            "rule_hits": [h.to_dict() for h in self.rule_hits],
            "reasons": self.reasons,
            "priority": round(self.priority, 6),
            "explanations": self.explanations,
            "versions": {
                "model": self.model_version,
                "rules": self.rule_set_version,
                "policy": self.policy_version,
            },
        }


class Screener:
    """Rules + detectors + policy, loaded once and applied to batches."""

    def __init__(self, *, rules: RuleSet, policy: Policy, model: ModerationModel | None = None) -> None:
        self.rules = rules
        self.policy = policy
        self.model = model
        # Every request validates its labels against these; a new model or policy means a new Screener.
        self._topics = sorted(set(model.topics if model else ()) | set(rules.topics) | set(policy.topics))

    @property
    def model_version(self) -> str | None:
        return self.model.version if self.model else None

    @property
    def topics(self) -> list[str]:
        """Every topic this screener can flag (model topics, rule topics and policy topics)."""
        return list(self._topics)

    @property
    def reference_currency(self) -> str:
        """The currency the price rules and the medians are quoted in."""
        return self.rules.lists.reference_prices.currency

    def reference_rate(self, currency: str) -> float | None:
        """How many units of the reference currency one unit of ``currency`` is (``None``: unknown)."""
        reference = self.rules.lists.reference_prices
        return 1.0 if currency == reference.currency else reference.rates.get(currency)

    def median_price(self, category: str) -> float | None:
        """The category's median price in the reference currency: the rule set's reference median (the one
        price rules compare with and quote in their reasons), else the model's learned median."""
        reference = self.rules.lists.reference_prices.medians.get(category)
        if reference:
            return float(reference)
        if self.model is not None:
            medians = self.model.featurizer.category_medians_
            if category in medians:
                return float(medians[category])
        return None

    def screen(self, batch: ListingBatch, *, explain: bool = True) -> list[ScreeningResult]:
        """Score, apply rules and decide for every listing of ``batch``.

        ``explain`` adds original-text spans to rule hits and the top model features for each flagged topic;
        bulk jobs that only need actions and scores turn it off.
        """
        if len(batch) == 0:
            return []
        hits = self.rules.evaluate(batch, with_spans=explain)
        probabilities = np.zeros((len(batch), 0))
        features = None
        if self.model is not None:
            features = self.model.features(batch)
            probabilities = self.model.predict_proba(batch, features)
        topics = self.model.topics if self.model else []
        results = []
        for i in range(len(batch)):
            scores = {t: float(probabilities[i, j]) for j, t in enumerate(topics)}
            decision = self.policy.decide(scores, hits[i])
            result = ScreeningResult(
                listing_id=batch.ids[i],
                action=decision.action,
                topics=decision.topics,
                scores=scores,
                rule_hits=hits[i],
                reasons=decision.reasons,
                priority=decision.priority,
                model_version=self.model_version,
                rule_set_version=self.rules.version,
                policy_version=self.policy.version,
            )
            if explain and self.model is not None and features is not None:
                for topic in decision.topics:
                    if topic in scores and decision.topic_actions.get(topic) != "allow":
                        contributions = explain_mod.explain(self.model, batch, i, topic, features)
                        result.explanations[topic] = [c.to_dict() for c in contributions]
            results.append(result)
        return results
