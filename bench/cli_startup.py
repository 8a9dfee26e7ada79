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
import resource
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


def best(argv: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    """The fastest of ``repeat`` runs of ``argv`` as a new process: (wall seconds, CPU seconds).

    CPU time (user + system of the child) is reported beside wall time because it moves far less when
    other work shares the machine; on an idle machine the two are close for these single-threaded starts.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


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
        rows: dict[str, tuple[float, float]] = {
            "python -c pass": best([sys.executable, "-c", "pass"], args.repeat, env)
        }
        rows["listingguard --help"] = best([*CLI, "--help"], args.repeat, env)
        for command in COMMANDS:
            rows[f"listingguard {command} --help"] = best([*CLI, command, "--help"], args.repeat, env)
        score = [*CLI, "score", "-i", str(score_file), "-o", str(work / "out.jsonl"), "--model", str(model)]
        rows["listingguard score (100 listings)"] = best(score, args.repeat, env)
    base_wall, base_cpu = rows["python -c pass"]
    width = max(len(name) for name in rows)
    print(f"{'command':<{width}}  {'wall s':>7}  {'×pass':>6}  {'CPU s':>6}  {'×pass':>6}")
    for name, (wall, cpu) in rows.items():
        print(f"{name:<{width}}  {wall:7.3f}  {wall / base_wall:5.1f}×  {cpu:6.3f}  {cpu / max(base_cpu, 1e-3):5.1f}×")
    helps = [cpu for name, (_, cpu) in rows.items() if name.endswith("--help")]
    print(
        f"slowest --help {max(helps):.2f} CPU s (target < 1 s); "
        f"score 100 listings {rows['listingguard score (100 listings)'][1]:.2f} CPU s (target < 2.5 s)"
    )
    record("cli_startup", {"repeat": args.repeat, "wall_and_cpu_seconds": rows})


if __name__ == "__main__":
    main()
