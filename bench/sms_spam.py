"""Real text: the SMS Spam Collection (Almeida et al., DocEng 2011) as listings, on the paper's split.

Run: python bench/sms_spam.py [--data PATH] [--fpr-budget 0.001]

Each message becomes a listing (title = first 80 characters, description = the whole text) and `spam` a
violation topic. We train on the first 30% of lines and test on the last 70%, as the paper did. The
operating threshold is chosen on the training part alone: 5-fold cross-validation gives out-of-fold scores
for every training message, and the threshold is the lowest one whose out-of-fold ham false-positive
rate stays within --fpr-budget (default 0.1%: half of the 0.2% target, because about 1,435 training hams
measure a rate that small only roughly). The test part is scored once, at that threshold.

Beside each honest result it prints a bound that is not one: the recall of the best threshold chosen on the
test part itself with at most 0.2% of its ham above it, i.e. what the model's ranking allows at all.

In the same process and with the same threshold rule, a plain character n-gram linear SVM
(scikit-learn TfidfVectorizer + LinearSVC) is the baseline the brief quotes (~94.5% at ~0.3%).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bench.common import record
from listingguard.detection.detector import TopicDetector
from listingguard.detection.features import FeatureSpec, ListingFeaturizer
from listingguard.listings.batch import ListingBatch

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sms_spam_collection" / "SMSSpamCollection"
PAPER = {"recall": 0.831, "fpr": 0.0018, "accuracy": 0.976, "what": "best linear SVM, Almeida et al. 2011"}
START = datetime(2011, 1, 1, tzinfo=UTC)


def load(path: Path) -> tuple[list[str], npt.NDArray[np.int_]]:
    """Messages and labels (1 = spam) in file order."""
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, _, text = line.partition("\t")
        if label in ("spam", "ham"):
            texts.append(text)
            labels.append(int(label == "spam"))
    return texts, np.asarray(labels)


def as_listings(texts: list[str], offset: int = 0) -> ListingBatch:
    """Messages as listings; creation time follows line order so time-based code sees the paper's order."""
    return ListingBatch.from_records(
        {
            "id": f"sms{offset + i}",
            "title": text[:80],
            "description": text,
            "price": 1.0,
            "category": "message",
            "created_at": START + timedelta(minutes=offset + i),
        }
        for i, text in enumerate(texts)
    )


def threshold_for(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int_], budget: float) -> float:
    """The lowest threshold whose false-positive rate on these (out-of-fold) scores is within ``budget``."""
    ham = np.sort(scores[y == 0])[::-1]
    allowed = int(np.floor(budget * len(ham)))  # this many hams may score at or above the threshold
    # Flag when score > threshold: the threshold sits at the (allowed+1)-th highest ham score.
    return float(ham[allowed]) if allowed < len(ham) else float(-np.inf)


def rates(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int_], threshold: float) -> dict[str, float]:
    flagged = scores > threshold
    return {
        "recall": float(flagged[y == 1].mean()),
        "fpr": float(flagged[y == 0].mean()),
        "accuracy": float((flagged == (y == 1)).mean()),
        "ham_blocked": int(flagged[y == 0].sum()),
        "spam_missed": int((~flagged[y == 1]).sum()),
        "average_precision": float(average_precision_score(y, scores)),
    }


def ceiling(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int_], fpr: float = 0.002) -> float:
    """Recall at the best threshold with at most ``fpr`` of ham above it, chosen on these very scores.

    Not a result (it looks at the labels it is measured on): a bound on what the ranking allows at all."""
    return rates(scores, y, threshold_for(scores, y, fpr))["recall"]


class Ours:
    """listingguard's detector: normalised character n-grams of title and description, calibrated."""

    def __init__(self, spec: FeatureSpec, loss: str = "log_loss") -> None:
        self.spec = spec
        self.loss = loss
        self.name = (
            "listingguard: normalised char 1-4 n-grams"
            + (" + raw char 2-5 n-grams" if spec.raw_ngrams else "")
            + (f" + sentence embeddings (weight {spec.embedding_weight:g})" if spec.embeddings else "")
            + (", linear SVM (squared hinge)" if loss == "squared_hinge" else "")
        )

    def fit_score(self, train: list[str], y: npt.NDArray[np.int_], test: list[str], offset: int) -> Any:
        featurizer = ListingFeaturizer(self.spec).fit(as_listings(train))
        detector = TopicDetector(loss=self.loss).fit(featurizer.transform(as_listings(train)), y)
        return detector.predict_proba(featurizer.transform(as_listings(test, offset)))[:, 1]


