r"""Mechanical cut-count beliefs at a historical origin (part of the model being tested).

At a historical origin nobody wrote a scenario file, so the backtest forms the belief
about the next 12 months' policy moves by a fixed rule, from data public at the origin:

1. **History so far.** Pairs (s_i, d_i) for every month i of the fit window with i + 12
   months on or before the origin: d_i = r_{i+12} - r_i, the 12-month change of the
   policy rate (month-end target midpoint, DFF before 2008-12-16), and s_i = y2_i - r_i,
   the 2-year Treasury yield (DGS2 month-end close) minus the policy rate.
2. **Base distribution.** K_i = round(-d_i / 0.25): net 25bp cuts (hikes negative);
   the empirical frequencies of K are the base P0(K).
3. **Tilt by the spread.** OLS of d on s over the pairs gives the expected change
   m = a + b s_0 at the origin's spread s_0 (the 2y prices the expected path). The base
   is exponentially tilted, P(K) ~ P0(K) exp(lambda K), with lambda solved so that
   E[-0.25 K] = m (clamped inside the support: a tilt cannot leave it). Fewer than 24
   pairs: no tilt.
4. **Floor and capacity.** The rate cannot fall below 0.125% (the zero-lower-bound
   midpoint): counts with r_0 - 0.25 K < 0.125 are censored to the largest feasible
   count (their mass moves there); likewise |K| is capped at what the meetings hold.
5. **Timing.** The FOMC decisions of the next 12 months (published calendar from 2015,
   the assumed eight-a-year cadence before), equal weights, at most 3 moves (75bp) per
   meeting; placements by :func:`simulator.core.policy.sample_placements`; a move
   takes effect the next business day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from simulator.core.policy import CutBeliefs

__all__ = ["BeliefInfo", "BeliefRule", "change_pairs", "mechanical_beliefs"]


@dataclass(frozen=True)
class BeliefRule:
    """Constants of the mechanical rule (module docstring)."""

    step_pp: float = 0.25
    floor_pp: float = 0.125
    horizon_months: int = 12
    max_per_meeting: int = 3
    min_pairs: int = 24


@dataclass(frozen=True)
class BeliefInfo:
    """What the rule found at one origin: for the forecasts table."""

    spread_pp: float
    expected_change_pp: float
    tilt: float
    n_pairs: int
    expected_cuts: float


def change_pairs(policy_rate: pd.Series, y2: pd.Series, horizon_months: int = 12) -> pd.DataFrame:
    """Pairs (spread at i, 12-month policy change from i) observed by the last month.

    Parameters
    ----------
    policy_rate, y2 : pandas.Series
        Month-end values on the same monthly index (as public at the origin), %.
    horizon_months : int

    Returns
    -------
    pandas.DataFrame
        Columns ``spread`` and ``change``, index the start month i.
    """
    r = policy_rate.astype(np.float64)
    change = r.shift(-horizon_months) - r
    spread = y2.reindex(r.index) - r
    out = pd.DataFrame({"spread": spread, "change": change}).dropna()
    return out


def _tilt(counts: np.ndarray, p0: np.ndarray, target: float) -> tuple[np.ndarray, float]:
    """Exponential tilt of p0 on counts so that its mean is target (clamped in the support)."""
    lo, hi = float(counts.min()), float(counts.max())
    if hi - lo < 1e-9:
        return p0, 0.0
    span = hi - lo
    target = min(max(target, lo + 1e-3 * span), hi - 1e-3 * span)
    c = counts - counts.mean()

    def mean_at(lam: float) -> float:
        w = np.log(p0) + lam * c
        w = np.exp(w - w.max())
        return float(np.dot(w, counts) / w.sum()) - target

    bound = 1.0
    while mean_at(-bound) > 0 or mean_at(bound) < 0:
        bound *= 2.0
        if bound > 1e4:
            break
    lam = float(optimize.brentq(mean_at, -bound, bound, xtol=1e-10))
    w = np.log(p0) + lam * c
    w = np.exp(w - w.max())
    return w / w.sum(), lam


def mechanical_beliefs(
    rate_pp: float,
    spread_pp: float,
    pairs: pd.DataFrame,
    n_meetings: int,
    rule: BeliefRule | None = None,
) -> tuple[CutBeliefs, BeliefInfo]:
    """Beliefs on the net cut count K over the next 12 months (module docstring).

    Parameters
    ----------
    rate_pp : float
        Policy rate at the origin, %.
    spread_pp : float
        2y yield minus the policy rate at the origin, pp (NaN: no tilt).
    pairs : pandas.DataFrame
        From :func:`change_pairs` (history public at the origin).
    n_meetings : int
        FOMC decisions in the next 12 months.
    rule : BeliefRule, optional

    Returns
    -------
    (CutBeliefs, BeliefInfo)

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"spread": [0.0, 0.5, -0.5], "change": [0.0, 0.5, -0.5]})
    >>> b, info = mechanical_beliefs(0.125, 0.0, pairs, 8)
    >>> int(b.counts.max())  # no cuts below the floor
    0
    """
    rule = rule or BeliefRule()
    k_hist = np.round(-pairs["change"].to_numpy(dtype=np.float64) / rule.step_pp).astype(np.int64)
    if k_hist.size == 0:
        k_hist = np.zeros(1, dtype=np.int64)
    counts = np.arange(int(k_hist.min()), int(k_hist.max()) + 1, dtype=np.int64)
    p0 = np.bincount(k_hist - counts[0], minlength=counts.size).astype(np.float64)
    # A whisker of mass on every count in the range keeps the tilt smooth (gaps in the
    # empirical support would otherwise make lambda jump).
    p0 = (p0 + 1e-3) / (p0.sum() + 1e-3 * counts.size)
    expected_change = float("nan")
    lam = 0.0
    probs = p0
    if pairs.shape[0] >= rule.min_pairs and np.isfinite(spread_pp):
        x = pairs["spread"].to_numpy(dtype=np.float64)
        y = pairs["change"].to_numpy(dtype=np.float64)
        slope, intercept = np.polyfit(x, y, 1)
        expected_change = float(intercept + slope * spread_pp)
        probs, lam = _tilt(counts.astype(np.float64), p0, -expected_change / rule.step_pp)
    max_cuts = max(0, int(np.floor((rate_pp - rule.floor_pp) / rule.step_pp + 1e-9)))
    capacity = rule.max_per_meeting * n_meetings
    hi = min(max_cuts, capacity)
    lo = -capacity
    clipped = np.clip(counts, lo, max(hi, lo))
    grid = np.arange(int(clipped.min()), int(clipped.max()) + 1, dtype=np.int64)
    out = np.zeros(grid.size)
    np.add.at(out, clipped - grid[0], probs)
    beliefs = CutBeliefs(
        counts=grid,
        probs=out / out.sum(),
        weights=np.ones(n_meetings),
        max_per_meeting=rule.max_per_meeting,
    )
    info = BeliefInfo(
        spread_pp=float(spread_pp),
        expected_change_pp=expected_change,
        tilt=lam,
        n_pairs=int(pairs.shape[0]),
        expected_cuts=beliefs.expected_count,
    )
    return beliefs, info
