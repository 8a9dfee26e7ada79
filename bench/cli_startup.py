"""How long the command line takes to start: ``python -m bench.cli_startup [--repeat N]``.

Runs, as whole processes (what a person waits for), the baseline ``python -c pass``, ``listingguard
--help``, every ``listingguard COMMAND --help`` and ``listingguard score`` on 100 listings with a small
trained model, each ``--repeat`` times, and prints the best time and its ratio to the baseline measured
in the same run. The targets are under 1 s for every ``--help`` and under 2.5 s for scoring 100
listings (whole process). Results go to ``bench/out/cli_startup.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import record

COMMANDS = (
    "demo",
    "simulate",
    "ingest",
    "train",
    "score",
    "evaluate",
    "thresholds",
    "serve",
    "migrate",
    "simulate-reviewers",
    "users",
)
CLI = [sys.executable, "-m", "listingguard.cli"]


def best(argv: list[str], repeat: int, env: dict[str, str]) -> float:
    """The fastest of ``repeat`` runs of ``argv`` as a new process, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command; the best is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "LISTINGGUARD_HOME": str(work / "home"), "COLUMNS": "120"}
        # a small model and 100 listings to score (set-up, not measured)
        train_file, score_file, model = work / "train.jsonl", work / "score.jsonl", work / "model"
        subprocess.run(
            [*CLI, "simulate", "--days", "6", "--per-day", "500", "--prevalence-scale", "4", "--out", str(train_file)],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        subprocess.run(
            [*CLI, "train", "--data", str(train_file), "--out", str(model), "--no-refit"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        subprocess.run(
            [*CLI, "simulate", "--days", "1", "--per-day", "100", "--seed", "5", "--out", str(score_file)],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        baseline = best([sys.executable, "-c", "pass"], args.repeat, env)
        rows: dict[str, float] = {"python -c pass": baseline}
        rows["listingguard --help"] = best([*CLI, "--help"], args.repeat, env)
        for command in COMMANDS:
            rows[f"listingguard {command} --help"] = best([*CLI, command, "--help"], args.repeat, env)
        score = [*CLI, "score", "-i", str(score_file), "-o", str(work / "out.jsonl"), "--model", str(model)]
        rows["listingguard score (100 listings)"] = best(score, args.repeat, env)
    width = max(len(name) for name in rows)
    print(f"{'command':<{width}}  {'best s':>7}  {'vs python -c pass':>17}")
    for name, seconds in rows.items():
        print(f"{name:<{width}}  {seconds:7.3f}  {seconds / baseline:16.1f}×")
    helps = [s for name, s in rows.items() if name.endswith("--help")]
    print(
        f"slowest --help {max(helps):.2f} s (target < 1 s); "
        f"score 100 listings {rows['listingguard score (100 listings)']:.2f} s (target < 2.5 s)"
    )
    record("cli_startup", {"repeat": args.repeat, "seconds": rows})


if __name__ == "__main__":
    main()
