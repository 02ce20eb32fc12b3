"""``macrosim data fetch``: download the registry's series from their public sources.

Each file is written in the layout of ``shared/data`` (same names, headers and date
formats), so :func:`simulator.data.loaders.load_series` reads a fetched folder as it reads
the shared one. Everything is downloaded first and written afterwards (each file through a
temporary file and a rename), so an interrupted or offline fetch leaves a folder as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.data.calendar import published_fomc_meetings
from simulator.data.loaders import DataError, PathLike
from simulator.data.registry import SERIES, SeriesSpec

__all__ = ["fetch", "parse_acm_frame", "parse_fred_csv"]

logger = logging.getLogger(__name__)

# Indirection so tests can serve recorded responses instead of the network.
_urlopen: Callable[..., Any] = urllib.request.urlopen

_USER_AGENT = "macrosim-data-fetch/0.1 (+https://fred.stlouisfed.org)"

# Columns of the shared layout that do not come from a registry series.
_COLUMN_ORDER: dict[str, tuple[str, ...]] = {
    "ust_cmt_daily.csv": ("DGS3MO", "DGS2", "DGS10"),
}
_CONSTANT_COLUMNS: dict[str, dict[str, str]] = {
    "ust_cmt_daily.csv": {"DGS3MO_source": "FRED_DGS3MO"},
    "fed_funds_target_range_daily.csv": {"source": "FRED"},
}
_ACM_SHEET = "ACM Monthly"
_FOMC_HEADER = ("decision_date", "meeting_start", "scheduled", "sep_dot_plot", "source", "note")


def _host(url: str) -> str:
    """Host name of a URL."""
    return urllib.parse.urlsplit(url).hostname or url


def _download(url: str, timeout: float) -> bytes:
    """GET a URL, turning every network failure into a :class:`DataError`."""
    host = _host(url)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    logger.info("downloading %s", url)
    try:
        with _urlopen(request, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        raise DataError(f"{host} answered HTTP {exc.code} ({exc.reason}) for {url}") from exc
    except urllib.error.URLError as exc:
        raise DataError(f"cannot reach {host} (offline?): {exc.reason}") from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
        raise DataError(f"cannot reach {host} (offline?): {exc}") from exc
    if not isinstance(data, bytes):
        raise DataError(f"{host}: unexpected response for {url}")
    return data


def parse_fred_csv(raw: bytes, column: str, source: str) -> pd.Series:
    """Parse a FRED ``fredgraph.csv`` download into a series of text cells.

    FRED has served two formats: ``observation_date,ID`` with blank missing values
    (current) and ``DATE,ID`` with ``.`` for missing values (older). Both are accepted;
    missing values become blank cells. Numbers keep their published text.

    Parameters
    ----------
    raw : bytes
        The downloaded file.
    column : str
        FRED series id (the value column's header).
    source : str
        Where the bytes came from, for error messages.

    Returns
    -------
    pandas.Series
        Text cells (``""`` for missing) on a ``DatetimeIndex`` named ``"date"``.

    Raises
    ------
    DataError
        If the header, a date or a value is not as expected.

    Examples
    --------
    >>> s = parse_fred_csv(b"observation_date,DGS10\\n2026-01-20,4.30\\n", "DGS10", "x")
    >>> s.iloc[0]
    '4.30'
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not a CSV text file ({exc.reason})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if len(header) < 2 or header[0] not in ("observation_date", "DATE") or column not in header:
        raise DataError(
            f"{source}:1: expected a FRED CSV with columns observation_date,{column}; "
            f"found {','.join(header)!r}"
        )
    j = header.index(column)
    dates: list[dt.date] = []
    cells: list[str] = []
    for row in reader:
        if not row:
            continue
        line = reader.line_num
        try:
            day = dt.datetime.strptime(row[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            raise DataError(
                f"{source}:{line}: column {header[0]!r}: expected a date like "
                f"'2026-01-20', found {row[0]!r}"
            ) from None
        cell = row[j].strip() if j < len(row) else ""
        if cell == ".":
            cell = ""
        if cell:
            try:
                float(cell)
            except ValueError:
                raise DataError(
                    f"{source}:{line}: column {column!r}: expected a number, found {cell!r}"
                ) from None
        dates.append(day)
        cells.append(cell)
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    return pd.Series(cells, index=index, name=column, dtype=object)


def parse_acm_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the NY Fed "ACM Monthly" sheet into the shared CSV layout.

    Parameters
    ----------
    frame : pandas.DataFrame
        The sheet as read by :func:`pandas.read_excel`: a ``DATE`` column (datetimes or
        text like ``30-Jun-1961``) and the ACMY/ACMTP/ACMRNY columns.

    Returns
    -------
    pandas.DataFrame
        ``DATE`` as ``%d-%b-%Y`` text followed by the numeric columns, sorted by date.

    Raises
    ------
    DataError
        If ``DATE`` or ``ACMTP10`` is missing or a date cannot be read.

    Examples
    --------
    >>> f = pd.DataFrame({"DATE": ["30-Jun-1961"], "ACMTP10": [0.5]})
    >>> parse_acm_frame(f)["DATE"].tolist()
    ['30-Jun-1961']
    """
    spec = SERIES["acm_tp10"]
    for column in (spec.date_column, spec.value_column):
        if column not in frame.columns:
            found = ", ".join(map(str, frame.columns))
            raise DataError(f"ACM sheet {_ACM_SHEET!r}: column {column!r} not found; has {found}")
    raw_dates = frame[spec.date_column]
    if pd.api.types.is_datetime64_any_dtype(raw_dates):
        dates = pd.to_datetime(raw_dates)
    else:
        dates = pd.to_datetime(
            raw_dates.astype(str).str.strip(), format=spec.date_format, errors="coerce"
        )
        if dates.isna().any():
            bad = raw_dates[dates.isna()].iloc[0]
            raise DataError(
                f"ACM sheet {_ACM_SHEET!r}: column {spec.date_column!r}: expected a date like "
                f"'30-Jun-1961', found {bad!r}"
            )
    values = frame.drop(columns=[spec.date_column]).apply(pd.to_numeric, errors="coerce")
    out = values.assign(**{spec.date_column: dates}).sort_values(spec.date_column)
    out = out.dropna(subset=[spec.value_column], how="all")
    out[spec.date_column] = out[spec.date_column].dt.strftime(spec.date_format)
    return out[[spec.date_column, *values.columns]].reset_index(drop=True)


def _read_acm_excel(raw: bytes) -> pd.DataFrame:
    """Read the ACM workbook (legacy .xls; needs the optional ``xlrd`` package)."""
    try:
        return pd.read_excel(io.BytesIO(raw), sheet_name=_ACM_SHEET)
    except ImportError as exc:
        raise DataError(
            "reading the NY Fed ACM workbook (.xls) needs the optional package 'xlrd': "
            "pip install 'macrosim[fetch]'"
        ) from exc
    except ValueError as exc:
        raise DataError(f"cannot read the NY Fed ACM workbook: {exc}") from exc


def _fred_id(spec: SeriesSpec) -> str:
    """FRED series id from a registry download URL."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(spec.download_url).query)
    return query["id"][0]


def _fred_file(file: str, specs: list[SeriesSpec], timeout: float) -> str:
    """Download the FRED series of one file and render it in the shared layout."""
    order = _COLUMN_ORDER.get(file, tuple(s.value_column for s in specs))
    by_column = {s.value_column: s for s in specs}
    parts = []
    for column in order:
        spec = by_column[column]
        raw = _download(spec.download_url, timeout)
        parts.append(parse_fred_csv(raw, _fred_id(spec), spec.download_url).rename(column))
    table = pd.concat(parts, axis=1, join="outer").sort_index().fillna("")
    for column, value in _CONSTANT_COLUMNS.get(file, {}).items():
        table[column] = value
    date_column = specs[0].date_column
    table.index = pd.DatetimeIndex(table.index).strftime(specs[0].date_format)
    table.index.name = date_column
    return table.to_csv(lineterminator="\n")


def _acm_file(timeout: float) -> str:
    """Download the ACM workbook and render it in the shared layout."""
    spec = SERIES["acm_tp10"]
    frame = parse_acm_frame(_read_acm_excel(_download(spec.download_url, timeout)))
    return frame.to_csv(index=False, lineterminator="\n")


def _fomc_file() -> str:
    """Render the package FOMC calendar in the shared layout."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_FOMC_HEADER)
    for m in published_fomc_meetings():
        writer.writerow(
            [
                str(m.date),
                "",
                int(m.scheduled),
                int(m.projections),
                "macrosim package calendar (simulator/data/calendars/fomc.csv)",
                "",
            ]
        )
    return buffer.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same folder and a rename."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(dest_dir: PathLike, timeout: float = 20) -> list[Path]:
    """Download every registry series into a folder, in the layout the loaders read.

    FRED series come from ``fredgraph.csv`` downloads, the ACM term premium from the
    NY Fed workbook (needs ``xlrd``), the FOMC file from the package calendar. All
    downloads finish before any file is written; each file is written atomically.

    Parameters
    ----------
    dest_dir : str or os.PathLike
        Destination folder (created if needed).
    timeout : float, default 20
        Seconds per request.

    Returns
    -------
    list of pathlib.Path
        The files written, in registry order.

    Raises
    ------
    DataError
        ``cannot reach <host> (offline?): ...`` on a network failure, or a message
        naming the source when a download is not in the expected format.

    Examples
    --------
    >>> fetch("data/")  # doctest: +SKIP
    [PosixPath('data/ust_cmt_daily.csv'), ...]
    """
    dest = Path(dest_dir)
    files: dict[str, list[SeriesSpec]] = {}
    for spec in SERIES.values():
        files.setdefault(spec.file, []).append(spec)
    rendered: dict[str, str] = {}
    for file, specs in files.items():
        if file == SERIES["fomc"].file:
            rendered[file] = _fomc_file()
        elif file == SERIES["acm_tp10"].file:
            rendered[file] = _acm_file(timeout)
        else:
            rendered[file] = _fred_file(file, specs, timeout)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in rendered.items():
        path = dest / file
        _write_atomic(path, text)
        logger.info("wrote %s (%d bytes)", path, len(text))
        written.append(path)
    return written
