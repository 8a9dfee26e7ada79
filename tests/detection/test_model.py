"""Model directories: round trip, lineage, and refusal of damaged or foreign directories."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.errors import Invalid, ModelError
from listingguard.listings.batch import ListingBatch
from tests.conftest import listing


def test_round_trip_scores_identically(model: ModerationModel, trained_model: Path, sim_records) -> None:
    batch = ListingBatch.from_records(sim_records[:300])
    again = ModerationModel.load(trained_model)
    assert np.allclose(model.predict_proba(batch), again.predict_proba(batch))


def test_manifest_has_lineage(model: ModerationModel) -> None:
    m = model.manifest
    for key in (
        "model_version",
        "topics",
        "feature_spec",
        "training_data",
        "label_window",
        "holdout",
        "metrics",
        "detector_params",
        "libraries",
        "code_version",
        "author",
        "created_at",
    ):
        assert key in m
    assert m["author"] == "tests"
    assert set(m["topics"]) == set(model.topics)
    assert m["training_data"]["rows"] > 0 and m["label_window"]["start"] < m["label_window"]["end"]
    assert m["holdout"]["window"]["start"] >= m["label_window"]["end"][:10]


def test_probabilities_are_calibrated_on_the_simulator(model: ModerationModel, sim_records) -> None:
    """Mean predicted probability tracks the observed rate of each topic (a loose, honest check)."""
    batch = ListingBatch.from_records(sim_records)
    p = model.predict_proba(batch)
    truth = batch.label_matrix(model.topics)
    assert np.all(np.abs(p.mean(axis=0) - truth.mean(axis=0)) < 0.01)


@pytest.fixture
def model_copy(trained_model: Path, tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(trained_model, target)
    return target


def test_refuses_another_format_version(model_copy: Path) -> None:
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["format_version"] = 99
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="retrain the model"):
        ModerationModel.load(model_copy)


def test_refuses_modified_files(model_copy: Path) -> None:
    with (model_copy / "detectors.json").open("a") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="do not match the manifest"):
        ModerationModel.load(model_copy)


def test_refuses_a_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a model directory"):
        ModerationModel.load(tmp_path)


def test_save_refuses_to_overwrite(model: ModerationModel, trained_model: Path) -> None:
    with pytest.raises(ModelError, match="already exists"):
        model.save(trained_model)


class TestTrainingErrors:
    def test_no_labels(self) -> None:
        with pytest.raises(Invalid, match="no labelled listings"):
            train(ListingBatch.from_records([listing()]), TrainingConfig(), sources=[])

    def test_only_fine_labels(self) -> None:
        rows = [listing(id=f"x{i}", labels=[]) for i in range(50)]
        with pytest.raises(Invalid, match="no violating labels"):
            train(ListingBatch.from_records(rows), TrainingConfig(), sources=[])

    def test_too_few_positives_names_the_topic(self) -> None:
        rows = [
            listing(id=f"x{i}", labels=["weapons"] if i < 2 else [], created_at=f"2026-11-{1 + i // 10:02d}T00:00:00Z")
            for i in range(100)
        ]
        with pytest.raises(Invalid, match=r"weapons \(2\)"):
            train(ListingBatch.from_records(rows), TrainingConfig(), sources=[])

    def test_unknown_requested_topic(self) -> None:
        rows = [listing(id=f"x{i}", labels=["weapons"] if i % 5 == 0 else []) for i in range(100)]
        with pytest.raises(Invalid, match="--topics names drugs"):
            train(
                ListingBatch.from_records(rows),
                TrainingConfig(topics=["drugs"]),
                sources=[DataSource("file", "x", "0", 1)],
            )
