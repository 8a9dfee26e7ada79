"""An open-loop HTTP load generator: sends at a fixed rate regardless of how fast answers come back.

Run by bench/api_latency.py as a separate process:
    python -m bench.loadgen URL --rate 100 --seconds 60 [--samples FILE] --out stats.json

Request i is due at start + i / rate; latency is measured from when it was *due*, so a slow server
cannot hide its queueing delay by slowing the generator down (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np


async def run(
    url: str, rate: float, seconds: float, samples: list[dict[str, Any]] | None, token: str | None
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:

        async def one(i: int, due: float) -> None:
            try:
                if samples is None:
                    response = await client.get(url)
                else:
                    record = dict(samples[i % len(samples)])
                    record["id"] = f"load-{uuid.uuid4().hex[:16]}"
                    response = await client.post(url, json=record)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.5
        tasks = []
        total = int(rate * seconds)
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return {
        "requests": total,
        "rate": total / elapsed,
        "statuses": statuses,
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--samples", type=Path)
    parser.add_argument("--token")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    samples = None
    if args.samples:
        samples = []
        for line in args.samples.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record.pop("labels", None)
            record.pop("meta", None)
            samples.append(record)
    stats = asyncio.run(run(args.url, args.rate, args.seconds, samples, args.token))
    args.out.write_text(json.dumps(stats))


if __name__ == "__main__":
    main()
