"""Fast tier of the backtest: look-ahead guard, scoring rules, calibration tests, benchmark.

History comes from ``$DATA`` (default ``<repo>/../shared/data``); tests that need it skip
when it is absent.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator.backtest import scores as sc
from simulator.backtest.beliefs import change_pairs, mechanical_beliefs
from simulator.backtest.forecast import FilterInput, filter_state, loglik_batch
from simulator.backtest.origin import (
    MAX_HORIZON,
    RW_WINDOW,
    OriginForecast,
    forecast_from_run,
    load_origin,
    origin_levels,
    run_origin,
    write_origin_files,
)
from simulator.backtest.outcomes import touch_forecast
from simulator.backtest.output import write_backtest
from simulator.backtest.run import (
    BacktestResult,
    forecast_tables,
    run_backtest,
    score_forecasts,
)
from simulator.data.history import monthly_history
from simulator.data.loaders import load_series
from simulator.model.kalman import inflation_loglik, kalman_filter
from simulator.model.statespace import fit_data, simulate_history
from simulator.report.summary import summary_json_text

PARAMS = dict(
    inflation_persistence=0.98,
    inflation_shock_pp=0.12,
    inflation_loading=0.4,
    neutral_rate_pp=3.2,
    mean_reversion_per_year=0.2,
    term_premium_mean_pp=1.2,
    term_premium_persistence=0.96,
    term_premium_shock_pp=0.2,
    y10_noise_pp=0.15,
    acm_noise_pp=0.1,
    acm_noise_persistence=0.9,
    neutral_rate_shock_pp=0.05,
    term_premium_mean_shock_pp=0.03,
)


def _draws(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parameter draws scattered around PARAMS (positive where they must be)."""
    out = {}
    for k, v in PARAMS.items():
        jitter = 1.0 + 0.05 * rng.standard_normal(n)
        out[k] = np.clip(v * jitter, 1e-3, 0.995) if k.endswith("persistence") else v * jitter
    return out


# --------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------


