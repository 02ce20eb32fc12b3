"""The FX leg in the engine (issue 14): spot paths, unhedged returns, their outputs.

References nobody here wrote: the viewed spot path summed by hand from the YAML drift
over the business-day calendar; the forward-points identity of a hedge at constant
rates; the sample correlation and s.d. of simulated steps against the parameters.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator import api
from simulator.data.calendar import business_days
from simulator.engine.block import _strategy_returns, block_aggregates, run_kernel
from simulator.engine.kernel import prepare_inputs
from simulator.engine.setup import build_spec
from simulator.engine.shocks import draw_shocks
from simulator.model.draws import ParameterDraws

REPO = Path(__file__).resolve().parents[1]
RESEARCH = REPO / "scenarios" / "research-view.yaml"
CONSTANT = REPO / "tests" / "fixtures" / "engine" / "constant.yaml"
DRIFT = {"2026-01": -0.8, "2026-02": -0.3, "2026-05": 0.5}
CNY = {
    "spot": {"value": 6.96, "source": "test", "date": "2026-01-20"},
    "view": {"drift_pct_per_month": DRIFT},
}
# constant.yaml's carry: n* = the policy rate and x0 = 0 keep the 10y at 4.30%
CARRY = {
    "inflation_persistence": 0.95,
    "inflation_shock_pp": 0.0,
    "inflation_loading": 0.5,
    "neutral_rate_pp": 3.625,
    "mean_reversion_per_year": 0.3,
    "term_premium_mean_pp": 4.30 - 3.625,
    "term_premium_persistence": 0.9,
    "term_premium_shock_pp": 0.0,
    "y10_noise_pp": 0.05,
    "acm_noise_pp": 0.1,
}


def _fixed(**values: float) -> ParameterDraws:
    return ParameterDraws(
        values={k: np.full(1, float(v)) for k, v in {**CARRY, **values}.items()}, source="prior"
    )


def _with_fx(path: Path, **more: Any) -> api.LoadedScenario:
    return api.with_overrides(api.load_scenario(path), {"fx": {"CNY": CNY}, **more})


def _viewed_log_spot(as_of: dt.date, day: dt.date) -> float:
    """The view's log(S_day / S_0) by hand: each business day after the as-of adds its
    month's drift / 100 / (business days in that month)."""
    total = 0.0
    for d64 in business_days(as_of + dt.timedelta(days=1), day):
        d = dt.date.fromisoformat(str(d64))
        first = d.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        total += DRIFT.get(d.strftime("%Y-%m"), 0.0) / 100.0 / len(business_days(first, last))
    return total


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
def test_zero_fx_volatility_gives_the_usd_return_converted_at_the_viewed_spot(
    kernel: str,
) -> None:
    """sigma = 0: 1 + U = exp(F_e - I_e) (1 + R_USD) V_T / V_e on every path, to 1e-12,
    with V the viewed spot path summed by hand and the 10y, policy and walks random."""
    sc = _with_fx(RESEARCH)
    draws = api.parameter_draws(sc, 5)
    draws.values["cny_daily_vol_pct"][:] = 0.0
    spec = build_spec(sc.scenario, draws, paths=600, seed=3)
    shocks = draw_shocks(spec, 0)
    agg = run_kernel(prepare_inputs(spec, shocks), kernel)  # type: ignore[arg-type]
    read_dates = [dt.date.fromisoformat(str(spec.grid[g])) for g in spec.read_at]
    view = np.array([_viewed_log_spot(spec.as_of, d) for d in read_dates])
    np.testing.assert_allclose(
        agg.fx_read[:, 0, :], np.broadcast_to(view, agg.fx_read[:, 0, :].shape), rtol=0, atol=1e-12
    )

    res = _strategy_returns(spec, agg, kernel)  # type: ignore[arg-type]
    entry = np.array([e.entry_read for e in spec.entries])
    f_e = spec.foreign_cash_log["CNY"][entry]
    i_e = agg.log_read[:, entry]
    want = np.exp(f_e - i_e) * (1.0 + res.usd) * np.exp(view[-1] - view[entry]) - 1.0
    got = block_aggregates(spec, 0, shocks, kernel).floats["uret_sum"][0]  # type: ignore[arg-type]
    np.testing.assert_allclose(got, want.sum(axis=0), rtol=1e-12, atol=0)


