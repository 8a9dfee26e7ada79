"""The labels a command evaluates against: the simulator's ground truth or the records' ``labels``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from listingguard.errors import LGError
from listingguard.listings.batch import ListingBatch


def truth_matrix(
    batch: ListingBatch, topics: Sequence[str], metas: Sequence[dict[str, Any] | None], source: str
) -> tuple[np.ndarray, str]:
    """Labels to evaluate against: the simulator's ground truth when every row has it, else ``labels``."""
    has_sim = bool(metas) and all(m and isinstance(m.get("sim"), dict) and "truth" in m["sim"] for m in metas)
    use_sim = source == "simulator" or (source == "auto" and has_sim)
    if use_sim:
        if not has_sim:
            raise LGError("--label-source simulator needs meta.sim.truth on every row (simulator output)")
        index = {t: j for j, t in enumerate(topics)}
        out = np.zeros((len(batch), len(topics)), dtype=np.int8)
        for i, meta in enumerate(metas):
            for topic in meta["sim"]["truth"]:  # type: ignore[index]
                if topic in index:
                    out[i, index[topic]] = 1
        return out, "simulator ground truth (meta.sim.truth)"
    if any(labels is None for labels in batch.labels):
        raise LGError("some rows have no `labels`; evaluation needs labelled listings")
    return batch.label_matrix(topics), "labels"
