r"""Realised outcomes and random-walk benchmarks for the daily backtest (touch and hold).

Window rule (origins are month ends). For an origin date ``t0`` and a
horizon of ``h`` months the window is the set of business-day closes dated

    t0 < date <= window_end(t0, h) = last calendar day of month(t0) + h

so a window of ``h`` months ends at the last close of month ``origin + h`` whatever the
day of month of ``t0``. The data (or the simulated dates) *cover* the window when the
business day after their last date lies beyond the window end (no close of the window
can still be missing; a holiday on the last weekday of a month would also count as
missing, which only matters at the very end of the data). Closes that are NaN
(holidays in the H.15 file) are skipped.

Touch event: the 10y closes *at or beyond* ``L = y0 + offset`` at least once in the
window: ``close <= L`` for a negative offset, ``close >= L`` for a positive one (a zero
offset counts as touched). The comparison allows ``TOUCH_TOLERANCE_PP`` so that a close
printed as 3.80 touches ``4.30 - 0.50`` despite binary rounding.

Hold return: a par 10-year bought at the origin close (coupon = the close, issue date =
``t0``, :func:`simulator.core.bonds.par_bond_maturity`), sold at the last close of the
window at the realised 10y close (roll-down ignored, as in
:func:`simulator.core.bonds.bond_total_return`). Coupons are reinvested from their
nominal date to exit by daily act/360 compounding, ``G = prod_days (1 + r_d / 36000)``,
with ``r_d`` the 3-month bill (DGS3MO, %) of the last close on or before day ``d``
(weekends and holidays carry the previous close).

Units: yields and offsets in percent (pp), returns as fractions, ``sd_monthly`` in pp
per month.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from simulator.backtest.scenario import TOUCH_OFFSETS_PP
from simulator.core.barrier import (
    BUSINESS_DAYS_PER_YEAR,
    bgk_shifted_level,
    bridge_sigma,
    first_passage_probability,
)
from simulator.core.bonds import bond_total_return, holding_coupon_dates

__all__ = [
    "DEFAULT_HORIZONS",
    "RW_QUANTILES",
    "TOUCH_TOLERANCE_PP",
    "hold_exit_date",
    "model_hold_returns",
    "realised_hold_return",
    "rw_hold_returns",
    "rw_touch_probability",
    "touch_forecast",
    "touch_outcomes",
    "window_end",
    "window_mask",
]

FloatArray = NDArray[np.float64]

DEFAULT_HORIZONS: tuple[int, ...] = (1, 3, 6, 12)
#: Slack of the at-or-beyond comparison, pp (H.15 closes have 2 decimals).
TOUCH_TOLERANCE_PP: float = 1e-9
#: Normal quantiles of the deterministic random-walk sample of hold returns.
RW_QUANTILES: int = 1000
_DAYS_PER_YEAR_MONEY_MARKET: float = 360.0


def window_end(origin: pd.Timestamp, h: int) -> pd.Timestamp:
    """Last calendar day of the month ``h`` months after the origin's month.

    Examples
    --------
    >>> window_end(pd.Timestamp("2020-01-31"), 1)
    Timestamp('2020-02-29 00:00:00')
    """
    month = np.datetime64(pd.Timestamp(origin).date(), "M") + np.timedelta64(h + 1, "M")
    return pd.Timestamp(month.astype("datetime64[D]") - np.timedelta64(1, "D"))


def _covers(last_date: np.datetime64, end: pd.Timestamp) -> bool:
    """Whether dates running to ``last_date`` include every business day up to ``end``."""
    last = np.asarray(last_date, dtype="datetime64[D]")
    next_business = np.busday_offset(last, 1, roll="forward")
    return bool(next_business > np.asarray(end.date(), dtype="datetime64[D]"))


def window_mask(dates: ArrayLike, origin: pd.Timestamp, h: int) -> NDArray[np.bool_] | None:
    """Which ``dates`` fall in the h-month window of ``origin`` (module docstring).

    Returns
    -------
    numpy.ndarray of bool or None
        The mask, or None when the dates do not run to the window's end. The dates are
        taken to start no later than the first close after ``origin`` (true of the
        H.15 file and of the simulated dates).

    Examples
    --------
    >>> dates = pd.bdate_range("2020-01-30", "2020-03-02")
    >>> window_mask(dates, pd.Timestamp("2020-01-31"), 1).sum()  # 2020-02-03 .. 02-28
    np.int64(20)
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    end = window_end(origin, h)
    if days.size == 0 or not _covers(days.max(), end):
        return None
    start = np.datetime64(pd.Timestamp(origin).date(), "D")
    return np.asarray((days > start) & (days <= np.datetime64(end.date(), "D")))


