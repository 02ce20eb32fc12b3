"""US Treasury bond kernels: coupon schedule, street-convention price, holding-period return.

Conventions (docs/bonds-and-touch.md):

- Semi-annual coupons on dates stepped back from maturity by 6 months; if the maturity
  is a month end every coupon date is a month end (end-of-month rule), otherwise the
  maturity's day of month, clamped to the month's length (Aug 30 -> Feb 28/29).
  Coupon dates are not business-day adjusted: accrual and discounting run on the
  nominal dates, as in the Treasury's own accrual and the street yield.
- ACT/ACT ICMA accrual: the accrued fraction of a period is actual days since the
  previous coupon over actual days in the period.
- Street convention yield: compound discounting at ``1 + y/2`` per period, including a
  fractional first period and the final period (the Treasury's "true yield" would use
  simple interest in the final period; the street convention is what Bloomberg's YAS
  and QuantLib's ``Compounded, Semiannual`` yield give).

Units: yields and coupons in percent (``_pp``), prices per 100 face, returns as fractions.
Dates are ``numpy.datetime64`` (day resolution), ``datetime.date`` or ISO strings; the
kernels vectorise over yields (paths), with the dates scalar.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import NamedTuple, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DateLike",
    "HoldingReturn",
    "ReinvestGrowth",
    "accrued_fraction",
    "accrued_interest",
    "bond_total_return",
    "breakeven_exit_yield",
    "clean_price",
    "coupon_schedule",
    "dirty_price",
    "holding_coupon_dates",
    "modified_duration",
    "par_bond_maturity",
    "par_coupon",
]

DateLike: TypeAlias = _dt.date | np.datetime64 | str
DateArray: TypeAlias = NDArray[np.datetime64]

#: Growth factors for reinvested coupons: an array ``growth[k, ...]`` (coupon k to exit)
#: or a callable taking the coupon dates and returning such an array.
ReinvestGrowth: TypeAlias = ArrayLike | Callable[[DateArray], ArrayLike]

FACE: float = 100.0
PERIODS_PER_YEAR: int = 2
_MONTHS_PER_PERIOD: int = 12 // PERIODS_PER_YEAR


def _day(value: DateLike) -> np.datetime64:
    """Coerce a date-like scalar to ``datetime64[D]``."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    array = np.asarray(value, dtype="datetime64[D]")
    if array.ndim != 0 or np.isnat(array):
        raise ValueError(f"expected one date, found {value!r}")
    # A 0-d index returns the numpy scalar; the stubs type it as an array.
    return cast(np.datetime64, array[()])


def _month_end(months: NDArray[np.datetime64]) -> DateArray:
    """Last day of each ``datetime64[M]`` month."""
    first_of_next = (months + np.timedelta64(1, "M")).astype("datetime64[D]")
    return np.asarray(first_of_next - np.timedelta64(1, "D"), dtype="datetime64[D]")


def _is_month_end(day: np.datetime64) -> bool:
    """Whether a day is the last day of its month."""
    return bool(
        (day + np.timedelta64(1, "D")).astype("datetime64[M]") != day.astype("datetime64[M]")
    )


def _shift_months(day: np.datetime64, months: NDArray[np.int64], end_of_month: bool) -> DateArray:
    """Dates ``months`` calendar months from ``day`` (month-end or clamped day of month)."""
    month = day.astype("datetime64[M]")
    targets = month + months.astype("timedelta64[M]")
    ends = _month_end(targets)
    if end_of_month:
        return ends
    day_offset = (day - month.astype("datetime64[D]")).astype(np.int64)
    return np.minimum(targets.astype("datetime64[D]") + day_offset, ends)


