"""Synthetic backtest windows with known truth, for checking the backtest's statistics by simulation.

A window of ``n`` listings, one topic, prevalence ``prevalence``. Each model's score is a normal signal
(``separation`` apart for violations) with correlated noise (``correlation``: how much the two models'
errors agree, which sets their flag overlap); each model reports the exact posterior probability its
score implies, times ``miscalibration`` (1: calibrated). Production flags its top ``flag_rate``; a share
``decided`` of its flags were reviewed before the backtest (their labels are known); the candidate is
compared at matched volume. Used by ``tests/evaluation/test_backtest_design.py`` and
``bench/backtest_coverage.py``; the design code under test is the product's (``evaluation.backtest.design``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from listingguard.evaluation.backtest import design
from listingguard.evaluation.backtest.estimators import TopicEstimates, estimate_topic, lower_bound
from listingguard.evaluation.backtest.report import GateConfig, judge


@dataclass(frozen=True, slots=True)
class Window:
    truth: np.ndarray  # 0/1 per listing
    production_score: np.ndarray
    candidate_score: np.ndarray
    production: np.ndarray  # flags
    candidate: np.ndarray  # flags at matched volume
    decided: np.ndarray  # labelled before the backtest

    def true_values(self) -> dict[str, float]:
        y = self.truth.astype(bool)
        total = y.sum()
        b_only = (y & self.candidate & ~self.production).sum()
        a_only = (y & self.production & ~self.candidate).sum()
        return {
            "delta_caught": float(b_only - a_only),
            "delta_recall": float((b_only - a_only) / total),
            "recall_candidate": float((y & self.candidate).sum() / total),
            "recall_production": float((y & self.production).sum() / total),
        }


def _posterior(score: np.ndarray, prevalence: float, separation: float) -> np.ndarray:
    pos = prevalence * stats.norm.pdf(score, loc=separation)
    neg = (1 - prevalence) * stats.norm.pdf(score)
    return pos / (pos + neg)


def synthetic_window(
    rng: np.random.Generator,
    *,
    n: int = 20_000,
    prevalence: float = 0.005,
    production_separation: float = 2.5,
    candidate_separation: float = 2.8,
    correlation: float = 0.8,
    flag_rate: float = 0.015,
    decided: float = 0.9,
    miscalibration: float = 1.0,
) -> Window:
    """One window (see the module docstring)."""
    truth = (rng.random(n) < prevalence).astype(np.int8)
    shared = rng.standard_normal(n)
    own_a, own_b = rng.standard_normal(n), rng.standard_normal(n)
    noise_a = np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * own_a
    noise_b = np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * own_b
    raw_a = production_separation * truth + noise_a
    raw_b = candidate_separation * truth + noise_b
    score_a = np.minimum(1.0, miscalibration * _posterior(raw_a, prevalence, production_separation))
    score_b = np.minimum(1.0, miscalibration * _posterior(raw_b, prevalence, candidate_separation))
    k = max(1, round(flag_rate * n))
    production = np.zeros(n, dtype=bool)
    production[np.argsort(-score_a)[:k]] = True
    threshold = design.matched_thresholds(score_b[:, None], production[:, None])[0]
    candidate = score_b >= threshold
    was_decided = production & (rng.random(n) < decided)
    return Window(truth, score_a, score_b, production, candidate, was_decided)


def backtest_once(
    window: Window, rng: np.random.Generator, *, label_budget: int, exploration: int, level: float = 0.95
) -> TopicEstimates:
    """Run the product's design and estimators on a window: strata, sample, labels, intervals."""
    top = np.maximum(window.production_score, window.candidate_score)
    strata = design.assign_strata(window.production[:, None], [window.candidate[:, None]], window.decided, top)
    the_plan = design.plan(strata, top, label_budget=label_budget, exploration=exploration)
    sampled = design.draw(strata, the_plan, rng)
    labels = np.where(window.decided | sampled, window.truth, -1).astype(np.int8)
    sets = design.topic_sets(window.production, window.candidate, strata, labels, top)
    return estimate_topic(sets, rng=rng, n_draws=2000, level=level)


def gate_once(estimates: TopicEstimates, *, margin: float = 0.02, alpha: float = 0.05) -> bool:
    """The product's gate on one topic at matched volume (the load condition does not apply here)."""
    draws = estimates.draws["delta_recall"]
    finite = draws[np.isfinite(draws)]
    per_topic = {"t": {"delta_recall": estimates.intervals["delta_recall"].to_dict()}}
    lcbs = {"t": lower_bound(draws, alpha=alpha)}
    superiority = {"t": float((finite <= 0).mean()) if len(finite) else 1.0}
    verdict = judge(
        per_topic, lcbs, superiority, {"change": 0.0}, {"tasks": 0, "decided": 0}, GateConfig(margin=margin)
    )
    return bool(verdict["passed"])


def srs_once(window: Window, rng: np.random.Generator, *, labels: int) -> tuple[float, float]:
    """A simple random sample of the undecided listings instead: Δcaught's estimate and its standard error."""
    y = window.truth.astype(float)
    z = y * (window.candidate & ~window.production) - y * (window.production & ~window.candidate)
    fixed = float(z[window.decided].sum())
    pool = np.flatnonzero(~window.decided)
    chosen = rng.choice(pool, size=labels, replace=False)
    big_n = len(pool)
    estimate = fixed + big_n * z[chosen].mean()
    se = big_n * np.sqrt((1 - labels / big_n) * z[chosen].var(ddof=1) / labels)
    return float(estimate), float(se)
