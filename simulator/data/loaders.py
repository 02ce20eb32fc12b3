"""Read registry series from CSV files with precise error messages, and guard look-ahead.

Every problem in an input file is reported as ``file:line: column 'X': what was expected,
what was found``, with the 1-based line number in the file, so a researcher can open the
file at the right place.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from simulator.data.calendar import DateLike
from simulator.data.registry import SeriesSpec, get_spec

__all__ = [
    "DataError",
    "DateLike",
    "PathLike",
    "as_timestamp",
    "availability_dates",
    "available_on",
    "clear_cache",
    "data_sha256",
    "load_series",
]

logger = logging.getLogger(__name__)

PathLike: TypeAlias = str | os.PathLike[str]


class DataError(Exception):
    """An input data file is missing, malformed, or cannot be downloaded.

    The message names the file, the 1-based line and the column where that applies, e.g.
    ``ust_cmt_daily.csv:1234: column 'DGS10': expected a number, found 'abc'``.
    """


@dataclass(frozen=True)
class _Table:
    """Raw text cells of a CSV file, with the file line each row ends on."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: np.ndarray


_cache_lock = threading.Lock()
_table_cache: dict[tuple[str, int, int], _Table] = {}
_series_cache: dict[tuple[str, int, int, str, str, str], pd.Series] = {}


def clear_cache() -> None:
    """Forget every file read so far (files are otherwise cached per path and mtime)."""
    with _cache_lock:
        _table_cache.clear()
        _series_cache.clear()


def as_timestamp(value: DateLike) -> pd.Timestamp:
    """Convert a date-like value to a timezone-naive midnight ``pandas.Timestamp``.

    Parameters
    ----------
    value : str, datetime.date, numpy.datetime64 or pandas.Timestamp
        The date; strings in ISO form (``"2026-01-20"``).

    Returns
    -------
    pandas.Timestamp
        Midnight of that day.

    Examples
    --------
    >>> as_timestamp("2026-01-20")
    Timestamp('2026-01-20 00:00:00')
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"expected a date, found {value!r}") from exc
    if ts is pd.NaT:
        raise ValueError(f"expected a date, found {value!r}")
    if ts.tzinfo is not None:
        raise ValueError(f"expected a date without a time zone, found {value!r}")
    return ts.normalize().as_unit("ns")


def _read_table(path: Path) -> _Table:
    """Read a CSV file into text cells, cached per (path, mtime, size)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _table_cache.get(key)
    if cached is not None:
        return cached
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not a UTF-8 text file ({exc.reason})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(cell.strip() for cell in next(reader))
    except StopIteration:
        raise DataError(f"{name}:1: empty file, expected a header row") from None
    except csv.Error as exc:
        raise DataError(f"{name}:1: unreadable header ({exc})") from exc
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines carry nothing
            if len(row) != len(header):
                raise DataError(
                    f"{name}:{reader.line_num}: expected {len(header)} fields as in the "
                    f"header, found {len(row)}"
                )
            rows.append(tuple(row))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{name}:{reader.line_num}: unreadable CSV row ({exc})") from exc
    table = _Table(header=header, rows=tuple(rows), lines=np.asarray(lines, dtype=np.int64))
    with _cache_lock:
        _table_cache[key] = table
    return table


def _cells(table: _Table, file: str, column: str) -> np.ndarray:
    """Return one column's cells, stripped, as an object array."""
    try:
        j = table.header.index(column)
    except ValueError:
        found = ", ".join(repr(h) for h in table.header)
        raise DataError(f"{file}:1: column {column!r} not found; the header has {found}") from None
    return np.array([row[j].strip() for row in table.rows], dtype=object)


