"""Read a 30-day fed funds futures strip from CSV, and the EFFR spread from DFF.

The CSV has a header row with exactly the columns ``contract_month`` (``YYYY-MM``) and
``price`` (100 minus the expected average effective rate of that month), one row per
month, consecutive months in any order. Lines starting with ``#`` are comments (say where
the prices came from). Every problem raises :class:`~simulator.data.loaders.DataError`
naming the file, the line and the column.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.data.calendar import business_days
from simulator.data.loaders import DataError, PathLike, load_series

__all__ = ["COLUMNS", "FuturesStrip", "effective_spread_bp", "read_futures_csv"]

COLUMNS = ("contract_month", "price")
#: Business days of DFF averaged for the spread to the target midpoint.
SPREAD_BDAYS = 20


@dataclass(frozen=True)
class FuturesStrip:
    """Consecutive contract months with their prices and the CSV lines they came from.

    Attributes
    ----------
    path : Path
        The CSV file.
    months : tuple of (year, month)
        Consecutive, ascending.
    prices : np.ndarray
        ``(n,)`` settlement prices, in ``(0, 100)``.
    lines : tuple of int
        The 1-based file line of each month's row.
    """

    path: Path
    months: tuple[tuple[int, int], ...]
    prices: np.ndarray
    lines: tuple[int, ...]

    @property
    def rates_pp(self) -> np.ndarray:
        """Expected average effective rate per month, ``100 - price``, %."""
        return 100.0 - self.prices

    @property
    def days(self) -> np.ndarray:
        """Calendar days of each month."""
        return np.array([calendar.monthrange(y, m)[1] for y, m in self.months], dtype=np.int64)

    def index_of(self, year: int, month: int) -> int | None:
        """Position of a month in the strip, or None if the strip does not hold it."""
        first_y, first_m = self.months[0]
        k = (year - first_y) * 12 + (month - first_m)
        return k if 0 <= k < len(self.months) else None

    def where(self, k: int) -> str:
        """``file:line`` of month ``k``'s row."""
        return f"{self.path}:{self.lines[k]}"

    @staticmethod
    def label(year: int, month: int) -> str:
        """``YYYY-MM``."""
        return f"{year:04d}-{month:02d}"


def _header(path: Path, row: list[str], line: int) -> dict[str, int]:
    """Column positions, refusing unknown, repeated or missing columns."""
    names = [c.strip() for c in row]
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise DataError(
                f"{path}:{line}: column {i + 1} {name!r}: unknown column; expected exactly "
                f"{', '.join(COLUMNS)}"
            )
        if names.index(name) != i:
            raise DataError(f"{path}:{line}: column {i + 1} {name!r}: repeated column")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DataError(
            f"{path}:{line}: missing column {missing[0]!r}; expected exactly {', '.join(COLUMNS)}"
        )
    return {name: i for i, name in enumerate(names)}


def _month(path: Path, text: str, line: int) -> tuple[int, int]:
    """Parse ``YYYY-MM``."""
    parts = text.split("-")
    ok = len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2
    if ok and parts[0].isdigit() and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return int(parts[0]), int(parts[1])
    raise DataError(
        f"{path}:{line}: column 'contract_month': expected a month YYYY-MM, found {text!r}"
    )


