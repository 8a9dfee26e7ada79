"""A database that hangs or refuses, behind a TCP proxy the test controls (PostgreSQL).

The server must answer every request within bounded waits (``db.HTTP_WAITS``): ``/healthz`` says 503
after its deadline, a write that cannot reach the database is a 503 that says nothing was saved — and
nothing was — and once the database is back the same server answers again without a restart. The waits
are shortened for the test; nothing here measures time: a request that hung would hang the test (and
fail it at the join's bound).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from listingguard import db
from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.listings.models import ListingRevision
from listingguard.state import app_state
from tests.conftest import count, listing, make_token
from tests.tcp_proxy import TCPProxy, tcp_proxy

FAST = dataclasses.replace(db.HTTP_WAITS, pool=1, connect=1, answer=2)
BOUND = 60  # seconds; far beyond every wait, only there so that a hang fails instead of blocking the run


def bounded(call: Callable[[], httpx.Response]) -> httpx.Response:
    """Run ``call`` in a thread and fail if it does not come back (a hang, not slowness, is the defect)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(BOUND)
    assert result, "the request did not come back: a wait is unbounded"
    return result[0]  # type: ignore[no-any-return]


@pytest.fixture
def proxied(
    settings: Settings, screener, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TCPProxy, dict[str, str]]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the waits bounded here are PostgreSQL's (SQLite is a local file)")
    monkeypatch.setitem(db.WAITS, "http", FAST)
    token = make_token(database_url, "marketplace", "service")
    url = make_url(database_url)
    with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = create_app(settings.model_copy(update={"database_url": through}), screener=screener)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, proxy, {"authorization": f"Bearer {token}"}
        db.get_engine(through, "http").dispose()


def test_healthz_answers_503_while_the_database_hangs_and_recovers(proxied) -> None:
    client, proxy, _ = proxied
    assert client.get("/healthz").json() == {"status": "ok"}
    proxy.hang()
    for _ in range(3):  # the probe in flight is shared; each check still gets its answer
        r = bounded(lambda: client.get("/healthz"))
        assert r.status_code == 503 and set(r.json()) == {"error", "detail"}
        assert "did not answer" in r.json()["error"] or "unavailable" in r.json()["error"]
    proxy.resume()
    statuses = [bounded(lambda: client.get("/healthz")).status_code for _ in range(10)]
    assert statuses[-1] == 200, statuses  # the hung probe gives up, the next one reconnects


def test_a_write_that_cannot_reach_the_database_is_503_and_nothing_is_saved(proxied, database_url: str) -> None:
    client, proxy, auth = proxied
    assert client.post("/v1/listings", json=listing(id="before"), headers=auth).json()["status"] == "created"
    proxy.hang()
    r = bounded(lambda: client.post("/v1/listings", json=listing(id="during"), headers=auth))
    assert r.status_code == 503 and "nothing" in r.json()["error"], r.text
    r = bounded(lambda: client.get("/v1/listings/before", headers=auth))
    assert r.status_code == 503 and "nothing" in r.json()["error"], r.text
    proxy.resume()
    assert count(database_url, ListingRevision) == 1  # "during" was never written, not even in part
    statuses = [bounded(lambda: client.post("/v1/listings", json=listing(id="during"), headers=auth)) for _ in range(5)]
    created = [r for r in statuses if r.status_code == 200]
    assert created and created[0].json()["status"] == "created"
    assert count(database_url, ListingRevision) == 2


def test_pg_sessions_of_the_api_carry_statement_and_lock_timeouts(proxied) -> None:
    client, _, _ = proxied
    engine = app_state(client.app).engine
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "10s"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "5s"
        assert connection.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar() == "1min"


def test_batch_engine_allows_long_statements(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    with db.get_engine(database_url).connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "2min"
