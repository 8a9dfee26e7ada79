"""Holm's step-down correction across topics: one experiment tests every topic, and must not win by luck.

With m topics each tested at alpha, some topic "improves" by chance far more often than alpha. Holm
(1979) keeps the family-wise error at alpha for any dependence between the topics and rejects at least
as much as Bonferroni. The arithmetic is a sort and a running maximum; it is written here rather than
taken from statsmodels (whose ``multipletests(method="holm")`` the tests compare it with) so the
product does not carry statsmodels and pandas for six lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class TopicVerdict:
    """One topic after the correction: its own p-value, the adjusted one, and whether it is rejected."""

    p_value: float
    adjusted: float
    rejected: bool


def holm(p_values: Mapping[str, float], *, alpha: float = 0.05) -> dict[str, TopicVerdict]:
    """Holm-adjusted p-values and decisions per topic, in the order given."""
    if not p_values:
        return {}
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    names = list(p_values)
    raw = [float(p_values[name]) for name in names]
    if any(not 0.0 <= p <= 1.0 for p in raw):
        raise ValueError("p-values must be between 0 and 1")
    m = len(raw)
    order = np.argsort(raw, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * np.asarray(raw)[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    rejected = adjusted <= alpha
    return {
        name: TopicVerdict(p, float(adj), bool(rej))
        for name, p, adj, rej in zip(names, raw, adjusted, rejected, strict=True)
    }
