"""Predictions and actions are append-only on both databases: the database itself refuses changes."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from listingguard.db import get_engine, session_scope
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from tests.conftest import listing


@pytest.mark.parametrize("table", ["predictions", "actions"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET created_at = created_at", "DELETE FROM {t}"])
def test_rows_cannot_be_changed(database_url: str, screener, table: str, statement: str) -> None:
    engine = get_engine(database_url)
    with session_scope(engine) as session:
        ingest_and_screen(session, screener=screener, listings=[ListingIn.model_validate(listing())])
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement.format(t=table)))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= 1
