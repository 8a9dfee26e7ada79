"""PNG plots for evaluation reports: PR curves, coverage, reliability diagrams and recall over days.

Figures use matplotlib's object-oriented API (``Figure``, no pyplot): no global state, no display needed,
safe in a web server's threads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from listingguard.evaluation.report import ScoredSet


def _grid(n: int) -> tuple[Figure, list[Any]]:
    cols = min(4, max(n, 1))
    rows = math.ceil(max(n, 1) / cols)
    fig = Figure(figsize=(4 * cols, 3.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def pr_curves(scored: ScoredSet, path: Path) -> Path:
    """One precision-recall curve per topic, with the rules-only and policy operating points."""
    fig, axes = _grid(len(scored.topics))
    for j, topic in enumerate(scored.topics):
        ax = axes[j]
        y = scored.truth[:, j]
        if scored.has_score[j] and y.sum():
            precision, recall, _ = precision_recall_curve(y, scored.scores[:, j])
            ax.plot(recall, precision, label="model", color="#1f77b4")
        for flags, label, marker in (
            (scored.rule_flags[:, j], "rules only", "s"),
            (scored.policy_flags[:, j], "policy", "o"),
        ):
            tp = int(np.sum(flags & (y == 1)))
            if flags.sum() and y.sum():
                ax.plot(tp / y.sum(), tp / flags.sum(), marker, label=label, markersize=7)
        ax.set_title(f"{topic} (n+={int(y.sum())})")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def coverage_bars(report: Mapping[str, Any], path: Path) -> Path:
    """Violations caught per topic by rules alone and by rules + ML at the rules' precision."""
    topics = [t for t, e in report["topics"].items() if "coverage" in e]
    rules = [report["topics"][t]["coverage"]["rules"]["caught"] for t in topics]
    union = [report["topics"][t]["coverage"]["rules_plus_ml"]["caught"] for t in topics]
    positives = [report["topics"][t]["positives"] for t in topics]
    fig = Figure(figsize=(max(6, 1.1 * len(topics) + 2), 4))
    ax = fig.subplots()
    x = np.arange(len(topics))
    ax.bar(x - 0.27, positives, 0.27, label="violations", color="#cccccc")
    ax.bar(x, rules, 0.27, label="caught by rules", color="#ff7f0e")
    ax.bar(x + 0.27, union, 0.27, label="caught by rules + ML", color="#1f77b4")
    ax.set_xticks(x, topics, rotation=30, ha="right")
    lift = report["coverage"]["lift"]
    title = "coverage at the rules' precision"
    if lift is not None:
        title += f": +{lift * 100:.1f}% with ML"
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def reliability_diagrams(report: Mapping[str, Any], path: Path) -> Path:
    """Predicted probability vs observed frequency per topic (equal-mass bins), with ECE."""
    topics = [t for t, e in report["topics"].items() if "reliability" in e]
    fig, axes = _grid(len(topics))
    for j, topic in enumerate(topics):
        ax = axes[j]
        points = report["topics"][topic]["reliability"]
        ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1)
        ax.plot([p["predicted"] for p in points], [p["observed"] for p in points], "o-", color="#1f77b4")
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{topic} (ECE {report['topics'][topic]['ece']:.4f})")
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.grid(alpha=0.3)
    return _save(fig, path)


def _short_day(label: str) -> str:
    """``2026-09-21`` -> ``09-21``; other labels unchanged."""
    return label[5:] if len(label) == 10 and label[4] == "-" and label[7] == "-" else label


def recall_by_day(
    series: Mapping[str, Mapping[str, Sequence[float | None]]], days: Sequence[str], path: Path, *, title: str
) -> Path:
    """Recall per topic per day for several systems (e.g. rules, frozen model, retrained model)."""
    topics = sorted(next(iter(series.values())).keys()) if series else []
    fig, axes = _grid(len(topics))
    x = np.arange(len(days))
    for j, topic in enumerate(topics):
        ax = axes[j]
        for name, per_topic in series.items():
            values = [np.nan if v is None else v for v in per_topic[topic]]
            ax.plot(x, values, marker=".", label=name)
        ax.set_title(topic)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("day")
        ax.set_ylabel("recall")
        step = max(1, len(days) // 6)
        ax.set_xticks(x[::step], [_short_day(d) for d in days[::step]], fontsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)
