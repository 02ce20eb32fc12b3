"""Business-day and FOMC calendars, read from package data or computed by rule.

Business days are the US government bond market's: weekdays that are not in the shipped
holiday table ``calendars/us_government_bond_holidays.csv``. The table is QuantLib's
``UnitedStates(UnitedStates.GovernmentBond)`` calendar (SIFMA's recommended full closes:
the federal holidays, Good Friday except in the years SIFMA recommended only an early
close, one-off closes such as national days of mourning), written for 1962-2035 by
``calendars/make_bond_calendar.py``; QuantLib is not needed at run time. Dates outside
1962-2035 (``FIRST_CALENDAR_YEAR``-``LAST_CALENDAR_YEAR``) are refused with a
``ValueError``: there is no fallback to rules.

:func:`us_federal_holidays` gives the federal holidays by rule (observed dates:
Saturday -> Friday, Sunday -> Monday): New Year's Day (a Saturday Jan 1 is observed on
Dec 31 of the previous year), Martin Luther King Jr. Day (3rd Monday of January, from
1986), Washington's Birthday (3rd Monday of February), Memorial Day (last Monday of May),
Juneteenth (June 19, from 2021), Independence Day (July 4), Labor Day (1st Monday of
September), Columbus Day (2nd Monday of October), Veterans Day (Nov 11), Thanksgiving
(4th Thursday of November), Christmas (Dec 25). The Monday-holiday rules date from 1971
and are applied to every year. They are not the business-day calendar: the bond market
stays open on a Saturday New Year's Day's or Veterans Day's observed Friday (e.g.
2021-12-31, 2023-11-10) and closes on most Good Fridays (e.g. 2024-03-29).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib.resources
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from simulator.config.units import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR

__all__ = [
    "FIRST_CALENDAR_YEAR",
    "LAST_CALENDAR_YEAR",
    "DateLike",
    "FomcMeeting",
    "assumed_fomc_meetings",
    "business_days",
    "first_business_day",
    "fomc_decisions",
    "is_business_day",
    "month_ends",
    "next_business_day",
    "published_fomc_meetings",
    "us_federal_holidays",
]

DateLike: TypeAlias = str | dt.date | np.datetime64 | pd.Timestamp
"""Anything that names a day: ISO string, date, datetime64 or Timestamp."""

_MON, _THU, _WED = 0, 3, 2


def _day(value: DateLike) -> np.datetime64:
    """Convert a date-like value to ``numpy.datetime64[D]``."""
    if isinstance(value, np.datetime64):
        day = value.astype("datetime64[D]")
    elif isinstance(value, dt.datetime | pd.Timestamp):
        if value.tzinfo is not None:
            raise ValueError(f"expected a date without a time zone, found {value!r}")
        day = np.datetime64(value.date(), "D")
    elif isinstance(value, dt.date):
        day = np.datetime64(value, "D")
    elif isinstance(value, str):
        try:
            day = np.datetime64(pd.Timestamp(value).date(), "D")
        except ValueError as exc:
            raise ValueError(f"expected a date, found {value!r}") from exc
    else:
        raise TypeError(f"expected a date, found {type(value).__name__} {value!r}")
    if np.isnat(day):
        raise ValueError(f"expected a date, found {value!r}")
    year = int(str(day)[:4])
    if not FIRST_CALENDAR_YEAR <= year <= LAST_CALENDAR_YEAR:
        raise ValueError(
            f"date {day} is outside the calendar's range {FIRST_CALENDAR_YEAR}-{LAST_CALENDAR_YEAR}"
        )
    return day


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """Return the n-th (1-based) given weekday of a month."""
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    """Return the last given weekday of a month."""
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """Move a fixed-date holiday off the weekend (Saturday -> Friday, Sunday -> Monday)."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@functools.lru_cache(maxsize=512)
def _holidays_of_year(year: int) -> tuple[dt.date, ...]:
    """Observed federal holidays whose rule belongs to ``year`` (New Year may fall in year-1)."""
    days = [
        _observed(dt.date(year, 1, 1)),
        _nth_weekday(year, 2, _MON, 3),
        _last_weekday(year, 5, _MON),
        _observed(dt.date(year, 7, 4)),
        _nth_weekday(year, 9, _MON, 1),
        _nth_weekday(year, 10, _MON, 2),
        _observed(dt.date(year, 11, 11)),
        _nth_weekday(year, 11, _THU, 4),
        _observed(dt.date(year, 12, 25)),
    ]
    if year >= 1986:
        days.append(_nth_weekday(year, 1, _MON, 3))
    if year >= 2021:
        days.append(_observed(dt.date(year, 6, 19)))
    return tuple(sorted(days))


