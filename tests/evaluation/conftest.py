"""A weaker model to backtest against: trained on the first three simulated days, with 40% of its
violating labels lost (as if moderators had missed them)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from listingguard.detection.features import FeatureSpec
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.listings.batch import ListingBatch


@pytest.fixture(scope="session")
def weak_model(tmp_path_factory: pytest.TempPathFactory, sim_records: list[dict[str, Any]]) -> Path:
    days = sorted({r["created_at"][:10] for r in sim_records})
    rng = random.Random(5)
    records = []
    for r in sim_records:
        if r["created_at"][:10] > days[2]:
            continue
        labels = r.get("labels") or []
        records.append({**r, "labels": [] if labels and rng.random() < 0.4 else labels})
    model = train(
        ListingBatch.from_records(records),
        TrainingConfig(spec=FeatureSpec(hash_bits=18), refit=False, author="tests", n_jobs=1, min_positives=2),
        sources=[DataSource("file", "sim-weak", "1" * 64, len(records))],
    )
    out = tmp_path_factory.mktemp("weak") / "model"
    model.save(out)
    return out
