"""Offline evaluation of a model and rule set on labelled listings, written as JSON and PNG.

Besides per-topic precision, recall and PR-AUC, it answers the question of the OpML'20 paper: how many
more violations are caught by rules plus ML than by rules alone, *at the same precision*? For each topic
the rules' precision is the bar; the ML threshold is the lowest one at which "rule fired or score above
threshold" still meets that bar, and coverage is the ratio of violations caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from listingguard.evaluation.metrics import (
    expected_calibration_error,
    flag_metrics,
    pr_auc,
    recall_at_precision,
    reliability_curve,
)
from listingguard.listings.batch import ListingBatch
from listingguard.screening.pipeline import Screener

BoolArray = npt.NDArray[np.bool_]


@dataclass(slots=True)
class ScoredSet:
    """Everything an evaluation needs: truth, scores, rule flags and actions, aligned by row."""

    topics: list[str]
    truth: npt.NDArray[np.int8]  # (rows, topics)
    scores: npt.NDArray[np.float64]  # (rows, topics); zeros where no model score
    has_score: list[bool]  # per topic: does the model score it?
    rule_flags: BoolArray  # (rows, topics)
    policy_flags: BoolArray  # (rows, topics): the policy flagged the topic (review or hide)
    days: list[str]  # ISO date of each row (for --by-day)


def score_for_evaluation(
    screener: Screener, batch: ListingBatch, truth: npt.NDArray[np.int8], topics: Sequence[str]
) -> ScoredSet:
    """Run the screener on ``batch`` and collect what the metrics need."""
    results = screener.screen(batch, explain=False)
    topics = list(topics)
    n, k = len(batch), len(topics)
    scores = np.zeros((n, k))
    rule_flags = np.zeros((n, k), dtype=bool)
    policy_flags = np.zeros((n, k), dtype=bool)
    index = {t: j for j, t in enumerate(topics)}
    for i, result in enumerate(results):
        for topic, p in result.scores.items():
            if topic in index:
                scores[i, index[topic]] = p
        for hit in result.rule_hits:
            if hit.topic in index:
                rule_flags[i, index[hit.topic]] = True
        for topic in result.topics:
            if topic in index:
                policy_flags[i, index[topic]] = True
    model_topics = set(screener.model.topics) if screener.model else set()
    days = [c.date().isoformat() if c is not None else "" for c in batch.created_at]
    return ScoredSet(topics, truth, scores, [t in model_topics for t in topics], rule_flags, policy_flags, days)


def coverage_at_rule_precision(
    truth: npt.NDArray[np.integer[Any]], rule: BoolArray, scores: npt.NDArray[np.float64]
) -> dict[str, Any]:
    """Violations caught by rules alone vs rules + ML at no lower precision than the rules'."""
    positives = int(truth.sum())
    tp_rules = int(np.sum(rule & (truth == 1)))
    flagged_rules = int(rule.sum())
    precision_rules = tp_rules / flagged_rules if flagged_rules else None
    bar = precision_rules if precision_rules is not None else 0.9
    order = np.argsort(-scores, kind="stable")
    # Walk thresholds from the top score down, adding listings the rules did not already flag.
    extra_tp = np.cumsum(((truth[order] == 1) & ~rule[order]).astype(np.int64))
    extra_fp = np.cumsum(((truth[order] == 0) & ~rule[order]).astype(np.int64))
    tp = tp_rules + extra_tp
    flagged = flagged_rules + extra_tp + extra_fp
    precision = tp / np.maximum(flagged, 1)
    distinct = np.r_[scores[order][1:] != scores[order][:-1], True]  # only cut between different scores
    ok = (precision >= bar) & distinct
    if np.any(ok):
        best = int(np.argmax(np.where(ok, tp, -1)))
        tp_union, threshold, flagged_union = int(tp[best]), float(scores[order][best]), int(flagged[best])
    else:
        tp_union, threshold, flagged_union = tp_rules, None, flagged_rules
    lift = (tp_union / tp_rules - 1.0) if tp_rules else None
    return {
        "positives": positives,
        "rules": {
            "flagged": flagged_rules,
            "caught": tp_rules,
            "precision": precision_rules,
            "recall": tp_rules / positives if positives else None,
        },
        "rules_plus_ml": {
            "flagged": flagged_union,
            "caught": tp_union,
            "precision": tp_union / flagged_union if flagged_union else None,
            "recall": tp_union / positives if positives else None,
            "ml_threshold": threshold,
        },
        "precision_bar": bar,
        "coverage_lift": lift,
    }


