"""Training: labelled listings in, a model directory with full lineage out.

The split is by time, never at random: the hold-out is the most recent part of the data, because a model
is always used on listings newer than anything it was trained on, and a random split would leak next
week's slang into training and overstate quality. The final model is then refitted on the whole window
(``refit=True``); the manifest records both windows so nobody mistakes one for the other.
"""

from __future__ import annotations

import getpass
import hashlib
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from listingguard import __version__
from listingguard.config import PACKAGE_DIR
from listingguard.detection.detector import TopicDetector
from listingguard.detection.features import FeatureSpec, ListingFeaturizer
from listingguard.detection.model import MODEL_FORMAT, MODEL_FORMAT_VERSION, ModerationModel, library_versions
from listingguard.errors import Invalid
from listingguard.evaluation.metrics import topic_summary
from listingguard.listings.batch import ListingBatch

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DataSource:
    """Where training data came from, for the manifest's lineage."""

    kind: str  # file | database
    name: str
    sha256: str
    rows: int


@dataclass(slots=True)
class TrainingConfig:
    """How to train.

    Parameters
    ----------
    topics : list of str or None
        Train only these topics; None trains every topic the labels name.
    holdout_fraction : float
        Most recent share of the labelled rows kept out for the manifest's metrics.
    min_positives : int
        A topic needs at least this many violating examples in the training part.
    refit : bool
        Refit on all rows after measuring on the hold-out.
    spec : FeatureSpec
        Features to compute.
    detector_params : dict
        Passed to every :class:`TopicDetector`.
    author : str
        Recorded in the manifest (defaults to the OS user).
    sample_weights : sequence of float or None
        Per-row weights aligned with the batch (e.g. ``1/pi`` for exploration labels).
    extra_lineage : dict
        Extra manifest entries (e.g. the database query a training set came from).
    parent_version : str or None
        The model version this one replaces or was derived from (lineage; ``train --parent``).
    n_jobs : int
        Processes fitting topics in parallel (-1: one per core).
    """

    topics: list[str] | None = None
    holdout_fraction: float = 0.2
    min_positives: int = 5
    refit: bool = True
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    detector_params: dict[str, Any] = field(default_factory=dict)
    author: str = ""
    sample_weights: Sequence[float] | None = None
    extra_lineage: dict[str, Any] = field(default_factory=dict)
    parent_version: str | None = None
    n_jobs: int = -1


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version() -> dict[str, str]:
    """The package version and, when running from a git checkout, the commit and whether it is dirty."""
    info = {"listingguard": __version__}
    try:
        root = PACKAGE_DIR.parent.parent
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        info["git_commit"] = commit
        info["git_dirty"] = "yes" if dirty else "no"
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def _time_order(batch: ListingBatch) -> np.ndarray:
    stamps = np.asarray([c.timestamp() if c is not None else 0.0 for c in batch.created_at], dtype=np.float64)
    return np.argsort(stamps, kind="stable")


def _window(batch: ListingBatch) -> dict[str, str | None]:
    stamps = [c for c in batch.created_at if c is not None]
    return {
        "start": min(stamps).isoformat() if stamps else None,
        "end": max(stamps).isoformat() if stamps else None,
    }


def select_topics(batch: ListingBatch, config: TrainingConfig) -> list[str]:
    """The topics to train: the requested ones, or every topic named in the labels."""
    named = sorted({t for labels in batch.labels for t in (labels or ())})
    if config.topics:
        unknown = sorted(set(config.topics) - set(named))
        if unknown:
            raise Invalid(
                f"--topics names {', '.join(unknown)}, which no label in the training data uses; "
                f"topics in the data: {', '.join(named) or 'none'}"
            )
        return sorted(config.topics)
    if not named:
        raise Invalid("the training data has no violating labels at all; every listing is labelled fine")
    return named


def _fit_detectors(
    X: Any,
    labels: np.ndarray,
    topics: Sequence[str],
    config: TrainingConfig,
    weights: np.ndarray | None,
    progress: Progress,
) -> dict[str, TopicDetector]:
    progress(f"fitting {len(topics)} detectors ({', '.join(topics)})")
    fitted = Parallel(n_jobs=config.n_jobs, prefer="processes")(
        delayed(_fit_one)(X, labels[:, j], config.detector_params, weights) for j in range(len(topics))
    )
    return dict(zip(topics, fitted, strict=True))