def coupon_schedule(settle: DateLike, maturity: DateLike) -> DateArray:
    """Semi-annual coupon dates from the last one on or before ``settle`` to maturity.

    Dates step back from ``maturity`` by 6 calendar months. If ``maturity`` is a month
    end all coupon dates are month ends (Treasury end-of-month rule: a note maturing
    2036-04-30 pays on Oct 31 and Apr 30); otherwise each date keeps the maturity's day
    of month, clamped to the month's length.

    Parameters
    ----------
    settle : DateLike
        Settlement date; must be before ``maturity``.
    maturity : DateLike
        Maturity date (the last coupon date).

    Returns
    -------
    numpy.ndarray of datetime64[D]
        ``[prev, next, ..., maturity]`` ascending, with ``prev <= settle < next``. Element
        0 is the previous coupon date (equal to ``settle`` when it is a coupon date).

    Examples
    --------
    >>> coupon_schedule("2026-03-02", "2027-01-31")
    array(['2026-01-31', '2026-07-31', '2027-01-31'], dtype='datetime64[D]')
    """
    settle_d, maturity_d = _day(settle), _day(maturity)
    if settle_d >= maturity_d:
        raise ValueError(f"settle {settle_d} must be before maturity {maturity_d}")
    month_gap = int(
        (maturity_d.astype("datetime64[M]") - settle_d.astype("datetime64[M]")).astype(np.int64)
    )
    # Enough periods to reach strictly before settle's month, so a previous date exists.
    periods_back = np.arange(month_gap // _MONTHS_PER_PERIOD + 2, dtype=np.int64)
    dates = _shift_months(maturity_d, -_MONTHS_PER_PERIOD * periods_back, _is_month_end(maturity_d))
    dates = dates[::-1]
    first = int(np.searchsorted(dates, settle_d, side="right")) - 1
    return dates[first:]


def accrued_fraction(
    settle: DateLike | DateArray,
    prev_coupon: DateLike | DateArray,
    next_coupon: DateLike | DateArray,
) -> NDArray[np.float64]:
    """ACT/ACT ICMA accrued fraction of the coupon period.

    ``a = days(prev_coupon, settle) / days(prev_coupon, next_coupon)``, actual days.

    Parameters
    ----------
    settle, prev_coupon, next_coupon : DateLike or array of datetime64[D]
        With ``prev_coupon <= settle <= next_coupon``; broadcast together.

    Returns
    -------
    numpy.ndarray
        Fraction in [0, 1].

    Examples
    --------
    >>> float(accrued_fraction("2026-04-15", "2026-01-15", "2026-07-15"))  # 90 / 181
    0.4972375690607735
    """
    s = np.asarray(settle, dtype="datetime64[D]")
    p = np.asarray(prev_coupon, dtype="datetime64[D]")
    n = np.asarray(next_coupon, dtype="datetime64[D]")
    elapsed = (s - p).astype(np.float64)
    period = (n - p).astype(np.float64)
    if np.any(period <= 0) or np.any(elapsed < 0) or np.any(elapsed > period):
        raise ValueError("need prev_coupon <= settle <= next_coupon and prev_coupon < next_coupon")
    return np.asarray(elapsed / period, dtype=np.float64)


class _Cashflows(NamedTuple):
    """Remaining cash-flow timing of a bond at a settlement date."""

    periods: NDArray[np.float64]  # t_k = k - 1 + f, in coupon periods
    accrued: float  # ACT/ACT ICMA accrued fraction of the current period
    dates: DateArray  # payment dates (next .. maturity)


def _cashflows(settle: DateLike, maturity: DateLike) -> _Cashflows:
    """Discount exponents t_k = k - 1 + f and the accrued fraction at ``settle``."""
    schedule = coupon_schedule(settle, maturity)
    prev, nxt = schedule[0], schedule[1]
    accrued = float(accrued_fraction(_day(settle), prev, nxt))
    first = float((nxt - _day(settle)).astype(np.int64)) / float((nxt - prev).astype(np.int64))
    periods = np.arange(schedule.size - 1, dtype=np.float64) + first
    return _Cashflows(periods=periods, accrued=accrued, dates=schedule[1:])


def _discount_factors(
    yield_pp: NDArray[np.float64], periods: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(1 + y/200)^(-t_k), shape ``yield_pp.shape + (n,)``; y must exceed -200."""
    if np.any(yield_pp <= -FACE * PERIODS_PER_YEAR):
        raise ValueError("yield_pp must be > -200 (one plus the semi-annual rate positive)")
    return np.exp(-np.log1p(yield_pp / (FACE * PERIODS_PER_YEAR))[..., None] * periods)


def _price_and_slope(
    yield_pp: NDArray[np.float64], coupon_pp: NDArray[np.float64], flows: _Cashflows
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Dirty price and dP/dy (per pp of yield)."""
    discount = _discount_factors(yield_pp, flows.periods)
    half_coupon = coupon_pp / PERIODS_PER_YEAR
    price = half_coupon * discount.sum(axis=-1) + FACE * discount[..., -1]
    weighted = (
        half_coupon * (discount @ flows.periods) + FACE * flows.periods[-1] * discount[..., -1]
    )
    slope = -weighted / (FACE * PERIODS_PER_YEAR + yield_pp)
    return price, slope


def price_timing(settle: DateLike, maturity: DateLike) -> tuple[int, float]:
    """``(n, f)`` of :func:`dirty_price`: coupons left after ``settle`` and the fraction of
    a period to the next one (the compiled engine prices with these two numbers)."""
    flows = _cashflows(settle, maturity)
    return int(flows.periods.size), float(flows.periods[0])


def dirty_price(
    yield_pp: ArrayLike, coupon_pp: ArrayLike, settle: DateLike, maturity: DateLike
) -> NDArray[np.float64]:
    r"""Dirty (full) price per 100 face, street convention.

    ::

        P = sum_{k=1}^{n} CF_k / (1 + y/200)^(k - 1 + f)
        f = days(settle, next) / days(prev, next)
        CF_k = c / 2 (k < n),   CF_n = c / 2 + 100

    Symbols: ``y`` = ``yield_pp`` (% a year, semi-annual compounding), ``c`` =
    ``coupon_pp`` (% of face a year), ``n`` = coupons left after ``settle``, ``prev`` /
    ``next`` = coupon dates around ``settle`` (:func:`coupon_schedule`). A coupon paid on
    ``settle`` itself belongs to the seller and is excluded.

    Parameters
    ----------
    yield_pp, coupon_pp : array_like
        Broadcast together (e.g. one per path).
    settle, maturity : DateLike
        Scalar dates, ``settle < maturity``.

    Returns
    -------
    numpy.ndarray
        Dirty price per 100 face, shape of the broadcast yields.

    Examples
    --------
    >>> round(float(dirty_price(4.0, 4.0, "2026-02-15", "2036-02-15")), 10)
    100.0
    """
    y, c = np.broadcast_arrays(
        np.asarray(yield_pp, dtype=np.float64), np.asarray(coupon_pp, dtype=np.float64)
    )
    if np.any(y <= -FACE * PERIODS_PER_YEAR):
        raise ValueError("yield_pp must be > -200 (one plus the semi-annual rate positive)")
    n, f = price_timing(settle, maturity)
    # Closed form of the same sum (a geometric series), O(1) per path instead of O(n):
    # sum_k v^(k-1+f) = v^f (1 - v^n) / (1 - v),  v = 1 / (1 + y/200)
    lv = np.log1p(y / (FACE * PERIODS_PER_YEAR))
    tiny = np.abs(lv) < 1e-12
    lv_safe = np.where(tiny, 1.0, lv)
    v_f = np.exp(-f * lv)
    annuity = np.where(tiny, n * v_f, v_f * np.expm1(-n * lv_safe) / np.expm1(-lv_safe))
    price = c / PERIODS_PER_YEAR * annuity + FACE * np.exp(-(n - 1 + f) * lv)
    return np.asarray(price, dtype=np.float64)


def accrued_interest(
    coupon_pp: ArrayLike, settle: DateLike, maturity: DateLike
) -> NDArray[np.float64]:
    """Accrued interest per 100 face: ``c / 2 * a`` with ``a`` the ACT/ACT ICMA fraction.

    Examples
    --------
    >>> round(float(accrued_interest(6.0, "2026-04-15", "2027-01-15")), 10)  # 3 * 90/181
    1.4917127072
    """
    flows = _cashflows(settle, maturity)
    return np.asarray(coupon_pp, dtype=np.float64) / PERIODS_PER_YEAR * flows.accrued


def clean_price(
    yield_pp: ArrayLike, coupon_pp: ArrayLike, settle: DateLike, maturity: DateLike
) -> NDArray[np.float64]:
    """Clean (quoted) price per 100 face: dirty price minus accrued interest.

    Examples
    --------
    >>> round(float(clean_price(4.0, 4.0, "2026-05-15", "2036-02-15")), 4)
    99.9951
    """
    return dirty_price(yield_pp, coupon_pp, settle, maturity) - accrued_interest(
        coupon_pp, settle, maturity
    )


def modified_duration(
    yield_pp: ArrayLike, coupon_pp: ArrayLike, settle: DateLike, maturity: DateLike
) -> NDArray[np.float64]:
    r"""Analytic modified duration in years.

    ::

        D = sum_k (t_k / 2) CF_k v^(t_k) / (P (1 + y/200)),   v = 1 / (1 + y/200)

    with ``t_k = k - 1 + f`` in periods (see :func:`dirty_price`), so that
    ``dP / dy_pp = -D P / 100`` (a 1pp rise in yield loses about ``D`` % of value).

    Examples
    --------
    >>> 8.0 < float(modified_duration(4.0, 4.0, "2026-02-15", "2036-02-15")) < 8.3
    True
    """
    y, c = np.broadcast_arrays(
        np.asarray(yield_pp, dtype=np.float64), np.asarray(coupon_pp, dtype=np.float64)
    )
    price, slope = _price_and_slope(y, c, _cashflows(settle, maturity))
    return -FACE * slope / price


def par_coupon(yield_pp: ArrayLike, settle: DateLike, maturity: DateLike) -> NDArray[np.float64]:
    r"""Coupon (%) that makes the clean price 100 at ``yield_pp``.

    The price is linear in the coupon, so with discount factors ``d_k = v^(t_k)`` and
    accrued fraction ``a``::

        c = 200 (1 - d_n) / (sum_k d_k - a)

    On a coupon date (``a = 0``) this is the yield itself.

    Examples
    --------
    >>> round(float(par_coupon(4.25, "2026-03-15", "2036-03-15")), 12)
    4.25
    """
    flows = _cashflows(settle, maturity)
    discount = _discount_factors(np.asarray(yield_pp, dtype=np.float64), flows.periods)
    annuity = discount.sum(axis=-1) - flows.accrued
    return FACE * PERIODS_PER_YEAR * (1.0 - discount[..., -1]) / annuity


def par_bond_maturity(entry: DateLike, tenor_years: int = 10) -> np.datetime64:
    """Maturity of a par bond issued at ``entry``: the same day ``tenor_years`` later.

    A month-end entry matures on a month end (so 2028-02-29 -> 2038-02-28 and the
    end-of-month rule applies); otherwise the day is clamped to the month's length. Either
    way ``entry`` is itself a date of the coupon schedule, so the first period is full.

    Examples
    --------
    >>> par_bond_maturity("2026-04-30")
    np.datetime64('2036-04-30')
    """
    entry_d = _day(entry)
    months = np.array([12 * tenor_years], dtype=np.int64)
    return np.datetime64(_shift_months(entry_d, months, _is_month_end(entry_d))[0], "D")


def holding_coupon_dates(entry: DateLike, exit_date: DateLike, tenor_years: int = 10) -> DateArray:
    """Coupon dates in ``(entry, exit_date]`` of the par bond bought at ``entry``.

    These are the dates for which :func:`bond_total_return` needs reinvestment growth
    factors, in this order.

    Examples
    --------
    >>> holding_coupon_dates("2026-03-02", "2027-03-02")
    array(['2026-09-02', '2027-03-02'], dtype='datetime64[D]')
    """
    entry_d, exit_d = _day(entry), _day(exit_date)
    maturity = par_bond_maturity(entry_d, tenor_years)
    if not entry_d <= exit_d < maturity:
        raise ValueError(f"need entry {entry_d} <= exit {exit_d} < maturity {maturity}")
    schedule = coupon_schedule(entry_d, maturity)
    return schedule[(schedule > entry_d) & (schedule <= exit_d)]


class HoldingReturn(NamedTuple):
    """Result of :func:`bond_total_return` (all arrays have the paths' shape)."""

    total_return: NDArray[np.float64]
    """Value at exit / 100 - 1, a fraction."""
    coupon_dates: DateArray
    """Coupon dates in (entry, exit]; axis 0 of the growth factors."""
    exit_dirty_price: NDArray[np.float64]
    """Dirty price at exit per 100 face."""
    coupon_value: NDArray[np.float64]
    """Coupons received, reinvested to exit, per 100 face."""
    maturity: np.datetime64
    """Maturity of the bond (entry + tenor)."""


def _reinvested_coupons(
    coupon_pp: NDArray[np.float64], coupon_dates: DateArray, reinvest_growth: ReinvestGrowth
) -> NDArray[np.float64]:
    """Sum over coupon dates of c/2 times the caller's growth factor to exit."""
    raw = reinvest_growth(coupon_dates) if callable(reinvest_growth) else reinvest_growth
    growth = np.asarray(raw, dtype=np.float64)
    n_coupons = coupon_dates.size
    if growth.ndim == 0:
        growth = np.full((n_coupons,), float(growth))
    if growth.shape[0] != n_coupons:
        raise ValueError(
            f"reinvest_growth has {growth.shape[0]} rows but the bond pays {n_coupons} "
            f"coupons in (entry, exit]: {coupon_dates.tolist()}"
        )
    if np.any(growth <= 0.0):
        raise ValueError("reinvest_growth factors must be > 0")
    growth_sum = growth.sum(axis=0) if n_coupons else np.zeros(growth.shape[1:])
    return np.asarray(coupon_pp / PERIODS_PER_YEAR * growth_sum, dtype=np.float64)


def bond_total_return(
    entry_yield_pp: ArrayLike,
    exit_yield_pp: ArrayLike,
    entry: DateLike,
    exit_date: DateLike,
    reinvest_growth: ReinvestGrowth,
    *,
    tenor_years: int = 10,
) -> HoldingReturn:
    r"""Total return of a par bond bought at ``entry`` and sold at ``exit_date``.

    The bond is issued at ``entry`` with coupon = entry yield and maturity ``entry +
    tenor_years`` (:func:`par_bond_maturity`), bought at 100. At exit::

        V = P_dirty(y_exit, c, exit, maturity) + sum_{k: entry < T_k <= exit} (c/2) G_k
        R = V / 100 - 1

    Symbols: ``c`` = ``entry_yield_pp``, ``y_exit`` = ``exit_yield_pp``, ``T_k`` = coupon
    dates (:func:`holding_coupon_dates`), ``G_k`` = ``reinvest_growth[k]``, the growth
    factor of one unit of cash from ``T_k`` to exit on the caller's short-rate path (1 for
    no interest; ``exp(integral of r)`` for a path). Roll-down is ignored: ``y_exit`` is
    the yield of the 9.x-year bond at exit. A coupon due on a weekend is treated as paid
    on its nominal date (the caller's growth factor may start on the next business day).

    Parameters
    ----------
    entry_yield_pp : array_like
        Yield at entry in % (the coupon), e.g. one per path, shape ``S``.
    exit_yield_pp : array_like
        Yield at exit in % for the remaining maturity, broadcast with ``entry_yield_pp``.
    entry, exit_date : DateLike
        Scalar dates with ``entry <= exit_date < maturity``.
    reinvest_growth : array_like or callable
        Growth factors with shape ``(k,) + S`` (or broadcastable; a scalar applies to
        every coupon), row ``k`` for the ``k``-th date of
        ``holding_coupon_dates(entry, exit_date, tenor_years)``. A callable receives those
        dates and returns such an array, so callers need not precompute them.
    tenor_years : int, default 10
        Original maturity of the bond.

    Returns
    -------
    HoldingReturn
        ``total_return`` (fraction), ``coupon_dates``, ``exit_dirty_price``,
        ``coupon_value``, ``maturity``.

    Examples
    --------
    >>> rng = np.random.default_rng(7)
    >>> entry_y = 4.0 + 0.1 * rng.standard_normal(3)
    >>> res = bond_total_return(entry_y, entry_y, "2026-03-15", "2026-09-15", 1.0)
    >>> bool(np.allclose(res.total_return, entry_y / 200))
    True
    """
    entry_d, exit_d = _day(entry), _day(exit_date)
    coupon_dates = holding_coupon_dates(entry_d, exit_d, tenor_years)
    maturity = par_bond_maturity(entry_d, tenor_years)
    coupon, exit_y = np.broadcast_arrays(
        np.asarray(entry_yield_pp, dtype=np.float64), np.asarray(exit_yield_pp, dtype=np.float64)
    )
    exit_price = dirty_price(exit_y, coupon, exit_d, maturity)
    coupon_value = np.broadcast_to(
        _reinvested_coupons(coupon, coupon_dates, reinvest_growth), exit_price.shape
    )
    value = exit_price + coupon_value
    return HoldingReturn(
        total_return=value / FACE - 1.0,
        coupon_dates=coupon_dates,
        exit_dirty_price=exit_price,
        coupon_value=np.array(coupon_value),
        maturity=maturity,
    )


def breakeven_exit_yield(
    entry_yield_pp: ArrayLike,
    entry: DateLike,
    exit_date: DateLike,
    reinvest_growth: ReinvestGrowth,
    target_return: ArrayLike,
    *,
    tenor_years: int = 10,
    tol_pp: float = 1e-12,
    max_iter: int = 100,
) -> NDArray[np.float64]:
    r"""Exit yield at which the bond's total return equals ``target_return``.

    Solves, per path, ``P_dirty(y, c, exit, maturity) = 100 (1 + R*) - C`` for ``y``,
    where ``C`` is the reinvested coupon value of :func:`bond_total_return` (the carry,
    fixed by ``reinvest_growth``) and ``R*`` = ``target_return`` (e.g. the cash
    alternative's return over the same dates). Unhedged; for a hedged comparison pass the
    target plus the hedge cost as a return.

    Vectorised Newton on the price with the analytic slope. The price is decreasing and
    convex in ``y``, so after the first step every iterate lies at or below the root and
    rises monotonically to it; steps that would leave ``y > -200`` are halved toward it.

    Parameters
    ----------
    entry_yield_pp : array_like
        Entry yield = coupon, %, shape ``S``.
    entry, exit_date : DateLike
        As in :func:`bond_total_return`.
    reinvest_growth : array_like or callable
        As in :func:`bond_total_return`.
    target_return : array_like
        Target total return (fraction), broadcast with ``entry_yield_pp``.
    tenor_years : int, default 10
        Original maturity of the bond.
    tol_pp : float, default 1e-12
        Convergence tolerance on the Newton step, pp (relative to ``1 + |y|``).
    max_iter : int, default 100
        Iteration cap; exceeding it raises rather than returning an unconverged value.

    Returns
    -------
    numpy.ndarray
        Breakeven exit yield in %. ``+inf`` where the coupons alone already reach the
        target (the bond beats it at any exit yield).

    Raises
    ------
    RuntimeError
        If Newton has not converged after ``max_iter`` iterations.

    Examples
    --------
    >>> float(breakeven_exit_yield(4.0, "2026-03-15", "2026-09-15", 1.0, 0.02))
    4.0
    """
    entry_d, exit_d = _day(entry), _day(exit_date)
    coupon_dates = holding_coupon_dates(entry_d, exit_d, tenor_years)
    maturity = par_bond_maturity(entry_d, tenor_years)
    coupon, target = np.broadcast_arrays(
        np.asarray(entry_yield_pp, dtype=np.float64), np.asarray(target_return, dtype=np.float64)
    )
    carry = _reinvested_coupons(coupon, coupon_dates, reinvest_growth)
    coupon, target, carry = np.broadcast_arrays(coupon, target, carry)
    price_needed = FACE * (1.0 + target) - carry
    solvable = price_needed > 0.0
    flows = _cashflows(exit_d, maturity)
    floor = -FACE * PERIODS_PER_YEAR

    y = np.array(coupon, dtype=np.float64)
    for _ in range(max_iter):
        price, slope = _price_and_slope(y, coupon, flows)
        step = np.where(solvable, (price - price_needed) / slope, 0.0)
        candidate = y - step
        # Keep 1 + y/200 > 0: halve the distance to the floor instead of crossing it.
        y_next = np.where(candidate > floor, candidate, 0.5 * (y + floor))
        done = np.abs(y_next - y) <= tol_pp * (1.0 + np.abs(y_next))
        y = y_next
        if np.all(done):
            return np.where(solvable, y, np.inf)
    raise RuntimeError(f"breakeven_exit_yield: Newton did not converge in {max_iter} iterations")
