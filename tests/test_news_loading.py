"""neutral_rate_news_loading (lambda): an engine-only parameter the month-end fit never sees.

Runs draw it from its prior after every other parameter (so omitting it or fixing it
leaves the other draws bit-identical); the PyMC model, the Laplace refit and the fit's
cache key do not see it; a calibrated priors file carries the source prior unchanged.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from model_fixtures import TRUE

from simulator.config import load_priors
from simulator.config.errors import ConfigError
from simulator.config.schema import (
    ENGINE_ONLY_PARAMETERS,
    FITTED_PARAMETERS,
    OPTIONAL_PARAMETERS,
    PARAMETERS,
    Beta,
    PriorsFile,
)
from simulator.model import cache
from simulator.model.draws import draw_parameters
from simulator.model.export import calibrated_priors_text, source_prior_text
from simulator.model.statespace import MODEL_VERSION, fit_data, simulate_history

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "priors" / "default.yaml"
CALIBRATED = REPO / "priors" / "calibrated-2026-01-20.yaml"
NAME = "neutral_rate_news_loading"
BETA = {"dist": "Beta", "alpha": 20, "beta": 30}
LINE = "  neutral_rate_news_loading: {dist: Beta, alpha: 12, beta: 37}"
COMMENT = '  # calibrated from FOMC days: docs/model.md, "The 2-year and the policy channel"'


def _variant(path: Path, prior: dict[str, Any] | None) -> PriorsFile:
    """The priors file at ``path`` with lambda's prior replaced (None: omitted)."""
    base = load_priors(path).config.model_dump(mode="json", exclude_none=True)
    base["parameters"].pop(NAME, None)
    if prior is not None:
        base["parameters"][NAME] = prior
    return PriorsFile.model_validate(base)


def test_schema_names_it_engine_only() -> None:
    assert ENGINE_ONLY_PARAMETERS[0] == NAME  # drawn first of them (then the FX legs')
    assert PARAMETERS[NAME][:2] == ("lambda", "unit")
    assert OPTIONAL_PARAMETERS[NAME] == 0.0
    assert NAME not in FITTED_PARAMETERS
    assert set(FITTED_PARAMETERS) | set(ENGINE_ONLY_PARAMETERS) == set(PARAMETERS)
    # the shipped files carry the FOMC-day calibration (docs/model.md): lambda 0.24,
    # 90% interval 0.15-0.35, as Beta(12, 37) (mean 0.245, sd 0.061)
    for path in (DEFAULT, CALIBRATED):
        prior = getattr(load_priors(path).config.parameters, NAME)
        assert isinstance(prior, Beta) and (prior.alpha, prior.beta) == (12, 37), path
    # outside [0, 1] is refused, and a joint block may not name it
    with pytest.raises(Exception, match="domain"):
        _variant(DEFAULT, {"dist": "Normal", "mu": 0.4, "sigma": 0.1})


def test_joint_block_refuses_an_engine_only_parameter(tmp_path: Path) -> None:
    text = CALIBRATED.read_text()
    start = text.index("  parameters: [") + len("  parameters: [")
    end = text.index("]", start)
    names = text[start:end].split(", ")
    # swap the last joint name for lambda: same length, so only the name can fail
    bad = text[:start] + ", ".join([*names[:-1], NAME]) + text[end:]
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(ConfigError, match="cannot be in the joint block"):
        load_priors(tmp_path / "bad.yaml")


@pytest.mark.parametrize("path", [DEFAULT, CALIBRATED], ids=["marginals", "joint"])
def test_omitted_is_zero_and_the_same_as_fixed_zero(path: Path) -> None:
    omitted = draw_parameters(_variant(path, None), 500, rng=np.random.default_rng(3))
    fixed = draw_parameters(
        _variant(path, {"dist": "Fixed", "value": 0}), 500, rng=np.random.default_rng(3)
    )
    assert np.all(omitted.values[NAME] == 0.0)
    assert set(omitted.values) == set(fixed.values) == set(PARAMETERS)
    for name in PARAMETERS:
        np.testing.assert_array_equal(omitted.values[name], fixed.values[name], err_msg=name)


