"""run_backtest: origins -> refits -> forecasts (process pool) -> scores -> run folder.

Parallelism: origins are grouped in refit blocks of ``refit_every`` consecutive origins;
a block is one task (refit on the history public at its first origin, then forecast each
of its origins), run on a process pool. Randomness: block b's refit draws from
``SeedSequence(seed, spawn_key=(1, b))`` and origin i's paths from
``SeedSequence(seed, spawn_key=(2, i))``, so results do not depend on the worker count.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator import __version__
from simulator.backtest import scores as sc
from simulator.backtest.beliefs import BeliefRule
from simulator.backtest.daily_scores import return_table, score_daily, touch_table
from simulator.backtest.fitting import laplace_fit
from simulator.backtest.origin import (
    MAX_HORIZON,
    OriginData,
    OriginForecast,
    forecast_from_run,
    load_origin,
    month_end_closes,
    origin_levels,
    run_origin,
    write_origin_files,
)
from simulator.data.history import monthly_history
from simulator.data.loaders import PathLike, data_sha256, load_series
from simulator.engine.setup import BLOCK_SIZE

__all__ = ["BacktestResult", "ForecastOptions", "run_backtest", "score_forecasts"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
Fitter = Literal["laplace", "nuts"]
LEVELS = (0.5, 0.8, 0.95)
MODELS = ("macrosim", "random_walk")
FALL_PP = 0.5
TOUCH_BELOW_PP = 1.0
EVENTS = {
    "fall_50bp_12m": "10y 12 months later at least 50bp below the origin",
    "touch_1pp_below_12m": "some month-end close within 12 months 1pp or more below",
}
"""The scored events (the columns ``<name>_prob``/``<name>_outcome``) and their descriptions."""
BACKTEST_SERIES = (
    "dgs10",
    "dgs2",
    "dgs3mo",
    "dff",
    "target_upper",
    "target_lower",
    "core_pce",
    "acm_tp10",
)
"""The series a backtest reads (its provenance hash)."""
MIN_FIT_MONTHS = 24
"""Months of history an origin needs in its fit window (the belief rule's tilt minimum)."""
QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


@dataclass(frozen=True)
class ForecastOptions:
    """Choices of the model being tested (documented in docs/backtest.md).

    Attributes
    ----------
    The defaults are the production model: the likelihood, priors and data of
    ``macrosim fit`` / ``macrosim run --data``. The other values are ablations.

    fitter : {"laplace", "nuts"}
        Refit by the numpy Laplace approximation of the same posterior (default, ~2-5 s a
        refit) or the model module's NUTS fit (``fit_history``, cached; minutes a refit).
    use_acm : bool
        Fit and filter with the ACM term premium (default True, as the fit does).
    n_draws : int
        Posterior draws per refit.
    fit_start : str
        First month of every fit window (YYYY-MM).
    """

    fitter: Fitter = "laplace"
    use_acm: bool = True
    n_draws: int = 400
    fit_start: str = "1990-01"


@dataclass
class BacktestResult:
    """What a backtest produced: ``summary`` is backtest.json; tables as DataFrames."""

    summary: dict[str, Any]
    forecasts: pd.DataFrame
    events: pd.DataFrame
    timings: dict[str, float]
    folder: Path | None = None
    fits: list[dict[str, Any]] = field(default_factory=list)
    touches: pd.DataFrame | None = None
    returns: pd.DataFrame | None = None
    forecasts_y2: pd.DataFrame | None = None
    origins_dir: Path | None = None
    """Staging folder of the kept origins (moved into ``folder/origins`` when written)."""


def _month_end(value: str | pd.Timestamp) -> pd.Timestamp:
    return pd.Period(value, "M").to_timestamp(how="end").normalize().as_unit("ns")


def _realised(data_dir: PathLike) -> pd.Series:
    """Month-end 10y closes over the whole data (outcomes only, never a model input)."""
    last = pd.Timestamp(load_series("dgs10", data_dir).dropna().index[-1])
    hist = monthly_history(data_dir, last + pd.Timedelta(days=1), start="1960-01")
    return hist["y10"]


def _realised_2y(data_dir: PathLike) -> pd.Series:
    """Month-end 2y closes over the whole data (outcomes only)."""
    last = pd.Timestamp(load_series("dgs2", data_dir).dropna().index[-1])
    return month_end_closes(data_dir, "dgs2", last + pd.Timedelta(days=1))


def _parse_month(value: str, option: str) -> pd.Timestamp:
    """A YYYY-MM option as its month end, or a ValueError naming the option."""
    if not re.fullmatch(r"\d{4}-\d{2}", str(value)):
        raise ValueError(f"{option} {value}: expected a month as YYYY-MM, like 2000-01")
    try:
        return _month_end(value)
    except ValueError:
        raise ValueError(f"{option} {value}: not a month (YYYY-MM, month 01..12)") from None


def _origins(
    start: str,
    end: str,
    every: int,
    horizons: Sequence[int],
    realised: pd.Series,
    fit_start: str,
) -> list[pd.Timestamp]:
    """The origin month ends, checked against the data before any work starts.

    Raises
    ------
    ValueError
        Naming the option: a malformed month, an empty range, an origin before the fit
        window has two years of history, or origins none of whose outcomes the data holds.
    """
    first, last = _parse_month(start, "--start"), _parse_month(end, "--end")
    if last < first:
        raise ValueError(f"--end {end} is before --start {start}")
    origins = list(pd.date_range(first, last, freq="ME"))[::every]
    data_first = _parse_month(fit_start, "fit_start") + pd.DateOffset(months=MIN_FIT_MONTHS)
    data_first = _month_end(data_first)
    if first < data_first:
        raise ValueError(
            f"--start {start}: the fit window opens {fit_start} and needs "
            f"{MIN_FIT_MONTHS} months of history, so the first origin is {data_first:%Y-%m}"
        )
    closes = realised.dropna()
    last_close = closes.index[-1]
    if first > last_close:
        raise ValueError(
            f"--start {start}: after the data (its last month-end 10y close is "
            f"{last_close:%Y-%m-%d})"
        )
    last_scorable = _month_end(last_close.to_period("M") - min(horizons))
    if first > last_scorable:
        raise ValueError(
            f"--start {start}: no outcome to score; the data's last month-end 10y close "
            f"is {last_close:%Y-%m}, so with --horizons starting at {min(horizons)} the "
            f"last origin that can be scored is {last_scorable:%Y-%m}"
        )
    return [o for o in origins if o <= last_scorable]


def origin_seed(seed: int, index: int) -> int:
    """The ``simulation.seed`` of origin ``index``'s scenario, from the master seed."""
    state = np.random.SeedSequence(seed, spawn_key=(2, index)).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def _block_task(
    data_dir: str,
    priors_path: str,
    block: int,
    origins: list[pd.Timestamp],
    first_index: int,
    draws: dict[str, np.ndarray] | None,
    options: ForecastOptions,
    n_paths: int,
    seed: int,
    calibration: dict[str, Any],
    origins_dir: str | None,
) -> tuple[list[OriginForecast], dict[str, Any]]:
    """Refit on the first origin's history (unless draws are given), then run each origin.

    Each origin is a scenario file plus its posterior (:mod:`simulator.backtest.scenario`)
    run by ``api.run``; the files are kept under ``origins_dir/<YYYY-MM>/`` when given.
    """
    from simulator.config import load_priors

    t0 = time.perf_counter()
    fit_info: dict[str, Any] = {"block": block, "fit_origin": f"{origins[0]:%Y-%m}"}
    datas = [load_origin(data_dir, o, fit_start=options.fit_start) for o in origins]
    if draws is None:
        priors = load_priors(priors_path).config
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
        fit = laplace_fit(
            priors, datas[0].filter_input, options.n_draws, rng=rng, use_acm=options.use_acm
        )
        draws = fit.draws.values
        fit_info.update(method="laplace", converged=fit.converged, mode=fit.mode)
    else:
        fit_info.update(method="nuts", mode={k: float(np.mean(v)) for k, v in draws.items()})
    fit_info["fit_seconds"] = time.perf_counter() - t0
    out = [
        _origin_task(
            od,
            draws,
            first_index + i,
            options,
            n_paths,
            seed,
            priors_path,
            calibration,
            origins_dir,
        )
        for i, od in enumerate(datas)
    ]
    fit_info["seconds"] = time.perf_counter() - t0
    return out, fit_info


def _origin_task(
    od: OriginData,
    draws: dict[str, np.ndarray],
    index: int,
    options: ForecastOptions,
    n_paths: int,
    seed: int,
    priors_path: str,
    calibration: dict[str, Any],
    origins_dir: str | None,
) -> OriginForecast:
    """Filter the draws to the origin, write its files, run it, read the forecasts."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, index)))
    values = origin_levels(od, draws, rng, use_acm=options.use_acm)
    kept = Path(origins_dir) / f"{od.origin:%Y-%m}" if origins_dir else None
    place = nullcontext(str(kept)) if kept else tempfile.TemporaryDirectory(prefix="macrosim-")
    with place as where:
        folder = Path(where)
        folder.mkdir(parents=True, exist_ok=True)
        scenario, binfo = write_origin_files(
            od,
            values,
            folder,
            paths=n_paths,
            seed=origin_seed(seed, index),
            priors_path=Path(priors_path),
            calibration=calibration,
            rule=BeliefRule(),
        )
        result = run_origin(scenario, n_paths)
        if kept:
            from simulator.report.summary import summary_json_text

            (folder / "summary.json").write_text(summary_json_text(result.summary))
    info = {
        "rate0": od.rate0,
        "spread0": od.spread0,
        "expected_cuts_12m": binfo.expected_cuts,
        "belief_expected_change_pp": binfo.expected_change_pp,
        "belief_tilt": binfo.tilt,
        "meetings": int(od.meeting_months.size),
        "pce_lag": od.filter_input.pce_lag,
        "neutral_state_mean": float(np.mean(values["neutral_rate_pp"])),
        "tp_mean_state_mean": float(np.mean(values["term_premium_mean_pp"])),
        "run_seed": origin_seed(seed, index),
    }
    rng_rw = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, index)))
    return forecast_from_run(od, result, rng_rw, info)


def _nuts_draws(
    data_dir: PathLike,
    priors_path: PathLike,
    origin: pd.Timestamp,
    options: ForecastOptions,
    progress: Callable[[str], None] | None,
) -> dict[str, np.ndarray]:
    """Posterior draws of the model module's NUTS fit on the history public at origin."""
    from simulator.backtest.origin import as_of_for
    from simulator.config import load_priors
    from simulator.model.commands import fit_history

    loaded = load_priors(Path(priors_path))
    hist = monthly_history(data_dir, as_of_for(origin), start=options.fit_start)
    if not options.use_acm:
        hist = hist.assign(acm_tp=np.nan)
    res = fit_history(
        loaded.config,
        hist,
        fit_start=options.fit_start,
        chains=2,
        draws=max(options.n_draws // 2, 100),
        tune=500,
        progress=progress,
        source=str(loaded.path),
    )
    return {k: np.asarray(v) for k, v in res.draws.values.items()}


BlockResult = tuple[list[OriginForecast], dict[str, Any]]


def _run_on_dask(
    scheduler: str, args: list[tuple[Any, ...]], progress: Callable[[int], None]
) -> dict[int, BlockResult]:
    """Run the refit blocks as Dask tasks on the cluster at ``scheduler`` (an address).

    Each block is one pure task (same seeds as the process pool, so the same results).
    Workers must see ``data_dir`` and the priors file at the same paths.
    """
    from simulator.engine.distributed import _import_distributed

    distributed = _import_distributed()
    by_block: dict[int, BlockResult] = {}
    with distributed.Client(scheduler) as client:
        futures = {client.submit(_block_task, *a, pure=False, retries=2): a[2] for a in args}
        for fut in distributed.as_completed(list(futures)):
            by_block[futures[fut]] = fut.result()
            progress(sum(len(v[0]) for v in by_block.values()))
    return by_block


def _execute(
    args: list[tuple[Any, ...]],
    n_origins: int,
    n_workers: int,
    scheduler: str | None,
    say: Progress,
) -> tuple[list[OriginForecast], list[dict[str, Any]]]:
    """Run the refit blocks (Dask, in process, or a spawn process pool); block order kept."""
    by_block: dict[int, BlockResult] = {}

    def done(b: int, res: BlockResult) -> None:
        by_block[b] = res
        say("origins", sum(len(v[0]) for v in by_block.values()), n_origins)

    if scheduler is not None:
        by_block = _run_on_dask(scheduler, args, lambda d: say("origins", d, n_origins))
    elif n_workers == 1:
        for a in args:
            done(a[2], _block_task(*a))
    else:
        ctx = mp.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = {pool.submit(_block_task, *a): a[2] for a in args}
            for fut in cf.as_completed(futures):
                done(futures[fut], fut.result())
    results: list[OriginForecast] = []
    fits: list[dict[str, Any]] = []
    for b in sorted(by_block):
        results += by_block[b][0]
        fits.append(by_block[b][1])
    return results, fits


def _check_settings(
    horizons: Sequence[int],
    every: int,
    refit_every: int,
    paths: int,
    keep_origins: bool,
    out_root: PathLike | None,
) -> list[int]:
    """The sorted horizons, or a ValueError naming the option, before any work starts."""
    hs = sorted({int(h) for h in horizons})
    if not hs or hs[0] < 1 or hs[-1] > MAX_HORIZON:
        raise ValueError(f"--horizons: each must lie in 1..{MAX_HORIZON}, found {list(horizons)}")
    if every < 1 or refit_every < 1 or paths < 10:
        raise ValueError(
            f"--every {every}, --refit-every {refit_every}, --paths {paths}: "
            "need --every >= 1, --refit-every >= 1 and --paths >= 10"
        )
    if paths > BLOCK_SIZE:
        raise ValueError(
            f"--paths {paths}: a backtest origin keeps every path for its scores, at most "
            f"{BLOCK_SIZE} (one engine block)"
        )
    if keep_origins and out_root is None:
        raise ValueError("--keep-origins needs an output folder (--out)")
    return hs


def score_results(
    results: Sequence[OriginForecast], realised: pd.Series, data_dir: PathLike, hs: list[int]
) -> BacktestResult:
    """Month-end, touch and return scores of the origins' forecasts (no settings yet)."""
    forecasts, events = forecast_tables(results, realised, hs)
    summary = score_forecasts(forecasts, events, hs)
    closes = load_series("dgs10", data_dir)  # outcomes only, never a model input
    touches = touch_table(results, closes, hs)
    returns, samples = return_table(results, closes, load_series("dgs3mo", data_dir), hs)
    summary.update(score_daily(touches, returns, samples, hs))
    two_year = two_year_table(results, _realised_2y(data_dir), hs)
    if not two_year.empty:
        summary["y2"] = _scores_block(two_year, hs)
    return BacktestResult(
        summary=summary,
        forecasts=forecasts,
        events=events,
        timings={},
        touches=touches,
        returns=returns,
        forecasts_y2=two_year,
    )


def run_backtest(
    data_dir: PathLike,
    *,
    priors_path: PathLike = "priors/default.yaml",
    start: str = "2000-01",
    end: str = "2024-12",
    horizons: Sequence[int] = (1, 3, 6, 12),
    every: int = 1,
    paths: int = 2000,
    refit_every: int = 12,
    out_root: PathLike | None = None,
    progress: Progress | None = None,
    seed: int = 0,
    workers: int | None = None,
    options: ForecastOptions | None = None,
    scheduler: str | None = None,
    keep_origins: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest of macrosim against the random walk (docs/backtest.md).

    Parameters
    ----------
    data_dir : path
        History folder (layout of ``shared/data``); read only through the as-of guard.
    priors_path : path
        Weakly informative priors every refit starts from.
    start, end : str
        First and last origin month, YYYY-MM (origins at month ends).
    horizons : sequence of int
        Months ahead to score, 1..12.
    every : int
        Months between origins.
    paths : int
        Simulated paths per origin.
    refit_every : int
        Origins between refits of the dynamics.
    out_root : path, optional
        Writes ROOT/backtest-<id>/ atomically; None: nothing written.
    progress : callable, optional
        ``progress(stage, done, total)``.
    seed : int
        Master seed.
    workers : int, optional
        Processes (default: CPU count).
    options : ForecastOptions, optional
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``): run the refit blocks there instead
        of on the local process pool (``workers`` is then ignored). Needs the
        ``distributed`` extra; workers must see the data folder and priors file.
    keep_origins : bool
        Keep each origin's ``scenario.yaml``, ``priors.yaml`` and ``summary.json`` under
        ``backtest-<id>/origins/<YYYY-MM>/`` (needs ``out_root``): ``macrosim run`` of a
        kept scenario reproduces its summary.json.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> res = run_backtest("/work/shared/data", start="2010-01", end="2010-12")  # doctest: +SKIP
    >>> res.summary["scores"]["random_walk"]["1"]["crps"]  # doctest: +SKIP
    """
    options = options or ForecastOptions()
    hs = _check_settings(horizons, every, refit_every, paths, keep_origins, out_root)
    if _parse_month(end, "--end") < _parse_month(start, "--start"):
        raise ValueError(f"--end {end} is before --start {start}")
    say = progress or (lambda _s, _d, _t: None)
    t_start = time.perf_counter()
    # Fail on a bad priors file or data folder here, before any worker starts.
    from simulator.config import load_priors

    load_priors(Path(priors_path))
    realised = _realised(data_dir)
    origins = _origins(start, end, every, hs, realised, options.fit_start)
    blocks = [origins[i : i + refit_every] for i in range(0, len(origins), refit_every)]
    given: list[dict[str, np.ndarray] | None] = [None] * len(blocks)
    if options.fitter == "nuts":
        for b, block in enumerate(blocks):
            say("nuts refits", b, len(blocks))
            given[b] = _nuts_draws(data_dir, priors_path, block[0], options, None)
        say("nuts refits", len(blocks), len(blocks))
    t_fit = time.perf_counter()

    n_workers = max(1, workers or os.cpu_count() or 1)
    data_hash = data_sha256(data_dir, list(BACKTEST_SERIES))
    calibration = {
        "fit_start": options.fit_start,
        "data_sha256": data_hash,
        "command": f"macrosim backtest {data_dir} --start {start} --end {end} "
        f"--paths {paths} --seed {seed} --refit-every {refit_every} --keep-origins",
        "diagnostics": {"laplace": 1.0 if options.fitter == "laplace" else 0.0},
    }
    staging = None
    if keep_origins:
        Path(out_root).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
        staging = Path(tempfile.mkdtemp(prefix=".backtest-origins-", dir=out_root))
    args = [
        (
            str(data_dir),
            str(priors_path),
            b,
            block,
            b * refit_every,
            given[b],
            options,
            paths,
            seed,
            calibration,
            str(staging) if staging else None,
        )
        for b, block in enumerate(blocks)
    ]
    say("origins", 0, len(origins))
    try:
        results, fits = _execute(args, len(origins), n_workers, scheduler, say)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    t_sim = time.perf_counter()

    result = score_results(results, realised, data_dir, hs)
    summary = result.summary
    summary["settings"] = {
        "start": start,
        "end": end,
        "every": every,
        "paths": paths,
        "refit_every": refit_every,
        "seed": seed,
        "priors": str(priors_path),
        "options": asdict(options),
        "belief_rule": asdict(BeliefRule()),
        "as_of_rule": "the origin month's last business day (Treasury closes: same day)",
        "forecaster": "macrosim run of each origin's scenario.yaml (daily engine)",
    }
    summary["provenance"] = {
        "version": __version__,
        "data_sha256": data_hash,
        "data_to": f"{realised.dropna().index[-1]:%Y-%m-%d}",
    }
    timings = {
        "nuts_refits_s": t_fit - t_start,
        "forecasts_s": t_sim - t_fit,
        "scoring_s": time.perf_counter() - t_sim,
        "workers": float(n_workers) if scheduler is None else float("nan"),
    }
    result.timings, result.fits, result.origins_dir = timings, fits, staging
    if out_root is not None:
        from simulator.backtest.output import write_backtest

        try:
            result.folder = write_backtest(result, Path(out_root))
        finally:
            if staging is not None and staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    timings["total_s"] = time.perf_counter() - t_start
    return result


def forecast_tables(
    results: Sequence[OriginForecast], realised: pd.Series, horizons: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (origin, horizon) scores of both models, and per-origin event forecasts.

    Rows whose outcome month lies past the data are dropped (their ``n`` is smaller).
    """
    rows = []
    ev_rows = []
    for fc in results:
        o = fc.origin.to_period("M")
        path_real = _realised_path(realised, o)
        rows += _month_end_rows(fc, fc.paths, fc.y0, fc.rw_sd, path_real, horizons)
        if np.all(np.isfinite(path_real)):
            for name, sim in (("macrosim", fc.paths), ("random_walk", fc.rw_paths)):
                ev_rows.append(
                    {
                        "origin": f"{o}",
                        "model": name,
                        "fall_50bp_12m_prob": float(np.mean(sim[:, -1] <= fc.y0 - FALL_PP)),
                        "fall_50bp_12m_outcome": bool(path_real[-1] <= fc.y0 - FALL_PP),
                        "touch_1pp_below_12m_prob": float(
                            np.mean(sim.min(axis=1) <= fc.y0 - TOUCH_BELOW_PP)
                        ),
                        "touch_1pp_below_12m_outcome": bool(
                            path_real.min() <= fc.y0 - TOUCH_BELOW_PP
                        ),
                    }
                )
    # Columns even when no origin has 12 months of outcomes (a backtest ending near the data)
    ev_cols = ["origin", "model"] + [f"{e}_{kind}" for e in EVENTS for kind in ("prob", "outcome")]
    return pd.DataFrame(rows), pd.DataFrame(ev_rows, columns=ev_cols)


def _realised_path(realised: pd.Series, origin: pd.Period) -> np.ndarray:
    """The realised month-end closes of months 1..12 after the origin (NaN past the data)."""
    return np.array(
        [
            realised.get((origin + k).to_timestamp(how="end").normalize().as_unit("ns"), np.nan)
            for k in range(1, MAX_HORIZON + 1)
        ]
    )


def _month_end_rows(
    fc: OriginForecast,
    paths: np.ndarray,
    y0: float,
    rw_sd_month: float,
    path_real: np.ndarray,
    horizons: Sequence[int],
) -> list[dict[str, Any]]:
    """One origin's scored rows: the engine's month-end sample against the random walk's
    normal N(y0, rw_sd^2 h), for every horizon whose outcome is in the data."""
    rows = []
    o = fc.origin.to_period("M")
    for h in horizons:
        y = path_real[h - 1]
        if not np.isfinite(y):
            continue
        sample = paths[:, h - 1]
        qs = np.quantile(sample, QUANTILES)
        rw_sd = rw_sd_month * np.sqrt(h)
        row = {
            "origin": f"{o}",
            "horizon": h,
            "target": f"{o + h}",
            "realised": y,
            "y0": y0,
            "median": float(qs[QUANTILES.index(0.5)]),
            "mean": float(sample.mean()),
            "sd": float(sample.std()),
            "pit": float(sc.pit_from_sample(y, sample)),
            "crps": float(sc.crps_sample(y, sample)),
            "rw_sd": rw_sd,
            "rw_pit": float(_norm_cdf((y - y0) / rw_sd)),
            "rw_crps": float(sc.crps_normal(y, y0, rw_sd)),
        }
        row.update({f"q{q:g}": float(v) for q, v in zip(QUANTILES, qs, strict=True)})
        row.update({k: v for k, v in fc.info.items()})
        rows.append(row)
    return rows


def two_year_table(
    results: Sequence[OriginForecast], realised2: pd.Series, horizons: Sequence[int]
) -> pd.DataFrame:
    """The 2y's month-end rows (same columns and rules as the 10y's), for origins with a
    2y close and random-walk volatility."""
    rows: list[dict[str, Any]] = []
    for fc in results:
        if fc.y2_paths.size == 0 or not (np.isfinite(fc.y2_0) and np.isfinite(fc.rw_sd2)):
            continue
        path_real = _realised_path(realised2, fc.origin.to_period("M"))
        rows += _month_end_rows(fc, fc.y2_paths, fc.y2_0, fc.rw_sd2, path_real, horizons)
    return pd.DataFrame(rows)


def _norm_cdf(z: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf(z))


def _model_scores(f: pd.DataFrame, h: int, model: str) -> dict[str, float]:
    """Coverage, CRPS, RMSE/bias of the median, PIT p-value for one model and horizon."""
    pit = (f["pit"] if model == "macrosim" else f["rw_pit"]).to_numpy()
    crps = (f["crps"] if model == "macrosim" else f["rw_crps"]).to_numpy()
    point = (f["median"] if model == "macrosim" else f["y0"]).to_numpy()
    err = point - f["realised"].to_numpy()
    out: dict[str, float] = {}
    for level in LEVELS:
        hits = sc.coverage_hits(pit, level)
        key = f"coverage_{round(100 * level)}"
        out[key] = float(hits.mean()) if hits.size else float("nan")
        out[f"{key}_pvalue"] = sc.coverage_pvalue(hits, level, h)
    out.update(
        crps=float(crps.mean()) if crps.size else float("nan"),
        rmse=float(np.sqrt(np.mean(err**2))) if err.size else float("nan"),
        bias=float(err.mean()) if err.size else float("nan"),
        pit_pvalue=sc.pit_uniformity_pvalue(pit, h),
        n=int(pit.size),
    )
    return out


def _scores_block(f: pd.DataFrame, horizons: Sequence[int]) -> dict[str, Any]:
    scores: dict[str, Any] = {m: {} for m in MODELS}
    skill: dict[str, float] = {}
    for h in horizons:
        fh = f[f["horizon"] == h]
        for m in MODELS:
            scores[m][str(h)] = _model_scores(fh, h, m)
        # Diebold-Mariano: is macrosim's CRPS different from the random walk's? (HAC)
        scores["macrosim"][str(h)]["dm_pvalue"] = sc.dm_test(fh["crps"], fh["rw_crps"], h)["pvalue"]
        rw = scores["random_walk"][str(h)]["crps"]
        skill[str(h)] = 1.0 - scores["macrosim"][str(h)]["crps"] / rw if rw > 0 else float("nan")
    return {"scores": scores, "skill": skill}


def score_forecasts(
    forecasts: pd.DataFrame, events: pd.DataFrame, horizons: Sequence[int]
) -> dict[str, Any]:
    """The backtest.json document (docs/backtest.md) from the per-row tables."""
    overall = _scores_block(forecasts, horizons)
    decade = forecasts["origin"].str[:3] + "0s"
    by_decade = {d: _scores_block(forecasts[decade == d], horizons) for d in sorted(set(decade))}
    no_change = {}
    pit_hist = {}
    for h in horizons:
        fh = forecasts[forecasts["horizon"] == h]
        err = (fh["y0"] - fh["realised"]).to_numpy()
        no_change[str(h)] = {
            "rmse": float(np.sqrt(np.mean(err**2))) if err.size else float("nan"),
            "bias": float(err.mean()) if err.size else float("nan"),
            "n": int(err.size),
        }
        pit_hist[str(h)] = {
            "macrosim": sc.pit_histogram(fh["pit"]).tolist(),
            "random_walk": sc.pit_histogram(fh["rw_pit"]).tolist(),
        }
    christoffersen = {}
    if 1 in horizons:
        f1 = forecasts[forecasts["horizon"] == 1]
        for m, col in (("macrosim", "pit"), ("random_walk", "rw_pit")):
            christoffersen[m] = {
                f"coverage_{round(100 * lv)}": sc.christoffersen_test(
                    sc.coverage_hits(f1[col].to_numpy(), lv), lv
                )
                for lv in LEVELS
            }
    ev_doc: dict[str, Any] = {}
    for name, label in EVENTS.items():
        ev_doc[name] = {"description": label}
        for m in MODELS:
            e = events[events["model"] == m]
            p = e[f"{name}_prob"].to_numpy()
            o = e[f"{name}_outcome"].to_numpy()
            ev_doc[name][m] = {
                "brier": sc.brier_score(p, o) if p.size else float("nan"),
                "base_rate": float(o.mean()) if o.size else float("nan"),
                "mean_forecast": float(p.mean()) if p.size else float("nan"),
                "n": int(p.size),
                "reliability": sc.reliability_table(p, o),
            }
        bm, br = ev_doc[name]["macrosim"]["brier"], ev_doc[name]["random_walk"]["brier"]
        ev_doc[name]["brier_skill_vs_random_walk"] = 1.0 - bm / br if br > 0 else float("nan")
    years = forecasts["origin"].str[:4]
    by_year: dict[str, dict[str, float]] = {}
    for h in horizons:
        fh = forecasts[forecasts["horizon"] == h]
        g = fh.groupby(years[fh.index])[["crps", "rw_crps"]].mean()
        by_year[str(h)] = {str(y): float(1 - r.crps / r.rw_crps) for y, r in g.iterrows()}
    return {
        "origins": sorted(forecasts["origin"].unique().tolist()),
        "horizons": list(horizons),
        "scores": overall["scores"],
        "skill": overall["skill"],
        "no_change": no_change,
        "by_decade": by_decade,
        "events": ev_doc,
        "christoffersen_h1": christoffersen,
        "pit_histogram": pit_hist,
        "crps_skill_by_year": by_year,
        "notes": {
            "coverage": "central intervals from the PIT: |F(y) - 1/2| <= level/2",
            "pvalues": "Newey-West HAC, Bartlett, lags max(2h, 4(n/100)^(2/9)), fixed-b scaled",
            "bias": "mean of median forecast minus realised (positive: forecasts too high)",
            "skill": "1 - CRPS(macrosim) / CRPS(random_walk)",
        },
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": platform.platform(),
    }


def to_json(doc: dict[str, Any]) -> str:
    """Serialise with NaN as null, floats to 10 significant digits."""

    def clean(x: Any) -> Any:
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if isinstance(x, float | np.floating):
            v = float(x)
            return float(f"{v:.10g}") if np.isfinite(v) else None
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.bool_):
            return bool(x)
        return x

    return json.dumps(clean(doc), indent=2, sort_keys=False) + "\n"
