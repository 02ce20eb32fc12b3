"""Engine tests: build_spec -> simulate_block -> run_blocks -> finalize, through api.run.

Tiers:

- analytic: Fixed parameters with zero shock volatilities make every path the
  deterministic path, recomputed here by hand from the simulator.core.expectations
  kernels (EC), the AR(1) decay (TP), the seasonal drift and simulator.core.bonds;
- seeded Monte Carlo: tolerances are named multiples of the run's own standard error;
- reproducibility: pool size, block layout and seeds.

Scenario fixtures live in tests/fixtures/engine/; parameters come from
:func:`fixed_draws` (one joint draw, every path uses it) unless prior draws are the point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from simulator import api
from simulator.config import ConfigError, Loaded, load_priors
from simulator.config.schema import CutView
from simulator.core import policy
from simulator.core.barrier import (
    bgk_shifted_level,
    bridge_sigma,
    daily_sigma_from_monthly,
    first_passage_probability,
)
from simulator.core.bonds import (
    bond_total_return,
    dirty_price,
    holding_coupon_dates,
    par_bond_maturity,
)
from simulator.core.expectations import (
    expectations_component,
    inflation_weight_B,
    meeting_counts,
    months_inside,
    reversion_sum,
)
from simulator.data.calendar import business_days, next_business_day
from simulator.engine.block import simulate_block
from simulator.engine.run import run_blocks
from simulator.engine.setup import BLOCK_SIZE, build_spec
from simulator.model.draws import ParameterDraws, draw_parameters
from simulator.report.summary import summary_json_text

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "engine"
BASELINE = REPO / "scenarios" / "baseline.yaml"

# Units as in docs/model.md: % and pp; rho, phi per month; kappa per year.
PARAMS = {
    "inflation_persistence": 0.95,
    "inflation_shock_pp": 0.0,
    "inflation_loading": 0.5,
    "neutral_rate_pp": 3.0,
    "mean_reversion_per_year": 0.3,
    "term_premium_mean_pp": 0.8,
    "term_premium_persistence": 0.9,
    "term_premium_shock_pp": 0.0,
    "y10_noise_pp": 0.05,
    "acm_noise_pp": 0.1,
}
MEETINGS = [
    dt.date(2026, 1, 28),
    dt.date(2026, 3, 18),
    dt.date(2026, 4, 29),
    dt.date(2026, 6, 17),
    dt.date(2026, 7, 29),
    dt.date(2026, 9, 16),
    dt.date(2026, 10, 28),
    dt.date(2026, 12, 9),
]
JUNE = 3  # index of the 2026-06-17 meeting


def fixed_draws(**overrides: float) -> ParameterDraws:
    """One joint parameter draw: PARAMS with ``overrides``."""
    values = {**PARAMS, **overrides}
    return ParameterDraws(
        values={k: np.full(1, float(v)) for k, v in values.items()}, source="prior"
    )


def load(name: str, **updates: Any) -> api.LoadedScenario:
    """A fixture scenario, with top-level config fields replaced by ``updates``."""
    sc = api.load_scenario(FIXTURES / name)
    if not updates:
        return sc
    cfg = sc.scenario.config.model_copy(update=updates)
    return dataclasses.replace(sc, scenario=Loaded(cfg, sc.scenario.doc))


def _day(d: Any) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime64(d, "D")))


def _years(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 365.25


# ---------------------------------------------------------------------------
# The deterministic path by hand
# ---------------------------------------------------------------------------


@functools.cache
def _month_bday_list(year: int, month: int) -> tuple[dt.date, ...]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return tuple(_day(d) for d in business_days(first, nxt - dt.timedelta(days=1)))


def _month_bdays(d: dt.date) -> int:
    return len(_month_bday_list(d.year, d.month))


def _is_month_end_bday(d: dt.date) -> bool:
    return _month_bday_list(d.year, d.month)[-1] == d


def hand_path(
    dates: list[dt.date],
    *,
    y0: float,
    gap0: float,
    window_end: dt.date,
    rate_post: np.ndarray,
    expected_cuts: np.ndarray,
    drift_bp: dict[int, float],
    p: dict[str, float],
) -> dict[str, np.ndarray]:
    """y10, EC and TP on a daily grid with zero shocks, from the model's equations.

    ``rate_post`` (G,) is the policy rate incl. decided moves, ``expected_cuts`` (G, J) the
    market's E_t[m_i] at the remaining meetings; TP = mu_tp + x0 phi^(b/21) + drift with
    x0 = y0 - EC_0 - mu_tp (the first day continues from the observed 10y).
    """
    as_of = dates[0]
    effective = [_day(next_business_day(m)) for m in MEETINGS if m > as_of]
    b_weight = p["inflation_loading"] * float(inflation_weight_B(p["inflation_persistence"]))
    ec = np.empty(len(dates))
    drift = np.zeros(len(dates))
    gap = gap0
    for t, d in enumerate(dates):
        if t > 0:
            if _is_month_end_bday(d):
                gap *= p["inflation_persistence"]  # g steps at month ends, no shock
            drift[t] = drift[t - 1] + drift_bp.get(d.month, 0.0) / 100.0 / _month_bdays(d)
        years = _years(d, window_end)
        taus = np.array([_years(d, e) for e in effective])
        ec[t] = expectations_component(
            np.array([rate_post[t]]),
            np.array([p["neutral_rate_pp"]]),
            np.array([p["mean_reversion_per_year"]]),
            expected_cuts[t][None, :],
            meeting_counts(years, taus),
            years,
            np.array([b_weight * gap]),
        )[0]
    mu = p["term_premium_mean_pp"]
    x0 = y0 - ec[0] - mu
    bday = np.arange(len(dates))  # daily grid: one business day per step
    tp = mu + x0 * p["term_premium_persistence"] ** (bday / 21.0) + drift
    return {"y10": ec + tp, "expectations": ec, "term_premium": tp}


def rate_weight(d: dt.date, window_end: dt.date, kappa: float) -> float:
    """W_r = (H_in + S(kappa, L)) / 120: the 10y's loading on the policy rate."""
    years = _years(d, window_end)
    return (months_inside(years) + float(reversion_sum(np.array([kappa]), years)[0])) / 120.0


