"""What the registry shows: one JSON shape per object, shared by the CLI's ``--json`` and the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from listingguard.registry.models import AliasEvent, Bundle, ModelVersion


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DataSourceOut(_Out):
    """One training-data source of a model."""

    kind: str
    name: str
    sha256: str
    rows: int | None


class ModelVersionOut(_Out):
    """A registered model version (``manifest`` only in ``show``)."""

    version: str
    kind: str
    topics: list[str]
    author: str
    created_at: datetime
    parent_version: str | None
    sha256: str
    uri: str
    note: str | None
    registered_at: datetime
    registered_by: str
    served: bool | None = Field(default=None, description="Whether it ever produced an action (list and show).")
    training_data: list[DataSourceOut] = []
    manifest: dict[str, Any] | None = None


class BundleOut(_Out):
    """A bundle: the three versions that serve together."""

    id: str
    model_version: str | None
    rule_set_version: str
    policy_version: str
    created_at: datetime
    created_by: str
    note: str | None


class AliasEventOut(_Out):
    """One move of an alias."""

    id: int
    alias: str
    from_bundle: str | None
    to_bundle: str | None
    generation: int
    action: str
    actor: str
    reason: str
    evidence: dict[str, Any] | None
    at: datetime


class AliasOut(BaseModel):
    """Where an alias points now."""

    name: str
    bundle: BundleOut | None
    generation: int
    moved_at: datetime
    moved_by: str


class ServedOut(BaseModel):
    """Which bundle served an alias at a moment, and the move that put it there."""

    alias: str
    at: datetime
    bundle: BundleOut | None
    since: AliasEventOut | None


class ModelShowOut(BaseModel):
    """A model version with the bundles built from it and the aliases that name them now."""

    version: str
    model: ModelVersionOut
    bundles: list[BundleOut]
    aliases: dict[str, str]


def model_out(row: ModelVersion, *, served: bool | None = None, with_manifest: bool = False) -> ModelVersionOut:
    """The JSON of a model version."""
    sources = (row.manifest.get("training_data") or {}).get("sources", [])
    out = ModelVersionOut.model_validate(row)
    return out.model_copy(
        update={
            "served": served,
            "training_data": [DataSourceOut.model_validate(s) for s in sources],
            "manifest": row.manifest if with_manifest else None,
        }
    )


def bundle_out(row: Bundle) -> BundleOut:
    return BundleOut.model_validate(row)


def event_out(row: AliasEvent) -> AliasEventOut:
    return AliasEventOut.model_validate(row)
