"""The model manifest: a typed record of a model's lineage, validated when it is written, registered and loaded.

It answers, for every model, "who made it, from which data and which features, measured how". Older
manifests (format version 1, written before this schema) are migrated when read: they lack the parent
version and, for training files, recorded ``rows: 0``; the migration keeps everything they have and marks
unknown row counts as ``null`` rather than inventing them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from listingguard.errors import ModelError

MODEL_FORMAT = "listingguard-model"
MANIFEST_VERSION = 2


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSourceRecord(_Record):
    """One source of training data: a file or a database query, with its content hash and true row count."""

    kind: Literal["file", "database", "examples"]
    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int | None = Field(ge=0, description="Records read from the source; null only in migrated v1 manifests.")


class TrainingData(_Record):
    """What the model learned from."""

    sources: list[DataSourceRecord]
    sha256: str
    rows: int = Field(ge=0)
    train_rows: int = Field(ge=0)
    positives: dict[str, int]
    weighted: bool = False


class Window(_Record):
    """A time window (ISO timestamps; null when the data had no timestamps)."""

    start: datetime | None = None
    end: datetime | None = None


class Holdout(_Record):
    """The most recent part of the data, kept out to measure the model."""

    window: Window
    rows: int = Field(ge=0)
    fraction: float = Field(ge=0, le=1)
    note: str = ""


class ModelManifest(BaseModel):
    """Everything recorded about a model version (``manifest.json``)."""

    model_config = ConfigDict(extra="allow")  # extra lineage (e.g. `feedback` from --from-db) is kept as is

    format: Literal["listingguard-model"] = "listingguard-model"
    format_version: Literal[2] = 2
    model_version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
    kind: Literal["trained", "zero_shot"] = "trained"
    topics: list[str] = Field(min_length=1)
    feature_spec: dict[str, Any]
    training_data: TrainingData
    label_window: Window
    holdout: Holdout
    metrics: dict[str, dict[str, Any]]
    detector_params: dict[str, Any]
    libraries: dict[str, str]
    code_version: dict[str, str]
    author: str = Field(min_length=1, max_length=64)
    parent_version: str | None = None
    created_at: datetime
    new_topics: list[str] = []
    artifact_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form written to ``manifest.json``."""
        return self.model_dump(mode="json")


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A format-version-1 manifest in the current schema (unknown values become null, nothing is invented)."""
    out = dict(data)
    out["format_version"] = MANIFEST_VERSION
    training = dict(out.get("training_data") or {})
    sources = []
    for source in training.get("sources", []):
        source = dict(source)
        if source.get("kind") == "file" and source.get("rows") == 0:
            source["rows"] = None  # v1 recorded 0 for every training file: the true count is unknown
        sources.append(source)
    training["sources"] = sources
    out["training_data"] = training
    out.setdefault("parent_version", None)
    out.setdefault("migrated_from_format_version", 1)
    return out


def parse_manifest(data: object, *, where: str) -> ModelManifest:
    """Validate a manifest read from ``where``, migrating format version 1; refuse anything else clearly."""
    if not isinstance(data, dict):
        raise ModelError(f"{where}: manifest.json is not a JSON object; retrain the model with `listingguard train`")
    if data.get("format") != MODEL_FORMAT:
        raise ModelError(f"{where}: not a listingguard model manifest (format {data.get('format')!r})")
    version = data.get("format_version")
    if version == 1:
        data = _migrate_v1(data)
    elif version != MANIFEST_VERSION:
        raise ModelError(
            f"{where}: manifest format version {version!r} is not one this listingguard reads "
            f"(1 or {MANIFEST_VERSION}); upgrade listingguard or retrain the model with `listingguard train`"
        )
    try:
        return ModelManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)[:5]
        )
        raise ModelError(f"{where}: the manifest is invalid ({problems}); retrain the model") from None
