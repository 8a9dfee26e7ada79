"""Group-sequential bounds against published values, and their crossing probability by simulation."""

import numpy as np
import pytest

from listingguard.evaluation.experiments import boundaries

FIVE = np.array([0.2, 0.4, 0.6, 0.8, 1.0])


def brownian_z(rng: np.random.Generator, fractions: np.ndarray, runs: int, drift: float = 0.0) -> np.ndarray:
    """Z at each look of ``runs`` Brownian motions with drift θ per unit information (E[Z_t] = θ√t)."""
    dt = np.diff(np.concatenate([[0.0], fractions]))
    increments = rng.standard_normal((runs, len(fractions))) * np.sqrt(dt) + drift * dt
    return np.cumsum(increments, axis=1) / np.sqrt(fractions)


class TestClassicShapes:
    def test_obrien_fleming_five_equal_looks(self) -> None:
        bounds = boundaries.classic_bounds(FIVE, alpha=0.05, shape="obrien-fleming")
        np.testing.assert_allclose(bounds, [4.56, 3.23, 2.63, 2.28, 2.04], atol=0.005)

    def test_pocock_five_equal_looks(self) -> None:
        np.testing.assert_allclose(boundaries.classic_bounds(FIVE, shape="pocock"), 2.413, atol=0.001)


class TestSpendingBounds:
    def test_obrien_fleming_type_matches_ldbounds(self) -> None:
        # ldbounds / gsDesign (sfLDOF, alpha/2 a side), 5 equal looks, two-sided 0.05
        np.testing.assert_allclose(
            boundaries.efficacy_bounds(FIVE), [4.8769, 3.3569, 2.6803, 2.2898, 2.0310], atol=0.001
        )

    def test_pocock_type_matches_ldbounds(self) -> None:
        np.testing.assert_allclose(
            boundaries.efficacy_bounds(FIVE, spending="pocock"), [2.4380, 2.4268, 2.4101, 2.3966, 2.3859], atol=0.001
        )

    def test_one_look_is_the_fixed_sample_test(self) -> None:
        assert boundaries.efficacy_bounds([1.0], alpha=0.05)[0] == pytest.approx(1.95996, abs=1e-4)

    def test_spending_reaches_alpha_at_full_information(self) -> None:
        for kind in boundaries.SPENDINGS:
            assert float(boundaries.spent(kind, 1.0, 0.025)) == pytest.approx(0.025)
            assert float(boundaries.spent(kind, 0.0, 0.025)) == 0.0

    @pytest.mark.parametrize("spending", boundaries.SPENDINGS)
    @pytest.mark.parametrize(
        "fractions", [[0.2, 0.4, 0.6, 0.8, 1.0], [0.15, 0.5, 0.55, 1.0], list(np.arange(1, 11) / 10)]
    )
    def test_crossing_probability_under_h0_is_alpha(self, spending, fractions) -> None:
        t = np.asarray(fractions)
        bounds = boundaries.efficacy_bounds(t, alpha=0.05, spending=spending)
        up, down = boundaries.stopping_probabilities(t, bounds, -bounds, 0.0)
        assert up.sum() + down.sum() == pytest.approx(0.05, abs=2e-4)  # the recursion itself
        z = brownian_z(np.random.default_rng(11), t, 200_000)
        crossed = (np.abs(z) >= bounds).any(axis=1).mean()
        assert crossed == pytest.approx(0.05, abs=0.0025)  # ±2.5 standard errors of 200,000 runs
        # the increments at each look are the spending function's
        first = np.argmax(np.abs(z) >= bounds, axis=1)[(np.abs(z) >= bounds).any(axis=1)]
        per_look = np.bincount(first, minlength=len(t)) / 200_000
        expected = np.diff(np.concatenate([[0.0], 2 * boundaries.spent(spending, t, 0.025)]))
        np.testing.assert_allclose(per_look, expected, atol=0.0015)

    def test_naive_peeking_at_the_fixed_bound_inflates_alpha(self) -> None:
        z = brownian_z(np.random.default_rng(3), FIVE, 100_000)
        assert (np.abs(z) >= 1.96).any(axis=1).mean() > 0.12

    def test_refuses_bad_fractions(self) -> None:
        for bad in ([0.5, 0.4, 1.0], [0.0, 1.0], [0.5, 0.9], []):
            with pytest.raises(ValueError, match="fractions"):
                boundaries.efficacy_bounds(bad)


class TestDesign:
    def test_power_without_futility_matches_known_inflation(self) -> None:
        # Jennison & Turnbull: OBF-type spending, 5 looks, alpha 0.05, power 0.8 inflates the fixed n by ≈ 1.03
        d = boundaries.design(FIVE, futility=False)
        assert d.inflation == pytest.approx(1.03, abs=0.015)
        z = brownian_z(np.random.default_rng(5), FIVE, 100_000, drift=d.drift)
        assert (z >= d.efficacy).any(axis=1).mean() == pytest.approx(0.8, abs=0.006)

    def test_futility_spends_beta_and_keeps_power(self) -> None:
        d = boundaries.design(FIVE, futility=True)
        assert d.futility is not None
        assert d.futility[-1] == d.efficacy[-1]
        assert np.all(np.diff(d.futility) > 0) and np.all(d.futility <= d.efficacy)
        rng = np.random.default_rng(6)
        z = brownian_z(rng, FIVE, 100_000, drift=d.drift)
        stop = (z >= d.efficacy) | (z < d.futility)
        first = np.argmax(stop, axis=1)
        won = z[np.arange(len(z)), first] >= d.efficacy[first]
        assert won.mean() == pytest.approx(0.8, abs=0.006)
        assert d.inflation > boundaries.design(FIVE, futility=False).inflation

    def test_futility_is_non_binding(self) -> None:
        # ignoring the futility stops leaves the efficacy bounds' type-I error at alpha; obeying them lowers it
        d = boundaries.design(FIVE, futility=True)
        z = brownian_z(np.random.default_rng(8), FIVE, 200_000)
        ignored = (np.abs(z) >= d.efficacy).any(axis=1).mean()
        stop = (np.abs(z) >= d.efficacy) | (z < d.futility)
        first = np.argmax(stop, axis=1)
        obeyed = (np.abs(z[np.arange(len(z)), first]) >= d.efficacy[first]).mean()
        assert ignored == pytest.approx(0.05, abs=0.0025)
        assert obeyed < ignored

    def test_expected_fraction_is_below_one_under_the_alternative(self) -> None:
        d = boundaries.design(FIVE)
        assert 0.4 < d.expected_fraction(d.drift) < 0.8
