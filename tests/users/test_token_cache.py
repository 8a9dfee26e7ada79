"""Verified API tokens are trusted for a few seconds: fewer queries per call, revocation still takes effect."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import event, inspect

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.state import app_state
from listingguard.users import service
from listingguard.users.deps import TokenCache
from tests.conftest import make_token


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_and_the_oldest_go_first() -> None:
    clock = Clock()
    cache = TokenCache(ttl=5, size=2, clock=clock)
    user_a, user_b, user_c = object(), object(), object()
    cache.put("a", user_a)  # type: ignore[arg-type]
    clock.now += 4.9
    assert cache.get("a") is user_a
    clock.now += 0.2
    assert cache.get("a") is None  # expired
    cache.put("a", user_a)  # type: ignore[arg-type]
    cache.put("b", user_b)  # type: ignore[arg-type]
    cache.put("c", user_c)  # type: ignore[arg-type]
    assert cache.get("a") is None and cache.get("b") is user_b and cache.get("c") is user_c


def test_a_cached_token_needs_no_query_and_a_revoked_one_stops_working(
    settings: Settings, screener, database_url: str
) -> None:
    clock = Clock()
    token = make_token(database_url, "marketplace", "service")
    statements: list[str] = []
    engine = get_engine(database_url)

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    headers = {"authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, screener=screener), headers=headers) as client:
        app_state(client.app).token_cache = TokenCache(clock=clock)
        assert client.get("/v1/versions").status_code == 200  # first call: looked up, then cached
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/v1/versions").status_code == 200
            assert not any("api_tokens" in s for s in statements)  # answered from the cache
            with session_scope(engine) as session:
                service.revoke_token(session, prefix=token.split("_")[1], actor="tests", now=datetime.now(UTC))
            assert client.get("/v1/versions").status_code == 200  # still cached (another process revoked it)
            clock.now += 6  # past the cache's lifetime
            r = client.get("/v1/versions")
            assert r.status_code == 401 and "revoked" in r.json()["error"]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        # a failed lookup is not cached: a wrong token stays wrong, and costs a query each time
        bad = {"authorization": f"Bearer lg_{token.split('_')[1]}_wrong"}
        assert client.get("/v1/versions", headers=bad).status_code == 401
        assert client.get("/v1/versions", headers=bad).status_code == 401


def test_the_cached_user_is_a_copy_outside_any_session(database_url: str) -> None:
    token = make_token(database_url, "marketplace", "service")
    with session_scope(get_engine(database_url)) as session:
        user = service.user_for_token(session, token=token, now=datetime.now(UTC))
        copy = service.snapshot(user)
        session.rollback()  # expires the row the session loaded; the copy must not care
    assert copy.username == "marketplace" and copy.role == "service" and copy.active
    assert copy.password_hash is None
    assert inspect(copy).transient
