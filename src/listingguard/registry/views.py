"""The registry over HTTP, read-only: versions, bundles, aliases and their history (``release.views`` moves aliases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import StringConstraints

from listingguard.deps import DbSession
from listingguard.errors import Invalid, NotFound
from listingguard.inputs import Text
from listingguard.registry import reports, service
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
from listingguard.routing import APIRoute
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1", tags=["models"], route_class=APIRoute)

Reader = Annotated[User, Depends(require("models:read"))]
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
