"""The fitted state-space model in numpy: weights, fit data, and a simulator of its equations.

Monthly, t in months (``docs/fitting.md`` has the full statement)::

    g_t    = rho g_{t-1} + sigma_pi e_t                    inflation gap (core PCE y/y - 2)
    n_t    = n_{t-1} + sigma_n eta_t,  n_1 = n*            neutral rate (random walk)
    EC_t   = n_t + (r_t - n_t) A(kappa) + beta g_t B(rho)   expectations component
    m_t    = m_{t-1} + sigma_m zeta_t,  m_1 = mu_tp        term-premium mean (random walk)
    x_t    = phi x_{t-1} + sigma_tp u_t,  x_1 stationary    term-premium deviation
    TP_t   = m_t + x_t
    y10_t  = EC_t + TP_t + sigma_y v_t                      month-end 10y close
    a_t    = psi a_{t-1} + sigma_acm sqrt(1 - psi^2) w_t    ACM's disagreement, a_1 stationary
    acm_t  = TP_t + a_t                                     ACM 10y term premium, where present

Symbols map to the schema's names: rho = ``inflation_persistence``, sigma_pi =
``inflation_shock_pp``, beta = ``inflation_loading``, n* = ``neutral_rate_pp``, sigma_n =
``neutral_rate_shock_pp``, kappa = ``mean_reversion_per_year``, mu_tp =
``term_premium_mean_pp``, sigma_m = ``term_premium_mean_shock_pp``, phi =
``term_premium_persistence``, sigma_tp = ``term_premium_shock_pp``, sigma_y =
``y10_noise_pp``, sigma_acm = ``acm_noise_pp``, psi = ``acm_noise_persistence``.
With sigma_n = sigma_m = psi = 0 it is the model of ``macrosim-statespace-2``.

:func:`monthly_system` is the one statement of the linear Gaussian part (transition,
loadings, noises, start): the numpy filter (:func:`system_arrays`, vectorised over draws)
and the PyMC model's scan and numba filters (:func:`simulator.model.fit.system_tensors`)
build their matrices from it. :func:`simulate_history` still writes the equations out:
its histories' exact bits seed the recovery tests' fits (the cache key hashes the data),
and the system's arithmetic (2e-15 apart) moved one of those fits from 1 to 2 divergences.

Two expectations components share their equation: the engine's daily one,
:func:`simulator.core.expectations.expectations_component` (the market's path through the
window, then reversion), and the fit's monthly one here, :func:`expectations_monthly`,
which is the daily one at its window end with no meeting left (it calls it so).

This module is numpy/pandas only; :mod:`simulator.model.fit` builds the PyMC version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from simulator.config.schema import OPTIONAL_PARAMETERS

# one implementation of the stable weights and of EC, shared with the engine
from simulator.core.expectations import (
    HORIZON_MONTHS,
    expectations_component,
    expectations_weight_A,
    inflation_weight_B,
)

__all__ = [
    "HORIZON_MONTHS",
    "INFLATION_TARGET_PP",
    "MODEL_VERSION",
    "FitData",
    "StateSpaceSystem",
    "expectations_monthly",
    "expectations_weight_A",
    "fit_data",
    "inflation_weight_B",
    "monthly_system",
    "simulate_history",
    "system_arrays",
]

MODEL_VERSION = "macrosim-statespace-3.1"
"""Changes whenever the likelihood or its parameterisation changes: part of the cache key.

