"""Data layer: series registry, loaders, the look-ahead guard, history and calendars.

Pure numpy/pandas. Everything that reads market or macro data goes through
:func:`load_series` and :func:`available_on`; see ``docs/data.md``. The download
command lives in :mod:`simulator.data.fetch` (``from simulator.data.fetch import fetch``;
not re-exported here, so that ``simulator.data.fetch`` stays the module).
"""

from simulator.data.calendar import (
    FomcMeeting,
    assumed_fomc_meetings,
    business_days,
    first_business_day,
    fomc_decisions,
    is_business_day,
    month_ends,
    next_business_day,
    published_fomc_meetings,
    us_federal_holidays,
)
from simulator.data.history import (
    Snapshot,
    WindowObservations,
    monthly_history,
    snapshot,
    window_observations,
)
from simulator.data.loaders import (
    DataError,
    as_timestamp,
    availability_dates,
    available_on,
    clear_cache,
    data_sha256,
    load_series,
)
from simulator.data.registry import SERIES, SeriesSpec, get_spec

__all__ = [
    "SERIES",
    "DataError",
    "FomcMeeting",
    "SeriesSpec",
    "Snapshot",
    "WindowObservations",
    "as_timestamp",
    "assumed_fomc_meetings",
    "availability_dates",
    "available_on",
    "business_days",
    "clear_cache",
    "data_sha256",
    "first_business_day",
    "fomc_decisions",
    "get_spec",
    "is_business_day",
    "load_series",
    "month_ends",
    "monthly_history",
    "next_business_day",
    "published_fomc_meetings",
    "snapshot",
    "us_federal_holidays",
    "window_observations",
]
