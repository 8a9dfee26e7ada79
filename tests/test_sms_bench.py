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
