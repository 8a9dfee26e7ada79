"""The discordant test against statsmodels and SciPy, and precision intervals."""

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from listingguard.evaluation.experiments import discordant


@pytest.mark.parametrize(
    ("n_b", "n_a"), [(0, 0), (0, 1), (5, 5), (12, 3), (3, 12), (37, 20), (60, 40), (0, 9), (141, 99)]
)
def test_exact_p_value_matches_statsmodels_and_scipy(n_b: int, n_a: int) -> None:
    ours = discordant.exact_p_value(n_b, n_a)
    table = np.array([[1000, n_b], [n_a, 300]])  # the concordant cells do not matter
    assert ours == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)
    if n_b + n_a:
        assert ours == pytest.approx(binomtest(n_b, n_b + n_a, 0.5).pvalue, abs=1e-12)


def test_exact_test_holds_its_level() -> None:
    rng = np.random.default_rng(2)
    n = rng.integers(5, 300, size=20_000)
    n_b = rng.binomial(n, 0.5)
    p = np.array([discordant.exact_p_value(int(b), int(k - b)) for b, k in zip(n_b, n, strict=True)])
    assert (p <= 0.05).mean() <= 0.05 + 0.003  # conservative (discrete), never above alpha


def test_exact_p_value_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        discordant.exact_p_value(-1, 3)


def test_z_statistic() -> None:
    assert discordant.z_statistic(60, 40)[()] == pytest.approx(20 / 10)
    assert discordant.z_statistic(0, 0)[()] == 0.0
    np.testing.assert_allclose(discordant.z_statistic([10, 0], [10, 4], [0.5, 0.25]), [0.0, -np.sqrt(4 / 3)])
    # it is the square root of McNemar's uncorrected chi-square, with the sign of B's lead
    assert discordant.z_statistic(37, 20)[()] ** 2 == pytest.approx(
        mcnemar(np.array([[0, 37], [20, 0]]), exact=False, correction=False).statistic
    )


def test_precision_is_wilson() -> None:
    p = discordant.precision(37, 70)
    low, high = proportion_confint(37, 70, method="wilson")
    assert (p.value, p.low, p.high) == pytest.approx((37 / 70, low, high))
    assert discordant.precision(0, 0).value is None
    with pytest.raises(ValueError, match="between"):
        discordant.precision(5, 4)


def test_wilson_covers_small_precisions() -> None:
    rng = np.random.default_rng(4)
    hits = rng.binomial(40, 0.1, size=4000)
    covered = [(lambda p: p.low <= 0.1 <= p.high)(discordant.precision(int(h), 40)) for h in hits]
    assert np.mean(covered) >= 0.93


def test_summary() -> None:
    s = discordant.summarise(n_b=37, n_a=20, reviewed_b=70, reviewed_a=71)
    assert s.share_b == pytest.approx(37 / 57)
    assert s.p_value == pytest.approx(binomtest(37, 57).pvalue)
    assert s.to_dict()["precision_a"]["confirmed"] == 20
