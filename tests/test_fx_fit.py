"""The FX dynamics fit (simulator.model.fx_fit): recovery, closed forms, fat tails, data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from simulator.config.schema import Prior
from simulator.data.loaders import load_series
from simulator.model.fx_fit import fit_cny_from_history, fit_fx_dynamics, fx_dynamics_posterior

VOL_PRIOR = {"dist": "LogNormal", "mu": math.log(0.25), "sigma": 0.7}
RHO_PRIOR = {"dist": "TruncatedNormal", "mu": 0.1, "sigma": 0.3, "lower": -1.0, "upper": 1.0}


def _history(
    n: int, vol: float, rho: float, *, seed: int, df: float | None = None
) -> tuple[pd.Series, pd.Series]:
    """A spot (CNY per USD) and a 10y (%) whose daily changes are bivariate normal
    (x = 100 dlog spot with s.d. ``vol``, the 10y's change with s.d. 6 bp and correlation
    ``rho``); with ``df`` the shocks are Student-t scaled to the same s.d."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, 2))
    if df is not None:
        e /= np.sqrt(rng.chisquare(df, size=(n, 1)) / df) * math.sqrt(df / (df - 2.0))
    x = vol * e[:, 0]
    y = 0.06 * (rho * e[:, 0] + math.sqrt(1.0 - rho * rho) * e[:, 1])
    days = pd.bdate_range("2015-08-11", periods=n + 1)
    spot = pd.Series(6.5 * np.exp(np.concatenate([[0.0], np.cumsum(x)]) / 100.0), index=days)
    y10 = pd.Series(2.0 + np.concatenate([[0.0], np.cumsum(y)]), index=days)
    return spot, y10


def _fit(spot: pd.Series, y10: pd.Series, robust: bool = True):
    return fx_dynamics_posterior(
        spot, y10, vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR, robust=robust
    )


def test_recovers_vol_and_correlation_with_sd_shrinking_like_one_over_root_n() -> None:
    vol, rho = 0.3, 0.35
    small = _fit(*_history(2_500, vol, rho, seed=11))
    large = _fit(*_history(10_000, vol, rho, seed=12))
    for fit in (small, large):
        assert fit.n_days in (2_500, 10_000)
        assert abs(fit.vol - vol) < 3 * fit.sd_vol
        assert abs(fit.correlation - rho) < 3 * fit.sd_correlation
    # 4x the days halve the s.d. The sandwich s.d. is itself estimated: for normal data
    # its relative noise is ~ sqrt(24 / n) / (kappa - 1) / 2 ~ 2.5% at n = 2,500 (the
    # kurtosis' s.e. over kappa - 1 = 2, halved by the square root), so the ratio's is
    # ~ 3.5%: 2 +- 0.2 is ~3 of them.
    assert small.sd_log_vol / large.sd_log_vol == pytest.approx(2.0, abs=0.2)
    assert small.sd_atanh_correlation / large.sd_atanh_correlation == pytest.approx(2.0, abs=0.2)


def test_normal_curvature_matches_the_closed_forms() -> None:
    # For i.i.d. bivariate normal days: var(log s_x) = 1 / (2n) (the sample variance has
    # variance 2 sigma^4 / n) and var(atanh r) = 1 / n (Fisher's z). The priors add a
    # precision of ~2 (log-vol: 1 / 0.7^2) against 2n = 8,000: < 0.1% of the s.d.
    n = 4_000
    fit = _fit(*_history(n, 0.25, 0.2, seed=5), robust=False)
    assert fit.sd_log_vol * math.sqrt(2 * n) == pytest.approx(1.0, rel=0.02)
    assert fit.sd_atanh_correlation * math.sqrt(n) == pytest.approx(1.0, rel=0.02)
    assert fit.widening_vol == 1.0 and fit.widening_correlation == 1.0


