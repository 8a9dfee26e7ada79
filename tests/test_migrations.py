"""Migrations: the latest-action index serves its query whatever the statistics, ANALYZE runs after
``migrate`` on PostgreSQL, and the newest migration goes down and up again on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from listingguard.db import alembic_config, current_revision, get_engine, migrate
from listingguard.screening.service import latest_action_statement
from tests.conftest import drop_postgres, fresh_postgres


def head_revision() -> str:
    """The newest migration (what ``migrate`` brings a database to)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


ROWS = 3_000


def _fill_actions(url: str) -> None:
    """Listings, revisions and one action each, with autovacuum kept away so no statistics appear."""
    with get_engine(url).begin() as conn:
        for table in ("listings", "listing_revisions", "actions"):
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
        conn.execute(
            text(f"INSERT INTO listings SELECT 'L'||g, 's', 1, now(), now() FROM generate_series(1, {ROWS}) g")
        )
        conn.execute(
            text(
                "INSERT INTO listing_revisions (listing_id, revision, content_hash, title, description, price,"
                " currency, category, seller_id, image_refs, created_at, received_at)"
                " SELECT 'L'||g, 1, md5(g::text), 't', 'd', 1, 'JPY', 'c', 's', '[]', now(), now()"
                f" FROM generate_series(1, {ROWS}) g"
            )
        )
        conn.execute(
            text(
                "INSERT INTO actions (revision_id, listing_id, action, topics, reasons, rule_set_version,"
                " policy_version, created_at)"
                f" SELECT g, 'L'||g, 'allow', '[]', '{{}}', 'r', 'p', now() FROM generate_series(1, {ROWS}) g"
            )
        )


def _plan(url: str) -> str:
    sql = str(latest_action_statement(17).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with get_engine(url).connect() as conn:
        # No sort and no bitmap: the plans left are the ones an estimate without statistics can pick,
        # and without an index on (revision_id, id) that is a backwards walk of the primary key.
        conn.execute(text("SET enable_sort = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        return "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {sql}")))


def test_latest_action_uses_its_index_without_statistics(_postgres_template: str) -> None:  # noqa: PT019
    url = fresh_postgres(_postgres_template)
    try:
        _fill_actions(url)
        with get_engine(url).connect() as conn:
            # the statistics know nothing of the rows (never analyzed, or analyzed while empty)
            assert conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'actions'")).scalar_one() <= 0
        plan = _plan(url)
        assert "ix_actions_revision_id_id" in plan and "Index Cond: (revision_id = 17)" in plan, plan
        assert "pk_actions" not in plan and "Filter" not in plan, plan
    finally:
        drop_postgres(url)


def test_migrate_analyzes_on_postgresql(_postgres_template: str) -> None:  # noqa: PT019
    url = fresh_postgres(_postgres_template)
    try:
        _fill_actions(url)
        migrate(url)  # nothing to upgrade, but the statistics are refreshed
        with get_engine(url).connect() as conn:
            tuples = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'actions'")).scalar_one()
        assert tuples == ROWS
    finally:
        drop_postgres(url)


def test_latest_action_index_downgrades_and_upgrades(database_url: str) -> None:
    config = alembic_config(database_url)
    with get_engine(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003_claim_index")
    assert current_revision(database_url) == "0003_claim_index"
    migrate(database_url)
    assert current_revision(database_url) == head_revision()
    with get_engine(database_url).connect() as conn:
        if database_url.startswith("sqlite"):
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
        else:
            names = {r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'actions'"))}
    assert "ix_actions_revision_id_id" in names and "ix_actions_revision_id" not in names


def test_every_migration_downgrades_to_the_first_and_back(database_url: str) -> None:
    """The whole chain, both ways, on both databases (append-only triggers restored on the way down)."""
    config = alembic_config(database_url)
    with get_engine(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001_core")
    assert current_revision(database_url) == "0001_core"
    migrate(database_url)
    assert current_revision(database_url) == head_revision()
