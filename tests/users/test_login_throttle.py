"""Failed password logins are throttled per account and per address, across threads and processes."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from listingguard.db import get_engine, session_factory
from listingguard.users import service
from tests.conftest import make_user
from tests.web.live import PASSWORD, csrf_of, serve

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def attempt(url: str, username: str, address: str = "10.0.0.1", now: datetime = T0) -> int | None:
    """None when allowed, else the Retry-After in seconds."""
    try:
        service.note_login_attempt(session_factory(get_engine(url)), username=username, address=address, now=now)
    except service.TooManyAttempts as exc:
        return exc.retry_after
    return None


def test_an_account_is_locked_after_its_limit_until_the_oldest_failure_ages_out(database_url: str) -> None:
    limit = service.MAX_ATTEMPTS_PER_ACCOUNT
    for i in range(limit):
        assert attempt(database_url, "mod", now=T0 + timedelta(seconds=i)) is None
    window = int(service.LOGIN_WINDOW.total_seconds())
    assert attempt(database_url, "mod", now=T0 + timedelta(seconds=10)) == window - 10
    assert attempt(database_url, "mod", now=T0 + timedelta(seconds=20)) == window - 20  # refusals do not extend it
    assert attempt(database_url, "eve", now=T0 + timedelta(seconds=20)) is None  # another account is unaffected
    assert attempt(database_url, "mod", now=T0 + timedelta(seconds=window + 1)) is None  # the oldest left


def test_an_address_is_limited_across_accounts(database_url: str) -> None:
    for i in range(service.MAX_ATTEMPTS_PER_ADDRESS):
        assert attempt(database_url, f"user{i}", address="10.9.9.9") is None
    assert attempt(database_url, "one-more", address="10.9.9.9") is not None
    assert attempt(database_url, "one-more", address="10.1.1.1") is None


def test_a_successful_login_clears_its_accounts_attempts(database_url: str) -> None:
    for _ in range(service.MAX_ATTEMPTS_PER_ACCOUNT - 1):
        attempt(database_url, "mod")
    with session_factory(get_engine(database_url))() as session, session.begin():
        service.login_succeeded(session, username="mod")
    for _ in range(service.MAX_ATTEMPTS_PER_ACCOUNT):
        assert attempt(database_url, "mod") is None


def login_status(base: str, username: str, password: str) -> tuple[int, str | None]:
    with httpx.Client(base_url=base, timeout=60) as client:
        csrf = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"csrf_token": csrf, "username": username, "password": password})
        return answer.status_code, answer.headers.get("retry-after")


@pytest.mark.slow
def test_eighty_concurrent_wrong_passwords_from_sixteen_threads(
    database_url: str, tmp_path: Path, trained_model: Path
) -> None:
    make_user(database_url, "mod", "moderator")
    get_engine(database_url).dispose()
    with serve(database_url, tmp_path / "home", trained_model) as base:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: login_status(base, "mod", "wrong password!"), range(80)))
        statuses = Counter(status for status, _ in answers)
        assert set(statuses) == {401, 429}, statuses
        assert statuses[401] <= service.MAX_ATTEMPTS_PER_ACCOUNT  # never more guesses than the limit
        assert all(int(retry or 0) > 0 for status, retry in answers if status == 429)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert login_status(base, "mod", PASSWORD)[0] == 429  # locked, even with the right password
