r"""Forecast kernels of the monthly model: filter the states, then simulate h months.

The model is the fit's (:mod:`simulator.model.statespace`, ``macrosim-statespace-3``), in
months::

    g_t   = rho g_{t-1} + sigma_pi e_t                      inflation gap
    n_t   = n_{t-1} + sigma_n eta_t                         neutral rate (random walk)
    EC_t  = n_t + (r_t - n_t) A(kappa) + beta g_t B(rho)      expectations component
    m_t   = m_{t-1} + sigma_m zeta_t                        term-premium mean (random walk)
    x_t   = phi x_{t-1} + sigma_tp u_t                        term-premium deviation
    y10_t = EC_t + m_t + x_t + sigma_y v_t                    month-end 10y close

(ACM's disagreement a_t is filtered too but does not enter the 10y.) Symbols are the
schema's parameter names (:data:`simulator.config.schema.PARAMETERS`).

:func:`filter_state` is the model's Kalman filter (:mod:`simulator.model.kalman`,
vectorised over parameter draws), so one origin filters hundreds of draws in one pass
over the months. Months whose core PCE is not yet public at the origin (the last one or
two) use the nowcast ``rho^k g_last``.

:func:`simulate_paths` is a deterministic kernel (STYLE rule 2): shocks in, paths out.
The observed 10y includes sigma_y v (the fit's observation noise): the forecast is of the
observed month-end close, so its predictive distribution carries that noise too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from simulator.model.kalman import FilterResult, filter_data, inflation_loglik
from simulator.model.statespace import expectations_weight_A, inflation_weight_B

__all__ = [
    "FilterInput",
    "filter_state",
    "loglik_batch",
    "simulate_paths",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FilterInput:
    """Monthly observations up to an origin (month-end stamps), as plain arrays.

    ``inflation_gap`` holds NaN for the trailing months whose core PCE is not yet public
    (nowcast by the filter); ``y10``/``acm_tp`` are skipped where their mask is False.
    The policy rate must be complete.
    """

    y10: FloatArray
    y10_mask: NDArray[np.bool_]
    policy_rate: FloatArray
    inflation_gap: FloatArray
    acm_tp: FloatArray
    acm_mask: NDArray[np.bool_]

    @property
    def n_months(self) -> int:
        """Number of months."""
        return int(self.y10.size)

    @property
    def pce_lag(self) -> int:
        """Trailing months without a public core PCE print (nowcast)."""
        known = np.flatnonzero(np.isfinite(self.inflation_gap))
        if known.size == 0:
            raise ValueError("no core PCE print in the filter window")
        return int(self.n_months - 1 - known[-1])


def filter_state(
    params: Mapping[str, FloatArray | float], data: FilterInput, *, use_acm: bool = True
) -> FilterResult:
    """The model's Kalman filter (:func:`simulator.model.kalman.kalman_filter`) at an origin.

    ``use_acm=False`` drops the ACM observations (an ablation; the fit uses them).
    """
    if not use_acm:
        data = replace(data, acm_mask=np.zeros_like(data.acm_mask))
    return filter_data(params, data)


def loglik_batch(
    params: Mapping[str, FloatArray | float], data: FilterInput, *, use_acm: bool = True
) -> FloatArray:
    """Total log-likelihood per draw: inflation AR(1) part plus the filter's 10y/ACM part."""
    infl = inflation_loglik(params, data.inflation_gap)
    return np.asarray(infl + filter_state(params, data, use_acm=use_acm).loglik, dtype=np.float64)


def simulate_paths(
    params: Mapping[str, FloatArray],
    state: FilterResult,
    draw: NDArray[np.intp],
    policy_path: FloatArray,
    *,
    z_state: FloatArray,
    e_inflation: FloatArray,
    u_term_premium: FloatArray,
    eta_neutral: FloatArray,
    v_noise: FloatArray,
) -> FloatArray:
    r"""Monthly 10y paths from the origin's filtered state: shocks in, paths out.

    For path p (parameters ``params[...][p]``, filtered state of draw ``draw[p]``) and
    months k = 1..H after the origin::

        (x_0, n_0, m_0) = filtered mean + chol(filtered covariance) z
        x_k = phi x_{k-1} + sigma_tp u_k
        n_k = n_{k-1} + sigma_n eta_k,  m_k = m_{k-1} + sigma_m zeta_k
        g   from g_last, pce_lag + k AR(1) steps with shocks e
        y_k = n_k + (r_k - n_k) A(kappa) + beta g B(rho) + m_k + x_k + sigma_y v_k

    Parameters
    ----------
    params : mapping of (P,) arrays
        One parameter set per path.
    state : FilterResult
        The filter at the origin, for D draws.
    draw : (P,) int
        The filter draw of each path.
    policy_path : (P, H)
        Policy rate at the end of each month after the origin, %.
    z_state : (P, 3)
        Standard normal draws for (x_0, n_0, m_0).
    e_inflation : (P, pce_lag + H)
        Inflation shocks (unit variance).
    u_term_premium : (P, H)
        Term-premium shocks (unit variance; Student-t rescaled for fat tails).
    eta_neutral : (P, H, 2)
        Shocks of the two random walks, neutral rate [..., 0] and term-premium mean
        [..., 1] (unit variance).
    v_noise : (P, H)
        Observation-noise shocks (unit variance).

    Returns
    -------
    (P, H) month-end 10y yields, %.
    """
    rho = params["inflation_persistence"]
    s_pi = params["inflation_shock_pp"]
    phi = params["term_premium_persistence"]
    s_tp = params["term_premium_shock_pp"]
    s_n = params.get("neutral_rate_shock_pp", np.zeros_like(phi))
    a_w = expectations_weight_A(params["mean_reversion_per_year"])
    b_w = inflation_weight_B(rho)
    n_paths, horizon = policy_path.shape
    g = np.full(n_paths, float(state.g_last))
    for k in range(state.pce_lag):
        g = rho * g + s_pi * e_inflation[:, k]
    # (x, n, m) block of the filtered covariance (n, m: variance 0 while fixed)
    idx = np.array([0, 2, 3])
    cov = state.cov[draw][:, idx[:, None], idx[None, :]]
    chol = np.linalg.cholesky(cov + 1e-14 * np.eye(3))
    start = state.mean[draw][:, idx] + np.einsum("pij,pj->pi", chol, z_state)
    x, n, m = start[:, 0], start[:, 1], start[:, 2]
    s_m = params.get("term_premium_mean_shock_pp", np.zeros_like(phi))
    out = np.empty((n_paths, horizon))
    for k in range(horizon):
        g = rho * g + s_pi * e_inflation[:, state.pce_lag + k]
        x = phi * x + s_tp * u_term_premium[:, k]
        n = n + s_n * eta_neutral[:, k, 0]
        m = m + s_m * eta_neutral[:, k, 1]
        ec = n + (policy_path[:, k] - n) * a_w + params["inflation_loading"] * g * b_w
        out[:, k] = ec + m + x + params["y10_noise_pp"] * v_noise[:, k]
    return out