def test_nowcast_months_equal_filtering_the_nowcast_explicitly() -> None:
    """Trailing months without core PCE use rho^k g_last in EC (and are left out of the
    inflation likelihood): the same as filtering a window with those values filled in."""
    rng = np.random.default_rng(3)
    hist = simulate_history(PARAMS, 60, rng=rng, acm_missing=np.arange(60) % 7 == 0)
    data = fit_data(hist)
    gap = data.inflation_gap.copy()
    gap[-2:] = np.nan
    fi = FilterInput(data.y10, data.y10_mask, data.policy_rate, gap, data.acm_tp, data.acm_mask)
    draws = _draws(5, rng)
    state = filter_state(draws, fi)
    lls = loglik_batch(draws, fi)
    assert state.pce_lag == 2 and state.g_last == data.inflation_gap[-3]
    for d in range(5):
        p = {k: float(v[d]) for k, v in draws.items()}
        filled = data.inflation_gap.copy()
        filled[-2:] = data.inflation_gap[-3] * p["inflation_persistence"] ** np.arange(1, 3)
        ref = kalman_filter(
            p,
            y10=data.y10,
            y10_mask=data.y10_mask,
            policy_rate=data.policy_rate,
            inflation_gap=filled,
            acm_tp=data.acm_tp,
            acm_mask=data.acm_mask,
        )
        np.testing.assert_allclose(state.mean[d], ref.mean[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(state.cov[d], ref.cov[0], rtol=1e-10, atol=1e-14)
        infl = inflation_loglik(p, data.inflation_gap[:-2])[0]  # public prints only
        assert lls[d] == pytest.approx(infl + ref.loglik[0], rel=1e-10)


def test_beliefs_respect_the_floor_and_follow_the_spread() -> None:
    rng = np.random.default_rng(0)
    spread = rng.normal(0.0, 0.8, 200)
    change = 0.8 * spread + rng.normal(0.0, 0.5, 200)
    pairs = pd.DataFrame({"spread": spread, "change": change})
    at_floor, _ = mechanical_beliefs(0.125, 0.3, pairs, 8)
    assert at_floor.counts.max() == 0
    high, info_h = mechanical_beliefs(5.0, 1.0, pairs, 8)
    low, _ = mechanical_beliefs(5.0, -1.0, pairs, 8)
    # A 2y above the policy rate tilts toward hikes (fewer net cuts) and vice versa.
    assert high.expected_count < 0 < low.expected_count
    assert -0.25 * high.expected_count == pytest.approx(info_h.expected_change_pp, abs=0.05)
    r = pd.Series([1.0, 1.25, 1.5], index=pd.date_range("2000-01-31", periods=3, freq="ME"))
    assert change_pairs(r, r + 0.1, 1)["change"].tolist() == [0.25, 0.25]


# --------------------------------------------------------------------------------------
# Scoring rules and tests
# --------------------------------------------------------------------------------------


def test_crps_of_a_gaussian_sample_matches_the_closed_form() -> None:
    rng = np.random.default_rng(11)
    mu, sigma, y = 0.3, 0.7, 1.1
    z = (y - mu) / sigma
    exact = sigma * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )
    # 400 independent samples of 500: the pwm (= fair) estimator is unbiased, so the mean
    # of the 400 estimates lies within 4 standard errors of the closed form (SE = their
    # sd / sqrt(400); 4 SE: a false failure about once in 16,000 runs).
    est = sc.crps_sample(np.full(400, y), rng.normal(mu, sigma, (400, 500)))
    se = est.std(ddof=1) / math.sqrt(est.size)
    assert abs(est.mean() - exact) < 4 * se
    assert float(sc.crps_normal(y, mu, sigma)) == pytest.approx(exact, rel=1e-10)


def test_coverage_pvalue_has_its_size_and_power_on_iid_hits() -> None:
    rng = np.random.default_rng(5)
    reps = 400
    rejections = sum(sc.coverage_pvalue(rng.random(300) < 0.8, 0.8, 1) < 0.05 for _ in range(reps))
    # Size 5%: binomial SE sqrt(0.05 0.95 / 400) = 0.011; accept 0.5%..10% (about 4 SE).
    assert 0.005 <= rejections / reps <= 0.10
    assert sc.coverage_pvalue(rng.random(300) < 0.6, 0.8, 1) < 1e-6
    # Perfect hits on a small sample: the iid variance floor keeps the statistic finite.
    assert 0.0 < sc.coverage_pvalue(np.ones(50, bool), 0.8, 1) < 0.01


def test_christoffersen_known_values() -> None:
    # 10 misses in 100, first 10 in a row: uc exact (LR 0), independence strongly rejected.
    hits = np.ones(100, bool)
    hits[:10] = False
    out = sc.christoffersen_test(hits, 0.9)
    assert out["lr_uc"] == pytest.approx(0.0, abs=1e-12)
    assert out["p_ind"] < 1e-6
    # LR_uc by hand: 20 misses, expected 10%: -2 [80 ln .9 + 20 ln .1 - 80 ln .8 - 20 ln .2]
    hits = np.tile([True, True, True, True, False], 20)
    lr = -2 * (80 * math.log(0.9) + 20 * math.log(0.1) - 80 * math.log(0.8) - 20 * math.log(0.2))
    assert sc.christoffersen_test(hits, 0.9)["lr_uc"] == pytest.approx(lr, rel=1e-12)


def test_brier_and_reliability() -> None:
    p = np.array([0.1, 0.1, 0.9, 0.9])
    o = np.array([0, 1, 1, 1])
    assert sc.brier_score(p, o) == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)
    rows = sc.reliability_table(p, o)
    assert rows[1]["observed_frequency"] == 0.5 and rows[9]["observed_frequency"] == 1.0


def _toy_results(n_origins: int, sigma: float, rng: np.random.Generator):
    """A Gaussian random walk, forecast from its own law: calibrated by construction."""
    n = n_origins + MAX_HORIZON + 1
    y = 4.0 + np.cumsum(sigma * rng.standard_normal(n))
    months = pd.period_range("2000-01", periods=n, freq="M")
    realised = pd.Series(y, index=months.to_timestamp(how="end").normalize().as_unit("ns"))
    results = []
    for i in range(n_origins):
        steps = sigma * rng.standard_normal((1000, MAX_HORIZON))
        paths = y[i] + np.cumsum(steps, axis=1)
        rw = y[i] + np.cumsum(sigma * rng.standard_normal((1000, MAX_HORIZON)), axis=1)
        origin = months[i].to_timestamp(how="end").normalize()
        results.append(
            OriginForecast(origin=origin, y0=y[i], rw_sd=sigma, paths=paths, rw_paths=rw)
        )
    return results, realised


