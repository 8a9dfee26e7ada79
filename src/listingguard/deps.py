"""Request-scoped dependencies shared by every router: the database session and the screener.

The request owns the transaction: a view's service calls only flush, and the session is committed here
after the view returns, or rolled back if anything raised, so a request either happens entirely or not at
all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from listingguard.config import Settings
from listingguard.errors import Unavailable
from listingguard.screening.pipeline import Screener


def get_db_session(request: Request) -> Iterator[Session]:
    """One session per request, committed after the view, rolled back on error."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise Unavailable("the database is unavailable; nothing from this request was saved. Retry shortly.") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_screener(request: Request) -> Screener:
    """The screener loaded at start-up."""
    screener: Screener = request.app.state.screener
    return screener


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_db_session)]
CurrentScreener = Annotated[Screener, Depends(get_screener)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
