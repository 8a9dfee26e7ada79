"""Group commit: concurrent writes share a transaction, and each caller still gets its own answer."""

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from listingguard.db import get_engine, session_factory
from listingguard.intake.flows import ingest_and_screen
from listingguard.intake.group_commit import GroupCommit, Records, write_in_own_transaction
from listingguard.listings import service as listings_service
from listingguard.listings.models import ListingRevision
from listingguard.listings.schemas import ListingIn
from listingguard.screening.models import Action
from tests.conftest import count, listing


def item(listing_id: str, **overrides: Any) -> ListingIn:
    return ListingIn.model_validate(listing(id=listing_id, **overrides))


class Recorder:
    """Wraps the real writer: records each group it is given; can hold the first one until released."""

    def __init__(self, database_url: str, screener, *, hold_first: bool = False, fail_on: str | None = None) -> None:
        self.inner = write_in_own_transaction(session_factory(get_engine(database_url)), screener)
        self.groups: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail_on = fail_on

    def __call__(self, listings: Sequence[ListingIn]) -> Records:
        self.groups.append([x.id for x in listings])
        self.started.set()
        self.release.wait(timeout=30)
        if self.fail_on is not None and self.fail_on in {x.id for x in listings}:
            raise ValueError(f"listing {self.fail_on} cannot be stored")
        return self.inner(listings)


async def wait_for(event: threading.Event) -> None:
    for _ in range(3000):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the writer never started")


async def behind_a_held_write(
    commit: GroupCommit,
    started: threading.Event,
    release: threading.Event,
    requests: list[list[ListingIn]],
    *,
    return_exceptions: bool = False,
) -> list[Any]:
    """Submit listing A; while its write is held, queue ``requests``; release it; every outcome, A's first."""
    first = asyncio.create_task(commit.submit([item("A")]))
    await wait_for(started)
    queued = [asyncio.create_task(commit.submit(listings)) for listings in requests]
    await asyncio.sleep(0.05)  # let every queued request reach the queue
    release.set()
    return await asyncio.gather(first, *queued, return_exceptions=return_exceptions)


def test_requests_queued_behind_a_write_share_one_transaction_in_arrival_order(database_url: str, screener) -> None:
    write = Recorder(database_url, screener, hold_first=True)
    commit = GroupCommit(write, writers=1, max_listings=1000)

    requests = [
        [item("B")],
        [item("C"), item("B")],  # B again, unchanged
        [item("B", price=9000)],  # B changed: a new revision
    ]
    a, b, cb, b2 = asyncio.run(behind_a_held_write(commit, write.started, write.release, requests))
    assert write.groups == [["A"], ["B", "C", "B", "B"]]
    assert [(r["id"], r["status"], r["revision"]) for r in [*a, *b, *cb, *b2]] == [
        ("A", "created", 1),
        ("B", "created", 1),
        ("C", "created", 1),
        ("B", "unchanged", 1),
        ("B", "revised", 2),
    ]
    assert all(r["action"] in {"allow", "review", "hide"} for r in [*a, *b, *cb, *b2])
    assert count(database_url, ListingRevision) == 4
    assert count(database_url, Action) == 4  # the unchanged re-send is not screened again


def test_a_group_never_exceeds_max_listings(database_url: str, screener) -> None:
    write = Recorder(database_url, screener, hold_first=True)
    commit = GroupCommit(write, writers=1, max_listings=3)

    requests = [[item(f"B{i}"), item(f"C{i}")] for i in range(3)]
    asyncio.run(behind_a_held_write(commit, write.started, write.release, requests))
    assert [len(g) for g in write.groups] == [1, 2, 2, 2]  # two requests of two would make four


def test_one_failing_request_does_not_fail_the_others_in_its_group(database_url: str, screener) -> None:
    write = Recorder(database_url, screener, hold_first=True, fail_on="BAD")
    commit = GroupCommit(write, writers=1, max_listings=1000)

    requests = [[item(x)] for x in ("B", "BAD", "C")]
    a, b, bad, c = asyncio.run(
        behind_a_held_write(commit, write.started, write.release, requests, return_exceptions=True)
    )
    assert a[0]["status"] == "created"
    assert write.groups == [["A"], ["B", "BAD", "C"], ["B"], ["BAD"], ["C"]]  # the group, then one by one
    assert b[0]["status"] == "created" and c[0]["status"] == "created"
    assert isinstance(bad, ValueError) and "BAD" in str(bad)
    assert count(database_url, ListingRevision) == 3  # A, B, C; nothing of the failed group's attempt


def test_an_unavailable_database_fails_the_whole_group_at_once(database_url: str, screener) -> None:
    calls: list[int] = []
    held = threading.Event()
    release = threading.Event()

    def down(listings: Sequence[ListingIn]) -> Records:
        calls.append(len(listings))
        held.set()
        release.wait(timeout=30)
        raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))

    commit = GroupCommit(down, writers=1, max_listings=1000)

    requests = [[item(x)] for x in ("B", "C")]
    outcomes = asyncio.run(behind_a_held_write(commit, held, release, requests, return_exceptions=True))
    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert calls == [1, 2]  # no retry one by one against a database that is down