def _touched(values: FloatArray, level: float, offset: float) -> NDArray[np.bool_]:
    """At-or-beyond comparison along the last axis (NaN closes never touch)."""
    if offset < 0.0:
        hit = values <= level + TOUCH_TOLERANCE_PP
    elif offset > 0.0:
        hit = values >= level - TOUCH_TOLERANCE_PP
    else:
        hit = np.ones(values.shape, dtype=bool)
    return np.asarray(np.any(hit, axis=-1))


def _touch_table(
    values: FloatArray,
    dates: ArrayLike,
    origin: pd.Timestamp,
    y0: float,
    offsets_pp: Sequence[float],
    horizons: Sequence[int],
) -> FloatArray:
    """Mean touch frequency over axis 0 of ``values`` (P, D), per offset and horizon."""
    out = np.full((len(offsets_pp), len(horizons)), np.nan)
    for j, h in enumerate(horizons):
        mask = window_mask(dates, origin, h)
        if mask is None:
            continue
        inside = values[:, mask]
        if not np.any(np.isfinite(inside)):
            continue
        for i, offset in enumerate(offsets_pp):
            out[i, j] = float(np.mean(_touched(inside, y0 + offset, offset)))
    return out


def touch_outcomes(
    closes: pd.Series,
    origin: pd.Timestamp,
    y0: float,
    offsets_pp: Sequence[float] = TOUCH_OFFSETS_PP,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
) -> FloatArray:
    """Realised touch flags of the 10y on daily closes (module docstring for the rule).

    Parameters
    ----------
    closes : pandas.Series
        Daily 10y closes (%) on a sorted ``DatetimeIndex`` (e.g. ``load_series("dgs10",
        data_dir)``); NaN closes are skipped.
    origin : pandas.Timestamp
        Origin date (a month end); closes on or before it are not in any window.
    y0 : float
        The origin close, %.
    offsets_pp, horizons : sequences
        Barrier offsets from ``y0`` (pp) and window lengths (months).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(offsets_pp), len(horizons))``: 1.0 touched, 0.0 not, NaN where the
        data do not cover the window.

    Examples
    --------
    >>> idx = pd.bdate_range("2020-02-03", "2020-03-31")
    >>> s = pd.Series(4.0 - 0.02 * np.arange(idx.size), index=idx)
    >>> touch_outcomes(s, pd.Timestamp("2020-01-31"), 4.0, [-0.5], [1, 2])
    array([[0., 1.]])
    """
    values = closes.to_numpy(dtype=np.float64)[None, :]
    return _touch_table(values, closes.index, origin, y0, offsets_pp, horizons)


