"""Planning formulas: the streams, the fixed sample size, and the horizon."""

import math

import pytest

from listingguard.evaluation.experiments import plan as planning
from listingguard.evaluation.experiments.plan import Scenario


def test_streams() -> None:
    s = Scenario(prevalence=0.003, per_day=100_000, overlap=0.8, recall_a=0.6, lift=0.1)
    paired, split = planning.stream(s, "paired"), planning.stream(s, "split")
    # A catches 180 a day; 36 of them B misses; B catches 198, 54 of them A misses
    assert paired.per_day == pytest.approx(90.0)
    assert paired.p1 == pytest.approx(54 / 90)
    assert split.per_day == pytest.approx(90 + 99)
    assert split.p1 == pytest.approx(1.1 / 2.1)


def test_fixed_sample_events_is_the_binomial_formula_and_has_its_power() -> None:
    from scipy import stats

    n = planning.fixed_sample_events(0.5, 0.6, alpha=0.05, power=0.8)
    assert n == pytest.approx(((1.959964 / 2 + 0.841621 * math.sqrt(0.24)) ** 2) / 0.01, rel=1e-5)
    k = math.ceil(n)
    # the exact binomial test with that many events has about the planned power (a little less: discrete)
    crit_hi = stats.binom.isf(0.025, k, 0.5)
    assert 0.75 <= stats.binom.sf(crit_hi, k, 0.6) <= 0.82


def test_paired_is_several_times_faster_at_overlap_0_8() -> None:
    p = planning.plan(Scenario(overlap=0.8))
    assert p.paired.expected_days < p.split.expected_days / 5
    assert p.paired.power >= 0.8 and p.split.power >= 0.8 - 0.005
    assert p.paired.max_days * p.paired.events_per_day >= p.paired.design.inflation * p.paired.fixed_events
    # the speed-up is near the closed form 2(2 + lift) / (2(1 − ω) + lift) with continuous looks
    continuous = planning.plan(Scenario(overlap=0.8, looks=5))
    assert continuous.speedup == pytest.approx(2 * 2.1 / 0.5, rel=0.05)


def test_more_overlap_decides_faster() -> None:
    days = [planning.plan(Scenario(overlap=w)).paired.expected_days for w in (0.6, 0.8, 0.9)]
    assert days[0] > days[1] > days[2]


def test_refuses_impossible_scenarios() -> None:
    with pytest.raises(ValueError, match="impossible"):
        Scenario(overlap=0.6, recall_a=0.7, lift=0.1).check()
    with pytest.raises(ValueError, match="prevalence"):
        Scenario(prevalence=0).check()
    with pytest.raises(ValueError, match="effect is zero"):
        planning.plan(Scenario(lift=0.0))
