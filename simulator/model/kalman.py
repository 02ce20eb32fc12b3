"""Kalman filter and smoother of the term-premium state, in numpy.

The same recursions as the pytensor scan in :mod:`simulator.model.fit` (tested equal),
for one parameter set at a time: the backtest uses :func:`kalman_filter` to carry the
state x_t forward between refits, and :func:`kalman_smoother` gives fitted term premia.

State: x_t = phi x_{t-1} + sigma_tp u_t, x_1 ~ N(0, sigma_tp^2 / (1 - phi^2)).
Observations, each skipped where missing (processed one at a time, which is exact here
because their noises are independent):

    y10_t - EC_t - mu_tp = x_t + sigma_y v_t
    acm_t - mu_tp        = x_t + sigma_acm w_t

The inflation gap's own likelihood, sum_{t>=2} log N(g_t; rho g_{t-1}, sigma_pi^2), is
conditional on the first month (no stationary start: rho may be near 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.model.statespace import FitData, expectations_component

__all__ = [
    "KalmanResult",
    "inflation_loglik",
    "kalman_filter",
    "kalman_smoother",
    "log_likelihood",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class KalmanResult:
    """Filter output for one parameter set (arrays over the fit window's months).

    ``predicted_mean/var``: x_t given data up to t-1; ``filtered_mean/var``: given data up
    to t; ``loglik``: log p(y10, acm | r, g, parameters) (the inflation part excluded).
    """

    loglik: float
    predicted_mean: np.ndarray
    predicted_var: np.ndarray
    filtered_mean: np.ndarray
    filtered_var: np.ndarray
    expectations: np.ndarray

    def forecast(self, phi: float, sigma_tp: float, months: int = 1) -> tuple[float, float]:
        """Mean and variance of x ``months`` after the last filtered month."""
        m, v = float(self.filtered_mean[-1]), float(self.filtered_var[-1])
        for _ in range(months):
            m, v = phi * m, phi * phi * v + sigma_tp * sigma_tp
        return m, v


def inflation_loglik(parameters: Mapping[str, float], data: FitData) -> float:
    """log p(g_2..g_T | g_1) under g_t = rho g_{t-1} + sigma_pi e_t."""
    rho, s = float(parameters["inflation_persistence"]), float(parameters["inflation_shock_pp"])
    g = data.inflation_gap
    resid = g[1:] - rho * g[:-1]
    n = resid.size
    return float(-0.5 * (n * (_LOG_2PI + 2.0 * np.log(s)) + np.sum(resid * resid) / (s * s)))


def kalman_filter(parameters: Mapping[str, float], data: FitData) -> KalmanResult:
    """Run the Kalman filter of the term-premium deviation x_t.

    Parameters
    ----------
    parameters : mapping
        A value for each of the ten schema parameter names (floats).
    data : FitData
        The fit window (:func:`simulator.model.statespace.fit_data`).

    Returns
    -------
    KalmanResult
        Log-likelihood of the 10y and ACM observations and the state moments.

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.model.statespace import fit_data, simulate_history
    >>> p = dict(inflation_persistence=0.98, inflation_shock_pp=0.1, inflation_loading=0.5,
    ...          neutral_rate_pp=3.0, mean_reversion_per_year=0.3, term_premium_mean_pp=1.0,
    ...          term_premium_persistence=0.95, term_premium_shock_pp=0.2,
    ...          y10_noise_pp=0.1, acm_noise_pp=0.2)
    >>> d = fit_data(simulate_history(p, 36, rng=np.random.default_rng(0)))
    >>> kalman_filter(p, d).filtered_mean.shape
    (36,)
    """
    p = {k: float(v) for k, v in parameters.items()}
    phi, s_tp = p["term_premium_persistence"], p["term_premium_shock_pp"]
    mu = p["term_premium_mean_pp"]
    ry, ra = p["y10_noise_pp"] ** 2, p["acm_noise_pp"] ** 2
    ec = expectations_component(
        data.policy_rate,
        data.inflation_gap,
        neutral_rate_pp=p["neutral_rate_pp"],
        mean_reversion_per_year=p["mean_reversion_per_year"],
        inflation_loading=p["inflation_loading"],
        inflation_persistence=p["inflation_persistence"],
    )
    n = data.n_months
    pm_, pv_ = np.empty(n), np.empty(n)
    fm_, fv_ = np.empty(n), np.empty(n)
    q = s_tp * s_tp
    m, v = 0.0, q / (1.0 - phi * phi)
    ll = 0.0
    for t in range(n):
        pm_[t], pv_[t] = m, v
        for present, obs, r in (
            (data.y10_mask[t], data.y10[t] - ec[t] - mu, ry),
            (data.acm_mask[t], data.acm_tp[t] - mu, ra),
        ):
            if present:
                f = v + r
                innov = obs - m
                ll += -0.5 * (_LOG_2PI + np.log(f) + innov * innov / f)
                k = v / f
                m += k * innov
                v = v * r / f
        fm_[t], fv_[t] = m, v
        m, v = phi * m, phi * phi * v + q
    return KalmanResult(
        loglik=float(ll),
        predicted_mean=pm_,
        predicted_var=pv_,
        filtered_mean=fm_,
        filtered_var=fv_,
        expectations=ec,
    )


def log_likelihood(parameters: Mapping[str, float], data: FitData) -> float:
    """Total log-likelihood: inflation part plus the filter's 10y/ACM part."""
    return inflation_loglik(parameters, data) + kalman_filter(parameters, data).loglik


def kalman_smoother(
    parameters: Mapping[str, float], data: FitData
) -> tuple[np.ndarray, np.ndarray]:
    """Rauch-Tung-Striebel smoothed mean and variance of x_t given the whole window."""
    phi = float(parameters["term_premium_persistence"])
    res = kalman_filter(parameters, data)
    n = data.n_months
    sm, sv = res.filtered_mean.copy(), res.filtered_var.copy()
    for t in range(n - 2, -1, -1):
        pred_v = res.predicted_var[t + 1]
        gain = res.filtered_var[t] * phi / pred_v
        sm[t] = res.filtered_mean[t] + gain * (sm[t + 1] - res.predicted_mean[t + 1])
        sv[t] = res.filtered_var[t] + gain * gain * (sv[t + 1] - pred_v)
    return sm, sv
