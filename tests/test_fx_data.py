"""FX seasonality tables (simulator.data.fx) against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.data.fx import monthly_changes, monthly_seasonal_table


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
