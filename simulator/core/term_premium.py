r"""Term-premium kernels: AR(1) mapped from monthly to business-day steps, events, drift.

TP_t = mu_tp + x_t + drift_t + events_t. The deviation x is AR(1) monthly with
persistence phi and innovation s.d. sigma_tp (pp); over k business days (21 a month)

    x_{t+k} = phi_d^k x_t + sd_k z,   phi_d = phi^(1/21),
    sd_k^2 = sigma_d^2 (1 - phi_d^(2k)) / (1 - phi_d^2)

with sigma_d from :func:`simulator.core.barrier.daily_sigma_from_monthly`, so the
stationary variance sigma_tp^2 / (1 - phi^2) is the same on every grid.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.core.barrier import daily_sigma_from_monthly

BDAYS_PER_MONTH = 21


def ar1_step(
    phi: ArrayLike, sigma_tp: ArrayLike, k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coefficient phi_d^k and innovation s.d. sd_k of a k-business-day AR(1) step.

    Stable as phi -> 1: the variance ratio is ``expm1(2 k l) / expm1(2 l)``,
    ``l = ln(phi)/21``, with limit k.

    Examples
    --------
    >>> c, s = ar1_step(0.9, 0.2, 21)
    >>> round(float(c), 6)
    0.9
    """
    phi_a = np.asarray(phi, dtype=np.float64)
    sigma_d = daily_sigma_from_monthly(sigma_tp, phi_a)
    l_d = np.full(phi_a.shape, -np.inf)
    np.log(phi_a, out=l_d, where=phi_a > 0)
    l_d /= BDAYS_PER_MONTH
    coef = np.exp(k * l_d)
    num, den = np.expm1(2 * k * l_d), np.expm1(2 * l_d)
    ratio = np.full(phi_a.shape, float(k))
    np.divide(num, den, out=ratio, where=den != 0)
    return coef, sigma_d * np.sqrt(ratio)


def event_effect(
    occurs: NDArray[np.bool_],
    onset_bday: NDArray[np.int64],
    size_pp: float,
    half_life_bdays: float | None,
    bday: int,
) -> NDArray[np.float64]:
    """Contribution of one shock event to TP on business day ``bday`` (index from as-of).

    size x 1[occurs and bday >= onset] x exp(-ln 2 (bday - onset) / half-life); a
    permanent shock when the half-life is None.
    """
    active = occurs & (bday >= onset_bday)
    if half_life_bdays is None:
        return np.where(active, size_pp, 0.0)
    age = np.maximum(bday - onset_bday, 0)
    return np.where(active, size_pp * np.exp(-math.log(2.0) * age / half_life_bdays), 0.0)


def seasonal_drift(
    bdays: NDArray[np.datetime64],
    drift_bp_by_month: ArrayLike,
    month_bdays: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Cumulative seasonal drift (pp) on consecutive business days, 0 at ``bdays[0]``.

    ``drift_bp_by_month`` has 12 entries (bp per calendar month, jan..dec), spread evenly
    over that month's ``month_bdays`` business days (the whole month's count, so a
    window starting mid-month accrues only its share); each day after the first accrues
    its month's daily rate.
    """
    drift = np.asarray(drift_bp_by_month, dtype=np.float64)
    month_idx = bdays.astype("datetime64[M]").astype(np.int64) % 12
    return spread_monthly_drift(drift[month_idx], month_bdays)


def spread_monthly_drift(
    per_month: NDArray[np.float64], month_bdays: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Cumulative drift on consecutive business days, 0 on the first: each day after the
    first accrues ``per_month / 100`` of its month (``per_month`` given per day, in bp for
    pp or in % for a fraction) over that month's ``month_bdays`` business days."""
    per_day = np.asarray(per_month, dtype=np.float64) / 100.0 / month_bdays
    per_day[0] = 0.0
    return np.asarray(np.cumsum(per_day), dtype=np.float64)
