"""A trained model: the shared featurizer plus one detector per topic, saved as a self-describing directory.

A model directory holds plain arrays and JSON, never pickles, so loading one cannot execute code and does
not depend on the exact scikit-learn version that trained it::

    model-20261127T120000-3f2a9c1d/
      manifest.json     topics, feature spec, training data hash and rows, label window, hold-out
                        metrics, detector parameters, library and code versions, author, created_at
      featurizer.json   learned category medians and the feature spec
      arrays.npz        IDF weights, dense scaling, and every topic's coefficients

Scoring is vectorised across topics: the features are computed once and one sparse-dense product gives
every topic's decision value.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy
import scipy.sparse as sp
import sklearn

from listingguard import __version__
from listingguard.detection.detector import TopicDetector, apply_calibration
from listingguard.detection.features import ListingFeaturizer
from listingguard.detection.manifest import MANIFEST_VERSION, MODEL_FORMAT, parse_manifest
from listingguard.errors import ModelError
from listingguard.listings.batch import ListingBatch

MODEL_FORMAT_VERSION = MANIFEST_VERSION

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "ModerationModel", "library_versions"]


@dataclass
class ModerationModel:
    """Featurizer + per-topic detectors + manifest; scores a batch for all topics at once."""

    featurizer: ListingFeaturizer
    detectors: dict[str, TopicDetector]
    manifest: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.topics: list[str] = sorted(self.detectors)
        width = self.featurizer.n_features
        weights = np.zeros((width, len(self.topics)), dtype=np.float32)
        for j, topic in enumerate(self.topics):
            weights[:, j] = self.detectors[topic].coef_
        self._weights = weights
        self._intercepts = np.asarray([self.detectors[t].intercept_ for t in self.topics], dtype=np.float64)

    @property
    def version(self) -> str:
        return str(self.manifest.get("model_version", "unversioned"))

    def topic_weights(self, topic: str) -> npt.NDArray[np.float32]:
        """The coefficient vector of ``topic``'s detector (one weight per feature column)."""
        return self._weights[:, self.topics.index(topic)]

    def features(self, batch: ListingBatch) -> sp.csr_matrix:
        """The shared feature matrix of ``batch``."""
        return self.featurizer.transform(batch)

    def decision_values(self, features: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Uncalibrated scores, shape (listings, topics), from one sparse-dense product."""
        return np.asarray(features @ self._weights, dtype=np.float64) + self._intercepts

    def predict_proba(self, batch: ListingBatch, features: sp.csr_matrix | None = None) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, shape (listings, topics), columns in :attr:`topics` order."""
        if len(batch) == 0:
            return np.zeros((0, len(self.topics)))
        X = self.features(batch) if features is None else features
        decision = self.decision_values(X)
        out = np.empty_like(decision)
        for j, topic in enumerate(self.topics):
            out[:, j] = apply_calibration(self.detectors[topic].calibration_, decision[:, j])
        return out

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        """Write the model to ``directory`` atomically (a temporary directory renamed into place)."""
        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()):
            raise ModelError(f"{directory} already exists and is not empty; choose a new --out directory")
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-model-", dir=directory.parent))
        try:
            meta, arrays = self.featurizer.state()
            for topic in self.topics:
                arrays[f"coef__{topic}"] = self.detectors[topic].coef_.astype(np.float32)
            np.savez_compressed(tmp / "arrays.npz", allow_pickle=False, **arrays)
            (tmp / "featurizer.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
            detectors = {
                topic: {
                    "params": self.detectors[topic].get_params(),
                    "intercept": self.detectors[topic].intercept_,
                    "calibration": self.detectors[topic].calibration_,
                    "classes": self.detectors[topic].classes_.tolist(),
                }
                for topic in self.topics
            }
            (tmp / "detectors.json").write_text(json.dumps(detectors, indent=2, default=str), encoding="utf-8")
            manifest = dict(self.manifest)
            manifest["artifact_sha256"] = _artifact_hash(tmp)
            manifest = parse_manifest(json.loads(json.dumps(manifest, default=str)), where=str(directory)).to_json()
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
            if directory.exists():
                directory.rmdir()
            os.replace(tmp, directory)
        except BaseException:
            for path in tmp.glob("*"):
                path.unlink()
            tmp.rmdir()
            raise
        self.manifest = manifest
        return directory

    @classmethod
    def load(cls, directory: Path) -> ModerationModel:
        """Load a model directory, refusing one from another format version or with damaged files."""
        directory = Path(directory)
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise ModelError(
                f"{directory} is not a model directory (no manifest.json); train one with `listingguard train`"
            )
        try:
            raw = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{manifest_path} is damaged ({exc}); retrain the model") from None
        # validated (and a format-1 manifest migrated) against the typed schema of detection.manifest
        manifest = parse_manifest(raw, where=f"{directory} (this is listingguard {__version__})").to_json()
        expected = manifest.get("artifact_sha256")
        if expected and _artifact_hash(directory) != expected:
            raise ModelError(
                f"{directory}: files do not match the manifest's hash (modified or truncated); retrain or restore it"
            )
        try:
            meta = json.loads((directory / "featurizer.json").read_text(encoding="utf-8"))
            detector_meta = json.loads((directory / "detectors.json").read_text(encoding="utf-8"))
            with np.load(directory / "arrays.npz", allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{directory}: cannot read model files ({exc}); retrain the model") from None
        featurizer = ListingFeaturizer.from_state(meta, arrays)
        if featurizer.spec.code_version != manifest.get("feature_spec", {}).get(
            "code_version", featurizer.spec.code_version
        ):
            raise ModelError(f"{directory}: feature code version mismatch; retrain the model")
        detectors = {}
        for topic, info in detector_meta.items():
            detector = TopicDetector(**_params(info["params"]))
            detector.coef_ = arrays[f"coef__{topic}"].astype(np.float64)
            detector.intercept_ = float(info["intercept"])
            detector.calibration_ = info["calibration"]
            detector.classes_ = np.asarray(info["classes"])
            detector.n_features_in_ = len(detector.coef_)
            detectors[topic] = detector
        return cls(featurizer=featurizer, detectors=detectors, manifest=manifest)


def _params(params: dict[str, Any]) -> dict[str, Any]:
    allowed = {"C", "loss", "class_weight", "calibration", "cv", "max_iter", "tol", "random_state"}
    return {k: v for k, v in params.items() if k in allowed}


def _artifact_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in ("arrays.npz", "featurizer.json", "detectors.json"):
        digest.update(name.encode())
        with (directory / name).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions recorded in every manifest."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "listingguard": __version__,
    }


def topics_in(model: ModerationModel | None, extra: Sequence[str] = ()) -> list[str]:
    """Topics scored by ``model`` plus ``extra`` (e.g. the rule set's), sorted and unique."""
    return sorted(set(model.topics if model else ()) | set(extra))
