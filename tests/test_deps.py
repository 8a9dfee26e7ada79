"""The request's database session: always closed, even when the client goes away mid-request."""

from types import SimpleNamespace

import anyio
import pytest
from sqlalchemy import text

from listingguard.db import get_engine, session_factory
from listingguard.deps import get_db_session


def test_a_cancelled_request_still_returns_its_connection(database_url: str) -> None:
    engine = get_engine(database_url)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(sessionmaker=session_factory(engine))))

    async def client_disconnects() -> None:
        dependency = get_db_session(request)  # type: ignore[arg-type]
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
