"""Monthly history for the fit, the as-of snapshot, and what the window has already shown.

Every value here passes the look-ahead guard (:func:`simulator.data.loaders.available_on`):
a row is used only if it was public on the as-of date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd

from simulator.data.calendar import fomc_decisions, month_ends, next_business_day
from simulator.data.loaders import (
    DataError,
    DateLike,
    PathLike,
    as_timestamp,
    available_on,
    load_series,
)
from simulator.data.registry import SERIES

MODEL_SERIES: tuple[str, ...] = (
    "dgs10",
    "dgs2",
    "dgs3mo",
    "dff",
    "target_upper",
    "target_lower",
    "core_pce",
    "acm_tp10",
    "fomc",
)
"""The series a fitted run reads (its provenance hash); the FX series are not among them."""

__all__ = [
    "HISTORY_COLUMNS",
    "MODEL_SERIES",
    "TARGET_RANGE_START",
    "Snapshot",
    "WindowObservations",
    "monthly_history",
    "snapshot",
    "window_observations",
]

logger = logging.getLogger(__name__)

TARGET_RANGE_START = pd.Timestamp("2008-12-16")
"""First day of the federal funds target range; before it the policy rate is DFF."""

HISTORY_COLUMNS: tuple[str, ...] = ("y10", "policy_rate", "core_pce_yoy", "acm_tp")


def _available(name: str, data_dir: PathLike, as_of: pd.Timestamp) -> pd.Series:
    """Load a series and keep the rows public on ``as_of``, dropping missing values."""
    return available_on(load_series(name, data_dir), SERIES[name], as_of).dropna()


def _monthly_last(series: pd.Series) -> pd.Series:
    """Last value of each calendar month, indexed by the month-end timestamp."""
    if series.empty:
        return pd.Series(dtype=np.float64, index=pd.DatetimeIndex([], name="date"))
    months = pd.DatetimeIndex(series.index).to_period("M")
    last = series.groupby(months).last()
    index = pd.PeriodIndex(last.index).to_timestamp(how="end").normalize().as_unit("ns")
    return pd.Series(last.to_numpy(dtype=np.float64), index=pd.DatetimeIndex(index, name="date"))


def _target_midpoint(data_dir: PathLike, as_of: pd.Timestamp) -> pd.Series:
    """Target-range midpoint on the days both bounds are public."""
    upper = _available("target_upper", data_dir, as_of)
    lower = _available("target_lower", data_dir, as_of)
    mid = ((upper + lower) / 2.0).dropna()
    return mid.rename("policy_rate")


def _core_pce_yoy(data_dir: PathLike, as_of: pd.Timestamp) -> pd.Series:
    """Core PCE y/y in % (100 (I_t / I_{t-12} - 1)), indexed by month end, as public on as_of."""
    index = _available("core_pce", data_dir, as_of)
    periods = pd.DatetimeIndex(index.index).to_period("M")
    level = pd.Series(index.to_numpy(dtype=np.float64), index=periods)
    year_ago = level.reindex(periods - 12).to_numpy()
    yoy = 100.0 * (level.to_numpy() / year_ago - 1.0)
    stamps = periods.to_timestamp(how="end").normalize().as_unit("ns")
    return pd.Series(yoy, index=pd.DatetimeIndex(stamps, name="date"), name="core_pce_yoy").dropna()


def _last_complete_month(as_of: pd.Timestamp) -> pd.Timestamp:
    """Month end of the last month whose final business-day 10y close is public on as_of."""
    lag = pd.Timedelta(days=SERIES["dgs10"].publication_lag_days)
    month = as_of.to_period("M")
    while True:
        start = month.to_timestamp(how="start")
        end = month.to_timestamp(how="end").normalize()
        last_bday = pd.Timestamp(month_ends(start, end)[-1])
        if last_bday + lag <= as_of:
            return end.as_unit("ns")
        month -= 1


def monthly_history(
    data_dir: PathLike, as_of: DateLike, start: DateLike = "1990-01"
) -> pd.DataFrame:
    """Build the monthly data set the model is fitted to, as known on the as-of date.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Data folder (layout of ``shared/data``).
    as_of : date-like
        Forecast date; only values public on that day are used.
    start : date-like, default "1990-01"
        First month.

    Returns
    -------
    pandas.DataFrame
        Index ``date``: calendar month-end timestamps from ``start`` to the last month
        whose last business-day 10y close is public on ``as_of`` (complete months only).
        Columns, in %:

        - ``y10``: last DGS10 close of the month;
        - ``policy_rate``: target-range midpoint at the month's last public day for
          months ending on or after 2008-12-16, the month's last public DFF before;
        - ``core_pce_yoy``: 100 (I_t / I_{t-12} - 1) of the core PCE index;
        - ``acm_tp``: ACM 10-year term premium.

        A value not yet public on ``as_of`` (core PCE of the last month or two, ACM
        after its last release) is NaN. Units are in ``attrs["units"]``.

    Raises
    ------
    DataError
        If a file is missing or malformed.

    Examples
    --------
    >>> h = monthly_history("/work/shared/data", "2026-01-20")  # doctest: +SKIP
    >>> h.index[-1].date()  # doctest: +SKIP
    datetime.date(2025, 12, 31)
    """
    cutoff = as_timestamp(as_of)
    first = pd.Timestamp(start).to_period("M").to_timestamp(how="end").normalize()
    last = _last_complete_month(cutoff)
    index = pd.date_range(first, last, freq="ME", name="date").as_unit("ns")

    y10 = _monthly_last(_available("dgs10", data_dir, cutoff)).reindex(index)
    dff = _monthly_last(_available("dff", data_dir, cutoff)).reindex(index)
    mid = _monthly_last(_target_midpoint(data_dir, cutoff)).reindex(index)
    policy = dff.where(index < TARGET_RANGE_START, mid)
    pce = _core_pce_yoy(data_dir, cutoff).reindex(index)
    acm = _monthly_last(_available("acm_tp10", data_dir, cutoff)).reindex(index)

    frame = pd.DataFrame(
        {"y10": y10, "policy_rate": policy, "core_pce_yoy": pce, "acm_tp": acm},
        index=index,
        dtype=np.float64,
    )
    frame.attrs["units"] = dict.fromkeys(HISTORY_COLUMNS, "percent")
    frame.attrs["as_of"] = cutoff.strftime("%Y-%m-%d")
    logger.debug("monthly history %s..%s as of %s", first.date(), last.date(), cutoff.date())
    return frame


class Snapshot(TypedDict):
    """Latest public values on the as-of date (see :func:`snapshot`)."""

    as_of: pd.Timestamp
    y10: float
    y10_date: pd.Timestamp
    y2: float
    y2_date: pd.Timestamp | None
    target_lower: float
    target_upper: float
    target_date: pd.Timestamp | None
    policy_rate: float
    policy_rate_date: pd.Timestamp
    policy_rate_source: str
    dff: float
    dff_date: pd.Timestamp
    core_pce_yoy: float
    core_pce_month: str
    acm_tp: float
    acm_tp_month: str
    acm_tp_date: pd.Timestamp


def _last(series: pd.Series, what: str, as_of: pd.Timestamp) -> tuple[float, pd.Timestamp]:
    """Last value and date of a non-empty series."""
    if series.empty:
        raise DataError(f"no {what} value is public on or before {as_of.date()}")
    return float(series.iloc[-1]), pd.Timestamp(series.index[-1])


def snapshot(data_dir: PathLike, as_of: DateLike) -> Snapshot:
    """Return the latest values public on the as-of date, with their dates.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Data folder.
    as_of : date-like
        Forecast date.

    Returns
    -------
    Snapshot
        A dict: ``y10`` / ``y10_date`` (last DGS10 close), ``y2`` / ``y2_date`` (last
        DGS2 close; NaN / None when none is public), ``target_lower`` /
        ``target_upper`` / ``target_date`` (NaN / None before 2008-12-16),
        ``policy_rate`` (target midpoint, or DFF before the range existed) with its
        date and ``policy_rate_source`` (``"target_midpoint"`` or ``"dff"``), ``dff``,
        ``core_pce_yoy`` with ``core_pce_month`` ("YYYY-MM"), ``acm_tp`` with
        ``acm_tp_month`` and ``acm_tp_date``. Rates in %.

    Raises
    ------
    DataError
        If a file is missing or malformed, or a series has no value public by then.

    Examples
    --------
    >>> s = snapshot("/work/shared/data", "2026-01-20")  # doctest: +SKIP
    >>> s["core_pce_month"]  # doctest: +SKIP
    '2025-11'
    """
    cutoff = as_timestamp(as_of)
    y10, y10_date = _last(_available("dgs10", data_dir, cutoff), "10y yield (dgs10)", cutoff)
    y2_series = _available("dgs2", data_dir, cutoff).dropna()
    y2, y2_date = (
        _last(y2_series, "2y yield (dgs2)", cutoff) if not y2_series.empty else (float("nan"), None)
    )
    dff, dff_date = _last(_available("dff", data_dir, cutoff), "fed funds (dff)", cutoff)
    upper = _available("target_upper", data_dir, cutoff)
    lower = _available("target_lower", data_dir, cutoff)
    both = pd.concat([lower, upper], axis=1, keys=["lower", "upper"]).dropna()
    if both.empty:
        target_lower = target_upper = float("nan")
        target_date: pd.Timestamp | None = None
        policy, policy_date, source = dff, dff_date, "dff"
    else:
        target_lower = float(both["lower"].iloc[-1])
        target_upper = float(both["upper"].iloc[-1])
        target_date = pd.Timestamp(both.index[-1])
        policy, policy_date, source = (
            (target_lower + target_upper) / 2.0,
            target_date,
            "target_midpoint",
        )
    pce, pce_month = _last(_core_pce_yoy(data_dir, cutoff), "core PCE y/y", cutoff)
    acm_raw = _available("acm_tp10", data_dir, cutoff)
    acm, acm_date = _last(acm_raw, "ACM term premium", cutoff)
    return Snapshot(
        as_of=cutoff,
        y10=y10,
        y10_date=y10_date,
        y2=y2,
        y2_date=y2_date,
        target_lower=target_lower,
        target_upper=target_upper,
        target_date=target_date,
        policy_rate=policy,
        policy_rate_date=policy_date,
        policy_rate_source=source,
        dff=dff,
        dff_date=dff_date,
        core_pce_yoy=pce,
        core_pce_month=pce_month.strftime("%Y-%m"),
        acm_tp=acm,
        acm_tp_month=acm_date.strftime("%Y-%m"),
        acm_tp_date=acm_date,
    )


@dataclass(frozen=True)
class WindowObservations:
    """What the window has already shown on the as-of date (see :func:`window_observations`).

    Attributes
    ----------
    decisions : pandas.DataFrame
        One row per FOMC decision observed in the window, index ``date`` (decision day),
        columns ``effective_date``, ``scheduled``, ``projections``, ``assumed`` (bool)
        and ``change_bp``: the change of the target midpoint it caused, in bp, signed,
        0 for a hold (midpoint on the effective date minus midpoint the day before the
        decision); NaN for decisions before the target range existed (2008-12-16).
    core_pce_yoy : pandas.Series
        Core PCE y/y prints (%) for months ending inside the window and public by the
        as-of date, indexed by month end.
    y10_daily : pandas.Series
        DGS10 closes (%) inside the window public by the as-of date.
    """

    decisions: pd.DataFrame
    core_pce_yoy: pd.Series
    y10_daily: pd.Series

    @property
    def net_change_bp(self) -> float:
        """Net change of the target midpoint over the observed decisions, in bp."""
        return float(self.decisions["change_bp"].sum())

    @property
    def net_moves(self) -> int:
        """Net number of 25bp moves observed (cuts negative)."""
        return round(self.net_change_bp / 25.0)


def window_observations(
    data_dir: PathLike, as_of: DateLike, window_start: DateLike
) -> WindowObservations:
    """Collect the policy decisions and inflation prints already observed in the window.

    Used to update beliefs about the window exactly when the as-of date lies inside it.
    A decision counts as observed once it has taken effect: its effective date (the
    next business day) must be on or before ``as_of``; a decision announced on the
    as-of date itself is left to the simulation. Decisions come from the package FOMC
    calendar including unscheduled meetings (assumed cadence outside it).

    Parameters
    ----------
    data_dir : str or os.PathLike
        Data folder.
    as_of : date-like
        Forecast date.
    window_start : date-like
        First day of the window.

    Returns
    -------
    WindowObservations
        Decisions with the target-midpoint change each caused (bp), core PCE y/y prints
        and daily 10y closes inside ``[window_start, as_of]``. Empty when
        ``as_of < window_start``.

    Raises
    ------
    DataError
        If a file is missing or malformed.

    Examples
    --------
    >>> obs = window_observations("/work/shared/data", "2025-12-31", "2025-01-01")  # doctest: +SKIP
    >>> obs.net_moves  # doctest: +SKIP
    -3
    """
    cutoff = as_timestamp(as_of)
    begin = as_timestamp(window_start)
    mid = _target_midpoint(data_dir, cutoff)
    rows = []
    if begin <= cutoff:
        for meeting in fomc_decisions(begin, cutoff, include_unscheduled=True):
            effective = pd.Timestamp(next_business_day(meeting.date)).as_unit("ns")
            if effective > cutoff:
                logger.debug("decision %s takes effect after %s", meeting.date, cutoff.date())
                continue
            decided = pd.Timestamp(meeting.date).as_unit("ns")
            if decided < TARGET_RANGE_START or mid.empty:
                change = float("nan")
            else:
                # The day before the decision: FRED sometimes dates a new range on the
                # decision day itself (2015-12-16, 2016-12-14), usually on the next day.
                before = float(mid.asof(decided - pd.Timedelta(days=1)))
                after = float(mid.asof(effective))
                change = float(np.round((after - before) * 100.0, 6))
            rows.append(
                {
                    "date": decided,
                    "effective_date": effective,
                    "scheduled": meeting.scheduled,
                    "projections": meeting.projections,
                    "assumed": meeting.assumed,
                    "change_bp": change,
                }
            )
    columns = ["effective_date", "scheduled", "projections", "assumed", "change_bp"]
    if rows:
        decisions = pd.DataFrame(rows).set_index("date")[columns]
    else:
        decisions = pd.DataFrame(
            {
                "effective_date": pd.Series(dtype="datetime64[ns]"),
                "scheduled": pd.Series(dtype=bool),
                "projections": pd.Series(dtype=bool),
                "assumed": pd.Series(dtype=bool),
                "change_bp": pd.Series(dtype=np.float64),
            },
            index=pd.DatetimeIndex([], name="date"),
        )
    pce = _core_pce_yoy(data_dir, cutoff)
    pce = pce[(pce.index >= begin) & (pce.index <= cutoff)]
    y10 = _available("dgs10", data_dir, cutoff)
    y10 = y10[(y10.index >= begin) & (y10.index <= cutoff)].rename("y10")
    return WindowObservations(decisions=decisions, core_pce_yoy=pce, y10_daily=y10)
