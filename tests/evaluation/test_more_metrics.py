"""Agreement (Cohen's kappa), flag metrics, the reliability curve and the by-day evaluation on small cases."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

from listingguard.evaluation.metrics import flag_metrics, reliability_curve, wilson
from listingguard.evaluation.report import ScoredSet, evaluate_by_day
from listingguard.review.agreement import agreement


def pairs(first: list[list[str]], second: list[list[str]]) -> list:
    return [(SimpleNamespace(topics=a), SimpleNamespace(topics=b)) for a, b in zip(first, second, strict=True)]


class TestKappa:
    def test_kappa_per_topic_matches_sklearn_and_the_textbook_value(self) -> None:
        # weapons: 2x2 table a=20 (both yes), b=5, c=10, d=15 (both no): p_o = 0.7, p_e = 0.5 -> kappa 0.4
        first = [["weapons"]] * 25 + [[]] * 25
        second = [["weapons"]] * 20 + [[]] * 5 + [["weapons"]] * 10 + [[]] * 15
        result = agreement(pairs(first, second), ["weapons", "drugs"])
        weapons = result["topics"]["weapons"]
        as_labels = ([int("weapons" in t) for t in first], [int("weapons" in t) for t in second])
        assert weapons["kappa"] == pytest.approx(cohen_kappa_score(*as_labels)) == pytest.approx(0.4)
        assert weapons["agreement"] == pytest.approx(0.7) and weapons["positives"] == 25 + 30
        assert result["topics"]["drugs"] == {"kappa": None, "agreement": 1.0, "positives": 0}  # never used
        assert result["pairs"] == 50 and result["verdict_agreement"] == pytest.approx(0.7)

    def test_kappa_is_zero_at_chance_and_negative_below_it(self) -> None:
        first = [["adult"], ["adult"], [], []]
        chance = agreement(pairs(first, [["adult"], [], ["adult"], []]), ["adult"])["topics"]["adult"]
        opposite = agreement(pairs(first, [[], [], ["adult"], ["adult"]]), ["adult"])["topics"]["adult"]
        assert chance["kappa"] == pytest.approx(0.0) and opposite["kappa"] == pytest.approx(-1.0)

    def test_kappa_over_several_topics_on_random_verdicts(self) -> None:
        rng = np.random.default_rng(3)
        topics = ["a", "b", "c"]
        first = [[t for t in topics if rng.random() < 0.3] for _ in range(200)]
        second = [[t for t in f if rng.random() < 0.8] + [t for t in topics if rng.random() < 0.05] for f in first]
        second = [sorted(set(s)) for s in second]
        result = agreement(pairs(first, second), topics)
        for t in topics:
            expected = cohen_kappa_score([int(t in f) for f in first], [int(t in s) for s in second])
            assert result["topics"][t]["kappa"] == pytest.approx(expected)
        same = [f == s for f, s in zip(first, second, strict=True)]
        assert result["verdict_agreement"] == pytest.approx(np.mean(same))

    def test_no_pairs(self) -> None:
        assert agreement([], ["a"]) == {"pairs": 0, "topics": {}, "verdict_agreement": None}


def test_flag_metrics_counts_and_intervals() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    flagged = np.array([True, True, False, True, False, False, False, False])
    out = flag_metrics(y, flagged)
    assert (out["flagged"], out["true_positives"], out["false_positives"], out["false_negatives"]) == (3, 2, 1, 2)
    assert out["precision"] == wilson(2, 3).to_dict()
    assert out["recall"] == wilson(2, 4).to_dict()
    assert out["precision"]["value"] == pytest.approx(precision_score(y, flagged))
    assert out["recall"]["value"] == pytest.approx(recall_score(y, flagged))
    nothing = flag_metrics(y, np.zeros(8, dtype=bool))
    assert nothing["flagged"] == 0 and nothing["precision"]["value"] is None


class TestReliabilityCurve:
    def test_equal_mass_bins_match_sklearns_quantile_strategy(self) -> None:
        rng = np.random.default_rng(5)
        p = rng.random(1000)
        y = (rng.random(1000) < p).astype(int)
        curve = reliability_curve(y, p, n_bins=10)
        assert [c["count"] for c in curve] == [100] * 10
        observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
        assert [c["predicted"] for c in curve] == pytest.approx(list(predicted), abs=1e-9)
        assert [c["observed"] for c in curve] == pytest.approx(list(observed), abs=1e-9)

    def test_bins_are_ordered_by_probability_and_small_inputs_do_not_break(self) -> None:
        y = np.array([0, 1, 1, 0, 1])
        p = np.array([0.9, 0.1, 0.8, 0.2, 0.5])
        curve = reliability_curve(y, p, n_bins=2)
        assert curve == [
            {"predicted": pytest.approx(0.8 / 3), "observed": pytest.approx(2 / 3), "count": 3},
            {"predicted": pytest.approx(0.85), "observed": pytest.approx(0.5), "count": 2},
        ]
        assert len(reliability_curve(y, p, n_bins=50)) == 5  # at most one bin per row
        assert reliability_curve(np.array([], dtype=int), np.array([]), n_bins=10) == []


def test_evaluate_by_day_splits_rows_by_day_and_topic() -> None:
    truth = np.array([[1, 0], [1, 0], [0, 0], [1, 1], [0, 0]], dtype=np.int8)
    scores = np.array([[0.9, 0.0], [0.2, 0.0], [0.3, 0.0], [0.8, 0.0], [0.1, 0.0]])
    scored = ScoredSet(
        topics=["weapons", "drugs"],
        truth=truth,
        scores=scores,
        has_score=[True, False],
        rule_flags=np.array([[True, False], [False, False], [False, False], [False, True], [True, False]]),
        policy_flags=np.array([[True, False], [True, False], [False, False], [True, True], [False, False]]),
        days=["2026-11-02", "2026-11-01", "2026-11-01", "2026-11-02", "2026-11-02"],
    )
    out = evaluate_by_day(scored, min_precision=0.9)
    assert list(out) == ["2026-11-01", "2026-11-02"]
    # day 1: one weapons violation (row 1, score 0.2) below a benign 0.3: no threshold reaches 90% precision
    assert out["2026-11-01"]["weapons"] == {
        "positives": 1,
        "rules_recall": 0.0,
        "policy_recall": 1.0,
        "model_recall_at_precision": 0.0,
    }
    assert out["2026-11-01"]["drugs"]["positives"] == 0 and out["2026-11-01"]["drugs"]["rules_recall"] is None
    # day 2: both weapons violations score above the benign row -> full recall at precision 1
    assert out["2026-11-02"]["weapons"] == {
        "positives": 2,
        "rules_recall": 0.5,
        "policy_recall": 1.0,
        "model_recall_at_precision": 1.0,
    }
    # drugs has no model score: only the rules and policy figures
    assert out["2026-11-02"]["drugs"] == {
        "positives": 1,
        "rules_recall": 1.0,
        "policy_recall": 1.0,
        "model_recall_at_precision": None,
    }
