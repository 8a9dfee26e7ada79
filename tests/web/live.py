"""A real ``listingguard serve`` process for tests, and a logged-in HTTP client for the moderator UI."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from listingguard.db import get_engine, session_scope
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.screening.pipeline import Screener
from tests.conftest import listing

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
CLAIM = re.compile(r'name="claim_token" value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, home: Path, model_dir: Path | None, *args: str, **env_extra: str) -> Iterator[str]:
    """Run the server on ``url``'s database until the block ends; yields its base URL.

    ``model_dir`` None: the server follows the registry's aliases. ``args`` go to ``serve``
    (``"--workers", "2"``).
    """
    port = free_port()
    env = {**os.environ, "LISTINGGUARD_HOME": str(home), "LISTINGGUARD_DATABASE_URL": url, **env_extra}
    env.pop("LISTINGGUARD_MODEL_DIR", None)
    if model_dir is not None:
        env["LISTINGGUARD_MODEL_DIR"] = str(model_dir)
    server = subprocess.Popen(
        [sys.executable, "-m", "listingguard.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if server.poll() is not None:
                raise RuntimeError("server exited: " + (server.stdout.read().decode() if server.stdout else ""))
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        server.kill()  # a frozen server does not answer SIGTERM
        server.wait(timeout=20)


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(base: str, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client logged in to the UI, and the session's CSRF token."""
    client = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client.get("/queue").text)


FLAGGED = [
    listing(id="c1", title="ルイヴィトン 長財布 スーパーコピー", category="wallets", price=2500, condition="new"),
    listing(id="c2", title="拳銃 実銃 本物です", category="toys_hobby", price=40000),
    listing(id="c3", title="子猫 生後2ヶ月 かわいい", category="pet_supplies", price=30000),
]


def seed_flagged(url: str, screener: Screener, records: list[dict] | None = None) -> None:
    """Screen listings the test model flags, so the queue has enforcement tasks."""
    with session_scope(get_engine(url)) as session:
        batch = [ListingIn.model_validate(r) for r in (records or FLAGGED)]
        ingest_and_screen(session, screener=screener, listings=batch)


def ui_login(client, username: str, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Log ``client`` (an in-process TestClient) in to the UI; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/queue").text)
