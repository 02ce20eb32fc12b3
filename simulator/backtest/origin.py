"""One origin: the data public then, the mechanical beliefs, and the simulated 10y paths.

Everything read here passes the availability guard: the monthly history through
:func:`simulator.data.history.monthly_history` and the 2-year yield through
:func:`simulator.data.loaders.available_on`, both as of the origin's as-of date (the day
after the origin month's last calendar day, when that month's last close is public).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.backtest.beliefs import BeliefRule, change_pairs, mechanical_beliefs
from simulator.backtest.forecast import FilterInput, filter_state, simulate_paths
from simulator.core.policy import sample_placements
from simulator.data.calendar import fomc_decisions, next_business_day
from simulator.data.history import monthly_history
from simulator.data.loaders import PathLike, available_on, load_series
from simulator.data.registry import SERIES
from simulator.model.statespace import INFLATION_TARGET_PP

__all__ = [
    "MAX_HORIZON",
    "RW_WINDOW",
    "OriginData",
    "OriginForecast",
    "as_of_for",
    "forecast_origin",
    "load_origin",
]

MAX_HORIZON = 12
RW_WINDOW = 120
"""The random walk's scale: RMS of the trailing 120 monthly changes (issue #6)."""


def as_of_for(origin: pd.Timestamp) -> pd.Timestamp:
    """The as-of date of an origin month: the day after its last calendar day."""
    end = pd.Timestamp(origin).to_period("M").to_timestamp(how="end").normalize()
    return end + pd.Timedelta(days=1)


