"""Review API input and output."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from listingguard.inputs import Minutes, Text
from listingguard.listings.schemas import StoredListing, TopicName, UTCDatetime


class ClaimIn(BaseModel):
    """Which task to claim next (all filters optional)."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Annotated[Text, StringConstraints(pattern=r"^(enforcement|evaluation|exploration)$")]] = []
    topic: TopicName | None = None
    older_than_minutes: Minutes | None = None
    newer_than_minutes: Minutes | None = None


class DecisionIn(BaseModel):
    """A verdict: the violated topics, or an empty list for ``ok``."""

    model_config = ConfigDict(extra="forbid")

    claim_token: Annotated[Text, StringConstraints(min_length=1, max_length=36)]
    topics: list[TopicName] = Field(default=[], max_length=16)
    note: Annotated[Text, StringConstraints(max_length=2000)] | None = None


class ReleaseIn(BaseModel):
    """Give a claimed task back (skip)."""

    model_config = ConfigDict(extra="forbid")

    claim_token: Annotated[Text, StringConstraints(min_length=1, max_length=36)]


class EvaluationTasksIn(BaseModel):
    """Blind review tasks for a backtest or experiment."""

    model_config = ConfigDict(extra="forbid")

    listing_ids: list[Annotated[Text, StringConstraints(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=10000
    )
    source: Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class AppealIn(BaseModel):
    """A seller's appeal against a decision on their listing."""

    model_config = ConfigDict(extra="forbid")

    listing_id: Annotated[Text, StringConstraints(min_length=1, max_length=128)]
    message: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


class DecisionRead(BaseModel):
    """A recorded decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    listing_id: str
    reviewer_id: int
    topics: list[str]
    ok: bool
    note: str | None
    kind: str
    purpose: str
    inclusion_probability: float
    created_at: UTCDatetime


class TaskRead(BaseModel):
    """A task as a moderator sees it. Evaluation tasks carry no machine signals (they are blind)."""

    id: int
    kind: str
    purpose: str
    status: str
    priority: float
    listing_id: str
    revision: int
    claim_token: str | None = None
    lease_expires_at: UTCDatetime | None = None
    created_at: UTCDatetime
    message: str | None = None
    listing: StoredListing
    price_context: dict[str, Any] | None = None
    signals: dict[str, Any] | None = None


class QueueItem(BaseModel):
    """A claimable task in hand-out order (evaluation tasks show no suspected topics: they are blind)."""

    id: int
    kind: str
    purpose: str
    listing_id: str
    topics: list[str]
    priority: float
    created_at: UTCDatetime


class ReviewStats(BaseModel):
    """Backlog by kind and topic, decisions per hour over the last 24 h, agreement per topic."""

    backlog: dict[str, Any]
    decisions_per_hour: list[dict[str, Any]]
    decisions_total: int
    agreement: dict[str, Any]


class TaskIds(BaseModel):
    """The tasks created, in the order of the listing ids given."""

    task_ids: list[int]


class AppealCreated(BaseModel):
    """The review task an appeal created."""

    task_id: int


class AuditEntryRead(BaseModel):
    """One audit-log entry: who changed what, when, before and after."""

    id: int
    at: UTCDatetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
