"""The backtest's numpy log posterior is the PyMC model's, at random points on real data.

:func:`simulator.backtest.fitting.log_posterior` (priors + inflation AR(1) + numpy Kalman
filter) against ``logp`` of :func:`simulator.model.fit.build_model` (the reference), on
1995-01..2005-12 of ``$DATA`` at points drawn from the priors.

The two are one posterior in different coordinates. PyMC samples

- ``inflation_effect`` = beta B(rho) instead of beta: (beta, rho) -> (effect, rho) has
  Jacobian B(rho), so log p_numpy = log p_pymc + log B(rho);
- ``<scale>_folded`` = z with sigma = s |z|, z ~ N(0, 1), for a HalfNormal(s) walk or 10y
  noise scale: two z per sigma and dz/dsigma = 1/s, so on the parameters' own scale
  log p_numpy = log p_pymc + log(2 / s), and against numpy's log sigma coordinate
  (Jacobian sigma) log p_numpy = log p_pymc + log(2 sigma / s).

Every other free parameter has the same transform in both (logit for Beta, log for
HalfNormal and LogNormal, identity on the real line).

PyMC stores a prior's parameters that are exact in float32 (Beta(30, 1.5), sigma = 1.5,
Uniform(-2, 4)) as float32 constants and evaluates gammaln and log of them in float32, so
its log density is off by a constant: 3.6e-6 with the default priors (gammaln(30) and
gammaln(1.5) in float32), 2.2e-8 from log(6) of the Uniform. A constant moves neither NUTS
nor the refit's mode, so the tests require the difference numpy - PyMC to be one constant
across the points to 1e-8 (absolute, on log densities of order 1e1..1e5; measured 1e-10
at worst) and that constant to be below 1e-5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.backtest.fitting import (
    free_parameters,
    log_posterior,
    log_posterior_unconstrained,
)
from simulator.config import load_priors
from simulator.config.schema import PriorsFile
from simulator.data.history import monthly_history
from simulator.model.draws import draw_parameters, to_unconstrained
from simulator.model.fit import FOLDED_SCALES, build_model
from simulator.model.statespace import FitData, fit_data, inflation_weight_B

REPO = Path(__file__).resolve().parents[1]
N_POINTS = 6
ABS_TOL = 1e-8
FLOAT32_CONSTANTS = 1e-5  # PyMC's float32 prior constants: 3.6e-6 (module docstring)


@pytest.fixture(scope="module", autouse=True)
def _no_blas_probe() -> None:
    """No BLAS probe (as in test_model): its UserWarning would be an error here."""
    import pytensor

    pytensor.config.blas__ldflags = ""


@pytest.fixture(scope="module")
def window(data_dir: Path) -> FitData:
    history = monthly_history(data_dir, "2026-01-20", start="1995-01")
    return fit_data(history, "1995-01", "2005-12")


def _priors(**overrides: Any) -> PriorsFile:
    base = load_priors(REPO / "priors" / "default.yaml").config.model_dump(mode="json")
    base["parameters"].update(overrides)
    return PriorsFile.model_validate(base)


ALL_KINDS = {
    "inflation_loading": {"dist": "StudentT", "nu": 4, "mu": 0.5, "sigma": 1},
    "neutral_rate_pp": {"dist": "TruncatedNormal", "mu": 3, "sigma": 1, "lower": 0},
    "mean_reversion_per_year": {"dist": "Gamma", "alpha": 2, "beta": 8},
    "term_premium_mean_pp": {"dist": "Uniform", "lower": -2, "upper": 4},
    "acm_noise_pp": {"dist": "Fixed", "value": 0.3},
    "y10_noise_pp": {"dist": "LogNormal", "mu": -2, "sigma": 0.5},
}


class Reference:
    """The PyMC model's log density, without and with Jacobians, at parameter points."""

    def __init__(self, priors: PriorsFile, data: FitData) -> None:
        import pytensor

        self.priors, self.model = priors, build_model(priors, data)
        self.fn = pytensor.function(
            self.model.value_vars,
            [self.model.logp(jacobian=False), self.model.logp(jacobian=True)],
            mode="FAST_COMPILE",
            on_unused_input="ignore",
        )

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """PyMC's value variables (transformed scale) at parameter points (N,)."""
        rho = theta["inflation_persistence"]
        named = dict(theta)
        if "inflation_effect" in self.model.named_vars:
            named["inflation_effect"] = theta["inflation_loading"] * inflation_weight_B(rho)
        for name in FOLDED_SCALES:
            if f"{name}_folded" in self.model.named_vars:
                named[f"{name}_folded"] = theta[name] / getattr(self.priors.parameters, name).sigma
        out = {}
        for rv in self.model.free_RVs:
            value = np.asarray(named[rv.name], dtype=np.float64)
            transform = self.model.rvs_to_transforms.get(rv)
            if transform is not None:
                value = transform.forward(value, *rv.owner.inputs).eval()
            out[self.model.rvs_to_values[rv].name] = value
        return out

    def coordinate_change(self, theta: dict[str, np.ndarray], unconstrained: bool) -> Any:
        """log |d(PyMC's coordinates) / d(numpy's)|, times 2 per folded scale (module doc)."""
        out = np.zeros_like(theta["inflation_persistence"])
        if "inflation_effect" in self.model.named_vars:
            out += np.log(inflation_weight_B(theta["inflation_persistence"]))
        for name in FOLDED_SCALES:
            if f"{name}_folded" in self.model.named_vars:
                s = getattr(self.priors.parameters, name).sigma
                out += np.log(2.0 / s) + (np.log(theta[name]) if unconstrained else 0.0)
        return out

    def __call__(self, theta: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """(logp without Jacobians, logp with them), each (N,)."""
        vals = self.values(theta)
        names = [v.name for v in self.model.value_vars]
        rows = [self.fn(*(vals[n][i] for n in names)) for i in range(N_POINTS)]
        return tuple(np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))


