"""SQLite's write-ahead log is checkpointed in the background, so that no request's commit has to."""

import gc
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from listingguard import app as app_module
from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import checkpoint_wal, get_engine, migrate


def rows_in_database_file(url: str, tmp_path: Path) -> int:
    """Rows of ``scratch`` in the database file alone, ignoring what is still only in the log."""
    copy = tmp_path / f"copy-{time.monotonic_ns()}.db"
    shutil.copy(get_engine(url).url.database or "", copy)  # the file only: no -wal, no -shm
    with sqlite3.connect(copy) as conn:
        if not conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'scratch'").fetchone()[0]:
            return 0
        return int(conn.execute("SELECT count(*) FROM scratch").fetchone()[0])


def write_rows(url: str, n: int) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS scratch (x TEXT)"))
        conn.execute(text("INSERT INTO scratch VALUES (:x)"), [{"x": "y" * 2000} for _ in range(n)])


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    migrate(url)
    yield url
    get_engine(url).dispose()


def test_checkpoint_copies_the_log_into_the_database_file_beside_an_open_reader(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = get_engine(sqlite_url)
    write_rows(sqlite_url, 200)
    assert rows_in_database_file(sqlite_url, tmp_path) == 0  # still only in the log
    with engine.connect() as reader:  # a reader elsewhere neither blocks the checkpoint nor is blocked
        reader.execute(text("SELECT count(*) FROM scratch")).all()
        checkpoint_wal(engine)
    assert rows_in_database_file(sqlite_url, tmp_path) == 200


def test_a_serving_app_checkpoints_in_the_background_until_it_stops(
    settings: Settings, screener, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL checkpoints on its own")
    calls: list[float] = []
    real = app_module.checkpoint_wal

    def counted(engine) -> None:
        calls.append(time.monotonic())
        real(engine)

    monkeypatch.setattr(app_module, "checkpoint_wal", counted)
    monkeypatch.setattr(app_module, "WAL_CHECKPOINT_SECONDS", 0.05)
    try:
        with TestClient(create_app(settings, screener=screener, serving=True)):
            write_rows(database_url, 50)
            seen = len(calls)
            deadline = time.monotonic() + 30
            while len(calls) < seen + 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(calls) >= seen + 2
            assert rows_in_database_file(database_url, tmp_path) == 50
        stopped = len(calls)
        time.sleep(0.3)
        assert len(calls) == stopped  # the chore ends with the app
    finally:
        gc.unfreeze()  # serving=True freezes start-up objects; give the test process its collector back
