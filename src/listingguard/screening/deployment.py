"""What a server screens with at one moment: the production bundle, which acts, and arms that only observe.

A :class:`Deployment` is immutable. When an alias moves, serving processes build a new one in the
background and swap a single reference; a batch is screened with the deployment it started with from
start to end, so no listing is ever half-scored by two bundles, and every action row names the one
bundle that produced it. Shadow bundles (and, in experiments, treatment arms) score the same batch
beside production and never act: their predictions are stored, marked with their role.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from listingguard.listings.batch import ListingBatch
from listingguard.screening.pipeline import Screener, ScreeningResult


def bundle_id(model_version: str | None, rule_set_version: str, policy_version: str) -> str:
    """The id of the bundle of these three versions: the same three always give the same id."""
    key = f"{model_version or '-'}|{rule_set_version}|{policy_version}"
    return "bundle-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def screener_bundle_id(screener: Screener) -> str:
    """The bundle id of what a screener holds (registered or not)."""
    return bundle_id(screener.model_version, screener.rules.version, screener.policy.version)


@dataclass(frozen=True, slots=True)
class Arm:
    """A bundle that scores live traffic beside production without acting (``shadow`` or ``treatment``)."""

    role: str
    screener: Screener

    @property
    def bundle_id(self) -> str:
        return screener_bundle_id(self.screener)


@dataclass(frozen=True, slots=True)
class ArmResults:
    """One arm's results for a batch, aligned with the batch."""

    arm: Arm
    results: list[ScreeningResult]


@dataclass(frozen=True, slots=True)
class Deployment:
    """Production plus observing arms. ``generations`` is the registry state it was built from.

    ``generations`` is None for a fixed deployment (``--model DIR``, tests): it never follows aliases.
    """

    production: Screener
    arms: tuple[Arm, ...] = ()
    generations: Mapping[str, int] | None = None
    source: str = "fixed"  # fixed | registry | defaults (nothing promoted yet)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def bundle_id(self) -> str:
        return screener_bundle_id(self.production)

    @property
    def topics(self) -> list[str]:
        """Topics a listing may be labelled with: production's."""
        return self.production.topics

    @property
    def follows_registry(self) -> bool:
        return self.generations is not None

    def screen(self, batch: ListingBatch, *, explain: bool = True) -> tuple[list[ScreeningResult], list[ArmResults]]:
        """Production's results (which act) and every arm's (which are only recorded) for one batch.

        Arms never explain (nobody reads a shadow's explanation on the request path) and share the batch's
        normalised text with production.
        """
        results = self.production.screen(batch, explain=explain)
        observed = [ArmResults(arm, arm.screener.screen(batch, explain=False)) for arm in self.arms]
        return results, observed


class DeploymentSource(Protocol):
    """Anything that says which deployment serves now (``registry.serving.LiveDeployment`` follows the aliases)."""

    @property
    def current(self) -> Deployment: ...


def current_deployment(source: Screener | Deployment | DeploymentSource) -> Deployment:
    """The deployment to screen the next batch with: read once, then used for the whole batch."""
    if isinstance(source, Deployment):
        return source
    if isinstance(source, Screener):
        return Deployment(production=source)
    return source.current
