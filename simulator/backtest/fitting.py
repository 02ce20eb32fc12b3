r"""A fast numpy posterior for the refits: Laplace approximation on the unconstrained scale.

The backtest refits the dynamics at every ``refit_every``-th origin on the history public
then. A NUTS fit (:func:`simulator.model.commands.fit_history`) takes 80-90 s on this
2-core machine under load (measured 2026-01: 2 chains x (500 + 500)), i.e. ~35 min for
the 25 refits of the default run, so the default refit is this approximation (~1-3 s):

1. the same log posterior NUTS samples (:func:`log_posterior`; equal to the PyMC model's
   up to coordinates and a constant, ``tests/test_logp_parity.py``): the priors of the
   priors file (marginals; a calibrated file with a ``joint`` block is refused, as a fit
   refuses it) plus the exact likelihood (inflation AR(1) + Kalman filter of the 10y/ACM
   observations), written in z = logit / log / identity of each free parameter with the
   log-Jacobian added (:func:`log_posterior_unconstrained`);
2. its mode by L-BFGS with central-difference gradients, all 2k+1 points evaluated in one
   vectorised filter pass (:func:`simulator.backtest.forecast.loglik_batch`);
3. draws z ~ N(mode, H^-1), H the finite-difference Hessian at the mode (eigenvalues
   floored so it is positive definite), mapped back to the parameters.

``fitter="nuts"`` in :func:`simulator.backtest.run.run_backtest` uses the model module's
NUTS fit instead (cached in ``$MACROSIM_CACHE``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from simulator.backtest.forecast import FilterInput, loglik_batch
from simulator.config.schema import (
    PARAMETERS,
    Fixed,
    PriorsFile,
)
from simulator.model.density import OUTSIDE, prior_logpdf
from simulator.model.draws import ParameterDraws, draw_engine_only, from_unconstrained

__all__ = [
    "LaplaceFit",
    "free_parameters",
    "laplace_fit",
    "log_posterior",
    "log_posterior_unconstrained",
    "log_prior",
]

logger = logging.getLogger(__name__)

_STEP = 1e-4  # finite-difference step on the unconstrained scale


@dataclass(frozen=True)
class LaplaceFit:
    """The mode and covariance on the unconstrained scale, and draws mapped back."""

    draws: ParameterDraws
    mode: dict[str, float]
    free: tuple[str, ...]
    z_mode: np.ndarray
    z_cov: np.ndarray
    log_posterior: float
    converged: bool


def _log_jacobian(name: str, z: np.ndarray) -> np.ndarray:
    """log |d theta / d z| of the map from the unconstrained scale."""
    domain = PARAMETERS[name][1]
    if domain == "unit":
        return np.asarray(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z))
    if domain in ("positive", "nonnegative"):
        return np.asarray(z, dtype=np.float64)
    return np.zeros_like(z)


def _initial(name: str, prior: object) -> float:
    """A starting point on the unconstrained scale: the prior mean (clipped inside)."""
    mean = float(prior.mean())  # type: ignore[attr-defined]
    domain = PARAMETERS[name][1]
    if domain == "unit":
        return float(special.logit(min(max(mean, 1e-3), 1 - 1e-3)))
    if domain in ("positive", "nonnegative"):
        return math.log(max(mean, 1e-3))
    return mean


def free_parameters(priors: PriorsFile) -> tuple[str, ...]:
    """The parameters the refit estimates, in model order: the month-end fit's parameters
    but the ``Fixed`` ones (never an engine-only one: the refit does not see those)."""
    return tuple(n for n, p in priors.parameters.fitted_items() if not isinstance(p, Fixed))


def _with_fixed(priors: PriorsFile, params: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """The free parameters' values (B,) plus the ``Fixed`` ones broadcast to B."""
    free = {
        n: np.atleast_1d(np.asarray(params[n], dtype=np.float64)) for n in free_parameters(priors)
    }
    b = np.broadcast_shapes(*(v.shape for v in free.values()))
    out = {n: np.broadcast_to(v, b) for n, v in free.items()}
    for name, prior in priors.parameters.fitted_items():
        if isinstance(prior, Fixed):
            out[name] = np.full(b, float(prior.value))
    return out


