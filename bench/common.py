"""Helpers shared by the benchmarks: pinning to one core, timing, and recording results."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

OUT = Path(__file__).resolve().parent / "out"


def one_core() -> None:
    """Pin this process to a single CPU so throughput numbers mean 'per core'."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def record(name: str, results: dict[str, Any]) -> Path:
    """Write results as JSON under bench/out/ and return the path."""
    OUT.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "results": results,
    }
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    """A server started by :func:`running_server`: where to reach it and which process it is."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        root = psutil.Process(self.pid)
        return _cpu_seconds([root, *root.children(recursive=True)])


def postgres_cpu_seconds() -> float:
    """CPU time used so far by every local PostgreSQL process (backends, WAL writer, checkpointer)."""
    return _cpu_seconds([p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"])


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds of these processes; one that has exited or is not ours counts nothing."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = process.cpu_times()
            total += times.user + times.system
    return total


@contextlib.contextmanager
def running_server(env: dict[str, str], workers: int) -> Iterator[RunningServer]:
    """``listingguard serve`` in a child process until the block ends; yields it once healthy.

    The server's own log goes to ``bench/out/server.log`` (errors during a run are worth reading).
    """
    port = free_port()
    OUT.mkdir(exist_ok=True)
    log = (OUT / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "listingguard.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise SystemExit("the server did not become healthy within 60 s")
        yield RunningServer(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
