"""Agreement between moderators: Cohen's kappa per topic on second-reviewed decisions.

Raw agreement flatters rare topics (two moderators who both always say "fine" agree 99% of the time);
kappa corrects for agreement by chance. Computed with scikit-learn's ``cohen_kappa_score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import cohen_kappa_score

from listingguard.review.models import Decision


def agreement(pairs: Sequence[tuple[Decision, Decision]], topics: Sequence[str]) -> dict[str, Any]:
    """Per topic: kappa (None when undefined), raw agreement and the number of pairs; overall verdict match."""
    out: dict[str, Any] = {"pairs": len(pairs), "topics": {}}
    if not pairs:
        out["verdict_agreement"] = None
        return out
    out["verdict_agreement"] = sum(a.topics == b.topics for a, b in pairs) / len(pairs)
    for topic in topics:
        first = [int(topic in a.topics) for a, _ in pairs]
        second = [int(topic in b.topics) for _, b in pairs]
        raw = sum(x == y for x, y in zip(first, second, strict=True)) / len(pairs)
        # kappa is undefined when both moderators only ever used one label for this topic
        kappa = None if len(set(first) | set(second)) < 2 else float(cohen_kappa_score(first, second))
        out["topics"][topic] = {"kappa": kappa, "agreement": raw, "positives": sum(first) + sum(second)}
    return out
