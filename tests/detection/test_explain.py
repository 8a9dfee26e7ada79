"""Explanations point at the seller's own characters."""

from pathlib import Path
from typing import Any

from listingguard.config import DEFAULT_POLICY_PATH, DEFAULT_RULES_DIR
from listingguard.detection.features import FeatureSpec
from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener
from tests.conftest import listing

TITLE = "【N級品】ｼｬﾈﾙ ショルダーバッグ スーパーコピー"


def test_top_text_features_are_spans_of_the_original(screener) -> None:
    _assert_spans_of_the_original(screener)


def test_svm_model_explains_and_round_trips(tmp_path: Path, sim_records: list[dict[str, Any]]) -> None:
    """A linear SVM (``loss="squared_hinge"``) with raw n-grams survives the model directory and still explains
    with spans of the seller's text."""
    model = train(
        ListingBatch.from_records(sim_records),
        TrainingConfig(
            spec=FeatureSpec(hash_bits=16, raw_ngrams=True),
            detector_params={"loss": "squared_hinge"},
            refit=False,
            author="tests",
            n_jobs=1,
        ),
        sources=[DataSource("file", "sim", "0" * 64, len(sim_records))],
    )
    model.save(tmp_path / "model")
    loaded = ModerationModel.load(tmp_path / "model")
    assert loaded.featurizer.spec.raw_ngrams
    assert {d.loss for d in loaded.detectors.values()} == {"squared_hinge"}
    _assert_spans_of_the_original(
        Screener(rules=load_rule_set(DEFAULT_RULES_DIR), policy=load_policy(DEFAULT_POLICY_PATH), model=loaded)
    )


def _assert_spans_of_the_original(screener: Screener) -> None:
    title = TITLE
    record = listing(
        title=title,
        description="スーパーコピーです。本物と見分けがつきません。",
        category="bags",
        price=3000,
        condition="new",
        brand=None,
    )
    result = screener.screen(ListingBatch.from_records([record]))[0]
    assert "counterfeit" in result.topics
    contributions = result.explanations["counterfeit"]
    texts = [c for c in contributions if c["kind"] == "text"]
    assert texts, contributions
    for c in texts:
        source = title if c["field"] == "title" else record["description"]
        assert source[c["start"] : c["end"]] == c["label"]
    weights = [c["weight"] for c in contributions]
    assert weights == sorted(weights, reverse=True)


def test_benign_listing_has_no_explanations(screener) -> None:
    result = screener.screen(ListingBatch.from_records([listing()]))[0]
    assert result.action == "allow" and result.explanations == {}
