"""Character n-gram hashing: our batch-vectorised numpy hasher vs scikit-learn's HashingVectorizer.

Run: python bench/features.py [--docs 20000]

Both count the same character 1-4-grams of the same normalised texts into 2**20 columns; the ratio is the
reason `detection/features.py` carries its own hasher (see docs/architecture.md).
"""

from __future__ import annotations

import argparse

from sklearn.feature_extraction.text import HashingVectorizer

from bench.common import best_of, one_core, record
from listingguard.detection.features import hash_char_ngrams
from listingguard.listings.batch import ListingBatch
from listingguard.simulator.generator import SimulationConfig, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20000)
    args = parser.parse_args()
    one_core()
    batch = ListingBatch.from_records(
        list(simulate(SimulationConfig(days=max(1, args.docs // 2000), per_day=2000, seed=9)))
    )
    docs = [f" {t} {d} " for t, d in zip(batch.norm_titles, batch.norm_descriptions, strict=True)][: args.docs]
    sklearn_hasher = HashingVectorizer(
        analyzer="char", ngram_range=(1, 4), n_features=2**20, alternate_sign=False, norm=None
    )
    t_ours = best_of(lambda: hash_char_ngrams(docs, ngram_min=1, ngram_max=4, hash_bits=20, seed=1))
    t_sklearn = best_of(lambda: sklearn_hasher.transform(docs))
    results = {
        "docs": len(docs),
        "ours_docs_per_second": len(docs) / t_ours,
        "sklearn_docs_per_second": len(docs) / t_sklearn,
        "ratio": t_sklearn / t_ours,
    }
    print(f"{len(docs):,} documents, character 1-4-grams, 2**20 columns, one core")
    print(f"  numpy batch hasher:   {results['ours_docs_per_second']:9,.0f} docs/s")
    print(f"  HashingVectorizer:    {results['sklearn_docs_per_second']:9,.0f} docs/s")
    print(f"  ratio: {results['ratio']:.1f}x")
    record("features", results)


if __name__ == "__main__":
    main()
