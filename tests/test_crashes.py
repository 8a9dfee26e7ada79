"""kill -9 mid-batch, then re-send: nothing lost, nothing duplicated (SQLite and PostgreSQL, real processes).

``ingest`` commits one transaction per chunk; the server commits each request (a batch is all-or-nothing).
So after a crash every chunk or batch is either wholly stored or not at all, and re-sending everything
stores each listing exactly once (what was stored before answers ``unchanged``). These run the real CLI
in subprocesses and kill them with SIGKILL while they write; nothing here measures time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from listingguard.db import get_engine
from listingguard.listings.models import Listing, ListingRevision
from listingguard.screening.models import Action
from tests.conftest import count, listing, make_token

N_LISTINGS = 3_000
CHUNK = 100
BATCH = 50
BOUND = 300  # seconds: only so that a stuck subprocess fails the test instead of blocking the run


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTINGGUARD_")}
    env["LISTINGGUARD_HOME"] = str(tmp_path / "home")  # no model: rules only, the property is the same
    return env


def _records(n: int) -> list[dict[str, object]]:
    return [listing(id=f"k{i}", title=f"item {i} ナイキ スニーカー", price=1000 + i) for i in range(n)]


def _stored(url: str) -> tuple[int, int, int]:
    return count(url, Listing), count(url, ListingRevision), count(url, Action)


def _wait_until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    event = threading.Event()
    for _ in range(BOUND * 20):
        if predicate():
            return
        event.wait(0.05)
    pytest.fail(f"gave up waiting for {what}")


def test_ingest_killed_mid_run_then_rerun(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "listings.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records(N_LISTINGS)) + "\n")
    command = [sys.executable, "-m", "listingguard", "ingest", str(data), "--database-url", database_url]
    command += ["--chunk-size", str(CHUNK), "--no-explain"]
    process = subprocess.Popen(command, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until(lambda: count(database_url, Listing) >= 3 * CHUNK or process.poll() is not None, "a few chunks")
        assert process.poll() is None, "ingest finished before it could be killed; make the file larger"
        process.send_signal(signal.SIGKILL)
        process.wait(BOUND)
    finally:
        if process.poll() is None:
            process.kill()
    listings, revisions, actions = _stored(database_url)
    assert 0 < listings < N_LISTINGS
    assert listings % CHUNK == 0, "a chunk was half-written"
    assert listings == revisions == actions
    rerun = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=BOUND, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _stored(database_url) == (N_LISTINGS, N_LISTINGS, N_LISTINGS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp_path: Path, url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "listingguard", "serve", "--port", str(self.port), "--database-url", url]
        self.process = subprocess.Popen(command, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def healthy() -> bool:
            assert self.process.poll() is None, self.process.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                return httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_until(healthy, "the server to start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(BOUND)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


def test_server_killed_mid_batch_then_resend(tmp_path: Path, database_url: str, server_factory) -> None:
    token = make_token(database_url, "marketplace", "service")
    headers = {"authorization": f"Bearer {token}"}
    records = _records(N_LISTINGS)
    batches = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
    server = Server(tmp_path, database_url)
    server_factory.append(server)
    acknowledged: list[int] = []

    def client() -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
            for index, batch in enumerate(batches):
                try:
                    response = http.post("/v1/listings", json=batch)
                except httpx.HTTPError:
                    return  # the server died under this request: its fate is for the database to tell
                assert response.status_code == 200, response.text
                acknowledged.append(index)

    sender = threading.Thread(target=client, daemon=True)
    sender.start()
    _wait_until(lambda: len(acknowledged) >= 5 or not sender.is_alive(), "a few acknowledged batches")
    server.kill()
    sender.join(BOUND)
    assert len(acknowledged) < len(batches), "every batch went through before the kill; send more"

    with get_engine(database_url).connect() as conn:
        stored = set(conn.execute(select(Listing.id)).scalars())
        assert conn.execute(select(func.count()).select_from(ListingRevision)).scalar_one() == len(stored)
    for index, batch in enumerate(batches):
        ids = {r["id"] for r in batch}
        if index in acknowledged:
            assert ids <= stored, f"acknowledged batch {index} was lost"
        else:
            assert not ids & stored or ids <= stored, f"batch {index} was half-written"

    restarted = Server(tmp_path, database_url)
    server_factory.append(restarted)
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=restarted.base, headers=headers, timeout=60) as http:
        for batch in batches:  # a client that does not know what got through re-sends everything
            response = http.post("/v1/listings", json=batch)
            assert response.status_code == 200, response.text
            for result in response.json()["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    assert statuses == {"unchanged": len(stored), "created": N_LISTINGS - len(stored)}
    assert _stored(database_url) == (N_LISTINGS, N_LISTINGS, N_LISTINGS)
