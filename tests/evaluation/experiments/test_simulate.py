"""Monte Carlo of whole experiments: power, days and the A/A false-positive rate with daily peeking."""

from dataclasses import replace

import numpy as np
import pytest

from listingguard.evaluation.experiments import simulate
from listingguard.evaluation.experiments.plan import Scenario, plan_design

SCENARIO = Scenario(prevalence=0.003, per_day=100_000, overlap=0.8)


def test_seeded_runs_repeat() -> None:
    a = simulate.compare(SCENARIO, runs=300, seed=4).to_dict()
    b = simulate.compare(SCENARIO, runs=300, seed=4).to_dict()
    c = simulate.compare(SCENARIO, runs=300, seed=5).to_dict()
    assert a == b != c


def test_power_and_speedup_at_the_planned_effect() -> None:
    result = simulate.compare(SCENARIO, runs=2000, seed=1)
    assert result.paired.power >= 0.8 - 0.025  # ±2.5 standard errors
    assert result.split.power == pytest.approx(0.8, abs=0.03)
    assert result.speedup >= 5


@pytest.mark.parametrize("futility", [True, False])
def test_aa_false_positive_rate_with_daily_peeking(futility: bool) -> None:
    result = simulate.compare(replace(SCENARIO, futility=futility), runs=4000, seed=2, aa=True)
    for runs in (result.paired, result.split):
        assert runs.rejection_rate <= 0.05 + 0.009  # at most alpha, within 2.5 standard errors
    if not futility:  # without futility stops the bounds spend nearly all of alpha: it is a test
        assert result.split.rejection_rate > 0.03
    out = result.to_dict(seed=2)
    assert out["false_positive_rate"] == result.paired.rejection_rate


def test_naive_daily_peeking_would_inflate_the_split() -> None:
    the_plan = plan_design(replace(SCENARIO, futility=False), "split")
    naive = replace(the_plan, design=replace(the_plan.design, efficacy=np.full(len(the_plan.look_days), 1.96)))
    runs = simulate.simulate_design(SCENARIO, naive, runs=3000, rng=np.random.default_rng(3), effect=0.0)
    assert runs.rejection_rate > 0.12


def test_paired_counts_follow_the_overlap() -> None:
    b, a, share = simulate._daily_counts(SCENARIO, "paired", runs=2000, days=3, rng=np.random.default_rng(0))
    assert a.mean() == pytest.approx(300 * 0.6 * 0.2, rel=0.02)
    assert b.mean() == pytest.approx(300 * (0.66 - 0.48), rel=0.02)
    assert np.all(share == 0.5)
