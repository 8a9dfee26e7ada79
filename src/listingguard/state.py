"""What the app builds at start-up and every request shares, in one typed object.

FastAPI's ``app.state`` is an untyped namespace: a misspelt attribute or a wrong type is found only when a
request reads it. The app stores one :class:`AppState` there instead, and every dependency reads it through
:func:`app_state`, so mypy checks each use and a missing state fails with one clear message.

The field types are imported for the type checker only: at run time this module depends on nothing but
FastAPI, so every domain's dependencies can read it without importing the domains that fill it (the
screening deployment, the group commit, the token cache, the health probe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from collections.abc import Callable

    import anyio
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session
    from starlette.types import ASGIApp

    from listingguard.config import Settings
    from listingguard.intake.group_commit import GroupCommit
    from listingguard.registry.serving import LiveDeployment
    from listingguard.system.views import HealthProbe
    from listingguard.users.deps import TokenCache


@dataclass(slots=True, eq=False)
class AppState:
    """The process-wide objects of one running app (see ``app.create_app``)."""

    settings: Settings
    engine: Engine
    sessionmaker: Callable[[], Session]
    deployments: LiveDeployment  # what screens now: production and its observing arms (follows the aliases)
    group_commit: GroupCommit  # concurrent listing writes share a transaction (intake.group_commit)
    finish_limiter: anyio.CapacityLimiter  # threads that commit or roll back sessions (deps._finish)
    token_cache: TokenCache  # verified API tokens, for a few seconds (users.deps)
    health_probe: HealthProbe  # /healthz's bounded database check (system.views)


def app_state(connection: HTTPConnection | ASGIApp) -> AppState:
    """The state of the app serving ``connection`` (a request), or of ``connection`` itself (an app)."""
    app = connection.app if isinstance(connection, HTTPConnection) else connection
    state = getattr(getattr(app, "state", None), "listingguard", None)
    if not isinstance(state, AppState):
        raise RuntimeError("the app has not started: its state is set by create_app's lifespan")
    return state
