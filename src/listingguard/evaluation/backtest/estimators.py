"""Estimating how many violations a set of listings holds from a stratified sample of labels.

A backtest knows, for every listing of its window, which model flagged it for which topic, but a label
(a moderator's decision) only for some of them: those reviewed before, and those it samples. Each
sampling stratum draws a simple random sample of its unlabelled listings, so within a stratum every
unlabelled listing had the same known chance ``pi = sampled / population`` of being labelled, and that
chance is stored with its task.

The number of violations in a set (say, the listings only the candidate flags for ``counterfeit``) is
then

* the violations among its listings that were labelled before (counted exactly), plus
* for each stratum, the violations among its sampled listings that fall in the set, plus the unknown
  number among the unsampled ones.

The point estimate is Horvitz-Thompson (``x / pi`` per cell) where the models disagree, and a
score-anchored rate where neither flagged (see :class:`SetCount`). Intervals come from the posterior
predictive of the unsampled listings, drawn by Monte Carlo so that any function of several sets (a
difference, a recall, a change in recall) gets an interval from the same draws. Why not normal
intervals: the sets hold tens of violations, often fewer, and a normal interval on a rare count
undercovers badly. The coverage is checked by simulation (``tests/evaluation/test_backtest_estimators.py``,
``bench/backtest_coverage.py``).

Why our own code: no library estimates stratified totals of several overlapping domains with small-count
intervals that propagate to ratios; the pieces (beta-binomial draws, percentiles) are numpy's and
scipy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import stats

JEFFREYS = 0.5
DEFAULT_DRAWS = 4000

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Cell:
    """The unlabelled listings of one sampling stratum that fall in one set.

    ``population`` of them, ``sampled`` of which were labelled by the backtest's sample, ``positives``
    of those violating.
    """

    population: int
    sampled: int
    positives: int

    def __post_init__(self) -> None:
        if not 0 <= self.positives <= self.sampled <= self.population:
            raise ValueError(f"need 0 <= positives <= sampled <= population, got {self}")

    @property
    def inclusion_probability(self) -> float:
        """The chance each unlabelled listing of the cell had of being sampled."""
        return self.sampled / self.population if self.population else 1.0


@dataclass(frozen=True, slots=True)
class ScoredCell(Cell):
    """The unlabelled listings of one exploration stratum that fall in the set neither model flagged.

    ``mean_score`` is the average calibrated probability the models gave them (the larger of the two), for
    the sampled and the unsampled ones alike (the sample is random within the stratum).
    """

    mean_score: float = 0.0


@dataclass(frozen=True, slots=True)
class SetCount:
    """What is known about the violations of one set: an exact count, sampled cells and scored cells.

    ``cells`` are strata of the set where violations are common enough to estimate each on its own
    (what one model flagged and the other did not): a Jeffreys beta-binomial per cell. ``scored`` are
    the strata of the set neither model flagged, where violations are rare (a few per thousand) and a
    cell's own sample holds none most of the time: there the models' calibrated scores anchor the rate.
    One factor ``r`` scales every scored cell's mean score (``r = 1``: the models are calibrated there);
    its posterior is Gamma(0.5 + positives, 0.5 + expected positives of the sample), so a sample that finds
    more (or fewer) violations than the scores promise moves every stratum's estimate with it, and the
    unsampled listings of each stratum are drawn Binomial(unseen, min(1, r x mean score)). Measured by
    simulation (``bench/backtest_coverage.py``), per-cell Jeffreys priors on these large, nearly empty
    strata overstate the violations they hold (coverage of recall intervals 0.69 at nominal 0.95); the
    anchored model keeps coverage at or above nominal when the scores are miscalibrated by up to 4x.
    """

    known: int = 0
    cells: tuple[Cell, ...] = field(default_factory=tuple)
    scored: tuple[ScoredCell, ...] = field(default_factory=tuple)

    def estimate(self) -> float:
        """Point estimate: exact counts, Horvitz-Thompson on cells, the anchored rate on scored cells."""
        total = self.known + sum(c.positives / c.inclusion_probability for c in self.cells if c.sampled)
        if self.scored:
            r = self._factor_mean()
            for stratum in self.scored:
                unseen = stratum.population - stratum.sampled
                total += stratum.positives + unseen * min(1.0, r * stratum.mean_score)
        return total

    def _factor_shape_rate(self) -> tuple[float, float]:
        positives = sum(c.positives for c in self.scored)
        expected = sum(c.sampled * c.mean_score for c in self.scored)
        return JEFFREYS + positives, JEFFREYS + expected

    def _factor_mean(self) -> float:
        shape, rate = self._factor_shape_rate()
        return shape / rate

    @property
    def unsampled_cells(self) -> int:
        """Cells with listings in them but no label at all: the interval is wide there, and says so."""
        return sum(1 for c in self.cells if c.population and not c.sampled) + sum(
            1 for c in self.scored if c.population and not c.sampled
        )

    def draws(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws of the set's total violations from its posterior predictive."""
        total = np.full(n, float(self.known))
        for cell in self.cells:
            unseen = cell.population - cell.sampled
            total += cell.positives
            if unseen:
                p = rng.beta(cell.positives + JEFFREYS, cell.sampled - cell.positives + JEFFREYS, size=n)
                total += rng.binomial(unseen, p)
        if self.scored:
            shape, rate = self._factor_shape_rate()
            r = rng.gamma(shape, 1.0 / rate, size=n)
            for stratum in self.scored:
                unseen = stratum.population - stratum.sampled
                total += stratum.positives
                if unseen:
                    total += rng.binomial(unseen, np.minimum(1.0, r * stratum.mean_score))
        return total

    @property
    def labels(self) -> int:
        """Labels from the sample that inform this set."""
        return sum(c.sampled for c in self.cells) + sum(c.sampled for c in self.scored)


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with its two-sided interval at ``level``."""

    estimate: float | None
    low: float | None
    high: float | None
    level: float

    def to_dict(self) -> dict[str, float | None]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}

    @property
    def width(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low


def interval(point: float | None, draws: FloatArray, *, level: float = 0.95) -> Interval:
    """The point estimate with the central ``level`` interval of ``draws`` (NaN draws ignored)."""
    finite = draws[np.isfinite(draws)]
    if point is None or not np.isfinite(point) or len(finite) < len(draws) * 0.5:
        return Interval(None, None, None, level)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return Interval(float(point), float(min(low, point)), float(max(high, point)), level)


def lower_bound(draws: FloatArray, *, alpha: float) -> float:
    """The one-sided lower ``1 - alpha`` confidence bound from posterior draws."""
    finite = draws[np.isfinite(draws)]
    return float(np.quantile(finite, alpha)) if len(finite) else float("nan")


@dataclass(frozen=True, slots=True)
class TopicSets:
    """One topic's listings split by who flagged them: both models, the candidate only, production only, neither.

    Every listing of the window is in exactly one of the four, so the topic's violations are their sum.
    """

    both: SetCount
    candidate_only: SetCount
    production_only: SetCount
    neither: SetCount

    def functions(self) -> dict[str, Callable[[Mapping[str, FloatArray]], FloatArray]]:
        """Estimands as functions of the four sets' totals (the same code gives points and draws)."""

        def total(v: Mapping[str, FloatArray]) -> FloatArray:
            return v["both"] + v["candidate_only"] + v["production_only"] + v["neither"]

        def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

        return {
            "violations": total,
            "caught_by_candidate": lambda v: v["both"] + v["candidate_only"],
            "caught_by_production": lambda v: v["both"] + v["production_only"],
            "candidate_only": lambda v: v["candidate_only"],
            "production_only": lambda v: v["production_only"],
            "delta_caught": lambda v: v["candidate_only"] - v["production_only"],
            "recall_candidate": lambda v: ratio(v["both"] + v["candidate_only"], total(v)),
            "recall_production": lambda v: ratio(v["both"] + v["production_only"], total(v)),
            "delta_recall": lambda v: ratio(v["candidate_only"] - v["production_only"], total(v)),
        }

    def sets(self) -> dict[str, SetCount]:
        return {
            "both": self.both,
            "candidate_only": self.candidate_only,
            "production_only": self.production_only,
            "neither": self.neither,
        }