def _package_csv(name: str) -> list[dict[str, str]]:
    """Read a CSV shipped in ``simulator/data/calendars`` (``#`` lines are comments)."""
    resource = importlib.resources.files("simulator.data").joinpath("calendars").joinpath(name)
    lines = resource.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


@functools.lru_cache(maxsize=1)
def _busdaycalendar() -> np.busdaycalendar:
    """Weekdays minus the shipped bond-market holidays (the whole supported range)."""
    days = [row["date"] for row in _package_csv("us_government_bond_holidays.csv")]
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(days, dtype="datetime64[D]"))


def us_federal_holidays(start: DateLike, end: DateLike) -> np.ndarray:
    """Return the observed US federal holidays between two dates.

    These are the federal rules, not the business-day calendar (see the module notes).

    Parameters
    ----------
    start, end : date-like
        Inclusive bounds.

    Returns
    -------
    numpy.ndarray
        Sorted ``datetime64[D]`` dates (observed days, e.g. 2026-07-03 for July 4 2026).

    Examples
    --------
    >>> us_federal_holidays("2026-07-01", "2026-07-31")
    array(['2026-07-03'], dtype='datetime64[D]')
    """
    lo, hi = _day(start), _day(end)
    y0, y1 = int(str(lo)[:4]), int(str(hi)[:4])
    days = np.array(
        [d for year in range(y0, y1 + 2) for d in _holidays_of_year(year)],
        dtype="datetime64[D]",
    )
    days = np.unique(days)
    return days[(days >= lo) & (days <= hi)]


def business_days(start: DateLike, end: DateLike) -> np.ndarray:
    """Return the bond market's business days (weekdays not in the holiday table) in a range.

    Parameters
    ----------
    start, end : date-like
        Inclusive bounds.

    Returns
    -------
    numpy.ndarray
        Sorted ``datetime64[D]`` dates.

    Examples
    --------
    >>> len(business_days("2026-01-01", "2026-12-31"))
    250
    """
    lo, hi = _day(start), _day(end)
    if hi < lo:
        return np.array([], dtype="datetime64[D]")
    days = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return days[np.is_busday(days, busdaycal=_busdaycalendar())]


def is_business_day(day: DateLike) -> bool:
    """Tell whether a date is a business day.

    Parameters
    ----------
    day : date-like
        The date.

    Returns
    -------
    bool
        True on weekdays that are not bond-market holidays.

    Examples
    --------
    >>> is_business_day("2026-01-19")  # Martin Luther King Jr. Day
    False
    >>> is_business_day("2024-03-29")  # Good Friday
    False
    """
    return bool(np.is_busday(_day(day), busdaycal=_busdaycalendar()))


def next_business_day(day: DateLike) -> np.datetime64:
    """Return the first business day strictly after a date.

    Parameters
    ----------
    day : date-like
        The date (any day, business or not).

    Returns
    -------
    numpy.datetime64
        A ``datetime64[D]`` date. An FOMC decision takes effect on
        ``next_business_day(decision_date)``.

    Examples
    --------
    >>> next_business_day("2026-01-16")  # Friday before MLK day
    np.datetime64('2026-01-20')
    """
    # checked again: the day after 2035-12-31 is beyond the table
    return _day(np.busday_offset(_day(day), 1, roll="backward", busdaycal=_busdaycalendar()))


def first_business_day(year: int, month: int) -> np.datetime64:
    """Return the first business day of a month.

    Parameters
    ----------
    year, month : int
        The month.

    Returns
    -------
    numpy.datetime64
        A ``datetime64[D]`` date.

    Examples
    --------
    >>> first_business_day(2026, 1)
    np.datetime64('2026-01-02')
    """
    first = _day(dt.date(year, month, 1))
    return np.busday_offset(first, 0, roll="forward", busdaycal=_busdaycalendar())


def month_ends(start: DateLike, end: DateLike) -> np.ndarray:
    """Return the last business day of each month, within a range.

    Parameters
    ----------
    start, end : date-like
        Inclusive bounds; a month is listed when its last business day lies inside.

    Returns
    -------
    numpy.ndarray
        Sorted ``datetime64[D]`` dates.

    Examples
    --------
    >>> month_ends("2026-01-01", "2026-03-31")
    array(['2026-01-30', '2026-02-27', '2026-03-31'], dtype='datetime64[D]')
    """
    lo, hi = _day(start), _day(end)
    months = np.arange(
        lo.astype("datetime64[M]"), hi.astype("datetime64[M]") + 1, dtype="datetime64[M]"
    )
    last_days = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    ends = np.busday_offset(last_days, 0, roll="backward", busdaycal=_busdaycalendar())
    return ends[(ends >= lo) & (ends <= hi)]


