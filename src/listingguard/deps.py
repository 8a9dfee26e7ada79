"""Request-scoped dependencies shared by every router: the database session and the settings.

The request owns the transaction: a view's service calls only flush, and the session is committed here
after the view returns, or rolled back if anything raised, so a request either happens entirely or not at
all. (``POST /v1/listings`` is the exception: it writes in a transaction of its own, shared with other
requests that arrive at the same moment; see ``intake.group_commit``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from listingguard.config import Settings
from listingguard.errors import Unavailable
from listingguard.state import app_state


async def get_db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed after the view, rolled back on error.

    Opening a session does no I/O, so it happens on the event loop; only the commit (or rollback) goes to
    the thread pool. A plain generator dependency would cost two more thread hand-overs per request.
    """
    state = app_state(request)
    session = state.sessionmaker()
    limiter = state.finish_limiter
    try:
        yield session
    except OperationalError as exc:
        await _finish(_rollback_and_close, session, limiter)
        raise Unavailable(NOTHING_SAVED) from exc
    except BaseException:
        await _finish(_rollback_and_close, session, limiter)
        raise
    try:
        await _finish(_commit_and_close, session, limiter)
    except OperationalError as exc:
        # The COMMIT may have reached the server before the connection failed: the outcome is unknown.
        raise Unavailable(COMMIT_UNKNOWN) from exc


NOTHING_SAVED = "the database is unavailable; nothing from this request was saved. Retry shortly."
COMMIT_UNKNOWN = (
    "the database did not confirm the commit, so this request may or may not have been saved. "
    "Re-send it once the database is back: re-sending a listing or the same decision is safe."
)


async def _finish(end: Callable[[Session], None], session: Session, limiter: anyio.CapacityLimiter) -> None:
    """Commit or roll back in a worker thread of its own, shielded from cancellation.

    Shielded: a client that disconnects cancels its request; without the shield the hand-off is cancelled
    too, the session is never closed and its connection never returns to the pool.

    Its own thread limiter (``AppState.finish_limiter``, one token per pooled connection): requests
    waiting for a pooled connection sit in the default thread pool. If finishing a session needed a
    token from that same pool, a burst of requests could take every token while waiting for connections
    that only a finishing session can give back - a deadlock (seen under load: 40 threads waiting for
    connections, 30 connections idle in transaction).
    """
    if not session.in_transaction():
        # Nothing to commit or roll back (the view never touched the database, or finished its own
        # transaction): closing holds no connection and does no I/O, so no hand-over is needed.
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(end, session, limiter=limiter)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return app_state(request).settings


# scope="function": the session is committed when the view returns, before the response is sent. With the
# default (request) scope FastAPI sends the response first, so a client could be told "done" for a commit
# that then failed, or send its next request before this one's changes were visible.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
