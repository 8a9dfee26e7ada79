"""Every process of ``serve --workers 2`` follows the aliases: after a promotion and a rollback, requests on
fresh connections (spread over both workers by the kernel) all come back screened by the new bundle."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from listingguard.config import Settings
from listingguard.db import get_engine, migrate, session_scope
from listingguard.registry import service
from listingguard.registry.serving import artifact_store
from listingguard.release import promote as release
from tests.conftest import listing, make_token
from tests.registry.conftest import variant
from tests.web.live import serve

DEADLINE = 90.0  # a guard against hanging, not a measurement


def _bundles_seen(base: str, token: str, start: int, count: int) -> set[str]:
    seen = set()
    for i in range(start, start + count):
        with httpx.Client(headers={"authorization": f"Bearer {token}"}, timeout=10) as client:  # a new connection
            r = client.post(f"{base}/v1/listings", json=listing(id=f"W{i}", title=f"w {i}"))
            assert r.status_code == 200, r.text
            seen.add(r.json()["versions"]["bundle"])
    return seen


def _until(base: str, token: str, bundle: str, start: int) -> int:
    deadline = time.monotonic() + DEADLINE
    i = start
    while time.monotonic() < deadline:
        if _bundles_seen(base, token, i, 12) == {bundle}:
            return i + 12
        i += 12
        time.sleep(0.2)
    raise AssertionError(f"not every worker switched to {bundle}")


def test_both_worker_processes_follow_a_promotion_and_a_rollback(
    tmp_path: Path, database_url: str, trained_model: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several worker processes are for PostgreSQL (SQLite has one writer)")
    settings = Settings(home=tmp_path / "home", database_url=database_url, model_dir=None)
    migrate(database_url)
    token = make_token(database_url, "shop", "service")
    with serve(database_url, settings.home, None, "--workers", "2", LISTINGGUARD_ALIAS_POLL_SECONDS="0.2") as base:
        rules_only = _bundles_seen(base, token, 0, 4)
        assert len(rules_only) == 1  # nothing released: every worker screens with the defaults
        now = datetime.now(UTC)
        with session_scope(get_engine(database_url)) as session:
            store = artifact_store(settings)
            row, _ = service.register_model(
                session, store=store, directory=trained_model, note=None, actor="t", now=now
            )
            event = release.promote(
                session,
                ref=row.version,
                alias="production",
                reason="first",
                actor=release.Actor("ada", "admin"),
                settings=settings,
                store=store,
                now=now,
            )
        i = _until(base, token, str(event.to_bundle), 100)
        with session_scope(get_engine(database_url)) as session:
            other, _ = service.register_model(
                session,
                store=store,
                directory=variant(trained_model, tmp_path / "b", "model-b"),
                note=None,
                actor="t",
                now=now,
            )
            second = release.promote(
                session,
                ref=other.version,
                alias="production",
                reason="next",
                actor=release.Actor("ada", "admin"),
                settings=settings,
                store=store,
                now=datetime.now(UTC),
                override_reason="tests",
            )
        i = _until(base, token, str(second.to_bundle), i)
        with session_scope(get_engine(database_url)) as session:
            back = release.rollback(
                session, alias="production", reason="back", actor=release.Actor("ada", "admin"), now=datetime.now(UTC)
            )
        assert back.to_bundle == event.to_bundle
        i = _until(base, token, str(event.to_bundle), i)
    assert i > 100
