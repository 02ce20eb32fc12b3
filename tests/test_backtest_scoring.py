"""Scorers of the daily backtest: Diebold-Mariano, touch events, hold-h bond returns.

Pure functions on hand-made series and seeded toys calibrated by construction; one test
reads the H.15 file from ``$DATA`` and skips without it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.backtest import outcomes as oc
from simulator.backtest import scores as sc
from simulator.core.bonds import dirty_price
from simulator.data.loaders import load_series

ORIGIN = pd.Timestamp("2020-01-31")


# --- Diebold-Mariano ---------------------------------------------------------------------


def _dm_rejections(rng: np.random.Generator, reps: int, n: int, horizon: int) -> np.ndarray:
    """DM p-values on equal-distribution losses; h > 1 losses share h - 1 shocks."""
    pvalues = np.empty(reps)
    for r in range(reps):
        shocks = rng.standard_normal((2, n + horizon - 1))
        # Squared h-step errors of two equally good forecasts: sums of h overlapping shocks.
        kernel = np.ones(horizon)
        err = np.array([np.convolve(s, kernel, mode="valid") for s in shocks])
        pvalues[r] = sc.dm_test(err[0] ** 2, err[1] ** 2, horizon)["pvalue"]
    return pvalues


@pytest.mark.parametrize(("horizon", "n"), [(1, 120), (12, 300)])
def test_dm_test_has_its_size_on_equal_losses(horizon: int, n: int) -> None:
    rng = np.random.default_rng(31 + horizon)
    reps = 800
    p = _dm_rejections(rng, reps, n, horizon)
    # Size 5%: binomial MC SE sqrt(0.05 * 0.95 / 800) = 0.0077; accept 0.5%..9.5%, about
    # 4 SE on the upper side (the HAC test may be a little conservative, hence the floor).
    assert 0.005 <= np.mean(p < 0.05) <= 0.095
    # Roughly uniform: the share below 1/2 has MC SE sqrt(0.25 / 800) = 0.018; 4 SE = 0.07
    # plus 0.03 for the test's own finite-sample error.
    assert abs(np.mean(p < 0.5) - 0.5) < 0.10


def test_dm_test_detects_a_clearly_better_model() -> None:
    rng = np.random.default_rng(7)
    truth = rng.standard_normal(200)
    # Squared errors of a forecast with error s.d. 0.1 against one with s.d. 1.
    good = (truth - (truth + 0.1 * rng.standard_normal(200))) ** 2
    bad = (truth - (truth + rng.standard_normal(200))) ** 2
    out = sc.dm_test(good, bad, 1)
    assert out["stat"] < 0 and out["pvalue"] < 1e-6
    assert out["mean_diff"] == pytest.approx(np.mean(good - bad), rel=1e-12)
    # Symmetric: swapping the roles flips the sign and keeps the p-value.
    back = sc.dm_test(bad, good, 1)
    assert back["stat"] == pytest.approx(-out["stat"]) and back["pvalue"] == out["pvalue"]


def test_dm_test_degenerate_inputs() -> None:
    same = np.linspace(0.0, 1.0, 50)
    assert sc.dm_test(same, same, 3)["pvalue"] == 1.0
    assert math.isnan(sc.dm_test([1.0, 2.0], [1.0, 1.0], 1)["pvalue"])
    # NaN pairs are dropped, not propagated.
    with_nan = np.r_[same, np.nan]
    assert sc.dm_test(with_nan, with_nan + 0.0, 1)["n"] == 50


# --- touch events ------------------------------------------------------------------------


def _hand_made_closes() -> pd.Series:
    """Business-day 10y closes from the origin to 2020-03-31, flat at 4.30 but for marks."""
    idx = pd.bdate_range("2020-01-29", "2020-03-31")
    s = pd.Series(4.30, index=idx)
    s.loc["2020-01-31"] = 2.0  # the origin's own day: in no window
    s.loc["2020-02-14"] = np.nan  # a holiday row: skipped
    s.loc["2020-02-28"] = 3.80  # last close of February: exactly at 4.30 - 0.50
    s.loc["2020-03-02"] = 3.20  # first close after the 1-month window: beyond -1.0
    s.loc["2020-03-31"] = 4.80  # last close of March: exactly at 4.30 + 0.50
    return s


def test_touch_window_rule_on_a_hand_made_series() -> None:
    s = _hand_made_closes()
    got = oc.touch_outcomes(s, ORIGIN, 4.30, (-1.0, -0.5, 0.5), (1, 2, 3))
    expected = np.array(
        [
            [0.0, 1.0, np.nan],  # -1.0: only 2020-03-02, after the 1-month window
            [1.0, 1.0, np.nan],  # -0.5: exactly at the level on 2020-02-28 counts
            [0.0, 1.0, np.nan],  # +0.5: exactly at the level on 2020-03-31 (2 months)
        ]
    )
    np.testing.assert_array_equal(got, expected)  # 3 months: data end before 2020-04-30
    # The forecast side applies the same rule: a single path gives the same flags.
    one = oc.touch_forecast(
        s.to_numpy()[None, :], s.index, ORIGIN, 4.30, (-1.0, -0.5, 0.5), (1, 2, 3)
    )
    np.testing.assert_array_equal(one, expected)


def test_window_end_and_coverage_use_month_ends() -> None:
    assert oc.window_end(pd.Timestamp("2019-08-31"), 6) == pd.Timestamp("2020-02-29")
    # Data to Friday 2020-02-28 cover a window ending Saturday 2020-02-29 ...
    dates = pd.bdate_range("2020-02-03", "2020-02-28")
    assert oc.window_mask(dates, ORIGIN, 1) is not None
    # ... but data to Thursday 2020-02-27 do not.
    assert oc.window_mask(dates[:-1], ORIGIN, 1) is None


def test_rw_touch_probability_matches_the_discretely_monitored_walk() -> None:
    rng = np.random.default_rng(3)
    paths, s, h, n = 100_000, 0.25, 3, 63
    walk = np.cumsum(s * math.sqrt(h / n) * rng.standard_normal((paths, n)), axis=1)
    for offset, hit in ((-0.5, walk.min(axis=1) <= -0.5), (0.5, walk.max(axis=1) >= 0.5)):
        p_mc = hit.mean()
        p = float(oc.rw_touch_probability(4.0, s, offset, h, n))
        # MC SE sqrt(p (1 - p) / 1e5) = 0.0013 at p = 0.22: 4 SE, plus 0.002 for the
        # BGK correction's own error (measured below 0.002 against 2e5-path walks for
        # 21-252 closes and offsets 0.5-1 pp at s = 0.25).
        assert abs(p - p_mc) < 4 * math.sqrt(p_mc * (1 - p_mc) / paths) + 0.002
    assert float(oc.rw_touch_probability(4.0, s, 0.0, h, n)) == 1.0


def _toy_touch(rng: np.random.Generator, n_origins: int, bank: int):
    """Daily random walks with 8 volatility levels; forecasts from the same law's paths."""
    dates = pd.bdate_range("2020-02-03", "2021-02-05")
    levels = np.linspace(0.1, 0.45, 8)  # pp per month
    daily = levels / math.sqrt(21.0)
    probs_by_level = np.array(
        [
            oc.touch_forecast(
                4.0 + np.cumsum(sd * rng.standard_normal((bank, dates.size)), axis=1),
                dates,
                ORIGIN,
                4.0,
            )
            for sd in daily
        ]
    )
    level_of = np.arange(n_origins) % levels.size
    outcomes = np.array(
        [
            oc.touch_outcomes(
                pd.Series(4.0 + np.cumsum(daily[k] * rng.standard_normal(dates.size)), dates),
                ORIGIN,
                4.0,
            )
            for k in level_of
        ]
    )
    return probs_by_level[level_of], outcomes, levels[level_of]


