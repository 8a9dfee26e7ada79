"""Health and version endpoints for operators and load balancers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from listingguard import __version__
from listingguard.errors import Unavailable
from listingguard.routing import APIRoute
from listingguard.screening.deployment import screener_bundle_id
from listingguard.screening.deps import CurrentScreener
from listingguard.state import app_state
from listingguard.users.deps import authenticated, require
from listingguard.users.models import User

router = APIRouter(tags=["system"], route_class=APIRoute)


HEALTH_DEADLINE_SECONDS = 2.0


class Health(BaseModel):
    """The server runs and its database answered."""

    status: Literal["ok"]


class HealthProbe:
    """``SELECT 1`` on the database, answered within a deadline however long the database takes.

    One probe runs at a time, in a thread of its own: while the database hangs, load-balancer checks
    share the probe in flight and each gets its 503 after the deadline, instead of piling up threads and
    pooled connections behind it. (The probe's connection is bounded too, see ``db.HTTP_WAITS``.)
    """

    def __init__(self, engine: Engine, deadline: float = HEALTH_DEADLINE_SECONDS) -> None:
        self.engine = engine
        self.deadline = deadline
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._probe: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()

    def _select_one(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def check(self) -> None:
        """Return when the database answered; :class:`Unavailable` when it failed or did not answer in time."""
        with self._lock:
            if self._probe is None or self._probe.done():
                self._probe = self._executor.submit(self._select_one)
            probe = self._probe
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(probe)), self.deadline)
        except TimeoutError:
            raise Unavailable(f"the database did not answer within {self.deadline:g} s") from None
        except SQLAlchemyError as exc:
            raise Unavailable(f"the database is unavailable ({exc.__class__.__name__})") from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@router.get("/healthz", summary="Liveness and database reachability", response_model=Health)
async def health(request: Request) -> Health:
    """200 when the app runs and the database answers within 2 s; 503 otherwise, after at most 2 s."""
    probe = app_state(request).health_probe
    await probe.check()
    return Health(status="ok")


# `async def` where a view does no I/O: a plain `def` is run in a worker thread, and each crossing to a
# thread and back costs 0.1-0.2 ms of CPU, several times what these views do.
class Versions(BaseModel):
    """What is screening listings right now."""

    listingguard: str
    bundle: str
    model: str | None
    model_topics: list[str]
    rules: str
    policy: str
    policy_name: str
    topics: list[str]


class Pong(BaseModel):
    """The answer of the latency baseline."""

    pong: Literal["ok"]


@router.get(
    "/v1/versions", summary="The bundle in use: code, model, rule-set and policy versions", response_model=Versions
)
async def versions(screener: CurrentScreener, user: Annotated[User, Depends(require("listings:read"))]) -> Any:
    """What is screening listings right now."""
    return {
        "listingguard": __version__,
        "bundle": screener_bundle_id(screener),
        "model": screener.model_version,
        "model_topics": screener.model.topics if screener.model else [],
        "rules": screener.rules.version,
        "policy": screener.policy.version,
        "policy_name": screener.policy.name,
        "topics": screener.topics,
    }


@router.get("/v1/ping", summary="Check a token (any role); the baseline for latency benchmarks", response_model=Pong)
async def ping(user: Annotated[User, Depends(authenticated())]) -> dict[str, str]:
    """Returns at once for any valid token, like every `/v1` route needs one; measures the server's overhead."""
    return {"pong": "ok"}
