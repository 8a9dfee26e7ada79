"""The rule-set file format (YAML), validated strictly so that a typo is an error, not a silent no-op.

A rule set is a directory: one ``<topic>.yaml`` per topic and a ``_lists.yaml`` with the shared brand
lists, seller lists and reference prices. Example topic file::

    topic: weapons
    exceptions: [toy, おもちゃ, モデルガン]      # suppress every rule of the topic
    rules:
      - id: weapons.firearms
        description: Real firearms
        action: hide                           # or review
        keywords: [拳銃, 実銃, handgun]
      - id: weapons.pattern_calibre
        patterns: ['\\d+口径']                  # Python regular expressions on normalised text

A keyword rule may match misspellings: with ``max_edits: 1`` its Latin keywords of at least
:data:`MIN_LENGTH_PER_EDIT` characters per edit also match within one insertion, deletion or substitution
(``replika``, ``repl1ca``, ``super-copy`` for ``super copy``). Shorter keywords and Japanese ones match
exactly: one edit turns ``fake`` into ``make``, and the matcher counts edits in UTF-8 bytes, three per kana::

      - id: counterfeit.replica_terms
        keywords: [レプリカ, replica, fake]     # replica within one edit; レプリカ and fake exactly
        max_edits: 1

A price rule (a new luxury bag at a fraction of its category median)::

      - id: counterfeit.cheap_luxury
        price: {categories: [bags], brand_list: luxury, conditions: [new], max_ratio_to_median: 0.15}
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from listingguard.listings.schemas import Condition

MIN_LENGTH_PER_EDIT = 6
"""A keyword gets ``max_edits`` edits only if it has at least this many characters per edit."""

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$", max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceCondition(_Strict):
    """Price relative to the category's reference median, optionally for some categories, brands, conditions."""

    categories: list[str] = []
    brand_list: str | None = None
    conditions: list[Condition] = []
    max_ratio_to_median: float | None = Field(default=None, gt=0)
    min_ratio_to_median: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_bound(self) -> PriceCondition:
        if self.max_ratio_to_median is None and self.min_ratio_to_median is None:
            raise ValueError("a price condition needs max_ratio_to_median or min_ratio_to_median")
        return self


class Rule(_Strict):
    """One deterministic check. All given conditions must hold; exceptions veto it."""

    id: RuleId
    description: str = ""
    action: Literal["review", "hide"] = "review"
    keywords: list[Annotated[str, StringConstraints(min_length=1)]] = []
    patterns: list[Annotated[str, StringConstraints(min_length=1)]] = []
    exceptions: list[Annotated[str, StringConstraints(min_length=1)]] = []
    fields: list[Literal["title", "description"]] = ["title", "description"]
    price: PriceCondition | None = None
    seller_list: str | None = None
    max_edits: int = Field(default=0, ge=0, le=2)

    def edits_for(self, normalized_keyword: str) -> int:
        """The edits this rule allows for one of its keywords (normalised): 0 unless Latin and long enough."""
        if not self.max_edits or not normalized_keyword.isascii():
            return 0
        return self.max_edits if len(normalized_keyword) >= MIN_LENGTH_PER_EDIT * self.max_edits else 0

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"pattern {pattern!r} matches the empty string; it would fire on everything")
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> Rule:
        if not (self.keywords or self.patterns or self.price or self.seller_list):
            raise ValueError(f"rule {self.id} has no keywords, patterns, price or seller_list; it would never fire")
        if self.max_edits and not self.keywords:
            raise ValueError(f"rule {self.id} sets max_edits but has no keywords; edits apply to keywords only")
        return self


class TopicRules(_Strict):
    """The rules of one topic (one YAML file)."""

    topic: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    description: str = ""
    exceptions: list[Annotated[str, StringConstraints(min_length=1)]] = []
    rules: list[Rule]

    @model_validator(mode="after")
    def _ids_belong_to_topic(self) -> TopicRules:
        for rule in self.rules:
            if not rule.id.startswith(self.topic + "."):
                raise ValueError(f"rule id {rule.id!r} must start with the topic name {self.topic + '.'!r}")
        return self


class ReferencePrices(_Strict):
    """Median prices per category, in ``currency``, plus rough rates to convert other currencies."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "JPY"
    rates: dict[str, float] = {}
    medians: dict[str, float] = {}


class Lists(_Strict):
    """Shared lists referenced by rules: brands (name -> aliases), sellers, reference prices."""

    brand_lists: dict[str, dict[str, list[str]]] = {}
    seller_lists: dict[str, list[str]] = {}
    reference_prices: ReferencePrices = ReferencePrices()
