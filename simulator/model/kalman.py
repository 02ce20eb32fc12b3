r"""Kalman filter and smoother of the model's latent states, in numpy, vectorised over draws.

The same recursions as the pytensor scan in :mod:`simulator.model.fit` (tested equal).
One implementation serves the fit's checks (one parameter set), the fitted-history figure
(:func:`kalman_smoother`) and the backtest (hundreds of posterior draws at once).

The system (transition, noises, loadings, start) is
:func:`simulator.model.statespace.monthly_system`, stacked over draws by
:func:`~simulator.model.statespace.system_arrays`: the same statement the PyMC filters
use. State s_t = (x_t, a_t, n_t, m_t) (:data:`STATES`), each draw independent::

    x_t = phi x_{t-1} + sigma_tp u_t          term-premium deviation, x_1 stationary
    a_t = psi a_{t-1} + sigma_a w_t           ACM's disagreement with TP, a_1 ~ N(0, sigma_acm^2),
                                              sigma_a = sigma_acm sqrt(1 - psi^2)
    n_t = n_{t-1} + sigma_n eta_t             neutral rate (a random walk), n_1 = n*
    m_t = m_{t-1} + sigma_m zeta_t            term-premium mean (a random walk), m_1 = mu_tp

Observations, each skipped where missing (processed one at a time, which is exact
because their noises are independent)::

    y10_t - r_t A - beta g_t B = x_t + (1 - A) n_t + m_t + sigma_y v_t
    acm_t                      = x_t + a_t + m_t

With psi = sigma_n = sigma_m = 0 this is the one-state model of ``macrosim-statespace-2``
(ACM = TP + iid noise; a fixed neutral rate and TP mean).

The inflation gap's own likelihood, sum_{t>=2} log N(g_t; rho g_{t-1}, sigma_pi^2), is
conditional on the first month (no stationary start: rho may be near 1). Months whose
core PCE is not yet public (NaN at the end of the window; backtest origins) use the
nowcast g_last rho^k in the expectations component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.core.expectations import expectations_weight_A, inflation_weight_B
from simulator.model.statespace import SYSTEM_PARAMETERS, system_arrays

__all__ = [
    "LEVELS",
    "STATES",
    "FilterResult",
    "inflation_loglik",
    "kalman_filter",
    "kalman_smoother",
    "levels_at_end",
    "log_likelihood",
]

FloatArray = NDArray[np.float64]
STATES = ("x", "a", "n", "m")
"""Order of the state vector: term-premium deviation, ACM disagreement, neutral rate,
term-premium mean."""
K = len(STATES)

_LOG_2PI = float(np.log(2.0 * np.pi))


def _p(params: Mapping[str, object], name: str) -> FloatArray:
    return np.atleast_1d(np.asarray(params[name], dtype=np.float64))


@dataclass(frozen=True)
class FilterResult:
    """Filter output for D parameter draws over T months (state order :data:`STATES`).

    ``loglik`` (D,): log p(y10, acm | r, g, parameters), the inflation part excluded.
    ``mean`` (D, 4) and ``cov`` (D, 4, 4): the state at the last month given all data.
    ``g_last``: the last public inflation gap, ``pce_lag`` months before the last month.
    With ``history``: ``predicted_*`` / ``filtered_*`` of shape (D, T, 4[, 4]).
    """

    loglik: FloatArray
    mean: FloatArray
    cov: FloatArray
    g_last: float
    pce_lag: int
    predicted_mean: FloatArray | None = None
    predicted_cov: FloatArray | None = None
    filtered_mean: FloatArray | None = None
    filtered_cov: FloatArray | None = None


def kalman_filter(
    params: Mapping[str, object],
    *,
    y10: FloatArray,
    y10_mask: NDArray[np.bool_],
    policy_rate: FloatArray,
    inflation_gap: FloatArray,
    acm_tp: FloatArray,
    acm_mask: NDArray[np.bool_],
    history: bool = False,
) -> FilterResult:
    """Run the filter for D draws at once (module docstring for the model).

    Parameters
    ----------
    params : mapping
        The schema's parameter names, each a float or a (D,) array. A missing optional
        parameter (``acm_noise_persistence``, ``neutral_rate_shock_pp``,
        ``term_premium_mean_shock_pp``) means 0.
    y10, acm_tp : (T,) arrays, %
        Observations (any value where their mask is False).
    y10_mask, acm_mask : (T,) bool
    policy_rate : (T,) array, %
    inflation_gap : (T,) array, pp
        NaN for trailing months whose core PCE is not yet public (nowcast).
    history : bool
        Keep the per-month predicted and filtered moments (for the smoother).

    Returns
    -------
    FilterResult

    Examples
    --------
    >>> import numpy as np
    >>> p = dict(inflation_persistence=0.98, inflation_shock_pp=0.1, inflation_loading=0.5,
    ...          neutral_rate_pp=3.0, mean_reversion_per_year=0.3, term_premium_mean_pp=1.0,
    ...          term_premium_persistence=0.95, term_premium_shock_pp=0.2,
    ...          y10_noise_pp=0.1, acm_noise_pp=0.2)
    >>> r = kalman_filter(p, y10=np.full(3, 4.0), y10_mask=np.ones(3, bool),
    ...                   policy_rate=np.full(3, 3.0), inflation_gap=np.array([0.5, 0.5, np.nan]),
    ...                   acm_tp=np.zeros(3), acm_mask=np.zeros(3, bool))
    >>> r.mean.shape, r.pce_lag
    ((1, 4), 1)
    """
    rho = _p(params, "inflation_persistence")
    beta = _p(params, "inflation_loading")
    shapes = [rho.shape, beta.shape]
    shapes += [_p(params, n).shape for n in SYSTEM_PARAMETERS if n in params]
    d = np.broadcast_shapes(*shapes)[0]
    system = system_arrays(params, d)
    trans, q, h, obs_var = system.transition, system.state_cov, system.loadings, system.obs_var
    trans_t = np.swapaxes(trans, 1, 2)
    # EC's known part r A + beta g B leaves the 10y's observation (its n part is a state)
    a_w = expectations_weight_A(_p(params, "mean_reversion_per_year"))
    b_w = inflation_weight_B(rho)

    g_obs = np.asarray(inflation_gap, dtype=np.float64)
    n = g_obs.size
    known = np.flatnonzero(np.isfinite(g_obs))
    if known.size == 0:
        raise ValueError("no core PCE print in the filter window")
    lag = int(n - 1 - known[-1])
    g_last = float(g_obs[known[-1]])

    m, p = system.init_mean.copy(), system.init_cov.copy()
    ll = np.zeros(d)
    keep = (
        [np.empty((d, n, K)), np.empty((d, n, K, K)), np.empty((d, n, K)), np.empty((d, n, K, K))]
        if history
        else None
    )

    def update(m: FloatArray, p: FloatArray, h: FloatArray, obs: FloatArray, r: FloatArray):
        ph = np.einsum("dij,dj->di", p, h)
        f = np.einsum("di,di->d", h, ph) + r
        innov = obs - np.einsum("di,di->d", h, m)
        k = ph / f[:, None]
        lik = -0.5 * (_LOG_2PI + np.log(f) + innov * innov / f)
        return m + k * innov[:, None], p - k[:, :, None] * k[:, None, :] * f[:, None, None], lik

    for t in range(n):
        if keep is not None:
            keep[0][:, t], keep[1][:, t] = m, p
        k_now = t - known[-1]
        g_t = g_obs[t] if k_now <= 0 else g_last * rho**k_now
        if y10_mask[t]:
            obs = y10[t] - policy_rate[t] * a_w - beta * g_t * b_w
            m, p, lik = update(m, p, h[:, 0], np.broadcast_to(obs, (d,)), obs_var[:, 0])
            ll += lik
        if acm_mask[t]:
            m, p, lik = update(m, p, h[:, 1], np.broadcast_to(acm_tp[t], (d,)), obs_var[:, 1])
            ll += lik
        if keep is not None:
            keep[2][:, t], keep[3][:, t] = m, p
        if t < n - 1:
            m = np.einsum("dij,dj->di", trans, m)
            p = trans @ p @ trans_t + q
    if keep is None:
        return FilterResult(loglik=ll, mean=m, cov=p, g_last=g_last, pce_lag=lag)
    return FilterResult(
        loglik=ll,
        mean=m,
        cov=p,
        g_last=g_last,
        pce_lag=lag,
        predicted_mean=keep[0],
        predicted_cov=keep[1],
        filtered_mean=keep[2],
        filtered_cov=keep[3],
    )


def inflation_loglik(params: Mapping[str, object], inflation_gap: FloatArray) -> FloatArray:
    """log p(g_2..g_T | g_1) under g_t = rho g_{t-1} + sigma_pi e_t, per draw (NaNs skipped)."""
    rho = _p(params, "inflation_persistence")
    s = _p(params, "inflation_shock_pp")
    g = np.asarray(inflation_gap, dtype=np.float64)
    g = g[np.isfinite(g)]
    resid = g[1:][None, :] - rho[:, None] * g[:-1][None, :]
    k = resid.shape[1]
    return np.asarray(
        -0.5 * (k * (_LOG_2PI + 2.0 * np.log(s)) + np.sum(resid * resid, axis=1) / s**2),
        dtype=np.float64,
    )


def log_likelihood(params: Mapping[str, object], data: object) -> FloatArray:
    """Total log-likelihood per draw: inflation part plus the filter's 10y/ACM part.

    ``data`` is a :class:`~simulator.model.statespace.FitData` or anything with the same
    array attributes (the backtest's ``FilterInput``).
    """
    return inflation_loglik(params, data.inflation_gap) + filter_data(params, data).loglik  # type: ignore[attr-defined]


def filter_data(
    params: Mapping[str, object], data: object, *, history: bool = False
) -> FilterResult:
    """:func:`kalman_filter` on an object with the arrays of ``FitData``."""
    return kalman_filter(
        params,
        y10=data.y10,  # type: ignore[attr-defined]
        y10_mask=data.y10_mask,  # type: ignore[attr-defined]
        policy_rate=data.policy_rate,  # type: ignore[attr-defined]
        inflation_gap=data.inflation_gap,  # type: ignore[attr-defined]
        acm_tp=data.acm_tp,  # type: ignore[attr-defined]
        acm_mask=data.acm_mask,  # type: ignore[attr-defined]
        history=history,
    )


def kalman_smoother(params: Mapping[str, object], data: object) -> tuple[FloatArray, FloatArray]:
    """Rauch-Tung-Striebel smoothed state means (D, T, 4) and covariances (D, T, 4, 4)."""
    res = filter_data(params, data, history=True)
    assert res.filtered_mean is not None and res.filtered_cov is not None
    assert res.predicted_mean is not None and res.predicted_cov is not None
    d, n = res.filtered_mean.shape[:2]
    trans_t = np.swapaxes(system_arrays(params, d).transition, 1, 2)
    sm, sv = res.filtered_mean.copy(), res.filtered_cov.copy()
    for t in range(n - 2, -1, -1):
        pf = res.filtered_cov[:, t]
        pp = res.predicted_cov[:, t + 1]
        # gain = P_f T' P_pred^-1 (pinv: the neutral-rate row is 0 when sigma_n = 0)
        gain = pf @ trans_t @ np.linalg.pinv(pp, hermitian=True)
        sm[:, t] = res.filtered_mean[:, t] + np.einsum(
            "dij,dj->di", gain, sm[:, t + 1] - res.predicted_mean[:, t + 1]
        )
        sv[:, t] = pf + gain @ (sv[:, t + 1] - pp) @ np.swapaxes(gain, 1, 2)
    return sm, sv


LEVELS = {"neutral_rate_pp": 2, "term_premium_mean_pp": 3}
"""Parameters that are the starting levels of a random-walk state, and that state's index."""


def levels_at_end(
    params: Mapping[str, FloatArray], data: object, rng: np.random.Generator
) -> dict[str, FloatArray]:
    """Posterior draws with n* and mu_tp moved to the window's last month.

    In a fit, ``neutral_rate_pp`` and ``term_premium_mean_pp`` are the levels of the
    random walks n_t and m_t in the first month. A simulation starts at the end of the
    window, so each draw's pair is replaced by a draw from its filtered distribution there
    (mean and covariance of (n_T, m_T) given the data through T). With sigma_n = sigma_m
    = 0 the values do not change.

    Parameters
    ----------
    params : mapping of (D,) arrays
        Posterior draws of every schema parameter.
    data : FitData
        The fit window.
    rng : numpy.random.Generator

    Returns
    -------
    dict of (D,) arrays
        The same draws with the two levels replaced.
    """
    res = filter_data(params, data)
    idx = np.array(list(LEVELS.values()))
    cov = res.cov[:, idx[:, None], idx[None, :]]
    scale = np.sqrt(np.maximum(np.einsum("dii->di", cov), 0.0))
    moving = scale.max(axis=1) > 0
    z = rng.standard_normal((res.mean.shape[0], idx.size))
    shift = np.zeros_like(z)
    if moving.any():
        chol = np.linalg.cholesky(cov[moving] + 1e-18 * np.eye(idx.size))
        shift[moving] = np.einsum("dij,dj->di", chol, z[moving])
    out = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    for j, name in enumerate(LEVELS):
        out[name] = res.mean[:, idx[j]] + shift[:, j]
    return out
