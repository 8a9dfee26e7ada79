"""TopicDetector follows the scikit-learn contract and its probabilities are calibrated."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from listingguard.detection.detector import TopicDetector
from listingguard.evaluation.metrics import expected_calibration_error


def _expected_failures(estimator: TopicDetector) -> dict[str, str]:
    failures = {}
    if estimator.calibration != "none":
        failures["check_class_weight_classifiers"] = (
            "calibration deliberately undoes class weights: probabilities must stay honest"
        )
    if estimator.loss == "squared_hinge":  # scikit-learn expects the same of LinearSVC itself
        for data in ("dense", "sparse"):
            failures[f"check_sample_weight_equivalence_on_{data}_data"] = (
                "liblinear's dual solver does not make weights equal to repeated rows (scikit-learn's own xfail)"
            )
    return failures


@parametrize_with_checks(
    [
        TopicDetector(),
        TopicDetector(calibration="none"),
        TopicDetector(calibration="isotonic"),
        TopicDetector(loss="squared_hinge"),
    ],
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


@pytest.mark.parametrize("loss", ["log_loss", "squared_hinge"])
@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic"])
def test_probabilities_are_calibrated_on_rare_events(calibration: str, loss: str) -> None:
    """Simulate a rare-event problem with known probabilities; the detector's must match them, whatever the loss
    (an SVM's margins are not probabilities until calibrated)."""
    rng = np.random.default_rng(42)
    n = 40_000
    X = rng.normal(size=(n, 5))
    true_logit = -5.0 + 1.6 * X[:, 0] - 0.8 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(int)
    assert 0.005 < y.mean() < 0.05
    det = TopicDetector(calibration=calibration, loss=loss).fit(X[:30_000], y[:30_000])
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


def test_the_svm_is_liblinears_linear_svm() -> None:
    """``loss="squared_hinge"`` fits the same hyperplane as scikit-learn's LinearSVC with the same settings."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2_000, 6))
    y = (X[:, 0] - 0.5 * X[:, 2] + rng.normal(scale=0.8, size=2_000) > 1.5).astype(int)
    ours = TopicDetector(loss="squared_hinge", C=0.5).fit(X, y)
    reference = LinearSVC(C=0.5, class_weight="balanced", random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_.ravel(), rtol=1e-6)
    np.testing.assert_allclose(ours.raw_decision(X), reference.decision_function(X), rtol=1e-6)
    logistic = TopicDetector(C=0.5).fit(X, y)
    assert not np.allclose(logistic.coef_, ours.coef_, rtol=1e-2)
