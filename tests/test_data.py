"""Tests of the data layer: registry, loaders, look-ahead guard, history, calendars, fetch.

History comes from the folder named by the ``DATA`` environment variable, by default
``<repo>/../shared/data`` (the shared public-data folder beside the repository).
Reference values below were read from those files by hand (line cited where useful).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.tseries.holiday import GoodFriday, USFederalHolidayCalendar

from simulator.data import (
    SERIES,
    DataError,
    FomcMeeting,
    assumed_fomc_meetings,
    available_on,
    business_days,
    clear_cache,
    data_sha256,
    first_business_day,
    fomc_decisions,
    is_business_day,
    load_series,
    month_ends,
    monthly_history,
    next_business_day,
    published_fomc_meetings,
    snapshot,
    us_federal_holidays,
    window_observations,
)
from simulator.data import fetch as fetch_module
from simulator.data.fetch import fetch, parse_acm_frame, parse_fred_csv

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("DATA", str(REPO.parent / "shared" / "data")))

AS_OF = "2026-01-20"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """The public history folder, or a skip saying where it was looked for."""
    if not (DATA_DIR / "ust_cmt_daily.csv").is_file():
        pytest.skip(f"public data folder not found at {DATA_DIR} (set DATA=/path/to/shared/data)")
    return DATA_DIR


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


# --------------------------------------------------------------------------- registry


REQUIRED = {
    "dgs10": ("ust_cmt_daily.csv", "DGS10"),
    "dgs2": ("ust_cmt_daily.csv", "DGS2"),
    "dgs3mo": ("ust_cmt_daily.csv", "DGS3MO"),
    "dff": ("fed_funds_effective_daily.csv", "DFF"),
    "target_upper": ("fed_funds_target_range_daily.csv", "DFEDTARU"),
    "target_lower": ("fed_funds_target_range_daily.csv", "DFEDTARL"),
    "core_pce": ("core_pce_monthly.csv", "PCEPILFE"),
    "acm_tp10": ("acm_term_premium_monthly.csv", "ACMTP10"),
    "fomc": ("fomc_meetings.csv", "scheduled"),
}


def test_registry_covers_required_series() -> None:
    for name, (file, column) in REQUIRED.items():
        spec = SERIES[name]
        assert (spec.name, spec.file, spec.value_column) == (name, file, column)
        assert spec.source_url.startswith("https://")
    # Treasury publishes its par curve the same afternoon: a close is known on its date
    assert {SERIES[n].publication_lag_days for n in ("dgs10", "dgs2", "dgs3mo")} == {0}
    assert SERIES["dff"].publication_lag_days == 1
    assert SERIES["core_pce"].publication_lag_days == 30
    assert SERIES["acm_tp10"].publication_lag_days == 10
    assert SERIES["acm_tp10"].date_format == "%d-%b-%Y"
    with pytest.raises(AttributeError):
        SERIES["dgs10"].file = "x.csv"  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(SERIES))
def test_registry_matches_file_headers(data_dir: Path, name: str) -> None:
    spec = SERIES[name]
    with open(data_dir / spec.file, newline="") as handle:
        header = next(csv.reader(handle))
    assert spec.date_column in header
    assert spec.value_column in header


# ---------------------------------------------------------------------------- loaders


@pytest.mark.parametrize("name", sorted(SERIES))
def test_load_every_series(data_dir: Path, name: str) -> None:
    series = load_series(name, data_dir)
    assert series.name == name
    assert series.dtype == np.float64
    assert isinstance(series.index, pd.DatetimeIndex)
    assert series.index.name == "date"
    assert series.index.is_monotonic_increasing and series.index.is_unique
    assert series.notna().sum() > 50
    assert series.index[-1] <= pd.Timestamp("2026-12-31")


def test_known_values(data_dir: Path) -> None:
    # ust_cmt_daily.csv last row: 2026-01-20,3.70,3.6,4.3
    assert load_series("dgs10", data_dir).loc["2026-01-20"] == pytest.approx(4.30)
    # Holidays are blank in the file, hence NaN: 2026-01-19 is MLK day.
    assert "2026-01-19" not in load_series("dgs10", data_dir).index.strftime("%Y-%m-%d")
    # core_pce_monthly.csv: 2025-11-01 127.469; 2024-11-01 from the same file.
    pce = load_series("core_pce", data_dir)
    yoy = 100 * (pce.loc["2025-11-01"] / pce.loc["2024-11-01"] - 1)
    assert yoy == pytest.approx(2.83, abs=0.005)
    # acm_term_premium_monthly.csv, row 30-Jun-2025, column ACMTP10.
    assert load_series("acm_tp10", data_dir).loc["2025-06-30"] == pytest.approx(0.6408, abs=1e-4)
    assert load_series("target_upper", data_dir).loc["2026-01-20"] == 3.75
    assert load_series("target_lower", data_dir).loc["2026-01-20"] == 3.50


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / SERIES[name].file
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "core_pce",
            "date,PCE\n2020-01-01,1.0\n",
            "core_pce_monthly.csv:1: column 'PCEPILFE' not found; the header has 'date', 'PCE'",
        ),
        (
            "core_pce",
            "DATE,PCEPILFE\n2020-01-01,1.0\n",
            "core_pce_monthly.csv:1: column 'date' not found; the header has 'DATE', 'PCEPILFE'",
        ),
        (
            "core_pce",
            "date,PCEPILFE\n2020-01-01,1.0\n2020-02-01,abc\n",
            "core_pce_monthly.csv:3: column 'PCEPILFE': expected a number, found 'abc'",
        ),
        (
            "core_pce",
            "date,PCEPILFE\n2020-01-01,1.0\n\n2020-02-01,1.1\n2020-03-01,nan\n",
            "core_pce_monthly.csv:5: column 'PCEPILFE': expected a number, found 'nan'",
        ),
        (
            "core_pce",
            "date,PCEPILFE\n2020-01-01,1.0\n2020-03-01,1.1\n2020-02-01,1.2\n",
            "core_pce_monthly.csv:4: column 'date': dates out of order: 2020-02-01 follows "
            "2020-03-01 (rows must be sorted by increasing date)",
        ),
        (
            "core_pce",
            "date,PCEPILFE\n2020-01-01,1.0\n2020-02-01,1.1\n2020-02-01,1.2\n",
            "core_pce_monthly.csv:4: column 'date': duplicate date 2020-02-01 (already on line 3)",
        ),
        (
            "acm_tp10",
            "DATE,ACMTP10\n30-Jun-1961,0.1\n2061-07-31,0.2\n",
            "acm_term_premium_monthly.csv:3: column 'DATE': expected a date like "
            "'30-Jun-1961' (%d-%b-%Y), found '2061-07-31'",
        ),
        (
            "dgs10",
            "Date,DGS10\n2020-01-02,1.9\n2020-01-03,1.8,extra\n",
            "ust_cmt_daily.csv:3: expected 2 fields as in the header, found 3",
        ),
        ("dgs10", "", "ust_cmt_daily.csv:1: empty file, expected a header row"),
    ],
)
def test_malformed_files_give_exact_messages(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    _write(tmp_path, name, text)
    with pytest.raises(DataError) as info:
        load_series(name, tmp_path)
    assert str(info.value) == message


def test_missing_file_message(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_series("core_pce", tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'core_pce_monthly.csv'}: file not found (series 'core_pce'); run "
        "`macrosim data fetch DIR` or point --data at the folder that holds it"
    )


def test_blank_values_are_missing(tmp_path: Path) -> None:
    _write(tmp_path, "dgs10", "Date,DGS10\n2020-01-02,1.9\n2020-01-03,\n2020-01-06, 1.7 \n")
    series = load_series("dgs10", tmp_path)
    assert series.isna().tolist() == [False, True, False]
    assert series.iloc[2] == 1.7


def test_cache_follows_file_changes(tmp_path: Path) -> None:
    path = _write(tmp_path, "dgs10", "Date,DGS10\n2020-01-02,1.9\n")
    assert load_series("dgs10", tmp_path).iloc[0] == 1.9
    path.write_text("Date,DGS10\n2020-01-02,2.5\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_series("dgs10", tmp_path).iloc[0] == 2.5
    # Callers get copies: mutating one does not reach the cache.
    first = load_series("dgs10", tmp_path)
    first.iloc[0] = -1.0
    assert load_series("dgs10", tmp_path).iloc[0] == 2.5


def test_data_sha256(data_dir: Path, tmp_path: Path) -> None:
    names = ["dgs10", "core_pce"]
    full = data_sha256(data_dir, names)
    assert full == data_sha256(data_dir, ["core_pce", "dgs10", "dgs2"])  # same two files
    assert full != data_sha256(data_dir, ["dgs10"])
    for name in names:
        shutil.copy(data_dir / SERIES[name].file, tmp_path)
    assert data_sha256(tmp_path, names) == full
    early = data_sha256(tmp_path, names, as_of="2020-01-31")
    with open(tmp_path / SERIES["dgs10"].file, "a") as handle:
        handle.write("2026-01-21,3.70,3.6,9.99,FRED_DGS3MO\n")
    assert data_sha256(tmp_path, names) != full
    assert data_sha256(tmp_path, names, as_of="2020-01-31") == early


# ---------------------------------------------------------------- availability (guard)


def test_available_on_rules() -> None:
    daily = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2026-01-16", "2026-01-20"]))
    # Treasury yields: a close is public on its own date (lag 0), not the day before it
    assert available_on(daily, SERIES["dgs10"], "2026-01-19").index[-1] == pd.Timestamp(
        "2026-01-16"
    )
    assert len(available_on(daily, SERIES["dgs10"], "2026-01-20")) == 2
    # the effective fed funds rate keeps its one-day lag
    assert len(available_on(daily, SERIES["dff"], "2026-01-20")) == 1
    # Monthly, stamped at the month start: November ends 11-30, +30 days = 12-30.
    monthly = pd.Series([1.0], index=pd.DatetimeIndex(["2025-11-01"]))
    assert available_on(monthly, SERIES["core_pce"], "2025-12-29").empty
    assert len(available_on(monthly, SERIES["core_pce"], "2025-12-30")) == 1
    # Monthly, stamped at the period end (ACM): 2025-06-30 + 10 days = 07-10.
    acm = pd.Series([1.0], index=pd.DatetimeIndex(["2025-06-30"]))
    assert available_on(acm, SERIES["acm_tp10"], "2025-07-09").empty
    assert len(available_on(acm, SERIES["acm_tp10"], dt.date(2025, 7, 10))) == 1


def _poison(path: Path, date_column: str, date_text: str, column: str, value: str) -> None:
    """Overwrite one cell of a CSV file, keeping the rest byte for byte."""
    lines = path.read_text().splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    i_date, i_value = header.index(date_column), header.index(column)
    for k, line in enumerate(lines[1:], start=1):
        cells = next(csv.reader([line]))
        if cells[i_date] == date_text:
            cells[i_value] = value
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow(cells)
            lines[k] = out.getvalue()
            path.write_text("".join(lines))
            return
    raise AssertionError(f"{date_text} not in {path.name}")


POISON_AS_OF = "2024-06-14"
# Each poisoned row becomes public only after the as-of date (availability in comments).
POISONS = [
    ("dgs10", "2024-06-17", "99.0"),  # public 06-17 (lag 0; 06-15/16 a weekend)
    ("dff", "2024-06-14", "77.0"),  # public 06-15
    ("target_upper", "2024-06-15", "50.0"),  # public 06-15
    ("target_lower", "2024-06-15", "40.0"),  # public 06-15
    ("core_pce", "2024-05-01", "999999.0"),  # public 05-31 + 30 = 06-30
    ("acm_tp10", "28-Jun-2024", "55.0"),  # public 07-08
]


def _observe(data: Path, as_of: str) -> list[Any]:
    window = window_observations(data, as_of, "2024-01-01")
    return [
        monthly_history(data, as_of, start="2023-01"),
        snapshot(data, as_of),
        window.decisions,
        window.core_pce_yoy,
        window.y10_daily,
        data_sha256(data, sorted(SERIES), as_of=as_of),
    ]


def _same(a: list[Any], b: list[Any]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            if not x.equals(y):
                return False
        elif isinstance(x, pd.Series):
            if not x.equals(y):
                return False
        elif isinstance(x, dict):
            if x.keys() != y.keys():
                return False
            for key in x:
                u, v = x[key], y[key]
                if not (u == v or (isinstance(u, float) and np.isnan(u) and np.isnan(v))):
                    return False
        elif x != y:
            return False
    return True


def test_poisoned_future_rows_change_nothing(data_dir: Path, tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    clean.mkdir()
    dirty.mkdir()
    for file in {spec.file for spec in SERIES.values()}:
        shutil.copy(data_dir / file, clean)
        shutil.copy(data_dir / file, dirty)
    for name, stamp, value in POISONS:
        spec = SERIES[name]
        _poison(dirty / spec.file, spec.date_column, stamp, spec.value_column, value)
        assert load_series(name, dirty).loc[pd.Timestamp(stamp)] == float(value)

    assert _same(_observe(clean, POISON_AS_OF), _observe(dirty, POISON_AS_OF))
    # Control: once the poisoned rows are public, they do show up.
    later = "2024-07-31"
    assert not _same(_observe(clean, later), _observe(dirty, later))
    assert snapshot(dirty, "2024-07-10")["acm_tp"] == 55.0


# -------------------------------------------------------------------------- history


def test_monthly_history(data_dir: Path) -> None:
    history = monthly_history(data_dir, AS_OF)
    assert list(history.columns) == ["y10", "policy_rate", "core_pce_yoy", "acm_tp"]
    assert history.index[0] == pd.Timestamp("1990-01-31")
    # Complete months only: December 2025 is the last month with its final close public.
    assert history.index[-1] == pd.Timestamp("2025-12-31")
    assert history.index.name == "date"
    assert (history.index == pd.date_range("1990-01-31", "2025-12-31", freq="ME")).all()
    y10 = load_series("dgs10", data_dir).dropna()
    assert history.loc["2025-12-31", "y10"] == y10.loc["2025-12"].iloc[-1]
    assert history.loc["2025-12-31", "policy_rate"] == 3.625  # range 3.50-3.75
    assert history.loc["2008-12-31", "policy_rate"] == 0.125  # target range from 12-16
    dff = load_series("dff", data_dir).dropna()
    assert history.loc["2008-11-30", "policy_rate"] == dff.loc["2008-11"].iloc[-1]
    assert history.loc["2025-11-30", "core_pce_yoy"] == pytest.approx(2.829, abs=1e-3)
    assert np.isnan(history.loc["2025-12-31", "core_pce_yoy"])  # public 2026-01-30
    assert history.loc["2025-06-30", "acm_tp"] == pytest.approx(0.6408, abs=1e-4)
    assert history.loc["2025-07-31":, "acm_tp"].isna().all()
    assert history[["y10", "policy_rate"]].notna().all().all()
    assert history.loc[:"2025-06-30", "acm_tp"].notna().all()


def test_monthly_history_month_boundary(data_dir: Path) -> None:
    # The 2025-12-31 close is public that afternoon (lag 0): December is complete on
    # its last business day, not before.
    assert monthly_history(data_dir, "2025-12-30").index[-1] == pd.Timestamp("2025-11-30")
    assert monthly_history(data_dir, "2025-12-31").index[-1] == pd.Timestamp("2025-12-31")
    late = monthly_history(data_dir, "2026-01-30", start="2025-01")
    assert late.loc["2025-12-31", "core_pce_yoy"] == pytest.approx(
        100 * (127.886 / load_series("core_pce", data_dir).loc["2024-12-01"] - 1)
    )


def test_snapshot(data_dir: Path) -> None:
    snap = snapshot(data_dir, AS_OF)
    # The 2026-01-20 close is public that day; the day before (a holiday) saw 01-16's.
    assert snap["y10_date"] == pd.Timestamp("2026-01-20")
    assert snap["y10"] == 4.30
    assert snapshot(data_dir, "2026-01-19")["y10"] == 4.24
    assert (snap["target_lower"], snap["target_upper"]) == (3.50, 3.75)
    assert snap["policy_rate"] == 3.625
    assert snap["policy_rate_source"] == "target_midpoint"
    assert snap["core_pce_month"] == "2025-11"
    assert snap["core_pce_yoy"] == pytest.approx(2.829, abs=1e-3)
    assert snap["acm_tp_month"] == "2025-06"
    assert snap["acm_tp"] == pytest.approx(0.6408, abs=1e-4)
    old = snapshot(data_dir, "2005-06-30")
    assert old["policy_rate_source"] == "dff"
    assert old["target_date"] is None and np.isnan(old["target_upper"])


def test_snapshot_before_any_data(data_dir: Path) -> None:
    with pytest.raises(DataError, match=r"no 10y yield \(dgs10\) value is public on or before"):
        snapshot(data_dir, "1954-01-01")


def test_window_observations_2025(data_dir: Path) -> None:
    obs = window_observations(data_dir, AS_OF, "2025-01-01")
    decisions = obs.decisions
    assert [d.strftime("%Y-%m-%d") for d in decisions.index] == [
        "2025-01-29",
        "2025-03-19",
        "2025-05-07",
        "2025-06-18",
        "2025-07-30",
        "2025-09-17",
        "2025-10-29",
        "2025-12-10",
    ]
    assert decisions["change_bp"].tolist() == [0, 0, 0, 0, 0, -25, -25, -25]
    assert obs.net_moves == -3 and obs.net_change_bp == -75.0
    # Juneteenth: the June decision took effect on Friday 2025-06-20.
    assert decisions.loc["2025-06-18", "effective_date"] == pd.Timestamp("2025-06-20")
    assert obs.core_pce_yoy.index[-1] == pd.Timestamp("2025-11-30")
    assert obs.y10_daily.index[0] == pd.Timestamp("2025-01-02")
    assert obs.y10_daily.index[-1] == pd.Timestamp("2026-01-20")


def test_window_observations_decision_timing(data_dir: Path) -> None:
    on_the_day = window_observations(data_dir, "2025-12-10", "2025-12-01")
    assert on_the_day.decisions.empty  # takes effect 12-11: left to the simulation
    after = window_observations(data_dir, "2025-12-11", "2025-12-01")
    assert after.decisions["change_bp"].tolist() == [-25.0]
    assert window_observations(data_dir, "2025-01-01", "2025-06-01").decisions.empty


def test_decision_changes_are_whole_moves(data_dir: Path) -> None:
    obs = window_observations(data_dir, "2026-01-20", "2015-01-01")
    changes = obs.decisions["change_bp"]
    assert changes.notna().all()
    assert np.allclose(changes % 25, 0)
    assert changes.loc["2024-09-18"] == -50
    assert changes.loc["2022-06-15"] == 75
    assert changes.loc["2020-03-15"] == -100  # unscheduled Sunday meeting
    # FRED dates these two hikes' new range on the decision day itself.
    assert changes.loc["2015-12-16"] == 25
    assert changes.loc["2016-12-14"] == 25
    # Net from 0-0.25 (2015) to 3.50-3.75: +350bp.
    assert obs.net_change_bp == 350


# ------------------------------------------------------------------------- calendars


def test_holidays_match_pandas_reference() -> None:
    # pandas' USFederalHolidayCalendar is an independent implementation of the same rules.
    reference = USFederalHolidayCalendar().holidays("1990-01-01", "2030-12-31")
    ours = us_federal_holidays("1990-01-01", "2030-12-31")
    assert ours.tolist() == reference.to_numpy().astype("datetime64[D]").tolist()


def test_holiday_rules_spot_checks() -> None:
    assert us_federal_holidays("2021-12-31", "2021-12-31").tolist() == [dt.date(2021, 12, 31)]
    assert us_federal_holidays("2021-06-01", "2021-06-30").tolist() == [dt.date(2021, 6, 18)]
    assert us_federal_holidays("2020-06-01", "2020-06-30").size == 0  # before Juneteenth
    assert not is_business_day("2026-07-03")  # July 4 2026 is a Saturday
    assert not is_business_day("2026-01-17")  # Saturday
    assert is_business_day("2026-01-20")


def test_business_days_2026() -> None:
    # 261 weekdays in 2026 minus 11 weekday holidays (all eleven fall on weekdays
    # once observed) = 250.
    days = business_days("2026-01-01", "2026-12-31")
    assert len(days) == 250
    assert days.dtype == np.dtype("datetime64[D]")
    assert days[0] == np.datetime64("2026-01-02") and days[-1] == np.datetime64("2026-12-31")
    assert business_days("2026-01-05", "2026-01-01").size == 0


def test_next_and_first_business_days() -> None:
    assert next_business_day("2026-01-16") == np.datetime64("2026-01-20")  # MLK Monday
    assert next_business_day("2026-01-17") == np.datetime64("2026-01-20")
    assert next_business_day(np.datetime64("2026-01-20")) == np.datetime64("2026-01-21")
    assert next_business_day(pd.Timestamp("2025-12-31")) == np.datetime64("2026-01-02")
    assert first_business_day(2026, 1) == np.datetime64("2026-01-02")
    assert first_business_day(2025, 9) == np.datetime64("2025-09-02")  # Labor Day 09-01
    assert first_business_day(2026, 3) == np.datetime64("2026-03-02")


def test_month_ends() -> None:
    ends = month_ends("2026-01-01", "2026-12-31")
    assert len(ends) == 12
    assert str(ends[0]) == "2026-01-30"  # 01-31 is a Saturday
    assert str(ends[4]) == "2026-05-29"
    assert str(ends[11]) == "2026-12-31"
    assert month_ends("2026-01-31", "2026-02-26").size == 0


def test_fomc_2026() -> None:
    meetings = fomc_decisions("2026-01-01", "2026-12-31")
    assert [str(m.date) for m in meetings] == [
        "2026-01-28",
        "2026-03-18",
        "2026-04-29",
        "2026-06-17",
        "2026-07-29",
        "2026-09-16",
        "2026-10-28",
        "2026-12-09",
    ]
    assert all(m.scheduled and not m.assumed for m in meetings)
    assert [m.projections for m in meetings] == [False, True] * 4


def test_fomc_2027_published_tentative() -> None:
    # FOMC release of 2025-09-05, "tentative meeting schedule for 2027".
    meetings = fomc_decisions("2027-01-01", "2027-12-31")
    assert [str(m.date) for m in meetings] == [
        "2027-01-27",
        "2027-03-17",
        "2027-04-28",
        "2027-06-09",
        "2027-07-28",
        "2027-09-15",
        "2027-10-27",
        "2027-12-08",
    ]
    assert not any(m.assumed for m in meetings)


def test_fomc_assumed_cadence_beyond_and_before_calendar() -> None:
    y2028 = fomc_decisions("2028-01-01", "2028-12-31")
    assert len(y2028) == 8
    assert str(y2028[0].date) == "2028-01-26" and not y2028[0].assumed  # published
    assert all(m.assumed for m in y2028[1:])
    for year in (2010, 2031):
        meetings = fomc_decisions(f"{year}-01-01", f"{year}-12-31")
        assert len(meetings) == 8 and all(m.assumed for m in meetings)
        assert all(pd.Timestamp(m.date).weekday() == 2 for m in meetings)
        assert [m.projections for m in meetings] == [False, True] * 4


def test_assumed_cadence_tracks_published_calendar() -> None:
    # The cadence rule reproduces every published scheduled meeting within 8 days.
    published = [m for m in published_fomc_meetings() if m.scheduled]
    for year in range(2015, 2028):
        assumed = np.array([m.date for m in assumed_fomc_meetings(year)])
        for meeting in (m for m in published if m.date.astype(object).year == year):
            gap = np.min(np.abs(assumed - meeting.date)).astype(int)
            assert gap <= 8, (year, meeting.date, gap)


def test_fomc_unscheduled_and_types() -> None:
    march2020 = fomc_decisions("2020-03-01", "2020-03-31", include_unscheduled=True)
    assert [str(m.date) for m in march2020] == [
        "2020-03-03",
        "2020-03-15",
        "2020-03-19",
        "2020-03-23",
        "2020-03-31",
    ]
    assert fomc_decisions("2020-03-01", "2020-03-31") == []
    assert isinstance(march2020[0], FomcMeeting)
    assert march2020[0].date.dtype == np.dtype("datetime64[D]")


def test_package_fomc_calendar_matches_shared_file(data_dir: Path) -> None:
    shared = pd.read_csv(data_dir / "fomc_meetings.csv", dtype=str)
    ours = [m for m in published_fomc_meetings() if m.date <= np.datetime64("2026-12-31")]
    assert [str(m.date) for m in ours] == shared["decision_date"].tolist()
    assert [str(int(m.scheduled)) for m in ours] == shared["scheduled"].tolist()
    assert [str(int(m.projections)) for m in ours] == shared["sep_dot_plot"].tolist()


# ----------------------------------------------------------------------------- fetch


def _fred_response(data_dir: Path, fred_id: str) -> bytes:
    """A fredgraph.csv response rebuilt from the shared copy of the series."""
    for spec in SERIES.values():
        if spec.download_url.endswith(f"id={fred_id}"):
            frame = pd.read_csv(data_dir / spec.file, dtype=str, keep_default_na=False)
            out = frame[[spec.date_column, spec.value_column]]
            out.columns = ["observation_date", fred_id]
            return out.to_csv(index=False, lineterminator="\n").encode()
    raise AssertionError(fred_id)


class _FakeNetwork:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.urls: list[str] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> io.BytesIO:
        url = request.full_url
        self.urls.append(url)
        if "fredgraph.csv?id=" in url:
            return io.BytesIO(_fred_response(self.data_dir, url.rsplit("=", 1)[1]))
        if url.endswith("ACMTermPremium.xls"):
            return io.BytesIO(b"fake workbook")
        raise urllib.error.URLError(f"unexpected url {url}")


def test_fetch_writes_the_shared_layout(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = _FakeNetwork(data_dir)
    monkeypatch.setattr(fetch_module, "_urlopen", network)

    def read_workbook(raw: bytes) -> pd.DataFrame:
        # What pandas.read_excel returns for the "ACM Monthly" sheet: datetimes.
        assert raw == b"fake workbook"
        frame = pd.read_csv(data_dir / "acm_term_premium_monthly.csv")
        frame["DATE"] = pd.to_datetime(frame["DATE"], format="%d-%b-%Y")
        return frame

    monkeypatch.setattr(fetch_module, "_read_acm_excel", read_workbook)
    written = fetch(tmp_path / "fetched")
    assert sorted(p.name for p in written) == sorted({s.file for s in SERIES.values()})
    assert not list((tmp_path / "fetched").glob(".*"))  # no temporary files left
    assert all(u.startswith("https://") for u in network.urls)
    for name in SERIES:
        ours = load_series(name, tmp_path / "fetched")
        theirs = load_series(name, data_dir)
        if name == "fomc":
            ours = ours.loc[: theirs.index[-1]]
        pd.testing.assert_series_equal(ours, theirs)
    with open(tmp_path / "fetched" / "ust_cmt_daily.csv", newline="") as handle:
        assert next(csv.reader(handle)) == ["Date", "DGS3MO", "DGS2", "DGS10", "DGS3MO_source"]


def test_fetch_offline_fails_fast_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(fetch_module, "_urlopen", offline)
    with pytest.raises(DataError) as info:
        fetch(tmp_path / "out", timeout=1)
    assert str(info.value) == (
        "cannot reach fred.stlouisfed.org (offline?): "
        "[Errno -3] Temporary failure in name resolution"
    )
    assert not (tmp_path / "out").exists()


def test_fetch_http_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_found(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", None, None)  # type: ignore[arg-type]

    monkeypatch.setattr(fetch_module, "_urlopen", not_found)
    with pytest.raises(DataError, match=r"fred\.stlouisfed\.org answered HTTP 404"):
        fetch(tmp_path)


def test_parse_fred_csv_formats() -> None:
    old = parse_fred_csv(b"DATE,DGS10\n2020-01-01,.\n2020-01-02,1.88\n", "DGS10", "old")
    assert old.tolist() == ["", "1.88"]
    with pytest.raises(DataError) as info:
        parse_fred_csv(b"observation_date,DGS10\n2020-01-02,x\n", "DGS10", "fred")
    assert str(info.value) == "fred:2: column 'DGS10': expected a number, found 'x'"
    with pytest.raises(DataError, match="expected a FRED CSV"):
        parse_fred_csv(b"<html>maintenance</html>\n", "DGS10", "fred")


def test_parse_acm_frame_text_dates() -> None:
    frame = pd.DataFrame({"DATE": ["31-Jul-1961", "30-Jun-1961"], "ACMTP10": [0.2, 0.1]})
    out = parse_acm_frame(frame)
    assert out["DATE"].tolist() == ["30-Jun-1961", "31-Jul-1961"]
    with pytest.raises(DataError, match="column 'ACMTP10' not found"):
        parse_acm_frame(frame.drop(columns=["ACMTP10"]))


# ----------------------------------------------------------- the bond-market calendar

# Weekdays where the shipped calendar (QuantLib's US government bond calendar) and the
# H.15 10y closes disagree, 1962-01-02..2026-01-20, computed from ust_cmt_daily.csv and
# grouped by reason. Nothing after 2001 disagrees.
BUSINESS_DAYS_WITHOUT_CLOSE: dict[str, tuple[str, ...]] = {
    # Lincoln's Birthday (Feb 12, Monday when a Sunday): a bond-market holiday to 1985
    "lincoln": (
        "1962-02-12", "1963-02-12", "1964-02-12", "1965-02-12", "1967-02-13", "1968-02-12",
        "1969-02-12", "1970-02-12", "1971-02-12", "1973-02-12", "1974-02-12", "1975-02-12",
        "1976-02-12", "1978-02-13", "1979-02-12", "1980-02-12", "1981-02-12", "1982-02-12",
        "1984-02-13", "1985-02-12",
    ),
    # Election Day (Tuesday after the first Monday of November): a holiday to 1984
    "election": (
        "1962-11-06", "1963-11-05", "1964-11-03", "1965-11-02", "1966-11-08", "1967-11-07",
        "1968-11-05", "1969-11-04", "1970-11-03", "1971-11-02", "1972-11-07", "1973-11-06",
        "1974-11-05", "1975-11-04", "1976-11-02", "1977-11-08", "1978-11-07", "1979-11-06",
        "1980-11-04", "1981-11-03", "1982-11-02", "1983-11-08", "1984-11-06",
    ),
    # Columbus Day on October 12 before the 1971 Monday rule (QuantLib starts it in 1971)
    "columbus": (
        "1962-10-12", "1964-10-12", "1965-10-12", "1966-10-12", "1967-10-12", "1969-10-13",
        "1970-10-12",
    ),
    # Veterans Day: the market kept November 11 in 1974-1977 (QuantLib: 4th Monday of Oct)
    "veterans": ("1974-11-11", "1975-11-11", "1976-11-11", "1977-11-11"),
    # one-off closes: Kennedy's funeral, day of mourning for Martin Luther King Jr.,
    # Eisenhower's funeral, the Moon landing, the New York blackout, Hurricane Gloria,
    # Nixon's funeral, September 11 and 12 2001
    "one_off": (
        "1963-11-25", "1968-04-09", "1969-03-31", "1969-07-21", "1977-07-14", "1985-09-27",
        "1994-04-27", "2001-09-11", "2001-09-12",
    ),
    # no close in H.15, cause not established: Christmas Eve 1973, and May 30 (the old
    # Memorial Day) in 1978-1979 besides the last Monday of May
    "unexplained": ("1973-12-24", "1978-05-30", "1979-05-30"),
}  # fmt: skip
CLOSES_ON_HOLIDAYS: dict[str, tuple[str, ...]] = {
    # QuantLib moves Washington's Birthday (Feb 22) and Memorial Day (May 30), fixed
    # dates before 1971, from a Saturday to the Friday; the market traded that Friday
    "saturday_before_1971": ("1969-02-21", "1970-05-29"),
    # QuantLib's Veterans Day 1971-1977, the 4th Monday of October (see "veterans")
    "veterans": ("1974-10-28", "1975-10-27", "1976-10-25", "1977-10-24"),
    # QuantLib starts Martin Luther King Jr. Day in 1983; the federal holiday in 1986
    "mlk": ("1983-01-17", "1984-01-16"),
}


def _quantlib_script() -> Any:
    """Import simulator/data/calendars/make_bond_calendar.py (not a package module)."""
    import importlib.util

    path = REPO / "simulator" / "data" / "calendars" / "make_bond_calendar.py"
    spec = importlib.util.spec_from_file_location("make_bond_calendar", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bond_calendar_table_is_quantlibs() -> None:
    ql = pytest.importorskip("QuantLib", reason="QuantLib (the bench extra) regenerates the table")
    from simulator.data.calendar import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR

    script = _quantlib_script()
    lo, hi = f"{FIRST_CALENDAR_YEAR}-01-01", f"{LAST_CALENDAR_YEAR}-12-31"
    weekdays = np.arange(np.datetime64(lo), np.datetime64(hi) + 1)
    weekdays = weekdays[np.is_busday(weekdays)]  # numpy's default: Monday-Friday
    closed = np.setdiff1d(weekdays, business_days(lo, hi))
    reference = script.quantlib_holidays(FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR)
    assert closed.tolist() == reference
    # the file itself, header included, but for the QuantLib version it names
    shipped = script.TABLE.read_text(encoding="utf-8")
    (version,) = re.findall(r"^# source: QuantLib (\S+);", shipped, flags=re.MULTILINE)
    assert shipped == script.table_text(reference).replace(ql.__version__, version)


def test_bond_calendar_matches_h15_closes(data_dir: Path) -> None:
    y10 = load_series("dgs10", data_dir).dropna()
    closes = y10.index.to_numpy().astype("datetime64[D]")
    days = business_days(closes[0], closes[-1])
    without_close = np.setdiff1d(days, closes).astype(str).tolist()
    on_holidays = np.setdiff1d(closes, days).astype(str).tolist()
    assert without_close == sorted(sum(BUSINESS_DAYS_WITHOUT_CLOSE.values(), ()))
    assert on_holidays == sorted(sum(CLOSES_ON_HOLIDAYS.values(), ()))


def test_bond_calendar_where_federal_rules_differ() -> None:
    # a Saturday New Year's Day / Veterans Day: federal holiday on the Friday, market open
    assert is_business_day("2021-12-31") and is_business_day("2023-11-10")
    assert us_federal_holidays("2021-12-31", "2021-12-31").size == 1
    assert not is_business_day("2024-03-29")  # Good Friday: SIFMA full close
    assert is_business_day("2021-06-18")  # Juneteenth 2021 (a Saturday): not yet closed
    assert not is_business_day("2022-06-20")


def test_good_fridays() -> None:
    # H.15 has a close on exactly these Good Fridays (1962-2025; from ust_cmt_daily.csv),
    # the years SIFMA recommended an early close, not a full one (the monthly jobs report
    # came out that day); the calendar agrees. 2026-04-03 is another (QuantLib 1.44).
    open_years = [1996, 1999, 2007, 2010, 2012, 2015, 2021, 2023, 2026]
    fridays = GoodFriday.dates("1962-01-01", "2026-12-31")
    assert [d.year for d in fridays if is_business_day(d)] == open_years
    assert is_business_day("2026-04-03")


def test_calendar_range_is_refused_outside_the_table() -> None:
    with pytest.raises(ValueError, match="outside the calendar's range 1962-2035"):
        business_days("1961-12-01", "1962-01-31")
    with pytest.raises(ValueError, match="outside the calendar's range 1962-2035"):
        next_business_day("2035-12-31")  # 2036-01-02 is beyond the table
    assert next_business_day("2035-12-28") == np.datetime64("2035-12-31")
