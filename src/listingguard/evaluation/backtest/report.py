"""A backtest's report: estimates per topic with intervals, the review load, labels spent, and the gate.

Two comparisons per topic. At **matched volume** the candidate flags as many listings as production did
(its threshold set per topic to match), so the change in violations caught is a change in what the same
review work finds: that is what the gate judges. At the candidate's **own thresholds** it is compared as
it would run, which is where the change in review load comes from.

In ``backtest.json`` every estimate with an interval is ``{"estimate", "low", "high"}``; the change in
recall is under ``delta_recall``; the verdict is ``gate: {"passed", "reasons"}``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from sqlalchemy.orm import Session

from listingguard.evaluation.backtest import design, plots
from listingguard.evaluation.backtest.estimators import (
    FloatArray,
    estimate_topic,
    interval,
    lower_bound,
    wilson,
)
from listingguard.evaluation.backtest.models import Backtest
from listingguard.evaluation.backtest.service import labels_of, load_items, progress_of

DRAWS = 4000


@dataclass(frozen=True, slots=True)
class GateConfig:
    """What a candidate must show. ``margin``: how much recall it may lose on a topic (non-inferiority,
    in recall points); ``load_budget``: how much more review work it may create at its own thresholds
    (0.1 = 10% more); ``alpha``: the family-wise error rate, shared by the topics (Bonferroni for
    non-inferiority, which must hold for all of them; Holm for "better on at least one")."""

    margin: float = 0.02
    load_budget: float = 0.10
    alpha: float = 0.05


def _ratio(num: FloatArray, den: float) -> FloatArray:
    return num / den if den > 0 else np.full_like(num, np.nan)


def _iv(values: FloatArray, point: float | None) -> dict[str, float | None]:
    return interval(point, values).to_dict()


def build(db_session: Session, backtest: Backtest, *, gate: GateConfig | None = None) -> dict[str, Any]:
    """The whole report as JSON-ready data (see the module docstring)."""
    gate = gate or GateConfig()
    items = load_items(db_session, backtest)
    topics = list(backtest.topics)
    revision_ids = items["revision_ids"]
    decided = labels_of(db_session, revision_ids)
    strata = items["strata"]
    known = np.asarray(
        [
            rid in decided and (strata[i] == design.LABELLED or items["sampled"][i])
            for i, rid in enumerate(revision_ids)
        ],
        dtype=bool,
    )
    progress = progress_of(db_session, backtest)
    rng = np.random.default_rng(backtest.seed + 7)
    per_topic: dict[str, Any] = {}
    lcbs: dict[str, float] = {}
    superiority_p: dict[str, float] = {}
    for j, topic in enumerate(topics):
        y = np.full(len(revision_ids), -1, dtype=np.int8)
        for i, rid in enumerate(revision_ids):
            if known[i]:
                y[i] = 1 if topic in decided[rid] else 0
        score = np.maximum(items["production_scores"][:, j], items["candidate_scores"][:, j])
        production = items["production"][:, j]
        out: dict[str, Any] = {"flagged": {"production": int(production.sum())}}
        for view in ("matched", "own"):
            candidate = items[view][:, j]
            sets = design.topic_sets(production, candidate, strata, y, score)
            est = estimate_topic(sets, rng=rng, n_draws=DRAWS)
            section: dict[str, Any] = dict(est.to_dict())
            flagged_b = int(candidate.sum())
            section["flagged_candidate"] = flagged_b
            section["precision_candidate"] = _iv(
                _ratio(est.draws["caught_by_candidate"], flagged_b),
                None if flagged_b == 0 else est.intervals["caught_by_candidate"].estimate / flagged_b,  # type: ignore[operator]
            )
            section["precision_production"] = _iv(
                _ratio(est.draws["caught_by_production"], int(production.sum())),
                None
                if not production.sum()
                else est.intervals["caught_by_production"].estimate / int(production.sum()),  # type: ignore[operator]
            )
            section["labels_used"] = {name: s.labels for name, s in sets.sets().items()}
            section["unlabelled_cells"] = sum(s.unsampled_cells for s in sets.sets().values())
            out[view] = section
            if view == "matched":
                lcbs[topic] = lower_bound(est.draws["delta_recall"], alpha=gate.alpha / max(1, len(topics)))
                finite = est.draws["delta_recall"][np.isfinite(est.draws["delta_recall"])]
                superiority_p[topic] = float((finite <= 0).mean()) if len(finite) else 1.0
        labelled_a = production & (y >= 0)
        out["precision_production_wilson"] = wilson(int((y[labelled_a] == 1).sum()), int(labelled_a.sum())).to_dict()
        out["flagged"]["candidate_own"] = int(items["own"][:, j].sum())
        out["delta_recall"] = out["matched"]["delta_recall"]
        out["lower_bound_delta_recall"] = lcbs[topic] if np.isfinite(lcbs[topic]) else None
        per_topic[topic] = out
    load: dict[str, Any] = {
        "production": int(items["production"].any(axis=1).sum()),
        "candidate": int(items["own"].any(axis=1).sum()),
    }
    load["change"] = (load["candidate"] - load["production"]) / load["production"] if load["production"] else None
    verdict = judge(per_topic, lcbs, superiority_p, load, progress, gate)
    return {
        "id": backtest.id,
        "candidate": backtest.candidate_bundle,
        "production": backtest.production_bundles,
        "window": {"start": backtest.window_start.isoformat(), "end": backtest.window_end.isoformat()},
        "listings": backtest.listings,
        "topics": topics,
        "thresholds_matched": backtest.thresholds,
        "plan": backtest.plan,
        "labels": {
            "new_tasks": progress["tasks"],
            "decided": progress["decided"],
            "labelled_before": backtest.plan.get("labelled_before", 0),
        },
        "review_load": load,
        "per_topic": per_topic,
        "gate_config": asdict(gate),
        "gate": verdict,
    }


def judge(
    per_topic: dict[str, Any],
    lcbs: dict[str, float],
    superiority_p: dict[str, float],
    load: dict[str, Any],
    progress: dict[str, int],
    gate: GateConfig,
) -> dict[str, Any]:
    """The gate's verdict with a reason for every condition (kept or failed)."""
    reasons: list[str] = []
    passed = True
    if progress["decided"] < progress["tasks"]:
        passed = False
        reasons.append(
            f"{progress['tasks'] - progress['decided']} of {progress['tasks']} evaluation tasks are not decided yet"
        )
    for topic, lcb in lcbs.items():
        estimate = per_topic[topic]["delta_recall"]["estimate"]
        if not np.isfinite(lcb) or lcb <= -gate.margin:
            passed = False
            shown = "unknown" if estimate is None else f"{estimate:+.3f}"
            reasons.append(
                f"{topic}: change in recall {shown}, lower bound {lcb:+.3f} is not above -{gate.margin:g} "
                "(it may lose recall there)"
            )
        else:
            reasons.append(f"{topic}: non-inferior (lower bound of the change in recall {lcb:+.3f} > -{gate.margin:g})")
    change = load["change"]
    if change is not None and change > gate.load_budget:
        passed = False
        reasons.append(
            f"review load +{change:.0%} at the candidate's own thresholds exceeds the budget of +{gate.load_budget:.0%}"
        )
    else:
        reasons.append(
            f"review load {'n/a' if change is None else f'{change:+.0%}'} within the budget of +{gate.load_budget:.0%}"
        )
    better = holm(superiority_p, gate.alpha)
    if better:
        reasons.append(f"better on {', '.join(better)} (Holm-adjusted at alpha {gate.alpha:g})")
    else:
        passed = False
        reasons.append("not significantly better on any topic")
    return {"passed": passed, "reasons": reasons, "better_on": better}