@dataclass(frozen=True)
class OriginData:
    """What is public at one origin (month end), for the model and the benchmarks."""

    origin: pd.Timestamp
    as_of: pd.Timestamp
    y0: float
    rate0: float
    spread0: float
    rw_sd: float
    filter_input: FilterInput
    pairs: pd.DataFrame
    meeting_months: np.ndarray
    y10_changes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Monthly changes of the month-end 10y over the fit window, oldest first (for the
    volatility-scaling ablation)."""


def load_origin(
    data_dir: PathLike, origin: pd.Timestamp, *, fit_start: str = "1990-01"
) -> OriginData:
    """Gather the origin's public data (module docstring for the guard).

    Raises
    ------
    ValueError
        If the origin's own month-end 10y close or policy rate is not public then.
    """
    origin = pd.Timestamp(origin).to_period("M").to_timestamp(how="end").normalize()
    as_of = as_of_for(origin)
    first = min(pd.Period(fit_start, "M"), origin.to_period("M") - (RW_WINDOW + 2))
    hist = monthly_history(data_dir, as_of, start=str(first))
    if hist.index[-1] != origin.as_unit("ns"):
        raise ValueError(
            f"origin {origin:%Y-%m}: its month-end close is not public on {as_of:%Y-%m-%d}"
        )
    y10 = hist["y10"]
    y0 = float(y10.iloc[-1])
    rate0 = float(hist["policy_rate"].iloc[-1])
    if not (np.isfinite(y0) and np.isfinite(rate0)):
        raise ValueError(f"origin {origin:%Y-%m}: no 10y close or policy rate")
    changes = y10.diff().dropna().iloc[-RW_WINDOW:]
    rw_sd = float(np.sqrt(np.mean(changes.to_numpy() ** 2)))

    y2_daily = available_on(load_series("dgs2", data_dir), SERIES["dgs2"], as_of).dropna()
    months = pd.DatetimeIndex(y2_daily.index).to_period("M")
    y2_last = y2_daily.groupby(months).last()
    y2 = pd.Series(
        y2_last.to_numpy(),
        index=pd.PeriodIndex(y2_last.index).to_timestamp(how="end").normalize().as_unit("ns"),
    ).reindex(hist.index)
    spread0 = float(y2.iloc[-1] - rate0) if np.isfinite(y2.iloc[-1]) else float("nan")

    window = hist.loc[hist.index >= pd.Period(fit_start, "M").to_timestamp()]
    pairs = change_pairs(window["policy_rate"], y2.reindex(window.index), MAX_HORIZON)
    pce = window["core_pce_yoy"].to_numpy(dtype=np.float64)
    known = np.flatnonzero(np.isfinite(pce))
    if known.size == 0 or np.any(~np.isfinite(pce[known[0] : known[-1] + 1])):
        raise ValueError(f"origin {origin:%Y-%m}: core PCE has gaps in the window")
    window = window.iloc[known[0] :]
    rate = window["policy_rate"].to_numpy(dtype=np.float64)
    if np.any(~np.isfinite(rate)):
        raise ValueError(f"origin {origin:%Y-%m}: the policy rate has gaps in the window")
    y = window["y10"].to_numpy(dtype=np.float64)
    acm = window["acm_tp"].to_numpy(dtype=np.float64)
    fi = FilterInput(
        y10=np.where(np.isfinite(y), y, 0.0),
        y10_mask=np.isfinite(y),
        policy_rate=rate,
        inflation_gap=window["core_pce_yoy"].to_numpy(dtype=np.float64) - INFLATION_TARGET_PP,
        acm_tp=np.where(np.isfinite(acm), acm, 0.0),
        acm_mask=np.isfinite(acm),
    )
    dy = np.diff(y)
    end = (origin.to_period("M") + MAX_HORIZON).to_timestamp(how="end")
    meetings = fomc_decisions(origin + pd.Timedelta(days=1), end)
    eff = [pd.Timestamp(next_business_day(m.date)) for m in meetings]
    month_idx = np.array(
        [(e.to_period("M") - origin.to_period("M")).n for e in eff], dtype=np.int64
    )
    month_idx = month_idx[(month_idx >= 1) & (month_idx <= MAX_HORIZON)]
    return OriginData(
        origin=origin,
        as_of=as_of,
        y0=y0,
        rate0=rate0,
        spread0=spread0,
        rw_sd=rw_sd,
        filter_input=fi,
        pairs=pairs,
        meeting_months=month_idx,
        y10_changes=dy[np.isfinite(dy)],
    )


@dataclass(frozen=True)
class OriginForecast:
    """Simulated month-end 10y paths (P, 12) for one origin, and what shaped them."""

    origin: pd.Timestamp
    y0: float
    rw_sd: float
    paths: np.ndarray
    rw_paths: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def forecast_origin(
    od: OriginData,
    draws: dict[str, np.ndarray],
    n_paths: int,
    *,
    rng: np.random.Generator,
    use_acm: bool = True,
    tp_shock_df: float | None = None,
    rule: BeliefRule | None = None,
    vol_halflife_months: float | None = None,
) -> OriginForecast:
    """Simulate the model's and the random walk's month-end 10y paths from one origin.

    Parameters
    ----------
    od : OriginData
    draws : dict of (D,) arrays
        Posterior draws of the model parameters (from the last refit on or before).
    n_paths : int
    rng : numpy.random.Generator
        The only source of randomness (shocks drawn here, kernels are deterministic).
    use_acm : bool
        Filter the term-premium state with the ACM observations too.
    tp_shock_df : float, optional
        Student-t degrees of freedom for the term-premium shocks (rescaled to unit
        variance, so sigma_tp keeps its meaning); None: Gaussian.
    rule : BeliefRule, optional
    vol_halflife_months : float, optional
        An ablation for volatility regimes: scale the term-premium, neutral-rate and
        TP-mean shocks by sqrt(EWMA / mean) of the squared monthly 10y changes in the fit
        window (EWMA half-life in months), held over the horizon. None: no scaling.

    Returns
    -------
    OriginForecast
    """
    n_draws = int(next(iter(draws.values())).shape[0])
    state = filter_state(draws, od.filter_input, use_acm=use_acm)
    pick = rng.permutation(np.arange(n_paths) % n_draws)
    params = {k: np.asarray(v)[pick] for k, v in draws.items()}

    beliefs, binfo = mechanical_beliefs(
        od.rate0, od.spread0, od.pairs, int(od.meeting_months.size), rule
    )
    n_meet = int(od.meeting_months.size)
    moves = sample_placements(beliefs, rng.random(n_paths), rng.random((n_paths, n_meet)))
    step = (rule or BeliefRule()).step_pp
    cuts_by_month = np.zeros((n_paths, MAX_HORIZON))
    for j, k in enumerate(od.meeting_months):
        cuts_by_month[:, k - 1] += moves[:, j]
    floor = (rule or BeliefRule()).floor_pp
    policy = np.maximum(od.rate0 - step * np.cumsum(cuts_by_month, axis=1), floor)
    # The cap keeps every path at or above the floor; np.maximum only guards the
    # pre-2008 DFF origins whose month-end print sits a hair under a 25bp grid.
    policy = np.where(od.rate0 < floor, od.rate0, policy)

    lag = state.pce_lag
    if tp_shock_df is None:
        u = rng.standard_normal((n_paths, MAX_HORIZON))
    else:
        nu = float(tp_shock_df)
        u = rng.standard_t(nu, (n_paths, MAX_HORIZON)) * np.sqrt((nu - 2.0) / nu)
    # drawn in this order (state, inflation, walks, noise): the order is the stream
    z = rng.standard_normal((n_paths, 3))
    e = rng.standard_normal((n_paths, lag + MAX_HORIZON))
    eta = rng.standard_normal((n_paths, MAX_HORIZON, 2))
    v = rng.standard_normal((n_paths, MAX_HORIZON))
    vol_ratio = 1.0
    if vol_halflife_months is not None:
        vol_ratio = ewma_vol_ratio(od.y10_changes, vol_halflife_months)
        u = u * vol_ratio
        eta = eta * vol_ratio
    paths = simulate_paths(
        params,
        state,
        pick,
        policy,
        z_state=z,
        e_inflation=e,
        u_term_premium=u,
        eta_neutral=eta,
        v_noise=v,
    )
    rw = od.y0 + od.rw_sd * np.cumsum(rng.standard_normal((n_paths, MAX_HORIZON)), axis=1)
    info = {
        "rate0": od.rate0,
        "spread0": od.spread0,
        "expected_cuts_12m": binfo.expected_cuts,
        "belief_expected_change_pp": binfo.expected_change_pp,
        "belief_tilt": binfo.tilt,
        "meetings": n_meet,
        "pce_lag": lag,
        "tp_state_mean": float(np.mean(state.mean[:, 0])),
        "neutral_state_mean": float(np.mean(state.mean[:, 2])),
        "policy_change_12m_mean": float(np.mean(policy[:, -1] - od.rate0)),
        "vol_ratio": vol_ratio,
    }
    return OriginForecast(
        origin=od.origin, y0=od.y0, rw_sd=od.rw_sd, paths=paths, rw_paths=rw, info=info
    )


def ewma_vol_ratio(changes: np.ndarray, halflife_months: float) -> float:
    """sqrt(EWMA of squared changes / their plain mean): recent volatility vs the window's.

    Examples
    --------
    >>> round(ewma_vol_ratio(np.r_[np.ones(100), 2 * np.ones(100)], 6.0), 2)
    1.26
    """
    d2 = np.asarray(changes, dtype=np.float64) ** 2
    if d2.size == 0:
        return 1.0
    w = 0.5 ** (np.arange(d2.size)[::-1] / float(halflife_months))
    return float(np.sqrt(np.dot(w, d2) / w.sum() / d2.mean()))