def _price(path: Path, text: str, line: int) -> float:
    """Parse a price strictly between 0 and 100."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataError(f"{path}:{line}: column 'price': expected a number, found {text!r}")
    if not 0.0 < value < 100.0:
        raise DataError(
            f"{path}:{line}: column 'price': expected a price between 0 and 100 "
            f"(100 - the month's average rate), found {text}"
        )
    return value


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-comment, non-blank CSV rows with their 1-based line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            row = next(csv.reader([raw], strict=True))
        except csv.Error as exc:
            raise DataError(f"{path}:{number}: malformed CSV ({exc})") from None
        out.append((number, row))
    return out


def read_futures_csv(path: PathLike) -> FuturesStrip:
    """Read and check a fed funds futures strip.

    Parameters
    ----------
    path : str or os.PathLike
        CSV with columns ``contract_month`` and ``price``.

    Returns
    -------
    FuturesStrip
        Months sorted ascending.

    Raises
    ------
    DataError
        On an unknown or missing column, a malformed row, a bad month or price, a
        duplicate month or a gap; the message names ``file:line`` and the column.

    Examples
    --------
    >>> strip = read_futures_csv("scenarios/futures-2026-01-20.csv")  # doctest: +SKIP
    >>> strip.months[0]  # doctest: +SKIP
    (2026, 1)
    """
    file = Path(path)
    rows = _rows(file)
    if not rows:
        raise DataError(f"{file}: empty file; expected a header {','.join(COLUMNS)}")
    head_line, head = rows[0]
    cols = _header(file, head, head_line)
    seen: dict[tuple[int, int], int] = {}
    prices: dict[tuple[int, int], float] = {}
    for line, row in rows[1:]:
        if len(row) != len(cols):
            raise DataError(
                f"{file}:{line}: expected {len(cols)} columns ({', '.join(COLUMNS)}), "
                f"found {len(row)}"
            )
        month = _month(file, row[cols["contract_month"]].strip(), line)
        if month in seen:
            raise DataError(
                f"{file}:{line}: column 'contract_month': {FuturesStrip.label(*month)} "
                f"repeats line {seen[month]}; expected one row per month"
            )
        seen[month] = line
        prices[month] = _price(file, row[cols["price"]].strip(), line)
    if not seen:
        raise DataError(f"{file}:{head_line}: no contract rows after the header")
    months = sorted(seen)
    for prev, cur in itertools.pairwise(months):
        if (cur[0] * 12 + cur[1]) - (prev[0] * 12 + prev[1]) != 1:
            gap = (prev[0] + prev[1] // 12, prev[1] % 12 + 1)
            raise DataError(
                f"{file}:{seen[cur]}: column 'contract_month': {FuturesStrip.label(*cur)} "
                f"follows {FuturesStrip.label(*prev)}; month {FuturesStrip.label(*gap)} is "
                "missing (the strip must hold consecutive months)"
            )
    return FuturesStrip(
        path=file,
        months=tuple(months),
        prices=np.array([prices[m] for m in months]),
        lines=tuple(seen[m] for m in months),
    )


def effective_spread_bp(data_dir: PathLike, as_of: dt.date) -> tuple[float, str]:
    """Mean EFFR minus target-range midpoint over the last 20 business days before ``as_of``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        History folder with DFF and the target range (DFEDTARL, DFEDTARU).
    as_of : datetime.date
        Days strictly before it are used.

    Returns
    -------
    tuple[float, str]
        The spread in bp and a description of where it came from.

    Raises
    ------
    DataError
        If the files are missing or hold fewer than 20 such days.
    """
    dff = load_series("dff", data_dir)
    mid = 0.5 * (load_series("target_lower", data_dir) + load_series("target_upper", data_dir))
    days = business_days(as_of - dt.timedelta(days=60), as_of - dt.timedelta(days=1))
    index = np.asarray(days, dtype="datetime64[ns]")
    spread = (dff.reindex(index) - mid.reindex(index)).dropna()
    if spread.size < SPREAD_BDAYS:
        raise DataError(
            f"{Path(data_dir) / 'fed_funds_effective_daily.csv'}: only {spread.size} business "
            f"days with DFF and a target range in the 60 days before {as_of}; need {SPREAD_BDAYS}"
        )
    last = spread.iloc[-SPREAD_BDAYS:]
    value = float(100.0 * last.mean())
    first, end = last.index[0].date(), last.index[-1].date()
    return value, f"DFF minus target midpoint, mean of {SPREAD_BDAYS} business days {first}..{end}"