def test_fat_tails_widen_the_vol_posterior() -> None:
    # Normal scale mixture: variance 0.1 or 1.9 times the base with equal odds, kurtosis
    # 3 E[w^2] / E[w]^2 = 3 (0.01 + 3.61) / 2 = 5.43. The s.d. of log s_x is then
    # sqrt((kappa - 1) / (4n)) against the normal curvature's sqrt(1 / (2n)): widening
    # sqrt((kappa - 1) / 2) = 1.49. With the sample kurtosis the sandwich matches it up to
    # its Newey-West lags' noise (i.i.d. days: ~3.5% over 8 seeds tried), so rel 0.12.
    n, vol = 5_000, 0.25
    rng = np.random.default_rng(3)
    scale = np.sqrt(np.where(rng.random(n) < 0.5, 0.1, 1.9))
    spot, y10 = _history(n, vol, 0.2, seed=3)
    x = 100 * np.diff(np.log(spot.to_numpy())) * scale
    spot = pd.Series(6.5 * np.exp(np.concatenate([[0.0], np.cumsum(x)]) / 100), index=spot.index)
    fat = _fit(spot, y10)
    kappa = fat.excess_kurtosis + 3.0
    assert kappa == pytest.approx(5.43, abs=0.6)
    assert fat.widening_vol == pytest.approx(math.sqrt((kappa - 1.0) / 2.0), rel=0.12)
    assert abs(fat.vol - vol) < 3 * fat.sd_vol
    # Normal days: the sandwich leaves the width alone.
    normal = _fit(*_history(n, vol, 0.2, seed=4))
    assert normal.widening_vol == pytest.approx(1.0, rel=0.12)


def test_specs_are_priors_file_entries_and_bad_input_is_refused() -> None:
    spot, y10 = _history(500, 0.25, 0.2, seed=7)
    specs = fit_fx_dynamics(spot, y10, vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR)
    assert sorted(specs) == ["cny_daily_vol_pct", "cny_y10_correlation"]
    for spec in specs.values():
        TypeAdapter(Prior).validate_python(spec)
    eur = fit_fx_dynamics(
        spot, y10, vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR, currency="EUR"
    )
    assert sorted(eur) == ["eur_daily_vol_pct", "eur_y10_correlation"]
    with pytest.raises(ValueError, match="Fixed prior cannot be fitted"):
        fit_fx_dynamics(
            spot, y10, vol_prior={"dist": "Fixed", "value": 0.2}, correlation_prior=RHO_PRIOR
        )
    with pytest.raises(ValueError, match="need at least 30"):
        fit_fx_dynamics(
            spot, y10, vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR, start="2017-07-01"
        )


def test_real_cny_fit_matches_the_sample_moments(data_dir: Path) -> None:
    spot, y10 = load_series("usdcny_daily", data_dir), load_series("dgs10", data_dir)
    fit = _fit(spot, y10)
    # Independent reference: the sample moments of the same days, computed here.
    both = pd.concat([spot, y10], axis=1, join="inner").dropna().loc["2015-08-11":]
    x = 100 * np.log(both.iloc[:, 0]).diff().dropna()
    y = both.iloc[:, 1].diff().dropna()
    assert fit.n_days == len(x)
    # The prior moves the mode by far less than a posterior s.d.
    assert abs(fit.vol - x.std(ddof=0)) < 0.1 * fit.sd_vol
    assert abs(fit.correlation - np.corrcoef(x, y)[0, 1]) < 0.1 * fit.sd_correlation


def test_history_fit_sees_only_what_was_public_on_the_as_of(data_dir: Path) -> None:
    # H.10 rates come out weekly: on 2020-01-31 the last public one is 2020-01-24's.
    fit = fit_cny_from_history(
        data_dir, "2020-01-31", vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR
    )
    assert fit.end == "2020-01-24"
    spot, y10 = load_series("usdcny_daily", data_dir), load_series("dgs10", data_dir)
    cut = fx_dynamics_posterior(
        spot, y10, vol_prior=VOL_PRIOR, correlation_prior=RHO_PRIOR, end="2020-01-24"
    )
    assert (fit.n_days, fit.vol, fit.correlation) == (cut.n_days, cut.vol, cut.correlation)


