"""A column-oriented batch of listings, the unit every scorer works on.

Rules, features and detectors all look at the same normalised title and description, so a batch
normalises each text once and shares it; numeric columns are numpy arrays so features are vectorised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from listingguard.listings.schemas import ListingIn
from listingguard.text.normalize import normalize_readings


@dataclass(slots=True)
class ListingBatch:
    """Listings as parallel columns. Build with :meth:`from_listings` or :meth:`from_records`."""

    ids: list[str]
    titles: list[str]
    descriptions: list[str]
    prices: npt.NDArray[np.float64]
    currencies: list[str]
    categories: list[str]
    brands: list[str | None]
    conditions: list[str | None]
    seller_ids: list[str]
    created_at: list[datetime | None]
    labels: list[list[str] | None]
    _norm_titles: list[str] | None = field(default=None, repr=False)
    _norm_descriptions: list[str] | None = field(default=None, repr=False)
    _alt_titles: list[str | None] | None = field(default=None, repr=False)
    _alt_descriptions: list[str | None] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_listings(cls, listings: Sequence[ListingIn]) -> ListingBatch:
        """Columns from validated listings."""
        return cls(
            ids=[x.id for x in listings],
            titles=[x.title for x in listings],
            descriptions=[x.description for x in listings],
            prices=np.fromiter((x.price for x in listings), dtype=np.float64, count=len(listings)),
            currencies=[x.currency for x in listings],
            categories=[x.category for x in listings],
            brands=[x.brand for x in listings],
            conditions=[x.condition for x in listings],
            seller_ids=[x.seller_id for x in listings],
            created_at=[x.created_at for x in listings],
            labels=[x.labels for x in listings],
        )

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> ListingBatch:
        """Columns from interchange-format dicts that are already known to be valid (trusted input)."""
        rows = list(records)
        created: list[datetime | None] = []
        for r in rows:
            value = r.get("created_at")
            created.append(datetime.fromisoformat(value) if isinstance(value, str) else value)
        return cls(
            ids=[str(r["id"]) for r in rows],
            titles=[r["title"] for r in rows],
            descriptions=[r.get("description") or "" for r in rows],
            prices=np.asarray([float(r["price"]) for r in rows], dtype=np.float64),
            currencies=[r.get("currency") or "JPY" for r in rows],
            categories=[r["category"] for r in rows],
            brands=[r.get("brand") for r in rows],
            conditions=[r.get("condition") for r in rows],
            seller_ids=[r.get("seller_id", "") for r in rows],
            created_at=created,
            labels=[r.get("labels") for r in rows],
        )

    @property
    def norm_titles(self) -> list[str]:
        """Normalised titles, computed on first use."""
        if self._norm_titles is None:
            self._norm_titles, self._alt_titles = _readings(self.titles)
        return self._norm_titles

    @property
    def norm_descriptions(self) -> list[str]:
        """Normalised descriptions, computed on first use."""
        if self._norm_descriptions is None:
            self._norm_descriptions, self._alt_descriptions = _readings(self.descriptions)
        return self._norm_descriptions

    @property
    def alt_titles(self) -> list[str | None]:
        """Each title's second reading of ambiguous digits (``rep1ica`` as ``replica``), or None.

        Computed with the normalised titles, in the same pass, so asking costs nothing more.
        """
        if self._alt_titles is None:
            self._norm_titles, self._alt_titles = _readings(self.titles)
        return self._alt_titles

    @property
    def alt_descriptions(self) -> list[str | None]:
        """Each description's second reading of ambiguous digits, or None (see :attr:`alt_titles`)."""
        if self._alt_descriptions is None:
            self._norm_descriptions, self._alt_descriptions = _readings(self.descriptions)
        return self._alt_descriptions

    def take(self, indices: Sequence[int]) -> ListingBatch:
        """A new batch with the rows at ``indices`` (normalised text carried over)."""
        pick = list(indices)
        return ListingBatch(
            ids=[self.ids[i] for i in pick],
            titles=[self.titles[i] for i in pick],
            descriptions=[self.descriptions[i] for i in pick],
            prices=self.prices[pick],
            currencies=[self.currencies[i] for i in pick],
            categories=[self.categories[i] for i in pick],
            brands=[self.brands[i] for i in pick],
            conditions=[self.conditions[i] for i in pick],
            seller_ids=[self.seller_ids[i] for i in pick],
            created_at=[self.created_at[i] for i in pick],
            labels=[self.labels[i] for i in pick],
            _norm_titles=[self._norm_titles[i] for i in pick] if self._norm_titles is not None else None,
            _norm_descriptions=(
                [self._norm_descriptions[i] for i in pick] if self._norm_descriptions is not None else None
            ),
            _alt_titles=[self._alt_titles[i] for i in pick] if self._alt_titles is not None else None,
            _alt_descriptions=(
                [self._alt_descriptions[i] for i in pick] if self._alt_descriptions is not None else None
            ),
        )

    def label_matrix(self, topics: Sequence[str]) -> npt.NDArray[np.int8]:
        """A 0/1 matrix (listings x topics) from ``labels``; unlabelled rows are all zero."""
        index = {t: j for j, t in enumerate(topics)}
        out = np.zeros((len(self), len(topics)), dtype=np.int8)
        for i, labels in enumerate(self.labels):
            for topic in labels or ():
                j = index.get(topic)
                if j is not None:
                    out[i, j] = 1
        return out


def _readings(texts: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """The normalised texts and their second readings (None where there is none), in one pass."""
    pairs = [normalize_readings(t) for t in texts]
    return [p for p, _ in pairs], [a for _, a in pairs]