def _prior_terms(
    priors: PriorsFile, values: Mapping[str, np.ndarray], log_jacobian: Sequence[Any] = ()
) -> np.ndarray:
    """Sum over free parameters j of log prior_j (+ log-Jacobian_j when given), per point."""
    lp = np.zeros(np.broadcast_shapes(*(np.shape(v) for v in values.values())))
    prior_of = dict(priors.parameters.fitted_items())
    for j, name in enumerate(free_parameters(priors)):
        jacobian = log_jacobian[j] if log_jacobian else 0.0
        lp += prior_logpdf(prior_of[name], values[name]) + jacobian
    return lp


def log_prior(priors: PriorsFile, params: Mapping[str, ArrayLike]) -> np.ndarray:
    """Sum of the free parameters' marginal log prior densities, per point (B,)."""
    return _prior_terms(priors, _with_fixed(priors, params))


def log_posterior(
    priors: PriorsFile, data: FilterInput, params: Mapping[str, ArrayLike], *, use_acm: bool = True
) -> np.ndarray:
    """log p(parameters | data) + const on the parameters' own scale (no Jacobian), per point.

    The marginal priors of ``priors`` plus the exact likelihood: the inflation gap's
    AR(1) conditional on the first month and the Kalman filter's 10y/ACM part
    (:func:`simulator.backtest.forecast.loglik_batch`). It is the density of the PyMC
    model of :func:`simulator.model.fit.build_model` in the schema's parameters (that
    model samples beta B(rho) instead of beta and z = sigma / s of a folded HalfNormal
    scale: the same posterior in other coordinates; ``tests/test_logp_parity.py``).

    Parameters
    ----------
    priors : PriorsFile
        Weakly informative priors (marginals only).
    data : FilterInput
        The window (a :class:`~simulator.model.statespace.FitData` will do).
    params : mapping
        A value or (B,) array for each free parameter (``Fixed`` ones are taken from
        ``priors``).
    use_acm : bool
        Include the ACM term premium in the likelihood.

    Returns
    -------
    (B,) array
        Outside a prior's support the prior term is -1e10 (finite, so L-BFGS backs off).
    """
    return _posterior(priors, data, _with_fixed(priors, params), (), use_acm)


def _posterior(
    priors: PriorsFile,
    data: FilterInput,
    values: dict[str, np.ndarray],
    log_jacobian: Sequence[Any],
    use_acm: bool,
) -> np.ndarray:
    """Prior (+ log-Jacobian) terms plus the likelihood, in the old objective's sum order."""
    lp = _prior_terms(priors, values, log_jacobian)
    with np.errstate(all="ignore"):
        ll = loglik_batch(values, data, use_acm=use_acm)
    return np.asarray(lp + ll, dtype=np.float64)


def log_posterior_unconstrained(
    priors: PriorsFile, data: FilterInput, z: np.ndarray, *, use_acm: bool = True
) -> np.ndarray:
    """The refit's objective: :func:`log_posterior` at points (B, k) on the unconstrained
    scale (logit / log / identity of each of :func:`free_parameters`), log-Jacobians
    added; non-finite values become -1e10."""
    zb = np.atleast_2d(np.asarray(z, dtype=np.float64))
    free = free_parameters(priors)
    params = {n: from_unconstrained(n, zb[:, j]) for j, n in enumerate(free)}
    jac = [_log_jacobian(n, zb[:, j]) for j, n in enumerate(free)]
    out = _posterior(priors, data, _with_fixed(priors, params), jac, use_acm)
    return np.where(np.isfinite(out), out, OUTSIDE)