def _parse_dates(cells: np.ndarray, lines: np.ndarray, file: str, spec: SeriesSpec) -> np.ndarray:
    """Parse a date column strictly; return datetime64[ns] values."""
    fmt = spec.date_format
    parsed = pd.to_datetime(pd.Series(cells, dtype=object), format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        example = dt.date(1961, 6, 30).strftime(fmt)
        raise DataError(
            f"{file}:{lines[i]}: column {spec.date_column!r}: expected a date like "
            f"{example!r} ({fmt}), found {cells[i]!r}"
        )
    values = parsed.to_numpy(dtype="datetime64[ns]")
    steps = np.diff(values)
    wrong = np.flatnonzero(steps <= np.timedelta64(0, "ns"))
    if wrong.size:
        i = int(wrong[0]) + 1
        day = pd.Timestamp(values[i]).strftime("%Y-%m-%d")
        if values[i] == values[i - 1]:
            raise DataError(
                f"{file}:{lines[i]}: column {spec.date_column!r}: duplicate date {day} "
                f"(already on line {lines[i - 1]})"
            )
        before = pd.Timestamp(values[i - 1]).strftime("%Y-%m-%d")
        raise DataError(
            f"{file}:{lines[i]}: column {spec.date_column!r}: dates out of order: {day} "
            f"follows {before} (rows must be sorted by increasing date)"
        )
    return values


def _parse_numbers(cells: np.ndarray, lines: np.ndarray, file: str, column: str) -> np.ndarray:
    """Parse a numeric column strictly; blank cells are missing values (NaN)."""
    blank = cells == ""
    numbers = np.array(
        pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        ),
        dtype=np.float64,
    )
    bad = np.flatnonzero(~blank & ~np.isfinite(numbers))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{file}:{lines[i]}: column {column!r}: expected a number, found {cells[i]!r}"
        )
    numbers[blank] = np.nan
    return numbers


def load_series(name: str, data_dir: PathLike) -> pd.Series:
    """Load one registry series from a data folder.

    Parameters
    ----------
    name : str
        Registry key (see :data:`simulator.data.registry.SERIES`), e.g. ``"dgs10"``.
    data_dir : str or os.PathLike
        Folder holding the CSV files (the layout of ``shared/data``).

    Returns
    -------
    pandas.Series
        Float values (NaN where the source published none) on a ``DatetimeIndex``
        named ``"date"``, sorted and unique; the series is named ``name``. The index
        holds the file's own date stamps (see :func:`available_on` for when each row
        became public).

    Raises
    ------
    DataError
        If the file is missing, a column is missing, a value is not a number, or dates
        are malformed, duplicated or unsorted; the message names file, line and column.

    Examples
    --------
    >>> y10 = load_series("dgs10", "/work/shared/data")  # doctest: +SKIP
    >>> float(y10.loc["2026-01-20"])  # doctest: +SKIP
    4.3
    """
    spec = get_spec(name)
    path = Path(data_dir) / spec.file
    if not path.is_file():
        raise DataError(
            f"{path}: file not found (series {name!r}); run `macrosim data fetch DIR` "
            "or point --data at the folder that holds it"
        )
    stat = path.stat()
    key = (
        str(path.resolve()),
        stat.st_mtime_ns,
        stat.st_size,
        spec.date_column,
        spec.date_format,
        spec.value_column,
    )
    with _cache_lock:
        cached = _series_cache.get(key)
    if cached is not None:
        return cached.copy().rename(name)
    table = _read_table(path)
    file = path.name
    date_cells = _cells(table, file, spec.date_column)
    value_cells = _cells(table, file, spec.value_column)
    dates = _parse_dates(date_cells, table.lines, file, spec)
    values = _parse_numbers(value_cells, table.lines, file, spec.value_column)
    index = pd.DatetimeIndex(dates, name="date")
    series = pd.Series(values, index=index, name=name, dtype=np.float64)
    series.attrs["unit"] = spec.unit
    logger.debug("loaded %s from %s: %d rows", name, path, len(series))
    with _cache_lock:
        _series_cache[key] = series
    return series.copy()


