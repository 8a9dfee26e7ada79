"""Drift: rules alone vs a frozen model vs a model retrained every 7 days, over 60 simulated days.

Run: python bench/drift.py [--per-day 800] [--seed 5]

The simulator's sellers adopt new slang in waves (days 25, 30, 35 among others, see simulator/topics.py)
that neither the rules nor a model trained on days 0-19 have seen. The frozen model is trained once on
days 0-19; the retrained one is trained again every 7 days on every labelled day so far (labels carry the
simulator's moderator noise; evaluation uses the ground truth). For each topic and day we measure rules'
recall and each model's recall at precision 0.9, and per 7-day block the same pooled over the block.

The "day-20 value" of a topic is the same recipe's recall at precision 0.9 on days 16-19 when trained on
days 0-15: what the model achieved when it was last measured before release. The retrained model must
stay within 5 points of it on average over days 20-59. Plots go to bench/out/drift/.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from bench.common import OUT, record
from listingguard.config import DEFAULT_POLICY_PATH, DEFAULT_RULES_DIR
from listingguard.detection.features import FeatureSpec
from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.evaluation import plots
from listingguard.evaluation.metrics import recall_at_precision
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener
from listingguard.simulator.generator import SimulationConfig, simulate

TRAIN_DAYS = 20
RETRAIN_EVERY = 7
PRECISION = 0.9


def fit(records: list[dict[str, Any]]) -> ModerationModel:
    config = TrainingConfig(spec=FeatureSpec(hash_bits=18), holdout_fraction=0.0, refit=False, author="bench")
    return train(ListingBatch.from_records(records), config, sources=[DataSource("file", "sim", "0" * 64, 0)])


def truth(records: list[dict[str, Any]], topics: list[str]) -> np.ndarray:
    out = np.zeros((len(records), len(topics)), dtype=np.int8)
    index = {t: j for j, t in enumerate(topics)}
    for i, r in enumerate(records):
        for t in r["meta"]["sim"]["truth"]:
            if t in index:
                out[i, index[t]] = 1
    return out


def r_at_p(y: np.ndarray, s: np.ndarray) -> float | None:
    if y.sum() == 0:
        return None
    recall, threshold = recall_at_precision(y, s, PRECISION)
    return recall if threshold is not None else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=800)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--prevalence-scale", type=float, default=3.0)
    args = parser.parse_args()
    print(f"simulating {args.days} days x {args.per_day} listings (seed {args.seed})")
    records = list(
        simulate(
            SimulationConfig(
                days=args.days, per_day=args.per_day, seed=args.seed, prevalence_scale=args.prevalence_scale
            )
        )
    )
    by_day: dict[int, list[dict[str, Any]]] = {}
    for r in records:
        by_day.setdefault(r["meta"]["sim"]["day"], []).append(r)
    days = sorted(by_day)

    def span(a: int, b: int) -> list[dict[str, Any]]:
        return [r for d in days if a <= d < b for r in by_day[d]]

    rules = Screener(rules=load_rule_set(DEFAULT_RULES_DIR), policy=load_policy(DEFAULT_POLICY_PATH), model=None)

    print("day-20 value: training on days 0-15, measuring on days 16-19")
    probe = fit(span(0, 16))
    topics = probe.topics
    last_week = span(16, TRAIN_DAYS)
    y_last = truth(last_week, topics)
    s_last = probe.predict_proba(ListingBatch.from_records(last_week))
    day20 = {t: r_at_p(y_last[:, j], s_last[:, j]) for j, t in enumerate(topics)}

    print(f"frozen model: days 0-{TRAIN_DAYS - 1}")
    frozen = fit(span(0, TRAIN_DAYS))
    retrained = frozen
    daily: dict[str, dict[str, list[float | None]]] = {
        "rules alone": {t: [] for t in topics},
        "frozen model (R@P0.9)": {t: [] for t in topics},
        "retrained every 7 days (R@P0.9)": {t: [] for t in topics},
    }
    blocks: list[dict[str, Any]] = []
    eval_days = [d for d in days if d >= TRAIN_DAYS]
    for start in range(TRAIN_DAYS, days[-1] + 1, RETRAIN_EVERY):
        if start > TRAIN_DAYS:
            print(f"retraining on days 0-{start - 1}")
            retrained = fit(span(0, start))
        block_days = [d for d in eval_days if start <= d < start + RETRAIN_EVERY]
        block = span(start, start + RETRAIN_EVERY)
        batch = ListingBatch.from_records(block)
        y = truth(block, topics)
        s_frozen = frozen.predict_proba(batch)
        s_retrained = retrained.predict_proba(batch)
        fired = np.zeros_like(y, dtype=bool)
        for i, result in enumerate(rules.screen(batch, explain=False)):
            for hit in result.rule_hits:
                if hit.topic in topics:
                    fired[i, topics.index(hit.topic)] = True
        row_day = np.asarray([r["meta"]["sim"]["day"] for r in block])
        for d in block_days:
            rows = row_day == d
            for j, t in enumerate(topics):
                yd = y[rows, j]
                daily["rules alone"][t].append(float(fired[rows, j][yd == 1].mean()) if yd.sum() else None)
                daily["frozen model (R@P0.9)"][t].append(r_at_p(yd, s_frozen[rows, j]))
                daily["retrained every 7 days (R@P0.9)"][t].append(r_at_p(yd, s_retrained[rows, j]))
        blocks.append(
            {
                "days": [block_days[0], block_days[-1]],
                "topics": {
                    t: {
                        "positives": int(y[:, j].sum()),
                        "rules_recall": float(fired[:, j][y[:, j] == 1].mean()) if y[:, j].sum() else None,
                        "frozen": r_at_p(y[:, j], s_frozen[:, j]),
                        "retrained": r_at_p(y[:, j], s_retrained[:, j]),
                    }
                    for j, t in enumerate(topics)
                },
            }
        )

    out = OUT / "drift"
    out.mkdir(parents=True, exist_ok=True)
    plots.recall_by_day(
        daily, [f"day {d}" for d in eval_days], out / "recall_by_day.png", title="recall per day after training"
    )
    print(f"\n{'topic':16s} {'day-20':>7s} {'rules':>6s} {'frozen':>7s} {'retrained':>9s}  (mean over 7-day blocks)")
    summary: dict[str, Any] = {}
    for t in topics:

        def mean(key: str, topic: str = t) -> float | None:
            values = [b["topics"][topic][key] for b in blocks if b["topics"][topic][key] is not None]
            return float(np.mean(values)) if values else None

        entry = {
            "day20": day20[t],
            "rules": mean("rules_recall"),
            "frozen": mean("frozen"),
            "retrained": mean("retrained"),
        }
        worst = min(
            (b["topics"][t]["retrained"] for b in blocks if b["topics"][t]["retrained"] is not None), default=None
        )
        entry["retrained_worst_block"] = worst
        entry["holds"] = (
            None
            if entry["day20"] is None or entry["retrained"] is None
            else entry["retrained"] >= entry["day20"] - 0.05
        )
        summary[t] = entry

        def f(v: float | None) -> str:
            return "   –" if v is None else f"{v:.3f}"

        print(
            f"{t:16s} {f(entry['day20']):>7s} {f(entry['rules']):>6s} {f(entry['frozen']):>7s} "
            f"{f(entry['retrained']):>9s}  {'ok' if entry['holds'] else 'BELOW' if entry['holds'] is False else ''}"
        )
    print(f"plot: {out / 'recall_by_day.png'}")
    record("drift", {"config": vars(args), "blocks": blocks, "summary": summary})


if __name__ == "__main__":
    main()
