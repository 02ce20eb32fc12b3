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

import numpy as np
import pandas as pd

__all__ = [
    "MANAGED_FLOAT_START",
    "POST_REFORM_START",
    "monthly_changes",
    "monthly_seasonal_table",
    "summarise_changes",
]

MANAGED_FLOAT_START = "2005-07-21"
"""The end of the dollar peg (8.28 per USD, 1994-2005): the managed float begins."""

POST_REFORM_START = "2015-08-11"
"""The fixing reform and 1.9% devaluation: the central parity follows the previous close."""

_COLUMNS = ["mean_pct", "se_pct", "share_appreciation", "n_years"]


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
