"""Series registry: where each input series lives, how to read it and when it is known.

The loaders (:mod:`simulator.data.loaders`), the availability guard and ``macrosim data
fetch`` (:mod:`simulator.data.fetch`) all read this table, so a file layout is defined in
exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["SERIES", "Frequency", "SeriesSpec", "Stamp", "get_spec"]

Frequency = Literal["daily", "monthly", "event"]
Stamp = Literal["period_start", "period_end"]

_FRED_PAGE = "https://fred.stlouisfed.org/series/{}"
_FRED_CSV = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={}"
_ACM_PAGE = "https://www.newyorkfed.org/research/data_indicators/term-premia-tabs"
_ACM_XLS = (
    "https://www.newyorkfed.org/medialibrary/media/research/data_indicators/ACMTermPremium.xls"
)
_FOMC_PAGE = "https://www.federalreserve.gov/monetarypolicy/fomccalendars.htm"


@dataclass(frozen=True)
class SeriesSpec:
    """How to read one series and when each of its rows becomes known.

    Attributes
    ----------
    name : str
        Registry key, also the name of the loaded ``pandas.Series``.
    file : str
        CSV file name inside the data folder.
    date_column : str
        Header of the date column (headers vary: ``Date``, ``date``, ``DATE``,
        ``observation_date``, ``decision_date``).
    date_format : str
        ``strptime`` format of the dates, e.g. ``%Y-%m-%d`` or ``%d-%b-%Y``.
    value_column : str
        Header of the value column.
    unit : str
        Unit of the values (``percent``, ``index``, ``flag``, ``CNY per USD``).
    frequency : {"daily", "monthly", "event"}
        Sampling frequency of the rows.
    publication_lag_days : int
        Calendar days between the end of the period a row describes and the day the
        value is public. Availability date = period end + this lag.
    source_url : str
        Human-readable public page of the official series.
    description : str
        One-line description.
    stamp : {"period_start", "period_end"}
        Whether a monthly row is dated at the start of its month (FRED monthly
        series: ``2025-11-01`` is November) or at its end (ACM: ``30-Jun-2025``).
        Daily and event rows describe their own day.
    download_url : str
        Machine-readable download used by ``macrosim data fetch`` (empty: written
        from package data).
    """

    name: str
    file: str
    date_column: str
    date_format: str
    value_column: str
    unit: str
    frequency: Frequency
    publication_lag_days: int
    source_url: str
    description: str
    stamp: Stamp = "period_end"
    download_url: str = ""


def _fred(
    name: str,
    file: str,
    date_column: str,
    fred_id: str,
    unit: str,
    frequency: Frequency,
    lag: int,
    description: str,
    *,
    value_column: str | None = None,
    stamp: Stamp = "period_end",
) -> SeriesSpec:
    """Build the spec of a FRED series."""
    return SeriesSpec(
        name=name,
        file=file,
        date_column=date_column,
        date_format="%Y-%m-%d",
        value_column=value_column or fred_id,
        unit=unit,
        frequency=frequency,
        publication_lag_days=lag,
        source_url=_FRED_PAGE.format(fred_id),
        description=description,
        stamp=stamp,
        download_url=_FRED_CSV.format(fred_id),
    )


# Publication lags (calendar days after the period end):
# - Treasury constant-maturity yields (3-month, 2- and 10-year) are read off the US
#   Treasury's daily par yield curve, which Treasury publishes the same afternoon: a close
#   is known on its own date (lag 0), so a run as of D starts from D's close. H.15
#   republishes them the next business day, but the numbers are Treasury's.
# - The effective fed funds rate appears the next business day (NY Fed, ~9am): one
#   calendar day is the registry's approximation (documented in docs/data.md).
# - The target range is announced before it takes effect, so it is known on its own day.
# - Core PCE (BEA Personal Income and Outlays) comes out about four weeks after the
#   month ends; 30 days is a slightly conservative round number.
# - The H.10 exchange rates come out weekly, on Mondays, for the week before: seven days
#   bounds the wait for a daily rate. The G.5 monthly averages follow in the first
#   business days of the next month (three days).
# - The NY Fed posts the ACM estimates for a month in the first days of the next one.
_SPECS: tuple[SeriesSpec, ...] = (
    _fred(
        "dgs10",
        "ust_cmt_daily.csv",
        "Date",
        "DGS10",
        "percent",
        "daily",
        0,
        "10-year Treasury constant-maturity yield (H.15)",
    ),
    _fred(
        "dgs2",
        "ust_cmt_daily.csv",
        "Date",
        "DGS2",
        "percent",
        "daily",
        0,
        "2-year Treasury constant-maturity yield (H.15)",
    ),
    _fred(
        "dgs3mo",
        "ust_cmt_daily.csv",
        "Date",
        "DGS3MO",
        "percent",
        "daily",
        0,
        "3-month Treasury constant-maturity yield (H.15)",
    ),
    _fred(
        "dff",
        "fed_funds_effective_daily.csv",
        "observation_date",
        "DFF",
        "percent",
        "daily",
        1,
        "Effective federal funds rate, calendar days (H.15)",
    ),
    _fred(
        "target_upper",
        "fed_funds_target_range_daily.csv",
        "date",
        "DFEDTARU",
        "percent",
        "daily",
        0,
        "Federal funds target range, upper bound (from 2008-12-16)",
    ),
    _fred(
        "target_lower",
        "fed_funds_target_range_daily.csv",
        "date",
        "DFEDTARL",
        "percent",
        "daily",
        0,
        "Federal funds target range, lower bound (from 2008-12-16)",
    ),
    _fred(
        "core_pce",
        "core_pce_monthly.csv",
        "date",
        "PCEPILFE",
        "index",
        "monthly",
        30,
        "Core PCE price index, seasonally adjusted (BEA), dated at the month start",
        stamp="period_start",
    ),
    _fred(
        "usdcny_daily",
        "usdcny_daily.csv",
        "DATE",
        "DEXCHUS",
        "CNY per USD",
        "daily",
        7,
        "USD/CNY noon buying rate in New York, CNY per USD (H.10)",
    ),
    _fred(
        "usdcny_monthly",
        "usdcny_monthly.csv",
        "Date",
        "EXCHUS",
        "CNY per USD",
        "monthly",
        3,
        "USD/CNY monthly average of the H.10 rates, CNY per USD (G.5), dated at the month start",
        value_column="CNY_per_USD",
        stamp="period_start",
    ),
    SeriesSpec(
        name="acm_tp10",
        file="acm_term_premium_monthly.csv",
        date_column="DATE",
        date_format="%d-%b-%Y",
        value_column="ACMTP10",
        unit="percent",
        frequency="monthly",
        publication_lag_days=10,
        source_url=_ACM_PAGE,
        description=(
            "Adrian-Crump-Moench 10-year term premium (NY Fed), dated at the month's "
            "last business day"
        ),
        stamp="period_end",
        download_url=_ACM_XLS,
    ),
    SeriesSpec(
        name="fomc",
        file="fomc_meetings.csv",
        date_column="decision_date",
        date_format="%Y-%m-%d",
        value_column="scheduled",
        unit="flag",
        frequency="event",
        publication_lag_days=0,
        source_url=_FOMC_PAGE,
        description="FOMC decision dates; value 1 = scheduled meeting, 0 = unscheduled",
        stamp="period_end",
        download_url="",
    ),
)

SERIES: dict[str, SeriesSpec] = {spec.name: spec for spec in _SPECS}
"""All registered series, keyed by name."""


def get_spec(name: str) -> SeriesSpec:
    """Return the registry entry of a series.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"dgs10"``.

    Returns
    -------
    SeriesSpec
        The entry.

    Raises
    ------
    KeyError
        If the name is not registered; the message lists the known names.

    Examples
    --------
    >>> get_spec("dgs10").file
    'ust_cmt_daily.csv'
    """
    try:
        return SERIES[name]
    except KeyError:
        known = ", ".join(sorted(SERIES))
        raise KeyError(f"unknown series {name!r}; known series: {known}") from None
