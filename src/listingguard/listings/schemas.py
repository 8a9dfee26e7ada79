"""Listing input and output schemas: strict, and every error names the field and the fix."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from listingguard.config import condition_vocabulary, normalize_condition
from listingguard.inputs import Text, json_problem

MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_PRICE = 1_000_000_000
MAX_IMAGES = 20
MAX_META_BYTES = 8_192
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Condition(StrEnum):
    """The canonical item conditions. A listing's ``condition`` is mapped onto these through the configured
    vocabulary (``used`` → good, ``未使用に近い`` → like_new, ...); an unmapped word is kept as it is."""

    new = "new"
    like_new = "like_new"
    good = "good"
    fair = "fair"
    poor = "poor"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain more than whitespace")
    return value


def _topic_name(value: str) -> str:
    if not TOPIC_PATTERN.match(value):
        raise ValueError(
            f"{value!r} is not a topic name: use lower-case letters, digits and underscores, starting with a letter"
        )
    return value


Identifier = Annotated[
    str,
    Field(strict=True),
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"),
]
TopicName = Annotated[str, Field(strict=True), AfterValidator(_topic_name)]
MAX_CONDITION = 20  # the stored column's width


def _condition(value: str) -> str:
    """The canonical condition for the marketplace's word, or the (normalised) word itself when unmapped."""
    word = normalize_condition(value)
    if not word:
        raise ValueError("must contain more than whitespace (leave it out when unknown)")
    condition = condition_vocabulary().get(word, word)
    if len(condition) > MAX_CONDITION:
        raise ValueError(
            f"{condition!r} is longer than {MAX_CONDITION} characters; map it to a shorter condition "
            "with LISTINGGUARD_CONDITION_ALIASES"
        )
    return condition


ConditionName = Annotated[Text, AfterValidator(_condition)]


class ListingContent(BaseModel):
    """The fields that define a listing's content; a change to any of them is a new revision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[Text, StringConstraints(min_length=1, max_length=MAX_TITLE), AfterValidator(_not_blank)]
    description: Annotated[Text, StringConstraints(max_length=MAX_DESCRIPTION)] = ""
    price: Annotated[float, Field(strict=True, ge=0, le=MAX_PRICE, allow_inf_nan=False)]
    currency: Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[A-Z]{3}$")] = "JPY"
    category: Annotated[Text, StringConstraints(min_length=1, max_length=100), AfterValidator(_not_blank)]
    brand: Annotated[Text, StringConstraints(max_length=100)] | None = None
    condition: ConditionName | None = None
    seller_id: Identifier
    image_refs: Annotated[list[Annotated[Text, StringConstraints(max_length=2048)]], Field(max_length=MAX_IMAGES)] = []

    def content_hash(self) -> str:
        """A stable hash of the content, used to tell a re-send from a real change."""
        payload = [
            self.title,
            self.description,
            round(self.price, 6),
            self.currency,
            self.category,
            self.brand,
            self.condition,
            self.seller_id,
            list(self.image_refs),
        ]
        blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ListingIn(ListingContent):
    """A listing as the marketplace sends it (JSON Lines, Parquet, CSV or the HTTP API).

    ``labels`` is optional: a list of violated topics (empty = fine) when the data is labelled, e.g. by the
    simulator or from historical moderation. ``meta`` carries free-form provenance (at most 8 KiB).
    """

    id: Identifier
    created_at: datetime
    labels: Annotated[list[TopicName], Field(max_length=32)] | None = None
    meta: dict[str, Any] | None = None

    @field_validator("created_at")
    @classmethod
    def _assume_utc(cls, value: datetime) -> datetime:
        """Timestamps without a zone are taken as UTC, so comparisons across sources stay valid."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return sorted(set(value))

    @field_validator("meta")
    @classmethod
    def _small_meta(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """At most 8 KiB, nested at most ``inputs.MAX_JSON_DEPTH`` deep, finite numbers and storable text only."""
        if value is None:
            return None
        problem = json_problem(value)
        if problem:
            raise ValueError(problem)
        if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_META_BYTES:
            raise ValueError(f"is larger than {MAX_META_BYTES} bytes; keep provenance short")
        return value


class ListingRead(BaseModel):
    """A stored listing revision."""

    model_config = ConfigDict(from_attributes=True)

    listing_id: str
    revision: int
    content_hash: str
    title: str
    description: str
    price: float
    currency: str
    category: str
    brand: str | None
    condition: str | None
    seller_id: str
    image_refs: list[str]
    created_at: datetime
    received_at: datetime
    labels: list[str] | None


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timestamp as the API shows it: always with its zone (SQLite hands stored UTC times back without one)."""


class ScreeningVersions(BaseModel):
    """The model, rule-set and policy versions behind an action."""

    model: str | None
    rules: str | None
    policy: str | None


class ActionRecord(BaseModel):
    """The action taken on a listing revision, with every reason (``action`` is null if none is stored)."""

    id: str
    action: str | None
    topics: list[str] = []
    scores: dict[str, float] = {}
    rules: list[str] = []
    rule_hits: list[dict[str, Any]] = []
    reasons: list[str] = []
    priority: float = 0.0
    explanations: dict[str, list[dict[str, Any]]] = {}
    versions: ScreeningVersions | None = None


class ListingResult(ActionRecord):
    """The answer for one submitted listing: its action, and whether it was new, changed or a re-send."""

    status: Literal["created", "revised", "unchanged"]
    revision: int


class ListingResults(BaseModel):
    """The answer for a batch: one result per listing, in the order sent."""

    results: list[ListingResult]


class StoredListing(BaseModel):
    """A stored revision in the interchange format, as the API shows it."""

    id: str
    revision: int
    title: str
    description: str
    price: float
    currency: str
    category: str
    brand: str | None
    condition: str | None
    seller_id: str
    image_refs: list[str]
    created_at: UTCDatetime


class ListingWithAction(BaseModel):
    """The current revision of a listing and the latest action on it."""

    listing: StoredListing
    action: ActionRecord | None
