"""Fast tier of the model layer: no NUTS (real fits live in test_model_recovery.py)."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from model_fixtures import TRUE
from scipy import stats

from simulator.config import load_priors
from simulator.config.schema import (
    ENGINE_ONLY_PARAMETERS,
    FITTED_PARAMETERS,
    PARAMETERS,
    PriorsFile,
)
from simulator.model import cache
from simulator.model.commands import (
    FitResult,
    _as_of,
    fit_history,
    posterior_predictive_summary,
    prior_predictive,
)
from simulator.model.diagnostics import Diagnostics, diagnose, problems
from simulator.model.draws import ParameterDraws, draw_parameters, to_unconstrained
from simulator.model.export import export_priors
from simulator.model.fit import (
    FOLDED_SCALES,
    FitError,
    build_model,
    check_priors,
    seed_from_key,
)
from simulator.model.kalman import (
    inflation_loglik,
    kalman_filter,
    kalman_smoother,
    log_likelihood,
)
from simulator.model.statespace import (
    MODEL_VERSION,
    FitDataError,
    expectations_monthly,
    expectations_weight_A,
    fit_data,
    inflation_weight_B,
    monthly_system,
    simulate_history,
    system_arrays,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PRIORS = REPO / "priors" / "default.yaml"

OLD_MODEL = {
    **TRUE,
    "acm_noise_persistence": 0.0,
    "neutral_rate_shock_pp": 0.0,
    "term_premium_mean_shock_pp": 0.0,
}


@pytest.fixture(scope="module", autouse=True)
def _no_blas_probe() -> None:
    """Tell pytensor there is no BLAS instead of letting it probe and warn (pip
    installs cannot link one; harmless). The probe's UserWarning would be an error here."""
    import pytensor

    pytensor.config.blas__ldflags = ""


def _priors(**overrides: Any) -> PriorsFile:
    base = load_priors(DEFAULT_PRIORS).config.model_dump(mode="json")
    params = base["parameters"]
    for key, value in overrides.items():
        params[key] = value
    return PriorsFile.model_validate(base)