def test_a_calibrated_touch_forecaster_scores_as_calibrated() -> None:
    rng = np.random.default_rng(2026)
    n_origins = 1600
    probs, outcomes, sd = _toy_touch(rng, n_origins, bank=20_000)
    rw = np.array(
        [
            oc.rw_touch_probability(
                4.0,
                s,
                np.array(oc.TOUCH_OFFSETS_PP)[:, None],
                np.array(oc.DEFAULT_HORIZONS),
                21 * np.array(oc.DEFAULT_HORIZONS),
            )
            for s in sd
        ]
    )
    for i in range(len(oc.TOUCH_OFFSETS_PP)):
        for j in range(len(oc.DEFAULT_HORIZONS)):
            p, o = probs[:, i, j], outcomes[:, i, j]
            out = sc.touch_scores(p, o, rw[:, i, j])
            assert out["n"] == n_origins
            # Calibrated: E[(p - o)^2] = E[p (1 - p)] (plus 2 p (1 - p) / 20000 for the
            # noise of the bank's p, < 3e-5). Per origin (p - o)^2 has variance
            # p (1 - p) (1 - 2p)^2, so SE = sqrt(sum of that) / n; 4.5 SE per cell (12
            # cells: a false failure about once in 10,000 runs).
            se = math.sqrt(np.sum(p * (1 - p) * (1 - 2 * p) ** 2)) / n_origins
            assert abs(out["brier"] - np.mean(p * (1 - p))) < 4.5 * se + 3e-5
            # The random walk is the same law here, so it scores the same within noise.
            assert abs(out["brier_rw"] - out["brier"]) < 9 * se + 0.004
            for row in out["reliability"]:
                if row["n"] >= 50:
                    f = row["forecast_mean"]
                    # Binomial SE of a bin's frequency, 4.5 SE.
                    tol = 4.5 * math.sqrt(max(f * (1 - f), 0.01) / row["n"])
                    assert abs(row["observed_frequency"] - f) < tol


