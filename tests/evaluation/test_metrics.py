"""Metrics against scipy/statsmodels and brute force, and the coverage comparison on a toy case."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from listingguard.evaluation.metrics import expected_calibration_error, recall_at_precision, wilson
from listingguard.evaluation.report import coverage_at_rule_precision


def test_wilson_matches_statsmodels_and_covers() -> None:
    rate = wilson(7, 40)
    low, high = proportion_confint(7, 40, method="wilson")
    assert (rate.low, rate.high) == pytest.approx((low, high))
    rng = np.random.default_rng(0)
    p, n = 0.03, 200
    hits = 0
    for _ in range(2000):
        k = int(rng.binomial(n, p))
        r = wilson(k, n)
        hits += r.low <= p <= r.high
    assert 0.93 <= hits / 2000 <= 0.97  # nominal 95%


def test_recall_at_precision_brute_force() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.1).astype(int)
    s = y * rng.random(500) + rng.random(500) * 0.8
    recall, threshold = recall_at_precision(y, s, 0.9)
    best = 0.0
    for t in np.unique(s):
        flagged = s >= t
        if flagged.sum() and y[flagged].mean() >= 0.9:
            best = max(best, y[flagged].sum() / y.sum())
    assert recall == pytest.approx(best)
    assert threshold is not None


def test_coverage_keeps_the_rules_precision() -> None:
    truth = np.array([1, 1, 1, 1, 0, 0, 1, 0, 0, 0])
    rules = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1], dtype=bool)  # 1 of 2 right: precision 0.5
    scores = np.array([0.1, 0.9, 0.8, 0.7, 0.6, 0.1, 0.5, 0.4, 0.0, 0.0])
    result = coverage_at_rule_precision(truth, rules, scores)
    assert result["rules"]["caught"] == 1 and result["rules"]["precision"] == 0.5
    assert result["rules_plus_ml"]["precision"] >= 0.5
    assert result["rules_plus_ml"]["caught"] == 5  # take everything down to 0.4: 5 of 8 flagged... at >= 0.5
    assert result["coverage_lift"] == pytest.approx(4.0)


def test_ece_zero_for_perfect_and_large_for_wrong() -> None:
    y = np.array([0, 0, 1, 1] * 50)
    assert expected_calibration_error(y, y.astype(float)) == 0
    assert expected_calibration_error(y, 1 - y.astype(float)) == pytest.approx(1)
