"""Ingestion on SQLite and PostgreSQL: idempotent re-sends, new revisions for changed content."""

from datetime import UTC, datetime

from sqlalchemy import event, func, select

from listingguard.db import get_engine, session_scope
from listingguard.listings import service
from listingguard.listings.models import ListingRevision
from listingguard.listings.schemas import ListingIn
from tests.conftest import listing

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def ingest(url: str, *records: dict) -> list[str]:
    with session_scope(get_engine(url)) as session:
        outcomes = service.ingest(session, listings=[ListingIn.model_validate(r) for r in records], now=NOW)
        return [f"{o.status}:{o.revision.revision}" for o in outcomes]


class TestIngest:
    def test_create_resend_and_revise(self, database_url: str) -> None:
        assert ingest(database_url, listing()) == ["created:1"]
        assert ingest(database_url, listing()) == ["unchanged:1"]
        assert ingest(database_url, listing(price=9000)) == ["revised:2"]
        with session_scope(get_engine(database_url)) as session:
            assert session.scalar(select(func.count()).select_from(ListingRevision)) == 2
            current = service.get_current_revision(session, listing_id="L1")
            assert current is not None and current.price == 9000

    def test_repeats_inside_one_batch(self, database_url: str) -> None:
        result = ingest(database_url, listing(), listing(), listing(title="changed title"))
        assert result == ["created:1", "unchanged:1", "revised:2"]

    def test_unknown_listing(self, database_url: str) -> None:
        with session_scope(get_engine(database_url)) as session:
            assert service.get_current_revision(session, listing_id="nope") is None

    def test_a_batch_mixing_new_known_and_repeated_ids(self, database_url: str) -> None:
        ingest(database_url, listing(id="L1"))
        result = ingest(
            database_url,
            listing(id="L1", price=2000),
            listing(id="L2"),
            listing(id="L2", title="second title"),
            listing(id="L1", price=2000),
            listing(id="L3"),
        )
        assert result == ["revised:2", "created:1", "revised:2", "unchanged:2", "created:1"]
        with session_scope(get_engine(database_url)) as session:
            current = {i: service.get_current_revision(session, listing_id=i) for i in ("L1", "L2", "L3")}
            assert {i: (r.revision, r.price, r.title) for i, r in current.items() if r is not None} == {
                "L1": (2, 2000, listing()["title"]),
                "L2": (2, listing()["price"], "second title"),
                "L3": (1, listing()["price"], listing()["title"]),
            }

    def test_a_new_listing_is_stored_without_looking_it_up(self, database_url: str) -> None:
        """Its listing row is inserted unless the id exists; only a known id is looked up (the HTTP path)."""
        engine = get_engine(database_url)
        statements: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement.split()[0].upper())

        event.listen(engine, "before_cursor_execute", seen)
        try:
            ingest(database_url, listing(id="N1"))
            new = list(statements)
            statements.clear()
            ingest(database_url, listing(id="N1", price=5))
            known = list(statements)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert new.count("SELECT") == 0 and new.count("INSERT") == 2  # listing and revision
        assert known.count("SELECT") == 1 and known.count("UPDATE") == 1