def test_hedged_minus_unhedged_is_the_forward_points_at_constant_rates() -> None:
    """Constant rates, one 12-month forward per entry (roll_months 12, so N = 1), no FX
    drift or volatility (S_T = S_e). Per unit of foreign cash at entry,

        (1 + H) - (1 + U) = exp(F_e) [(1 + R_bond - c d / 365.25) - (1 + R_bond) S_T / S_e]
                          = -exp(F_e) c d / 365.25,   c = r_USD + s - r_f - b,

    d the forward's days: the hedger gives up the forward points, the simple-interest
    rate differential over the forward's life (covered interest parity), and nothing else.
    """
    sc = api.with_overrides(
        _with_fx(CONSTANT),
        {"fx.CNY.view.drift_pct_per_month": 0.0, "hedging.roll_months": 12},
    )
    ds = api.run(sc, paths=16, seed=1, draws=_fixed(cny_daily_vol_pct=0.0), threads=1).dataset
    er = ds.entry_return.sel(currency="CNY", stat="mean")
    as_of, end = dt.date(2026, 1, 20), dt.date(2026, 12, 31)
    c = (3.625 + 0.05) - 1.95 - 0.0  # USD policy midpoint + bill spread - CNY rate - basis
    for month in er.entry_month.values:
        entry = dt.date.fromisoformat(str(business_days(f"{month}-01", f"{month}-28")[0]))
        f_e = 1.95 / 100.0 * (entry - as_of).days / 365.25
        want = -math.exp(f_e) * c / 100.0 * (end - entry).days / 365.25
        legs = er.sel(entry_month=month)
        got = float(legs.sel(hedge="hedged") - legs.sel(hedge="unhedged"))
        assert got == pytest.approx(want, rel=0, abs=1e-12), month
    usd = ds.entry_return.sel(currency="USD")
    assert np.array_equal(usd.sel(hedge="hedged"), usd.sel(hedge="unhedged"))


def test_simulated_fx_steps_have_the_volatility_and_correlation_drawn() -> None:
    """sd(ds) = sigma and corr(ds, dy) = rho over all daily steps of all paths.

    The 10y is a random walk here (phi = 1, constant EC), so dy is exactly its Gaussian
    step and u_t = dy / sd. N = 1500 paths x 239 steps ~ 3.6e5 pairs: s.e. of a sample
    correlation ~ (1 - rho^2) / sqrt(N) = 0.64 / 600 ~ 1.1e-3, of a sample s.d. ~
    sigma / sqrt(2N) (relative 1.2e-3). Tolerance 4 s.e.
    """
    sigma_pct, rho = 0.4, 0.6
    draws = _fixed(
        term_premium_persistence=1.0,
        term_premium_shock_pp=0.3,
        cny_daily_vol_pct=sigma_pct,
        cny_y10_correlation=rho,
    )
    sc = _with_fx(CONSTANT, **{"fx.CNY.view.drift_pct_per_month": 0.0})
    spec = build_spec(sc.scenario, draws, paths=1500, seed=9)
    spec.thin_paths = 1500
    agg = run_kernel(prepare_inputs(spec, draw_shocks(spec, 0)), "compiled")
    ds = np.diff(agg.fx_thin[0], axis=0).ravel()
    dy = np.diff(agg.thin, axis=0).ravel()
    n = ds.size
    assert abs(np.std(ds) / (sigma_pct / 100.0) - 1.0) < 4 / math.sqrt(2 * n)
    assert abs(np.corrcoef(ds, dy)[0, 1] - rho) < 4 * (1 - rho**2) / math.sqrt(n)


