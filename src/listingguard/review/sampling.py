"""Deterministic sampling: whether a listing is explored or a decision gets a second review.

Draws come from a hash of stable ids instead of a random generator, so they are reproducible and
auditable (anyone can recompute why a listing was sampled) and the same listing revision is never drawn
twice by two workers.
"""

from __future__ import annotations

import hashlib
import math

from listingguard.policy.schemas import SamplingPolicy


def uniform(*parts: object) -> float:
    """A number in [0, 1) determined by ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def exploration_probability(max_score: float, sampling: SamplingPolicy) -> float:
    """Inclusion probability of an allowed listing whose highest topic score is ``max_score``."""
    boost = sampling.exploration_boost * math.sqrt(max(0.0, min(1.0, max_score)))
    return min(1.0, sampling.exploration_base_rate + boost)


def explore(listing_id: str, revision: int, probability: float) -> bool:
    """Whether this listing revision is drawn for exploration at ``probability``."""
    return uniform("explore", listing_id, revision) < probability


def second_review(task_id: int, rate: float) -> bool:
    """Whether the decision on ``task_id`` is reviewed again."""
    return uniform("second-review", task_id) < rate
