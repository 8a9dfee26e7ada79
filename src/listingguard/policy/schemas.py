"""The policy file: per-topic severity and score thresholds, versioned by content hash.

Example::

    name: default
    defaults: {severity: 0.5, review: 0.5, hide: 0.98}
    topics:
      weapons: {severity: 1.0, review: 0.2, hide: 0.9}
      overpriced: {severity: 0.3, review: 0.6, hide: null}   # never hidden on score alone

A listing is hidden when a topic's probability reaches ``hide``, sent to review when it reaches ``review``;
rules can force ``review`` or ``hide`` on their own. Review priority is ``severity x probability``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class TopicPolicy(BaseModel):
    """Severity and thresholds of one topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: float = Field(default=0.5, gt=0, le=1)
    review: float = Field(default=0.5, ge=0, le=1)
    hide: float | None = Field(default=None, ge=0, le=1)
    description: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> TopicPolicy:
        if self.hide is not None and self.hide < self.review:
            raise ValueError(f"hide threshold {self.hide} is below the review threshold {self.review}")
        return self


class SamplingPolicy(BaseModel):
    """How listings are sampled for human review beyond what the system flags.

    Exploration: an allowed listing is reviewed with probability
    ``min(1, exploration_base_rate + exploration_boost * sqrt(max topic score))`` - higher where the model
    is less sure it is fine, never zero, and always recorded with the task so estimates can reweight by it.
    Second review: this share of decided primary tasks is reviewed again by another moderator to measure
    agreement (typically 2-5%).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    exploration_base_rate: float = Field(default=0.002, ge=0, le=1)
    exploration_boost: float = Field(default=0.05, ge=0, le=1)
    second_review_rate: float = Field(default=0.03, ge=0, le=1)


class PolicyFile(BaseModel):
    """A whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    description: str = ""
    parent: str | None = None
    defaults: TopicPolicy = TopicPolicy()
    topics: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")], TopicPolicy] = {}
    sampling: SamplingPolicy = SamplingPolicy()
