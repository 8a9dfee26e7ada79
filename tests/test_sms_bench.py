"""The SMS benchmark's honest-threshold rule and its skip paths (the benchmarks themselves are not tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from bench import sms_spam, sms_transformer


@pytest.mark.parametrize("budget", [0.0, 0.001, 0.002, 0.05])
def test_threshold_is_the_lowest_within_the_budget(budget: float) -> None:
    rng = np.random.default_rng(7)
    y = np.r_[np.zeros(1435, int), np.ones(237, int)]
    scores = np.r_[rng.normal(0, 1, 1435), rng.normal(3, 1, 237)]
    threshold = sms_spam.threshold_for(scores, y, budget)
    assert sms_spam.rates(scores, y, threshold)["fpr"] <= budget
    # one ham score lower and the budget is broken: no lower threshold would do
    ham_above = np.sort(scores[y == 0][scores[y == 0] <= threshold])[::-1]
    assert sms_spam.rates(scores, y, ham_above[1])["fpr"] > budget


def test_ceiling_is_the_best_recall_any_threshold_allows() -> None:
    rng = np.random.default_rng(11)
    y = np.r_[np.zeros(3392, int), np.ones(510, int)]
    scores = np.r_[rng.normal(0, 1, 3392), rng.normal(3.5, 1, 510)]
    best = max(
        float((scores[y == 1] > t).mean()) for t in np.r_[scores, -np.inf] if (scores[y == 0] > t).mean() <= 0.002
    )
    assert sms_spam.ceiling(scores, y) == pytest.approx(best)


def test_missing_collection_skips_with_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["sms_spam", "--data", str(tmp_path / "absent"), "--extra", "2"])
    with pytest.raises(SystemExit) as stop:
        sms_spam.arguments_and_data(None, lambda parser: parser.add_argument("--extra", type=int))
    assert stop.value.code == 0
    assert "SKIPPED" in capsys.readouterr().err


def test_transformer_benchmark_skips_without_its_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sms_transformer.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as stop:
        sms_transformer.main()
    assert stop.value.code == 0
    assert "pip install -e '.[transformer]'" in capsys.readouterr().err


class ScoreInText:
    """A stand-in detector that reads each message's score from its text, and remembers what it was shown."""

    name = "score in text"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def fit_score(self, train: list[str], y: np.ndarray, test: list[str], offset: int) -> np.ndarray:
        self.seen += train + test
        return np.array([float(text.split()[1]) for text in test])


def messages(n_ham: int = 900, n_spam: int = 100, seed: int = 3) -> tuple[list[str], np.ndarray]:
    """Unique messages ``"m<i> <score>"``, spam scoring higher on the whole, in shuffled order."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.r_[np.zeros(n_ham, int), np.ones(n_spam, int)])
    scores = rng.normal(3.0 * y, 1.0)
    return [f"m{i} {s:.6f}" for i, s in enumerate(scores)], y


def test_splits_are_fixed_stratified_disjoint_and_distinct() -> None:
    _, y = messages()
    splits = sms_spam.random_splits(y)
    assert len(splits) == sms_spam.N_SPLITS == 20
    again = sms_spam.random_splits(y)  # the seed lives in the benchmark: every run draws the same splits
    assert all(np.array_equal(a, c) and np.array_equal(b, d) for (a, b), (c, d) in zip(splits, again, strict=True))
    for train, test in splits:
        assert not set(train) & set(test)
        assert sorted(np.r_[train, test]) == list(range(len(y)))
        assert len(train) == int(sms_spam.TRAIN_SHARE * len(y))
        # stratified: each part holds the collection's spam share, to within one message
        assert abs(int(y[train].sum()) - sms_spam.TRAIN_SHARE * y.sum()) <= 1
    assert len({tuple(sorted(train)) for train, _ in splits}) == len(splits)


def test_a_different_seed_draws_different_splits() -> None:
    _, y = messages()
    assert not np.array_equal(sms_spam.random_splits(y, seed=1)[0][0], sms_spam.random_splits(y)[0][0])


def test_threshold_never_sees_the_test_part(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, y = messages()
    (train_idx, test_idx), *_ = sms_spam.random_splits(y)
    test_texts = {texts[i] for i in test_idx}
    shown: list[str] = []
    real = sms_spam.cv_threshold

    def spy(method: ScoreInText, train: list[str], *args: object, **kwargs: object) -> tuple[float, np.ndarray]:
        before = len(method.seen)
        result = real(method, train, *args, **kwargs)  # type: ignore[arg-type]
        shown.extend(train + method.seen[before:])
        return result

    monkeypatch.setattr(sms_spam, "cv_threshold", spy)
    result = sms_spam.evaluate_split(ScoreInText(), texts, y, train_idx, test_idx, 0.01)
    assert shown, "the threshold was not chosen through cv_threshold"
    assert not test_texts & set(shown)
    assert set(shown) == {texts[i] for i in train_idx}
    assert result["cv_on_train"]["fpr"] <= 0.01


def test_threshold_does_not_move_with_the_test_labels_or_texts() -> None:
    texts, y = messages()
    (train_idx, test_idx), *_ = sms_spam.random_splits(y)
    honest = sms_spam.evaluate_split(ScoreInText(), texts, y, train_idx, test_idx, 0.01)
    flipped, changed = y.copy(), list(texts)
    flipped[test_idx] = 1 - flipped[test_idx]
    for i in test_idx:
        changed[i] = f"m{i} {float(texts[i].split()[1]) + 5:.6f}"
    other = sms_spam.evaluate_split(ScoreInText(), changed, flipped, train_idx, test_idx, 0.01)
    assert other["threshold"] == honest["threshold"]
    assert other["test"] != honest["test"]  # the test part itself did change


def test_paper_protocol_is_the_first_30_percent_of_lines() -> None:
    texts, y = messages()
    split = int(0.3 * len(texts))
    a = sms_spam.evaluate(ScoreInText(), texts, y, split, 0.01)
    b = sms_spam.evaluate_split(ScoreInText(), texts, y, np.arange(split), np.arange(split, len(texts)), 0.01)
    assert a == b
    expected = sms_spam.threshold_for(np.array([float(t.split()[1]) for t in texts[:split]]), y[:split], 0.01)
    assert a["threshold"] == expected


def test_summary_is_mean_sd_min_max_against_the_target() -> None:
    results = [{"test": {"recall": r, "fpr": f}} for r, f in [(0.94, 0.001), (0.96, 0.003), (0.98, 0.002)]]
    summary = sms_spam.summarise(results)
    assert summary["spam_caught"] == pytest.approx({"mean": 0.96, "sd": 0.02, "min": 0.94, "max": 0.98})
    assert summary["ham_blocked"] == pytest.approx({"mean": 0.002, "sd": 0.001, "min": 0.001, "max": 0.003})
    assert summary["target_met"]
    results[0]["test"]["recall"] = 0.90
    assert not sms_spam.summarise(results)["target_met"]
