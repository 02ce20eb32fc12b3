"""One origin: the data public then, its scenario and posterior files, and its run.

Everything read here passes the availability guard: the monthly history through
:func:`simulator.data.history.monthly_history`, the snapshot through
:func:`simulator.data.history.snapshot` and the 2-year yield through
:func:`simulator.data.loaders.available_on`, all as of the origin's as-of date (the
origin month's last business day, whose Treasury close is public that afternoon).

The forecast is the run of the origin's scenario file (:mod:`simulator.backtest.scenario`)
by :func:`simulator.api.run`, the entry point of ``macrosim run``: the backtest scores the
engine users run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.backtest.beliefs import BeliefInfo, BeliefRule, change_pairs, mechanical_beliefs
from simulator.backtest.forecast import FilterInput
from simulator.backtest.scenario import (
    PRE_RANGE_HALF_WIDTH_PP,
    OriginSnapshot,
    origin_scenario_text,
)
from simulator.data.calendar import fomc_decisions, month_ends, next_business_day
from simulator.data.history import monthly_history
from simulator.data.history import snapshot as history_snapshot
from simulator.data.loaders import PathLike, available_on, load_series
from simulator.data.registry import SERIES
from simulator.model.statespace import INFLATION_TARGET_PP

__all__ = [
    "MAX_HORIZON",
    "RW_WINDOW",
    "OriginData",
    "OriginForecast",
    "as_of_for",
    "forecast_from_run",
    "load_origin",
    "origin_levels",
    "run_origin",
    "write_origin_files",
]

MAX_HORIZON = 12
RW_WINDOW = 120
"""The random walk's scale: RMS of the trailing 120 monthly changes (issue #6)."""


def as_of_for(origin: pd.Timestamp) -> pd.Timestamp:
    """The as-of date of an origin month: its last business day.

    Treasury closes are public the same afternoon (the series registry), so the month's
    last close is known on that day, the day the origin's run starts from.
    """
    month = pd.Timestamp(origin).to_period("M")
    last = month_ends(month.to_timestamp(how="start"), month.to_timestamp(how="end"))[-1]
    return pd.Timestamp(last)


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
    snapshot: OriginSnapshot
    y2_0: float = float("nan")
    """Month-end 2y close at the origin (NaN: none public)."""
    rw_sd2: float = float("nan")
    """The 2y random walk's monthly s.d. (RMS of its last RW_WINDOW monthly changes)."""


def month_end_closes(data_dir: PathLike, name: str, as_of: pd.Timestamp) -> pd.Series:
    """Last daily close of each month of series ``name`` public on ``as_of``, at month ends."""
    daily = available_on(load_series(name, data_dir), SERIES[name], as_of).dropna()
    last = daily.groupby(pd.DatetimeIndex(daily.index).to_period("M")).last()
    return pd.Series(
        last.to_numpy(),
        index=pd.PeriodIndex(last.index).to_timestamp(how="end").normalize().as_unit("ns"),
    )


def rms_change(closes: pd.Series) -> float:
    """Random-walk monthly s.d.: RMS of the last RW_WINDOW monthly changes."""
    changes = closes.diff().dropna().iloc[-RW_WINDOW:]
    return float(np.sqrt(np.mean(changes.to_numpy() ** 2))) if changes.size else float("nan")


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
    rw_sd = rms_change(y10)
    y2 = month_end_closes(data_dir, "dgs2", as_of).reindex(hist.index)
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
        snapshot=origin_snapshot(data_dir, as_of, y0, rate0),
        y2_0=float(y2.iloc[-1]),
        rw_sd2=rms_change(y2.dropna()),
    )


def origin_snapshot(
    data_dir: PathLike, as_of: pd.Timestamp, y0: float, rate0: float
) -> OriginSnapshot:
    """The scenario's snapshot at an origin, from the data public on its as-of date.

    ``y0`` and ``rate0`` are the month-end 10y and policy rate of the fit's history, so
    the run starts where the filter ends; the data's own snapshot supplies the dates,
    core PCE, ACM and the 3-month bill.
    """
    snap = history_snapshot(data_dir, as_of)
    if np.isfinite(snap["target_lower"]):
        lower, upper = float(snap["target_lower"]), float(snap["target_upper"])
        source = "FRED DFEDTARL/DFEDTARU"
    else:
        lower = max(rate0 - PRE_RANGE_HALF_WIDTH_PP, 0.0)
        upper = lower + 2.0 * PRE_RANGE_HALF_WIDTH_PP
        source = "FRED DFF (no target range before 2008-12-16), +-12.5bp"
    bill = available_on(load_series("dgs3mo", data_dir), SERIES["dgs3mo"], as_of).dropna()
    spread = float(bill.iloc[-1]) - 0.5 * (lower + upper) if len(bill) else 0.0
    acm_date = snap["acm_tp_date"]
    return OriginSnapshot(
        as_of=as_of,
        y10=y0,
        y10_date=pd.Timestamp(snap["y10_date"]),
        y2=float(snap["y2"]) if snap["y2_date"] is not None else None,
        y2_date=pd.Timestamp(snap["y2_date"]) if snap["y2_date"] is not None else None,
        target_lower=lower,
        target_upper=upper,
        target_date=pd.Timestamp(snap["policy_rate_date"]),
        target_source=source,
        core_pce_yoy=float(snap["core_pce_yoy"]),
        core_pce_month=str(snap["core_pce_month"]),
        acm_tp=float(snap["acm_tp"]) if acm_date is not None else None,
        acm_tp_date=pd.Timestamp(acm_date) if acm_date is not None else None,
        bill_spread_pp=spread,
    )


