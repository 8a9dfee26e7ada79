"""Load for bench/api_latency.py: each simulated client sends one new listing per second.

With 100 users this is an open-ish 100 requests/s; every listing has a fresh id, so every request
stores a listing and runs the full screening path (rules, all topic models, policy, explanations,
append-only prediction and action rows).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, constant_throughput, task

TARGET = os.environ.get("LG_BENCH_TARGET", "listings")
SAMPLES = [json.loads(line) for line in open(os.environ["LG_BENCH_SAMPLES"], encoding="utf-8")]  # noqa: SIM115
_counter = itertools.count()


class Seller(HttpUser):
    wait_time = constant_throughput(1)

    @task
    def submit(self) -> None:
        if TARGET == "ping":
            self.client.get("/v1/ping", name="ping")
            return
        record = dict(random.choice(SAMPLES))
        record["id"] = f"bench-{uuid.uuid4().hex[:12]}-{next(_counter)}"
        record.pop("labels", None)
        record.pop("meta", None)
        self.client.post("/v1/listings", json=record, name="POST /v1/listings")
