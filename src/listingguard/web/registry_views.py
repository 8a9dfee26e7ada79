"""The registry in the moderator UI: search model versions by topic, author, date or text; see the aliases.

Read-only on purpose: moving an alias is a release and goes through ``listingguard models promote`` or
``POST /v1/aliases/…``, where the release gate and the audit trail live.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from listingguard.deps import DbSession
from listingguard.errors import Invalid
from listingguard.registry import reports, service
from listingguard.registry.models import ModelVersion
from listingguard.web.auth import WebReviewer
from listingguard.web.views import render

router = APIRouter(include_in_schema=False)


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name}: give a date as YYYY-MM-DD") from None


@router.get("/models")
def models_page(
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    topic: str = Query("", max_length=64),
    author: str = Query("", max_length=64),
    since: str = Query("", max_length=32),
    until: str = Query("", max_length=32),
    q: str = Query("", max_length=200),
    never_served: bool = False,
) -> HTMLResponse:
    """Model versions, newest first, with who trained them, on what, whether they served and which alias names them."""
    flt = service.ModelFilter(
        topic=topic or None,
        author=author or None,
        since=_day(since, "since"),
        until=_day(until, "until"),
        never_served=never_served,
    )
    items = reports.list_models(db_session, flt=flt)
    if q:
        matching = set(db_session.scalars(select(ModelVersion.version).where(service.search_filter(q))))
        items = [m for m in items if m.version in matching]
    aliases = reports.aliases(db_session)
    named: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.bundle is not None and alias.bundle.model_version:
            named.setdefault(alias.bundle.model_version, []).append(alias.name)
    topics = sorted({t for m in reports.list_models(db_session, flt=service.ModelFilter()) for t in m.topics})
    return render(
        request,
        "models.html",
        user=user,
        nav="models",
        items=items,
        aliases=aliases,
        named=named,
        topics=topics,
        form={"topic": topic, "author": author, "since": since, "until": until, "q": q, "never_served": never_served},
    )
