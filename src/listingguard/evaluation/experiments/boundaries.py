"""Group-sequential boundaries by Lan–DeMets alpha spending, computed by recursive numerical integration.

An experiment looks at its data several times (daily). Testing at the fixed-sample 1.96 every time would
reject a true null far more often than 5%, so each look k gets its own bound c_k: the probability under H0
of first crossing ±c_k at look k equals the alpha a spending function allots to the information gained
since the previous look, α(t_k) − α(t_{k−1}) (Lan & DeMets 1983). The looks may fall at any information
fractions t_k ∈ (0, 1], planned or not.

The probabilities come from the recursion of Armitage, McPherson & Rowe (1969): the score process
S(t) = Z(t)·√t is a Brownian motion with drift θ per unit information, so the sub-density of S at look k
(paths that have not stopped yet) is the sub-density at look k−1 convolved with a normal kernel of
variance t_k − t_{k−1}, truncated to the continuation region. Each convolution is a Simpson sum over a
grid that resolves both the kernel and the region; each bound is a root of one crossing probability.

A futility bound (non-binding, "beta spending") stops early when B is unlikely ever to prove better: at
look k the probability under the planned drift of falling below f_k, having continued so far, is
β(t_k) − β(t_{k−1}). The efficacy bounds ignore it (so ignoring a futility stop keeps the type-I error),
and the drift is raised until the last futility bound meets the last efficacy bound, which is the power.

Why our own code: no maintained PyPI library computes these. spotify-confidence offers only the power
family, one-sided, and brings pandas, chartify and ipywidgets; sequential-analysis is AGPL; gsdesign
(0.1.x, alpha) ports only the integration grid; earlysign and gsmethods ship no such code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

FloatArray = npt.NDArray[np.float64]
Spending = Literal["obrien-fleming", "pocock"]
SPENDINGS: tuple[Spending, ...] = ("obrien-fleming", "pocock")

# Grid resolution: points per standard deviation of the smallest increment's kernel, and a ceiling on
# the points per look (a look far out of reach of the kernel needs no finer grid than this).
_POINTS_PER_SD = 12
_MAX_POINTS = 2001
_NO_BOUND = 40.0  # a bound no statistic reaches: used when a look spends (almost) nothing


def spent(spending: Spending, t: FloatArray | float, total: float) -> FloatArray:
    """Cumulative one-sided error spent by information fraction ``t``, of ``total`` (alpha/2 per side, or beta).

    O'Brien–Fleming-type: 2 − 2Φ(z_{total/2} / √t), which spends almost nothing early;
    Pocock-type: total·ln(1 + (e − 1)·t), which spends evenly.
    """
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if spending == "obrien-fleming":
        with np.errstate(divide="ignore"):
            return np.where(t > 0, 2.0 * stats.norm.sf(stats.norm.isf(total / 2) / np.sqrt(t)), 0.0)
    if spending == "pocock":
        return total * np.log1p((math.e - 1.0) * t)
    raise ValueError(f"unknown spending function {spending!r}; use one of {', '.join(SPENDINGS)}")


def check_fractions(fractions: FloatArray | list[float]) -> FloatArray:
    """Information fractions as an array: strictly increasing, in (0, 1], the last one 1."""
    t = np.asarray(fractions, dtype=np.float64)
    if t.ndim != 1 or len(t) == 0:
        raise ValueError("information fractions must be a non-empty list")
    if t[0] <= 0 or np.any(np.diff(t) <= 0) or not math.isclose(t[-1], 1.0):
        raise ValueError("information fractions must increase strictly from above 0 to exactly 1")
    return t


class _Paths:
    """Sub-density of the score S at the current look, on a Simpson grid (``points``, ``mass`` = w·f).

    Starts as a point mass at S = 0 before the first look, so the first look is the same step as any other.
    """

    def __init__(self, step: float) -> None:
        self.step = step
        self.t = 0.0
        self.points = np.zeros(1)
        self.mass = np.ones(1)

    def _kernel_args(self, x: FloatArray, t: float, drift: float) -> tuple[FloatArray, float]:
        dt = t - self.t
        sd = math.sqrt(dt)
        return (x[:, None] - self.points[None, :] - drift * dt) / sd, sd

    def below(self, z: float, t: float, drift: float) -> float:
        """P(Z at t < z and no stop so far)."""
        u, _ = self._kernel_args(np.array([z * math.sqrt(t)]), t, drift)
        return float(stats.norm.cdf(u[0]) @ self.mass)

    def above(self, z: float, t: float, drift: float) -> float:
        """P(Z at t > z and no stop so far)."""
        u, _ = self._kernel_args(np.array([z * math.sqrt(t)]), t, drift)
        return float(stats.norm.sf(u[0]) @ self.mass)

    def log_outside(self, c: float, t: float, drift: float) -> float:
        """log P(|Z at t| ≥ c and no stop so far), stable for tiny probabilities (large c)."""
        x = np.array([c * math.sqrt(t), -c * math.sqrt(t)])
        u, _ = self._kernel_args(x, t, drift)
        keep = self.mass > 0
        log_mass = np.log(self.mass[keep])
        upper = special.logsumexp(stats.norm.logsf(u[0, keep]) + log_mass)
        lower = special.logsumexp(stats.norm.logcdf(u[1, keep]) + log_mass)
        return float(np.logaddexp(upper, lower))

    def advance(self, t: float, low: float, high: float, drift: float) -> None:
        """Move to the look at ``t``, keeping the paths with low < Z < high."""
        lo, hi = low * math.sqrt(t), high * math.sqrt(t)
        if hi <= lo:
            self.points, self.mass, self.t = np.zeros(1), np.zeros(1), t
            return
        n = min(_MAX_POINTS, max(3, math.ceil((hi - lo) / self.step)))
        n += 1 - n % 2  # Simpson needs an odd number of points
        x = np.linspace(lo, hi, n)
        weights = np.full(n, 2.0)
        weights[1::2] = 4.0
        weights[0] = weights[-1] = 1.0
        weights *= (x[1] - x[0]) / 3.0
        u, sd = self._kernel_args(x, t, drift)
        density = (np.exp(-0.5 * u * u) / (sd * math.sqrt(2 * math.pi))) @ self.mass
        self.points, self.mass, self.t = x, weights * density, t


def _step_for(fractions: FloatArray) -> float:
    return float(math.sqrt(np.min(np.diff(np.concatenate([[0.0], fractions])))) / _POINTS_PER_SD)


def efficacy_bounds(
    fractions: FloatArray | list[float], *, alpha: float = 0.05, spending: Spending = "obrien-fleming"
) -> FloatArray:
    """Two-sided symmetric z bounds c_k: reject H0 at the first look with |Z_k| ≥ c_k.

    Each side spends alpha/2 by the one-sided spending function (the convention of ldbounds, gsDesign and
    rpact), so 5 equal looks at 0.05 give 4.877, 3.357, 2.680, 2.290, 2.031 (O'Brien–Fleming-type) and
    2.438, 2.427, 2.410, 2.397, 2.386 (Pocock-type).

    Parameters
    ----------
    fractions : information fractions of the looks, increasing, the last 1.
    alpha : two-sided type-I error spent over all looks.
    spending : ``"obrien-fleming"`` or ``"pocock"`` (Lan–DeMets types).
    """
    t = check_fractions(fractions)
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    increments = np.diff(np.concatenate([[0.0], 2.0 * spent(spending, t, alpha / 2)]))
    return _symmetric_bounds(t, increments)


def _symmetric_bounds(t: FloatArray, increments: FloatArray) -> FloatArray:
    """Symmetric bounds whose look k spends ``increments[k]`` of two-sided crossing probability under H0."""
    paths = _Paths(_step_for(t))
    bounds = np.empty(len(t))
    for k, (tk, target) in enumerate(zip(t, increments, strict=True)):
        if target <= 1e-300:
            bounds[k] = _NO_BOUND
        else:
            log_target = math.log(target)

            def excess(c: float, tk: float = tk, log_target: float = log_target) -> float:
                return paths.log_outside(c, tk, 0.0) - log_target

            if excess(_NO_BOUND) > 0:
                bounds[k] = _NO_BOUND
            elif excess(0.0) < 0:  # even c = 0 does not spend it: spend what is there
                bounds[k] = 0.0
            else:
                bounds[k] = optimize.brentq(excess, 0.0, _NO_BOUND, xtol=1e-7)
        paths.advance(tk, -bounds[k], bounds[k], 0.0)
    return bounds


def classic_bounds(
    fractions: FloatArray | list[float], *, alpha: float = 0.05, shape: Spending = "obrien-fleming"
) -> FloatArray:
    """The original shapes, c_k = C·t_k^(Δ − ½) with one constant C (Wang & Tsiatis 1987), two-sided.

    Δ = 0 is O'Brien & Fleming (1979), Δ = ½ is Pocock (1977). C is found so that the total crossing
    probability under H0 is ``alpha``. For 5 equal looks at 0.05 these are the textbook 4.562, 3.226,
    2.634, 2.281, 2.040 and 2.413 at every look. They need the number and timing of looks fixed in
    advance; the spending versions (``efficacy_bounds``) do not, which is why experiments use those.
    """
    t = check_fractions(fractions)
    delta = {"obrien-fleming": 0.0, "pocock": 0.5}[shape]

    def excess(constant: float) -> float:
        c = constant * t ** (delta - 0.5)
        up, down = stopping_probabilities(t, c, -c, 0.0)
        return float(np.sum(up) + np.sum(down)) - alpha

    constant = optimize.brentq(excess, float(stats.norm.isf(alpha / 2)) * 0.5, _NO_BOUND / 4, xtol=1e-7)
    return np.asarray(constant * t ** (delta - 0.5), dtype=np.float64)


def stopping_probabilities(
    fractions: FloatArray | list[float], upper: FloatArray, lower: FloatArray, drift: float
) -> tuple[FloatArray, FloatArray]:
    """Per look, P(first stop is above ``upper``) and P(first stop is below ``lower``), at ``drift``.

    ``drift`` is θ: E[Z at t] = θ·√t (so θ is the expected z at full information).
    """
    t = check_fractions(fractions)
    paths = _Paths(_step_for(t))
    up, down = np.empty(len(t)), np.empty(len(t))
    for k, tk in enumerate(t):
        up[k] = paths.above(float(upper[k]), tk, drift)
        down[k] = paths.below(float(lower[k]), tk, drift)
        paths.advance(tk, float(lower[k]), float(upper[k]), drift)
    return up, down


def futility_bounds(
    fractions: FloatArray | list[float],
    efficacy: FloatArray,
    *,
    drift: float,
    beta: float,
    spending: Spending = "obrien-fleming",
) -> FloatArray:
    """Lower z bounds f_k by beta spending at ``drift``: stop for futility at the first look with Z_k < f_k.

    Non-binding: the efficacy bounds do not assume these stops. f_k is clipped to [−c_k, c_k]; the last one
    is c_K, so the beta really spent is 1 − power at ``drift`` (``design`` picks the drift that makes it beta).
    """
    t = check_fractions(fractions)
    increments = np.diff(np.concatenate([[0.0], spent(spending, t, beta)]))
    paths = _Paths(_step_for(t))
    bounds = np.empty(len(t))
    for k, (tk, target) in enumerate(zip(t, increments, strict=True)):
        c = float(efficacy[k])
        if k == len(t) - 1:
            bounds[k] = c  # the last look decides: above c_K proven better, below it not
        elif paths.below(-c, tk, drift) >= target:
            bounds[k] = -c
        elif paths.below(c, tk, drift) <= target:
            bounds[k] = c
        else:

            def excess(f: float, tk: float = tk, target: float = target) -> float:
                return paths.below(f, tk, drift) - target

            bounds[k] = optimize.brentq(excess, -c, c, xtol=1e-7)
        paths.advance(tk, bounds[k], c, drift)
    return bounds


@dataclass(frozen=True, slots=True)
class Design:
    """A group-sequential design: where the looks are, their bounds, and the drift that gives the power.

    ``drift`` is the expected z at full information under the planned effect; ``inflation`` is
    (drift / (z_{α/2} + z_β))², the maximum information relative to a fixed-sample test of the same power.
    """

    fractions: FloatArray
    efficacy: FloatArray
    futility: FloatArray | None
    alpha: float
    power: float
    spending: Spending
    drift: float
    inflation: float

    @property
    def lower(self) -> FloatArray:
        """Where the lower stopping region starts: the futility bound, or −c_k without one."""
        return self.futility if self.futility is not None else -self.efficacy

    def stopping(self, drift: float) -> tuple[FloatArray, FloatArray]:
        """Per-look probabilities of stopping above and below at ``drift`` (see ``stopping_probabilities``)."""
        return stopping_probabilities(self.fractions, self.efficacy, self.lower, drift)

    def expected_fraction(self, drift: float) -> float:
        """Expected information fraction at the stop (every path stops by the last look)."""
        up, down = self.stopping(drift)
        stop = up + down
        stop[-1] = 1.0 - float(np.sum(stop[:-1]))
        return float(stop @ self.fractions)

    def to_dict(self) -> dict[str, object]:
        return {
            "fractions": [round(float(x), 6) for x in self.fractions],
            "efficacy": [round(float(x), 4) for x in self.efficacy],
            "futility": None if self.futility is None else [round(float(x), 4) for x in self.futility],
            "alpha": self.alpha,
            "power": self.power,
            "spending": self.spending,
            "drift": round(self.drift, 4),
            "inflation": round(self.inflation, 4),
        }


def design(
    fractions: FloatArray | list[float],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    spending: Spending = "obrien-fleming",
    futility: bool = True,
) -> Design:
    """The bounds for these looks, and the drift at which B is proven better with probability ``power``.

    With ``futility`` the drift is the one where the last futility bound meets the last efficacy bound.
    """
    t = check_fractions(fractions)
    return _design(tuple(float(x) for x in t), alpha, power, spending, futility)


@lru_cache(maxsize=256)
def _design(fractions: tuple[float, ...], alpha: float, power: float, spending: Spending, futility: bool) -> Design:
    if not 0 < power < 1:
        raise ValueError("power must be between 0 and 1")
    t = np.asarray(fractions)
    efficacy = efficacy_bounds(t, alpha=alpha, spending=spending)
    beta = 1.0 - power
    fixed = float(stats.norm.isf(alpha / 2) + stats.norm.isf(beta))

    def shortfall(drift: float) -> float:
        lower = futility_bounds(t, efficacy, drift=drift, beta=beta, spending=spending) if futility else -efficacy
        up, _ = stopping_probabilities(t, efficacy, lower, drift)
        return float(np.sum(up)) - power

    drift = optimize.brentq(shortfall, 0.5 * fixed, 3.0 * fixed, xtol=1e-5)
    lower_bounds = futility_bounds(t, efficacy, drift=drift, beta=beta, spending=spending) if futility else None
    return Design(t, efficacy, lower_bounds, alpha, power, spending, float(drift), float((drift / fixed) ** 2))
