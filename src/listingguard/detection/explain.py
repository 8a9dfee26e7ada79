"""Why did the model flag this listing? Top feature contributions, mapped back to what the seller wrote.

A linear detector's score is a sum of ``feature value x weight``, so each feature's contribution is exact,
not an approximation. Hashed n-gram columns are mapped back by re-hashing the listing's own n-grams: every
column that contributes is located in the normalised title or description, merged into spans, and mapped
to the original text through the normaliser's offsets, so the moderator sees the seller's own characters
highlighted (``ｽｰﾊﾟｰｺﾋﾟｰ``, not the normalised ``スーパーコピー``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from listingguard.detection.features import (
    N_DENSE,
    PRICE_BINS,
    SEED_DESCRIPTION,
    SEED_TITLE,
    ngram_occurrences,
    token_column,
)
from listingguard.detection.model import ModerationModel
from listingguard.listings.batch import ListingBatch
from listingguard.text.normalize import normalize_with_offsets

# Dense features are standardised, so a positive contribution can come from a value above or below average.
DENSE_NAMES = (
    ("high price", "low price"),
    ("price above the category median", "price below the category median"),
    ("has a brand", "no brand given"),
)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One reason the score is high: a text span, a price signal or a categorical attribute."""

    kind: str  # text | price | attribute
    label: str
    weight: float
    field: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "label": self.label,
            "weight": round(self.weight, 4),
            "field": self.field,
            "start": self.start,
            "end": self.end,
        }


def _bin_label(index: int) -> str:
    edges = (0.0, *PRICE_BINS, float("inf"))
    low, high = edges[index], edges[index + 1]
    if high == float("inf"):
        return f"price ≥ {low:g}× category median"
    return f"price {low:g}–{high:g}× category median"


def _token_label(token: str) -> str:
    parts = []
    for piece in token.split("&"):
        key, _, value = piece.partition("=")
        if key == "pbin":
            parts.append(_bin_label(int(value)))
        elif key == "cat":
            parts.append(f"category {value}")
        elif key == "brand":
            parts.append("no brand" if value == "-" else f"brand {value}")
        elif key == "cond":
            parts.append("no condition" if value == "-" else f"condition {value}")
    return ", ".join(parts)


def _word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _hot_spans(heat: np.ndarray, *, share: float = 0.35) -> list[tuple[int, int, float]]:
    """Runs of characters whose share of the contribution is at least ``share`` of the hottest one."""
    if heat.size == 0 or heat.max() <= 0:
        return []
    hot = heat >= share * heat.max()
    spans = []
    start = None
    for i, flag in enumerate([*hot.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            spans.append((start, i, float(heat[start:i].sum())))
            start = None
    return spans


def explain(
    model: ModerationModel,
    batch: ListingBatch,
    row: int,
    topic: str,
    features: sp.csr_matrix,
    *,
    top: int = 6,
) -> list[Contribution]:
    """The ``top`` strongest positive contributions to ``topic``'s score for listing ``row``.

    ``features`` is the batch's feature matrix (as passed to the model), so nothing is recomputed.
    """
    weights = model.topic_weights(topic)
    x = features.getrow(row)
    contrib = x.data * weights[x.indices]
    by_column = dict(zip(x.indices.tolist(), contrib.tolist(), strict=True))
    spec = model.featurizer.spec
    n_hashed = spec.n_hashed
    out: list[Contribution] = []

    # Text: re-hash this listing's n-grams to find where each contributing column occurs.
    for field_name, docs, seed in (
        ("title", batch.norm_titles, SEED_TITLE),
        ("description", batch.norm_descriptions, SEED_DESCRIPTION),
    ):
        doc = docs[row]
        if not doc:
            continue
        occ = ngram_occurrences(
            [doc], ngram_min=spec.ngram_min, ngram_max=spec.ngram_max, hash_bits=spec.hash_bits, seed=seed
        )
        # Spread each n-gram's contribution over the characters it covers, then keep the hot runs.
        heat = np.zeros(len(doc))
        for start, length, column in zip(occ.start.tolist(), occ.length.tolist(), occ.column.tolist(), strict=True):
            weight = by_column.get(column, 0.0)
            lo, hi = max(start, 0), min(start + length, len(doc))
            if weight > 0 and hi > lo:
                heat[lo:hi] += weight / length
        original = batch.titles[row] if field_name == "title" else batch.descriptions[row]
        tracked = normalize_with_offsets(original)
        if tracked.text != doc:
            continue
        for start, end, weight in _hot_spans(heat):
            while start > 0 and _word_char(doc[start - 1]) and _word_char(doc[start]):
                start -= 1  # widen to whole Latin words so "YOASOB" reads "YOASOBI"
            while end < len(doc) and _word_char(doc[end]) and _word_char(doc[end - 1]):
                end += 1
            while start < end and doc[start].isspace():
                start += 1
            while end > start and doc[end - 1].isspace():
                end -= 1
            if end > start:
                a, b = tracked.original_span(start, end)
                out.append(Contribution("text", original[a:b], weight, field_name, a, b))

    # Categorical tokens and dense price features.
    ratios = model.featurizer.price_ratios(batch.take([row]))
    for token in model.featurizer.categorical_tokens(batch.take([row]), ratios)[0]:
        weight = by_column.get(token_column(token, spec.hash_bits), 0.0)
        if weight > 0:
            kind = "price" if "pbin=" in token else "attribute"
            out.append(Contribution(kind, _token_label(token), weight))
    for k in range(N_DENSE):
        weight = by_column.get(n_hashed + k, 0.0)
        if weight > 0:
            value = float(features[row, n_hashed + k])
            label = DENSE_NAMES[k][0 if value >= 0 else 1]
            out.append(Contribution("price" if k < 2 else "attribute", label, weight))
    out.sort(key=lambda c: -c.weight)
    return out[:top]


def feature_contributions(model: ModerationModel, features: sp.csr_matrix, row: int, topic: str) -> np.ndarray:
    """Raw per-column contributions (for tests and debugging)."""
    x = features.getrow(row)
    dense = np.zeros(features.shape[1])
    dense[x.indices] = x.data * model.topic_weights(topic)[x.indices]
    return dense