def _prior_points(priors: PriorsFile, seed: int) -> dict[str, np.ndarray]:
    draws = draw_parameters(priors, N_POINTS, rng=np.random.default_rng(seed)).values
    return {n: np.asarray(v, dtype=np.float64) for n, v in draws.items()}


@pytest.mark.parametrize("kinds", ["default", "all-kinds"])
def test_numpy_log_posterior_is_pymc_logp(window: FitData, kinds: str) -> None:
    priors = _priors(**ALL_KINDS) if kinds == "all-kinds" else _priors()
    ref = Reference(priors, window)
    theta = _prior_points(priors, seed=11)
    ours = log_posterior(priors, window, theta)
    pymc, _ = ref(theta)
    _assert_same_up_to_float32_constants(ours, pymc + ref.coordinate_change(theta, False))


def _assert_same_up_to_float32_constants(ours: np.ndarray, pymc: np.ndarray) -> None:
    offset = ours - pymc
    np.testing.assert_allclose(offset, offset[0], rtol=0, atol=ABS_TOL)
    assert abs(offset[0]) < FLOAT32_CONSTANTS


def test_laplace_objective_is_pymc_logp_with_jacobians(window: FitData) -> None:
    priors = _priors()
    ref = Reference(priors, window)
    theta = _prior_points(priors, seed=12)
    free = free_parameters(priors)
    z = np.column_stack([to_unconstrained(n, theta[n]) for n in free])
    # the transforms agree where no coordinate changes (logit, log, identity)
    vals, model = ref.values(theta), ref.model
    same = [n for n in free if n in {rv.name for rv in model.free_RVs}]
    for name in same:
        value = vals[model.rvs_to_values[model[name]].name]
        np.testing.assert_allclose(value, z[:, free.index(name)], rtol=1e-12, atol=1e-12)
    assert len(same) == len(free) - 1 - len(FOLDED_SCALES)  # beta's effect, folded scales
    ours = log_posterior_unconstrained(priors, window, z)
    _, pymc = ref(theta)
    _assert_same_up_to_float32_constants(ours, pymc + ref.coordinate_change(theta, True))