def test_shipped_calibrated_cny_leg_is_the_fit_and_a_regeneration_writes_it(
    data_dir: Path, tmp_path: Path
) -> None:
    """The calibrated file carries the CNY fit's posterior (what `make calibrate` writes),
    keeps EUR and JPY at their source priors, and carries the seasonal table over."""
    from simulator.config import load_priors
    from simulator.model.draws import draw_parameters
    from simulator.model.export import calibrated_priors_text
    from simulator.model.fx_fit import calibrated_fx_specs

    repo = Path(__file__).resolve().parents[1]
    source_path = repo / "priors" / "default.yaml"
    source = load_priors(source_path).config
    shipped = load_priors(repo / "priors" / "calibrated-2026-01-20.yaml").config
    specs = calibrated_fx_specs(source, data_dir, "2026-01-20")
    assert set(specs) == {"cny_daily_vol_pct", "cny_y10_correlation"}
    for name, spec in specs.items():
        got = getattr(shipped.parameters, name).model_dump()
        for key, value in spec.items():
            # the file prints 10 significant digits
            assert got[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-9))
    for name in ("eur_daily_vol_pct", "jpy_y10_correlation"):
        assert getattr(shipped.parameters, name) == getattr(source.parameters, name)
    # a regeneration (prior draws posing as the posterior) writes the same FX lines
    values = draw_parameters(source, 200, rng=np.random.default_rng(3)).values
    text = calibrated_priors_text(
        values,
        source_path,
        as_of="2026-01-20",
        fit_start="1990-01",
        data_sha256="x" * 64,
        command="test",
        diagnostics={},
        fx_specs=specs,
    )
    (tmp_path / "cal.yaml").write_text(text)
    regen = load_priors(tmp_path / "cal.yaml").config
    assert regen.parameters.cny_daily_vol_pct == shipped.parameters.cny_daily_vol_pct
    assert regen.fx_seasonal == shipped.fx_seasonal == source.fx_seasonal


def test_no_usdcny_file_keeps_the_source_prior(tmp_path: Path) -> None:
    from simulator.config import load_priors
    from simulator.model.fx_fit import calibrated_fx_specs

    repo = Path(__file__).resolve().parents[1]
    source = load_priors(repo / "priors" / "default.yaml").config
    assert calibrated_fx_specs(source, tmp_path, "2026-01-20") == {}


def test_the_fit_key_and_seed_ignore_the_fx_entries() -> None:
    """The rates fit never sees the FX legs: their priors and the seasonal tables must not
    change its cache key, which also seeds it (a changed key re-seeds the shipped fit)."""
    from simulator.config import load_priors
    from simulator.config.schema import LogNormal
    from simulator.model import cache

    repo = Path(__file__).resolve().parents[1]
    pf = load_priors(repo / "priors" / "default.yaml").config
    assert pf.fx_seasonal  # the shipped file has the table
    params = pf.parameters.model_copy(
        update={"cny_daily_vol_pct": LogNormal(dist="LogNormal", mu=0.0, sigma=1.0)}
    )
    history = pd.DataFrame(
        {"y10": [4.0, 4.1]}, index=pd.date_range("2020-01-31", periods=2, freq="ME")
    )

    def key(priors: object) -> str:
        return cache.fit_key(
            model_version="v",
            priors=priors,
            history=history,
            fit_start="2020-01",  # type: ignore[arg-type]
            fit_end="2020-02",
            sampler="nutpie",
            chains=1,
            draws=1,
            tune=1,
            versions={},
        )

    assert (
        key(pf)
        == key(pf.model_copy(update={"fx_seasonal": {}}))
        == key(pf.model_copy(update={"parameters": params}))
    )
