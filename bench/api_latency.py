"""Single-listing POST /v1/listings latency at 100 requests/s, with a trivial endpoint as the baseline.

Run: python bench/api_latency.py [--seconds 60] [--database sqlite|postgresql] [--rate 100]

`--rate` above 100 measures how far one process keeps up (its capacity) rather than the target.

Starts `listingguard serve` in a child process, then drives it from a separate process with an open-loop
generator (bench/loadgen.py: 100 requests/s on a fixed schedule, latency measured from when each request
was due) twice: against GET /v1/ping (no work) and against POST /v1/listings with a new listing each time
(store + screen + record + review task). Prints p50/p99 of each and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import OUT, postgres_cpu_seconds, record, running_server

HERE = Path(__file__).resolve().parent


def cli(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "listingguard.cli", *args], check=True, env=env)


def load(url: str, rate: float, seconds: int, samples: Path | None, out: Path, token: str | None) -> dict[str, Any]:
    """Run the open-loop generator in its own process and read its statistics."""
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--out",
        str(out),
    ]
    if samples is not None:
        command += ["--samples", str(samples)]
    if token:
        command += ["--token", token]
    subprocess.run(command, check=True, cwd=HERE.parent)
    stats: dict[str, Any] = json.loads(out.read_text())
    return stats


def checkpoint_activity(url: str) -> tuple[int, int]:
    """PostgreSQL checkpoints so far and the buffers they wrote (``pg_stat_bgwriter``, server-wide).

    A checkpoint writes every dirty page over a few tens of seconds and makes the next change of each page
    log a full copy of it, which slows commits; on a small shared machine that shows in the tail latency.
    The benchmark reports whether one ran during the POST phase, so such a run can be recognised.
    """
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(
            "SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint FROM pg_stat_bgwriter"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--rate", type=float, default=100, help="requests per second (the target is set at 100)")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lg-latency-"))
    samples = work / "samples.jsonl"
    cli("simulate", "--days", "10", "--per-day", "1000", "--seed", "31", "--out", str(samples))
    model = work / "model"
    cli("train", "--data", str(samples), "--out", str(model), "--no-refit")
    env = {**os.environ, "LISTINGGUARD_HOME": str(work / "home"), "LISTINGGUARD_MODEL_DIR": str(model)}
    if args.database == "postgresql":
        database_name = f"lg_bench_{int(time.time())}"
        with psycopg.connect(args.postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database_name}"')
        env["LISTINGGUARD_DATABASE_URL"] = args.postgres_url.rsplit("/", 1)[0] + f"/{database_name}"
    # POST /v1/listings needs a service account's token (the server would answer 401 without one).
    made = subprocess.run(
        [sys.executable, "-m", "listingguard.cli", "users", "add", "marketplace", "--role", "service"],
        env={**env, "COLUMNS": "400"},
        check=True,
        capture_output=True,
        text=True,
    )
    token = next(word for word in made.stdout.split() if word.startswith("lg_"))
    with running_server(env, args.workers) as server:
        ping = load(f"{server.url}/v1/ping", args.rate, args.seconds, None, work / "ping.json", token)
        # CPU per request is what the code changes move; p99 on a shared 2-core machine also moves with
        # whatever else runs. Both are reported.
        server_before, postgres_before = server.cpu_seconds(), postgres_cpu_seconds()
        checkpoints_before = checkpoint_activity(args.postgres_url) if args.database == "postgresql" else (0, 0)
        post = load(f"{server.url}/v1/listings", args.rate, args.seconds, samples, work / "post.json", token)
        post["server_cpu_ms_per_request"] = (server.cpu_seconds() - server_before) * 1000 / post["requests"]
        post["postgres_cpu_ms_per_request"] = (postgres_cpu_seconds() - postgres_before) * 1000 / post["requests"]
        if args.database == "postgresql":
            checkpoints_after = checkpoint_activity(args.postgres_url)
            post["checkpoints"] = checkpoints_after[0] - checkpoints_before[0]
            post["checkpoint_buffers"] = checkpoints_after[1] - checkpoints_before[1]
    results = {
        "database": args.database,
        "seconds": args.seconds,
        "rate": args.rate,
        "ping": ping,
        "post_listing": post,
        "p99_ratio_post_vs_ping": post["p99_ms"] / max(ping["p99_ms"], 1e-9),
    }
    print(f"{args.rate:g} requests/s for {args.seconds} s, database {args.database}, load from a separate process")
    for endpoint, r in (("GET /v1/ping", ping), ("POST /v1/listings", post)):
        print(
            f"  {endpoint:18s} {r['rate']:6.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
            f"max {r['max_ms']:6.1f} ms  statuses {r['statuses']}"
        )
    slow = post["slow_by_second"]
    if slow:
        worst = max(slow, key=slow.get)
        print(
            f"  POSTs over {post['slow_ms']:g} ms: {sum(slow.values())} in {len(slow)} distinct seconds of the run; "
            f"worst second {worst} ({slow[worst]} requests)"
        )
    print(f"  p99 ratio POST / ping: {results['p99_ratio_post_vs_ping']:.1f}x  (target: POST p99 < 20 ms)")
    print(
        f"  CPU per POST: server {post['server_cpu_ms_per_request']:.1f} ms"
        + (f", PostgreSQL {post['postgres_cpu_ms_per_request']:.1f} ms" if args.database == "postgresql" else "")
    )
    if post.get("checkpoints") or post.get("checkpoint_buffers"):
        print(
            f"  PostgreSQL checkpoint activity during the POST phase: {post['checkpoints']} counted, "
            f"{post['checkpoint_buffers']} buffers written (commits are slower meanwhile)"
        )
    record(f"api_latency_{args.database}" + (f"_rate{args.rate:g}" if args.rate != 100 else ""), results)
    if args.database == "postgresql":
        with psycopg.connect(args.postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
    shutil.rmtree(work, ignore_errors=True)  # samples, model and SQLite file: tens of megabytes per run


if __name__ == "__main__":
    main()