def _grid_dates(ds: xr.Dataset) -> list[dt.date]:
    return [_day(d) for d in ds.date.values]


def test_zero_shocks_give_the_deterministic_path() -> None:
    sc = load("deterministic.yaml")
    res = api.run(sc, paths=64, seed=3, draws=fixed_draws(), threads=1)
    ds = res.dataset
    dates = _grid_dates(ds)
    # the daily grid: the as-of, then every business day to the horizon
    assert dates == [dt.date(2026, 1, 20)] + [
        _day(d) for d in business_days("2026-01-21", "2026-12-31")
    ]
    paths = ds.y10_paths.values
    assert paths.shape == (64, len(dates))
    assert np.all(paths == paths[0])  # every path identical, bit for bit
    assert paths[0, 0] == 4.30  # the as-of is the snapshot

    # market = view = one cut at the June meeting for sure: E[m_June] = 1 until the
    # decision (2026-06-17), then the cut is in the rate and nothing is left to expect.
    decided = np.array([d >= MEETINGS[JUNE] for d in dates])
    rate_post = np.where(decided, 3.625 - 0.25, 3.625)
    e_cuts = np.zeros((len(dates), len(MEETINGS)))
    e_cuts[~decided, JUNE] = 1.0
    hand = hand_path(
        dates,
        y0=4.30,
        gap0=0.83,
        window_end=dt.date(2026, 12, 31),
        rate_post=rate_post,
        expected_cuts=e_cuts,
        drift_bp={3: 6.0, 4: -4.0},
        p=PARAMS,
    )
    np.testing.assert_allclose(paths[0], hand["y10"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.expectations_mean, hand["expectations"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.term_premium_mean, hand["term_premium"], rtol=0, atol=1e-12)
    # the policy rate moves the business day after the decision
    effective = np.array([d >= dt.date(2026, 6, 18) for d in dates])
    np.testing.assert_array_equal(ds.policy_rate_mean, np.where(effective, 3.375, 3.625))

    # A cut the market fully expected moves nothing on the day: on 2026-06-17 every
    # monthly horizon lies after the effective day, so W_June = W_r and
    # -0.25 W_r (the cut) + 0.25 W_June E[m_June] (the expectation leaving) = 0.
    td = dates.index(MEETINGS[JUNE])
    before = hand_path(
        dates,
        y0=4.30,
        gap0=0.83,
        window_end=dt.date(2026, 12, 31),
        rate_post=np.full(len(dates), 3.625),
        expected_cuts=np.tile(np.eye(len(MEETINGS))[JUNE], (len(dates), 1)),
        drift_bp={3: 6.0, 4: -4.0},
        p=PARAMS,
    )
    assert hand["expectations"][td] == pytest.approx(before["expectations"][td], abs=1e-14)
    drift_only = before["y10"][td] - before["y10"][td - 1]
    assert paths[0, td] - paths[0, td - 1] == pytest.approx(drift_only, abs=1e-12)


def test_surprise_cut_moves_the_10y_by_the_computed_amount() -> None:
    sc = load("surprise.yaml")
    draws = fixed_draws()
    spec = build_spec(sc.scenario, draws, paths=16, seed=5)
    table = spec.market_table
    # The market's {0: 1} is floored so the view's cut has mass 1e-4, at June (the only
    # meeting either can move at): before the decision E[m_June] = 1e-4, after it 0.
    e_before = table.expected_remaining([0], [0])[0]
    np.testing.assert_allclose(e_before, np.eye(8)[JUNE] * 1e-4, rtol=1e-12, atol=1e-18)
    e_after_cut = table.expected_remaining([JUNE + 1], [1])[0]
    e_after_hold = table.expected_remaining([JUNE + 1], [0])[0]
    assert not e_after_cut.any() and not e_after_hold.any()

    res = api.run(sc, paths=16, seed=5, draws=draws, threads=1)
    ds = res.dataset
    dates = _grid_dates(ds)
    y = ds.y10_paths.values[0]
    assert np.all(ds.y10_paths.values == y)
    td = dates.index(MEETINGS[JUNE])
    decided = np.array([d >= MEETINGS[JUNE] for d in dates])
    kw: dict[str, Any] = {
        "y0": 4.30,
        "gap0": 0.83,
        "window_end": dt.date(2026, 12, 31),
        "drift_bp": {},
        "p": PARAMS,
    }
    e_path = np.where(decided[:, None], e_after_cut, e_before)
    cut = hand_path(dates, rate_post=np.where(decided, 3.375, 3.625), expected_cuts=e_path, **kw)
    hold = hand_path(dates, rate_post=np.full(len(dates), 3.625), expected_cuts=e_path, **kw)
    np.testing.assert_allclose(y, cut["y10"], rtol=0, atol=1e-12)

    # Decision day, by parts: the no-cut counterfactual moves by the deterministic drift
    # plus the market's revision (its 1e-4 expected cut leaves: +0.25 W_June 1e-4); the
    # cut adds -0.25 W_r on top.
    w_r = rate_weight(dates[td], dt.date(2026, 12, 31), PARAMS["mean_reversion_per_year"])
    jump = y[td] - y[td - 1]
    hold_jump = hold["y10"][td] - hold["y10"][td - 1]
    assert jump - hold_jump == pytest.approx(-0.25 * w_r, abs=1e-12)
    still_expected = hand_path(
        dates,
        rate_post=np.full(len(dates), 3.625),
        expected_cuts=np.tile(e_before, (len(dates), 1)),
        **kw,
    )
    revision = hold["y10"][td] - still_expected["y10"][td]
    assert revision == pytest.approx(0.25 * w_r * 1e-4, rel=1e-6)
    assert jump == pytest.approx(
        still_expected["y10"][td] - y[td - 1] - 0.25 * w_r + revision, abs=1e-12
    )

    # With the view split 50/50 between a hold and the cut, the engine's own counterfactual
    # paths differ by exactly -0.25 W_r(t) from the decision on (same market, same TP).
    split = load(
        "surprise.yaml",
        view=CutView(**{**sc.scenario.config.view.model_dump(), "cut_count": {0: 0.5, 1: 0.5}}),
    )
    two = api.run(split, paths=64, seed=5, draws=draws, threads=1).dataset.y10_paths.values
    lo, hi = two[two[:, -1].argmin()], two[two[:, -1].argmax()]
    w_path = np.array(
        [rate_weight(d, dt.date(2026, 12, 31), PARAMS["mean_reversion_per_year"]) for d in dates]
    )
    np.testing.assert_allclose(lo - hi, np.where(decided, -0.25 * w_path, 0.0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(lo, y, rtol=0, atol=1e-12)


def test_decision_after_the_horizon_is_not_seen() -> None:
    # A horizon the day before the June decision: the surprise cut must not show up in
    # the horizon's 10y (it would if the decision were revealed on the last grid date).
    draws = fixed_draws()
    horizon = dt.date(2026, 6, 16)
    ds = api.run(load("surprise.yaml", horizon=horizon), paths=16, seed=5, draws=draws).dataset
    full = api.run(load("surprise.yaml"), paths=16, seed=5, draws=draws).dataset
    n = ds.sizes["date"]
    assert _grid_dates(ds)[-1] == horizon
    np.testing.assert_allclose(ds.y10_mean, full.y10_mean[:n], rtol=0, atol=1e-13)
    np.testing.assert_allclose(ds.policy_rate_mean, 3.625, rtol=0, atol=0)


# ---------------------------------------------------------------------------
# Carry: constant yield and rates
# ---------------------------------------------------------------------------

CARRY = {
    "neutral_rate_pp": 3.625,  # n* = r: the expected short rate is flat
    "term_premium_mean_pp": 4.30 - 3.625,  # x0 = 0: the term premium stays at its mean
}


def test_constant_yield_returns_are_carry() -> None:
    sc = load("constant.yaml")
    ds = api.run(sc, paths=16, seed=1, draws=fixed_draws(**CARRY), threads=1).dataset
    dates = _grid_dates(ds)
    as_of, horizon = dates[0], dates[-1]
    np.testing.assert_allclose(ds.y10_paths, 4.30, rtol=0, atol=1e-13)
    r_usd = 3.625 + 0.05  # policy rate + bill spread
    legs = sc.scenario.config.hedging.currencies
    er = ds.entry_return.sel(hedge="hedged")
    assert list(er.entry_month.values) == [f"2026-{m:02d}" for m in range(2, 13)]

    def bday_on_or_after(d: dt.date) -> dt.date:
        return d if d in dates else _day(next_business_day(d))

    def growth(a: dt.date, b: dt.date, rate: float) -> float:
        return math.exp(rate / 100.0 * (b - a).days / 365.25)

    for month in er.entry_month.values:
        y, m = (int(x) for x in str(month).split("-"))
        entry = _day(business_days(dt.date(y, m, 1), dt.date(y, m, 28))[0])
        cpns = [_day(c) for c in holding_coupon_dates(entry, horizon)]
        # coupons are reinvested from the first business day on or after their date
        cpn_growth = np.array([growth(bday_on_or_after(c), horizon, r_usd) for c in cpns])
        r_bond = float(bond_total_return(4.30, 4.30, entry, horizon, cpn_growth).total_return)
        usd = growth(as_of, entry, r_usd) * (1.0 + r_bond) - 1.0
        # Accrual and reinvestment sum day counts per grid step: exact up to rounding.
        assert float(er.sel(currency="USD", entry_month=month, stat="mean")) == pytest.approx(
            usd, abs=1e-12
        )
        # Hedged: 3-month rolls from the entry month's first business day, notional
        # re-marked to the bond's value (dirty price + coupons received, reinvested).
        starts = [entry]
        for k in range(1, 12):
            mm = m - 1 + 3 * k
            if mm >= 12:
                break
            starts.append(_day(business_days(dt.date(y, mm + 1, 1), dt.date(y, mm + 1, 28))[0]))
        ends = [*starts[1:], horizon]
        maturity = par_bond_maturity(entry)
        notional = []
        for t0 in starts:
            value = float(dirty_price(4.30, 4.30, t0, maturity)) / 100.0
            for c in cpns:
                if c <= t0:
                    value += 4.30 / 200.0 * growth(bday_on_or_after(c), t0, r_usd)
            notional.append(value)
        for cur in ("CNY", "EUR", "JPY"):
            f, b = float(legs[cur].short_rate_pp), float(legs[cur].basis_pp)
            cost = sum(
                n * (r_usd - f - b) / 100.0 * (t1 - t0).days / 365.25
                for n, t0, t1 in zip(notional, starts, ends, strict=True)
            )
            hedged = growth(as_of, entry, f) * (1.0 + r_bond - cost) - 1.0
            got = float(er.sel(currency=cur, entry_month=month, stat="mean"))
            assert got == pytest.approx(hedged, abs=1e-12), (cur, month)


# ---------------------------------------------------------------------------
# Seeded Monte Carlo on the term premium alone
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("grid", ["daily", "weekly"])
def test_term_premium_variance_matches_the_exact_ar1(grid: str) -> None:
    phi, sigma_tp = 0.9, 0.25
    sc = load("constant.yaml")
    spec = build_spec(
        sc.scenario,
        fixed_draws(**CARRY, term_premium_persistence=phi, term_premium_shock_pp=sigma_tp),
        paths=BLOCK_SIZE,
        seed=21,
        grid=grid,
    )
    spec.thin_paths = BLOCK_SIZE  # keep every path of the block
    paths = run_blocks(spec, threads=1).thin
    assert paths is not None and paths.shape == (BLOCK_SIZE, len(spec.grid))
    n = paths.shape[0]
    # sigma_d = sigma_tp sqrt((1 - phi^(2/21)) / (1 - phi^2)), phi_d = phi^(1/21)
    phi_d = phi ** (1 / 21)
    sigma_d2 = sigma_tp**2 * (1 - phi ** (2 / 21)) / (1 - phi**2)
    for target in (5, 21, 63, int(spec.grid_bday[-1])):
        t = int(np.searchsorted(spec.grid_bday, target))
        h = int(spec.grid_bday[t])
        var = sigma_d2 * (1 - phi_d ** (2 * h)) / (1 - phi_d**2)
        # x0 is pinned (= 0 here), so TP_h ~ N(mu_tp, var) exactly and the sample variance
        # has chi-square s.e. var sqrt(2 / (n - 1)) (1.6% at n = 8192); allow 4 s.e.
        se_var = var * math.sqrt(2.0 / (n - 1))
        assert abs(paths[:, t].var(ddof=1) - var) < 4 * se_var, (grid, h)
        # and the mean stays at 10y = EC + mu_tp = 4.30: s.e. sqrt(var / n), 4 s.e.
        assert abs(paths[:, t].mean() - 4.30) < 4 * math.sqrt(var / n), (grid, h)


@pytest.mark.parametrize("grid", ["daily", "weekly"])
def test_term_premium_mean_walk_has_the_random_walk_variance(grid: str) -> None:
    # sigma_tp = 0 and sigma_m > 0: TP_h = mu_tp + sigma_m sqrt(h / 21) Z exactly
    sigma_m = 0.2
    sc = load("constant.yaml")
    spec = build_spec(
        sc.scenario,
        fixed_draws(**CARRY, term_premium_mean_shock_pp=sigma_m),
        paths=BLOCK_SIZE,
        seed=23,
        grid=grid,
    )
    spec.thin_paths = BLOCK_SIZE
    paths = run_blocks(spec, threads=1).thin
    assert paths is not None
    n = paths.shape[0]
    for target in (5, 63, int(spec.grid_bday[-1])):
        t = int(np.searchsorted(spec.grid_bday, target))
        var = sigma_m**2 * int(spec.grid_bday[t]) / 21
        # chi-square s.e. of a sample variance: var sqrt(2 / (n - 1)); 4 s.e.
        assert abs(paths[:, t].var(ddof=1) - var) < 4 * var * math.sqrt(2.0 / (n - 1)), (grid, t)
        # s.e. of the mean sqrt(var / n); 4 s.e.
        assert abs(paths[:, t].mean() - 4.30) < 4 * math.sqrt(var / n), (grid, t)


@pytest.mark.parametrize("grid", ["daily", "weekly"])
def test_touch_on_a_random_walk_matches_the_bgk_shifted_closed_form(grid: str) -> None:
    # phi = 1, n* = r, no cuts, zero gap: the 10y is 4.30 + a driftless Gaussian random
    # walk with daily s.d. sigma_d = sigma_tp / sqrt(21), monitored at daily closes.
    sigma_tp = 0.25
    draws = fixed_draws(**CARRY, term_premium_persistence=1.0, term_premium_shock_pp=sigma_tp)
    levels = [4.0, 3.5]
    res = api.run(
        load("constant.yaml"), paths=3 * BLOCK_SIZE, seed=8, draws=draws, grid=grid, levels=levels
    )
    ds = res.dataset
    n_days = len(business_days("2026-01-21", "2026-12-31"))  # 238 daily steps
    sigma = float(bridge_sigma(daily_sigma_from_monthly(sigma_tp, 1.0)))  # pp / sqrt(year)
    for level in levels:
        p = float(ds.p_touch.sel(level=level).isel(date=-1))
        se = float(ds.p_touch_se.sel(level=level).isel(date=-1))
        shifted = float(bgk_shifted_level(level, 4.30, sigma))
        closed = float(first_passage_probability(4.30, shifted, 0.0, sigma, n_days / 252))
        continuous = float(first_passage_probability(4.30, level, 0.0, sigma, n_days / 252))
        # 4 Monte Carlo s.e. plus the BGK remainder: the shift is exact to o(sqrt(dt)) and
        # leaves an O(dt) = O(1/252) term; an exact discrete-monitoring convolution of
        # this walk gives 7e-4 (level 4.0) and 3e-4 (level 3.5), well inside 1/252.
        tol = 4 * se + 1 / 252
        assert abs(p - closed) < tol, (grid, level, p, closed, se)
        if level == 4.0:
            # power: continuous monitoring (no shift) is 0.027 higher and is rejected
            assert abs(p - continuous) > tol


# ---------------------------------------------------------------------------
# Baseline with prior draws: weekly vs daily, identities
# ---------------------------------------------------------------------------

MC_PATHS = 40_000


@pytest.fixture(scope="module")
def prior_draws() -> ParameterDraws:
    # Draws from the weakly informative priors (not a calibrated file that may sit
    # beside them): the widest dynamics the engine is asked to handle.
    priors = load_priors(REPO / "priors" / "default.yaml").config
    return draw_parameters(priors, 4000, rng=np.random.default_rng(20260120))


@pytest.fixture(scope="module")
def baseline_daily(prior_draws: ParameterDraws) -> api.Result:
    return api.run(BASELINE, paths=MC_PATHS, seed=20260120, grid="daily", draws=prior_draws)


def test_weekly_touch_agrees_with_daily(
    baseline_daily: api.Result, prior_draws: ParameterDraws
) -> None:
    weekly = api.run(BASELINE, paths=MC_PATHS, seed=20260120, grid="weekly", draws=prior_draws)
    for key, d in baseline_daily.summary["levels"].items():
        w = weekly.summary["levels"][key]
        # Both estimate P(a daily close at or beyond the level); the weekly grid adds the
        # BGK-shifted bridge between grid dates. The runs share parameter draws and cut
        # placements (same seed, same streams), so the difference's s.e. is at most the
        # independent-runs value sqrt(se_d^2 + se_w^2) (~0.0035 here); allow 3 of it.
        se = math.hypot(d["p_touch_se"], w["p_touch_se"])
        assert abs(w["p_touch"] - d["p_touch"]) < 3 * se, (key, d, w)


def _check_identities(ds: xr.Dataset) -> None:
    np.testing.assert_allclose(ds.move_prob.sum("move_bp"), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.market_move_prob.sum("move_bp"), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.cut_count_prob.sum("cut_count"), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.cut_count_paths.sum(), 1.0, rtol=0, atol=1e-12)
    # first touches by month add up to P(touched by the horizon) for levels not already
    # touched at the as-of
    start = ds.p_touch.isel(date=0)
    np.testing.assert_allclose(
        ds.first_touch_month.sum("month") + start, ds.p_touch.isel(date=-1), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        ds.y10_mean, ds.expectations_mean + ds.term_premium_mean, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        ds.entry_return.sel(stat="p_best", hedge="hedged").sum("entry_month"),
        1.0,
        rtol=0,
        atol=1e-12,
    )
    assert np.all(np.diff(ds.p_touch.values, axis=1) >= 0)  # touched stays touched


def test_output_identities(baseline_daily: api.Result) -> None:
    _check_identities(baseline_daily.dataset)


# ---------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------


def _bits(ds: xr.Dataset) -> dict[str, bytes]:
    return {k: np.ascontiguousarray(v.values).tobytes() for k, v in ds.variables.items()}


def test_results_do_not_depend_on_the_pool_size_and_follow_the_seed() -> None:
    sc = api.load_scenario(BASELINE)
    paths = BLOCK_SIZE + 300  # two blocks, the second partial
    # weekly grid for speed (it also runs the bridge); the block test below is daily
    one = api.run(sc, paths=paths, seed=7, threads=1, grid="weekly")
    two = api.run(sc, paths=paths, seed=7, threads=2, grid="weekly")
    other = api.run(sc, paths=paths, seed=8, threads=2, grid="weekly")
    assert summary_json_text(one.summary) == summary_json_text(two.summary)
    assert _bits(one.dataset) == _bits(two.dataset)
    assert one.dataset.attrs == two.dataset.attrs
    assert summary_json_text(other.summary) != summary_json_text(one.summary)
    assert not np.array_equal(other.dataset.y10_paths, one.dataset.y10_paths)


def test_first_block_does_not_depend_on_the_path_count() -> None:
    loaded = api.load_scenario(BASELINE)
    draws = api.parameter_draws(loaded, 3)
    small = build_spec(loaded.scenario, draws, paths=BLOCK_SIZE, seed=3)
    large = build_spec(loaded.scenario, draws, paths=2 * BLOCK_SIZE, seed=3)
    a, b = simulate_block(small, 0), simulate_block(large, 0)
    assert a.n == b.n == BLOCK_SIZE
    assert a.ints.keys() == b.ints.keys() and a.floats.keys() == b.floats.keys()
    for k in a.ints:
        assert np.array_equal(a.ints[k], b.ints[k]), k
    for k in a.floats:
        assert a.floats[k].tobytes() == b.floats[k].tobytes(), k
    assert a.thin is not None and b.thin is not None
    assert a.thin.tobytes() == b.thin.tobytes()


# ---------------------------------------------------------------------------
# An as-of inside the window
# ---------------------------------------------------------------------------


def _brute_force_update(view: CutView, observed: list[int]) -> dict[int, float]:
    """P(K | observed cuts at the first meetings), by enumerating every placement.

    Given K, a placement (one move at most per meeting) has probability prod w^m / Z(K);
    sum over placements that agree with the observed meetings, times P(K).
    """
    w = np.array([view.meeting_weights.get(m, 1.0) for m in MEETINGS])
    joint = {}
    for k, p_k in view.cut_count.items():
        z, agree = 0.0, 0.0
        for mask in range(2 ** len(MEETINGS)):
            m = np.array([(mask >> i) & 1 for i in range(len(MEETINGS))])
            if m.sum() != k:
                continue
            weight = float(np.prod(w**m))
            z += weight
            if list(m[: len(observed)]) == observed:
                agree += weight
        joint[k] = p_k * agree / z if z > 0 else 0.0
    total = sum(joint.values())
    return {k: v / total for k, v in joint.items()}


def test_as_of_inside_the_window_conditions_on_observed_moves() -> None:
    sc = api.load_scenario(FIXTURES / "inside_window.yaml")
    res = api.run(sc, paths=4096, seed=13, threads=1)
    ds = res.dataset
    view_cfg = sc.scenario.config.view
    observed = [0, 1, 0, 1]  # signed cuts: Jan hold, Mar cut, Apr hold, Jun cut
    counts = ds.cut_count.values
    # no path ends the window with fewer cuts than it has already seen
    paths_by_k = dict(zip(counts.tolist(), ds.cut_count_paths.values.tolist(), strict=True))
    assert all(v == 0 for k, v in paths_by_k.items() if k < 2)
    assert sum(v for k, v in paths_by_k.items() if k >= 2) == pytest.approx(1.0, abs=1e-12)
    # the view is the exact Bayes update of the scenario's prior on the four decisions
    prior = policy.CutBeliefs(
        counts=np.array(sorted(view_cfg.cut_count)),
        probs=np.array([view_cfg.cut_count[k] for k in sorted(view_cfg.cut_count)]),
        weights=np.array([view_cfg.meeting_weights[m] for m in MEETINGS]),
    )
    updated = policy.update_on_observed(prior, observed)
    _, want = policy.count_distribution(updated, counts)
    got = ds.cut_count_prob.sel(belief="view").values
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    brute = _brute_force_update(view_cfg, observed)
    np.testing.assert_allclose(got, [brute.get(int(k), 0.0) for k in counts], rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        ds.cut_count_prob.sel(belief="view_prior").values,
        [view_cfg.cut_count.get(int(k), 0.0) for k in counts],
        rtol=0,
        atol=1e-12,
    )
    # the decided meetings' rows are certain: -25bp in March and June, 0 in Jan and April
    for i, cuts in enumerate(observed):
        row = ds.move_prob.isel(meeting=i)
        assert float(row.sel(move_bp=-25 * cuts)) == 1.0
    # the policy rate starts at the snapshot's midpoint and never rises (cuts only)
    assert float(ds.policy_rate_mean[0]) == pytest.approx(3.125, abs=1e-14)
    assert ds.entry_return.entry_month.values.tolist() == [f"2026-{m:02d}" for m in range(7, 13)]
    _check_identities(ds)


def test_missing_observed_decision_is_a_config_error() -> None:
    sc = api.load_scenario(FIXTURES / "missing_observed_move.yaml")
    with pytest.raises(ConfigError, match=r"observed\.moves") as err:
        api.run(sc, paths=16, seed=1, draws=fixed_draws(), threads=1)
    assert "2026-04-29" in str(err.value)