def laplace_fit(
    priors: PriorsFile,
    data: FilterInput,
    n_draws: int,
    *,
    rng: np.random.Generator,
    use_acm: bool = True,
    start: dict[str, float] | None = None,
) -> LaplaceFit:
    """Approximate the posterior of the dynamics on a window (module docstring).

    Parameters
    ----------
    priors : PriorsFile
        Weakly informative priors (marginals only).
    data : FilterInput
        The window; trailing months without core PCE are nowcast by the filter.
    n_draws : int
        Number of posterior draws to return.
    rng : numpy.random.Generator
        Draws the normal approximation.
    use_acm : bool
        Include the ACM term premium in the likelihood.
    start : dict, optional
        Parameter values to start the optimiser from (the previous refit's mode).

    Returns
    -------
    LaplaceFit

    Raises
    ------
    ValueError
        If the priors carry a ``joint`` block (a calibrated file).
    """
    if priors.joint is not None or priors.calibrated is not None:
        raise ValueError(
            "the backtest refits from weakly informative priors; a calibrated priors file "
            "(the posterior of a fit to all history) would leak the future into early origins"
        )
    fixed = {n: float(p.value) for n, p in priors.parameters.fitted_items() if isinstance(p, Fixed)}
    free = free_parameters(priors)
    prior_of = dict(priors.parameters.fitted_items())

    def log_post(zb: np.ndarray) -> np.ndarray:
        """Log posterior at a batch of unconstrained points (B, k)."""
        return log_posterior_unconstrained(priors, data, zb, use_acm=use_acm)

    k = len(free)
    eye = np.eye(k) * _STEP

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        pts = np.vstack([z, z + eye, z - eye])
        f = log_post(pts)
        grad = (f[1 : k + 1] - f[k + 1 :]) / (2 * _STEP)
        return -float(f[0]), -grad

    if start is not None:
        z0 = np.array([float(np.asarray(_to_z(n, start[n]))) for n in free])
    else:
        z0 = np.array([_initial(n, prior_of[n]) for n in free])
    res = optimize.minimize(
        objective, z0, jac=True, method="L-BFGS-B", options={"maxiter": 500, "gtol": 1e-5}
    )
    z_hat = np.asarray(res.x)
    hess = _hessian(log_post, z_hat)
    vals, vecs = np.linalg.eigh(-0.5 * (hess + hess.T))
    vals = np.maximum(vals, 1e-6 * max(float(vals.max()), 1.0))
    cov = (vecs / vals) @ vecs.T
    if not res.success:
        logger.warning("laplace refit: optimiser stopped without convergence: %s", res.message)
    z = rng.multivariate_normal(z_hat, cov, size=n_draws, method="eigh")
    values = {n: np.full(n_draws, v) for n, v in fixed.items()}
    for j, name in enumerate(free):
        values[name] = np.asarray(from_unconstrained(name, z[:, j]), dtype=np.float64)
    # the engine-only parameters (not fitted) from their priors, after all else from rng
    values.update(draw_engine_only(priors, n_draws, rng=rng))
    mode = dict(fixed)
    mode.update({n: float(from_unconstrained(n, z_hat[j : j + 1])[0]) for j, n in enumerate(free)})
    draws = ParameterDraws(
        values=values, source="posterior", meta={"method": "laplace", "use_acm": use_acm}
    )
    return LaplaceFit(
        draws=draws,
        mode=mode,
        free=free,
        z_mode=z_hat,
        z_cov=cov,
        log_posterior=-float(res.fun),
        converged=bool(res.success),
    )


def _to_z(name: str, value: float) -> np.ndarray:
    domain = PARAMETERS[name][1]
    x = np.asarray([value], dtype=np.float64)
    if domain == "unit":
        return np.asarray(special.logit(np.clip(x, 1e-6, 1 - 1e-6)))
    if domain in ("positive", "nonnegative"):
        return np.log(np.maximum(x, 1e-8))
    return x


def _hessian(log_post: object, z: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of a batched function at z (one batched call)."""
    k = z.size
    e = np.eye(k) * step
    pts = [z]
    for i in range(k):
        for j in range(i, k):
            pts += [z + e[i] + e[j], z + e[i] - e[j], z - e[i] + e[j], z - e[i] - e[j]]
    f = log_post(np.vstack(pts))  # type: ignore[operator]
    h = np.empty((k, k))
    c = 1
    for i in range(k):
        for j in range(i, k):
            h[i, j] = h[j, i] = (f[c] - f[c + 1] - f[c + 2] + f[c + 3]) / (4 * step * step)
            c += 4
    return h
