"""Paired experiment vs 50/50 split: days to a decision, power and the A/A false-positive rate.

At 0.3% prevalence and 100,000 listings a day, for flag overlaps 0.6, 0.8 and 0.9: the plan's expected
days and the simulated median days of both designs (daily batches, daily looks, O'Brien–Fleming-type
spending, non-binding futility, alpha 0.05, power 0.8, +10% recall of B over A's 0.6), the power reached,
and the false-positive rate of ``--aa-runs`` A/A experiments with daily peeking, with and without the
futility stops; for contrast, daily peeking at the fixed-sample 1.96. Every number comes from the
product's code (``evaluation.experiments``).

    python -m bench.experiment_sim [--runs 2000] [--aa-runs 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from bench.common import record
from listingguard.evaluation.experiments.plan import Scenario, plan
from listingguard.evaluation.experiments.simulate import compare, simulate_design

OVERLAPS = (0.6, 0.8, 0.9)


def naive_peeking(scenario: Scenario, runs: int, seed: int) -> float:
    """A/A false-positive rate of the split when every daily look tests at 1.96 (no correction)."""
    the_plan = plan(replace(scenario, futility=False)).split
    fixed = replace(the_plan, design=replace(the_plan.design, efficacy=np.full(len(the_plan.look_days), 1.96)))
    return simulate_design(scenario, fixed, runs=runs, rng=np.random.default_rng(seed), effect=0.0).rejection_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--aa-runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--effect", type=float, default=0.10)
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, object] = {"runs": args.runs, "aa_runs": args.aa_runs, "seed": args.seed}
    print(f"0.3% prevalence, 100,000 listings/day, recall of A 0.6, B +{args.effect:.0%}; alpha 0.05, power 0.8")
    header = (
        f"{'overlap':>7} {'design':>7} {'max d':>6} {'E[d] plan':>9} {'median d':>8} {'mean d':>7}"
        f" {'power':>6} {'A/A FPR':>8} {'A/A FPR, no futility':>21}"
    )
    print(header)
    for k, overlap in enumerate(OVERLAPS):
        scenario = Scenario(overlap=overlap, lift=args.effect)
        the_plan = plan(scenario)
        t0 = time.perf_counter()
        h1 = compare(scenario, runs=args.runs, seed=args.seed + 10 * k)
        aa = compare(scenario, runs=args.aa_runs, seed=args.seed + 10 * k + 1, aa=True)
        aa_open = compare(replace(scenario, futility=False), runs=args.aa_runs, seed=args.seed + 10 * k + 2, aa=True)
        seconds = time.perf_counter() - t0
        row: dict[str, object] = {"plan_speedup": the_plan.speedup, "sim_speedup": h1.speedup, "seconds": seconds}
        for name in ("paired", "split"):
            planned = getattr(the_plan, name)
            runs = getattr(h1, name)
            fpr, fpr_open = getattr(aa, name).rejection_rate, getattr(aa_open, name).rejection_rate
            print(
                f"{overlap:>7} {name:>7} {planned.max_days:>6.0f} {planned.expected_days:>9.2f}"
                f" {runs.median_days:>8g} {runs.mean_days:>7.2f} {runs.power:>6.3f} {fpr:>8.4f} {fpr_open:>21.4f}"
            )
            row[name] = {
                "max_days": planned.max_days,
                "plan_expected_days": planned.expected_days,
                "median_days": runs.median_days,
                "mean_days": runs.mean_days,
                "power": runs.power,
                "aa_false_positive_rate": fpr,
                "aa_false_positive_rate_no_futility": fpr_open,
                "aa_guardrail_rate": getattr(aa, name).summary()["guardrail_rate"],
            }
        closed = 2 * (2 + args.effect) / (2 * (1 - overlap) + args.effect)
        print(
            f"{'':>7} speed-up: plan (expected days) {the_plan.speedup:.1f}x, simulated (median days) "
            f"{h1.speedup:.1f}x; fixed-sample closed form {closed:.1f}x"
            f"  [{seconds:.1f} s for {args.runs + 2 * args.aa_runs:,} runs per design]"
        )
        results[f"overlap_{overlap}"] = row
    naive = naive_peeking(Scenario(overlap=0.8, lift=args.effect), args.aa_runs, args.seed + 99)
    print(f"\nfor contrast, A/A split with daily peeking at 1.96 (no correction): false-positive rate {naive:.3f}")
    results["naive_peeking_fpr"] = naive
    total = time.perf_counter() - started
    results["seconds"] = total
    print(f"\n{total:.1f} s in all; results in {record('experiment_sim', results)}")


if __name__ == "__main__":
    main()