def test_a_request_cancelled_while_queued_is_never_written(database_url: str, screener) -> None:
    write = Recorder(database_url, screener, hold_first=True)
    commit = GroupCommit(write, writers=1, max_listings=1000)

    async def scenario() -> None:
        first = asyncio.create_task(commit.submit([item("A")]))
        await wait_for(write.started)
        gone = asyncio.create_task(commit.submit([item("GONE")]))
        kept = asyncio.create_task(commit.submit([item("B")]))
        await asyncio.sleep(0.05)
        gone.cancel()  # the client disconnected while waiting
        await asyncio.sleep(0.01)
        write.release.set()
        await asyncio.gather(first, kept)
        with pytest.raises(asyncio.CancelledError):
            await gone

    asyncio.run(scenario())
    assert write.groups == [["A"], ["B"]]
    assert count(database_url, ListingRevision) == 2


def test_concurrent_writers_each_take_what_is_queued(database_url: str, screener) -> None:
    write = Recorder(database_url, screener)
    commit = GroupCommit(write, writers=2, max_listings=1000)

    async def scenario() -> list[Records]:
        return await asyncio.gather(*(commit.submit([item(f"L{i}")]) for i in range(40)))

    results = asyncio.run(scenario())
    assert [r[0]["id"] for r in results] == [f"L{i}" for i in range(40)]
    assert sorted(x for g in write.groups for x in g) == sorted(f"L{i}" for i in range(40))
    assert count(database_url, ListingRevision) == 40


def _race(database_url: str, screener, first_price: float, second_price: float) -> tuple[Records, Records, list[float]]:
    """Two writers store listing "R": the first holds its transaction open until the second has started."""
    sessionmaker = session_factory(get_engine(database_url))
    inserted, release = threading.Event(), threading.Event()
    attempts: list[float] = []

    def write(listings: Sequence[ListingIn]) -> Records:
        attempts.append(listings[0].price)
        with sessionmaker() as session:
            records = ingest_and_screen(session, screener=screener, listings=listings)
            if listings[0].price == first_price:  # the first writer holds its transaction open after writing
                inserted.set()
                release.wait(timeout=30)
            session.commit()
        return records

    commit = GroupCommit(write, writers=2, max_listings=1000)

    async def scenario() -> list[Records]:
        first = asyncio.create_task(commit.submit([item("R", price=first_price)]))
        await wait_for(inserted)
        second = asyncio.create_task(commit.submit([item("R", price=second_price)]))
        await asyncio.sleep(0.3)  # PostgreSQL: the second writer now waits for the first writer's rows
        release.set()
        return await asyncio.gather(first, second)

    first, second = asyncio.run(scenario())
    return first, second, attempts


def test_two_writers_of_one_new_listing_id_store_two_revisions(database_url: str, screener) -> None:
    """The second insert of a new id waits for the first to commit, skips the listing row and revises it."""
    first, second, attempts = _race(database_url, screener, 1111, 2222)
    assert (first[0]["status"], first[0]["revision"]) == ("created", 1)
    assert (second[0]["status"], second[0]["revision"]) == ("revised", 2)
    assert attempts == [1111, 2222]  # no retry needed (SQLite: the second one waits at BEGIN)
    assert count(database_url, ListingRevision) == 2


def test_a_request_that_loses_the_race_for_a_revision_number_is_written_again(
    database_url: str, screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first writer reads revision 1 of "R", then stops; a second stores revision 2 meanwhile.

    On PostgreSQL the first then fails on revision 2 (taken) and is written again, as revision 3. On SQLite
    the first holds the write lock from its BEGIN, so the second waits and comes out as revision 3.
    """
    write = write_in_own_transaction(session_factory(get_engine(database_url)), screener)
    write([item("R", price=1000)])
    looked_up, release = threading.Event(), threading.Event()
    original = listings_service._current_revisions
    lookups: list[Sequence[str]] = []

    def pausing(db_session: Any, ids: Sequence[str]) -> Any:
        found = original(db_session, ids)
        lookups.append(ids)
        if len(lookups) == 1:  # only the first writer's first attempt stops, between reading and writing
            looked_up.set()
            release.wait(timeout=30)
        return found

    monkeypatch.setattr(listings_service, "_current_revisions", pausing)
    attempts: list[float] = []

    def recording(listings: Sequence[ListingIn]) -> Records:
        attempts.append(listings[0].price)
        return write(listings)

    commit = GroupCommit(recording, writers=2, max_listings=1000)
    postgres = database_url.startswith("postgresql")

    async def scenario() -> list[Records]:
        first = asyncio.create_task(commit.submit([item("R", price=1111)]))
        await wait_for(looked_up)
        second = asyncio.create_task(commit.submit([item("R", price=2222)]))
        if postgres:
            await asyncio.wait_for(asyncio.shield(second), timeout=30)  # stored while the first is stopped
        else:
            await asyncio.sleep(0.3)  # waiting for the write lock
        release.set()
        return await asyncio.gather(first, second)

    first, second = asyncio.run(scenario())
    if postgres:
        assert attempts == [1111, 2222, 1111]
        assert [(r[0]["status"], r[0]["revision"]) for r in (first, second)] == [("revised", 3), ("revised", 2)]
    else:
        assert attempts == [1111, 2222]
        assert [(r[0]["status"], r[0]["revision"]) for r in (first, second)] == [("revised", 2), ("revised", 3)]
    assert count(database_url, ListingRevision) == 3