class PlainSVM:
    """The baseline: TF-IDF character n-grams (2-5, word-bounded) and a linear SVM."""

    name = "baseline (TF-IDF char_wb 2-5 + LinearSVC)"

    def fit_score(self, train: list[str], y: npt.NDArray[np.int_], test: list[str], offset: int) -> Any:
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        svm = LinearSVC(C=1.0).fit(vectorizer.fit_transform(train), y)
        return svm.decision_function(vectorizer.transform(test))


def evaluate(method: Any, texts: list[str], y: npt.NDArray[np.int_], split: int, budget: float) -> dict[str, Any]:
    train, test = texts[:split], texts[split:]
    y_train, y_test = y[:split], y[split:]
    oof = np.zeros(split)
    for fit_idx, val_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(split), y_train):
        oof[val_idx] = method.fit_score(
            [train[i] for i in fit_idx], y_train[fit_idx], [train[i] for i in val_idx], int(val_idx[0])
        )
    threshold = threshold_for(oof, y_train, budget)
    test_scores = method.fit_score(train, y_train, test, split)
    return {
        "method": method.name,
        "threshold": threshold,
        "cv_on_train": rates(oof, y_train, threshold),
        "test": rates(test_scores, y_test, threshold),
        "test_ceiling_at_0.2%": ceiling(test_scores, y_test),
    }


def arguments_and_data(
    description: str | None, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> tuple[argparse.Namespace, list[str], npt.NDArray[np.int_], int]:
    """The command line (``--data``, ``--fpr-budget``, and what ``add_arguments`` adds), the messages and labels,
    and the train/test split.

    Exits with a clear message, successfully, where the collection is absent.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fpr-budget", type=float, default=0.001, help="out-of-fold ham FPR allowed on train")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    if not args.data.exists():
        print(
            f"SKIPPED: the SMS Spam Collection is not at {args.data}. It is not shipped with listingguard; "
            "pass --data PATH to the SMSSpamCollection file (UCI ML Repository, CC BY 4.0).",
            file=sys.stderr,
        )
        raise SystemExit(0)
    texts, y = load(args.data)
    return args, texts, y, int(len(texts) * 0.3)  # the paper's split: first 30% train, last 70% test


def main() -> None:
    args, texts, y, split = arguments_and_data(__doc__)
    print(f"{len(texts):,} messages ({int(y.sum()):,} spam); train on the first {split:,}, test on the rest")
    results = []
    grid = itertools.product(("log_loss", "squared_hinge"), (False, True), (False, True))  # loss, raw, embeddings
    methods = [
        *(
            Ours(FeatureSpec(hash_bits=20, raw_ngrams=raw, embeddings=emb, embedding_weight=0.5), loss=loss)
            for loss, raw, emb in grid
        ),
        PlainSVM(),
    ]
    for method in methods:
        result = evaluate(method, texts, y, split, args.fpr_budget)
        results.append(result)
        t, cv = result["test"], result["cv_on_train"]
        print(
            f"  {result['method']}\n"
            f"    training part, out-of-fold: spam caught {cv['recall']:.1%}, average precision "
            f"{cv['average_precision']:.4f}\n"
            f"    test: spam caught {t['recall']:.1%} ({t['spam_missed']} missed), ham blocked {t['fpr']:.2%} "
            f"({t['ham_blocked']} messages), accuracy {t['accuracy']:.2%}, average precision "
            f"{t['average_precision']:.4f}\n"
            f"    bound, not a result: the best threshold for the test part itself would catch "
            f"{result['test_ceiling_at_0.2%']:.1%} at 0.2% blocked"
        )
    print(
        f"  paper ({PAPER['what']}): spam caught {PAPER['recall']:.1%}, ham blocked {PAPER['fpr']:.2%}, "
        f"accuracy {PAPER['accuracy']:.1%}.  target: >= 95% caught with <= 0.2% blocked"
    )
    record("sms_spam", {"messages": len(texts), "train": split, "fpr_budget": args.fpr_budget, "methods": results})


if __name__ == "__main__":
    main()