@pytest.mark.parametrize("grid", ["daily", "weekly"])
def test_both_kernels_agree_on_the_fx_leg(grid: str) -> None:
    """Spot paths to 1e-12, histogram counts exactly, every block aggregate (walks,
    inflation steps, events and policy news all feed u_t in research-view)."""
    sc = _with_fx(RESEARCH)
    spec = build_spec(sc.scenario, api.parameter_draws(sc, 5), paths=1500, seed=11, grid=grid)
    shocks = draw_shocks(spec, 0)
    inp = prepare_inputs(spec, shocks)
    ref, fast = run_kernel(inp, "numpy"), run_kernel(inp, "compiled")
    for name in ("fx_read", "fx_thin"):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0, atol=1e-12)
    assert np.array_equal(fast.fx_hist, ref.fx_hist)
    a = block_aggregates(spec, 0, shocks, "numpy")
    b = block_aggregates(spec, 0, shocks, "compiled")
    for k in ("hist_fx", "uret_loss", "uret_best", "hist_uret", "unhedged_beats"):
        assert np.array_equal(a.ints[k], b.ints[k]), k
    for k in ("uret_sum", "uret_sq"):
        np.testing.assert_allclose(b.floats[k], a.floats[k], rtol=1e-12, atol=0, err_msg=k)


def _strip(summary: dict[str, Any]) -> dict[str, Any]:
    new = ("entry_months_unhedged", "best_entry_unhedged", "p_unhedged_beats_hedged")
    drop = (*new, "fx_at_horizon", "provenance", "warnings")  # overrides: noted, hashed
    return {k: v for k, v in summary.items() if k not in drop}


def _without_fx(path: Path) -> api.LoadedScenario:
    return api.with_overrides(api.load_scenario(path), {"fx": {}})


def test_adding_fx_leaves_every_other_summary_number_bit_identical() -> None:
    without = api.run(_without_fx(RESEARCH), paths=3000, seed=7).summary
    with_fx = api.run(_with_fx(RESEARCH), paths=3000, seed=7).summary
    assert _strip(with_fx) == _strip(without)
    assert set(with_fx) - set(without) == {
        "entry_months_unhedged",
        "best_entry_unhedged",
        "p_unhedged_beats_hedged",
        "fx_at_horizon",
    }
    assert set(with_fx["p_unhedged_beats_hedged"]) == {"CNY"}
    q = with_fx["fx_at_horizon"]["CNY"]
    assert q["0.05"] < q["0.5"] < q["0.95"]


def test_outputs_without_an_fx_leg_are_nan_and_usd_legs_equal() -> None:
    ds = api.run(_without_fx(RESEARCH), paths=500, seed=2).dataset
    assert ds.entry_return.dims == ("currency", "entry_month", "stat", "hedge")
    assert ds.fx.dims == ("currency", "date", "quantile")
    assert np.isnan(ds.fx).all() and np.isnan(ds.fx_spot0).all()
    assert np.isnan(ds.p_unhedged_beats_hedged).all()
    unhedged = ds.entry_return.sel(hedge="unhedged")
    assert np.isnan(unhedged.sel(currency=["CNY", "EUR", "JPY"])).all()
    hedged_usd = ds.entry_return.sel(currency="USD", hedge="hedged")
    assert np.array_equal(unhedged.sel(currency="USD"), hedged_usd)


def test_seasonal_from_history_reads_the_priors_table() -> None:
    """The drift is the priors file's fx_seasonal table; a priors file without one is a
    located error."""
    sc = api.with_overrides(
        api.load_scenario(RESEARCH),
        {"fx": {"CNY": {**CNY, "view": {"seasonal_from_history": True}}}},
    )
    table = sc.run_priors.config.fx_seasonal["CNY"].mean_pct
    spec = build_spec(
        sc.scenario,
        api.parameter_draws(sc, 1),
        paths=10,
        seed=1,
        fx_seasonal=sc.run_priors.config.fx_seasonal,
    )
    march = [i for i, g in enumerate(spec.grid) if str(g)[:7] == "2026-03"]
    feb_end = march[0] - 1
    got = spec.fx_drift[0, march[-1]] - spec.fx_drift[0, feb_end]
    assert got == pytest.approx(table["mar"] / 100.0, rel=1e-12)
    with pytest.raises(api.ConfigError, match=r"no fx_seasonal\.CNY table"):
        build_spec(sc.scenario, api.parameter_draws(sc, 1), paths=10, seed=1)


