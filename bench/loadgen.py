"""An open-loop HTTP load generator: sends at a fixed rate regardless of how fast answers come back.

Run by bench/api_latency.py as a separate process:
    python -m bench.loadgen URL --rate 100 --seconds 60 [--samples FILE] [--token T] [--connections 8] --out stats.json

Request i is due at start + i / rate; latency is measured from when it was *due*, so a slow server
cannot hide its queueing delay by slowing the generator down (no coordinated omission). It speaks
HTTP/1.1 over raw asyncio streams with keep-alive connections: a general-purpose client (httpx) used
most of a core at 100 requests/s and disturbed the server it was measuring.

The generator must not add pauses of its own to what it measures: it freezes everything it loaded
(the samples) out of the garbage collector's reach before the clock starts and forgets each request
as soon as it is answered. Before that, a full collection over the loaded samples paused it for about
30 ms near the same second of every run, and the eight requests due meanwhile were counted as slow.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import uvloop

SLOW_MS = 20.0  # the latency target of a single-listing POST


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await self.reader.readexactly(length)
        return status


def build_request(method: str, host: str, path: str, body: bytes | None, token: str | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def build(i: int, host: str, port: int, path: str, samples: list[dict[str, Any]] | None, token: str | None) -> bytes:
    """Request ``i``: a GET, or a POST of sample ``i`` (cycling) under a new listing id."""
    if samples is None:
        return build_request("GET", f"{host}:{port}", path, None, token)
    record = dict(samples[i % len(samples)])
    record["id"] = f"load-{uuid.uuid4().hex[:16]}"
    return build_request("POST", f"{host}:{port}", path, json.dumps(record, ensure_ascii=False).encode(), token)


async def run(
    url: str,
    rate: float,
    seconds: float,
    samples: list[dict[str, Any]] | None,
    token: str | None,
    connections: int = 8,
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    # Like several upstream app servers, each with its own keep-alive connection: open them before the
    # clock starts and take the one idle longest (FIFO). Reusing the last-returned connection instead kept
    # the whole load on the one server worker that happened to accept it.
    idle: collections.deque[Connection] = collections.deque(
        [Connection(*await asyncio.open_connection(host, port)) for _ in range(connections)]
    )
    latencies: list[float] = []
    due_offsets: list[float] = []
    statuses: dict[str, int] = {}

    total = int(rate * seconds)
    # Every request is built before the clock starts, as wrk does: encoding JSON on the generator's
    # schedule would add its own CPU to the two cores the server and the database share.
    requests = [build(i, host, port, parts.path, samples, token) for i in range(total)]

    async def one(i: int, due: float) -> None:
        raw = requests[i]
        status = 0
        for attempt in range(2):  # a kept-alive connection the server has since closed: retry on a new one
            reused = bool(idle) and attempt == 0
            conn = idle.popleft() if reused else Connection(*await asyncio.open_connection(host, port))
            try:
                status = await conn.request(raw)
                idle.append(conn)
                break
            except (OSError, asyncio.IncompleteReadError, ValueError):
                conn.writer.close()
                if not reused:
                    break
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        latencies.append(time.perf_counter() - due)
        due_offsets.append(due - start)

    gc.collect()
    gc.freeze()  # see the module docstring
    start = time.perf_counter() + 0.2
    in_flight: set[asyncio.Task[None]] = set()
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.writer.close()
    ms = np.asarray(latencies) * 1000
    # Where the slow answers fell: a few bursts (a pause somewhere) or spread out (a server that is too
    # slow), second by second of the run.
    slow_seconds = collections.Counter(int(t) for t, m in zip(due_offsets, ms, strict=True) if m > SLOW_MS)
    return {
        "requests": total,
        "rate": total / elapsed,
        "statuses": statuses,
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "slow_ms": SLOW_MS,
        "slow_by_second": dict(sorted(slow_seconds.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--samples", type=Path)
    parser.add_argument("--token")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections opened up front")
    args = parser.parse_args()
    samples = None
    if args.samples:
        samples = []
        for line in args.samples.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record.pop("labels", None)
            record.pop("meta", None)
            samples.append(record)
    # uvloop, as the server uses: its timers and sockets cost the generator less CPU than asyncio's own.
    stats = uvloop.run(run(args.url, args.rate, args.seconds, samples, args.token, args.connections))
    args.out.write_text(json.dumps(stats))


if __name__ == "__main__":
    main()
