"""Moving aliases over HTTP: promote and roll back (leads and admins), through the release gate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, StringConstraints

from listingguard.deps import AppSettings, DbSession
from listingguard.errors import NotFound
from listingguard.inputs import Text
from listingguard.registry.models import ALIASES
from listingguard.registry.schemas import AliasEventOut, event_out
from listingguard.registry.serving import artifact_store
from listingguard.release import promote as release
from listingguard.routing import APIRoute
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1", tags=["models"], route_class=APIRoute)

Releaser = Annotated[User, Depends(require("models:promote"))]


class PromoteIn(BaseModel):
    """Point an alias at a bundle (a bundle id, another alias, or a model version)."""

    model_config = ConfigDict(extra="forbid")

    ref: Annotated[Text, StringConstraints(min_length=1, max_length=80)]
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]
    override_reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)] | None = None


class RollbackIn(BaseModel):
    """Point an alias back at the bundle it named before its last move."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


def _alias(name: str) -> str:
    if name not in ALIASES:
        raise NotFound(f"no alias {name!r}; aliases are {', '.join(ALIASES)}")
    return name


@router.post("/aliases/{name}", summary="Move an alias (leads and admins)", response_model=AliasEventOut)
def promote(name: str, body: PromoteIn, db_session: DbSession, user: Releaser, settings: AppSettings) -> AliasEventOut:
    """Production needs release evidence, or an admin's override (recorded). Servers follow within seconds."""
    event = release.promote(
        db_session,
        ref=body.ref,
        alias=_alias(name),
        reason=body.reason,
        actor=release.Actor(user.username, user.role),
        settings=settings,
        store=artifact_store(settings),
        now=datetime.now(UTC),
        override_reason=body.override_reason,
    )
    return event_out(event)


@router.post("/aliases/{name}/rollback", summary="Roll an alias back (leads and admins)", response_model=AliasEventOut)
def rollback(name: str, body: RollbackIn, db_session: DbSession, user: Releaser) -> AliasEventOut:
    """One call; servers switch back within seconds, the same way as for a promotion."""
    event = release.rollback(
        db_session,
        alias=_alias(name),
        reason=body.reason,
        actor=release.Actor(user.username, user.role),
        now=datetime.now(UTC),
    )
    return event_out(event)