def evaluate(scored: ScoredSet, *, min_precision: float = 0.9) -> dict[str, Any]:
    """The full evaluation report (JSON-able)."""
    report: dict[str, Any] = {"rows": int(scored.truth.shape[0]), "topics": {}}
    total_rules = total_union = 0
    for j, topic in enumerate(scored.topics):
        y = scored.truth[:, j].astype(np.int64)
        entry: dict[str, Any] = {
            "positives": int(y.sum()),
            "policy": flag_metrics(y, scored.policy_flags[:, j]),
            "rules_only": flag_metrics(y, scored.rule_flags[:, j]),
        }
        if scored.has_score[j]:
            s = scored.scores[:, j]
            recall, threshold = recall_at_precision(y, s, min_precision)
            entry.update(
                {
                    "pr_auc": pr_auc(y, s),
                    f"recall_at_precision_{min_precision:g}": recall,
                    f"threshold_at_precision_{min_precision:g}": threshold,
                    "ece": expected_calibration_error(y, s),
                    "reliability": reliability_curve(y, s),
                    "coverage": coverage_at_rule_precision(y, scored.rule_flags[:, j], s),
                }
            )
            total_rules += entry["coverage"]["rules"]["caught"]
            total_union += entry["coverage"]["rules_plus_ml"]["caught"]
        report["topics"][topic] = entry
    report["coverage"] = {
        "caught_by_rules": total_rules,
        "caught_by_rules_plus_ml": total_union,
        "lift": (total_union / total_rules - 1.0) if total_rules else None,
        "note": "per topic, ML added at a threshold where the union keeps the rules' precision",
    }
    return report


def evaluate_by_day(scored: ScoredSet, *, min_precision: float = 0.9) -> dict[str, dict[str, Any]]:
    """Per day and topic: recall of rules alone, of the policy's actions, and of the model at ``min_precision``.

    The model's figure is its recall at the best threshold that keeps that day's precision at
    ``min_precision`` (None when no threshold does, or the topic had no violations that day): how much a
    well-tuned threshold could still catch, which is what decays when sellers change their wording.
    """
    out: dict[str, dict[str, Any]] = {}
    days = np.asarray(scored.days)
    for day in sorted(set(scored.days)):
        rows = days == day
        entry: dict[str, Any] = {}
        for j, topic in enumerate(scored.topics):
            y = scored.truth[rows, j]
            positives = int(y.sum())
            model = None
            if positives and scored.has_score[j]:
                recall, threshold = recall_at_precision(y, scored.scores[rows, j], min_precision)
                model = recall if threshold is not None else 0.0
            entry[topic] = {
                "positives": positives,
                "rules_recall": float(np.sum(scored.rule_flags[rows, j] & (y == 1)) / positives) if positives else None,
                "policy_recall": float(np.sum(scored.policy_flags[rows, j] & (y == 1)) / positives)
                if positives
                else None,
                "model_recall_at_precision": model,
            }
        out[day] = entry
    return out


def by_day_series(by_day: dict[str, dict[str, Any]], key: str) -> dict[str, list[float | None]]:
    """One metric of :func:`evaluate_by_day` as topic -> values in day order (for plotting)."""
    days = sorted(by_day)
    topics = sorted({t for entry in by_day.values() for t in entry})
    return {t: [by_day[d].get(t, {}).get(key) for d in days] for t in topics}
