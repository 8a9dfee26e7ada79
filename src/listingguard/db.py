"""Database engine, sessions and schema migrations.

SQLite (a file, no server) is the embedded default; PostgreSQL is used when the URL says so. The schema is
only ever created by Alembic migrations, so both databases always have the same tables, indexes and
append-only triggers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Insert, MetaData, Table, create_engine, event, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from listingguard.config import PACKAGE_DIR
from listingguard.errors import Unavailable

if TYPE_CHECKING:
    from alembic.config import Config

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table; constraint names are stable across databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of an ORM class, for bulk statements that skip the ORM's per-row bookkeeping."""
    return cast(Table, model.__table__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions into our own hands (see _sqlite_begin) instead of pysqlite's implicit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_SQLITE_WRITERS: dict[str, threading.Lock] = {}
_LOCK_KEY = "listingguard_writer_lock"
LOCK_TIMEOUT = 30.0
POOL_SIZE = 10  # PostgreSQL connections kept open per process
POOL_CONNECTIONS = 30  # at most this many at once per process (POOL_SIZE + overflow)


def _sqlite_begin(connection: Any) -> None:
    """Start every SQLite transaction with the write lock, queueing writers of this process in Python.

    In WAL mode a transaction that read first and writes later must upgrade its lock, and the upgrade
    fails at once ("database is locked") if another writer committed in between; the busy timeout does
    not help. Taking the lock at BEGIN (``BEGIN IMMEDIATE``) avoids that. Threads of one process also wait
    on a Python lock first, because SQLite's own busy handler sleeps in growing steps and, with many
    waiting threads, throughput collapses. SQLite is the embedded default; PostgreSQL is the database
    for concurrent production use.
    """
    lock = _SQLITE_WRITERS.setdefault(str(connection.engine.url), threading.Lock())
    if not lock.acquire(timeout=LOCK_TIMEOUT):
        raise OperationalError("BEGIN IMMEDIATE", {}, TimeoutError("database is busy (write lock wait timed out)"))
    connection.info[_LOCK_KEY] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _sqlite_end(connection)
        raise


def _sqlite_end(connection: Any) -> None:
    lock = connection.info.pop(_LOCK_KEY, None)
    if lock is not None:
        lock.release()


@dataclasses.dataclass(frozen=True)
class Waits:
    """How long a database connection may keep its user waiting, per kind of work (PostgreSQL).

    Every wait is bounded, so a database that hangs (a stalled network path, a stuck lock holder) turns
    into an error the caller can act on instead of a request or a job that never ends:

    - ``pool``: for a free connection from this process's pool;
    - ``connect``: for a new connection to be established (``connect_timeout``);
    - ``statement`` and ``lock``: the server cancels a statement running, or waiting for a row or table
      lock, for longer (``statement_timeout``, ``lock_timeout``);
    - ``idle_in_transaction``: the server ends a session left idle inside a transaction;
    - ``answer``: the client gives up on a server that does not answer at all (the server-side limits
      cannot fire when the network path hangs) and closes the connection.
    """

    pool: float
    connect: int
    statement: float
    lock: float
    idle_in_transaction: float
    answer: float | None


HTTP_WAITS = Waits(pool=5, connect=3, statement=10, lock=5, idle_in_transaction=60, answer=15)
"""The API and the moderator UI: a person or a client is waiting, so fail fast with 503 and let them retry."""

BATCH_WAITS = Waits(pool=60, connect=10, statement=0, lock=120, idle_in_transaction=0, answer=None)
"""CLI commands and batch jobs: long statements are normal; only lock waits are bounded (0 = no limit)."""

WAITS = {"http": HTTP_WAITS, "batch": BATCH_WAITS}


@functools.cache
def _answering_connection(answer_timeout: float) -> Any:
    """A psycopg connection class that gives up on a server that does not answer within ``answer_timeout`` s.

    libpq waits on its socket without a limit, and a statement timeout is enforced by the server, so
    neither helps when the path to the server hangs. This closes the connection instead, and the caller
    sees an ``OperationalError`` (a 503 over HTTP). Built on first use: psycopg is imported only by
    processes that talk to PostgreSQL.
    """
    import psycopg

    class AnsweringConnection(psycopg.Connection[Any]):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            try:
                return super().wait(gen, interval=interval, timeout=timeout or answer_timeout)
            except psycopg.errors._WaitTimeout:
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {answer_timeout:g} s; the connection was closed"
                ) from None

    return AnsweringConnection


def _postgres_options(waits: Waits) -> dict[str, Any]:
    settings = {
        "statement_timeout": int(waits.statement * 1000),
        "lock_timeout": int(waits.lock * 1000),
        "idle_in_transaction_session_timeout": int(waits.idle_in_transaction * 1000),
    }
    return {
        "connect_timeout": waits.connect,
        "options": " ".join(f"-c {name}={value}" for name, value in settings.items()),
        # Keepalives notice a server host that vanished (not one that stalls; ``answer`` covers that).
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }


def make_engine(url: str, purpose: str = "batch") -> Engine:
    """Create an engine for ``url``; for SQLite, create the file's directory and turn on WAL and FKs.

    ``purpose`` picks the :class:`Waits` of a PostgreSQL engine: ``"http"`` for the server, ``"batch"``
    for the CLI and batch jobs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        return engine
    # No pre-ping: it costs a round trip on every checkout (1.5 ms of a 10 ms request). A connection the
    # server dropped fails its request with a 503 and the pool is invalidated, so the next one reconnects.
    waits = WAITS[purpose]
    engine = create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_CONNECTIONS - POOL_SIZE,
        pool_recycle=1800,
        pool_timeout=waits.pool,
        connect_args=_postgres_options(waits),
    )
    if waits.answer and parsed.get_driver_name() == "psycopg":
        answering = _answering_connection(waits.answer)

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
            return answering.connect(*cargs, **cparams)

    return engine


def checkpoint_wal(engine: Engine) -> None:
    """Copy what SQLite's write-ahead log holds into the database file, blocking no reader or writer.

    SQLite otherwise checkpoints inside a commit, once the log reaches 1,000 pages, and that commit then
    waits for the copy and an fsync of the database file while every other writer waits for it: on the
    API, one such commit about every 40 s at 100 listings/s held up a second's worth of requests (40-70
    ms each). A PASSIVE checkpoint run often from outside the request path keeps the log short, so the
    automatic one never comes due. It runs on a raw connection: no transaction, no write lock.
    """
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        raw.close()


_ENGINES: set[tuple[str, str]] = set()


def get_engine(url: str, purpose: str = "batch") -> Engine:
    """Return one shared engine per URL and purpose (per process; see :func:`dispose_all`).

    SQLite has one engine per URL whatever the purpose (its writers queue on one lock per URL).
    """
    if url.startswith("sqlite"):
        purpose = "batch"
    return _cached_engine(url, purpose)


@functools.lru_cache(maxsize=16)
def _cached_engine(url: str, purpose: str) -> Engine:
    _ENGINES.add((url, purpose))
    return make_engine(url, purpose)


@functools.cache
def insert_statement(model: type[Base], *, returning: bool = False, ordered: bool = False) -> Insert:
    """One ``INSERT`` per table and form, built once.

    Building a statement and computing its cache key on every call cost more than executing it on the
    single-listing HTTP path; a statement object keeps its key once computed.
    """
    table = table_of(model)
    statement = insert(table)
    return statement.returning(table.c.id, sort_by_parameter_order=ordered) if returning else statement


@functools.cache
def _insert_new_statement(model: type[Base], dialect: str) -> Insert:
    table = table_of(model)
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def insert_new(db_session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> set[Any]:
    """Insert the rows whose primary key is not taken yet; return the keys of those inserted.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on both databases. On PostgreSQL a row that another
    transaction is inserting at the same moment waits for it: if it commits, the row is skipped here
    (and visible to this transaction's next statement); if it rolls back, the row is inserted here.
    """
    if not rows:
        return set()
    statement = _insert_new_statement(model, db_session.get_bind().dialect.name)
    # One row as a plain execute; several as an executemany, which SQLAlchemy sends as one statement.
    return set(db_session.scalars(statement, rows[0] if len(rows) == 1 else list(rows)))


def insert_returning_ids(db_session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``model``'s table and return their new ids, in order.

    One row (the common case on the HTTP path) is a plain ``INSERT ... RETURNING``; several use
    SQLAlchemy's ordered multi-row form, whose sentinel machinery costs a millisecond for a single row.
    """
    if not rows:
        return []
    if len(rows) == 1:
        return [int(db_session.execute(insert_statement(model, returning=True), rows[0]).scalar_one())]
    result = db_session.scalars(insert_statement(model, returning=True, ordered=True), list(rows))
    return [int(i) for i in result]


def dispose_all() -> None:
    """Close every pooled connection and forget the engines (before forking worker processes).

    A database connection must never be shared by two processes: after a fork both would talk over the
    same socket and corrupt each other's results.
    """
    for url, purpose in list(_ENGINES):
        _cached_engine(url, purpose).dispose()
    _ENGINES.clear()
    _cached_engine.cache_clear()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (services return ORM objects)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction for one unit of CLI or batch work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise Unavailable(f"the database is unavailable: {exc.orig}. Nothing from this step was saved.") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the migrations shipped inside the package."""
    from alembic.config import Config  # Alembic is imported only when migrating (it is slow to import)

    config = Config()
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creating an SQLite file if needed)."""
    from alembic import command

    engine = get_engine(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.dialect.name == "postgresql":
            # Fresh statistics for the planner: a database restored or bulk-loaded and then migrated has
            # none until autovacuum comes round, and plans made without them can be far off.
            connection.exec_driver_sql("ANALYZE")


def current_revision(url: str) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