def availability_dates(index: pd.DatetimeIndex, spec: SeriesSpec) -> pd.DatetimeIndex:
    """Return the day each row of a series became public.

    Availability = period end + ``spec.publication_lag_days``. The period end is the row's
    own date for daily and event series and for monthly series stamped at the period end
    (ACM); for monthly series stamped at the month start (FRED monthly), it is the last
    calendar day of that month.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Row dates as loaded by :func:`load_series`.
    spec : SeriesSpec
        The series' registry entry.

    Returns
    -------
    pandas.DatetimeIndex
        Availability dates, aligned with ``index``.

    Examples
    --------
    >>> from simulator.data.registry import SERIES
    >>> idx = pd.DatetimeIndex(["2025-11-01"])
    >>> availability_dates(idx, SERIES["core_pce"])[0].date()
    datetime.date(2025, 12, 30)
    """
    period_end = pd.DatetimeIndex(index).normalize()
    if spec.frequency == "monthly" and spec.stamp == "period_start":
        period_end = period_end + pd.offsets.MonthEnd(0)
    return period_end + pd.Timedelta(days=spec.publication_lag_days)


def available_on(series: pd.Series, spec: SeriesSpec, as_of: DateLike) -> pd.Series:
    """Keep the rows of a series that were public on the as-of date (the look-ahead guard).

    A row is kept when its availability date (:func:`availability_dates`) is on or
    before ``as_of``. The model, the snapshot and the backtest read data only through
    this filter, so a value published after ``as_of`` cannot leak into a forecast.

    Parameters
    ----------
    series : pandas.Series
        A series as returned by :func:`load_series`.
    spec : SeriesSpec
        Its registry entry.
    as_of : date-like
        The forecast date.

    Returns
    -------
    pandas.Series
        A copy holding only the available rows.

    Examples
    --------
    >>> from simulator.data.registry import SERIES
    >>> s = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2025-11-01", "2025-12-01"]))
    >>> available_on(s, SERIES["core_pce"], "2026-01-20").index.strftime("%Y-%m").tolist()
    ['2025-11']
    """
    cutoff = as_timestamp(as_of)
    keep = availability_dates(pd.DatetimeIndex(series.index), spec) <= cutoff
    return series.loc[np.asarray(keep)].copy()


def data_sha256(
    data_dir: PathLike, names: list[str] | tuple[str, ...], *, as_of: DateLike | None = None
) -> str:
    """Hash the data behind a set of series, for provenance and cache keys.

    Parameters
    ----------
    data_dir : str or os.PathLike
        The data folder.
    names : sequence of str
        Registry keys.
    as_of : date-like, optional
        Without it, the hash covers the full contents of every file the series read
        (each file once, in name order). With it, the hash covers only the values
        available on ``as_of`` (dates and float64 values), so appending newer rows to
        a file leaves the hash of an earlier as-of date unchanged.

    Returns
    -------
    str
        Hex SHA-256 digest.

    Raises
    ------
    DataError
        If a file is missing or malformed.

    Examples
    --------
    >>> data_sha256("/work/shared/data", ["dgs10"])  # doctest: +SKIP
    '3f1c...'
    """
    digest = hashlib.sha256()
    if as_of is None:
        files = sorted({get_spec(n).file for n in names})
        for file in files:
            path = Path(data_dir) / file
            if not path.is_file():
                raise DataError(f"{path}: file not found")
            content = path.read_bytes()
            digest.update(f"{file}\0{len(content)}\0".encode())
            digest.update(content)
        return digest.hexdigest()
    for name in sorted(set(names)):
        spec = get_spec(name)
        series = available_on(load_series(name, data_dir), spec, as_of)
        stamps = pd.DatetimeIndex(series.index).as_unit("ns").asi8
        digest.update(f"{name}\0{len(series)}\0".encode())
        digest.update(np.ascontiguousarray(stamps, dtype="<i8").tobytes())
        digest.update(np.ascontiguousarray(series.to_numpy(), dtype="<f8").tobytes())
    return digest.hexdigest()
