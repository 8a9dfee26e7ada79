"""The registry over HTTP: read versions, bundles, aliases and their history; leads and admins move aliases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, StringConstraints

from listingguard.deps import AppSettings, DbSession
from listingguard.errors import Invalid, NotFound
from listingguard.inputs import Text
from listingguard.registry import reports, service
from listingguard.registry.models import ALIASES
from listingguard.registry.schemas import (
    AliasEventOut,
    AliasOut,
    BundleOut,
    ModelShowOut,
    ModelVersionOut,
    ServedOut,
    bundle_out,
    event_out,
)
from listingguard.registry.serving import artifact_store
from listingguard.release import promote as release
from listingguard.routing import APIRoute
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1", tags=["models"], route_class=APIRoute)

Reader = Annotated[User, Depends(require("models:read"))]
Releaser = Annotated[User, Depends(require("models:promote"))]
Name = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """A moment in UTC (naive means UTC), within what both databases store."""
    try:
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise Invalid(f"{value.isoformat()}: give a moment between 1970 and 9000")
    return moment


@router.get("/models", summary="Registered model versions", response_model=list[ModelVersionOut])
def list_models(
    db_session: DbSession,
    user: Reader,
    topic: Annotated[Text | None, Query(max_length=64)] = None,
    author: Annotated[Text | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    never_served: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ModelVersionOut]:
    """Newest first; filter by topic, author, creation date, and versions that never produced an action."""
    flt = service.ModelFilter(
        topic=topic,
        author=author,
        since=_utc(since) if since else None,
        until=_utc(until) if until else None,
        never_served=never_served,
        limit=limit,
    )
    return reports.list_models(db_session, flt=flt)


@router.get("/models/{version}", summary="One model version in full", response_model=ModelShowOut)
def show_model(version: Name, db_session: DbSession, user: Reader) -> ModelShowOut:
    """Manifest (lineage: data, features, parameters, metrics), the bundles built from it, aliases naming them."""
    return reports.show_model(db_session, version=version)


@router.get("/bundles/{bundle_id}", summary="One bundle", response_model=BundleOut)
def show_bundle(bundle_id: Name, db_session: DbSession, user: Reader) -> BundleOut:
    """The model, rule-set and policy versions of a bundle."""
    bundle = service.get_bundle(db_session, bundle=bundle_id)
    if bundle is None:
        raise NotFound(f"no bundle {bundle_id!r}")
    return bundle_out(bundle)


@router.get("/aliases", summary="Where every alias points", response_model=list[AliasOut])
def list_aliases(db_session: DbSession, user: Reader) -> list[AliasOut]:
    """``production``, ``candidate`` and ``shadow``, with their bundles and generations."""
    return reports.aliases(db_session)


@router.get("/aliases/history", summary="Every alias move", response_model=list[AliasEventOut])
def alias_history(
    db_session: DbSession,
    user: Reader,
    alias: Annotated[Text | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AliasEventOut]:
    """Who moved which alias, from what to what, when, why and on what evidence; newest first."""
    return [event_out(e) for e in service.history(db_session, alias=alias, limit=limit)]


@router.get("/served", summary="What served at a moment", response_model=ServedOut)
def served(
    at: datetime,
    db_session: DbSession,
    user: Reader,
    alias: Annotated[Text, Query(max_length=32)] = "production",
) -> ServedOut:
    """The bundle ``alias`` named at ``at`` (naive times are UTC), from the append-only history."""
    return reports.served(db_session, at=_utc(at), alias=alias)


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
