"""The FastAPI application: one router per domain, one error shape, models loaded at start-up.

Errors always come back as ``{"error": "<what went wrong and what to do>", "detail": [...]}`` with a
precise status code; a user never sees a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy.exc import OperationalError

from listingguard import __version__
from listingguard.config import Settings, get_settings
from listingguard.db import get_engine, session_factory
from listingguard.errors import LGError
from listingguard.listings import views as listings_views
from listingguard.listings.schemas import ListingIn
from listingguard.screening.loader import load_screener
from listingguard.screening.pipeline import Screener
from listingguard.system import views as system_views

log = logging.getLogger("listingguard")


def error_response(status: int, message: str, detail: list[dict[str, Any]] | None = None) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse(status_code=status, content={"error": message, "detail": detail or []})


async def _lg_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LGError)
    return error_response(exc.status_code, exc.message, exc.detail)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
    first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return error_response(422, f"{where}: {first['msg']}", detail)


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database error: %s", exc)
    return error_response(503, "the database is unavailable; nothing from this request was saved. Retry shortly.")


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal error; nothing from this request was saved. The server log has details.")


def create_app(settings: Settings | None = None, *, screener: Screener | None = None) -> FastAPI:
    """Build the application. Tests pass their own settings (and optionally a ready screener)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = get_engine(settings.resolved_database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = session_factory(engine)
        app.state.screener = screener or load_screener(settings)
        app.state.screening_limiter = anyio.CapacityLimiter(settings.screening_threads)
        yield

    app = FastAPI(
        title="listingguard",
        version=__version__,
        description="Content moderation for second-hand marketplaces: rules, one ML detector per topic, human review.",
        lifespan=lifespan,
    )
    app.add_exception_handler(LGError, _lg_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(system_views.router)
    app.include_router(listings_views.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            listing_schema = TypeAdapter(ListingIn).json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(listing_schema.pop("$defs", {}))
            components["ListingIn"] = listing_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
