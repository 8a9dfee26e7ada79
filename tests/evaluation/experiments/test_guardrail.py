"""The mixture SPRT harm guardrail: closed form, and type-I error under continuous peeking."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from listingguard.evaluation.experiments import guardrail


def test_likelihood_ratio_is_the_beta_mixture() -> None:
    a, n_b, n_a = 3.0, 7, 15

    def integrand(p: float) -> float:
        return p**n_b * (1 - p) ** n_a * stats.beta.pdf(p, a, a) / 0.5 ** (n_b + n_a)

    mixture, _ = integrate.quad(integrand, 0, 1)
    assert guardrail.log_likelihood_ratio(n_b, n_a, a=a)[()] == pytest.approx(math.log(mixture), rel=1e-9)
    assert guardrail.log_likelihood_ratio(0, 0, a=a)[()] == pytest.approx(0.0)


def test_type_one_error_with_continuous_peeking() -> None:
    rng = np.random.default_rng(21)
    outcomes = rng.random((4000, 2000)) < 0.5  # every discordant violation, checked after each one
    n_b = np.cumsum(outcomes, axis=1)
    n_a = np.arange(1, 2001) - n_b
    fired = guardrail.harm_crossed(n_b, n_a, alpha=0.05, a=5.0).any(axis=1).mean()
    assert fired <= 0.05
    assert fired > 0.005  # it is a test, not a switch that never fires
    # a two-sided fixed-level z-test peeked at after every item fires far more often
    z = (n_b - n_a) / np.sqrt(n_b + n_a)
    assert ((z <= -1.96).any(axis=1)).mean() > 0.2


def test_detects_harm() -> None:
    rng = np.random.default_rng(22)
    outcomes = (rng.random((1000, 600)) < 0.35).astype(int)  # B has only 35% of the discordant catches
    stops = [guardrail.track(row, alpha=0.05, a=guardrail.concentration_for(0.15)) for row in outcomes]
    assert np.mean([s.harm for s in stops]) > 0.95
    assert np.median([s.n_a + s.n_b for s in stops]) < 200


def test_never_fires_for_a_better_b() -> None:
    rng = np.random.default_rng(23)
    outcomes = (rng.random((500, 500)) < 0.7).astype(int)
    assert not any(guardrail.track(row).harm for row in outcomes)


def test_track_reports_an_always_valid_p_value() -> None:
    state = guardrail.track([0] * 40)
    assert state.harm and state.p_value <= 0.05
    assert guardrail.track([]).p_value == 1.0
    with pytest.raises(ValueError, match="0"):
        guardrail.track([0, 2])


def test_concentration_for() -> None:
    a = guardrail.concentration_for(0.1)
    assert math.sqrt(stats.beta.var(a, a)) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="harm"):
        guardrail.concentration_for(0.6)
