"""Integrators' condition words are stored, mapped where the vocabulary knows them."""

from pathlib import Path

from sqlalchemy import select

from listingguard.db import get_engine
from listingguard.listings.models import ListingRevision
from tests.cli.test_cli import run, write_jsonl
from tests.conftest import listing


def test_ingest_accepts_the_marketplaces_vocabulary(tmp_path: Path, database_url: str) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            listing(id="a", condition="未使用に近い"),
            listing(id="b", condition="used"),
            listing(id="c", condition="refurbished"),
        ],
    )
    result = run("ingest", str(path), "--database-url", database_url)
    assert result.exit_code == 0, result.output
    with get_engine(database_url).connect() as conn:
        rows = dict(conn.execute(select(ListingRevision.listing_id, ListingRevision.condition)).all())
    assert rows == {"a": "like_new", "b": "good", "c": "refurbished"}
