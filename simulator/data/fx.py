"""Exchange-rate seasonality measured from history: by calendar month and around the
Lunar New Year.

Spot convention: foreign units per USD (USD/CNY = 7.2 means 7.2 yuan per dollar), so a
*falling* spot is an appreciation of the foreign currency. Changes are log changes in
percent, ``100 * dlog(spot)``; a negative mean is a strengthening yuan.

Pure pandas/numpy. The tables feed ``docs/fx.md`` and a scenario's
``seasonal_from_history: true`` (which uses :func:`monthly_seasonal_table`'s
``mean_pct`` as the drift of each calendar month).
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import io
import math

import numpy as np
import pandas as pd

__all__ = [
    "MANAGED_FLOAT_START",
    "POST_REFORM_START",
    "festival_paths",
    "festival_volatility",
    "lunar_new_year_dates",
    "lunar_new_year_table",
    "monthly_changes",
    "monthly_seasonal_table",
    "summarise_changes",
]

MANAGED_FLOAT_START = "2005-07-21"
"""The end of the dollar peg (8.28 per USD, 1994-2005): the managed float begins."""

POST_REFORM_START = "2015-08-11"
"""The fixing reform and 1.9% devaluation: the central parity follows the previous close."""

_COLUMNS = ["mean_pct", "se_pct", "share_appreciation", "n_years"]
_STALE_DAYS = 7  # a window end more than a week after its last quote is not measured


def summarise_changes(changes: np.ndarray) -> dict[str, float]:
    """Mean, standard error, share of falls (foreign appreciation) and count of changes.

    Parameters
    ----------
    changes : numpy.ndarray
        One change per year, in percent; NaN entries are ignored.

    Returns
    -------
    dict
        ``mean_pct``, ``se_pct`` (sample s.d. with ddof=1 over sqrt(n); NaN when n < 2),
        ``share_appreciation`` (share of changes < 0) and ``n_years``.

    Examples
    --------
    >>> summarise_changes(np.array([-1.0, 1.0, -3.0]))["share_appreciation"]
    0.6666666666666666
    """
    x = np.asarray(changes, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    return {
        "mean_pct": float(x.mean()) if n else np.nan,
        "se_pct": float(x.std(ddof=1) / np.sqrt(n)) if n >= 2 else np.nan,
        "share_appreciation": float(np.mean(x < 0)) if n else np.nan,
        "n_years": float(n),
    }


def _positive(series: pd.Series, what: str) -> pd.Series:
    """Drop missing values; require a positive spot on a sorted DatetimeIndex."""
    s = series.dropna()
    if not isinstance(s.index, pd.DatetimeIndex):
        raise ValueError(f"{what}: expected a DatetimeIndex, found {type(s.index).__name__}")
    if not s.index.is_monotonic_increasing or s.index.has_duplicates:
        raise ValueError(f"{what}: dates must be sorted and unique")
    if (s <= 0).any():
        day = s.index[np.argmax(s.to_numpy() <= 0)].date()
        raise ValueError(f"{what}: expected a positive spot, found {s.loc[str(day)]} on {day}")
    return s.astype(np.float64)


def monthly_changes(
    monthly: pd.Series, start: str = MANAGED_FLOAT_START, end: str | None = None
) -> pd.Series:
    """Log changes of a monthly-average spot from one month to the next, in percent.

    Parameters
    ----------
    monthly : pandas.Series
        Monthly average spot (foreign units per USD), one row per month on a
        ``DatetimeIndex`` (any day of the month: FRED stamps the first).
    start : str
        Only months that *begin* on or after this date count, so no averaged month
        straddles a regime break: with the default (2005-07-21), July 2005 (part peg,
        part float) is out and the first change is August to September 2005.
    end : str, optional
        Last month kept (inclusive); default: all.

    Returns
    -------
    pandas.Series
        ``100 * (log S_m - log S_{m-1})`` indexed by the month m (``Period[M]``); only
        pairs of consecutive months both in the sample.

    Examples
    --------
    >>> s = pd.Series([8.0, 8.0, 7.6], index=pd.date_range("2006-01-01", periods=3, freq="MS"))
    >>> monthly_changes(s).round(4).tolist()
    [0.0, -5.1293]
    """
    s = _positive(monthly, "monthly spot")
    months = s.index.to_period("M")
    if months.has_duplicates:
        raise ValueError("monthly spot: more than one row in a month")
    keep = months.start_time >= pd.Timestamp(start)
    if end is not None:
        keep &= months <= pd.Period(end, "M")
    logs = pd.Series(np.log(s.to_numpy()[keep]), index=months[keep])
    full = logs.reindex(pd.period_range(logs.index.min(), logs.index.max(), freq="M"))
    return (100.0 * full.diff()).dropna()


def monthly_seasonal_table(
    monthly: pd.Series, start: str = MANAGED_FLOAT_START, end: str | None = None
) -> pd.DataFrame:
    """The average change of the spot by calendar month, with its uncertainty.

    Parameters
    ----------
    monthly : pandas.Series
        Monthly average spot, foreign units per USD (e.g. the registry's
        ``usdcny_monthly``).
    start, end : str
        Sample, as in :func:`monthly_changes` (default: the managed float, from
        2005-07-21; the 1994-2005 peg has almost no changes and would dilute every mean).

    Returns
    -------
    pandas.DataFrame
        Indexed by calendar month 1..12 (``month``), columns ``mean_pct`` (mean over years
        of ``100 * dlog`` of the monthly average from month m-1 to m), ``se_pct`` (its
        standard error, s.d./sqrt(n)), ``share_appreciation`` (share of years in which
        the spot fell, i.e. the foreign currency appreciated) and ``n_years``.

    Examples
    --------
    >>> idx = pd.date_range("2006-01-01", periods=25, freq="MS")
    >>> s = pd.Series(np.exp(0.01 * np.arange(25)), index=idx)
    >>> monthly_seasonal_table(s).loc[3, "mean_pct"].round(6)
    np.float64(1.0)
    """
    changes = monthly_changes(monthly, start, end)
    month_of = changes.index.month
    rows = {m: summarise_changes(changes.to_numpy()[month_of == m]) for m in range(1, 13)}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=_COLUMNS)
    table.index.name = "month"
    table["n_years"] = table["n_years"].astype(np.int64)
    return table


@functools.lru_cache(maxsize=1)
def _festivals() -> tuple[str, ...]:
    """Read the shipped Lunar New Year table (package data)."""
    resource = (
        importlib.resources.files("simulator.data")
        .joinpath("calendars")
        .joinpath("lunar_new_year.csv")
    )
    rows = csv.DictReader(io.StringIO(resource.read_text(encoding="utf-8"), newline=""))
    return tuple(row["festival_date"] for row in rows)


def lunar_new_year_dates() -> pd.DatetimeIndex:
    """Dates of the Spring Festival (first day of the lunar year), 1990-2035.

    Returns
    -------
    pandas.DatetimeIndex
        One date per Gregorian year, sorted (package data
        ``simulator/data/calendars/lunar_new_year.csv``, which names its source).

    Examples
    --------
    >>> str(lunar_new_year_dates()[lunar_new_year_dates().year == 2026][0].date())
    '2026-02-17'
    """
    return pd.DatetimeIndex(list(_festivals()), name="festival")


def _log_spot_on(daily: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """Log of the last quote on or before each day (NaN if none within a week)."""
    pos = daily.index.searchsorted(days, side="right") - 1
    found = pos >= 0
    safe = np.where(found, pos, 0)
    age = (days - daily.index[safe]).days.to_numpy()
    out = np.log(daily.to_numpy()[safe])
    return np.where(found & (age <= _STALE_DAYS), out, np.nan)


def _festivals_in(
    spot: pd.Series, weeks: int, start: str, end: str | None, festivals: pd.DatetimeIndex | None
) -> pd.DatetimeIndex:
    """The festivals whose window of +- ``weeks`` weeks lies inside the sample."""
    if weeks < 1:
        raise ValueError(f"weeks: expected a positive number of weeks, found {weeks}")
    f = lunar_new_year_dates() if festivals is None else pd.DatetimeIndex(festivals)
    half = pd.Timedelta(weeks=weeks)
    last = spot.index[-1] if end is None else min(pd.Timestamp(end), spot.index[-1])
    return f[(f - half >= pd.Timestamp(start)) & (f + half <= last)].rename("festival")


def festival_paths(
    daily: pd.Series,
    weeks: int = 8,
    *,
    start: str = MANAGED_FLOAT_START,
    end: str | None = None,
    festivals: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The spot around each Lunar New Year, in percent from its level on the festival.

    Parameters
    ----------
    daily : pandas.Series
        Daily spot, foreign units per USD (e.g. the registry's ``usdcny_daily``); the
        level on a day is the last quote on or before it (at most a week old).
    weeks : int
        Half-width of the window: weeks -weeks..+weeks around each festival.
    start, end : str
        Sample: a festival counts only if its whole window (festival +- ``weeks``
        weeks) lies between ``start`` and ``end`` (default: the last quote), so every
        column covers the same years.
    festivals : pandas.DatetimeIndex, optional
        Festival dates; default :func:`lunar_new_year_dates`.

    Returns
    -------
    pandas.DataFrame
        Rows: festival dates; columns: week w = -weeks..weeks; values
        ``100 * (log S(f + 7w days) - log S(f))`` (so column 0 is zero). The change over
        any window [a, b] weeks is column b minus column a.

    Examples
    --------
    >>> days = pd.bdate_range("2005-08-01", "2006-06-30")
    >>> s = pd.Series(8.0, index=days)
    >>> festival_paths(s, 2).loc["2006-01-29"].tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    spot = _positive(daily, "daily spot")
    f = _festivals_in(spot, weeks, start, end, festivals)
    offsets = np.arange(-weeks, weeks + 1)
    logs = np.column_stack([_log_spot_on(spot, f + pd.Timedelta(weeks=int(w))) for w in offsets])
    paths = 100.0 * (logs - logs[:, [weeks]])
    return pd.DataFrame(paths, index=f, columns=pd.Index(offsets, name="week"))


def lunar_new_year_table(paths: pd.DataFrame) -> pd.DataFrame:
    """The average change of the spot from each week around the festival to the festival.

    Parameters
    ----------
    paths : pandas.DataFrame
        From :func:`festival_paths`.

    Returns
    -------
    pandas.DataFrame
        Indexed by week w, columns ``from_week``, ``to_week`` and the statistics of
        :func:`summarise_changes`. Row w < 0 is the change from w weeks before the
        festival up to it (``-paths[w]``); row w > 0 the change from the festival to w
        weeks after (``paths[w]``): rows -4 and +4 are the 'before' and 'after' windows.
        A negative mean is a strengthening foreign currency.

    Examples
    --------
    >>> p = pd.DataFrame([[1.0, 0.0, -2.0]], columns=pd.Index([-1, 0, 1], name="week"))
    >>> lunar_new_year_table(p)["mean_pct"].tolist()
    [-1.0, 0.0, -2.0]
    """
    rows = {}
    for w in paths.columns:
        week = int(w)
        change = paths[w].to_numpy() * (-1.0 if week < 0 else 1.0)
        stats = summarise_changes(change)
        rows[week] = {"from_week": min(week, 0), "to_week": max(week, 0), **stats}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "week"
    return table.astype({"from_week": np.int64, "to_week": np.int64, "n_years": np.int64})


def _jackknife_se(sums: np.ndarray, counts: np.ndarray, scale: float) -> tuple[float, float]:
    """Pooled root-mean-square over groups / scale, and its leave-one-group-out s.e."""
    value = math.sqrt(sums.sum() / counts.sum()) / scale
    k = sums.size
    if k < 2:
        return value, np.nan
    loo = np.sqrt((sums.sum() - sums) / (counts.sum() - counts)) / scale
    return value, float(math.sqrt((k - 1) / k * np.sum((loo - loo.mean()) ** 2)))


def festival_volatility(
    daily: pd.Series,
    weeks: int = 4,
    *,
    start: str = MANAGED_FLOAT_START,
    end: str | None = None,
    festivals: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Daily volatility of the spot in the weeks before and after the Lunar New Year.

    Parameters
    ----------
    daily : pandas.Series
        Daily spot, foreign units per USD.
    weeks : int
        Window length: 'before' is (f - weeks, f], 'after' (f, f + weeks] (a change is
        dated at its later quote).
    start, end, festivals
        Sample and festival dates, as in :func:`festival_paths` (with ``weeks``).

    Returns
    -------
    pandas.DataFrame
        Rows ``before``, ``after``, ``all`` (every day of the sample); columns
        ``daily_vol_pct`` (root mean square of the daily ``100 * dlog`` changes: the
        daily mean, ~0.001%, is ignored), ``ratio_to_all`` (over the ``all`` row),
        ``se_ratio`` (jackknife over festival years, the ``all`` row held fixed) and
        ``n_days``.

    Examples
    --------
    >>> days = pd.bdate_range("2005-08-01", "2006-06-30")
    >>> s = pd.Series(8.0 * np.exp(0.001 * np.arange(days.size)), index=days)
    >>> festival_volatility(s)["ratio_to_all"].round(6).tolist()
    [1.0, 1.0, 1.0]
    """
    spot = _positive(daily, "daily spot")
    f = _festivals_in(spot, weeks, start, end, festivals)
    x = (100.0 * np.log(spot).diff()).dropna()
    x = x.loc[pd.Timestamp(start) : (None if end is None else pd.Timestamp(end))]
    everyday = math.sqrt(float(np.mean(x.to_numpy() ** 2)))
    rows = {}
    for name, lo, hi in (("before", -weeks, 0), ("after", 0, weeks)):
        parts = [x.loc[d + pd.Timedelta(weeks=lo, days=1) : d + pd.Timedelta(weeks=hi)] for d in f]
        sums = np.array([float(np.sum(p.to_numpy() ** 2)) for p in parts])
        counts = np.array([p.size for p in parts], dtype=np.float64)
        ratio, se = _jackknife_se(sums, counts, everyday)
        rows[name] = [ratio * everyday, ratio, se, int(counts.sum())]
    rows["all"] = [everyday, 1.0, np.nan, int(x.size)]
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["daily_vol_pct", "ratio_to_all", "se_ratio", "n_days"]
    )
    return table.astype({"n_days": np.int64})
