"""The backtest's plots, as PNG bytes (matplotlib's object API: safe in server threads, no pyplot state)."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure

PLOTS = ("delta_recall", "recall", "review_load")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _errorbar(ax: Any, y: list[float], data: list[dict[str, Any]], **style: Any) -> None:
    xs, lows, highs, ys = [], [], [], []
    for pos, d in zip(y, data, strict=True):
        if d.get("estimate") is None:
            continue
        xs.append(d["estimate"])
        lows.append(d["estimate"] - d["low"])
        highs.append(d["high"] - d["estimate"])
        ys.append(pos)
    ax.errorbar(xs, ys, xerr=[lows, highs], fmt="o", capsize=4, **style)


def delta_recall(report: dict[str, Any]) -> bytes:
    """Change in recall per topic at matched volume, 95% intervals, and the non-inferiority margin."""
    topics = report["topics"]
    fig = Figure(figsize=(7, 0.5 * len(topics) + 1.5))
    ax = fig.subplots()
    _errorbar(ax, list(range(len(topics))), [report["per_topic"][t]["delta_recall"] for t in topics], color="#2a6fdb")
    ax.axvline(0, color="#555", lw=1)
    ax.axvline(-report["gate_config"]["margin"], color="#c0392b", lw=1, ls="--", label="non-inferiority margin")
    ax.set_yticks(range(len(topics)), topics)
    ax.set_xlabel("change in recall, candidate − production (matched review volume)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Δrecall with 95% intervals")
    return _png(fig)


def recall(report: dict[str, Any]) -> bytes:
    """Each model's recall per topic (from the exploration labels), 95% intervals."""
    topics = report["topics"]
    fig = Figure(figsize=(7, 0.5 * len(topics) + 1.5))
    ax = fig.subplots()
    rows = list(range(len(topics)))
    matched = [report["per_topic"][t]["matched"] for t in topics]
    _errorbar(
        ax, [r - 0.15 for r in rows], [m["recall_production"] for m in matched], color="#7f8c8d", label="production"
    )
    _errorbar(
        ax, [r + 0.15 for r in rows], [m["recall_candidate"] for m in matched], color="#2a6fdb", label="candidate"
    )
    ax.set_yticks(rows, topics)
    ax.set_xlim(0, 1)
    ax.set_xlabel("estimated recall (matched review volume)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Recall of each model")
    return _png(fig)


def review_load(report: dict[str, Any]) -> bytes:
    """Listings sent to review: production in the window versus the candidate at its own thresholds."""
    topics = report["topics"]
    fig = Figure(figsize=(7, 0.5 * len(topics) + 1.5))
    ax = fig.subplots()
    rows = list(range(len(topics)))
    prod = [report["per_topic"][t]["flagged"]["production"] for t in topics]
    cand = [report["per_topic"][t]["flagged"]["candidate_own"] for t in topics]
    ax.barh([r - 0.2 for r in rows], prod, height=0.4, color="#7f8c8d", label="production")
    ax.barh([r + 0.2 for r in rows], cand, height=0.4, color="#2a6fdb", label="candidate (own thresholds)")
    ax.set_yticks(rows, topics)
    ax.set_xlabel("listings flagged for review")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Review load")
    return _png(fig)


def render(report: dict[str, Any], name: str) -> bytes:
    """One plot by name (see :data:`PLOTS`)."""
    return {"delta_recall": delta_recall, "recall": recall, "review_load": review_load}[name](report)
