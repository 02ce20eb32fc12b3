r"""The monthly model's filter at a backtest origin, for the Laplace refits and the start state.

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

The forecasts themselves are the engine's (:mod:`simulator.backtest.origin` runs each
origin's scenario file through :func:`simulator.api.run`); this module only filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from simulator.model.kalman import FilterResult, filter_data, inflation_loglik

__all__ = [
    "FilterInput",
    "filter_state",
    "loglik_batch",
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
