"""Planning: how many days until an experiment decides, for the paired design and for a 50/50 split.

Both designs end in the same test, a binomial comparison of two counts of confirmed violations; they
differ in which violations count and how fast they arrive (docs/experiments.md derives every formula).

- **Paired**: both arms score all N listings a day; the union of flags is reviewed. Of the πN violations,
  A catches r_A, B catches r_B = r_A·(1 + lift), and a share ω (``overlap``) of A's catches are B's too.
  Discordant violations arrive at d = πN·r_A·(2(1 − ω) + lift) a day, B's share of them is
  p1 = (1 + lift − ω) / (2(1 − ω) + lift), and under H0 p0 = ½.
- **Split**: each arm sees N/2 listings; the counts are every violation each arm caught,
  d = πN·r_A·(2 + lift)/2 a day, p1 = (1 + lift) / (2 + lift), p0 = ½.

A fixed-sample binomial test needs n = [z_{α/2}√(p0q0) + z_β√(p1q1)]² / (p1 − p0)² events; the
group-sequential design needs at most ``inflation``·n. Looks are daily unless ``looks`` says otherwise:
the horizon is the fewest whole days K with K·d ≥ inflation(K)·n, and the look on day k is at
information fraction k/K. Expected days come from the design's stopping probabilities at the planned
effect (and at no effect).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from listingguard.evaluation.experiments.boundaries import Design, Spending, design

DesignName = Literal["paired", "split"]
DESIGNS: tuple[DesignName, ...] = ("paired", "split")
_MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Scenario:
    """What the plan assumes about traffic and the two arms."""

    prevalence: float = 0.003
    per_day: int = 100_000
    overlap: float = 0.8
    recall_a: float = 0.6
    lift: float = 0.10  # B's recall = recall_a·(1 + lift); the effect the plan is powered for (its MDE)
    alpha: float = 0.05
    power: float = 0.8
    looks: int | None = None  # None: one look a day
    spending: Spending = "obrien-fleming"
    futility: bool = True

    def check(self) -> Scenario:
        """Refuse impossible inputs with a message that names the input."""
        if not 0 < self.prevalence < 1:
            raise ValueError("prevalence must be between 0 and 1 (e.g. 0.003 for 0.3%)")
        if self.per_day < 1:
            raise ValueError("per-day must be at least 1 listing")
        if not 0 <= self.overlap < 1:
            raise ValueError("overlap must be at least 0 and below 1 (the share of A's catches B also flags)")
        if not 0 < self.recall_a < 1:
            raise ValueError("recall of A must be between 0 and 1")
        if self.lift < 0:
            raise ValueError("effect (relative recall lift of B) must not be negative")
        recall_b = self.recall_a * (1 + self.lift)
        if recall_b > 1 or self.recall_a + recall_b - self.overlap * self.recall_a > 1:
            raise ValueError(
                f"effect {self.lift} is impossible with recall {self.recall_a} and overlap {self.overlap}: "
                "the arms would catch more violations than there are"
            )
        if not 0 < self.alpha < 0.5:
            raise ValueError("alpha must be between 0 and 0.5")
        if not 0.5 <= self.power < 1:
            raise ValueError("power must be at least 0.5 and below 1")
        if self.looks is not None and not 1 <= self.looks <= 200:
            raise ValueError("looks must be between 1 and 200")
        return self

    @property
    def recall_b(self) -> float:
        return self.recall_a * (1 + self.lift)


@dataclass(frozen=True, slots=True)
class Stream:
    """The counts a design compares: events a day, B's share under H0 and under the planned effect."""

    per_day: float
    p0: float
    p1: float


def stream(scenario: Scenario, name: DesignName) -> Stream:
    """The event stream of one design under ``scenario`` (see the module docstring)."""
    caught_a = scenario.prevalence * scenario.per_day * scenario.recall_a
    lift, overlap = scenario.lift, scenario.overlap
    if name == "paired":
        return Stream(caught_a * (2 * (1 - overlap) + lift), 0.5, (1 + lift - overlap) / (2 * (1 - overlap) + lift))
    if name == "split":
        return Stream(caught_a * (2 + lift) / 2, 0.5, (1 + lift) / (2 + lift))
    raise ValueError(f"unknown design {name!r}")