def test_fx_quantiles_and_mean_match_the_simulated_spots() -> None:
    """One block: the histogram's q-quantile of the horizon spot lies between the sample's
    order statistics around q N, give or take one bin (0.02% of log spot: relative
    2e-4); the mean is the sample's."""
    sc = _with_fx(RESEARCH)
    seed, paths = 5, 3000
    ds = api.run(sc, paths=paths, seed=seed).dataset
    spec = build_spec(
        sc.scenario,
        api.parameter_draws(sc, seed),
        paths=paths,
        seed=seed,
        fx_seasonal=sc.run_priors.config.fx_seasonal,
    )
    agg = run_kernel(prepare_inputs(spec, draw_shocks(spec, 0)), "numpy")
    spot = 6.96 * np.exp(agg.fx_read[:, 0, -1])
    got = ds.fx.sel(currency="CNY").isel(date=-1)
    order = np.sort(spot)
    for q, value in zip(got["quantile"].values, got.values, strict=True):
        k = math.ceil(q * paths)  # the histogram's target count
        lo, hi = order[max(k - 2, 0)] * (1 - 2e-4), order[min(k, paths - 1)] * (1 + 2e-4)
        assert lo <= value <= hi, q
    mean = float(ds.fx_mean_at_horizon.sel(currency="CNY"))
    assert mean == pytest.approx(float(spot.mean()), rel=1e-12)
    assert float(ds.fx.sel(currency="CNY").isel(date=0, quantile=0)) == 6.96


@pytest.mark.parametrize("priors", ["default.yaml", "calibrated-2026-01-20.yaml"])
def test_shipped_seasonal_table_is_the_measured_one(priors: str, data_dir: Path) -> None:
    """fx_seasonal.CNY in the priors files = Table 1 over whole years 2006-2025 (the
    call docs/fx.md gives), to the 3 decimals shipped."""
    from simulator.config import load_priors
    from simulator.config.schema import MONTHS
    from simulator.data.fx import monthly_seasonal_table
    from simulator.data.loaders import load_series

    table = monthly_seasonal_table(load_series("usdcny_monthly", data_dir), start="2005-12-01")
    shipped = load_priors(REPO / "priors" / priors).config.fx_seasonal["CNY"].mean_pct
    for m, name in enumerate(MONTHS, start=1):
        assert shipped[name] == pytest.approx(table.loc[m, "mean_pct"], abs=5e-4), name


def test_the_fx_fit_writes_entries_the_engine_runs_with(data_dir: Path) -> None:
    """The CNY fit's posterior (model.fx_fit) validates as priors-file entries and drives
    the leg: the drawn vol and correlation are the posterior's."""
    from simulator.config import load_priors
    from simulator.config.schema import PriorsFile
    from simulator.model.draws import draw_parameters
    from simulator.model.fx_fit import fit_cny_from_history

    base = load_priors(REPO / "priors" / "default.yaml").config
    specs = fit_cny_from_history(
        data_dir,
        "2026-01-20",
        vol_prior=base.parameters.cny_daily_vol_pct,
        correlation_prior=base.parameters.cny_y10_correlation,
    ).specs
    dumped = base.model_dump(mode="json", exclude_none=True)
    dumped["parameters"].update(specs)
    priors = PriorsFile.model_validate(dumped)
    draws = draw_parameters(priors, 4000, rng=np.random.default_rng(1))
    vol, rho = draws.values["cny_daily_vol_pct"], draws.values["cny_y10_correlation"]
    # the data (2015-08 on): s.d. ~0.27%, correlation ~+0.08
    assert 0.2 < float(np.median(vol)) < 0.35 and 0.0 < float(np.median(rho)) < 0.2
