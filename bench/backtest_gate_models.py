"""Does the gate stop a worse *retrained* model and pass a better one? Real detectors, simulated truth.

``bench.backtest_coverage`` checks the gate on synthetic scores (a weaker or stronger normal signal).
This benchmark trains real detectors on the simulated marketplace and backtests them against each other
on later days, with the product's design, estimators and gate (``bench.backtest_sim.backtest_once``
per topic, ``report.judge`` across topics, the Bonferroni split of alpha for non-inferiority and Holm for
"better on at least one", as ``evaluation.backtest.report`` does):

- *full*: trained on all training days (the reference);
- *third*: trained on the first third of those days;
- *flipped*: all training days, but 20% of each topic's positive labels flipped to negative and as many
  of its negatives flipped to positive (noisy moderators: the class balance is kept, the signal is not).

Pairings: production *full* against candidate *third* and *flipped* (truly worse: the gate should block
them in ≥ 95% of runs), and production *third* against candidate *full* (truly better: should pass in
≥ 80%). Each run draws a window from a pool of later simulated days, production's flags are its scores
at the default policy's review thresholds, 90% of them decided before the backtest, the candidate
compared at matched volume, and the label budget and exploration labels drawn per topic. The true change
in recall of each pairing, on the whole pool, is printed beside the pass rate.

    python -m bench.backtest_gate_models [--runs 200] [--window 40000]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench.backtest_sim import Window, backtest_once
from listingguard.config import DEFAULT_POLICY_PATH
from listingguard.detection.features import FeatureSpec
from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.evaluation.backtest import design
from listingguard.evaluation.backtest.estimators import lower_bound
from listingguard.evaluation.backtest.report import GateConfig, judge
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.simulator.generator import SimulationConfig, simulate

TRAIN_DAYS, TEST_DAYS, PER_DAY = 30, 15, 3000


def flip_labels(records: list[dict[str, Any]], topics: list[str], share: float, seed: int) -> list[dict[str, Any]]:
    """Per topic, flip ``share`` of the positive labels to negative and as many negatives to positive."""
    rng = np.random.default_rng(seed)
    labels = [set(r["labels"]) for r in records]
    for topic in topics:
        pos = [i for i, ls in enumerate(labels) if topic in ls]
        neg = [i for i, ls in enumerate(labels) if topic not in ls]
        k = round(share * len(pos))
        for i in rng.choice(pos, size=k, replace=False):
            labels[i].discard(topic)
        for i in rng.choice(neg, size=k, replace=False):
            labels[i].add(topic)
    return [{**r, "labels": sorted(ls)} for r, ls in zip(records, labels, strict=True)]


CACHE = Path("bench/out/gate-models")


def fit(records: list[dict[str, Any]], name: str, seed: int) -> ModerationModel:
    """Train (or load the model this seed trained before: training is most of the run's time)."""
    cached = CACHE / f"seed{seed}" / name
    if (cached / "manifest.json").is_file():
        return ModerationModel.load(cached)
    started = time.perf_counter()
    model = train(
        ListingBatch.from_records(records),
        TrainingConfig(spec=FeatureSpec(hash_bits=18), author="bench", n_jobs=1),
        sources=[DataSource("file", name, "0" * 64, len(records))],
    )
    print(f"  trained {name:8s} on {len(records):,} listings in {time.perf_counter() - started:.0f} s")
    model.save(cached)
    return model


def gate_run(
    truth: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    review: np.ndarray,
    rng: np.random.Generator,
    *,
    label_budget: int,
    exploration: int,
    gate: GateConfig,
) -> tuple[bool, list[str]]:
    """One backtest over every topic of one window; the gate's verdict and the conditions it failed."""
    topics = [f"t{j}" for j in range(truth.shape[1])]
    production = score_a >= review
    matched = design.matched_thresholds(score_b, production)
    candidate = score_b >= matched
    decided = production & (rng.random(production.shape) < 0.9)
    per_topic: dict[str, Any] = {}
    lcbs: dict[str, float] = {}
    superiority: dict[str, float] = {}
    for j, topic in enumerate(topics):
        window = Window(truth[:, j], score_a[:, j], score_b[:, j], production[:, j], candidate[:, j], decided[:, j])
        est = backtest_once(window, rng, label_budget=label_budget, exploration=exploration)
        draws = est.draws["delta_recall"]
        finite = draws[np.isfinite(draws)]
        per_topic[topic] = {"delta_recall": est.intervals["delta_recall"].to_dict()}
        lcbs[topic] = lower_bound(draws, alpha=gate.alpha / len(topics))
        superiority[topic] = float((finite <= 0).mean()) if len(finite) else 1.0
    own_a, own_b = production.any(axis=1).sum(), (score_b >= review).any(axis=1).sum()
    load = {"change": float((own_b - own_a) / own_a) if own_a else None}
    verdict = judge(per_topic, lcbs, superiority, load, {"tasks": 0, "decided": 0}, gate)
    failed = [
        "load"
        if r.startswith("review load +")
        else "not better"
        if r.startswith("not significantly")
        else r.split(":")[0]
        for r in verdict["reasons"]
        if "not above" in r or r.startswith(("review load +", "not significantly"))
    ]
    return bool(verdict["passed"]), failed


def true_delta_recall(truth: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, review: np.ndarray) -> np.ndarray:
    production = score_a >= review
    candidate = score_b >= design.matched_thresholds(score_b, production)
    y = truth.astype(bool)
    return ((y & candidate & ~production).sum(0) - (y & production & ~candidate).sum(0)) / np.maximum(1, y.sum(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--window", type=int, default=40_000, help="listings per simulated backtest window")
    parser.add_argument("--label-budget", type=int, default=150, help="disagreement labels per topic")
    parser.add_argument("--exploration", type=int, default=150, help="exploration labels per topic")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    train_records = list(simulate(SimulationConfig(days=TRAIN_DAYS, per_day=PER_DAY, seed=args.seed)))
    pool_records = list(
        simulate(SimulationConfig(days=TEST_DAYS, per_day=PER_DAY * 3, seed=args.seed + 1, first_day=TRAIN_DAYS))
    )
    third_days = TRAIN_DAYS // 3
    third_records = [r for r in train_records if r["meta"]["sim"]["day"] < third_days]
    print(f"simulated {len(train_records):,} training and {len(pool_records):,} test listings")
    full = fit(train_records, "full", args.seed)
    topics = full.topics
    models = {
        "full": full,
        "third": fit(third_records, "third", args.seed),
        "flipped": fit(flip_labels(train_records, topics, 0.2, args.seed), "flipped", args.seed),
    }
    pool = ListingBatch.from_records(pool_records)
    truth = np.asarray([[t in r["meta"]["sim"]["truth"] for t in topics] for r in pool_records], dtype=np.int8)
    scores = {}
    for name, model in models.items():
        by_topic = dict(zip(model.topics, model.predict_proba(pool).T, strict=True))
        scores[name] = np.column_stack([by_topic.get(t, np.zeros(len(pool))) for t in topics])
    policy = load_policy(DEFAULT_POLICY_PATH)
    review = np.asarray([policy.topic(t).review for t in topics])
    gate = GateConfig()
    print(f"{len(topics)} topics; positives in the pool: {dict(zip(topics, truth.sum(0).tolist(), strict=True))}")
    print(f"\n| production | candidate | true Δrecall, per topic (pool) | gate passes ({args.runs} windows) | failed |")
    print("|---|---|---|---:|---|")
    for prod, cand in (("full", "third"), ("full", "flipped"), ("third", "full")):
        rng = np.random.default_rng(args.seed)
        delta = true_delta_recall(truth, scores[prod], scores[cand], review)
        passed = 0
        why: Counter[str] = Counter()
        for _ in range(args.runs):
            rows = rng.choice(len(pool), size=args.window, replace=False)
            ok, failed = gate_run(
                truth[rows],
                scores[prod][rows],
                scores[cand][rows],
                review,
                rng,
                label_budget=args.label_budget,
                exploration=args.exploration,
                gate=gate,
            )
            passed += ok
            why.update(failed)
        shown = ", ".join(f"{t} {d:+.3f}" for t, d in zip(topics, delta, strict=True))
        blocked_by = ", ".join(f"{k} {v}" for k, v in why.most_common())
        print(f"| {prod} | {cand} | {shown} | {passed / args.runs:.1%} | {blocked_by} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
