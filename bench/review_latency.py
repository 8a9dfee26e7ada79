"""Claim + decide round trip with 20 concurrent reviewers on PostgreSQL, through the HTTP API.

Run: python bench/review_latency.py [--tasks 4000] [--reviewers 20] [--workers 2]

Seeds a fresh PostgreSQL database with tasks, starts `listingguard serve`, then (in a separate process)
20 reviewer threads each loop: POST /v1/review/claim, POST /v1/review/tasks/{id}/decision, then "look
at the next listing" for --think seconds, until the queue is empty. People take several seconds per
listing; the default mean think time of 0.5 s is an order of magnitude faster, to stress the server. Reports
the latency of the pair (claim + decide) and checks that no task was decided twice.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import func, insert, select

from bench.common import record, running_server
from listingguard.db import dispose_all, get_engine, migrate, session_scope, table_of
from listingguard.listings.models import Listing, ListingRevision
from listingguard.review.models import Decision, ReviewTask
from listingguard.users import service as users_service

NOW = datetime.now(UTC)


def seed(url: str, tasks: int, reviewers: int) -> list[str]:
    migrate(url)
    with session_scope(get_engine(url)) as session:
        session.execute(
            insert(table_of(Listing)),
            [
                {"id": f"b{i}", "seller_id": "s", "current_revision": 1, "first_seen_at": NOW, "updated_at": NOW}
                for i in range(tasks)
            ],
        )
        session.execute(
            insert(table_of(ListingRevision)),
            [
                {
                    "listing_id": f"b{i}",
                    "revision": 1,
                    "content_hash": "x",
                    "title": f"item {i}",
                    "description": "",
                    "price": 1000.0,
                    "currency": "JPY",
                    "category": "bags",
                    "seller_id": "s",
                    "image_refs": [],
                    "created_at": NOW,
                    "received_at": NOW,
                }
                for i in range(tasks)
            ],
        )
        ids = dict(session.execute(select(ListingRevision.listing_id, ListingRevision.id)).all())
        session.execute(
            insert(table_of(ReviewTask)),
            [
                {
                    "revision_id": ids[f"b{i}"],
                    "listing_id": f"b{i}",
                    "kind": "enforcement",
                    "purpose": "primary",
                    "topics": ["counterfeit"],
                    "topics_key": ",counterfeit,",
                    "priority": (i % 89) / 89,
                    "inclusion_probability": 1.0,
                    "source": "bench",
                    "status": "open",
                    "created_at": NOW,
                }
                for i in range(tasks)
            ],
        )
        tokens = []
        for r in range(reviewers):
            user = users_service.create(
                session, username=f"rev{r}", role="moderator", password="bench password 123", actor="bench", now=NOW
            )
            tokens.append(users_service.create_token(session, user=user, name="bench", actor="bench", now=NOW))
    # A bulk load leaves the planner without statistics until autovacuum gets to it; a queue that filled
    # up over days has them. Without them PostgreSQL sorts the backlog on every claim instead of walking
    # the claim index.
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("ANALYZE")
    dispose_all()
    return tokens


def work(base: str, tokens: list[str], out: Path, think: float) -> None:
    """The reviewers: run in a child process so the load is separate from the server.

    Each reviewer is a thread with one keep-alive connection (``http.client``: the load generator should
    cost as little CPU as possible, since it shares the machine with the server and the database).
    """
    latencies: list[float] = []
    lock = threading.Lock()
    host, port = base.removeprefix("http://").split(":")

    def post(conn: http.client.HTTPConnection, path: str, body: dict[str, object], token: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                conn.request(
                    "POST",
                    path,
                    body=json.dumps(body),
                    headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
                )
                response = conn.getresponse()
                return response.status, response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # The server closed an idle keep-alive connection; reconnect as a browser would (the
                # reconnect counts in the measured latency).
                conn.close()
                if attempt == 2:
                    raise
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raise AssertionError("unreachable")

    def reviewer(index: int, token: str) -> None:
        # People do not work in lockstep: each think time is drawn from an exponential distribution with
        # mean --think (a fixed pause would have all reviewers hit the server at the same instant).
        rng = np.random.default_rng(index)
        time.sleep(rng.uniform(0, think))
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            start = time.perf_counter()
            status, body = post(conn, "/v1/review/claim", {}, token)
            if status == 204:
                return
            if status != 200:
                raise RuntimeError(f"claim failed: {status} {body[:200]!r}")
            task = json.loads(body)
            status, body = post(
                conn,
                f"/v1/review/tasks/{task['id']}/decision",
                {"claim_token": task["claim_token"], "topics": ["counterfeit"]},
                token,
            )
            if status != 200:
                raise RuntimeError(f"decide failed: {status} {body[:200]!r}")
            with lock:
                latencies.append(time.perf_counter() - start)
            time.sleep(rng.exponential(think))

    threads = [threading.Thread(target=reviewer, args=(i, t)) for i, t in enumerate(tokens)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    out.write_text(
        json.dumps(
            {
                "pairs": len(latencies),
                "seconds": elapsed,
                "pairs_per_second": len(latencies) / elapsed,
                "p50_ms": float(np.percentile(ms, 50)),
                "p99_ms": float(np.percentile(ms, 99)),
                "max_ms": float(ms.max()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=4000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=0.5, help="seconds each reviewer waits between tasks")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--child", nargs=2, metavar=("BASE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work(args.child[0], json.loads(Path(args.tokens).read_text()), Path(args.child[1]), args.think)
        return
    name = f"lg_review_bench_{int(time.time())}"
    with psycopg.connect(args.postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = args.postgres_url.rsplit("/", 1)[0] + f"/{name}"
    work_dir = Path(tempfile.mkdtemp(prefix="lg-review-"))
    tokens = seed(url, args.tasks, args.reviewers)
    (work_dir / "tokens.json").write_text(json.dumps(tokens))
    env = {**os.environ, "LISTINGGUARD_HOME": str(work_dir), "LISTINGGUARD_DATABASE_URL": url}
    with running_server(env, args.workers) as server:
        base = server.url
        out = work_dir / "result.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.review_latency",
                "--child",
                base,
                str(out),
                "--tokens",
                str(work_dir / "tokens.json"),
                "--think",
                str(args.think),
            ],
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        result = json.loads(out.read_text())
    with session_scope(get_engine(url)) as session:
        decided = session.scalar(select(func.count()).select_from(Decision))
        distinct = session.scalar(select(func.count(func.distinct(Decision.task_id))))
        undecided = session.scalar(select(func.count()).select_from(ReviewTask).where(ReviewTask.status != "decided"))
    dispose_all()
    result.update(
        {
            "tasks": args.tasks,
            "reviewers": args.reviewers,
            "workers": args.workers,
            "decisions": decided,
            "distinct_tasks_decided": distinct,
            "tasks_left_undecided": undecided,
        }
    )
    print(
        f"{args.reviewers} reviewers, {args.tasks:,} tasks, PostgreSQL, {args.workers} server processes, "
        f"{args.think:g} s think time"
    )
    print(
        f"  claim + decide: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms "
        f"({result['pairs_per_second']:.0f} pairs/s)  target: p99 < 50 ms"
    )
    print(
        f"  decisions {decided:,} on {distinct:,} distinct tasks (the {args.tasks:,} seeded plus the second reviews "
        f"they spawned); tasks left undecided: {undecided} (must be 0)"
    )
    record("review_latency", result)
    with psycopg.connect(args.postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
