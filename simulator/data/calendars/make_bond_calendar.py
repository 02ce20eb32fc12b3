"""Write us_government_bond_holidays.csv, the bond-market holiday table, from QuantLib.

The table lists every weekday from FIRST_CALENDAR_YEAR to LAST_CALENDAR_YEAR (the range
of :mod:`simulator.data.calendar`) that QuantLib's US government bond market calendar,
``ql.UnitedStates(ql.UnitedStates.GovernmentBond)``, does not count as a business day.
QuantLib is a development dependency (the ``bench`` extra), not a runtime one: the
package reads the table, and only this script and a test call QuantLib.

Run from the repository root, with QuantLib installed::

    python simulator/data/calendars/make_bond_calendar.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from simulator.data.calendar import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR

TABLE = Path(__file__).with_name("us_government_bond_holidays.csv")


def quantlib_holidays(first_year: int, last_year: int) -> list[dt.date]:
    """Weekdays in [first_year, last_year] that QuantLib's GovernmentBond calendar closes."""
    import QuantLib as ql

    calendar = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    day, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    closed = []
    while day <= last:
        if day.weekday() < 5 and not calendar.isBusinessDay(ql.Date(day.day, day.month, day.year)):
            closed.append(day)
        day += dt.timedelta(days=1)
    return closed


def table_text(holidays: list[dt.date]) -> str:
    """The CSV text: a commented header naming the source and version, then one date a row."""
    import QuantLib as ql

    header = [
        f"# US government bond market holidays, {FIRST_CALENDAR_YEAR}-{LAST_CALENDAR_YEAR}:",
        "# the weekdays that QuantLib's UnitedStates(UnitedStates.GovernmentBond) calendar",
        "# does not count as business days (SIFMA's recommended full closes; early closes",
        "# are business days).",
        f"# source: QuantLib {ql.__version__}; written by",
        "# simulator/data/calendars/make_bond_calendar.py (do not edit by hand).",
        "date",
    ]
    return "\n".join([*header, *(d.isoformat() for d in holidays)]) + "\n"


if __name__ == "__main__":
    days = quantlib_holidays(FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR)
    TABLE.write_text(table_text(days), encoding="utf-8")
