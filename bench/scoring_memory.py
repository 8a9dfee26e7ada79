"""Peak memory of `listingguard score` on 1,000,000 listings streamed from a file.

Run: python bench/scoring_memory.py [--listings 1000000]

Simulates the input once (cached in bench/out/), trains a model on a small separate sample, then runs the
real command in a child process and reads the child's peak resident set size from the kernel
(`getrusage(RUSAGE_CHILDREN)`). The target is under 1 GiB: memory must not grow with the file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import OUT, record

GIB = 1024**3


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "listingguard.cli", *args], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=1_000_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    per_day = 2000
    days = args.listings // per_day
    data = OUT / f"listings_{args.listings}.jsonl"
    if not data.exists():
        run(["simulate", "--days", str(days), "--per-day", str(per_day), "--seed", "21", "--out", str(data)])
    model = OUT / "memory_model"
    if not model.exists():
        sample = OUT / "memory_train.jsonl"
        run(["simulate", "--days", "10", "--per-day", "2000", "--seed", "22", "--out", str(sample)])
        run(["train", "--data", str(sample), "--out", str(model), "--no-refit"])
    output = OUT / "scored_1m.jsonl"
    # A fresh intermediate process whose only child is `score`, so the peak is score's alone
    # (RUSAGE_CHILDREN is the maximum over every child a process has waited for).
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [
        sys.executable,
        "-m",
        "listingguard.cli",
        "score",
        "--model",
        str(model),
        "--input",
        str(data),
        "--output",
        str(output),
    ]
    done = subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True)
    seconds_text, peak_kib = done.stdout.split()[-2:]
    seconds = float(seconds_text)
    peak = int(peak_kib) * 1024
    results = {
        "listings": args.listings,
        "input_bytes": data.stat().st_size,
        "seconds": seconds,
        "listings_per_second": args.listings / seconds,
        "peak_rss_bytes": peak,
        "peak_rss_gib": peak / GIB,
        "under_1_gib": peak < GIB,
    }
    print(f"scored {args.listings:,} listings ({data.stat().st_size / GIB:.2f} GiB of JSON Lines) in {seconds:.0f} s")
    print(f"peak resident memory of the score process: {peak / 2**20:,.0f} MiB ({peak / GIB:.2f} GiB; target < 1 GiB)")
    output.unlink()
    record("scoring_memory", results)


if __name__ == "__main__":
    main()
