"""Health and version endpoints for operators and load balancers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from listingguard import __version__
from listingguard.deps import CurrentScreener, DbSession
from listingguard.routing import APIRoute
from listingguard.users.deps import authenticated, require
from listingguard.users.models import User

router = APIRouter(tags=["system"], route_class=APIRoute)


@router.get("/healthz", summary="Liveness and database reachability")
def health(db_session: DbSession) -> dict[str, Any]:
    """200 when the app runs and the database answers; 503 otherwise."""
    db_session.execute(text("SELECT 1"))
    return {"status": "ok"}


# `async def` where a view does no I/O: a plain `def` is run in a worker thread, and each crossing to a
# thread and back costs 0.1-0.2 ms of CPU, several times what these views do.
@router.get("/v1/versions", summary="Versions of the code, model, rule set and policy in use")
async def versions(
    screener: CurrentScreener, user: Annotated[User, Depends(require("listings:read"))]
) -> dict[str, Any]:
    """What is screening listings right now."""
    return {
        "listingguard": __version__,
        "model": screener.model_version,
        "model_topics": screener.model.topics if screener.model else [],
        "rules": screener.rules.version,
        "policy": screener.policy.version,
        "policy_name": screener.policy.name,
        "topics": screener.topics,
    }


@router.get("/v1/ping", summary="Check a token (any role); the baseline for latency benchmarks")
async def ping(user: Annotated[User, Depends(authenticated())]) -> dict[str, str]:
    """Returns at once for any valid token, like every `/v1` route needs one; measures the server's overhead."""
    return {"pong": "ok"}
