"""Identical concurrent submits from the moderator UI (a double click, a retrying browser) against a real
server: every one is answered, and the server keeps answering afterwards.

On PostgreSQL a decision locks the task row. When the views ran that work on the event loop, the second
submit blocked the loop waiting for the first one's lock, and the first could never commit (its commit
needed the loop): every request, ``/healthz`` included, hung until the process was killed.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from listingguard.db import get_engine
from tests.conftest import make_user
from tests.web.live import CLAIM, login, seed_flagged, serve

SUBMITS = 5


def seed(url: str, screener) -> None:
    seed_flagged(url, screener)
    make_user(url, "mod", "moderator")
    get_engine(url).dispose()


def claim(client: httpx.Client, csrf: str) -> tuple[int, str]:
    answer = client.post("/review/next", data={"csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    task_id = int(re.search(r"/review/(\d+)", answer.headers["location"]).group(1))  # type: ignore[union-attr]
    page = client.get(f"/review/{task_id}")
    token = CLAIM.search(page.text)
    assert token, page.text
    return task_id, token.group(1)


def burst(base: str, cookies: httpx.Cookies, path: str, form: dict[str, str]) -> list[int]:
    def one(_: int) -> int:
        with httpx.Client(base_url=base, cookies=cookies, timeout=20) as client:
            try:
                return client.post(path, data=form, headers={"HX-Request": "true"}).status_code
            except httpx.TimeoutException:
                return -1  # no answer: the server is frozen

    with ThreadPoolExecutor(SUBMITS) as pool:
        return list(pool.map(one, range(SUBMITS)))


@pytest.mark.slow
def test_identical_concurrent_decides_and_skips_never_freeze_the_server(
    database_url: str, tmp_path: Path, trained_model: Path, screener
) -> None:
    seed(database_url, screener)
    with serve(database_url, tmp_path / "home", trained_model) as base:
        client, csrf = login(base, "mod")
        task_id, token = claim(client, csrf)
        form = {"csrf_token": csrf, "claim_token": token, "verdict": "ok"}
        decided = burst(base, client.cookies, f"/review/{task_id}/decide", form)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert decided == [200] * SUBMITS  # the same submit again returns the recorded decision

        task_id, token = claim(client, csrf)
        skipped = burst(base, client.cookies, f"/review/{task_id}/skip", {"csrf_token": csrf, "claim_token": token})
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert sorted(skipped)[0] == 200 and set(skipped) <= {200, 409}  # one skip wins, the rest are told
