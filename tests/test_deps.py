"""The request's database session: always closed, even when the client goes away, and never deadlocked
against requests waiting for a connection."""

from types import SimpleNamespace

import anyio
import pytest
from sqlalchemy import create_engine, text

from listingguard.db import get_engine, session_factory
from listingguard.deps import get_db_session
from listingguard.state import AppState


def fake_request(engine) -> SimpleNamespace:
    """Stands in for the request: ``state.app_state`` reads an app's typed state (only the session's parts)."""
    state = AppState(
        settings=None,  # type: ignore[arg-type]
        engine=engine,
        sessionmaker=session_factory(engine),
        deployments=None,  # type: ignore[arg-type]
        group_commit=None,  # type: ignore[arg-type]
        finish_limiter=anyio.CapacityLimiter(4),
        token_cache=None,  # type: ignore[arg-type]
        health_probe=None,  # type: ignore[arg-type]
    )
    return SimpleNamespace(state=SimpleNamespace(listingguard=state))


def test_a_cancelled_request_still_returns_its_connection(database_url: str) -> None:
    engine = get_engine(database_url)

    async def client_disconnects() -> None:
        dependency = get_db_session(fake_request(engine))  # type: ignore[arg-type]
        session = await dependency.__anext__()
        session.execute(text("SELECT 1"))  # the request holds a pooled connection now
        assert engine.pool.checkedout() == 1
        cancelled = anyio.get_cancelled_exc_class()
        with anyio.CancelScope() as scope:
            scope.cancel()  # what a disconnect does to the request's task
            with pytest.raises(cancelled):
                await dependency.athrow(cancelled())

    anyio.run(client_disconnects)
    assert engine.pool.checkedout() == 0


def test_finishing_a_session_does_not_wait_for_threads_that_wait_for_connections(database_url: str) -> None:
    """One pooled connection, one default worker thread: request B waits for the connection in that
    thread while request A, which holds the connection, finishes. A must not need B's thread."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=3)
    outcome: dict[str, object] = {}

    async def two_requests() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        request = fake_request(engine)
        a = get_db_session(request)  # type: ignore[arg-type]
        session_a = await a.__anext__()
        await anyio.to_thread.run_sync(lambda: session_a.execute(text("SELECT 1")))  # A holds the connection

        async def request_b() -> None:
            b = get_db_session(request)  # type: ignore[arg-type]
            session_b = await b.__anext__()
            try:
                await anyio.to_thread.run_sync(lambda: session_b.execute(text("SELECT 2")).scalar_one())
                outcome["b"] = "served"
            except Exception as exc:
                outcome["b"] = type(exc).__name__  # the failure mode is what the test reports
            with pytest.raises(StopAsyncIteration):
                await b.__anext__()

        async with anyio.create_task_group() as tg:
            tg.start_soon(request_b)
            await anyio.sleep(0.3)  # B now occupies the only default thread, waiting for the connection
            with pytest.raises(StopAsyncIteration):
                await a.__anext__()  # A commits and gives the connection back

    anyio.run(two_requests)
    engine.dispose()
    assert outcome["b"] == "served"
