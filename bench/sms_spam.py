"""Real text: the SMS Spam Collection (Almeida et al., DocEng 2011) as listings, on fixed random splits.

Run: python bench/sms_spam.py [--data PATH] [--fpr-budget 0.001] [--protocol splits|paper] [--splits 20]

Each message becomes a listing (title = first 80 characters, description = the whole text) and `spam` a
violation topic. The paper's split (train on the first 30% of lines, test on the last 70%) has been scored
by many candidates, so a choice made on it is no longer honest. The default protocol (``--protocol
splits``) runs the product's default detector on 20 stratified random 30/70 splits drawn with a seed fixed
here (SPLIT_SEED) and reports the mean, standard deviation, minimum and maximum of spam caught and ham
blocked over them. ``--protocol paper`` runs the old protocol: every method on the paper's split.

Either way the operating threshold is chosen on the training part alone: 5-fold cross-validation gives
out-of-fold scores for every training message, and the threshold is the lowest one whose out-of-fold ham
false-positive rate stays within --fpr-budget (default 0.1%: half of the 0.2% target, because about 1,435
training hams measure a rate that small only roughly). The test part is scored once, at that threshold.

Beside each honest result it prints a bound that is not one: the recall of the best threshold chosen on the
test part itself with at most 0.2% of its ham above it, i.e. what the model's ranking allows at all.

With ``--protocol paper``, in the same process and with the same threshold rule, a plain character n-gram
linear SVM (scikit-learn TfidfVectorizer + LinearSVC) is the baseline the brief quotes (~94.5% at ~0.3%).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.svm import LinearSVC

from bench.common import record
from listingguard.detection.detector import TopicDetector
from listingguard.detection.features import FeatureSpec, ListingFeaturizer
from listingguard.listings.batch import ListingBatch

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sms_spam_collection" / "SMSSpamCollection"
PAPER = {"recall": 0.831, "fpr": 0.0018, "accuracy": 0.976, "what": "best linear SVM, Almeida et al. 2011"}
START = datetime(2011, 1, 1, tzinfo=UTC)
TARGET = {"recall": 0.95, "fpr": 0.002}
TRAIN_SHARE = 0.3
N_SPLITS = 20
SPLIT_SEED = 2026  # fixed once, before any split was scored; never tuned


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


def random_splits(
    y: npt.NDArray[np.int_], n_splits: int = N_SPLITS, seed: int = SPLIT_SEED
) -> list[tuple[npt.NDArray[np.int_], npt.NDArray[np.int_]]]:
    """``n_splits`` stratified random 30/70 (train, test) index pairs, the same on every run.

    The paper's one split has been scored by too many candidates to decide anything any more; a fresh,
    fixed set of random splits shows how much of a difference is the split and how much the method."""
    splitter = StratifiedShuffleSplit(n_splits=n_splits, train_size=TRAIN_SHARE, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def cv_threshold(
    method: Any, train: list[str], y_train: npt.NDArray[np.int_], budget: float, seed: int = 0
) -> tuple[float, npt.NDArray[np.float64]]:
    """The operating threshold from 5-fold out-of-fold scores of the training part, and those scores.

    It is given the training part only, so no test message or label can move the threshold."""
    oof = np.zeros(len(train))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(np.zeros(len(train)), y_train)
    for fit_idx, val_idx in folds:
        oof[val_idx] = method.fit_score(
            [train[i] for i in fit_idx], y_train[fit_idx], [train[i] for i in val_idx], int(val_idx[0])
        )
    return threshold_for(oof, y_train, budget), oof


def evaluate_split(
    method: Any,
    texts: list[str],
    y: npt.NDArray[np.int_],
    train_idx: npt.NDArray[np.int_],
    test_idx: npt.NDArray[np.int_],
    budget: float,
    cv_seed: int = 0,
) -> dict[str, Any]:
    """Threshold from the training rows alone, then one model fitted on them scores the test rows once."""
    train, test = [texts[i] for i in train_idx], [texts[i] for i in test_idx]
    y_train, y_test = y[train_idx], y[test_idx]
    threshold, oof = cv_threshold(method, train, y_train, budget, cv_seed)
    test_scores = method.fit_score(train, y_train, test, len(train))
    return {
        "method": method.name,
        "threshold": threshold,
        "cv_on_train": rates(oof, y_train, threshold),
        "test": rates(test_scores, y_test, threshold),
        "test_ceiling_at_0.2%": ceiling(test_scores, y_test),
    }


def evaluate(method: Any, texts: list[str], y: npt.NDArray[np.int_], split: int, budget: float) -> dict[str, Any]:
    """The paper's protocol: the first ``split`` lines train, the rest test."""
    return evaluate_split(method, texts, y, np.arange(split), np.arange(split, len(texts)), budget)


def spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation, minimum and maximum over the splits."""
    a = np.asarray(values, dtype=float)
    return {
        "mean": float(a.mean()),
        "sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
        "min": float(a.min()),
        "max": float(a.max()),
    }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Spam caught and ham blocked over the splits, and whether the mean meets the target."""
    caught = spread([r["test"]["recall"] for r in results])
    blocked = spread([r["test"]["fpr"] for r in results])
    return {
        "splits": len(results),
        "spam_caught": caught,
        "ham_blocked": blocked,
        "target_met": caught["mean"] >= TARGET["recall"] and blocked["mean"] <= TARGET["fpr"],
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


def add_protocol_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocol",
        choices=("splits", "paper"),
        default="splits",
        help="splits: the default detector on the fixed random 30/70 splits; paper: every method on the paper's split",
    )
    parser.add_argument("--splits", type=int, default=N_SPLITS, help="how many of the fixed splits to run (a prefix)")
    parser.add_argument("--jobs", type=int, default=2, help="splits evaluated in parallel")


def default_detector() -> Ours:
    """The product's default detector, as in the first row of the paper-split table."""
    return Ours(FeatureSpec(hash_bits=20))


def main_splits(args: argparse.Namespace, texts: list[str], y: npt.NDArray[np.int_]) -> None:
    splits = random_splits(y)[: args.splits]
    method = default_detector()
    print(
        f"{len(texts):,} messages ({int(y.sum()):,} spam); {len(splits)} stratified random 30/70 splits "
        f"(seed {SPLIT_SEED}); {method.name}"
    )
    start = time.perf_counter()
    results: list[dict[str, Any]] = []
    jobs = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(evaluate_split)(method, texts, y, train_idx, test_idx, args.fpr_budget, cv_seed=k)
        for k, (train_idx, test_idx) in enumerate(splits)
    )
    for k, result in enumerate(jobs):
        results.append(result)
        t = result["test"]
        print(
            f"  split {k:2d}: spam caught {t['recall']:.1%} ({t['spam_missed']} missed), ham blocked {t['fpr']:.2%} "
            f"({t['ham_blocked']}), average precision {t['average_precision']:.4f}, "
            f"bound at 0.2% {result['test_ceiling_at_0.2%']:.1%}  [{time.perf_counter() - start:.0f} s]",
            flush=True,
        )
        record(  # after every split, so a run cut short still leaves its numbers
            "sms_spam_splits",
            {
                "messages": len(texts),
                "seed": SPLIT_SEED,
                "fpr_budget": args.fpr_budget,
                "seconds": time.perf_counter() - start,
                "summary": summarise(results),
                "splits": results,
            },
        )
    summary = summarise(results)
    c, b = summary["spam_caught"], summary["ham_blocked"]
    print(
        f"  over {summary['splits']} splits: spam caught {c['mean']:.1%} "
        f"(sd {c['sd']:.1%}, {c['min']:.1%}-{c['max']:.1%}),"
        f" ham blocked {b['mean']:.2%} (sd {b['sd']:.2%}, {b['min']:.2%}-{b['max']:.2%})"
        f"  [{time.perf_counter() - start:.0f} s]\n"
        f"  target: mean >= 95% caught at <= 0.2% blocked: {'met' if summary['target_met'] else 'NOT met'}"
    )


def main_paper(args: argparse.Namespace, texts: list[str], y: npt.NDArray[np.int_], split: int) -> None:
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


def main() -> None:
    args, texts, y, split = arguments_and_data(__doc__, add_protocol_arguments)
    if args.protocol == "paper":
        main_paper(args, texts, y, split)
    else:
        main_splits(args, texts, y)


if __name__ == "__main__":
    main()
