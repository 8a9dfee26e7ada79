"""Settings, read once from the environment (``LISTINGGUARD_*``) and overridable in tests."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_RULES_DIR = PACKAGE_DIR / "rules" / "default"
DEFAULT_POLICY_PATH = PACKAGE_DIR / "policy" / "default.yaml"


class Settings(BaseSettings):
    """Everything an operator can configure, with defaults that run the embedded demo.

    The database defaults to an SQLite file under ``home`` so that nothing needs to be installed;
    production deployments point ``LISTINGGUARD_DATABASE_URL`` at PostgreSQL.
    """

    model_config = SettingsConfigDict(env_prefix="LISTINGGUARD_", extra="ignore")

    home: Path = Field(default=Path(".listingguard"), description="Directory for the SQLite file and models.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; defaults to an SQLite file in `home`.")
    model_dir: Path | None = Field(default=None, description="Model directory used for scoring.")
    rules_dir: Path = Field(default=DEFAULT_RULES_DIR, description="Directory of rule-set YAML files.")
    policy_path: Path = Field(default=DEFAULT_POLICY_PATH, description="Policy YAML file.")
    max_batch: int = Field(default=1000, ge=1, description="Largest batch accepted by POST /v1/listings.")
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, description="Largest request body.")
    screening_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Groups of listing requests screened and stored at once per process (group commit; "
            "CPU-bound, so more processes scale better than more threads)."
        ),
    )
    review_lease_seconds: int = Field(
        default=300, ge=10, le=86400, description="How long a claimed task stays claimed."
    )
    secure_cookies: bool = Field(default=False, description="Send the session cookie over HTTPS only (set behind TLS).")
    secret_key: str = Field(default="", description="Signs session cookies; generated and kept in `home` if empty.")
    artifact_store: str | None = Field(
        default=None,
        description=(
            "Where registered models, rule sets and policies are stored: a directory or an fsspec URL "
            "(file://…, s3://… with s3fs installed). Defaults to `artifacts/` in `home`."
        ),
    )
    gate_margin: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Release gate: recall a candidate may lose on a topic (non-inferiority margin, recall points).",
    )
    gate_load_budget: float = Field(
        default=0.10,
        ge=0,
        le=10,
        description="Release gate: extra review load a candidate may create at its own thresholds (0.1 = +10%).",
    )
    alias_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often a server checks whether an alias (production, shadow, …) moved.",
    )

    @field_validator("database_url")
    @classmethod
    def _blank_is_default(cls, value: str | None) -> str | None:
        return value or None

    @property
    def resolved_database_url(self) -> str:
        """The database URL actually used: the configured one, or the SQLite file in ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'listingguard.db').as_posix()}"

    @property
    def resolved_artifact_store(self) -> str:
        """The artifact store URL actually used: the configured one, or ``artifacts/`` in ``home``."""
        if self.artifact_store:
            if "://" in self.artifact_store:
                return self.artifact_store
            return Path(self.artifact_store).resolve().as_uri()
        return (self.home / "artifacts").resolve().as_uri()


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache or override the dependency)."""
    return Settings()
