"""The paired experiment's test: confirmed violations that only one arm flagged.

Both arms score every listing and moderators review the union of their flags once, blind to the arm. A
violation both arms flagged, or neither, says nothing about which arm is better; only the discordant ones
do. Let n_B be the confirmed violations only B flagged and n_A those only A flagged. Given n = n_B + n_A,
under H0 (the arms catch violations equally often) n_B ~ Binomial(n, ½): McNemar's test, exact by the
binomial, with no nuisance parameter (prevalence, the shared catches, the unflagged pool all cancel).

For the sequential looks the same comparison is a z statistic, (n_B − n·p0)/√(n·p0·(1 − p0)), whose
information is n; p0 = ½ for the paired design, the B arm's share of traffic for a 50/50 split.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from listingguard.evaluation.metrics import wilson

FloatArray = npt.NDArray[np.float64]


def exact_p_value(n_b: int, n_a: int) -> float:
    """Two-sided exact McNemar p-value: 2·P(X ≤ min(n_B, n_A)) for X ~ Binomial(n_B + n_A, ½), at most 1.

    Doubling the smaller tail is the same as summing all outcomes no likelier than the one seen, because
    Binomial(n, ½) is symmetric; it is what statsmodels' ``mcnemar(exact=True)`` and SciPy's
    ``binomtest(..., p=0.5)`` report.
    """
    if n_b < 0 or n_a < 0:
        raise ValueError("counts must not be negative")
    n = n_b + n_a
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * stats.binom.cdf(min(n_b, n_a), n, 0.5)))


def z_statistic(n_b: npt.ArrayLike, n_a: npt.ArrayLike, p0: npt.ArrayLike = 0.5) -> FloatArray:
    """(n_B − n·p0) / √(n·p0·(1 − p0)), elementwise; 0 where n = 0. Positive favours B."""
    b = np.asarray(n_b, dtype=np.float64)
    n = b + np.asarray(n_a, dtype=np.float64)
    p = np.asarray(p0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (b - n * p) / np.sqrt(n * p * (1.0 - p))
    return np.asarray(np.where(n > 0, z, 0.0), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Precision:
    """Confirmed over reviewed in one arm's discordant set, with a Wilson interval."""

    confirmed: int
    reviewed: int
    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def precision(confirmed: int, reviewed: int, *, alpha: float = 0.05) -> Precision:
    """Precision of a flagged set with its Wilson interval (good coverage at small counts and near 0 or 1)."""
    if not 0 <= confirmed <= reviewed:
        raise ValueError("confirmed must be between 0 and reviewed")
    if reviewed == 0:
        return Precision(0, 0, None, None, None)
    rate = wilson(confirmed, reviewed, alpha=alpha)
    return Precision(confirmed, reviewed, confirmed / reviewed, rate.low, rate.high)


@dataclass(frozen=True, slots=True)
class DiscordantSummary:
    """One topic's discordant evidence at a look: the counts, the test and each arm's discordant precision."""

    n_b: int
    n_a: int
    z: float
    p_value: float
    share_b: float | None
    precision_b: Precision
    precision_a: Precision

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["precision_b"] = self.precision_b.to_dict()
        out["precision_a"] = self.precision_a.to_dict()
        return out


def summarise(*, n_b: int, n_a: int, reviewed_b: int, reviewed_a: int, alpha: float = 0.05) -> DiscordantSummary:
    """The discordant comparison of one topic: n_B confirmed of ``reviewed_b`` flagged by B only, and so for A."""
    n = n_b + n_a
    return DiscordantSummary(
        n_b=n_b,
        n_a=n_a,
        z=float(z_statistic(n_b, n_a)),
        p_value=exact_p_value(n_b, n_a),
        share_b=n_b / n if n else None,
        precision_b=precision(n_b, reviewed_b, alpha=alpha),
        precision_a=precision(n_a, reviewed_a, alpha=alpha),
    )