@pytest.mark.parametrize("path", [DEFAULT, CALIBRATED], ids=["marginals", "joint"])
def test_a_beta_lambda_is_drawn_last_and_follows_its_prior(path: Path) -> None:
    n = 20_000
    without = draw_parameters(_variant(path, None), n, rng=np.random.default_rng(5))
    with_it = draw_parameters(_variant(path, BETA), n, rng=np.random.default_rng(5))
    # every other parameter (marginals and the joint block) is bit-identical
    for name in FITTED_PARAMETERS:
        np.testing.assert_array_equal(without.values[name], with_it.values[name], err_msg=name)
    lam = with_it.values[NAME]
    assert np.all((lam > 0) & (lam < 1))
    # Beta(20, 30): mean a / (a + b) = 0.4, variance ab / ((a + b)^2 (a + b + 1))
    # = 600 / (2500 * 51) = 0.0047059, sd 0.06860; the Monte Carlo standard error of the
    # mean of n = 20000 draws is 0.06860 / sqrt(20000) = 0.000485, so 4 of them: 0.00194.
    a, b = 20.0, 30.0
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert abs(lam.mean() - mean) < 4 * sd / math.sqrt(n)
    # and its spread is the prior's (the sd of the sample sd is ~ sd / sqrt(2n): 0.00034)
    assert abs(lam.std() - sd) < 4 * sd / math.sqrt(2 * n)


def _fake_values(priors: PriorsFile, n: int = 400) -> dict[str, np.ndarray]:
    """Prior draws posing as a posterior (lambda among them: the writer must ignore it)."""
    return draw_parameters(priors, n, rng=np.random.default_rng(11)).values


def _text(values: dict[str, np.ndarray], source: Path) -> str:
    return calibrated_priors_text(
        values,
        source,
        as_of="2026-01-20",
        fit_start="1990-01",
        data_sha256="x" * 64,
        command="test",
        diagnostics={"r_hat_max": 1.0},
    )


def test_calibrated_writer_copies_the_prior_and_keeps_it_out_of_the_joint_block(
    tmp_path: Path,
) -> None:
    text = _text(_fake_values(load_priors(DEFAULT).config), DEFAULT)
    lines = text.splitlines()
    i = lines.index(LINE)
    assert lines[i - 1] == COMMENT
    assert lines.index("joint:") > i  # in parameters:, before the joint block
    (tmp_path / "cal.yaml").write_text(text)
    cal = load_priors(tmp_path / "cal.yaml").config
    assert cal.joint is not None and NAME not in cal.joint.parameters
    assert cal.joint.parameters == [n for n in FITTED_PARAMETERS]
    assert getattr(cal.parameters, NAME) == getattr(load_priors(DEFAULT).config.parameters, NAME)
    # the shipped calibrated file carries it exactly as the writer writes it
    shipped = CALIBRATED.read_text().splitlines()
    assert shipped[shipped.index(LINE) - 1] == COMMENT


def test_calibrated_writer_copies_any_prior_exactly(tmp_path: Path) -> None:
    odd = {"dist": "TruncatedNormal", "mu": 0.123456789012345, "sigma": 0.1, "lower": 0, "upper": 1}
    src = tmp_path / "src.yaml"
    pf = _variant(DEFAULT, odd)
    assert source_prior_text(getattr(pf.parameters, NAME)).startswith("{dist: TruncatedNormal")
    text = DEFAULT.read_text().replace(
        LINE, f"  {NAME}: {source_prior_text(pf.parameters.neutral_rate_news_loading)}"
    )
    src.write_text(text)
    (tmp_path / "cal.yaml").write_text(_text(_fake_values(pf), src))
    cal = load_priors(tmp_path / "cal.yaml").config
    assert getattr(cal.parameters, NAME) == getattr(pf.parameters, NAME)
    # omitted in the source: omitted in the calibrated file (the old output, unchanged)
    src.write_text(DEFAULT.read_text().replace(LINE, ""))
    text = _text(_fake_values(pf), src)
    assert NAME not in text and "FOMC" not in text


def test_the_fit_model_has_no_lambda_and_its_cache_key_ignores_it() -> None:
    from simulator.model.fit import build_model

    history = simulate_history(TRUE, 30, rng=np.random.default_rng(0))
    data = fit_data(history)
    model = build_model(_variant(DEFAULT, BETA), data)
    names = set(model.named_vars)
    assert not {n for n in names if NAME in n}, names
    assert "inflation_persistence" in names  # the model is otherwise there
    keys = set()
    for prior in (None, BETA, {"dist": "Fixed", "value": 0.7}):
        keys.add(
            cache.fit_key(
                model_version=MODEL_VERSION,
                priors=_variant(DEFAULT, prior),
                history=history,
                fit_start=data.start,
                fit_end=data.end,
                sampler="nutpie",
                chains=2,
                draws=10,
                tune=10,
                versions={},
            )
        )
    assert len(keys) == 1


