"""Detection metrics: the numbers a trust and safety team reads to decide whether a model is good enough.

All functions take true labels (0/1) and scores or flags as numpy arrays and are thin, tested wrappers
around scikit-learn and SciPy, adding the operating-point questions moderation asks: "how much do
we catch if we insist on 90% precision?", "how many listings does this threshold send to review?".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import binomtest
from sklearn.metrics import average_precision_score, precision_recall_curve

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its Wilson 95% interval (None when the denominator is zero)."""

    value: float | None
    low: float | None
    high: float | None
    numerator: int
    denominator: int

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def wilson(numerator: int, denominator: int, alpha: float = 0.05) -> Rate:
    """A proportion with its Wilson score interval (good coverage even for rare events)."""
    if denominator == 0:
        return Rate(None, None, None, numerator, denominator)
    interval = binomtest(numerator, denominator).proportion_ci(confidence_level=1 - alpha, method="wilson")
    return Rate(numerator / denominator, float(interval.low), float(interval.high), numerator, denominator)


def pr_auc(y_true: IntArray, scores: FloatArray) -> float | None:
    """Area under the precision-recall curve (average precision); None without positives."""
    if int(np.sum(y_true)) == 0:
        return None
    return float(average_precision_score(y_true, scores))


def recall_at_precision(y_true: IntArray, scores: FloatArray, min_precision: float = 0.9) -> tuple[float, float | None]:
    """Highest recall at any threshold whose precision is at least ``min_precision``, and that threshold.

    Returns ``(0.0, None)`` when no threshold reaches the precision (or there are no positives).
    """
    if int(np.sum(y_true)) == 0:
        return 0.0, None
    precision, recall, thresholds = precision_recall_curve(y_true, scores)
    ok = precision[:-1] >= min_precision  # the last point (recall 0) has no threshold
    if not np.any(ok):
        return 0.0, None
    best = int(np.argmax(np.where(ok, recall[:-1], -1.0)))
    return float(recall[best]), float(thresholds[best])


def flag_metrics(y_true: IntArray, flagged: npt.NDArray[np.bool_]) -> dict[str, object]:
    """Precision and recall (with Wilson intervals) of a set of flags, plus the counts behind them."""
    tp = int(np.sum(flagged & (y_true == 1)))
    fp = int(np.sum(flagged & (y_true == 0)))
    fn = int(np.sum(~flagged & (y_true == 1)))
    return {
        "flagged": tp + fp,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": wilson(tp, tp + fp).to_dict(),
        "recall": wilson(tp, tp + fn).to_dict(),
    }


def expected_calibration_error(y_true: IntArray, probabilities: FloatArray, n_bins: int = 10) -> float:
    """ECE with equal-mass bins: the average gap between predicted probability and observed frequency.

    Equal-mass (quantile) bins are used because, with rare violations, almost every score sits near zero
    and equal-width bins would leave the upper bins nearly empty.
    """
    if len(y_true) == 0:
        return 0.0
    order = np.argsort(probabilities, kind="stable")
    bins = np.array_split(order, min(n_bins, len(order)))
    total = len(y_true)
    return float(
        sum(len(b) / total * abs(float(np.mean(probabilities[b])) - float(np.mean(y_true[b]))) for b in bins if len(b))
    )


def reliability_curve(y_true: IntArray, probabilities: FloatArray, n_bins: int = 10) -> list[dict[str, float]]:
    """Points of a reliability diagram (mean predicted vs observed frequency per equal-mass bin)."""
    order = np.argsort(probabilities, kind="stable")
    out = []
    for b in np.array_split(order, min(n_bins, max(len(order), 1))):
        if len(b):
            out.append(
                {
                    "predicted": float(np.mean(probabilities[b])),
                    "observed": float(np.mean(y_true[b])),
                    "count": len(b),
                }
            )
    return out


def topic_summary(y_true: IntArray, scores: FloatArray, *, min_precision: float = 0.9) -> dict[str, object]:
    """The per-topic hold-out numbers recorded in a model manifest."""
    recall, threshold = recall_at_precision(y_true, scores, min_precision)
    return {
        "rows": len(y_true),
        "positives": int(np.sum(y_true)),
        "pr_auc": pr_auc(y_true, scores),
        f"recall_at_precision_{min_precision:g}": recall,
        f"threshold_at_precision_{min_precision:g}": threshold,
        "ece": expected_calibration_error(y_true, scores),
    }
