"""Ingestion on SQLite and PostgreSQL: idempotent re-sends, new revisions for changed content."""

from datetime import UTC, datetime

from sqlalchemy import func, select

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