def _fit_one(X: Any, y: np.ndarray, params: dict[str, Any], weights: np.ndarray | None) -> TopicDetector:
    return TopicDetector(**params).fit(X, y, sample_weight=weights)


def train(
    batch: ListingBatch, config: TrainingConfig, *, sources: Sequence[DataSource], progress: Progress = lambda _: None
) -> ModerationModel:
    """Train one detector per topic on the labelled rows of ``batch`` and return the model with its manifest."""
    labelled = [i for i, labels in enumerate(batch.labels) if labels is not None]
    if not labelled:
        raise Invalid("no labelled listings: every row lacks a `labels` field; label data before training")
    all_weights = np.asarray(config.sample_weights, dtype=np.float64) if config.sample_weights is not None else None
    batch = batch.take(labelled)
    weights = all_weights[labelled] if all_weights is not None else None
    order = _time_order(batch)
    batch = batch.take(order.tolist())
    weights = weights[order] if weights is not None else None
    topics = select_topics(batch, config)
    labels = batch.label_matrix(topics)
    n = len(batch)
    cut = round(n * (1.0 - config.holdout_fraction)) if config.holdout_fraction > 0 else n
    if config.holdout_fraction > 0 and (cut < 10 or n - cut < 10):
        raise Invalid(f"only {n} labelled listings: too few for a time-based hold-out; add data or pass --holdout 0")
    train_rows = list(range(cut))
    test_rows = list(range(cut, n))
    too_few = {
        t: int(labels[train_rows, j].sum())
        for j, t in enumerate(topics)
        if labels[train_rows, j].sum() < config.min_positives
    }
    if too_few:
        detail = ", ".join(f"{t} ({k})" for t, k in sorted(too_few.items()))
        raise Invalid(
            f"too few violating examples in the training window for: {detail}; each topic needs at least "
            f"{config.min_positives}. Add labelled data or leave those topics out with --topics."
        )

    progress("computing features")
    train_batch = batch.take(train_rows)
    featurizer = ListingFeaturizer(config.spec).fit(train_batch)
    X_train = featurizer.transform(train_batch)
    w_train = weights[train_rows] if weights is not None else None
    detectors = _fit_detectors(X_train, labels[train_rows], topics, config, w_train, progress)
    holdout_metrics: dict[str, Any] = {}
    holdout_window: dict[str, str | None] = {"start": None, "end": None}
    if test_rows:
        progress("measuring on the hold-out")
        test_batch = batch.take(test_rows)
        holdout_window = _window(test_batch)
        probe = ModerationModel(featurizer=featurizer, detectors=detectors)
        probabilities = probe.predict_proba(test_batch)
        for j, topic in enumerate(probe.topics):
            holdout_metrics[topic] = topic_summary(labels[test_rows, topics.index(topic)], probabilities[:, j])

    if config.refit and test_rows:
        progress("refitting on the whole window")
        featurizer = ListingFeaturizer(config.spec).fit(batch)
        X_all = featurizer.transform(batch)
        detectors = _fit_detectors(X_all, labels, topics, config, weights, progress)

    created = datetime.now(UTC)
    params = next(iter(detectors.values())).get_params() if detectors else {}
    fingerprint = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()
    manifest: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "model_version": f"model-{created.strftime('%Y%m%dT%H%M%S')}-{fingerprint[:8]}",
        "topics": sorted(topics),
        "feature_spec": config.spec.to_dict(),
        "training_data": {
            "sources": [asdict(s) for s in sources],
            "sha256": fingerprint,
            "rows": n,
            "train_rows": len(train_rows) if not config.refit else n,
            "positives": {t: int(labels[:, j].sum()) for j, t in enumerate(topics)},
            "weighted": weights is not None,
        },
        "label_window": _window(batch if config.refit else train_batch),
        "holdout": {
            "window": holdout_window,
            "rows": len(test_rows),
            "fraction": config.holdout_fraction,
            "note": "metrics of the same recipe trained only on rows before the hold-out window",
        },
        "metrics": holdout_metrics,
        "detector_params": params,
        "libraries": library_versions(),
        "code_version": code_version(),
        "author": config.author or _user(),
        "parent_version": config.parent_version,
        "kind": "trained",
        "created_at": created.isoformat(),
        **config.extra_lineage,
    }
    return ModerationModel(featurizer=featurizer, detectors=detectors, manifest=manifest)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