def holm(p_values: dict[str, float], alpha: float) -> list[str]:
    """Topics whose null (no improvement) Holm's step-down procedure rejects at family-wise ``alpha``."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    rejected = []
    m = len(ordered)
    for k, (topic, p) in enumerate(ordered):
        if p > alpha / (m - k):
            break
        rejected.append(topic)
    return sorted(rejected)


TEMPLATES = Path(__file__).resolve().parent / "templates"


def write(report: dict[str, Any], out: Path) -> list[Path]:
    """``backtest.json``, ``report.html`` and the PNG plots into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in plots.PLOTS:
        path = out / f"{name}.png"
        path.write_bytes(plots.render(report, name))
        written.append(path)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    html = environment.get_template("backtest_report.html").render(
        r=report, img=lambda name: f"{name}.png", tasks_url=None
    )
    (out / "report.html").write_text(html, encoding="utf-8")
    (out / "backtest.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8"
    )
    return [out / "backtest.json", out / "report.html", *written]


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def evidence_for(
    db_session: Session, *, candidate: str, production: str | None, gate: GateConfig | None = None
) -> tuple[dict[str, Any] | None, str]:
    """A passed backtest of ``candidate`` against ``production`` (the bundle in production now), or why not.

    Returns ``(evidence, "")`` or ``(None, what is missing)``; the newest backtest that covers the pair
    decides.
    """
    from sqlalchemy import select

    rows = list(
        db_session.scalars(select(Backtest).where(Backtest.candidate_bundle == candidate).order_by(Backtest.id.desc()))
    )
    hint = f"run `listingguard backtest start --candidate {candidate} --from DATE --to DATE`"
    if not rows:
        return None, f"no backtest of {candidate}; {hint}"
    covering = [b for b in rows if production is None or production in b.production_bundles]
    if not covering:
        return None, f"no backtest of {candidate} covers the bundle in production now ({production}); {hint}"
    latest = covering[0]
    verdict = build(db_session, latest, gate=gate)["gate"]
    if verdict["passed"]:
        return {"kind": "backtest", "backtest": latest.id, "reasons": verdict["reasons"]}, ""
    failing = [r for r in verdict["reasons"] if "not" in r or "exceeds" in r or "may lose" in r]
    return None, f"backtest {latest.id} of {candidate} did not pass: {'; '.join(failing or verdict['reasons'])}"