@dataclass(frozen=True)
class OriginForecast:
    """One origin's forecasts, read from its ``macrosim run`` and the random walk.

    ``paths`` are the engine's month-end 10y closes (P, 12); ``touch[o, h-1]`` the
    engine's P(touch the origin close + offset o by the end of month h), daily closes;
    ``summary`` the run's summary.json; ``rw_paths`` the random walk's month ends;
    ``y2_paths`` the engine's month-end 2y closes (P, 12), scored like the 10y's against
    a random walk from ``y2_0`` with monthly s.d. ``rw_sd2``.
    """

    origin: pd.Timestamp
    y0: float
    rw_sd: float
    paths: np.ndarray
    rw_paths: np.ndarray
    touch: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    month_end_dates: tuple[pd.Timestamp, ...] = ()
    month_end_bdays: tuple[int, ...] = ()
    """Business days from the as-of to each month end (the daily grid's index there)."""
    as_of: pd.Timestamp | None = None
    bill_pp: float = float("nan")
    summary: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    y2_paths: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    y2_0: float = float("nan")
    rw_sd2: float = float("nan")


def origin_levels(
    od: OriginData, draws: dict[str, np.ndarray], rng: np.random.Generator, *, use_acm: bool
) -> dict[str, np.ndarray]:
    """Posterior draws with the random-walk levels moved to the origin (filtered there)."""
    from dataclasses import replace

    from simulator.model.kalman import levels_at_end

    data = od.filter_input
    if not use_acm:
        data = replace(data, acm_mask=np.zeros_like(data.acm_mask))
    return levels_at_end(draws, data, rng)


def write_origin_files(
    od: OriginData,
    values: dict[str, np.ndarray],
    folder: Path,
    *,
    paths: int,
    seed: int,
    priors_path: Path,
    calibration: dict[str, Any],
    rule: BeliefRule | None = None,
) -> tuple[Path, BeliefInfo]:
    """Write ``priors.yaml`` (the origin's posterior) and ``scenario.yaml``; return the latter."""
    from simulator.model.export import calibrated_priors_text, write_priors_text

    beliefs, binfo = mechanical_beliefs(
        od.rate0, od.spread0, od.pairs, int(od.meeting_months.size), rule
    )
    write_priors_text(
        calibrated_priors_text(
            values,
            priors_path,
            as_of=od.as_of.date(),
            fit_start=calibration["fit_start"],
            data_sha256=calibration["data_sha256"],
            command=calibration["command"],
            diagnostics=calibration["diagnostics"],
            description=f"Backtest origin {od.origin:%Y-%m}: the refit's posterior, with "
            "the neutral-rate and term-premium levels filtered to the origin.",
        ),
        folder / "priors.yaml",
    )
    text = origin_scenario_text(
        od.snapshot,
        beliefs,
        name=f"origin-{od.origin:%Y-%m}",
        paths=paths,
        seed=seed,
        note=f"Expected policy change over 12 months {binfo.expected_change_pp:+.2f}pp.",
    )
    scenario = folder / "scenario.yaml"
    scenario.write_text(text, encoding="utf-8")
    return scenario, binfo


def run_origin(scenario: Path, paths: int) -> Any:
    """The origin's run: ``macrosim run scenario.yaml`` in one thread, keeping every path."""
    from simulator import api

    return api.run(api.load_scenario(scenario), threads=1, sample_paths=paths)


def forecast_from_run(
    od: OriginData, result: Any, rng: np.random.Generator, info: dict[str, Any]
) -> OriginForecast:
    """Month-end paths and touch probabilities from a run, and the random walk's paths."""
    ds = result.dataset
    dates = pd.DatetimeIndex(ds["date"].values)
    months = dates.to_period("M")
    origin_month = od.origin.to_period("M")
    idx = [int(np.flatnonzero(months == origin_month + h)[-1]) for h in range(1, MAX_HORIZON + 1)]
    paths = np.asarray(ds["y10_paths"].values[:, idx], dtype=np.float64)
    touch = np.asarray(ds["p_touch"].values[:, idx], dtype=np.float64)
    n_paths = paths.shape[0]
    rw = od.y0 + od.rw_sd * np.cumsum(rng.standard_normal((n_paths, MAX_HORIZON)), axis=1)
    return OriginForecast(
        origin=od.origin,
        y0=od.y0,
        rw_sd=od.rw_sd,
        paths=paths,
        rw_paths=rw,
        touch=touch,
        month_end_dates=tuple(dates[idx]),
        month_end_bdays=tuple(idx),
        as_of=od.as_of,
        bill_pp=od.snapshot.policy_rate + od.snapshot.bill_spread_pp,
        summary=result.summary,
        info=info,
        y2_paths=np.asarray(ds["y2_paths"].values[:, idx], dtype=np.float64),
        y2_0=od.y2_0,
        rw_sd2=od.rw_sd2,
    )
