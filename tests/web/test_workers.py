"""``serve --workers 2``: two worker processes answer on one port, and the port outlives one of them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.web.live import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def two_workers(tmp_path: Path, database_url: str, trained_model: Path) -> Iterator[tuple[str, int, psutil.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "LISTINGGUARD_HOME": str(tmp_path / "home"),
        "LISTINGGUARD_DATABASE_URL": database_url,
        "LISTINGGUARD_MODEL_DIR": str(trained_model),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "listingguard.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            assert server.poll() is None, "the server exited"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("the server did not start")
        yield base, port, psutil.Process(server.pid)
    finally:
        for child in psutil.Process(server.pid).children(recursive=True):
            child.kill()
        server.kill()
        server.wait(timeout=20)


def listening_workers(parent: psutil.Process, port: int) -> list[psutil.Process]:
    return [
        child
        for child in parent.children()
        if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in child.net_connections())
    ]


def owner_of(workers: list[psutil.Process], client_port: int) -> int | None:
    """The pid of the worker holding the server side of the connection from ``client_port``."""
    for worker in workers:
        for conn in worker.net_connections():
            if conn.raddr and conn.raddr.port == client_port:
                return worker.pid
    return None


def test_two_worker_processes_answer_on_one_port(two_workers) -> None:
    base, port, parent = two_workers
    for _ in range(100):  # the workers start their servers a moment after the first one answers
        workers = listening_workers(parent, port)
        if len(workers) == 2:
            break
        time.sleep(0.2)
    assert len(workers) == 2, "expected two worker processes listening on the port"
    answered: set[int] = set()
    held: list[socket.socket] = []
    try:
        for _ in range(200):  # the kernel hands each new connection to whichever worker accepts first
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(sock)  # kept open, so the worker still holds its side when we look
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            pid = owner_of(workers, sock.getsockname()[1])
            if pid is not None:
                answered.add(pid)
            if len(answered) == 2:
                break
    finally:
        for sock in held:
            sock.close()
    assert answered == {w.pid for w in workers}
    workers[0].kill()  # one worker dies: the other still answers on the same port
    workers[0].wait(timeout=10)
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
