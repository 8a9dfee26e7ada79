"""Propose per-topic thresholds for a target precision and write them as a new policy version.

For each topic the ``review`` threshold is the lowest calibrated probability at which flagged listings
are still at least ``precision`` violations on the labelled data; the ``hide`` threshold is the same for
the stricter ``hide_precision``. Lowest, because every step down catches more violations for the same
promised precision. A topic keeps its current thresholds, and the report says why, when the data cannot
support a new one: too few violations to measure precision, or no threshold that reaches it.

Topics whose current policy never hides on score alone (``hide: null``) keep that: whether a topic may be
hidden without a person is a policy decision, not a statistical one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import numpy.typing as npt
from sklearn.metrics import precision_recall_curve

from listingguard.errors import Invalid
from listingguard.policy.schemas import PolicyFile, TopicPolicy


@dataclass(frozen=True, slots=True)
class TopicProposal:
    """What the solver proposes for one topic, and how the proposal does on the data it came from."""

    topic: str
    positives: int
    old_review: float
    old_hide: float | None
    review: float
    hide: float | None
    review_precision: float | None
    review_recall: float | None
    hide_precision: float | None
    hide_recall: float | None
    note: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def lowest_threshold(
    y_true: npt.NDArray[np.int_], scores: npt.NDArray[np.float64], precision: float
) -> tuple[float, float, float] | None:
    """The lowest threshold ``t`` with precision of ``scores >= t`` at least ``precision``.

    Returns ``(t, precision, recall)`` at that threshold, or None when no threshold reaches it.
    """
    p, r, t = precision_recall_curve(y_true, scores)
    ok = np.flatnonzero(p[:-1] >= precision)  # thresholds ascend; the last point has no threshold
    if ok.size == 0:
        return None
    i = int(ok[0])
    return float(t[i]), float(p[i]), float(r[i])


def propose(
    truth: npt.NDArray[np.int_],
    scores: npt.NDArray[np.float64],
    topics: Sequence[str],
    current: PolicyFile,
    *,
    precision: float,
    hide_precision: float,
    min_positives: int = 20,
) -> list[TopicProposal]:
    """One proposal per topic from labels ``truth`` and calibrated ``scores`` (rows x topics)."""
    if not 0 < precision < 1 or not 0 < hide_precision < 1:
        raise Invalid("precision targets must be between 0 and 1 (exclusive)")
    if hide_precision < precision:
        raise Invalid(f"--hide-precision {hide_precision} is below --precision {precision}; hiding must be stricter")
    proposals = []
    for j, topic in enumerate(topics):
        old = current.topics.get(topic, current.defaults)
        y, s = truth[:, j], scores[:, j]
        positives = int(y.sum())
        kept = TopicProposal(topic, positives, old.review, old.hide, old.review, old.hide, None, None, None, None, "")
        if positives < min_positives:
            note = f"kept: {positives} violations, need {min_positives} to measure precision"
            proposals.append(replace(kept, note=note))
            continue
        review = lowest_threshold(y, s, precision)
        if review is None:
            proposals.append(replace(kept, note=f"kept: no threshold reaches precision {precision:g}"))
            continue
        hide = lowest_threshold(y, s, hide_precision) if old.hide is not None else None
        note = "new thresholds"
        if old.hide is None:
            note = "new review threshold; never hidden on score alone (policy)"
        elif hide is None:
            note = f"new review threshold; hide kept (no threshold reaches precision {hide_precision:g})"
        new_hide = old.hide if old.hide is None or hide is None else max(hide[0], review[0])
        proposals.append(
            TopicProposal(
                topic=topic,
                positives=positives,
                old_review=old.review,
                old_hide=old.hide,
                review=round(review[0], 6),
                hide=None if new_hide is None else round(new_hide, 6),
                review_precision=review[1],
                review_recall=review[2],
                hide_precision=hide[1] if hide else None,
                hide_recall=hide[2] if hide else None,
                note=note,
            )
        )
    return proposals


def apply(current: PolicyFile, proposals: Sequence[TopicProposal], *, parent: str, note: str) -> PolicyFile:
    """A new policy: ``current`` with the proposed thresholds, naming its parent version."""
    topics: dict[str, TopicPolicy] = dict(current.topics)
    for p in proposals:
        base = current.topics.get(p.topic, current.defaults)
        topics[p.topic] = base.model_copy(update={"review": p.review, "hide": p.hide})
    data: Mapping[str, object] = {
        **current.model_dump(),
        "topics": {k: v.model_dump() for k, v in topics.items()},
        "parent": parent,
        "description": note,
    }
    return PolicyFile.model_validate(data)
