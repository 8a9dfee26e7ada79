"""The FastAPI application: one router per domain, one error shape, models loaded at start-up.

Errors always come back as ``{"error": "<what went wrong and what to do>", "detail": [...]}`` with a
precise status code; a user never sees a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from listingguard import __version__
from listingguard.config import PACKAGE_DIR, Settings, get_settings
from listingguard.db import POOL_CONNECTIONS, POOL_SIZE, checkpoint_wal, get_engine, session_factory
from listingguard.errors import LGError, Unauthorized
from listingguard.intake import views as intake_views
from listingguard.intake.flows import ingest_and_screen
from listingguard.intake.group_commit import GroupCommit, write_in_own_transaction
from listingguard.listings.batch import ListingBatch
from listingguard.listings.schemas import ListingIn
from listingguard.registry import views as registry_views
from listingguard.registry.serving import LiveDeployment, open_deployment
from listingguard.release import views as release_views
from listingguard.review import views as review_views
from listingguard.screening.pipeline import Screener
from listingguard.state import AppState
from listingguard.system import views as system_views
from listingguard.users import service as users_service
from listingguard.users import views as users_views
from listingguard.users.deps import TokenCache
from listingguard.web import registry_views as web_registry_views
from listingguard.web import views as web_views
from listingguard.web.auth import LoginRequired, secret_key

log = logging.getLogger("listingguard")


def error_response(status: int, message: str, detail: list[dict[str, Any]] | None = None) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse(status_code=status, content={"error": message, "detail": detail or []})


API_PREFIXES = ("/v1", "/healthz", "/openapi.json", "/docs", "/redoc")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


async def _lg_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LGError)
    if _is_api(request):
        return error_response(exc.status_code, exc.message, exc.detail)
    if isinstance(exc, LoginRequired):
        return web_views.require_login_redirect(request)
    return web_views.render(
        request,
        "_message.html",
        status_code=exc.status_code,
        title="That did not work",
        message=exc.message,
        error=True,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
    first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    if not _is_api(request):  # a person in a browser (e.g. /review/abc): the UI's error page, not JSON
        return web_views.render(
            request,
            "_message.html",
            status_code=422,
            title="That did not work",
            message=f"{where}: {first['msg']}",
            error=True,
        )
    return error_response(422, f"{where}: {first['msg']}", detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no such route) and 405 (wrong method), in the project's shape on the API."""
    assert isinstance(exc, StarletteHTTPException)
    if not _is_api(request):
        return await http_exception_handler(request, exc)
    messages = {
        404: f"no such endpoint: {request.url.path}; see /docs for the API",
        405: f"{request.method} is not allowed on {request.url.path}; see /docs for the methods it takes",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": message, "detail": []},
        headers=getattr(exc, "headers", None),
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    log.error("database error: %s", exc)
    message = "the database is unavailable; nothing from this request was saved. Retry shortly."
    if _is_api(request):
        return error_response(503, message)
    return web_views.render(request, "_message.html", status_code=503, title="Try again", message=message, error=True)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    message = "internal error; nothing from this request was saved. The server log has details."
    if _is_api(request):
        return error_response(500, message)
    return web_views.render(
        request, "_message.html", status_code=500, title="Something broke", message=message, error=True
    )


WARM_UP_LISTING = {
    "id": "warm-up",
    "title": "warm-up listing ウォームアップ",
    "description": "screened and stored once at start-up, then rolled back",
    "price": 1000.0,
    "category": "other",
    "seller_id": "warm-up",
}


def _settle(screener: Screener, engine: Engine, sessionmaker: Callable[..., Session]) -> None:
    """Screen and store one listing (rolled back) before serving, then freeze what start-up allocated.

    The first request of a fresh process otherwise pays one-off costs: matcher scratch space, lazily
    imported code paths, a new database connection per concurrent request (several milliseconds each on
    PostgreSQL), SQL compilation of every statement on the write path. Measured, the first half second of
    traffic after a start ran at ten times the normal latency. Paying them here keeps them away from the
    first users. ``gc.freeze()`` then moves the loaded rule set, model and libraries out of the garbage
    collector's reach, so its full collections do not walk them again on the request path.
    """
    try:
        _warm_database(screener, engine, sessionmaker)  # screens the warm-up listing on the way
    except SQLAlchemyError as exc:  # a database that is down now may be up by the first request
        log.warning("could not warm up the database connections (%s); serving anyway", exc.__class__.__name__)
        screener.screen(ListingBatch.from_records([WARM_UP_LISTING]), explain=True)
    except Exception:  # an optimisation must never stop the server from starting
        log.exception("warming up the write path failed; serving anyway")
    gc.collect()
    gc.freeze()


def _warm_database(screener: Screener, engine: Engine, sessionmaker: Callable[..., Session]) -> None:
    """Open the pool's connections and run the listing write path once on each, in a rolled-back transaction.

    Opening a connection is not enough: a PostgreSQL backend loads the catalog entries of every table and
    index it touches on its first statement, so each connection's first request was still several
    milliseconds slower than the rest (measured: the first 15-20 requests after a restart at 30-50 ms).
    """
    connections = 1 if engine.dialect.name == "sqlite" else POOL_SIZE
    warm_up = ListingIn.model_validate({**WARM_UP_LISTING, "created_at": datetime.now(UTC)})
    with contextlib.ExitStack() as stack:
        for _ in range(connections):  # all held at once, so the pool hands out a different one each time
            session = sessionmaker(bind=stack.enter_context(engine.connect()))
            try:
                with contextlib.suppress(Unauthorized):  # a token nobody has: compiles the API token lookup
                    users_service.user_for_token(session, token="lg_warm-up_none", now=datetime.now(UTC))
                ingest_and_screen(session, screener=screener, listings=[warm_up])
                session.flush()
            finally:
                session.rollback()
                session.close()


WAL_CHECKPOINT_SECONDS = 1.0


async def _checkpoint_wal_every(engine: Engine, seconds: float) -> None:
    """Checkpoint SQLite's write-ahead log in the background, so that no request's commit has to.

    See :func:`listingguard.db.checkpoint_wal`. A failure is logged and tried again next time; SQLite
    still checkpoints on its own if this falls behind.
    """
    while True:
        await anyio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(checkpoint_wal, engine)
        except Exception as exc:  # a background chore must never take the server down
            log.warning("background WAL checkpoint failed (%s); SQLite will checkpoint on commit instead", exc)


def _deployments(settings: Settings, screener: Screener | None, sessionmaker: Callable[..., Session]) -> LiveDeployment:
    """What this process screens with: a given screener or ``--model DIR`` (fixed), else the registry's aliases."""
    if screener is not None:
        return LiveDeployment.fixed(screener)
    return open_deployment(settings, sessionmaker)


async def _follow_aliases(deployments: LiveDeployment, seconds: float) -> None:
    """Poll the aliases and swap in the deployment they name (off the event loop; see ``LiveDeployment``)."""
    while True:
        await anyio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(deployments.refresh)
        except Exception as exc:  # a database that is away now is retried next time; serving goes on
            log.warning("could not check the aliases (%s); still serving %s", exc, deployments.current.bundle_id)


def create_app(settings: Settings | None = None, *, screener: Screener | None = None, serving: bool = False) -> FastAPI:
    """Build the application. Tests pass their own settings (and optionally a ready screener).

    ``serving`` marks a long-lived server process: it screens one listing before taking requests and
    freezes start-up objects from the garbage collector (see :func:`_settle`).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = get_engine(settings.resolved_database_url, "http")  # short, bounded waits (db.HTTP_WAITS)
        sessionmaker = session_factory(engine)
        deployments = _deployments(settings, screener, sessionmaker)
        state = AppState(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            deployments=deployments,
            group_commit=GroupCommit(
                write_in_own_transaction(sessionmaker, deployments),
                writers=settings.screening_threads,
                max_listings=settings.max_batch,
            ),
            finish_limiter=anyio.CapacityLimiter(POOL_CONNECTIONS),
            token_cache=TokenCache(),
            health_probe=system_views.HealthProbe(engine),
        )
        app.state.listingguard = state  # read through state.app_state, typed
        if serving:
            _settle(deployments.current.production, engine, sessionmaker)
        async with anyio.create_task_group() as background:
            if serving and engine.dialect.name == "sqlite":
                background.start_soon(_checkpoint_wal_every, engine, WAL_CHECKPOINT_SECONDS)
            if deployments.follows_registry:
                background.start_soon(_follow_aliases, deployments, settings.alias_poll_seconds)
            yield
            background.cancel_scope.cancel()
        state.health_probe.close()
        if engine.dialect.name != "sqlite":
            engine.dispose()  # give the pooled connections back to the server

    app = FastAPIOffline(  # /docs and /redoc from assets shipped in the wheel: they work without internet
        title="listingguard",
        version=__version__,
        description="Content moderation for second-hand marketplaces: rules, one ML detector per topic, human review.",
        lifespan=lifespan,
    )
    app.add_exception_handler(LGError, _lg_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(system_views.router)
    app.include_router(intake_views.router)
    app.include_router(review_views.router)
    app.include_router(users_views.router)
    app.include_router(registry_views.router)
    app.include_router(release_views.router)
    app.include_router(web_views.router)
    app.include_router(web_registry_views.router)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "web" / "static")), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="listingguard_session",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=12 * 3600,
    )

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
