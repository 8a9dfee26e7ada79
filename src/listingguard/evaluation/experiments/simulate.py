"""Monte Carlo of whole experiments, both designs, daily batches and daily looks, vectorised over runs.

Each run draws every day's traffic, what each arm catches and what the reviewers confirm, then applies
the plan's group-sequential design at every daily look: stop when Z crosses the efficacy bound (B better,
or A better below −c), or falls below the futility bound. A run that never stops decides at the horizon.
In A/A mode (``effect=0``: B catches exactly as A does) any "better" decision is a false positive; the
design was still planned for the scenario's effect, so the looks are the real ones.

Paired: of a day's V ~ Binomial(N, π) violations, each is caught by A only, by B only, or otherwise, with
probabilities r_A(1 − ω), r_B − ω·r_A and the rest (a multinomial); reviewers see the union and confirm
every caught violation. Split: each listing goes to B with probability ½; an arm's confirmed catches are
Binomial(its listings, π·r), and the test's null share is B's share of the listings so far.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from listingguard.evaluation.experiments.discordant import z_statistic
from listingguard.evaluation.experiments.guardrail import harm_crossed
from listingguard.evaluation.experiments.plan import DESIGNS, DesignName, DesignPlan, Scenario, plan_design

IntArray = npt.NDArray[np.int64]

B_BETTER, NO_DECISION, A_BETTER = 1, 0, -1


@dataclass(frozen=True, slots=True)
class Runs:
    """The outcome of every run of one design: the day it decided and what it decided."""

    design: DesignName
    days: IntArray  # day of the decision, 1-based
    decision: IntArray  # B_BETTER, NO_DECISION (futility or the horizon) or A_BETTER
    guardrail: npt.NDArray[np.bool_] | None  # paired only: the harm guardrail fired by the decision

    @property
    def median_days(self) -> float:
        return float(np.median(self.days))

    @property
    def mean_days(self) -> float:
        return float(np.mean(self.days))

    @property
    def power(self) -> float:
        """Share of runs that proved B better."""
        return float(np.mean(self.decision == B_BETTER))

    @property
    def rejection_rate(self) -> float:
        """Share of runs that declared either arm better (the false-positive rate when there is no effect)."""
        return float(np.mean(self.decision != NO_DECISION))

    def summary(self) -> dict[str, float | int | None]:
        return {
            "runs": len(self.days),
            "median_days": self.median_days,
            "mean_days": round(self.mean_days, 4),
            "p90_days": float(np.percentile(self.days, 90)),
            "max_days": int(self.days.max()),
            "b_better": self.power,
            "a_better": float(np.mean(self.decision == A_BETTER)),
            "rejection_rate": self.rejection_rate,
            "guardrail_rate": None if self.guardrail is None else float(np.mean(self.guardrail)),
        }


def _daily_counts(
    scenario: Scenario, name: DesignName, *, runs: int, days: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray, npt.NDArray[np.float64]]:
    """Per run and day: B's counted events, A's, and B's null share (cumulative for the split)."""
    n, pi, ra, rb = scenario.per_day, scenario.prevalence, scenario.recall_a, scenario.recall_b
    if name == "paired":
        violations = rng.binomial(n, pi, size=(runs, days))
        only_a = ra * (1 - scenario.overlap)
        only_b = rb - scenario.overlap * ra
        caught = rng.multinomial(violations, [only_b, only_a, 1.0 - only_a - only_b])
        return caught[..., 0], caught[..., 1], np.full((runs, days), 0.5)
    to_b = rng.binomial(n, 0.5, size=(runs, days))
    b = rng.binomial(to_b, pi * rb)
    a = rng.binomial(n - to_b, pi * ra)
    share = np.cumsum(to_b, axis=1) / (n * np.arange(1, days + 1))
    return b, a, share


def simulate_design(
    scenario: Scenario, the_plan: DesignPlan, *, runs: int, rng: np.random.Generator, effect: float | None = None
) -> Runs:
    """``runs`` experiments of one design with its plan's looks; ``effect`` overrides the true lift (0: A/A)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if scenario.looks is not None:
        raise ValueError("the simulation looks once a day; plan it with daily looks (looks=None)")
    truth = scenario if effect is None else replace(scenario, lift=effect).check()
    horizon = len(the_plan.look_days)
    b, a, share = _daily_counts(truth, the_plan.name, runs=runs, days=horizon, rng=rng)
    cum_b, cum_a = np.cumsum(b, axis=1), np.cumsum(a, axis=1)
    z = z_statistic(cum_b, cum_a, share)
    upper = the_plan.design.efficacy[None, :]
    lower = the_plan.design.lower[None, :]
    above, below = z >= upper, (z <= -upper) | (z < lower)
    stopped = above | below
    stopped[:, -1] = True
    first = np.argmax(stopped, axis=1)
    rows = np.arange(runs)
    decision = np.where(
        above[rows, first], B_BETTER, np.where(z[rows, first] <= -upper[0, first], A_BETTER, NO_DECISION)
    )
    guardrail = None
    if the_plan.name == "paired":
        fired = harm_crossed(cum_b, cum_a, alpha=scenario.alpha)
        guardrail = (fired & (np.arange(horizon)[None, :] <= first[:, None])).any(axis=1)
    return Runs(the_plan.name, (first + 1).astype(np.int64), decision.astype(np.int64), guardrail)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both designs over the same number of runs, and the paired design's speed-up."""

    scenario: Scenario
    effect: float
    paired: Runs
    split: Runs
    plans: dict[DesignName, DesignPlan]

    @property
    def speedup(self) -> float:
        """Median days to a decision of the split over those of the paired design."""
        return self.split.median_days / self.paired.median_days

    def to_dict(self, *, seed: int | None = None) -> dict[str, object]:
        aa = self.effect == 0
        out: dict[str, object] = {
            "runs": len(self.paired.days),
            "seed": seed,
            "aa": aa,
            "effect": self.effect,
            "planned_effect": self.scenario.lift,
            "speedup": round(self.speedup, 3),
            "paired": self.paired.summary() | {"planned_max_days": len(self.plans["paired"].look_days)},
            "split": self.split.summary() | {"planned_max_days": len(self.plans["split"].look_days)},
        }
        if aa:
            out["false_positive_rate"] = self.paired.rejection_rate
            out["false_positive_rate_split"] = self.split.rejection_rate
        return out


def compare(scenario: Scenario, *, runs: int, seed: int, aa: bool = False) -> Comparison:
    """Simulate both designs, planned for the scenario's effect; with ``aa`` the arms are identical."""
    scenario.check()
    rng = np.random.default_rng(seed)
    plans: dict[DesignName, DesignPlan] = {name: plan_design(scenario, name) for name in DESIGNS}
    effect = 0.0 if aa else scenario.lift
    paired = simulate_design(scenario, plans["paired"], runs=runs, rng=rng, effect=effect)
    split = simulate_design(scenario, plans["split"], runs=runs, rng=rng, effect=effect)
    return Comparison(scenario, effect, paired, split, plans)
