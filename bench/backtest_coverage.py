"""The backtest's statistics by simulation: interval coverage, labels saved against a simple random sample,
and how often the gate stops a worse candidate and passes a better one.

Synthetic windows with known truth (``bench.backtest_sim``): 100,000 listings, one topic at 0.5%
prevalence, production flagging 1.5%, 90% of its flags decided before the backtest, the candidate at
matched volume. The design and estimators are the product's. Seeded; prints a table per question.

    python -m bench.backtest_coverage [--runs 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.backtest_sim import backtest_once, gate_once, srs_once, synthetic_window

ESTIMANDS = ("delta_recall", "recall_candidate", "recall_production", "delta_caught")


def coverage(runs: int, miscalibration: float, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(ESTIMANDS, 0)
    for _ in range(runs):
        window = synthetic_window(rng, n=100_000, miscalibration=miscalibration)
        estimates = backtest_once(window, rng, label_budget=200, exploration=200).to_dict()
        truth = window.true_values()
        for name in ESTIMANDS:
            iv = estimates[name]
            hits[name] += iv["low"] is not None and iv["low"] <= truth[name] <= iv["high"]  # type: ignore[operator]
    return {name: n / runs for name, n in hits.items()}


def label_efficiency(runs: int, seed: int) -> tuple[float, float, float]:
    """Mean interval width on Δcaught for the design and for an SRS of as many labels; the labels an SRS
    needs for the design's width (widths scale as 1/sqrt(labels)), as a multiple of the design's."""
    rng = np.random.default_rng(seed)
    ours, srs = [], []
    labels = 400
    for _ in range(runs):
        window = synthetic_window(rng, n=100_000)
        iv = backtest_once(window, rng, label_budget=200, exploration=200).intervals["delta_caught"]
        ours.append(iv.width)
        _, se = srs_once(window, rng, labels=labels)
        srs.append(2 * 1.96 * se)
    w_ours, w_srs = float(np.mean(ours)), float(np.mean(srs))
    return w_ours, w_srs, (w_srs / w_ours) ** 2


def gate_rates(runs: int, seed: int, separation: float) -> float:
    rng = np.random.default_rng(seed)
    passed = 0
    for _ in range(runs):
        window = synthetic_window(rng, n=100_000, candidate_separation=separation)
        passed += gate_once(backtest_once(window, rng, label_budget=200, exploration=200))
    return passed / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"coverage of 95% intervals over {args.runs} simulated backtests (each model's scores x miscalibration)")
    print(f"{'miscalibration':>15} " + " ".join(f"{n:>18}" for n in ESTIMANDS))
    for k, m in enumerate((1.0, 0.5, 2.0, 0.25, 4.0)):
        cov = coverage(args.runs, m, seed=100 + k)
        print(f"{m:>15g} " + " ".join(f"{cov[n]:>18.3f}" for n in ESTIMANDS))
    w_ours, w_srs, ratio = label_efficiency(args.runs, seed=200)
    print(f"\nΔcaught interval width with 400 new labels: design {w_ours:.1f}, simple random sample {w_srs:.1f}")
    print(f"labels a simple random sample needs for the design's width: {ratio:.1f}x the design's")
    print("\ngate verdicts (production separation 2.5; margin 0.02, alpha 0.05)")
    for label, separation in (
        ("worse (2.0)", 2.0),
        ("slightly worse (2.3)", 2.3),
        ("equal (2.5)", 2.5),
        ("better (2.9)", 2.9),
        ("much better (3.3)", 3.3),
    ):
        print(f"  candidate {label:>22}: passes in {gate_rates(args.runs, 300, separation):.1%} of runs")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