@dataclass(frozen=True)
class FomcMeeting:
    """One FOMC policy decision.

    Attributes
    ----------
    date : numpy.datetime64
        Decision day (``datetime64[D]``, the statement's day); the decision takes effect
        on the next business day.
    scheduled : bool
        A regularly scheduled meeting (False: an unscheduled meeting or call).
    projections : bool
        A Summary of Economic Projections (dot plot) is released.
    assumed : bool
        Generated from the usual eight-a-year cadence, not from a published calendar.
    """

    date: np.datetime64
    scheduled: bool
    projections: bool
    assumed: bool


# The usual cadence: each meeting's decision day is the first Wednesday on or after an
# anchor day. Fitted by hand to the 2015-2027 calendars: this reproduces most decision
# days exactly and every one within 8 days (the exceptions are the post-election
# November meetings, a late-March and a late-December meeting). Projections come with
# the March, June, September and December meetings.
_CADENCE: tuple[tuple[int, int, bool], ...] = (
    (1, 26, False),  # late January / first days of February
    (3, 15, True),  # mid March
    (4, 27, False),  # late April / early May
    (6, 12, True),  # mid June
    (7, 26, False),  # late July
    (9, 15, True),  # mid September
    (10, 27, False),  # late October / early November
    (12, 10, True),  # mid December
)


def assumed_fomc_meetings(year: int) -> list[FomcMeeting]:
    """Return the eight meetings of a year as the usual cadence would place them.

    Parameters
    ----------
    year : int
        Calendar year.

    Returns
    -------
    list of FomcMeeting
        Eight scheduled Wednesday decisions flagged ``assumed=True``.

    Examples
    --------
    >>> [str(m.date) for m in assumed_fomc_meetings(2026)][:2]
    ['2026-01-28', '2026-03-18']
    """
    meetings = []
    for month, anchor, projections in _CADENCE:
        first = dt.date(year, month, anchor)
        day = first + dt.timedelta(days=(_WED - first.weekday()) % 7)
        meetings.append(
            FomcMeeting(
                date=np.datetime64(day, "D"), scheduled=True, projections=projections, assumed=True
            )
        )
    return meetings


@functools.lru_cache(maxsize=1)
def _published() -> tuple[FomcMeeting, ...]:
    """Read the shipped FOMC calendar (package data)."""
    meetings = []
    for row in _package_csv("fomc.csv"):
        meetings.append(
            FomcMeeting(
                date=np.datetime64(row["decision_date"], "D"),
                scheduled=row["scheduled"] == "1",
                projections=row["projections"] == "1",
                assumed=False,
            )
        )
    return tuple(sorted(meetings, key=lambda m: m.date))


def published_fomc_meetings() -> list[FomcMeeting]:
    """Return every meeting in the shipped calendar (2015 to the published tentative dates).

    Returns
    -------
    list of FomcMeeting
        Scheduled and unscheduled decisions, sorted, ``assumed=False``.

    Examples
    --------
    >>> str(published_fomc_meetings()[0].date)
    '2015-01-28'
    """
    return list(_published())


def fomc_decisions(
    start: DateLike, end: DateLike, *, include_unscheduled: bool = False
) -> list[FomcMeeting]:
    """Return the FOMC decisions between two dates.

    Inside the published calendar (2015-01 to its last tentative date) the published
    dates are used; before 2015 and after the last published date the usual
    eight-a-year cadence (:func:`assumed_fomc_meetings`) is generated and flagged
    ``assumed=True``. An assumed meeting within 30 days of a published one is dropped,
    so a year that the published calendar covers in part keeps eight meetings.

    Parameters
    ----------
    start, end : date-like
        Inclusive bounds on the decision day.
    include_unscheduled : bool, default False
        Also return unscheduled meetings and calls (only known in the published years).

    Returns
    -------
    list of FomcMeeting
        Sorted by date.

    Examples
    --------
    >>> [str(m.date) for m in fomc_decisions("2026-01-01", "2026-04-30")]
    ['2026-01-28', '2026-03-18', '2026-04-29']
    """
    lo, hi = _day(start), _day(end)
    published = _published()
    first_pub, last_pub = published[0].date, published[-1].date
    pub_dates = np.array([m.date for m in published], dtype="datetime64[D]")
    chosen = [m for m in published if lo <= m.date <= hi and (m.scheduled or include_unscheduled)]
    y0, y1 = int(str(lo)[:4]), int(str(hi)[:4])
    window = np.timedelta64(30, "D")
    for year in range(y0, y1 + 1):
        for m in assumed_fomc_meetings(year):
            if not lo <= m.date <= hi:
                continue
            if first_pub <= m.date <= last_pub:
                continue
            if np.any(np.abs(pub_dates - m.date) <= window):
                continue
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.date)