def test_touch_scores_penalise_an_overconfident_forecaster() -> None:
    rng = np.random.default_rng(9)
    truth = rng.uniform(0.1, 0.9, 4000)
    o = (rng.random(4000) < truth).astype(float)
    sharp = np.where(truth > 0.5, 0.99, 0.01)
    out = sc.touch_scores(sharp, o, truth, horizon=1)
    assert out["brier"] > out["brier_rw"]
    assert out["dm"]["stat"] > 0 and out["dm"]["pvalue"] < 1e-6
    assert out["base_rate"] == pytest.approx(o.mean())


# --- hold-h returns ----------------------------------------------------------------------


def test_flat_yield_without_coupon_earns_the_accrued_coupon() -> None:
    # Exit 2020-02-28, no coupon in (2020-01-31, 2020-02-28]: at an unchanged yield the
    # street-convention dirty price is 100 (1 + c/200)^a, a = 28 / 182 (ACT/ACT ICMA).
    y0 = np.array([1.5, 4.0])
    a = 28 / 182
    for y in y0:
        got = oc.model_hold_returns(y, np.array([y]), ORIGIN, pd.Timestamp("2020-02-28"), 3.0)
        assert got[0] == pytest.approx((1 + y / 200) ** a - 1, rel=1e-12)


def _hand_made_hold() -> tuple[pd.Series, pd.Series]:
    """10y flat at 2.00 then 2.50 on 2020-08-31; bill 1.00 to 2020-08-13, 2.00 after."""
    idx = pd.bdate_range("2020-01-02", "2020-09-30")
    y10 = pd.Series(2.0, index=idx)
    y10.loc["2020-08-31"] = 2.5
    bill = pd.Series(np.where(idx < pd.Timestamp("2020-08-14"), 1.0, 2.0), index=idx)
    return y10, bill


def test_realised_hold_return_matches_a_hand_computation() -> None:
    y10, bill = _hand_made_hold()
    # h = 7: exit on the last close of August, Mon 2020-08-31. The par bond issued
    # 2020-01-31 (maturity 2030-01-31) pays c/2 = 1.00 on 2020-07-31, reinvested for 31
    # days act/360: 14 days (07-31 .. 08-13) at 1% and 17 days (08-14 .. 08-30) at 2%.
    growth = (1 + 1.0 / 36000) ** 14 * (1 + 2.0 / 36000) ** 17
    price = float(dirty_price(2.5, 2.0, "2020-08-31", "2030-01-31"))
    expected = (price + 1.0 * growth) / 100 - 1
    assert oc.realised_hold_return(y10, bill, ORIGIN, 7) == pytest.approx(expected, rel=1e-12)
    # Not covered: the 9-month window ends 2020-10-31, after the data.
    assert math.isnan(oc.realised_hold_return(y10, bill, ORIGIN, 9))
    # The model side with the same exit yield and a flat 1% bill equals the realised
    # return with a flat 1% bill.
    flat = pd.Series(1.0, index=bill.index)
    exit_date = oc.hold_exit_date(y10, ORIGIN, 7)
    assert exit_date == pd.Timestamp("2020-08-31")
    model = oc.model_hold_returns(2.0, np.array([2.5]), ORIGIN, exit_date, 1.0)
    assert model[0] == pytest.approx(oc.realised_hold_return(y10, flat, ORIGIN, 7), rel=1e-12)