3.1: the equations of 3, with the numba filter and the walks' shock scales sampled folded.
"""

INFLATION_TARGET_PP = 2.0
"""The inflation gap is core PCE y/y minus this, in pp."""


def expectations_monthly(
    policy_rate: ArrayLike,
    inflation_gap: ArrayLike,
    *,
    neutral_rate_pp: float,
    mean_reversion_per_year: float,
    inflation_loading: float,
    inflation_persistence: float,
) -> NDArray[np.float64]:
    """The fit's monthly EC_t = n* + (r_t - n*) A(kappa) + beta g_t B(rho), in %.

    The engine's daily :func:`simulator.core.expectations.expectations_component` at its
    window end (L = 0, no meeting left), which this calls: one equation for both. (Was
    ``statespace.expectations_component``, a second function of the engine's name.)

    Examples
    --------
    >>> expectations_monthly([3.0, 5.0], [0.0, 0.0], neutral_rate_pp=3.0,
    ...                      mean_reversion_per_year=0.3, inflation_loading=0.5,
    ...                      inflation_persistence=0.98).round(3).tolist()
    [3.0, 3.626]
    """
    r = np.atleast_1d(np.asarray(policy_rate, dtype=np.float64))
    g = np.atleast_1d(np.asarray(inflation_gap, dtype=np.float64))
    shape = np.broadcast_shapes(r.shape, g.shape)
    r, g = np.broadcast_to(r, shape).ravel(), np.broadcast_to(g, shape).ravel()
    infl = inflation_loading * inflation_weight_B(inflation_persistence) * g
    ec = expectations_component(
        r,
        np.full_like(r, neutral_rate_pp),
        np.full_like(r, mean_reversion_per_year),
        np.zeros((r.size, 0)),
        np.zeros(0, dtype=np.int64),
        0.0,
        infl,
    )
    return ec.reshape(shape)


class StateSpaceSystem(NamedTuple):
    """The filter's linear Gaussian system (K = 4 states, J = 2 observations).

    State s_t = (x_t, a_t, n_t, m_t); observations processed one at a time, row j of
    ``loadings`` with noise variance ``obs_var[j]`` (j = 0: the 10y net of r A + beta g B,
    j = 1: ACM)::

        s_t = transition s_{t-1} + N(0, state_cov),  s_1 ~ N(init_mean, init_cov)
        o_jt = loadings[j] . s_t + N(0, obs_var[j])

    The entries are whatever the parameters are (floats, (D,) numpy arrays of draws, or
    pytensor scalars), so the numpy filter (:func:`system_arrays`) and the PyMC filters
    (:func:`simulator.model.fit.system_tensors`) stack the same statement.
    """

    # nested tuples from monthly_system; arrays with a leading draw axis from system_arrays
    transition: Any
    state_cov: Any
    loadings: Any
    obs_var: Any
    init_mean: Any
    init_cov: Any


def _diag(*values: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        tuple(v if i == j else 0.0 for j in range(len(values))) for i, v in enumerate(values)
    )


def monthly_system(params: Mapping[str, Any], weight_a: Any) -> StateSpaceSystem:
    """The monthly system of the module docstring, with the states x, a, n, m.

    Parameters
    ----------
    params : mapping
        The schema's parameter names (floats, (D,) arrays or symbolic scalars).
    weight_a : scalar or (D,) array
        A(``mean_reversion_per_year``), passed in so a symbolic caller can use its own A.

    Returns
    -------
    StateSpaceSystem

    Examples
    --------
    >>> p = dict(term_premium_persistence=0.9, acm_noise_persistence=0.5,
    ...          term_premium_shock_pp=0.2, acm_noise_pp=0.3, neutral_rate_shock_pp=0.0,
    ...          term_premium_mean_shock_pp=0.0, y10_noise_pp=0.1, neutral_rate_pp=3.0,
    ...          term_premium_mean_pp=1.0)
    >>> monthly_system(p, 0.4).loadings[0]
    (1.0, 0.0, 0.6, 1.0)
    """
    phi, psi = params["term_premium_persistence"], params["acm_noise_persistence"]
    s_tp, s_a = params["term_premium_shock_pp"], params["acm_noise_pp"]
    s_n, s_m = params["neutral_rate_shock_pp"], params["term_premium_mean_shock_pp"]
    s_y = params["y10_noise_pp"]
    return StateSpaceSystem(
        transition=_diag(phi, psi, 1.0, 1.0),
        state_cov=_diag(s_tp * s_tp, s_a * s_a * (1.0 - psi * psi), s_n * s_n, s_m * s_m),
        # the 10y sees x + (1 - A) n + m (EC's neutral-rate part and TP); ACM sees x + a + m
        loadings=((1.0, 0.0, 1.0 - weight_a, 1.0), (1.0, 1.0, 0.0, 1.0)),
        obs_var=(s_y * s_y, 0.0),
        init_mean=(0.0, 0.0, params["neutral_rate_pp"], params["term_premium_mean_pp"]),
        # x_1 stationary, a_1 ~ N(0, sigma_acm^2), the walks start at their levels
        init_cov=_diag(s_tp * s_tp / (1.0 - phi * phi), s_a * s_a, 0.0, 0.0),
    )


SYSTEM_PARAMETERS = (
    "term_premium_persistence",
    "acm_noise_persistence",
    "term_premium_shock_pp",
    "acm_noise_pp",
    "neutral_rate_shock_pp",
    "term_premium_mean_shock_pp",
    "y10_noise_pp",
    "neutral_rate_pp",
    "term_premium_mean_pp",
    "mean_reversion_per_year",
)
"""The parameters :func:`monthly_system` reads (with kappa, through A(kappa))."""


def system_arrays(params: Mapping[str, Any], n_draws: int | None = None) -> StateSpaceSystem:
    """:func:`monthly_system` for D parameter draws, as numpy arrays with a leading draw axis.

    Parameters
    ----------
    params : mapping
        The schema's parameter names, each a float or a (D,) array; a missing optional
        parameter (``OPTIONAL_PARAMETERS``) takes its default, 0.
    n_draws : int, optional
        D (default: the broadcast length of the system's parameters).

    Returns
    -------
    StateSpaceSystem
        ``transition``, ``state_cov``, ``init_cov`` (D, K, K); ``loadings`` (D, J, K);
        ``obs_var`` (D, J); ``init_mean`` (D, K); float64.

    Examples
    --------
    >>> p = dict(term_premium_persistence=[0.9, 0.8], term_premium_shock_pp=0.2,
    ...          acm_noise_pp=0.3, y10_noise_pp=0.1, neutral_rate_pp=3.0,
    ...          term_premium_mean_pp=1.0, mean_reversion_per_year=0.3)
    >>> s = system_arrays(p)
    >>> s.transition.shape, s.loadings.shape, s.transition[1, 0, 0]
    ((2, 4, 4), (2, 2, 4), np.float64(0.8))
    """
    p = {
        name: np.atleast_1d(
            np.asarray(params[name] if name in params else OPTIONAL_PARAMETERS[name], np.float64)
        )
        for name in SYSTEM_PARAMETERS
    }
    d = n_draws or np.broadcast_shapes(*(v.shape for v in p.values()))[0]
    system = monthly_system(p, expectations_weight_A(p["mean_reversion_per_year"]))

    def stack(entries: Any) -> NDArray[np.float64]:
        if isinstance(entries, tuple):
            return np.stack([stack(e) for e in entries], axis=1)
        return np.broadcast_to(np.asarray(entries, dtype=np.float64), (d,))

    return StateSpaceSystem(*(stack(part) for part in system))


@dataclass(frozen=True)
class FitData:
    """The monthly observations a fit uses, as plain arrays over the fit window.

    ``y10`` and ``acm_tp`` hold 0.0 where their mask is False (a missing observation is
    skipped by the Kalman filter); ``policy_rate`` and ``inflation_gap`` are complete.
    """

    dates: pd.DatetimeIndex
    y10: np.ndarray
    y10_mask: np.ndarray
    policy_rate: np.ndarray
    inflation_gap: np.ndarray
    acm_tp: np.ndarray
    acm_mask: np.ndarray

    @property
    def n_months(self) -> int:
        """Number of months in the fit window."""
        return len(self.dates)

    @property
    def start(self) -> str:
        """First month, YYYY-MM."""
        return self.dates[0].strftime("%Y-%m")

    @property
    def end(self) -> str:
        """Last month, YYYY-MM."""
        return self.dates[-1].strftime("%Y-%m")

    def without_acm(self) -> FitData:
        """The same data with every ACM observation dropped."""
        return FitData(
            dates=self.dates,
            y10=self.y10,
            y10_mask=self.y10_mask,
            policy_rate=self.policy_rate,
            inflation_gap=self.inflation_gap,
            acm_tp=np.zeros_like(self.acm_tp),
            acm_mask=np.zeros_like(self.acm_mask),
        )


class FitDataError(ValueError):
    """The history cannot be turned into a fit window (gaps, too short, missing columns)."""


MIN_MONTHS = 24


def fit_data(history: pd.DataFrame, start: str = "1990-01", end: str | None = None) -> FitData:
    """Cut the fit window out of a monthly history (``simulator.data.history`` layout).

    Rows before ``start`` (YYYY-MM) and after ``end`` are dropped; then trailing months
    whose policy rate or core PCE is not yet public are dropped (core PCE lags by about a
    month). Inside the window the policy rate and core PCE must be complete (the
    expectations component needs both); a missing 10y close or ACM value is skipped by the
    filter.

    Parameters
    ----------
    history : pandas.DataFrame
        Index of month-end timestamps; columns ``y10``, ``policy_rate``, ``core_pce_yoy``,
        ``acm_tp`` (NaN where unavailable), in %.
    start, end : str
        First and last month of the window, YYYY-MM (``end`` None: the last usable month).

    Returns
    -------
    FitData

    Raises
    ------
    FitDataError
        If a column is missing, the window has fewer than 24 usable months, or the policy
        rate or core PCE has a gap inside it.

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.model.statespace import simulate_history
    >>> p = dict(inflation_persistence=0.98, inflation_shock_pp=0.1, inflation_loading=0.5,
    ...          neutral_rate_pp=3.0, mean_reversion_per_year=0.3, term_premium_mean_pp=1.0,
    ...          term_premium_persistence=0.95, term_premium_shock_pp=0.2,
    ...          y10_noise_pp=0.1, acm_noise_pp=0.2)
    >>> h = simulate_history(p, 36, rng=np.random.default_rng(0))
    >>> fit_data(h).n_months
    36
    """
    missing = [c for c in ("y10", "policy_rate", "core_pce_yoy", "acm_tp") if c not in history]
    if missing:
        raise FitDataError(f"the history lacks the column(s) {missing}")
    frame = history.sort_index()
    index = pd.DatetimeIndex(frame.index)
    keep = index >= pd.Period(start, "M").to_timestamp(how="start")
    if end is not None:
        keep &= index <= pd.Period(end, "M").to_timestamp(how="end")
    frame = frame.loc[keep]
    core = frame[["policy_rate", "core_pce_yoy"]].notna().all(axis=1).to_numpy()
    if not core.any():
        raise FitDataError(f"no month from {start} has both a policy rate and core PCE")
    first, last = int(np.argmax(core)), len(core) - 1 - int(np.argmax(core[::-1]))
    frame = frame.iloc[first : last + 1]
    gaps = ~frame[["policy_rate", "core_pce_yoy"]].notna().all(axis=1)
    if gaps.any():
        months = [d.strftime("%Y-%m") for d in frame.index[gaps.to_numpy()]][:6]
        raise FitDataError(f"the policy rate or core PCE is missing inside the window: {months}")
    if len(frame) < MIN_MONTHS:
        raise FitDataError(
            f"the fit window {start}..{end or 'end'} has {len(frame)} usable months; "
            f"at least {MIN_MONTHS} are needed"
        )
    y10 = frame["y10"].to_numpy(dtype=np.float64)
    acm = frame["acm_tp"].to_numpy(dtype=np.float64)
    y_mask, a_mask = np.isfinite(y10), np.isfinite(acm)
    return FitData(
        dates=pd.DatetimeIndex(frame.index),
        y10=np.where(y_mask, y10, 0.0),
        y10_mask=y_mask,
        policy_rate=frame["policy_rate"].to_numpy(dtype=np.float64),
        inflation_gap=frame["core_pce_yoy"].to_numpy(dtype=np.float64) - INFLATION_TARGET_PP,
        acm_tp=np.where(a_mask, acm, 0.0),
        acm_mask=a_mask,
    )


def simulate_history(
    parameters: Mapping[str, float],
    n_months: int,
    *,
    rng: np.random.Generator,
    start: str = "1990-01",
    acm: bool = True,
    acm_missing: np.ndarray | None = None,
    policy_rate: np.ndarray | None = None,
) -> pd.DataFrame:
    """Simulate a monthly history from the model's own equations (for recovery tests).

    The policy rate is exogenous to the model: unless given, it follows a floored AR(1)
    around 3% (monthly persistence 0.98, shock 0.25pp). The inflation gap and the
    term-premium deviation start from their stationary distributions.

    Parameters
    ----------
    parameters : mapping
        A value for each schema parameter name (the three of the persistent states,
        ``acm_noise_persistence``, ``neutral_rate_shock_pp`` and
        ``term_premium_mean_shock_pp``, default to 0).
    n_months : int
        Length of the history.
    rng : numpy.random.Generator
        The only source of randomness.
    start : str
        First month, YYYY-MM.
    acm : bool
        Whether to produce ACM observations (else the column is all NaN).
    acm_missing : bool array, optional
        Months whose ACM value is set to NaN (gaps).
    policy_rate : array, optional
        The policy-rate path, in %.

    Returns
    -------
    pandas.DataFrame
        Same layout as :func:`simulator.data.history.monthly_history`.
    """
    p = {k: float(v) for k, v in parameters.items()}
    p.setdefault("acm_noise_persistence", 0.0)
    p.setdefault("neutral_rate_shock_pp", 0.0)
    p.setdefault("term_premium_mean_shock_pp", 0.0)
    e, u, v, w, s, eta, zeta = (rng.standard_normal(n_months) for _ in range(7))
    if policy_rate is None:
        r = np.empty(n_months)
        level = 3.0 + 2.0 * s[0]
        for t in range(n_months):
            level = max(0.0, 3.0 + 0.98 * (level - 3.0) + 0.25 * s[t])
            r[t] = level
    else:
        r = np.asarray(policy_rate, dtype=np.float64)
    rho, phi = p["inflation_persistence"], p["term_premium_persistence"]
    psi, s_a = p["acm_noise_persistence"], p["acm_noise_pp"]
    g = np.empty(n_months)
    x = np.empty(n_months)
    a = np.empty(n_months)
    g[0] = p["inflation_shock_pp"] / np.sqrt(1.0 - rho**2) * e[0]
    x[0] = p["term_premium_shock_pp"] / np.sqrt(1.0 - phi**2) * u[0]
    a[0] = s_a * w[0]
    for t in range(1, n_months):
        g[t] = rho * g[t - 1] + p["inflation_shock_pp"] * e[t]
        x[t] = phi * x[t - 1] + p["term_premium_shock_pp"] * u[t]
        a[t] = psi * a[t - 1] + s_a * np.sqrt(1.0 - psi * psi) * w[t]
    eta[0] = zeta[0] = 0.0
    neutral = p["neutral_rate_pp"] + p["neutral_rate_shock_pp"] * np.cumsum(eta)
    tp_mean = p["term_premium_mean_pp"] + p["term_premium_mean_shock_pp"] * np.cumsum(zeta)
    a_w = expectations_weight_A(p["mean_reversion_per_year"])
    ec = neutral + (r - neutral) * a_w + p["inflation_loading"] * g * inflation_weight_B(rho)
    tp = tp_mean + x
    acm_tp = tp + a
    if not acm:
        acm_tp[:] = np.nan
    elif acm_missing is not None:
        acm_tp[np.asarray(acm_missing, dtype=bool)] = np.nan
    index = pd.date_range(
        pd.Period(start, "M").to_timestamp(how="end").normalize(),
        periods=n_months,
        freq="ME",
        name="date",
    )
    frame = pd.DataFrame(
        {
            "y10": ec + tp + p["y10_noise_pp"] * v,
            "policy_rate": r,
            "core_pce_yoy": g + INFLATION_TARGET_PP,
            "acm_tp": acm_tp,
        },
        index=index,
    )
    frame.attrs["units"] = dict.fromkeys(frame.columns, "percent")
    return frame
