"""Shared fixtures: fresh databases on SQLite and PostgreSQL, a small trained model, simulated data.

Every test that takes ``database_url`` runs twice, once per database. PostgreSQL is required in CI
(``CI`` or ``LISTINGGUARD_REQUIRE_POSTGRES`` set); elsewhere its runs are skipped with a clear reason
when no server answers.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from listingguard.config import DEFAULT_POLICY_PATH, DEFAULT_RULES_DIR, Settings
from listingguard.db import get_engine, migrate, session_scope
from listingguard.detection.features import FeatureSpec
from listingguard.detection.model import ModerationModel
from listingguard.detection.training import DataSource, TrainingConfig, train
from listingguard.listings.batch import ListingBatch
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener
from listingguard.simulator.generator import SimulationConfig, simulate
from listingguard.users import service as users_service

POSTGRES_URL = os.environ.get("LISTINGGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = bool(os.environ.get("CI") or os.environ.get("LISTINGGUARD_REQUIRE_POSTGRES"))


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_available() -> bool:
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here but does not answer at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}; set LISTINGGUARD_TEST_POSTGRES_URL")
    name = f"lg_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    get_engine(url).dispose()
    yield name
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_postgres(template: str) -> str:
    """A new database cloned from the migrated template; returns its URL."""
    name = f"lg_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    get_engine(url).dispose()
    name = make_url(url).database
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield url
        get_engine(url).dispose()
    else:
        url = fresh_postgres(request.getfixturevalue("_postgres_template"))
        yield url
        drop_postgres(url)


@pytest.fixture(scope="session")
def sim_records() -> list[dict[str, Any]]:
    """A small simulated marketplace with more violations than real life, so tests get positives quickly."""
    return list(simulate(SimulationConfig(days=10, per_day=700, seed=11, prevalence_scale=4.0)))


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory, sim_records: list[dict[str, Any]]) -> Path:
    """A model trained once per test session on ``sim_records``; returns its directory.

    ``LISTINGGUARD_TEST_MODEL_CACHE`` names a directory that keeps the model across sessions: the mutation
    benchmark runs the same tests hundreds of times, and training is most of each run's cost.
    """
    cache = os.environ.get("LISTINGGUARD_TEST_MODEL_CACHE")
    if cache and (Path(cache) / "manifest.json").is_file():
        return Path(cache)
    model = train(
        ListingBatch.from_records(sim_records),
        TrainingConfig(spec=FeatureSpec(hash_bits=18), refit=False, author="tests", n_jobs=1),
        sources=[DataSource("file", "sim", "0" * 64, len(sim_records))],
    )
    out = Path(cache) if cache else tmp_path_factory.mktemp("models") / "model"
    model.save(out)
    return out


@pytest.fixture(scope="session")
def model(trained_model: Path) -> ModerationModel:
    return ModerationModel.load(trained_model)


@pytest.fixture(scope="session")
def screener(model: ModerationModel) -> Screener:
    return Screener(rules=load_rule_set(DEFAULT_RULES_DIR), policy=load_policy(DEFAULT_POLICY_PATH), model=model)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, trained_model: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url, model_dir=trained_model)


@pytest.fixture
def registry_settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings whose servers follow the registry (no ``model_dir``), polling the aliases quickly."""
    return Settings(home=tmp_path / "home", database_url=database_url, model_dir=None, alias_poll_seconds=0.1)


def make_user(url: str, username: str, role: str, password: str | None = "correct horse battery") -> Any:
    """Create an account directly in the database and return it."""
    with session_scope(get_engine(url)) as session:
        return users_service.create(
            session,
            username=username,
            role=role,
            password=None if role == "service" else password,
            actor="tests",
            now=datetime.now(UTC),
        )


def make_token(url: str, username: str, role: str) -> str:
    """Create an account with an API token; return the token."""
    make_user(url, username, role)
    with session_scope(get_engine(url)) as session:
        user = users_service.get_by_username(session, username=username)
        return users_service.create_token(session, user=user, name="tests", actor="tests", now=datetime.now(UTC))


def count(url: str, model: Any) -> int:
    """How many rows ``model``'s table holds in the database at ``url``."""
    with get_engine(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def listing(**overrides: Any) -> dict[str, Any]:
    """A valid listing record; override any field."""
    base: dict[str, Any] = {
        "id": "L1",
        "title": "ナイキ スニーカー 27cm",
        "description": "数回使用しました。",
        "price": 8000,
        "currency": "JPY",
        "category": "shoes",
        "brand": "Nike",
        "condition": "good",
        "seller_id": "s100",
        "image_refs": ["img/1.jpg"],
        "created_at": "2026-11-01T10:00:00+00:00",
    }
    base.update(overrides)
    return base
