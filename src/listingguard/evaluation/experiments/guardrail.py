"""An always-valid harm guardrail: stop the experiment early if B catches fewer violations than A.

The group-sequential test looks once a day at planned times. The guardrail may be checked after every
decision, as often as anyone likes, and still stops a harmless B with probability at most alpha: it is a
mixture sequential probability ratio test (Robbins 1970; Johari et al. 2017) on the discordant split.

With p = P(a discordant confirmed violation is B's) and a Beta(a, a) mixture over p, the likelihood ratio
against p = ½ after n_B and n_A discordant violations has a closed form,

    Λ_n = B(a + n_B, a + n_A) / B(a, a) · 2^n,      n = n_B + n_A,

a nonnegative martingale under H0 with Λ_0 = 1, so by Ville's inequality P(sup_n Λ_n ≥ 1/α) ≤ α. The
guardrail fires when Λ_n ≥ 1/α and the estimate favours A (n_B < n_A): a subset of that event, so its
type-I error is at most alpha however often it is checked. ``a`` sets which effects it is quickest to
see: the mixture's spread of p around ½ is 1/(2√(2a + 1)) (``concentration_for``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]


def concentration_for(harm: float) -> float:
    """The Beta(a, a) whose standard deviation around ½ is ``harm`` (e.g. 0.1 for p = 0.4 vs 0.5)."""
    if not 0 < harm < 0.5:
        raise ValueError("harm must be between 0 and 0.5 (a shift of p away from one half)")
    return max(0.5, (1.0 / (4.0 * harm * harm) - 1.0) / 2.0)


def log_likelihood_ratio(n_b: npt.ArrayLike, n_a: npt.ArrayLike, *, a: float) -> FloatArray:
    """log Λ_n, elementwise (0 where n = 0)."""
    b = np.asarray(n_b, dtype=np.float64)
    c = np.asarray(n_a, dtype=np.float64)
    value = special.betaln(a + b, a + c) - special.betaln(a, a) + (b + c) * math.log(2.0)
    return np.asarray(value, dtype=np.float64)


def harm_crossed(
    n_b: npt.ArrayLike, n_a: npt.ArrayLike, *, alpha: float = 0.05, a: float = 5.0
) -> npt.NDArray[np.bool_]:
    """Whether the guardrail fires at these (cumulative) counts: Λ_n ≥ 1/α and n_B < n_A."""
    b = np.asarray(n_b)
    c = np.asarray(n_a)
    return np.asarray((log_likelihood_ratio(b, c, a=a) >= -math.log(alpha)) & (b < c))


@dataclass(frozen=True, slots=True)
class GuardrailState:
    """The guardrail after the counts seen so far: the always-valid p-value and whether it fired."""

    n_b: int
    n_a: int
    log_lr: float
    p_value: float  # min(1, 1 / max_k Λ_k): valid at any stopping time
    harm: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "n_b": self.n_b,
            "n_a": self.n_a,
            "log_lr": round(self.log_lr, 4),
            "p_value": self.p_value,
            "harm": self.harm,
        }


def track(outcomes: npt.ArrayLike, *, alpha: float = 0.05, a: float = 5.0) -> GuardrailState:
    """Run the guardrail over a stream of discordant confirmed violations (1 = B's, 0 = A's), in order.

    Stops at the first harm crossing; otherwise reports the end of the stream. The p-value is the running
    one, min(1, 1/max Λ), so it never rises.
    """
    x = np.asarray(outcomes, dtype=np.int64)
    if x.size and not np.isin(x, (0, 1)).all():
        raise ValueError("outcomes must be 0 (A's) or 1 (B's)")
    n_b = np.cumsum(x)
    n_a = np.arange(1, x.size + 1) - n_b
    log_lr = log_likelihood_ratio(n_b, n_a, a=a)
    crossed = (log_lr >= -math.log(alpha)) & (n_b < n_a)
    end = int(np.argmax(crossed)) if crossed.any() else x.size - 1
    if end < 0:
        return GuardrailState(0, 0, 0.0, 1.0, False)
    running = float(np.max(log_lr[: end + 1]))
    return GuardrailState(
        n_b=int(n_b[end]),
        n_a=int(n_a[end]),
        log_lr=float(log_lr[end]),
        p_value=float(min(1.0, math.exp(-max(running, 0.0)))),
        harm=bool(crossed.any()),
    )