def touch_forecast(
    paths: ArrayLike,
    dates: ArrayLike,
    origin: pd.Timestamp,
    y0: float,
    offsets_pp: Sequence[float] = TOUCH_OFFSETS_PP,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
) -> FloatArray:
    """Touch probabilities from simulated daily closes, with the rule of :func:`touch_outcomes`.

    Parameters
    ----------
    paths : array_like
        Simulated 10y closes, %, shape ``(P, D)``.
    dates : array_like
        The ``D`` business dates of the columns, ascending.
    origin, y0, offsets_pp, horizons
        As in :func:`touch_outcomes`.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(offsets_pp), len(horizons))``: share of the ``P`` paths that touch;
        NaN where ``dates`` do not cover the window.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.bdate_range("2020-02-03", periods=300)
    >>> paths = 4.0 + np.cumsum(0.05 * rng.standard_normal((200, 300)), axis=1)
    >>> p = touch_forecast(paths, dates, pd.Timestamp("2020-01-31"), 4.0)
    >>> p.shape, bool(np.all((p >= 0) & (p <= 1)))
    ((3, 4), True)
    """
    values = np.asarray(paths, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != np.asarray(dates).shape[0]:
        raise ValueError(f"paths must be (P, D) with D = len(dates); found {values.shape}")
    return _touch_table(values, dates, origin, y0, offsets_pp, horizons)


def rw_touch_probability(
    y0: ArrayLike, sd_monthly: ArrayLike, offset: ArrayLike, h: ArrayLike, n_days: ArrayLike
) -> FloatArray:
    r"""Touch probability of the driftless random walk on daily closes (closed form + BGK).

    The benchmark's 10y is a Gaussian random walk with monthly s.d. ``s``. Spread over
    the ``n`` closes of the window so that the last close has the level forecast's law
    ``N(y0, s^2 h)``, each close steps with s.d. ``sigma_d = s sqrt(h / n)`` (pp per
    business day; ``n = 21 h`` gives the usual ``s sqrt(12/252)``). The probability that
    one of the ``n`` closes is at or beyond ``L = y0 + offset`` is the continuous first
    passage (:func:`simulator.core.barrier.first_passage_probability`, zero drift, ``T
    = n / 252`` years, ``sigma = sigma_d sqrt(252)``) to the level moved deeper by the
    Broadie-Glasserman-Kou term (:func:`simulator.core.barrier.bgk_shifted_level`, one
    business day between closes).

    Parameters
    ----------
    y0 : array_like
        Origin close, %.
    sd_monthly : array_like
        Random-walk s.d. per month, pp (RMS of the trailing 120 monthly changes).
    offset : array_like
        Barrier offset from ``y0``, pp.
    h : array_like
        Window length, months.
    n_days : array_like
        Closes in the window (business days), > 0.

    Returns
    -------
    numpy.ndarray
        Probabilities, broadcast over the inputs (1 where ``offset == 0``).

    Examples
    --------
    >>> p = rw_touch_probability(4.0, 0.25, -0.5, 12, 252)
    >>> 0.5 < float(p) < 0.6  # 2 Phi(-0.5 / 0.866) = 0.56 continuous, less discretely
    True
    """
    y0_a = np.asarray(y0, dtype=np.float64)
    n = np.asarray(n_days, dtype=np.float64)
    if np.any(n <= 0.0):
        raise ValueError("n_days must be > 0")
    sigma_d = np.asarray(sd_monthly, dtype=np.float64) * np.sqrt(np.asarray(h, np.float64) / n)
    sigma = bridge_sigma(sigma_d)
    level = bgk_shifted_level(y0_a + np.asarray(offset, np.float64), y0_a, sigma)
    return first_passage_probability(y0_a, level, 0.0, sigma, n / BUSINESS_DAYS_PER_YEAR)


def hold_exit_date(closes: pd.Series, origin: pd.Timestamp, h: int) -> pd.Timestamp | None:
    """Date of the last non-NaN close of the h-month window, or None if not covered."""
    mask = window_mask(closes.index, origin, h)
    if mask is None:
        return None
    valid = mask & np.isfinite(closes.to_numpy(dtype=np.float64))
    if not np.any(valid):
        return None
    return pd.Timestamp(closes.index[np.flatnonzero(valid)[-1]])


def _bill_growth(
    bill_closes: pd.Series, coupon_dates: NDArray[np.datetime64], exit_date: pd.Timestamp
) -> FloatArray:
    """Daily act/360 growth of one unit from each coupon date to exit at the bill's closes."""
    coupons = np.asarray(coupon_dates, dtype="datetime64[D]")
    first = coupons.min()
    # Calendar days first .. exit - 1 (none when the only coupon is paid on the exit day).
    days = pd.date_range(pd.Timestamp(first), exit_date, inclusive="left")
    bill = bill_closes.dropna()
    rates = bill.reindex(bill.index.union(days)).ffill().reindex(days).to_numpy(np.float64)
    log_growth = np.log1p(rates / (100.0 * _DAYS_PER_YEAR_MONEY_MARKET))
    # Growth from day k to exit = exp(sum of the log growth of days k .. exit - 1).
    tail = np.concatenate([np.cumsum(log_growth[::-1])[::-1], [0.0]])
    return np.asarray(np.exp(tail[(coupons - first).astype(np.int64)]), dtype=np.float64)


def realised_hold_return(
    y10_closes: pd.Series, bill_closes: pd.Series, origin_date: pd.Timestamp, h: int
) -> float:
    """Realised h-month total return of the par 10-year bought at the origin close.

    Entry: issue date ``origin_date``, coupon = the last 10y close on or before it.
    Exit: the last close of the window (:func:`hold_exit_date`) at that close's yield.
    Coupons paid in ``(origin_date, exit]`` grow to exit at the daily 3-month bill, act/360
    (module docstring).

    Parameters
    ----------
    y10_closes, bill_closes : pandas.Series
        Daily DGS10 and DGS3MO closes, %, on sorted ``DatetimeIndex`` es.
    origin_date : pandas.Timestamp
        Origin (a month end).
    h : int
        Holding period, months (1-12).

    Returns
    -------
    float
        Total return as a fraction; NaN when the 10y data do not cover the window, or
        no bill close precedes a coupon date that needs one.

    Examples
    --------
    >>> idx = pd.bdate_range("2020-01-01", "2020-03-31")
    >>> y = pd.Series(2.0, index=idx)
    >>> r = realised_hold_return(y, y, pd.Timestamp("2020-01-31"), 1)
    >>> round(r, 12) == round(1.01 ** (28 / 182) - 1, 12)  # accrued to Fri 2020-02-28
    True
    """
    origin_date = pd.Timestamp(origin_date)
    entry = y10_closes.loc[:origin_date].dropna()
    exit_date = hold_exit_date(y10_closes, origin_date, h)
    if entry.empty or exit_date is None:
        return float("nan")
    y0 = float(entry.iloc[-1])
    coupons = holding_coupon_dates(origin_date.date(), exit_date.date())
    growth = np.ones(0)
    if coupons.size:
        growth = _bill_growth(bill_closes, coupons, exit_date)
        if not np.all(np.isfinite(growth)):
            return float("nan")
    res = bond_total_return(
        y0, float(y10_closes.loc[exit_date]), origin_date.date(), exit_date.date(), growth
    )
    return float(res.total_return)


def model_hold_returns(
    y0: float,
    exit_yields: ArrayLike,
    origin_date: pd.Timestamp,
    exit_date: pd.Timestamp,
    reinvest_rate_pp: float,
) -> FloatArray:
    """Hold returns of the par 10-year for simulated exit yields (same maths as realised).

    Coupons are reinvested at a flat rate (e.g. the origin's 3-month bill) with the
    realised side's daily act/360 compounding, ``G = (1 + r / 36000)^days``. Over at most
    12 months (one or two coupons) the rate path changes the return by a few bp at most,
    so the flat rate is not simulated.

    Parameters
    ----------
    y0 : float
        Origin close = coupon, %.
    exit_yields : array_like
        Simulated 10y yields at exit, %, shape ``(P,)``.
    origin_date, exit_date : pandas.Timestamp
        Entry (issue) date and exit date; pass the realised exit close's date
        (:func:`hold_exit_date`) so both sides accrue over the same days.
    reinvest_rate_pp : float
        Flat reinvestment rate, %.

    Returns
    -------
    numpy.ndarray
        Total returns (fractions), shape ``(P,)``.

    Examples
    --------
    >>> r = model_hold_returns(4.0, np.array([4.0, 5.0]), pd.Timestamp("2020-01-31"),
    ...                        pd.Timestamp("2020-07-31"), 1.5)
    >>> bool(r[0] > r[1])
    True
    """
    entry, exit_ = pd.Timestamp(origin_date).date(), pd.Timestamp(exit_date).date()
    coupons = holding_coupon_dates(entry, exit_)
    days = (np.asarray(exit_, dtype="datetime64[D]") - coupons).astype(np.float64)
    growth = (1.0 + reinvest_rate_pp / (100.0 * _DAYS_PER_YEAR_MONEY_MARKET)) ** days
    res = bond_total_return(y0, np.asarray(exit_yields, np.float64), entry, exit_, growth[:, None])
    return np.asarray(res.total_return, dtype=np.float64)


def rw_hold_returns(
    y0: float,
    sd_monthly: float,
    h: int,
    origin_date: pd.Timestamp,
    exit_date: pd.Timestamp,
    reinvest_rate_pp: float,
    n_quantiles: int = RW_QUANTILES,
) -> FloatArray:
    """Random-walk sample of hold returns: ``N(y0, s^2 h)`` exit yields through the bond maths.

    The exit yields are the ``n_quantiles`` mid-point normal quantiles
    ``y0 + s sqrt(h) Phi^-1((k + 1/2) / n)``, a deterministic sample (no seed), passed to
    :func:`model_hold_returns`.

    Examples
    --------
    >>> r = rw_hold_returns(4.0, 0.25, 6, pd.Timestamp("2020-01-31"),
    ...                     pd.Timestamp("2020-07-31"), 1.5)
    >>> r.shape
    (1000,)
    """
    u = (np.arange(n_quantiles) + 0.5) / n_quantiles
    exit_yields = y0 + sd_monthly * math.sqrt(h) * stats.norm.ppf(u)
    return model_hold_returns(y0, exit_yields, origin_date, exit_date, reinvest_rate_pp)
