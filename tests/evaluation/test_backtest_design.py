"""The backtest's design and estimators, checked by simulation with fixed seeds and against references."""

from __future__ import annotations

import numpy as np
import pytest
from bench.backtest_sim import backtest_once, synthetic_window
from statsmodels.stats.proportion import proportion_confint

from listingguard.evaluation.backtest import design
from listingguard.evaluation.backtest.estimators import Cell, ScoredCell, SetCount, allocate, wilson


@pytest.mark.parametrize("miscalibration", [1.0, 0.5, 2.0])
def test_intervals_cover_the_truth_in_repeated_backtests(miscalibration: float) -> None:
    """At nominal 95%, the intervals on Δrecall and on both recalls cover the truth in >= 93% of 200 runs,
    whether the models' scores are calibrated or off by a factor of two either way."""
    rng = np.random.default_rng(2026)
    runs = 200
    hits = {"delta_recall": 0, "recall_candidate": 0, "recall_production": 0, "delta_caught": 0}
    for _ in range(runs):
        window = synthetic_window(rng, n=30_000, miscalibration=miscalibration)
        estimates = backtest_once(window, rng, label_budget=120, exploration=150).to_dict()
        truth = window.true_values()
        for name in hits:
            iv = estimates[name]
            hits[name] += iv["low"] is not None and iv["low"] <= truth[name] <= iv["high"]  # type: ignore[operator]
    coverage = {name: n / runs for name, n in hits.items()}
    assert min(coverage.values()) >= 0.93, coverage


def test_per_cell_jeffreys_on_the_unflagged_pool_would_overstate_it() -> None:
    """The reason for the score-anchored model: a Jeffreys prior per nearly empty stratum adds about half a
    violation per 1/(sampled) of its population, so the unflagged pool's estimate is far above the truth."""
    cells = tuple(Cell(population=5_000, sampled=25, positives=0) for _ in range(6))
    scored = tuple(ScoredCell(population=5_000, sampled=25, positives=0, mean_score=0.0002) for _ in range(6))
    rng = np.random.default_rng(1)
    jeffreys = SetCount(cells=cells).draws(rng, 4000).mean()
    anchored = SetCount(scored=scored).draws(rng, 4000).mean()
    assert jeffreys > 250 and anchored < 15  # 30,000 listings at 2 in 10,000: the truth is about 6


def test_strata_and_plan() -> None:
    production = np.array([[1], [1], [0], [0], [1], [0], [0], [0]], dtype=bool)
    candidate = np.array([[1], [0], [1], [0], [1], [0], [0], [0]], dtype=bool)
    labelled = np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    top = np.linspace(0.9, 0.1, 8)
    strata = design.assign_strata(production, [candidate], labelled, top, explore_strata=2)
    assert strata[4] == design.LABELLED and strata[0] == design.BOTH
    assert strata[1] == strata[2] == design.DISAGREE
    assert set(strata[[3, 5, 6, 7]].tolist()) == {2, 3}
    the_plan = design.plan(strata, top, label_budget=3, exploration=4)
    assert sum(the_plan.sizes[c] for c in (design.DISAGREE, design.BOTH)) == 3
    assert sum(the_plan.sizes[c] for c in (2, 3)) == 4
    sample = design.draw(strata, the_plan, np.random.default_rng(0))
    assert not sample[4]  # a decided listing is never sampled again


def test_matched_volume_threshold_flags_as_many_as_production() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random((1000, 3))
    production = np.zeros((1000, 3), dtype=bool)
    production[:40, 0] = True
    production[:7, 1] = True
    thresholds = design.matched_thresholds(scores, production)
    assert (scores[:, 0] >= thresholds[0]).sum() == 40
    assert (scores[:, 1] >= thresholds[1]).sum() == 7
    assert thresholds[2] == np.inf


def test_allocate_spends_the_budget_within_populations() -> None:
    sizes = allocate([100, 5, 0, 1000], [1.0, 10.0, 1.0, 0.1], 60, minimum=2)
    assert sum(sizes) == 60 and sizes[2] == 0 and sizes[1] <= 5 and all(s >= 2 for s in (sizes[0], sizes[3]))
    assert allocate([3, 3], [1.0, 1.0], 100) == [3, 3]


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (40, 41), (17, 230)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    ours = wilson(k, n)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert ours.low == pytest.approx(low, abs=1e-9) and ours.high == pytest.approx(high, abs=1e-9)