def fixed_sample_events(p0: float, p1: float, *, alpha: float, power: float) -> float:
    """Events a fixed-sample two-sided binomial test of p0 needs to detect p1 with this power."""
    if p1 == p0:
        return math.inf
    za, zb = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    return float((za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2)


@dataclass(frozen=True, slots=True)
class DesignPlan:
    """One design's plan: the stream, the sample sizes, the looks and what to expect."""

    name: DesignName
    events_per_day: float
    p0: float
    p1: float
    fixed_events: float
    max_events: float
    look_days: list[float]  # when each look happens, in days
    expected_days: float  # at the planned effect
    median_days: float  # at the planned effect
    expected_days_null: float  # at no effect
    power: float  # at the planned effect, with the horizon rounded up to whole looks
    design: Design = field(repr=False)

    @property
    def max_days(self) -> float:
        return self.look_days[-1]

    def to_dict(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "design"}
        out["max_days"] = self.max_days
        out["design"] = self.design.to_dict()
        rounded = _rounded(out)
        assert isinstance(rounded, dict)
        return rounded


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def plan_design(scenario: Scenario, name: DesignName) -> DesignPlan:
    """The plan of one design (see the module docstring for the horizon and the looks)."""
    s = stream(scenario.check(), name)
    n_fixed = fixed_sample_events(s.p0, s.p1, alpha=scenario.alpha, power=scenario.power)
    if not math.isfinite(n_fixed):
        raise ValueError("the effect is zero: no experiment can detect it; give a positive --effect")

    def make(looks: int) -> Design:
        fractions = np.arange(1, looks + 1) / looks
        return design(
            fractions,
            alpha=scenario.alpha,
            power=scenario.power,
            spending=scenario.spending,
            futility=scenario.futility,
        )

    if scenario.looks is None:  # daily looks: the fewest whole days that hold the inflated sample
        days = max(1, math.ceil(n_fixed / s.per_day))
        while True:
            if days > _MAX_DAYS:
                raise ValueError(f"this experiment would run for more than {_MAX_DAYS} days; the effect is too small")
            the_design = make(days)
            if days * s.per_day >= the_design.inflation * n_fixed * (1 - 1e-9):
                break
            days += 1
        look_days = [float(k) for k in range(1, days + 1)]
        max_events = days * s.per_day
    else:
        the_design = make(scenario.looks)
        max_events = the_design.inflation * n_fixed
        horizon = max_events / s.per_day
        look_days = [horizon * k / scenario.looks for k in range(1, scenario.looks + 1)]

    # The planned drift holds inflation·n events; a horizon of whole days holds a little more.
    drift = the_design.drift * math.sqrt(max_events / (the_design.inflation * n_fixed))
    stop_h1 = _stop_distribution(the_design, drift)
    stop_h0 = _stop_distribution(the_design, 0.0)
    up, _ = the_design.stopping(drift)
    days_array = np.asarray(look_days)
    cumulative = np.cumsum(stop_h1)
    return DesignPlan(
        name=name,
        events_per_day=s.per_day,
        p0=s.p0,
        p1=s.p1,
        fixed_events=n_fixed,
        max_events=max_events,
        look_days=look_days,
        expected_days=float(stop_h1 @ days_array),
        median_days=float(days_array[int(np.searchsorted(cumulative, 0.5))]),
        expected_days_null=float(stop_h0 @ days_array),
        power=float(np.sum(up)),
        design=the_design,
    )


def _stop_distribution(the_design: Design, drift: float) -> np.ndarray:
    up, down = the_design.stopping(drift)
    stop = np.clip(up + down, 0.0, 1.0)
    stop[-1] = max(0.0, 1.0 - float(np.sum(stop[:-1])))
    return np.asarray(stop)


@dataclass(frozen=True, slots=True)
class Plan:
    """Both designs under one scenario, and how much faster the paired one decides."""

    scenario: Scenario
    paired: DesignPlan
    split: DesignPlan

    @property
    def speedup(self) -> float:
        """Expected days to a decision of the split over those of the paired design, at the planned effect."""
        return self.split.expected_days / self.paired.expected_days

    def to_dict(self) -> dict[str, object]:
        return {
            "scenario": asdict(self.scenario),
            "paired": self.paired.to_dict(),
            "split": self.split.to_dict(),
            "speedup": round(self.speedup, 3),
        }


def plan(scenario: Scenario) -> Plan:
    """Plan the paired design and the 50/50 split for the same scenario, alpha and power."""
    scenario.check()
    return Plan(scenario, plan_design(scenario, "paired"), plan_design(scenario, "split"))
