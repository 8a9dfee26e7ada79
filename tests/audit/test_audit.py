"""The audit log on SQLite and PostgreSQL: append-only, and written in the same transaction as the change."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from listingguard.audit import service as audit_service
from listingguard.audit.models import AuditEntry
from listingguard.db import get_engine, session_scope
from listingguard.users import service as users_service
from tests.conftest import count

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def write(url: str, n: int = 1, **kw: object) -> None:
    with session_scope(get_engine(url)) as session:
        for i in range(n):
            audit_service.log(
                session,
                actor="lead",
                action=str(kw.get("action", "thing.change")),
                entity=str(kw.get("entity", "thing")),
                entity_id=i,
                now=NOW + timedelta(seconds=i),
                before={"v": i},
                after={"v": i + 1},
            )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else'",
        "UPDATE audit_log SET after = NULL WHERE id = (SELECT min(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    ],
)
def test_entries_cannot_be_changed_or_deleted(database_url: str, statement: str) -> None:
    write(database_url, 3)
    with pytest.raises(DBAPIError, match="append-only"), get_engine(database_url).begin() as conn:
        conn.execute(text(statement))
    with session_scope(get_engine(database_url)) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.before, e.after) for e in entries] == [("lead", {"v": i}, {"v": i + 1}) for i in range(3)]


def test_entries_are_read_newest_first_and_by_entity(database_url: str) -> None:
    write(database_url, 3)
    write(database_url, 2, entity="other")
    with session_scope(get_engine(database_url)) as session:
        everything = audit_service.get_all(session)
        assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
        assert len(everything) == 5
        assert [e.entity_id for e in audit_service.get_all(session, entity="thing")] == ["2", "1", "0"]
        assert [e.entity for e in audit_service.get_all(session, entity="other", entity_id="1")] == ["other"]
        assert len(audit_service.get_all(session, limit=2)) == 2


def test_an_entry_exists_exactly_when_its_change_does(database_url: str) -> None:
    engine = get_engine(database_url)

    def fail_after_the_change() -> None:
        with session_scope(engine) as session:
            users_service.create(
                session, username="ann", role="moderator", password="correct horse battery", actor="t", now=NOW
            )
            session.flush()
            assert session.scalars(select(AuditEntry)).all()  # written with the change…
            raise RuntimeError("the request fails after the change")

    with pytest.raises(RuntimeError):
        fail_after_the_change()
    assert count(database_url, AuditEntry) == 0  # …and gone with it
    with session_scope(engine) as session:
        users_service.create(
            session, username="ann", role="moderator", password="correct horse battery", actor="t", now=NOW
        )
    with session_scope(engine) as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.actor == "t" and entry.entity_id
        assert entry.at.replace(tzinfo=entry.at.tzinfo or UTC) == NOW