def test_a_calibrated_toy_model_scores_as_calibrated(tmp_path: Path) -> None:
    rng = np.random.default_rng(2024)
    results, realised = _toy_results(300, 0.25, rng)
    forecasts, events = forecast_tables(results, realised, [1, 3, 6, 12])
    doc = score_forecasts(forecasts, events, [1, 3, 6, 12])
    for h in ("1", "3", "6", "12"):
        s = doc["scores"]["macrosim"][h]
        assert s["n"] == 300
        # Seeded Monte Carlo: 300 overlapping forecasts; HAC tests at the 0.1% level and
        # coverage within 0.1 of nominal (>= 3 HAC SE at h = 12, more at short horizons).
        assert s["coverage_80_pvalue"] > 1e-3 and s["coverage_95_pvalue"] > 1e-3
        assert abs(s["coverage_80"] - 0.8) < 0.1 and abs(s["coverage_50"] - 0.5) < 0.1
        assert s["pit_pvalue"] > 1e-3
        # Same law as the random-walk benchmark: skill ~ 0 (MC error of a 1000-path CRPS).
        assert abs(doc["skill"][h]) < 0.05
    assert doc["christoffersen_h1"]["macrosim"]["coverage_80"]["p_cc"] > 1e-3
    # The writer: complete folder, no partial left behind.
    doc["settings"] = {"seed": 0, "start": "2000-01", "end": "2024-12", "paths": 1000}
    doc["provenance"] = {"version": "test", "data_to": "toy"}
    res = BacktestResult(summary=doc, forecasts=forecasts, events=events, timings={})
    folder = write_backtest(res, tmp_path / "out")
    names = {p.name for p in folder.iterdir()}
    assert {"backtest.json", "scores.csv", "pit_histograms.png", "reliability.svg"} <= names
    assert folder.name.startswith("backtest-")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".partial")]


# --------------------------------------------------------------------------------------
# Real history
# --------------------------------------------------------------------------------------

POISON_ORIGIN = "2010-06"
PRIORS = Path(__file__).resolve().parents[1] / "priors" / "default.yaml"


def _poison(src: Path, dst: Path) -> None:
    """Copy the data folder, writing absurd values into rows public only after the origin."""
    shutil.copytree(src, dst)
    edits = {
        # file: (date column, date, value column, absurd value)
        "ust_cmt_daily.csv": [
            ("Date", "2010-07-01", "DGS10", "99"),  # public 2010-07-01, after the 06-30 as-of
            ("Date", "2010-07-30", "DGS10", "99"),  # July month-end close
            ("Date", "2010-07-01", "DGS2", "99"),
        ],
        "fed_funds_effective_daily.csv": [("observation_date", "2010-07-01", "DFF", "99")],
        "fed_funds_target_range_daily.csv": [("date", "2010-07-02", "DFEDTARU", "99")],
        "core_pce_monthly.csv": [("date", "2010-06-01", "PCEPILFE", "999")],  # ~2010-07-30
        "acm_term_premium_monthly.csv": [("DATE", "30-Jun-2010", "ACMTP10", "99")],  # 07-10
    }
    for file, rows in edits.items():
        path = dst / file
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for date_col, date, col, value in rows:
            hit = frame[date_col] == date
            assert hit.sum() == 1, (file, date)
            frame.loc[hit, col] = value
        frame.to_csv(path, index=False)


def test_a_poisoned_future_row_changes_nothing_for_the_origin(
    data_dir: Path, tmp_path: Path
) -> None:
    poisoned = tmp_path / "data"
    _poison(data_dir, poisoned)
    origin = pd.Timestamp(POISON_ORIGIN)
    clean = load_origin(data_dir, origin)
    dirty = load_origin(poisoned, origin)
    draws = _draws(20, np.random.default_rng(1))
    calibration = {"fit_start": "1990-01", "data_sha256": "x", "command": "test", "diagnostics": {}}
    runs = []
    for name, od in (("clean", clean), ("dirty", dirty)):
        values = origin_levels(od, draws, np.random.default_rng(9), use_acm=True)
        folder = tmp_path / name
        scenario, _ = write_origin_files(
            od, values, folder, paths=200, seed=7, priors_path=PRIORS, calibration=calibration
        )
        result = run_origin(scenario, 200)
        fc = forecast_from_run(od, result, np.random.default_rng(9), {})
        runs.append((fc, scenario.read_text(), (folder / "priors.yaml").read_text()))
    (a, scen_a, pri_a), (b, scen_b, pri_b) = runs
    # The engine's touch estimator (p_touch, what "P(10y touches 3.5%)" reads) is the
    # outcome rule applied to its own daily paths: exactly, since every path is kept.
    dates = pd.DatetimeIndex(result.dataset["date"].values)
    rule = touch_forecast(
        result.dataset["y10_paths"].values[:, 1:],
        dates[1:],
        clean.as_of,
        clean.y0,
        horizons=range(1, MAX_HORIZON + 1),
    )
    np.testing.assert_array_equal(rule, a.touch)
    assert scen_a == scen_b and pri_a == pri_b
    np.testing.assert_array_equal(a.paths, b.paths)
    np.testing.assert_array_equal(a.touch, b.touch)
    np.testing.assert_array_equal(a.rw_paths, b.rw_paths)
    # Positive control: the next origin sees the poisoned July close.
    later = load_origin(poisoned, pd.Timestamp("2010-07"))
    assert later.y0 == 99.0


