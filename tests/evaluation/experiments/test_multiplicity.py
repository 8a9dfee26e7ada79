"""Holm across topics: statsmodels' arithmetic, and the family-wise error it promises."""

import numpy as np
import pytest

from listingguard.evaluation.experiments import multiplicity


def test_holm_step_down() -> None:
    out = multiplicity.holm({"weapons": 0.01, "drugs": 0.04, "adult": 0.03, "tickets_resale": 0.2}, alpha=0.05)
    assert out["weapons"].adjusted == pytest.approx(0.04)  # 4 × 0.01
    assert out["adult"].adjusted == pytest.approx(0.09)  # 3 × 0.03
    assert out["drugs"].adjusted == pytest.approx(0.09)  # max(2 × 0.04, 0.09)
    assert [v.rejected for v in out.values()] == [True, False, False, False]
    assert multiplicity.holm({}) == {}
    with pytest.raises(ValueError, match="p-values"):
        multiplicity.holm({"a": 1.5})


def test_holm_is_statsmodels_holm() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for row in rng.random((10, 8)) ** 3:
        ours = multiplicity.holm(dict(enumerate(row)), alpha=0.05)
        rejected, adjusted, _, _ = multipletests(row, alpha=0.05, method="holm")
        assert [v.adjusted for v in ours.values()] == pytest.approx(list(adjusted))
        assert [v.rejected for v in ours.values()] == list(rejected)


def test_family_wise_error_under_the_global_null() -> None:
    # Holm rejects some topic exactly when the smallest p-value is at most alpha/m; checked on a few rows
    # (statsmodels' multipletests runs gc.collect() on every call), then the family-wise error on many.
    rng = np.random.default_rng(9)
    p = rng.random((20_000, 8)) * np.where(rng.random((20_000, 1)) < 0.5, 0.05, 1.0)
    for row in p[:15]:
        assert any(v.rejected for v in multiplicity.holm(dict(enumerate(row))).values()) == (row.min() <= 0.05 / 8)
    null = rng.random((20_000, 8))
    assert (null.min(axis=1) <= 0.05 / 8).mean() <= 0.05 + 0.004
    assert (null <= 0.05).any(axis=1).mean() > 0.3  # uncorrected, some topic "wins" a third of the time