def _history(n: int = 24, *, seed: int = 0, gaps: bool = False, acm: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    missing = np.zeros(n, dtype=bool)
    if gaps:
        missing[[2, 3, 10, n - 1]] = True
    return simulate_history(TRUE, n, rng=rng, acm=acm, acm_missing=missing)


# --------------------------------------------------------------------------------------
# A(kappa), B(rho): closed forms, limits, continuity
# --------------------------------------------------------------------------------------


def test_weights_match_direct_sums() -> None:
    h = np.arange(1, 121)
    for kappa in (1e-4, 0.05, 0.3, 1.0, 5.0):
        direct = np.mean(np.exp(-kappa * h / 12.0))
        assert expectations_weight_A(kappa) == pytest.approx(direct, rel=1e-12)
    for rho in (0.0, 0.3, 0.9, 0.99, 0.999, 1.0 - 1e-5):
        assert inflation_weight_B(rho) == pytest.approx(np.mean(rho**h), rel=1e-10, abs=1e-300)


def test_weights_limits_and_continuity_at_the_series_switch() -> None:
    assert float(expectations_weight_A(0.0)) == 1.0
    assert float(inflation_weight_B(1.0)) == 1.0
    assert float(inflation_weight_B(0.0)) == 0.0
    # just inside (series) and outside (closed form) the 1e-6 switch both agree with the
    # direct sum: the series' dropped term is ~1e-16, the closed form's cancellation error
    # ~eps / 1e-6 ~ 2e-10 relative at worst
    h = np.arange(1, 121)
    for step in (0.999e-6, 1.001e-6):
        direct_a = np.mean(np.exp(-step * h / 12.0))
        assert expectations_weight_A(step) == pytest.approx(direct_a, rel=1e-10)
        direct_b = np.mean((1 - step) ** h)
        assert inflation_weight_B(1 - step) == pytest.approx(direct_b, rel=1e-10)
    assert np.all(np.isfinite(inflation_weight_B(np.linspace(0, 1, 101))))


def test_pytensor_weights_equal_numpy() -> None:
    import pytensor.tensor as pt

    from simulator.model.fit import weight_A_pt, weight_B_pt

    k = pt.dvector("k")
    r = pt.dvector("r")
    kv = np.array([0.0, 1e-8, 1e-3, 0.3, 2.0])
    rv = np.array([0.0, 0.2, 0.95, 1 - 1e-8, 1.0])
    a = weight_A_pt(k).eval({k: kv}, mode="FAST_COMPILE")
    b = weight_B_pt(r).eval({r: rv}, mode="FAST_COMPILE")
    np.testing.assert_allclose(a, expectations_weight_A(kv), rtol=1e-13)
    np.testing.assert_allclose(b, inflation_weight_B(rv), rtol=1e-13)


# --------------------------------------------------------------------------------------
# Kalman filter: numpy vs direct multivariate normal vs the pytensor scan
# --------------------------------------------------------------------------------------


def _direct_loglik(p: dict[str, float], history: pd.DataFrame) -> float:
    """Stack the observed 10y and ACM values and evaluate one big MVN (no filter).

    Covariances straight from the model's definition: x stationary AR(1), a stationary
    AR(1), n and m random walks from known starts (cov = sigma^2 min(i, j), i from 0).
    """
    d = fit_data(history)
    n = d.n_months
    idx = np.arange(n)
    lags = np.abs(np.subtract.outer(idx, idx))
    phi, s_tp = p["term_premium_persistence"], p["term_premium_shock_pp"]
    psi, s_a = p["acm_noise_persistence"], p["acm_noise_pp"]
    cx = s_tp**2 / (1 - phi**2) * phi**lags
    ca = s_a**2 * psi**lags
    walk = np.minimum.outer(idx, idx).astype(float)
    cn = p["neutral_rate_shock_pp"] ** 2 * walk
    cm = p["term_premium_mean_shock_pp"] ** 2 * walk
    a = float(expectations_weight_A(p["mean_reversion_per_year"]))
    b = float(inflation_weight_B(p["inflation_persistence"]))
    ec0 = p["neutral_rate_pp"] + (d.policy_rate - p["neutral_rate_pp"]) * a
    ec0 = ec0 + p["inflation_loading"] * d.inflation_gap * b
    iy, ia = np.flatnonzero(d.y10_mask), np.flatnonzero(d.acm_mask)
    obs = np.concatenate([d.y10[iy] - ec0[iy], d.acm_tp[ia]]) - p["term_premium_mean_pp"]
    cyy = cx + (1 - a) ** 2 * cn + cm + p["y10_noise_pp"] ** 2 * np.eye(n)
    caa = cx + ca + cm
    cya = cx + cm
    cov = np.block(
        [[cyy[np.ix_(iy, iy)], cya[np.ix_(iy, ia)]], [cya[np.ix_(ia, iy)], caa[np.ix_(ia, ia)]]]
    )
    yields = stats.multivariate_normal(mean=np.zeros(obs.size), cov=cov).logpdf(obs)
    g = d.inflation_gap
    infl = stats.norm(p["inflation_persistence"] * g[:-1], p["inflation_shock_pp"]).logpdf(g[1:])
    return float(yields + infl.sum())


@pytest.mark.parametrize("params", [TRUE, OLD_MODEL], ids=["statespace-3", "one-state"])
@pytest.mark.parametrize(("gaps", "acm"), [(False, True), (True, True), (False, False)])
def test_numpy_kalman_equals_direct_mvn(gaps: bool, acm: bool, params: dict[str, float]) -> None:
    h = _history(24, seed=3, gaps=gaps, acm=acm)
    got = float(log_likelihood(params, fit_data(h))[0])
    assert got == pytest.approx(_direct_loglik(params, h), abs=1e-8)


def test_numpy_kalman_is_vectorised_over_draws() -> None:
    d = fit_data(_history(30, seed=7, gaps=True))
    draws = {k: np.array([v, v * 1.1, v * 0.9]) for k, v in TRUE.items()}
    for name in ("inflation_persistence", "term_premium_persistence", "acm_noise_persistence"):
        draws[name] = TRUE[name] * np.array([1.0, 0.98, 0.9])  # stay inside (0, 1)
    batch = log_likelihood(draws, d)
    for j in range(3):
        one = {k: float(v[j]) for k, v in draws.items()}
        assert batch[j] == pytest.approx(float(log_likelihood(one, d)[0]), rel=1e-12)


def test_system_arrays_stack_the_monthly_system_per_draw() -> None:
    draws = {k: np.array([v, v * 0.9]) for k, v in TRUE.items()}
    stacked = system_arrays(draws)
    for j in range(2):
        one = {k: float(v[j]) for k, v in draws.items()}
        alone = monthly_system(one, float(expectations_weight_A(one["mean_reversion_per_year"])))
        for got, want in zip(stacked, alone, strict=True):
            np.testing.assert_array_equal(got[j], np.array(want, dtype=np.float64))
    # a missing optional parameter is 0: the walks are constant, ACM's noise is iid
    bare = {k: v for k, v in TRUE.items() if k not in ("neutral_rate_shock_pp",)}
    assert system_arrays(bare).state_cov[0, 2, 2] == 0.0


def test_simulate_history_follows_the_monthly_system() -> None:
    """simulate_history writes its equations out (its bits seed the recovery fits); they
    are the system's: the same shocks through monthly_system give the same history."""
    n = 120
    hist = simulate_history(TRUE, n, rng=np.random.default_rng(8))
    rng = np.random.default_rng(8)  # the same stream: e, u, v, w, s (policy), eta, zeta
    _, u, v, w, _, eta, zeta = (rng.standard_normal(n) for _ in range(7))
    system = system_arrays(TRUE)
    trans, loadings = system.transition[0], system.loadings[0]
    scale = np.sqrt(np.diagonal(system.state_cov[0]))
    shocks = np.stack([u, w, eta, zeta], axis=1)
    states = np.empty((n, 4))
    states[0] = system.init_mean[0] + np.sqrt(np.diagonal(system.init_cov[0])) * shocks[0]
    for t in range(1, n):
        states[t] = trans @ states[t - 1] + scale * shocks[t]
    g = hist["core_pce_yoy"].to_numpy() - 2.0
    a = expectations_weight_A(TRUE["mean_reversion_per_year"])
    b = inflation_weight_B(TRUE["inflation_persistence"])
    known = hist["policy_rate"].to_numpy() * a + TRUE["inflation_loading"] * g * b
    y10 = known + states @ loadings[0] + np.sqrt(system.obs_var[0, 0]) * v
    np.testing.assert_allclose(hist["y10"], y10, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hist["acm_tp"], states @ loadings[1], rtol=0, atol=1e-12)


def test_expectations_monthly_is_the_closed_form() -> None:
    r, g = np.array([0.5, 3.0, 5.25]), np.array([-0.4, 0.0, 1.2])
    kw = {k: TRUE[k] for k in ("neutral_rate_pp", "mean_reversion_per_year")}
    kw |= {k: TRUE[k] for k in ("inflation_loading", "inflation_persistence")}
    a = expectations_weight_A(kw["mean_reversion_per_year"])
    b = inflation_weight_B(kw["inflation_persistence"])
    want = kw["neutral_rate_pp"] + (r - kw["neutral_rate_pp"]) * a + kw["inflation_loading"] * g * b
    np.testing.assert_allclose(expectations_monthly(r, g, **kw), want, rtol=1e-13, atol=0)


@pytest.mark.parametrize("gaps", [False, True])
def test_pytensor_likelihood_equals_numpy_kalman(gaps: bool) -> None:
    h = _history(24, seed=4, gaps=gaps)
    d = fit_data(h)
    model = build_model(_priors(), d)
    fn = model.compile_fn(
        model.observedlogp + model.replace_rvs_by_values([model["y10_acm_loglik"]])[0],
        inputs=model.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )
    point = {}
    b_rho = float(inflation_weight_B(TRUE["inflation_persistence"]))
    true = {**TRUE, "inflation_effect": TRUE["inflation_loading"] * b_rho}
    priors = _priors().parameters
    for name in FOLDED_SCALES:  # sigma = s |z|: z = sigma / s
        true[f"{name}_folded"] = TRUE[name] / getattr(priors, name).sigma
    for rv in model.free_RVs:
        value = np.float64(true[rv.name])
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            value = transform.forward(value, *rv.owner.inputs).eval(mode="FAST_COMPILE")
        point[model.rvs_to_values[rv].name] = value
    scan_ll = float(fn(point))
    assert scan_ll == pytest.approx(float(log_likelihood(TRUE, d)[0]), abs=1e-8)
    assert scan_ll == pytest.approx(_direct_loglik(TRUE, h), abs=1e-8)


def test_filter_and_smoother_moments() -> None:
    d = fit_data(_history(60, seed=5, gaps=True))
    res = kalman_filter(
        TRUE,
        y10=d.y10,
        y10_mask=d.y10_mask,
        policy_rate=d.policy_rate,
        inflation_gap=d.inflation_gap,
        acm_tp=d.acm_tp,
        acm_mask=d.acm_mask,
        history=True,
    )
    assert res.filtered_cov is not None and res.predicted_cov is not None
    assert res.predicted_mean is not None and res.filtered_mean is not None
    sm, sv = kalman_smoother(TRUE, d)
    diag = np.diagonal
    # more data, less uncertainty, state by state
    assert np.all(
        diag(res.filtered_cov, axis1=2, axis2=3)
        <= diag(res.predicted_cov, axis1=2, axis2=3) + 1e-12
    )
    assert np.all(diag(sv, axis1=2, axis2=3) <= diag(res.filtered_cov, axis1=2, axis2=3) + 1e-12)
    np.testing.assert_array_equal(sm[:, -1], res.filtered_mean[:, -1])
    stationary = TRUE["term_premium_shock_pp"] ** 2 / (1 - TRUE["term_premium_persistence"] ** 2)
    assert res.predicted_cov[0, 0, 0, 0] == pytest.approx(stationary)
    assert res.predicted_cov[0, 0, 1, 1] == pytest.approx(TRUE["acm_noise_pp"] ** 2)
    # the random walks start known: n_1 = n*, m_1 = mu_tp
    assert res.predicted_mean[0, 0, 2] == TRUE["neutral_rate_pp"]
    assert res.predicted_mean[0, 0, 3] == TRUE["term_premium_mean_pp"]
    assert res.predicted_cov[0, 0, 2, 2] == 0.0 and res.predicted_cov[0, 0, 3, 3] == 0.0
    total = inflation_loglik(TRUE, d.inflation_gap) + res.loglik
    assert total[0] == pytest.approx(float(log_likelihood(TRUE, d)[0]))


# --------------------------------------------------------------------------------------
# Fit data
# --------------------------------------------------------------------------------------


def test_fit_data_trims_unpublished_months_and_refuses_interior_gaps() -> None:
    h = _history(40, seed=6)
    h.iloc[-1, h.columns.get_loc("core_pce_yoy")] = np.nan  # core PCE lags a month
    d = fit_data(h)
    assert d.n_months == 39 and d.end == h.index[-2].strftime("%Y-%m")
    h.iloc[10, h.columns.get_loc("policy_rate")] = np.nan
    with pytest.raises(FitDataError, match="missing inside the window"):
        fit_data(h)
    with pytest.raises(FitDataError, match="at least 24"):
        fit_data(_history(30, seed=6), start=h.index[20].strftime("%Y-%m"))


# --------------------------------------------------------------------------------------
# Model building, every prior kind, refusals
# --------------------------------------------------------------------------------------


def test_default_model_builds_with_the_ten_parameters() -> None:
    model = build_model(_priors(), fit_data(_history(30)))
    folded = {f"{n}_folded" for n in FOLDED_SCALES}  # their HalfNormal priors: sampled folded
    sampled = set(FITTED_PARAMETERS) - {"inflation_loading", *FOLDED_SCALES} | {"inflation_effect"}
    assert {rv.name for rv in model.free_RVs} == sampled | folded
    deterministics = {d.name for d in model.deterministics}
    assert {"inflation_loading", *FOLDED_SCALES} <= deterministics
    assert {p.name for p in model.potentials} == {"y10_acm_loglik", "inflation_loading_prior"}


def test_effect_reparameterisation_keeps_the_beta_prior() -> None:
    """p(effect | rho) = p_beta(effect / B(rho)) / B(rho): its integral over effect is 1."""
    model = build_model(_priors(), fit_data(_history(30)))
    logp = model.compile_fn(
        model.replace_rvs_by_values([model["inflation_loading_prior"]])[0],
        inputs=model.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )
    point = model.initial_point()
    grid = np.linspace(-3, 3, 3001)
    dens = [np.exp(logp({**point, "inflation_effect": np.float64(e)})) for e in grid]
    assert float(np.sum(dens) * (grid[1] - grid[0])) == pytest.approx(1.0, abs=1e-3)


def test_every_distribution_kind_and_fixed_build() -> None:
    priors = _priors(
        inflation_loading={"dist": "StudentT", "nu": 4, "mu": 0.5, "sigma": 1},
        neutral_rate_pp={"dist": "TruncatedNormal", "mu": 3, "sigma": 1, "lower": 0},
        mean_reversion_per_year={"dist": "Gamma", "alpha": 2, "beta": 8},
        term_premium_mean_pp={"dist": "Uniform", "lower": -2, "upper": 4},
        inflation_persistence={
            "dist": "TruncatedNormal",
            "mu": 0.95,
            "sigma": 0.1,
            "lower": 0,
            "upper": 1,
        },
        acm_noise_pp={"dist": "Fixed", "value": 0.3},
        y10_noise_pp={"dist": "LogNormal", "mu": -2, "sigma": 0.5},
    )
    model = build_model(priors, fit_data(_history(30)))
    free = {rv.name for rv in model.free_RVs}
    # a StudentT beta is sampled as its effect beta B(rho), like a Normal one; a
    # LogNormal y10 noise is not folded (only HalfNormal scales are), the walks' are
    folded = {"neutral_rate_shock_pp", "term_premium_mean_shock_pp"}
    expected = set(FITTED_PARAMETERS) - {"acm_noise_pp", "inflation_loading", *folded}
    assert free == expected | {"inflation_effect"} | {f"{n}_folded" for n in folded}
    assert "acm_noise_pp" in {d.name for d in model.deterministics}
    # logp is finite at the initial point
    logp = model.compile_logp(mode="FAST_COMPILE")
    assert np.isfinite(logp(model.initial_point()))


def test_joint_block_becomes_a_noncentred_mvnormal() -> None:
    base = _priors().model_dump(mode="json")
    names = ["neutral_rate_pp", "term_premium_mean_pp", "mean_reversion_per_year"]
    base["joint"] = {
        "parameters": names,
        "mean": [3.0, 1.0, np.log(0.2)],
        "covariance": [[0.04, -0.02, 0.0], [-0.02, 0.09, 0.0], [0.0, 0.0, 0.01]],
    }
    model = build_model(PriorsFile.model_validate(base), fit_data(_history(30)))
    assert "joint_eps" in {rv.name for rv in model.free_RVs}
    assert set(names) <= {d.name for d in model.deterministics}
    assert not set(names) & {rv.name for rv in model.free_RVs}


@pytest.mark.parametrize(
    "name", ["inflation_shock_pp", "term_premium_shock_pp", "y10_noise_pp", "acm_noise_pp"]
)
def test_refuses_fixed_zero_volatility(name: str) -> None:
    priors = _priors(**{name: {"dist": "Fixed", "value": 0.0}})
    with pytest.raises(FitError, match=rf"my\.yaml: parameters\.{name} is Fixed at 0\.0"):
        check_priors(priors, "my.yaml")
    with pytest.raises(FitError):
        fit_history(priors, _history(30), use_cache=False)


def test_refuses_a_calibrated_priors_file() -> None:
    base = _priors().model_dump(mode="json")
    base["calibrated"] = {
        "as_of": "2026-01-20",
        "fit_start": "1990-01",
        "data_sha256": "0" * 64,
        "source_priors": "priors/default.yaml",
        "command": "make calibrate",
    }
    with pytest.raises(FitError, match=r"cal\.yaml is a calibrated priors file.*twice"):
        check_priors(PriorsFile.model_validate(base), "cal.yaml")


def test_refuses_fixed_unit_term_premium_persistence() -> None:
    with pytest.raises(FitError, match=r"term_premium_persistence is Fixed at 1\.0"):
        check_priors(_priors(term_premium_persistence={"dist": "Fixed", "value": 1.0}))


# --------------------------------------------------------------------------------------
# Prior predictive
# --------------------------------------------------------------------------------------


def test_prior_predictive_shapes() -> None:
    ds = prior_predictive(_priors(), 250, np.random.default_rng(7))
    assert set(PARAMETERS) <= set(ds.data_vars)
    for name in ds.data_vars:
        assert ds[name].dims == ("draw",) and ds[name].shape == (250,)
    assert np.all((ds["expectations_weight"] > 0) & (ds["expectations_weight"] <= 1))
    assert np.all((ds["inflation_weight"] >= 0) & (ds["inflation_weight"] <= 1))
    assert ds.attrs["source"] == "prior"


# --------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------


def _key_inputs() -> dict[str, Any]:
    return {
        "model_version": MODEL_VERSION,
        "priors": _priors(),
        "history": _history(30, seed=8),
        "fit_start": "1990-01",
        "fit_end": "1992-06",
        "sampler": "nutpie",
        "chains": 4,
        "draws": 1000,
        "tune": 1000,
        "versions": {"pymc": "5.28.5", "pytensor": "2.38.3", "nutpie": "0.16.8", "numpy": "2.4.6"},
    }


def test_cache_key_is_stable_and_changes_with_every_input() -> None:
    base = _key_inputs()
    key = cache.fit_key(**base)
    assert key == cache.fit_key(**_key_inputs()) and len(key) == 64
    hist = base["history"].copy()
    hist.iloc[5, 0] += 1e-9
    hist_nan = base["history"].copy()
    hist_nan.iloc[7, 3] = np.nan
    changes: dict[str, Any] = {
        "model_version": MODEL_VERSION + "x",
        "priors": _priors(neutral_rate_pp={"dist": "Normal", "mu": 3.0, "sigma": 1.01}),
        "history": hist,
        "fit_start": "1990-02",
        "fit_end": "1992-05",
        "sampler": "pymc",
        "chains": 2,
        "draws": 999,
        "tune": 500,
        "versions": {**base["versions"], "nutpie": "0.16.9"},
    }
    seen = {key}
    for field, value in [*changes.items(), ("history", hist_nan)]:
        other = cache.fit_key(**{**base, field: value})
        assert other not in seen, field
        seen.add(other)
    assert set(cache.package_versions()) == {"pymc", "pytensor", "nutpie", "numpy"}


def _fake_idata(seed: int = 0, chains: int = 2, draws: int = 300) -> Any:
    import arviz as az

    rng = np.random.default_rng(seed)
    prior_draws = draw_parameters(_priors(), chains * draws, rng=rng)
    # a fit's posterior has no engine-only parameter (the model does not see them)
    posterior = {
        k: v.reshape(chains, draws)
        for k, v in prior_draws.values.items()
        if k not in ENGINE_ONLY_PARAMETERS
    }
    stats_ = {
        "diverging": np.zeros((chains, draws), dtype=bool),
        "maxdepth_reached": np.zeros((chains, draws), dtype=bool),
    }
    return az.from_dict(posterior=posterior, sample_stats=stats_)


def test_cache_store_and_load_roundtrip(tmp_path: Path) -> None:
    idata = _fake_idata()
    path = cache.store_posterior("ab" * 32, idata, tmp_path)
    assert path.name == "posterior.nc" and not list(path.parent.glob(".posterior-*"))
    back = cache.load_posterior("ab" * 32, tmp_path)
    assert back is not None
    np.testing.assert_array_equal(
        back["posterior"]["neutral_rate_pp"].values, idata["posterior"]["neutral_rate_pp"].values
    )
    assert cache.load_posterior("cd" * 32, tmp_path) is None


def test_cached_fit_is_returned_without_sampling(tmp_path: Path) -> None:
    priors, history = _priors(), _history(30, seed=9)
    d = fit_data(history)
    key = cache.fit_key(
        model_version=MODEL_VERSION,
        priors=priors,
        history=history,
        fit_start=d.start,
        fit_end=d.end,
        sampler="nutpie",
        chains=2,
        draws=300,
        tune=300,
    )
    cache.store_posterior(key, _fake_idata(), tmp_path)
    res = fit_history(
        priors, history, fit_start=d.start, chains=2, draws=300, tune=300, cache_root=tmp_path
    )
    assert res.cache_hit and res.cache_key == key
    assert res.draws.source == "posterior" and res.draws.n == 600
    assert seed_from_key(key) == int(key[:15], 16)


# --------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------


def test_diagnostics_of_well_mixed_draws_and_problem_texts() -> None:
    idata = _fake_idata(chains=4, draws=500)
    diag = diagnose(idata)
    assert diag["r_hat_max"] < 1.01 and diag["ess_bulk_min"] > 1000
    assert diag["divergences"] == 0 and diag["max_tree_depth_hits"] == 0
    assert problems(diag) == []
    bad = Diagnostics(
        r_hat_max=1.05, ess_bulk_min=120.0, ess_tail_min=390.0, divergences=3, max_tree_depth_hits=0
    )
    texts = problems(bad)
    assert len(texts) == 4
    assert texts[0].startswith("R-hat 1.050 > 1.01") and "3 divergent" in texts[3]
    # stuck chains are caught
    shifted = copy.deepcopy(idata)
    shifted["posterior"]["neutral_rate_pp"][0] += 5.0
    assert diagnose(shifted)["r_hat_max"] > 1.01


# --------------------------------------------------------------------------------------
# Export and posterior-predictive summary (from prior draws posing as a posterior)
# --------------------------------------------------------------------------------------


def _fake_result(history: pd.DataFrame) -> FitResult:
    idata = _fake_idata(seed=11, chains=2, draws=400)
    d = fit_data(history)
    draws = ParameterDraws(
        values={k: idata["posterior"][k].values.reshape(-1) for k in FITTED_PARAMETERS},
        source="posterior",
    )
    return FitResult(
        draws=draws,
        draws_as_of=_as_of(draws, d, "12" * 32),
        idata=idata,
        diagnostics=diagnose(idata),
        cache_hit=False,
        cache_key="12" * 32,
        fit_start=d.start,
        fit_end=d.end,
        data_sha256=cache.history_sha256(history),
    )


def test_export_writes_loadable_calibrated_priors(tmp_path: Path) -> None:
    history = _history(30, seed=12)
    result = _fake_result(history)
    out = export_priors(
        result,
        DEFAULT_PRIORS,
        tmp_path / "priors" / "cal.yaml",
        "2026-01-20",
        "1990-01",
        result.data_sha256,
        "make calibrate",
    )
    text = out.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../docs/schema.json"
    loaded = load_priors(out).config
    assert loaded.calibrated is not None and loaded.calibrated.command == "make calibrate"
    assert loaded.joint is not None and loaded.joint.parameters == list(FITTED_PARAMETERS)
    # the levels are recorded as of the window's end, where a simulation starts
    assert result.draws_as_of is not None
    as_of = result.draws_as_of.values["neutral_rate_pp"]
    assert np.abs(as_of - result.draws.values["neutral_rate_pp"]).max() > 0.05
    z = to_unconstrained("neutral_rate_pp", as_of)
    assert loaded.joint.mean[3] == pytest.approx(z.mean(), rel=1e-8)
    assert loaded.parameters.inflation_persistence.dist == "Beta"
    assert loaded.parameters.mean_reversion_per_year.dist == "LogNormal"
    m = loaded.parameters.inflation_persistence.mean()
    assert m == pytest.approx(result.draws.values["inflation_persistence"].mean(), rel=1e-8)
    with pytest.raises(FitError, match="calibrated"):
        check_priors(loaded)


def test_posterior_predictive_summary_dims() -> None:
    history = _history(36, seed=13, gaps=True)
    result = _fake_result(history)
    ds = posterior_predictive_summary(result, history, max_draws=50, rng=np.random.default_rng(0))
    assert ds["y10_fitted"].dims == ("date", "quantile") and ds.sizes["date"] == 36
    assert ds.attrs["posterior_draws_used"] == 50
    assert np.isnan(ds["acm_tp_observed"].values[2])
    lo, mid, hi = (ds["term_premium"].sel(quantile=q).values for q in (0.05, 0.5, 0.95))
    assert np.all(lo <= mid) and np.all(mid <= hi)


def test_levels_at_end_follow_the_filter_and_keep_fixed_levels() -> None:
    """Moved levels are draws from the filtered (n_T, m_T): their mean over many copies of
    one draw is the filter's mean within 4 s.e.; with sigma_n = sigma_m = 0 nothing moves."""
    from simulator.model.kalman import filter_data, levels_at_end

    d = fit_data(_history(48, seed=21))
    k = 4000
    draws = {name: np.full(k, value) for name, value in TRUE.items()}
    moved = levels_at_end(draws, d, np.random.default_rng(1))
    res = filter_data(TRUE, d)
    for name, j in (("neutral_rate_pp", 2), ("term_premium_mean_pp", 3)):
        sd = math.sqrt(res.cov[0, j, j])
        assert sd > 0.0
        # s.e. of a mean of k draws: sd / sqrt(k)
        assert abs(moved[name].mean() - res.mean[0, j]) < 4 * sd / math.sqrt(k)
        assert moved[name].std() == pytest.approx(sd, rel=4 / math.sqrt(2 * k))
    fixed = levels_at_end(
        {name: np.full(3, value) for name, value in OLD_MODEL.items()},
        d,
        np.random.default_rng(1),
    )
    np.testing.assert_array_equal(fixed["neutral_rate_pp"], OLD_MODEL["neutral_rate_pp"])
    np.testing.assert_array_equal(fixed["term_premium_mean_pp"], OLD_MODEL["term_premium_mean_pp"])


def test_draws_done_counts_uneven_chains_and_divergences_after_tuning() -> None:
    import arviz as az
    import xarray as xr

    from simulator.model.fit import _draws_done

    def stats(steps: list[list[float]], div: list[list[float]]) -> xr.Dataset:
        dims = ("chain", "draw")
        return xr.Dataset({"step_size": (dims, np.array(steps)), "diverging": (dims, div)})

    nan = np.nan
    # chain 0 has finished tuning (3 draws) and made 2 draws; chain 1 is still tuning
    snapshot = az.InferenceData(
        warmup_sample_stats=stats([[0.1, 0.2, 0.3], [0.1, 0.2, nan]], [[1, 0, 0], [1, 0, nan]]),
        sample_stats=stats([[0.3, 0.3], [nan, nan]], [[0, 1], [nan, nan]]),
    )
    assert _draws_done(snapshot) == (7, 1)