@dataclass(frozen=True, slots=True)
class TopicEstimates:
    """Every estimand of one topic with its interval, and the draws behind them (for gates and plots)."""

    intervals: dict[str, Interval]
    draws: dict[str, FloatArray]

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        return {name: iv.to_dict() for name, iv in self.intervals.items()}


def estimate_topic(
    sets: TopicSets, *, rng: np.random.Generator, n_draws: int = DEFAULT_DRAWS, level: float = 0.95
) -> TopicEstimates:
    """Point estimates and intervals of every estimand of one topic, from one set of posterior draws."""
    named = sets.sets()
    points = {name: np.asarray([s.estimate()], dtype=np.float64) for name, s in named.items()}
    draws = {name: s.draws(rng, n_draws) for name, s in named.items()}
    intervals: dict[str, Interval] = {}
    drawn: dict[str, FloatArray] = {}
    for name, fn in sets.functions().items():
        point = float(fn(points)[0])
        values = fn(draws)
        drawn[name] = values
        intervals[name] = interval(point if np.isfinite(point) else None, values, level=level)
    return TopicEstimates(intervals=intervals, draws=drawn)


def wilson(successes: int, trials: int, *, level: float = 0.95) -> Interval:
    """A proportion with its Wilson score interval (scipy), for precisions of fully labelled sets."""
    if trials == 0:
        return Interval(None, None, None, level)
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="wilson")
    return Interval(successes / trials, float(ci.low), float(ci.high), level)


def allocate(populations: Sequence[int], weights: Sequence[float], budget: int, *, minimum: int = 1) -> list[int]:
    """Split ``budget`` labels over strata in proportion to ``weights``, never more than a stratum holds.

    Every non-empty stratum gets at least ``minimum`` (so no stratum is left without a label); what a
    stratum cannot use is handed to the others, so the budget is spent whenever there is enough to label.
    Largest remainders decide the rounding, so the result is deterministic.
    """
    n = len(populations)
    if len(weights) != n:
        raise ValueError("one weight per stratum")
    pops = np.asarray(populations, dtype=np.int64)
    out = np.minimum(pops, minimum).astype(np.int64)
    if out.sum() == budget:
        return out.tolist()
    if out.sum() > budget:  # the minimums alone exceed the budget: one each, largest strata first
        out = np.zeros(n, dtype=np.int64)
        for i in np.argsort(-pops, kind="stable")[:budget]:
            if pops[i]:
                out[i] = 1
        return out.tolist()
    w = np.asarray(weights, dtype=np.float64).clip(min=0)
    while True:
        room = pops - out
        open_ = room > 0
        left = budget - int(out.sum())
        if left <= 0 or not open_.any():
            return out.tolist()
        share = np.where(open_, w, 0.0)
        if share.sum() <= 0:
            share = open_.astype(np.float64)
        raw = share / share.sum() * left
        take = np.minimum(np.floor(raw).astype(np.int64), room)
        if take.sum() == 0:  # hand the remaining labels out one by one, largest remainder first
            for i in np.argsort(-(raw - np.floor(raw)), kind="stable"):
                if left == 0:
                    break
                if room[i] > 0:
                    out[i] += 1
                    left -= 1
            return out.tolist()
        out += take