def test_a_calibrated_return_forecaster_covers_80_percent() -> None:
    rng = np.random.default_rng(12)
    n, s, h = 1000, 0.25, 6
    exit_date = pd.Timestamp("2020-07-31")
    y0 = rng.uniform(1.0, 5.0, n)
    pred = [oc.rw_hold_returns(y, s, h, ORIGIN, exit_date, 1.5) for y in y0]
    realised = np.array(
        [
            oc.model_hold_returns(
                y, y + s * math.sqrt(h) * rng.standard_normal(1), ORIGIN, exit_date, 1.5
            )[0]
            for y in y0
        ]
    )
    wide = [oc.rw_hold_returns(y, 3 * s, h, ORIGIN, exit_date, 1.5) for y in y0]
    out = sc.return_scores(pred, realised, wide, horizon=1)
    # Coverage of a calibrated 80% band: binomial SE sqrt(0.8 * 0.2 / 1000) = 0.0126;
    # 4 SE = 0.05.
    assert out["n"] == n and abs(out["coverage_80"] - 0.8) < 0.05
    # A forecast three times too wide has a clearly higher CRPS (about 1.5 times here).
    assert out["crps"] < out["crps_rw"] and out["dm_pvalue"] < 1e-6
    # Independent origins, calibrated band: the coverage test's p-value is not tiny (it
    # is uniform under H0; below 1e-4 once in 10,000 runs).
    assert out["coverage_80_pvalue"] > 1e-4
    # Missing outcomes are dropped.
    realised[:10] = np.nan
    assert sc.return_scores(pred, realised, wide)["n"] == n - 10


def test_a_coupon_paid_on_the_exit_day_is_not_reinvested() -> None:
    # h = 6 from 2020-01-31: exit Fri 2020-07-31, the coupon date itself, so the growth
    # factor is 1 whatever the bill (zero days of reinvestment).
    y10, bill = _hand_made_hold()
    got = oc.realised_hold_return(y10, bill, ORIGIN, 6)
    flat = oc.model_hold_returns(2.0, np.array([2.0]), ORIGIN, pd.Timestamp("2020-07-31"), 9.0)
    assert got == pytest.approx(flat[0], rel=1e-12)
    assert got == pytest.approx(0.01, rel=1e-12)  # par bond, one full coupon period: c/2


def test_outcomes_on_the_h15_file(data_dir: Path) -> None:
    y10 = load_series("dgs10", data_dir)
    bill = load_series("dgs3mo", data_dir)
    y0 = float(y10.loc[:ORIGIN].dropna().iloc[-1])  # 1.51 on 2020-01-31
    flags = oc.touch_outcomes(y10, ORIGIN, y0, (-1.0, -0.5), (1, 3, 12))
    window = y10.loc["2020-02-01":"2021-01-31"]
    # The rule by hand on the file: the lowest close of each window against the levels.
    for j, end in enumerate(("2020-02-29", "2020-04-30", "2021-01-31")):
        low = float(window.loc[:end].min())
        assert flags[0, j] == float(low <= y0 - 1.0 + 1e-9)
        assert flags[1, j] == float(low <= y0 - 0.5 + 1e-9)
    # Realised return equals the model maths at the realised exit yield when no coupon
    # needs reinvesting (3 months: none paid).
    exit_date = oc.hold_exit_date(y10, ORIGIN, 3)
    assert exit_date is not None
    model = oc.model_hold_returns(y0, np.array([y10.loc[exit_date]]), ORIGIN, exit_date, 1.0)
    assert oc.realised_hold_return(y10, bill, ORIGIN, 3) == pytest.approx(model[0], rel=1e-12)
    # The file ends 2026-01-20: a window to 2026-01-31 is not covered.
    last = pd.Timestamp("2025-12-31")
    assert np.all(np.isnan(oc.touch_outcomes(y10, last, 4.0)))
    assert math.isnan(oc.realised_hold_return(y10, bill, last, 1))
