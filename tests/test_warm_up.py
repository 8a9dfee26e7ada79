"""A serving process warms its database path before taking requests, and stores nothing doing so."""

import gc
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import POOL_SIZE, get_engine
from listingguard.listings.models import Listing, ListingRevision
from listingguard.screening.models import Action, Prediction


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()  # serving=True freezes start-up objects; give the test process its collector back


def test_warm_up_opens_the_pool_and_leaves_no_rows(settings: Settings, screener, database_url: str) -> None:
    engine = get_engine(database_url, "http")  # the server's engine
    with TestClient(create_app(settings, screener=screener, serving=True)) as client:
        assert client.get("/healthz").status_code == 200
        if engine.dialect.name == "postgresql":
            assert engine.pool.checkedin() == POOL_SIZE  # connections opened before the first request
    with engine.connect() as conn:
        for model in (Listing, ListingRevision, Prediction, Action):
            assert conn.execute(select(func.count()).select_from(model)).scalar_one() == 0


def test_warm_up_runs_the_write_path_on_every_pooled_connection(
    settings: Settings, screener, database_url: str
) -> None:
    engine = get_engine(database_url, "http")  # the server's engine
    writers: set[int] = set()

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LISTING_REVISIONS"):
            writers.add(id(conn.connection.dbapi_connection))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with TestClient(create_app(settings, screener=screener, serving=True)):
            pass
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(writers) == (1 if engine.dialect.name == "sqlite" else POOL_SIZE)


def test_a_database_that_is_down_at_start_does_not_stop_the_server(
    settings: Settings, screener, caplog: pytest.LogCaptureFixture
) -> None:
    down = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with caplog.at_level(logging.WARNING), TestClient(create_app(down, screener=screener, serving=True)) as client:
        assert client.get("/openapi.json").status_code == 200  # up; /healthz reports the database as down
        assert client.get("/healthz").status_code == 503
    assert "could not warm up the database" in caplog.text
