"""The per-topic detector: a linear model with calibrated probabilities, following scikit-learn's contract.

Why linear (scikit-learn's ``LogisticRegression`` with L-BFGS): with hundreds of thousands of sparse
n-gram features and a few hundred positives per topic, an L2-regularised logistic regression is as
accurate as anything heavier, trains in seconds, scores a batch with one sparse matrix product for all
topics, and explains itself (each feature's contribution is its value times its weight).

Why a squared-hinge option (scikit-learn's ``LinearSVC``): on real spam (the SMS benchmark) the same
features catch 1-1.5 points more spam at the same false-positive rate with a margin loss than with the
log loss, while on the simulator's listings they lose 2.7 points of PR-AUC. So it is a switch
(``loss``), not the default, measured in ``docs/benchmarks.md``; calibration makes its margins
probabilities like any other.

Why calibrated: the policy compares ``severity x probability`` across topics and ``listingguard thresholds``
picks per-topic thresholds from calibrated probabilities, so a score of 0.3 must mean "about 30% of such
listings violate". Calibration maps decision values to probabilities with Platt scaling (default;
robust with few positives) or isotonic regression, fitted on out-of-fold predictions so the calibrator
never sees the model's training fit.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from listingguard.detection.calibration import apply_calibration

__all__ = ["SVM_MAX_ITER", "TopicDetector", "apply_calibration"]

SVM_MAX_ITER = 10_000  # liblinear's default of 1,000 stops short on a few thousand listings (a ConvergenceWarning)


class TopicDetector(ClassifierMixin, BaseEstimator):
    """Binary detector for one policy topic: logistic regression plus probability calibration.

    Parameters
    ----------
    C : float, default=4.0
        Inverse L2 regularisation strength.
    loss : {"log_loss", "squared_hinge"}, default="log_loss"
        Logistic regression (L-BFGS) or a linear SVM (liblinear); either way the margins are calibrated.
    class_weight : {"balanced"}, dict or None, default="balanced"
        Reweights the rare positive class during fitting; calibration undoes the resulting shift.
    calibration : {"sigmoid", "isotonic", "none"}, default="sigmoid"
        How decision values become probabilities.
    cv : int, cross-validation generator or iterable, default=3
        Folds for the out-of-fold decision values the calibrator is fitted on. An integer is reduced
        automatically when a class has fewer examples than folds.
    max_iter : int, default=300
        L-BFGS iterations (``log_loss``; the SVM allows ``SVM_MAX_ITER`` and keeps liblinear's ``tol``).
    tol : float, default=1e-3
        Stopping tolerance; rankings stop changing long before the default 1e-4 of scikit-learn.
    random_state : int, RandomState instance or None, default=0
        Seed for the fold split (and for liblinear's shuffling with the SVM).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels; the second is the violating class.
    coef_ : ndarray of shape (n_features,)
        Weight of each feature.
    intercept_ : float
        Bias of the decision function.
    calibration_ : dict
        Fitted calibrator: ``{"method": "sigmoid", "a": .., "b": ..}``,
        ``{"method": "isotonic", "x": [...], "y": [...]}`` or ``{"method": "none"}``.
    n_features_in_ : int
        Number of features seen during fit.
    n_iter_ : int
        Solver iterations used by the final fit.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 1).astype(int)
    >>> det = TopicDetector().fit(X, y)
    >>> det.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "loss": [StrOptions({"log_loss", "squared_hinge"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "calibration": [StrOptions({"sigmoid", "isotonic", "none"})],
        "cv": ["cv_object"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        C: float = 4.0,
        loss: str = "log_loss",
        class_weight: str | dict[Any, float] | None = "balanced",
        calibration: str = "sigmoid",
        cv: Any = 3,
        max_iter: int = 300,
        tol: float = 1e-3,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.C = C
        self.loss = loss
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags

    def _base(self) -> LogisticRegression | LinearSVC:
        weights = self.class_weight
        if isinstance(weights, dict):  # keys are the caller's labels; the model sees 0/1
            weights = {int(label == self.classes_[1]): w for label, w in weights.items() if label in self.classes_}
        if self.loss == "squared_hinge":
            # liblinear's dual coordinate descent: its iterations are not L-BFGS's (1,500 on 12,000 listings).
            return LinearSVC(C=self.C, class_weight=weights, max_iter=SVM_MAX_ITER, random_state=self.random_state)
        return LogisticRegression(C=self.C, class_weight=weights, solver="lbfgs", max_iter=self.max_iter, tol=self.tol)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TopicDetector:
        """Fit the linear model on all of ``X`` and the calibrator on out-of-fold decision values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Two classes; the larger label (or ``True``/1) is the violation.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-example weights, e.g. ``1/pi`` for labels from a random exploration sample.

        Returns
        -------
        self : TopicDetector
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) > 2:
            raise ValueError(
                f"Only binary classification is supported: one detector per topic; got classes {self.classes_.tolist()}"
            )
        if len(self.classes_) < 2:
            raise ValueError(
                "TopicDetector needs examples of both classes (violating and fine); got only one class "
                f"{self.classes_.tolist()}"
            )
        target = (y == self.classes_[1]).astype(np.int64)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        base = self._base().fit(X, target, sample_weight=weights)
        self.coef_ = base.coef_.ravel().astype(np.float64)
        self.intercept_ = float(base.intercept_[0])
        self.n_iter_ = int(np.max(base.n_iter_))
        self.calibration_ = self._fit_calibration(X, target, weights)
        return self

    def _fit_calibration(
        self, X: Any, target: npt.NDArray[np.int64], weights: npt.NDArray[np.float64] | None
    ) -> dict[str, Any]:
        if self.calibration == "none":
            return {"method": "none"}
        smallest = int(min(target.sum(), len(target) - target.sum()))
        folds: Any = self.cv
        if isinstance(self.cv, Integral):
            folds = StratifiedKFold(n_splits=min(int(self.cv), smallest), shuffle=True, random_state=self.random_state)
        if smallest >= 2:
            params = {} if weights is None else {"sample_weight": weights}
            decision = cross_val_predict(self._base(), X, target, cv=folds, method="decision_function", params=params)
        else:  # too few examples to hold any out; calibrate on the training fit
            decision = np.asarray(X @ self.coef_ + self.intercept_).ravel()  # raw margins
        if self.calibration == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(decision, target, sample_weight=weights)
            return {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
        platt = LogisticRegression(C=1e4, max_iter=1000)
        platt.fit(decision.reshape(-1, 1), target, sample_weight=weights)
        return {"method": "sigmoid", "a": float(platt.coef_[0, 0]), "b": float(platt.intercept_[0])}

    def raw_decision(self, X: Any) -> npt.NDArray[np.float64]:
        """Uncalibrated margins: ``X @ coef_ + intercept_``."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=[np.float64, np.float32])
        return np.asarray(X @ self.coef_ + self.intercept_, dtype=np.float64).ravel()

    def decision_function(self, X: Any) -> npt.NDArray[np.float64]:
        """Calibrated log-odds, so that ``decision_function(X) > 0`` agrees with :meth:`predict`."""
        p = np.clip(self.calibrate(self.raw_decision(X)), 1e-12, 1 - 1e-12)
        return np.asarray(np.log(p) - np.log1p(-p), dtype=np.float64)

    def calibrate(self, decision: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Map raw margins to calibrated probabilities of the violating class."""
        return apply_calibration(self.calibration_, decision)

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, columns ordered as ``classes_``."""
        p = self.calibrate(self.raw_decision(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The violating class where its calibrated probability exceeds 0.5."""
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
