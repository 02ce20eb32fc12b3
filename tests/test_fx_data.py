"""FX seasonality tables (simulator.data.fx) against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.data.fx import (
    festival_paths,
    festival_volatility,
    lunar_new_year_dates,
    lunar_new_year_table,
    monthly_changes,
    monthly_seasonal_table,
)


def _spot_from_changes(first: str, spot0: float, changes_pct: list[float]) -> pd.Series:
    """A monthly spot whose month-on-month 100*dlog changes are exactly ``changes_pct``."""
    logs = np.log(spot0) + np.concatenate([[0.0], np.cumsum(changes_pct)]) / 100.0
    index = pd.date_range(first, periods=len(logs), freq="MS")
    return pd.Series(np.exp(logs), index=index, name="usdcny_monthly")


def test_monthly_seasonal_table_matches_a_hand_calculation() -> None:
    # 2005-06 .. 2007-02. July 2005 is the revaluation (-2.0): it begins before
    # 2005-07-21, so it and the June->July and July->August changes are out; the first
    # change counted is August -> September 2005.
    changes = {
        "2005-07": -2.0, "2005-08": -9.0, "2005-09": 0.5, "2005-10": 0.5, "2005-11": 0.5,
        "2005-12": 0.5, "2006-01": -1.0, "2006-02": 2.0, "2006-03": 0.5, "2006-04": 0.5,
        "2006-05": 0.5, "2006-06": 0.5, "2006-07": 0.5, "2006-08": 0.5, "2006-09": 0.5,
        "2006-10": 0.5, "2006-11": 0.5, "2006-12": 0.5, "2007-01": -3.0, "2007-02": -2.0,
    }  # fmt: skip
    spot = _spot_from_changes("2005-06-01", 8.28, list(changes.values()))
    # A missing month (2006-06) removes the May->June and June->July changes.
    spot = spot.drop(pd.Timestamp("2006-06-01"))
    table = monthly_seasonal_table(spot)
    assert table.index.tolist() == list(range(1, 13))
    assert table.columns.tolist() == ["mean_pct", "se_pct", "share_appreciation", "n_years"]
    # January: -1 and -3 -> mean -2; s.d. sqrt((1 + 1) / 1) = sqrt(2); se = sqrt(2)/sqrt(2) = 1.
    jan = table.loc[1]
    np.testing.assert_allclose(jan[["mean_pct", "se_pct"]], [-2.0, 1.0], atol=1e-12)
    assert (jan["share_appreciation"], jan["n_years"]) == (1.0, 2)
    # February: +2 and -2 -> mean 0; s.d. sqrt(8) = 2.828...; se = sqrt(8)/sqrt(2) = 2.
    feb = table.loc[2]
    np.testing.assert_allclose(feb[["mean_pct", "se_pct"]], [0.0, 2.0], atol=1e-12)
    assert (feb["share_appreciation"], feb["n_years"]) == (0.5, 2)
    # September (2005, 2006): +0.5 twice -> se 0, no appreciation. August: only 2006
    # (the 2005 change straddles the break) -> n 1, no s.e.
    np.testing.assert_allclose(table.loc[9, ["mean_pct", "se_pct"]], [0.5, 0.0], atol=1e-12)
    assert table.loc[9, "share_appreciation"] == 0.0
    assert table.loc[8, "n_years"] == 1 and np.isnan(table.loc[8, "se_pct"])
    # The gap: no June or July change at all (both need the 2006-06 row).
    assert table.loc[6, "n_years"] == 0 and table.loc[7, "n_years"] == 0
    assert np.isnan(table.loc[6, "mean_pct"])
    # With the sample starting 2006-01-01, January 2006 (Dec->Jan) is out too.
    later = monthly_seasonal_table(spot, start="2006-01-01")
    assert later.loc[1, "n_years"] == 1 and later.loc[1, "mean_pct"] == pytest.approx(-3.0)


def test_monthly_changes_rejects_non_positive_spots() -> None:
    spot = _spot_from_changes("2006-01-01", 7.0, [1.0, 1.0])
    spot.iloc[1] = 0.0
    with pytest.raises(ValueError, match=r"expected a positive spot, found 0\.0 on 2006-02-01"):
        monthly_changes(spot)


def _daily_levels(levels: dict[str, float], end: str) -> pd.Series:
    """A business-day spot 7 * exp(pct / 100), the pct stepping at the given dates."""
    days = pd.bdate_range(min(levels), end)
    pct = pd.Series(levels).rename(index=pd.Timestamp).reindex(days).ffill()
    return pd.Series(7.0 * np.exp(pct.to_numpy() / 100.0), index=days, name="usdcny_daily")


# Two festivals of the shipped table: 2010-02-14 (a Sunday: each window end reads the
# Friday before) and 2011-02-03 (a Thursday).
_LEVELS = {
    "2009-12-01": 0.0, "2010-02-01": -1.0, "2010-02-08": -2.0, "2010-02-22": -1.5,
    "2010-12-01": 0.0, "2011-01-21": 1.0, "2011-02-04": 2.0, "2011-02-11": 4.0,
}  # fmt: skip


def test_festival_paths_and_table_match_a_hand_calculation() -> None:
    spot = _daily_levels(_LEVELS, "2011-03-31")
    # start 2009-12-01 and the data's end keep only the 2010 and 2011 festivals.
    paths = festival_paths(spot, 2, start="2009-12-01")
    assert [str(d.date()) for d in paths.index] == ["2010-02-14", "2011-02-03"]
    # 2010: Fri 01-29 0, Fri 02-05 -1, Fri 02-12 -2, Fri 02-19 -2, Fri 02-26 -1.5,
    # in percent from the festival's -2: [2, 1, 0, 0, 0.5].
    # 2011: 01-20 0, 01-27 1, 02-03 1, 02-10 2, 02-17 4 -> [-1, 0, 0, 1, 3].
    np.testing.assert_allclose(paths.to_numpy(), [[2, 1, 0, 0, 0.5], [-1, 0, 0, 1, 3]], atol=1e-12)
    table = lunar_new_year_table(paths)
    # Row -2 (from 2 weeks before to the festival): -paths = [-2, 1] -> mean -0.5,
    # s.d. sqrt(1.5^2 + 1.5^2) = 2.1213, se 1.5, one fall in two.
    # Row -1: [-1, 0] -> -0.5, se 0.5, share 0.5. Row +1: [0, 1] -> 0.5, se 0.5, share 0.
    # Row +2: [0.5, 3] -> 1.75, s.d. sqrt(2 * 1.25^2) = 1.7678, se 1.25, share 0.
    expected = np.array(
        [[-0.5, 1.5, 0.5], [-0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1.75, 1.25, 0.0]]
    )
    stats = table[["mean_pct", "se_pct", "share_appreciation"]].to_numpy()
    np.testing.assert_allclose(stats, expected, atol=1e-12)
    assert table["from_week"].tolist() == [-2, -1, 0, 0, 0]
    assert table["to_week"].tolist() == [0, 0, 0, 1, 2]
    assert table["n_years"].tolist() == [2] * 5


def test_festival_paths_skip_stale_quotes() -> None:
    # No quotes from 2011-01-10 to 2011-01-20: two weeks before the 2011 festival the
    # last quote (2011-01-07) is 13 days old, more than a week: not measured.
    spot = _daily_levels(_LEVELS, "2011-03-31")
    spot = spot.drop(spot.loc["2011-01-10":"2011-01-20"].index)
    paths = festival_paths(spot, 2, start="2009-12-01")
    assert np.isnan(paths.loc["2011-02-03", -2]) and paths.loc["2011-02-03", -1] == 0.0
    assert lunar_new_year_table(paths).loc[-2, "n_years"] == 1


def test_festival_volatility_matches_a_hand_calculation() -> None:
    spot = _daily_levels(_LEVELS, "2011-03-31")
    table = festival_volatility(spot, 2, start="2009-12-01")
    # Before (f - 2w, f]: 10 business days a year; 2010 moves -1, -1 (sum of squares 2),
    # 2011 +1 (1). After (f, f + 2w]: 10 days; 2010 +0.5 (0.25), 2011 +1, +2 (5).
    # All days 2009-12-02 .. 2011-03-31: the seven steps' squares sum to
    # 1 + 1 + 0.25 + 2.25 (2010-12-01: -1.5 -> 0) + 1 + 1 + 4 = 10.5.
    n_all = len(pd.bdate_range("2009-12-02", "2011-03-31"))
    everyday = np.sqrt(10.5 / n_all)
    np.testing.assert_allclose(
        table["daily_vol_pct"], [np.sqrt(3 / 20), np.sqrt(5.25 / 20), everyday], atol=1e-12
    )
    assert table["n_days"].tolist() == [20, 20, n_all]
    # Jackknife over two years: the leave-one-out values differ by d, s.e. = |d| / 2.
    se_before = (np.sqrt(2 / 10) - np.sqrt(1 / 10)) / 2 / everyday
    se_after = (np.sqrt(5 / 10) - np.sqrt(0.25 / 10)) / 2 / everyday
    np.testing.assert_allclose(table["se_ratio"].iloc[:2], [se_before, se_after], atol=1e-12)


def test_lunar_new_year_table_ships_1990_to_2035() -> None:
    dates = lunar_new_year_dates()
    assert dates.year.tolist() == list(range(1990, 2036))
    # The Spring Festival is the second new moon after the winter solstice: always
    # between 21 January and 20 February.
    day_of_year = (dates - pd.to_datetime(dates.year.astype(str) + "-01-01")).days + 1
    assert day_of_year.min() >= 21 and day_of_year.max() <= 51
    assert pd.Timestamp("2026-02-17") in dates
