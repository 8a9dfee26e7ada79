"""The backtest's sampling design, on arrays: which listings to label, with what probability, and the sets.

Pure numpy, no database: the backtest service calls it on a replayed window, and the coverage
simulations (tests, ``bench/backtest_coverage.py``) call it on synthetic windows, so both run exactly
the code whose statistics are checked.

Every listing of the window is either **labelled already** (a moderator decided it: counted exactly) or
falls in one sampling stratum:

- ``disagree`` — for some topic one model flags it and the other does not (at matched volume or at the
  candidate's own thresholds): the listings the comparison is about. Sampled from the label budget.
- ``both`` — flagged by both for some topic, never in disagreement, and not decided yet. Sampled from
  the label budget too (what both catch enters every recall).
- ``explore-0`` … ``explore-K`` — flagged by neither, cut into ``K + 1`` strata of equal size by the larger
  of the two models' scores. Sampled from the exploration budget with sizes proportional to
  ``N_h * sqrt(mean score_h)``: more labels where violations are likelier, every stratum at least two, so
  the inclusion probability grows with the score as the square root (the design the review queue's
  exploration sampling uses too).

Within a stratum the sample is simple random, so each unlabelled listing of stratum ``h`` had the same
known chance ``pi_h = n_h / N_h`` of being labelled; that chance is stored with its evaluation task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from listingguard.evaluation.backtest.estimators import Cell, ScoredCell, SetCount, TopicSets, allocate

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LABELLED = -1
DISAGREE = 0
BOTH = 1
EXPLORE_STRATA = 6
MIN_PER_STRATUM = 2


def stratum_name(code: int) -> str:
    """The readable name of a stratum code."""
    if code == LABELLED:
        return "labelled"
    if code == DISAGREE:
        return "disagree"
    if code == BOTH:
        return "both"
    return f"explore-{code - 2}"


def matched_thresholds(candidate_scores: FloatArray, production_flags: BoolArray) -> FloatArray:
    """Per topic, the candidate score at which it flags as many listings as production flagged.

    Ties at the threshold are all flagged (a threshold cannot split equal scores), so the candidate may
    flag a few more; a topic production never flagged gets ``inf`` (the candidate flags nothing either).
    """
    out = np.full(candidate_scores.shape[1], np.inf)
    for j in range(candidate_scores.shape[1]):
        k = int(production_flags[:, j].sum())
        if k:
            out[j] = float(np.sort(candidate_scores[:, j])[::-1][min(k, len(candidate_scores)) - 1])
    return out


def assign_strata(
    production: BoolArray,
    candidate_views: list[BoolArray],
    labelled: BoolArray,
    top_score: FloatArray,
    *,
    explore_strata: int = EXPLORE_STRATA,
) -> IntArray:
    """One stratum code per listing (see the module docstring); ``LABELLED`` for decided listings."""
    n = len(labelled)
    disagree = np.zeros(n, dtype=bool)
    both = np.zeros(n, dtype=bool)
    for view in candidate_views:
        disagree |= (production != view).any(axis=1)
        both |= (production & view).any(axis=1)
    out = np.full(n, LABELLED, dtype=np.int64)
    open_ = ~labelled
    out[open_ & disagree] = DISAGREE
    out[open_ & ~disagree & both] = BOTH
    rest = np.flatnonzero(open_ & ~disagree & ~both)
    if len(rest):
        order = rest[np.argsort(top_score[rest], kind="stable")]
        for h, part in enumerate(np.array_split(order, explore_strata)):
            out[part] = 2 + h
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    """How many listings each stratum holds and how many to label (``sizes[h]`` for stratum code ``h``)."""

    populations: dict[int, int]
    sizes: dict[int, int]

    def inclusion_probability(self, code: int) -> float:
        population = self.populations.get(code, 0)
        return self.sizes.get(code, 0) / population if population else 0.0


def plan(strata: IntArray, top_score: FloatArray, *, label_budget: int, exploration: int) -> Plan:
    """Sample sizes: the label budget over ``disagree``/``both`` (by size), exploration over the rest."""
    codes = sorted(int(c) for c in np.unique(strata) if c != LABELLED)
    populations = {c: int((strata == c).sum()) for c in codes}
    sizes: dict[int, int] = {}
    flagged = [c for c in codes if c in (DISAGREE, BOTH)]
    if flagged:
        pops = [populations[c] for c in flagged]
        for c, n in zip(
            flagged, allocate(pops, [float(p) for p in pops], label_budget, minimum=MIN_PER_STRATUM), strict=True
        ):
            sizes[c] = n
    explore = [c for c in codes if c >= 2]
    if explore:
        pops = [populations[c] for c in explore]
        means = [float(np.mean(top_score[strata == c])) for c in explore]
        weights = [p * np.sqrt(max(m, 1e-9)) for p, m in zip(pops, means, strict=True)]
        for c, n in zip(explore, allocate(pops, weights, exploration, minimum=MIN_PER_STRATUM), strict=True):
            sizes[c] = n
    return Plan(populations=populations, sizes=sizes)


def draw(strata: IntArray, the_plan: Plan, rng: np.random.Generator) -> BoolArray:
    """A simple random sample of ``sizes[h]`` listings in each stratum."""
    chosen = np.zeros(len(strata), dtype=bool)
    for code, size in the_plan.sizes.items():
        members = np.flatnonzero(strata == code)
        if size:
            chosen[rng.choice(members, size=min(size, len(members)), replace=False)] = True
    return chosen


def topic_sets(
    production: BoolArray,
    candidate: BoolArray,
    strata: IntArray,
    labels: npt.NDArray[np.int8],
    score: FloatArray,
) -> TopicSets:
    """One topic's four sets from per-listing arrays.

    ``labels`` is 1/0 where a label is known (decided before, or sampled and decided since) and -1 where
    not; a sampled listing not decided yet counts as not sampled (its stratum's effective probability
    drops, which is what happened). ``score`` is the larger of the two models' calibrated scores.
    """
    known = labels >= 0
    out = {}
    for name, members in (
        ("both", production & candidate),
        ("candidate_only", candidate & ~production),
        ("production_only", production & ~candidate),
        ("neither", ~production & ~candidate),
    ):
        fixed = members & (strata == LABELLED)
        exact = int((labels[fixed] == 1).sum())
        cells: list[Cell] = []
        scored: list[ScoredCell] = []
        for code in np.unique(strata[members & (strata != LABELLED)]):
            in_cell = members & (strata == code)
            population = int(in_cell.sum())
            seen = in_cell & known
            sampled = int(seen.sum())
            positives = int((labels[seen] == 1).sum())
            if name == "neither" and code >= 2:
                scored.append(ScoredCell(population, sampled, positives, float(score[in_cell].mean())))
            else:
                cells.append(Cell(population, sampled, positives))
        out[name] = SetCount(known=exact, cells=tuple(cells), scored=tuple(scored))
    return TopicSets(**out)
