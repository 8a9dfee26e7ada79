"""TopicDetector follows the scikit-learn contract and its probabilities are calibrated."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from listingguard.detection.detector import TopicDetector
from listingguard.evaluation.metrics import expected_calibration_error


def _expected_failures(estimator: TopicDetector) -> dict[str, str]:
    failures = {}
    if estimator.calibration != "none":
        failures["check_class_weight_classifiers"] = (
            "calibration deliberately undoes class weights: probabilities must stay honest"
        )
    return failures


@parametrize_with_checks(
    [TopicDetector(), TopicDetector(calibration="none"), TopicDetector(calibration="isotonic")],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def test_only_binary() -> None:
    X = np.arange(12, dtype=float).reshape(6, 2)
    with pytest.raises(ValueError, match="Only binary"):
        TopicDetector().fit(X, [0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="one class"):
        TopicDetector().fit(X, [1] * 6)


@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic"])
def test_probabilities_are_calibrated_on_rare_events(calibration: str) -> None:
    """Simulate a rare-event problem with known probabilities; the detector's must match them."""
    rng = np.random.default_rng(42)
    n = 40_000
    X = rng.normal(size=(n, 5))
    true_logit = -5.0 + 1.6 * X[:, 0] - 0.8 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(int)
    assert 0.005 < y.mean() < 0.05
    det = TopicDetector(calibration=calibration).fit(X[:30_000], y[:30_000])
    p = det.predict_proba(X[30_000:])[:, 1]
    oracle = 1 / (1 + np.exp(-true_logit[30_000:]))  # the true probabilities: the best anyone can do
    ece = expected_calibration_error(y[30_000:], p, n_bins=10)
    assert ece < expected_calibration_error(y[30_000:], oracle, n_bins=10) + 0.003
    assert abs(p.mean() - y[30_000:].mean()) < 0.004


def test_uncalibrated_class_weighting_is_overconfident() -> None:
    """The same data without calibration: balanced weights inflate probabilities (so the test can fail)."""
    rng = np.random.default_rng(42)
    X = rng.normal(size=(20_000, 5))
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(-5.0 + 1.6 * X[:, 0])))).astype(int)
    raw = TopicDetector(calibration="none").fit(X, y).predict_proba(X)[:, 1]
    assert expected_calibration_error(y, raw) > 0.1