def test_random_walk_reproduces_the_issue_numbers(data_dir: Path) -> None:
    # Issue #6: RMSE, 80%/95% coverage and CRPS of the Gaussian random walk at the RMS of
    # the trailing 120 monthly changes x sqrt(h); origins 2000-01..2024-12 (n = 300).
    targets = {
        1: (0.261, 0.80, 0.93, 0.146),
        3: (0.452, 0.80, 0.94, 0.255),
        6: (0.617, 0.79, 0.95, 0.352),
        12: (0.822, 0.82, 0.95, 0.473),
    }
    full = monthly_history(data_dir, "2026-01-20", start="1985-01")["y10"]
    origins = pd.period_range("2000-01", "2024-12", freq="M")
    # The as-of history agrees with the full one at the origins' months (guard check on a
    # sample of origins; the full loop through load_origin runs in the benchmark).
    for o in origins[::60]:
        od = load_origin(data_dir, o.to_timestamp())
        i = full.index.get_loc(o.to_timestamp(how="end").normalize())
        assert od.y0 == full.iloc[i]
        trail = full.iloc[i - RW_WINDOW : i + 1].diff().dropna()
        assert od.rw_sd == pytest.approx(float(np.sqrt(np.mean(trail**2))), rel=1e-12)
    for h, (rmse, c80, c95, crps) in targets.items():
        err, scores, pit = [], [], []
        for o in origins:
            i = full.index.get_loc(o.to_timestamp(how="end").normalize())
            trail = full.iloc[i - RW_WINDOW : i + 1].diff().dropna().to_numpy()
            sd = float(np.sqrt(np.mean(trail**2))) * math.sqrt(h)
            y0, y = full.iloc[i], full.iloc[i + h]
            err.append(y - y0)
            scores.append(float(sc.crps_normal(y, y0, sd)))
            pit.append(stats.norm.cdf((y - y0) / sd))
        assert len(err) == 300
        assert math.sqrt(np.mean(np.square(err))) == pytest.approx(rmse, abs=0.005)
        assert sc.coverage_hits(pit, 0.8).mean() == pytest.approx(c80, abs=0.005)
        assert sc.coverage_hits(pit, 0.95).mean() == pytest.approx(c95, abs=0.005)
        assert np.mean(scores) == pytest.approx(crps, abs=0.005)


def test_a_kept_origin_reruns_to_its_summary(data_dir: Path, tmp_path: Path) -> None:
    # --keep-origins: each origin folder holds scenario.yaml, priors.yaml and the
    # summary.json of its run; `macrosim run scenario.yaml` gives the same numbers, exactly.
    from simulator import api

    res = run_backtest(
        data_dir,
        priors_path=PRIORS,
        start="2012-01",
        end="2012-02",
        paths=200,
        workers=1,
        out_root=tmp_path / "out",
        keep_origins=True,
    )
    assert res.folder is not None
    kept = sorted((res.folder / "origins").iterdir())
    assert [p.name for p in kept] == ["2012-01", "2012-02"]
    for folder in kept:
        assert {p.name for p in folder.iterdir()} == {
            "scenario.yaml",
            "priors.yaml",
            "summary.json",
        }
        rerun = api.run(api.load_scenario(folder / "scenario.yaml"))
        kept_summary = json.loads((folder / "summary.json").read_text())
        fresh = json.loads(summary_json_text(rerun.summary))
        for key in ("levels", "y10_at_horizon", "y2_at_horizon", "cut_count", "entry_months"):
            assert fresh[key] == kept_summary[key], key
    # the daily scores of the same runs: touch events at three offsets, hold returns
    assert set(res.summary["touch"]) == {"-100", "-50", "+50"}
    assert res.summary["touch"]["-50"]["1"]["n"] == 2
    assert res.summary["returns"]["1"]["n"] == 2
    assert (res.folder / "touch.csv").exists() and (res.folder / "returns.csv").exists()
    # the 2y's month-end forecasts, scored like the 10y's: outcomes are the DGS2 closes
    assert res.summary["y2"]["scores"]["macrosim"]["1"]["n"] == 2
    y2 = pd.read_csv(res.folder / "forecasts_y2.csv", dtype={"origin": str, "target": str})
    dgs2 = load_series("dgs2", data_dir).dropna()
    for row in y2.itertuples():
        month = dgs2.loc[row.target]  # every close of the target month
        assert row.realised == pytest.approx(float(month.iloc[-1]), abs=1e-12)
        assert row.y0 == pytest.approx(float(dgs2.loc[row.origin].iloc[-1]), abs=1e-12)
    # nothing left behind but the run folder
    assert [p.name for p in (tmp_path / "out").iterdir()] == [res.folder.name]
