"""Applying a fitted calibrator to decision values (what scoring needs; no scikit-learn).

Training (``detection.detector``) fits the calibrator with scikit-learn and stores it as plain numbers;
scoring maps decision values through it with numpy only, so loading and using a model does not import
scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit


def apply_calibration(calibration: dict[str, Any], decision: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Apply a fitted calibrator (as stored in ``TopicDetector.calibration_``) to decision values."""
    method = calibration["method"]
    if method == "sigmoid":
        return np.asarray(expit(calibration["a"] * decision + calibration["b"]), dtype=np.float64)
    if method == "isotonic":
        return np.interp(decision, np.asarray(calibration["x"]), np.asarray(calibration["y"]))
    return np.asarray(expit(decision), dtype=np.float64)
