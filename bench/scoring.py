"""Batch scoring throughput with eight topics, against a naive baseline run in the same process.

Run: python bench/scoring.py [--train 20000] [--score 20000]

Ours: the production path (`Screener.screen`): normalise once, rules, shared features computed once, all
eight topic models in one sparse product, policy. Baseline: what a team writes first - one scikit-learn
Pipeline (TF-IDF character n-grams + logistic regression) per topic, each vectorising the raw text again.
Both are pinned to one core; the ratio is what matters, the absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from bench.common import best_of, one_core, record
from listingguard.config import DEFAULT_POLICY_PATH, DEFAULT_RULES_DIR
from listingguard.detection.features import FeatureSpec
from listingguard.detection.training import TrainingConfig, train
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener
from listingguard.simulator.generator import SimulationConfig, simulate
from listingguard.text.normalize import normalize_with_offsets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--score", type=int, default=20000)
    args = parser.parse_args()
    one_core()
    per_day = 2000
    train_records = list(simulate(SimulationConfig(days=args.train // per_day, per_day=per_day, seed=5)))
    score_records = list(simulate(SimulationConfig(days=args.score // per_day, per_day=per_day, seed=6, first_day=20)))
    model = train(
        ListingBatch.from_records(train_records),
        TrainingConfig(refit=False, n_jobs=1, spec=FeatureSpec()),
        sources=[],
    )
    screener = Screener(rules=load_rule_set(DEFAULT_RULES_DIR), policy=load_policy(DEFAULT_POLICY_PATH), model=model)

    texts_train = [f"{r['title']} {r['description']}" for r in train_records]
    texts_score = [f"{r['title']} {r['description']}" for r in score_records]
    baseline = {}
    for topic in model.topics:
        y = np.asarray([topic in (r["labels"] or []) for r in train_records], dtype=int)
        pipe = Pipeline(
            [
                ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)),
                ("clf", LogisticRegression(C=4.0, class_weight="balanced", max_iter=300, tol=1e-3)),
            ]
        )
        baseline[topic] = pipe.fit(texts_train, y)

    n = len(score_records)

    def ours(explain: bool) -> None:
        normalize_with_offsets.cache_clear()  # no help from earlier repeats
        screener.screen(ListingBatch.from_records(score_records), explain=explain)

    def naive() -> None:
        np.column_stack([baseline[t].predict_proba(texts_score)[:, 1] for t in model.topics])

    t_ours = best_of(lambda: ours(False))
    t_ours_explain = best_of(lambda: ours(True))
    t_naive = best_of(naive)
    results = {
        "listings": n,
        "topics": len(model.topics),
        "ours_listings_per_second": n / t_ours,
        "ours_with_explanations_listings_per_second": n / t_ours_explain,
        "naive_listings_per_second": n / t_naive,
        "ratio": t_naive / t_ours,
        "ratio_with_explanations": t_naive / t_ours_explain,
    }
    print(f"{n:,} listings, {len(model.topics)} topics, one core")
    rows = [
        ("ours (rules + features once + all topics + policy)", results["ours_listings_per_second"]),
        ("ours with explanations for flagged listings", results["ours_with_explanations_listings_per_second"]),
        ("naive (one Pipeline per topic, re-vectorising)", results["naive_listings_per_second"]),
    ]
    for label, rate in rows:
        print(f"  {label:52s} {rate:9,.0f} listings/s")
    ratio, ratio_explained = results["ratio"], results["ratio_with_explanations"]
    print(f"  ratio ours / naive: {ratio:.1f}x (with explanations {ratio_explained:.1f}x)")
    record("scoring", results)


if __name__ == "__main__":
    main()