def test_a_fitted_run_draws_lambda_from_its_prior(tmp_path: Path) -> None:
    """The posterior-to-draws path (fit_history's cached fast path and full path)."""
    import arviz as az

    from simulator.model.commands import fit_history

    history = simulate_history(TRUE, 30, rng=np.random.default_rng(9))
    data = fit_data(history)
    chains, draws = 2, 2000
    fake = draw_parameters(_variant(DEFAULT, None), chains * draws, rng=np.random.default_rng(1))
    posterior = {
        k: v.reshape(chains, draws) for k, v in fake.values.items() if k in FITTED_PARAMETERS
    }
    stats_ = {"diverging": np.zeros((chains, draws), dtype=bool)}
    kwargs: dict[str, Any] = {"chains": chains, "draws": draws, "tune": 1, "cache_root": tmp_path}
    results = {}
    for label, prior in (("omitted", None), ("beta", BETA)):
        priors = _variant(DEFAULT, prior)
        key = cache.fit_key(
            model_version=MODEL_VERSION,
            priors=priors,
            history=history,
            fit_start=data.start,
            fit_end=data.end,
            sampler="nutpie",
            chains=chains,
            draws=draws,
            tune=1,
        )
        if label == "omitted":
            cache.store_posterior(
                key, az.from_dict(posterior=posterior, sample_stats=stats_), tmp_path
            )
        slow = fit_history(priors, history, fit_start=data.start, **kwargs)  # posterior.nc
        fast = fit_history(priors, history, fit_start=data.start, **kwargs)  # draws.npz
        for res in (slow, fast):
            assert res.cache_key == key and res.draws_as_of is not None
            np.testing.assert_array_equal(res.draws.values[NAME], res.draws_as_of.values[NAME])
        for name in PARAMETERS:
            np.testing.assert_array_equal(slow.draws.values[name], fast.draws.values[name])
        with np.load(tmp_path / "fits" / key / cache.DRAWS_FILE) as npz:
            assert NAME not in npz.files  # the cache holds the fit's draws only
        results[label] = slow
    omitted, beta = results["omitted"].draws_as_of, results["beta"].draws_as_of
    assert omitted is not None and beta is not None
    assert np.all(omitted.values[NAME] == 0.0)
    for name in FITTED_PARAMETERS:  # the posterior (and its levels at the end) unchanged
        np.testing.assert_array_equal(omitted.values[name], beta.values[name], err_msg=name)
    lam = beta.values[NAME]
    # 4000 draws of Beta(20, 30): MC standard error of the mean 0.0686 / sqrt(4000) = 0.00108
    assert abs(lam.mean() - 0.4) < 4 * 0.0686 / math.sqrt(lam.size)
    assert lam.std() > 0.05


def test_the_laplace_refit_does_not_see_lambda() -> None:
    from simulator.backtest.fitting import free_parameters, laplace_fit, log_posterior_unconstrained

    history = simulate_history(TRUE, 36, rng=np.random.default_rng(4))
    data = fit_data(history)
    fits = {}
    for label, prior in (("omitted", None), ("beta", BETA)):
        priors = _variant(DEFAULT, prior)
        free = free_parameters(priors)
        assert NAME not in free and len(free) == len(FITTED_PARAMETERS)
        fits[label] = laplace_fit(priors, data, 300, rng=np.random.default_rng(2))
    omitted, beta = fits["omitted"], fits["beta"]
    assert NAME not in beta.free and beta.z_mode.shape == (len(beta.free),)
    assert NAME not in beta.mode
    np.testing.assert_array_equal(omitted.z_mode, beta.z_mode)
    np.testing.assert_array_equal(omitted.z_cov, beta.z_cov)
    for name in FITTED_PARAMETERS:  # drawn before lambda: bit-identical
        np.testing.assert_array_equal(omitted.draws.values[name], beta.draws.values[name])
    assert np.all(omitted.draws.values[NAME] == 0.0)
    lam = beta.draws.values[NAME]
    assert np.all((lam > 0) & (lam < 1)) and lam.std() > 0.03
    # the objective is the same function with or without lambda's prior
    z = beta.z_mode[None, :]
    np.testing.assert_array_equal(
        log_posterior_unconstrained(_variant(DEFAULT, None), data, z),
        log_posterior_unconstrained(_variant(DEFAULT, BETA), data, z),
    )


def test_a_backtest_origin_carries_the_source_prior(data_dir: Path, tmp_path: Path) -> None:
    from simulator.backtest.origin import load_origin, origin_levels, write_origin_files

    od = load_origin(data_dir, pd.Timestamp("2010-06"))
    draws = draw_parameters(_variant(DEFAULT, None), 50, rng=np.random.default_rng(1)).values
    values = origin_levels(od, draws, np.random.default_rng(9), use_acm=True)
    calibration = {"fit_start": "1990-01", "data_sha256": "x", "command": "test", "diagnostics": {}}
    write_origin_files(
        od, values, tmp_path, paths=10, seed=7, priors_path=DEFAULT, calibration=calibration
    )
    text = (tmp_path / "priors.yaml").read_text()
    lines = text.splitlines()
    assert lines[lines.index(LINE) - 1] == COMMENT
    cal = load_priors(tmp_path / "priors.yaml").config
    assert cal.joint is not None and NAME not in cal.joint.parameters
