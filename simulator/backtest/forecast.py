r"""Forecast kernels of the monthly model: filter the term premium, then simulate h months.

The model is the fit's (:mod:`simulator.model.statespace`), in months::

    g_t   = rho g_{t-1} + sigma_pi e_t                      inflation gap
    EC_t  = n* + (r_t - n*) A(kappa) + beta g_t B(rho)        expectations component
    x_t   = phi x_{t-1} + sigma_tp u_t                        term-premium deviation
    y10_t = EC_t + mu_tp + x_t + sigma_y v_t                  month-end 10y close

Symbols: rho = ``inflation_persistence``, sigma_pi = ``inflation_shock_pp``, beta =
``inflation_loading``, n* = ``neutral_rate_pp``, kappa = ``mean_reversion_per_year``,
mu_tp = ``term_premium_mean_pp``, phi = ``term_premium_persistence``, sigma_tp =
``term_premium_shock_pp``, sigma_y = ``y10_noise_pp``, sigma_acm = ``acm_noise_pp``.

:func:`filter_state` is the Kalman filter of :func:`simulator.model.kalman.kalman_filter`
vectorised over parameter draws (the same recursions; tested equal draw by draw), so one
origin filters hundreds of draws in one pass over the months. Months whose core PCE is
not yet public at the origin (the last one or two) use the nowcast ``rho^k g_last``.

:func:`simulate_paths` is a deterministic kernel (STYLE rule 2): shocks in, paths out.
The observed 10y includes sigma_y v (the fit's observation noise): the forecast is of the
observed month-end close, so its predictive distribution carries that noise too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.model.statespace import expectations_weight_A, inflation_weight_B

__all__ = [
    "FilterInput",
    "FilterState",
    "filter_state",
    "loglik_batch",
    "simulate_paths",
]

FloatArray = NDArray[np.float64]
_LOG_2PI = float(np.log(2.0 * np.pi))


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


@dataclass(frozen=True)
class FilterState:
    """Filtered term-premium deviation at the last month, per draw, and the filter's loglik.

    ``g_last`` is the last public inflation gap (same for every draw) and ``pce_lag``
    the months from it to the origin.
    """

    mean: FloatArray
    var: FloatArray
    loglik: FloatArray
    g_last: float
    pce_lag: int


def _p(params: Mapping[str, FloatArray | float], name: str) -> FloatArray:
    return np.atleast_1d(np.asarray(params[name], dtype=np.float64))


def filter_state(
    params: Mapping[str, FloatArray | float], data: FilterInput, *, use_acm: bool = True
) -> FilterState:
    """Kalman filter of x_t for D parameter draws at once (module docstring for the model).

    Parameters
    ----------
    params : mapping
        The ten parameter names, each a (D,) array (or a float).
    data : FilterInput
        Months from the start of the fit window to the origin.
    use_acm : bool
        Use the ACM term premium as an observation of TP (the fit's default).

    Returns
    -------
    FilterState
        Mean and variance of x at the last month given all observations up to it, and the
        log-likelihood of the 10y/ACM observations (inflation part excluded), per draw.

    Examples
    --------
    >>> import numpy as np
    >>> p = dict(inflation_persistence=0.98, inflation_shock_pp=0.1, inflation_loading=0.5,
    ...          neutral_rate_pp=3.0, mean_reversion_per_year=0.3, term_premium_mean_pp=1.0,
    ...          term_premium_persistence=0.95, term_premium_shock_pp=0.2,
    ...          y10_noise_pp=0.1, acm_noise_pp=0.2)
    >>> d = FilterInput(np.full(3, 4.0), np.ones(3, bool), np.full(3, 3.0),
    ...                 np.array([0.5, 0.5, np.nan]), np.zeros(3), np.zeros(3, bool))
    >>> filter_state(p, d).mean.shape
    (1,)
    """
    rho = _p(params, "inflation_persistence")
    phi = _p(params, "term_premium_persistence")
    s_tp = _p(params, "term_premium_shock_pp")
    mu = _p(params, "term_premium_mean_pp")
    n_star = _p(params, "neutral_rate_pp")
    beta = _p(params, "inflation_loading")
    ry = _p(params, "y10_noise_pp") ** 2
    ra = _p(params, "acm_noise_pp") ** 2
    a_w = expectations_weight_A(_p(params, "mean_reversion_per_year"))
    b_w = inflation_weight_B(rho)
    lag = data.pce_lag
    g_obs = data.inflation_gap
    g_last = float(g_obs[data.n_months - 1 - lag])
    shape = np.broadcast_shapes(rho.shape, phi.shape, mu.shape, n_star.shape, ry.shape)
    q = s_tp * s_tp
    m = np.zeros(shape)
    v = np.broadcast_to(q / (1.0 - phi * phi), shape).copy()
    ll = np.zeros(shape)
    acm_on = data.acm_mask if use_acm else np.zeros_like(data.acm_mask)
    n = data.n_months
    for t in range(n):
        k = t - (n - 1 - lag)
        g_t = g_obs[t] if k <= 0 else g_last * rho**k
        ec = n_star + (data.policy_rate[t] - n_star) * a_w + beta * g_t * b_w
        for present, obs, r in (
            (data.y10_mask[t], data.y10[t] - ec - mu, ry),
            (acm_on[t], data.acm_tp[t] - mu, ra),
        ):
            if present:
                f = v + r
                innov = obs - m
                ll += -0.5 * (_LOG_2PI + np.log(f) + innov * innov / f)
                m = m + v / f * innov
                v = v * r / f
        if t < n - 1:
            m, v = phi * m, phi * phi * v + q
    return FilterState(mean=m, var=v, loglik=ll, g_last=g_last, pce_lag=lag)


def loglik_batch(
    params: Mapping[str, FloatArray | float], data: FilterInput, *, use_acm: bool = True
) -> FloatArray:
    """Total log-likelihood per draw: inflation AR(1) part plus the filter's 10y/ACM part.

    Same as :func:`simulator.model.kalman.log_likelihood` on a complete window (tested).
    """
    rho = _p(params, "inflation_persistence")
    s_pi = _p(params, "inflation_shock_pp")
    g = data.inflation_gap[np.isfinite(data.inflation_gap)]
    resid = g[1:][None, :] - rho[:, None] * g[:-1][None, :]
    n = resid.shape[1]
    infl = -0.5 * (n * (_LOG_2PI + 2.0 * np.log(s_pi)) + np.sum(resid * resid, axis=1) / s_pi**2)
    return np.asarray(infl + filter_state(params, data, use_acm=use_acm).loglik, dtype=np.float64)


def simulate_paths(
    params: Mapping[str, FloatArray],
    state_mean: FloatArray,
    state_var: FloatArray,
    g_last: float,
    pce_lag: int,
    policy_path: FloatArray,
    *,
    z_state: FloatArray,
    e_inflation: FloatArray,
    u_term_premium: FloatArray,
    v_noise: FloatArray,
) -> FloatArray:
    r"""Monthly 10y paths from the origin's filtered state: shocks in, paths out.

    For path p (parameters ``params[...][p]``) and months k = 1..H after the origin::

        x_0 = m + sqrt(v) z,  x_k = phi x_{k-1} + sigma_tp u_k
        g   from g_last, pce_lag + k AR(1) steps with shocks e
        y_k = n* + (r_k - n*) A(kappa) + beta g B(rho) + mu_tp + x_k + sigma_y v_k

    Parameters
    ----------
    params : mapping of (P,) arrays
        One parameter set per path.
    state_mean, state_var : (P,)
        Filtered x at the origin.
    g_last : float
        Last public inflation gap; ``pce_lag`` months before the origin.
    policy_path : (P, H)
        Policy rate at the end of each month after the origin, %.
    z_state : (P,)
        Standard normal draws for x_0.
    e_inflation : (P, pce_lag + H)
        Inflation shocks (unit variance).
    u_term_premium : (P, H)
        Term-premium shocks (unit variance; Student-t rescaled for fat tails).
    v_noise : (P, H)
        Observation-noise shocks (unit variance).

    Returns
    -------
    (P, H) month-end 10y yields, %.

    Examples
    --------
    >>> import numpy as np
    >>> p = {k: np.full(2, v) for k, v in dict(inflation_persistence=0.98,
    ...      inflation_shock_pp=0.1, inflation_loading=0.5, neutral_rate_pp=3.0,
    ...      mean_reversion_per_year=0.3, term_premium_mean_pp=1.0,
    ...      term_premium_persistence=0.95, term_premium_shock_pp=0.2, y10_noise_pp=0.1,
    ...      acm_noise_pp=0.2).items()}
    >>> z = np.zeros((2, 3))
    >>> y = simulate_paths(p, np.zeros(2), np.zeros(2), 0.0, 0, np.full((2, 3), 3.0),
    ...                    z_state=np.zeros(2), e_inflation=z, u_term_premium=z, v_noise=z)
    >>> np.allclose(y, 4.0)
    True
    """
    rho = params["inflation_persistence"]
    s_pi = params["inflation_shock_pp"]
    phi = params["term_premium_persistence"]
    s_tp = params["term_premium_shock_pp"]
    a_w = expectations_weight_A(params["mean_reversion_per_year"])
    b_w = inflation_weight_B(rho)
    n_star = params["neutral_rate_pp"]
    n_paths, horizon = policy_path.shape
    g = np.full(n_paths, float(g_last))
    for k in range(pce_lag):
        g = rho * g + s_pi * e_inflation[:, k]
    x = state_mean + np.sqrt(state_var) * z_state
    out = np.empty((n_paths, horizon))
    for k in range(horizon):
        g = rho * g + s_pi * e_inflation[:, pce_lag + k]
        x = phi * x + s_tp * u_term_premium[:, k]
        ec = n_star + (policy_path[:, k] - n_star) * a_w + params["inflation_loading"] * g * b_w
        out[:, k] = ec + params["term_premium_mean_pp"] + x + params["y10_noise_pp"] * v_noise[:, k]
    return out
