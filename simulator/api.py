"""The front door: load a scenario, run it, write its run folder (docs/api.md).

Examples
--------
>>> from simulator import api
>>> sc = api.load_scenario("scenarios/baseline.yaml")            # doctest: +SKIP
>>> res = api.run(sc, paths=20_000, seed=1)                      # doctest: +SKIP
>>> res.summary["levels"]["3.5"]["p_touch"]                      # doctest: +SKIP
>>> res.dataset.y10.sel(quantile=0.5).isel(date=-1)              # doctest: +SKIP
>>> api.run(sc, overrides={"view.cut_count": {3: 0.5, 4: 0.5}})  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
import xarray as xr

from simulator import __version__
from simulator.config import ConfigError, Loaded, PriorsFile, Scenario, load_priors
from simulator.config.loader import load_scenario_file
from simulator.config.schema import ENGINE_ONLY_PARAMETERS
from simulator.model.draws import ParameterDraws, draw_parameters

log = logging.getLogger(__name__)

PRIOR_DRAWS = 4000
_CALIBRATED = re.compile(r"^calibrated-(\d{4}-\d{2}-\d{2})\.yaml$")
Progress = Callable[[str, int, int], None]


@dataclass
class LoadedScenario:
    """A scenario with the priors file it names and the priors a run will use."""

    scenario: Loaded[Scenario]
    priors: Loaded[PriorsFile]
    run_priors: Loaded[PriorsFile]
    notes: list[str] = field(default_factory=list)
    market_note: str | None = None
    #: ``(key path, value)`` of every override applied, in order (they enter the run's
    #: ``config_sha256`` with the files' texts: runs that differ in them differ in hash)
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.config.name


@dataclass
class Result:
    """What a run produced: ``summary`` (as summary.json) and ``dataset`` (as results.nc)."""

    summary: dict[str, Any]
    dataset: xr.Dataset
    scenario: LoadedScenario
    timings: dict[str, float]
    posterior: Any = None
    folder: Path | None = None
    fit_history: Any = None
    data_dir: str | None = None


def load_scenario(path: str | Path) -> LoadedScenario:
    """Load a scenario, its priors, and pick the priors an offline run uses.

    Without history data a run uses the latest ``calibrated-<date>.yaml`` beside the
    scenario's priors file dated on or before the as-of date (a fit's exported
    posterior), and says so; otherwise the scenario's own priors.
    """
    from simulator.market import resolve_from_futures

    scenario, priors = load_scenario_file(path)
    scenario, market_note = resolve_from_futures(scenario)
    run_priors, notes = priors, []
    if priors.config.calibrated is None:
        cal = latest_calibrated(priors.path.parent, scenario.config.as_of)
        if cal is not None:
            run_priors = load_priors(cal)
            notes.append(
                f"offline run: dynamics from {cal.name} (a fit to history as of "
                f"{run_priors.config.calibrated.as_of if run_priors.config.calibrated else '?'}); "
                "pass --data DIR to fit instead"
            )
        else:
            notes.append(
                "unfitted run: dynamics drawn from the weakly informative priors "
                f"{priors.path.name}"
            )
    return LoadedScenario(
        scenario=scenario,
        priors=priors,
        run_priors=run_priors,
        notes=notes,
        market_note=market_note,
    )


def latest_calibrated(folder: Path, as_of: dt.date) -> Path | None:
    """The newest ``calibrated-YYYY-MM-DD.yaml`` in ``folder`` dated on or before ``as_of``."""
    best: tuple[dt.date, Path] | None = None
    for p in folder.glob("calibrated-*.yaml"):
        m = _CALIBRATED.match(p.name)
        if not m:
            continue
        d = dt.date.fromisoformat(m.group(1))
        if d <= as_of and (best is None or d > best[0]):
            best = (d, p)
    return best[1] if best else None


#: Keys ``overrides`` may not set: they fix which files and dynamics a run uses.
FIXED_OVERRIDE_KEYS: dict[tuple[Any, ...], str] = {
    ("kind",): "the file kind",
    ("priors",): "the dynamics (load a scenario file naming those priors instead)",
    ("as_of",): "the as-of date (it picks the calibrated dynamics; load another scenario file)",
}


def with_overrides(
    scenario: LoadedScenario | str | Path, overrides: Mapping[str, Any]
) -> LoadedScenario:
    """The scenario with values set by schema key path, validated again.

    The key paths are a sweep file's (docs/api.md, docs/scale.md): mapping keys joined by
    dots, list items as ``[i]``: ``{"view.cut_count": {3: 0.5, 4: 0.5},
    "events[0].size_bp": 40, "name": "more-cuts"}``. The priors and the notes stay the
    base scenario's.

    Raises
    ------
    ConfigError
        Every bad override, each naming its key path (``overrides: events[3].size_bp:
        events has 1 item(s); index 3 is out of range``).
    """
    from simulator.config.errors import Problem
    from simulator.config.overrides import (
        Override,
        OverrideError,
        parse_key_path,
        scenario_with_overrides,
    )
    from simulator.market import resolve_from_futures

    sc = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    file = str(sc.scenario.path)

    def problem(message: str) -> Problem:
        return Problem(file, 0, 0, "overrides", message)

    if not isinstance(overrides, Mapping):
        found = type(overrides).__name__
        raise ConfigError([problem(f"expected a mapping of key path -> value, found a {found}")])
    problems: list[Problem] = []
    ovs: list[Override] = []
    for text, value in overrides.items():
        if not isinstance(text, str):
            problems.append(problem(f"{text!r}: a key path is a string, e.g. 'view.cut_count'"))
            continue
        try:
            path = parse_key_path(text)
        except ValueError as exc:
            problems.append(problem(str(exc)))
            continue
        fixed = [why for k, why in FIXED_OVERRIDE_KEYS.items() if path[: len(k)] == k]
        if fixed:
            problems.append(problem(f"{text}: cannot be overridden: {fixed[0]}"))
            continue
        ovs.append(Override(text, path, value))
    if problems:
        raise ConfigError(problems)
    try:
        loaded = scenario_with_overrides(sc.scenario, ovs)
    except OverrideError as exc:
        for p in exc.problems:
            if p.override is None:  # a cross-field check the overrides broke
                problems.append(problem(f"{p.key_path}: {p.message}"))
            elif p.kind == "path" or p.key_path == p.override.text:
                problems.append(problem(f"{p.override.text}: {p.message}"))
            else:
                problems.append(problem(f"{p.override.text}: {p.key_path}: {p.message}"))
        raise ConfigError(problems) from None
    resolved, market_note = resolve_from_futures(loaded)
    # the run records what it changed in the file (a note, and the hash via `overrides`)
    said = "; ".join(f"{o.text} = {o.value!r}" for o in ovs)
    notes = [*sc.notes, f"overrides (not in {sc.scenario.path.name}): {said}"] if ovs else []
    return LoadedScenario(
        scenario=resolved,
        priors=sc.priors,
        run_priors=sc.run_priors,
        notes=notes or list(sc.notes),
        market_note=market_note,
        overrides=(*sc.overrides, *((o.text, repr(o.value)) for o in ovs)),
    )


def parameter_draws(sc: LoadedScenario, seed: int) -> ParameterDraws:
    """Draws of the dynamics from the run priors, seeded apart from the path streams."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2**31,))))
    return draw_parameters(sc.run_priors.config, PRIOR_DRAWS, rng=rng)


def _warm_up(spec: Any, progress: Progress | None) -> float:
    """Compile the engine kernel before the blocks start (seconds; ~0.5 once cached)."""
    from simulator.engine.block import warm_up

    if progress:
        progress("compile", 0, 1)
    seconds = warm_up(spec)
    if progress:
        progress("compile", 1, 1)
    return seconds


def run(
    scenario: LoadedScenario | str | Path,
    *,
    paths: int | None = None,
    seed: int | None = None,
    data_dir: str | Path | None = None,
    grid: str | None = None,
    levels: list[float] | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    draws: ParameterDraws | None = None,
    sampler: str = "nutpie",
    scheduler: str | None = None,
    workers: int | None = None,
    blocks_per_task: int = 4,
    kernel: str = "compiled",
    sample_paths: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Result:
    """Run a scenario: parameter draws -> blocks of paths -> results.

    Parameters
    ----------
    scenario : LoadedScenario or path
    overrides : schema key path -> value, set before the run (:func:`with_overrides`;
        the key paths of sweep files), e.g. ``{"view.cut_count": {3: 0.5, 4: 0.5}}``.
    paths, seed, grid : override the scenario's ``simulation`` block.
    data_dir : history folder; when given the dynamics are fitted (or a cached fit reused).
    levels : override the scenario's levels of interest (%).
    threads : local pool size (default: cores).
    progress : ``progress(stage, done, total)``.
    draws : parameter draws to use instead of priors or a fit (tests, sweeps).
    sampler : "nutpie" (default) or "pymc", for fits.
    scheduler, workers : run the blocks on a Dask cluster (an address, or a local cluster
        of that many workers); results are identical to the local pool's.
    kernel : "compiled" (numba, default) or "numpy" (the reference kernel); the same
        results to ~1e-14 (docs/outputs.md).
    sample_paths : number of daily 10y paths kept in ``y10_paths`` (default 200, the fan
        chart's; at most one block, 8192). Changes nothing else.

    Returns
    -------
    Result
        ``.dataset`` (the results Dataset, as results.nc) and ``.summary`` (as
        summary.json).

    Raises
    ------
    ConfigError
        A bad override, naming its key path.
    """
    from simulator.engine.aggregate import finalize
    from simulator.engine.run import run_blocks
    from simulator.engine.setup import build_spec
    from simulator.report.summary import build_summary, config_sha256

    sc = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    if overrides:
        sc = with_overrides(sc, overrides)
    if data_dir is not None:
        sc = _with_window_observations(sc, Path(data_dir))
    cfg = sc.scenario.config
    seed = cfg.simulation.seed if seed is None else seed
    if levels:
        cfg = cfg.model_copy(update={"levels_pp": list(levels)})
        sc = LoadedScenario(
            scenario=Loaded(cfg, sc.scenario.doc),
            priors=sc.priors,
            run_priors=sc.run_priors,
            notes=sc.notes,
        )
    timings: dict[str, float] = {}
    diagnostics: dict[str, Any] = {
        "fitted": False,
        "sampler": None,
        "r_hat_max": None,
        "ess_bulk_min": None,
        "ess_tail_min": None,
        "divergences": None,
        "max_tree_depth_hits": None,
    }
    posterior = None
    history = None
    data_sha = "none"
    t0 = time.perf_counter()
    if draws is None and data_dir is not None:
        draws, diagnostics, posterior, data_sha, history = _fit(
            sc, Path(data_dir), progress, sampler
        )
        timings["fit_s"] = time.perf_counter() - t0
        if not diagnostics.get("cache_hit") and getattr(posterior, "idata", None) is not None:
            attrs = posterior.idata["posterior"].attrs
            timings |= {
                f"fit_{k}": float(attrs[k]) for k in ("compile_s", "sampling_s") if k in attrs
            }
        sc = LoadedScenario(
            scenario=sc.scenario,
            priors=sc.priors,
            run_priors=sc.priors,
            notes=[
                f"fitted run: dynamics from the posterior of {sc.priors.path.name} given the "
                f"history public on {cfg.as_of}"
                + (" (cached fit reused)" if diagnostics.get("cache_hit") else "")
            ]
            + [n for n in sc.notes if n.startswith(("from the data", "overrides "))]
            + [f"fit diagnostics: {p}" for p in diagnostics.get("problems", [])],
        )
    elif draws is None:
        draws = parameter_draws(sc, seed)
    spec = build_spec(
        sc.scenario,
        draws,
        paths=paths,
        seed=seed,
        grid=grid,
        kernel=kernel,
        fx_seasonal=sc.run_priors.config.fx_seasonal,
    )
    if sample_paths is not None:
        spec = replace(spec, thin_paths=int(sample_paths))
    timings["kernel_compile_s"] = _warm_up(spec, progress)
    t1 = time.perf_counter()
    sim_progress = (lambda d, t: progress("simulate", d, t)) if progress else None
    if scheduler is not None or workers is not None:
        from simulator.engine.distributed import run_blocks_dask

        acc = run_blocks_dask(
            spec,
            scheduler=scheduler,
            workers=workers,
            blocks_per_task=blocks_per_task,
            progress=sim_progress,
        )
    else:
        acc = run_blocks(spec, threads=threads, progress=sim_progress)
    timings["simulate_s"] = time.perf_counter() - t1
    attrs = {
        "scenario": cfg.name,
        "description": cfg.description,
        "as_of": cfg.as_of.isoformat(),
        "horizon": spec.horizon.isoformat(),
        "window_start": cfg.window.start.isoformat(),
        "window_end": cfg.window.end.isoformat(),
        "paths": int(spec.paths),
        "seed": int(seed),
        "grid": spec.grid_kind,
        "version": __version__,
        "data_to": _data_to(cfg, sc, data_dir, draws),
        "fitted": int(bool(diagnostics["fitted"])),
        "params_source": draws.source,
        "fomc_dates": [str(d) for d in spec.all_meetings],
        "levels": [float(x) for x in spec.levels],
    }
    ds = finalize(spec, acc, attrs=attrs)
    texts = [sc.scenario.path.read_text(), sc.run_priors.path.read_text()]
    texts += [f"override {key} = {value}" for key, value in sc.overrides]
    provenance = {
        "version": __version__,
        "config_sha256": config_sha256(*texts),
        "data_sha256": data_sha,
        "priors_file": sc.run_priors.path.name,
        "numpy": np.__version__,
    }
    summary = build_summary(
        ds,
        diagnostics=diagnostics,
        provenance=provenance,
        assumptions=assumptions(sc, spec),
        warnings=[*sc.notes, *spec.warnings],
    )
    # provenance in every file written: results.nc carries the same hashes
    ds.attrs["config_sha256"] = provenance["config_sha256"]
    ds.attrs["data_sha256"] = provenance["data_sha256"]
    timings["total_s"] = time.perf_counter() - t0
    log.info(
        "run %s: %d paths, seed %d, %s draws; %s",
        cfg.name,
        spec.paths,
        seed,
        draws.source,
        ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()),
    )
    return Result(
        summary=summary,
        dataset=ds,
        scenario=sc,
        timings=timings,
        posterior=posterior,
        fit_history=history,
        data_dir=str(data_dir) if data_dir is not None else None,
    )


def _with_window_observations(sc: LoadedScenario, data_dir: Path) -> LoadedScenario:
    """Fill the scenario's ``observed`` block from history where the file leaves it empty.

    Decisions already in effect, core PCE prints and 10y closes inside the window and
    public on the as-of date update the beliefs exactly, count as touches and appear as
    history in the fan chart; entries the scenario gives itself are kept as written.
    """
    from simulator.config.schema import ObservedClose, ObservedMove, ObservedPrint
    from simulator.data.history import window_observations

    cfg = sc.scenario.config
    obs = window_observations(data_dir, cfg.as_of, cfg.window.start)
    observed = cfg.observed
    update: dict[str, Any] = {}
    if not observed.moves and len(obs.decisions):
        update["moves"] = [
            ObservedMove(date=d.date(), move_bp=round(float(c)))
            for d, c in obs.decisions["change_bp"].items()
            if np.isfinite(c)
        ]
    if not observed.core_pce and len(obs.core_pce_yoy):
        update["core_pce"] = [
            ObservedPrint(month=f"{d:%Y-%m}", core_pce_yoy_pp=float(v))
            for d, v in obs.core_pce_yoy.items()
            if np.isfinite(v)
        ]
    if not observed.y10_closes and len(obs.y10_daily):
        update["y10_closes"] = [
            ObservedClose(date=d.date(), y10_pp=float(v))
            for d, v in obs.y10_daily.items()
            if np.isfinite(v)
        ]
    cfg_update: dict[str, Any] = {}
    notes = list(sc.notes)
    if update:
        cfg_update["observed"] = observed.model_copy(update=update)
        notes.append(
            "from the data: "
            + ", ".join(f"{len(v)} observed {k.replace('_', ' ')}" for k, v in update.items())
        )
    start = _start_close(cfg, data_dir)
    if start is not None:
        cfg_update["snapshot"] = cfg.snapshot.model_copy(update={"y10_pp": start})
        notes.append(
            f"from the data: the 10y starts at its close of {start.date}, {start.value:.2f}% "
            f"(the snapshot said {cfg.snapshot.y10_pp.value:.2f}% on {cfg.snapshot.y10_pp.date})"
        )
    if not cfg_update:
        return sc
    new_cfg = cfg.model_copy(update=cfg_update)
    return LoadedScenario(
        scenario=Loaded(new_cfg, sc.scenario.doc),
        priors=sc.priors,
        run_priors=sc.run_priors,
        notes=notes,
    )


def _start_close(cfg: Scenario, data_dir: Path) -> Any:
    """The data's last 10y close on or before the as-of, where it differs from the snapshot.

    Treasury closes are public the same day (the series registry), so a run with
    ``--data`` starts from the close the data holds for the as-of date (or the last one
    before it); the snapshot and the data then agree. None when they already do.
    """
    import pandas as pd

    from simulator.config.schema import Sourced
    from simulator.data.history import snapshot

    snap = snapshot(data_dir, cfg.as_of)
    value, day = float(snap["y10"]), pd.Timestamp(snap["y10_date"]).date()
    given = cfg.snapshot.y10_pp
    if abs(given.value - value) < 5e-7 and given.date == day:
        return None
    return Sourced(value=value, source="data folder: DGS10 close (Treasury par curve)", date=day)


def _data_to(
    cfg: Scenario, sc: LoadedScenario, data_dir: str | Path | None, draws: ParameterDraws
) -> str:
    """What history the run's numbers rest on, for the figures' source line."""
    if data_dir is not None:
        return cfg.as_of.isoformat()
    cal = sc.run_priors.config.calibrated
    if draws.source == "calibrated" and cal is not None:
        return f"{cal.as_of} (calibrated priors)"
    return "snapshot only (unfitted priors)"


def _fit(
    sc: LoadedScenario, data_dir: Path, progress: Progress | None, sampler: str
) -> tuple[ParameterDraws, dict[str, Any], Any, str, Any]:
    """Fit (or reuse a cached fit of) the dynamics to the history public on the as-of."""
    from simulator.data.history import MODEL_SERIES
    from simulator.data.loaders import DataError, data_sha256
    from simulator.model.commands import fit_posterior
    from simulator.model.diagnostics import problems
    from simulator.model.fit import FitError

    as_of = sc.scenario.config.as_of
    try:
        res = fit_posterior(
            sc.priors,
            data_dir,
            as_of,
            sampler=cast(Any, sampler),
            progress=(lambda msg: progress(f"fit: {msg}", 0, 0)) if progress else None,
            draws_progress=(
                (lambda done, total, div: progress(f"sample: {div} divergences", done, total))
                if progress
                else None
            ),
        )
        data_sha = data_sha256(data_dir, list(MODEL_SERIES), as_of=as_of)
    except (FitError, DataError) as exc:
        raise ConfigError.single(sc.priors.path, str(exc)) from None
    diag: dict[str, Any] = dict(res.diagnostics)
    diag["fitted"] = True
    diag["sampler"] = res.sampler
    diag["cache_hit"] = res.cache_hit
    diag["problems"] = problems(res.diagnostics)
    from simulator.data.history import monthly_history

    history = monthly_history(data_dir, as_of, start=res.fit_start or "1990-01")
    assert res.draws_as_of is not None
    return res.draws_as_of, diag, res, data_sha, history


def assumptions(sc: LoadedScenario, spec: Any) -> list[str]:
    """The scenario's assumptions in plain words, for summary.md."""
    cfg = sc.scenario.config
    out = []
    snap = cfg.snapshot
    out.append(
        f"Start {cfg.as_of}: 10y {snap.y10_pp.value:.2f}%, target range "
        f"{snap.target_range.lower_pp:.2f}-{snap.target_range.upper_pp:.2f}%, core PCE "
        f"{snap.core_pce_yoy_pp.value:.2f}% y/y."
    )
    ev = sum(k * p for k, p in cfg.view.cut_count.items())
    out.append(
        f"View: {ev:.1f} net 25bp cuts expected in the window "
        f"(P by count: {', '.join(f'{k}: {p:.0%}' for k, p in cfg.view.cut_count.items())}); "
        f"at most {cfg.view.max_moves_per_meeting} move(s) per meeting."
    )
    if sc.market_note is not None:
        out.append(sc.market_note + " The 10y moves on the difference as cuts arrive.")
    elif cfg.market.cut_count is not None:
        mv = sum(k * p for k, p in cfg.market.cut_count.items())
        out.append(
            f"Market prices {mv:.1f} cuts (typed in the scenario): the 10y moves on the "
            "difference as cuts arrive."
        )
    else:
        out.append("Market prices the view: cuts move the 10y only when they surprise.")
    for e in cfg.events:
        hl = f"half-life {e.half_life_bdays:g} business days" if e.half_life_bdays else "permanent"
        out.append(
            f"Event '{e.name}': {e.probability:.0%} chance of a {e.size_bp:+g}bp term-premium "
            f"shock between {e.start} and {e.end} ({hl})."
        )
    if cfg.seasonal_drift_bp:
        out.append(
            "Seasonal term-premium drift (bp/month): "
            + ", ".join(f"{m} {v:+g}" for m, v in cfg.seasonal_drift_bp.items())
            + "."
        )
    adj = cfg.adjustments
    if adj.neutral_rate_shift_pp or adj.term_premium_mean_shift_pp or adj.inflation_gap_shift_pp:
        out.append(
            f"Post-fit shifts: neutral rate {adj.neutral_rate_shift_pp:+g}pp, term-premium mean "
            f"{adj.term_premium_mean_shift_pp:+g}pp, inflation gap "
            f"{adj.inflation_gap_shift_pp:+g}pp."
        )
    if cfg.mixture:
        out.append(
            "Mixture: "
            + ", ".join(f"{c.name} {c.weight:.0%}" for c in cfg.mixture)
            + " (drawn per path)."
        )
    legs = cfg.hedging.currencies
    out.append(
        "Hedging: 3-month FX forwards rolled from entry; foreign short rates "
        + ", ".join(f"{c} {_rate_text(legs[c].short_rate_pp)}" for c in legs)
        + f"; USD bill spread {cfg.hedging.usd_bill_spread_pp:+.2f}pp."
    )
    out.append(f"Dynamics: {sc.notes[0] if sc.notes else 'fitted to history'}.")
    return out


def _rate_text(v: float | dict[str, float]) -> str:
    return f"{v:.2f}%" if isinstance(v, int | float) else f"monthly path from {min(v)}"


def write_run(result: Result, out_root: str | Path) -> Path:
    """Write the run folder atomically and return its final path.

    Contents: summary.json, summary.md, summary.html, results.nc, run.json, tables/*.csv,
    figures/*.png|svg (and posterior.nc when fitted).
    """
    import json

    from simulator.report import (
        render_summary_html,
        render_summary_md,
        write_figures,
        write_tables,
    )
    from simulator.report.figures import fit_check
    from simulator.report.rundir import new_run_id, run_folder
    from simulator.report.summary import summary_json_text

    s = result.summary
    run_id = new_run_id(int(s["seed"]))
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rf = run_folder(Path(out_root), s["scenario"], run_id)
    with rf as folder:
        (folder / "summary.json").write_text(summary_json_text(s))
        _to_netcdf(result.dataset, folder / "results.nc")
        ppc = _fit_check_data(result)
        # the fit check is drawn with the other figures (in parallel) but not in summary.md
        extra = {} if ppc is None else {"fit_check": partial(fit_check, ppc, result.dataset.attrs)}
        figs = write_figures(
            result.dataset, folder, posterior=_posterior_pairs(result), extra=extra
        )
        write_tables(result.dataset, folder / "tables")
        shown = [p for p in figs if p.stem not in extra]  # summary.md's figures
        pngs = {p.stem: p.relative_to(folder) for p in shown if p.suffix == ".png"}
        svgs = {p.stem: p for p in shown if p.suffix == ".svg"}
        (folder / "summary.md").write_text(render_summary_md(s, result.dataset, pngs, base=folder))
        (folder / "summary.html").write_text(
            render_summary_html(s, result.dataset, svgs, base=folder), encoding="utf-8"
        )
        post = result.posterior
        if post is not None:
            if getattr(post, "idata", None) is not None:
                post.idata.to_netcdf(str(folder / "posterior.nc"), engine="h5netcdf")
            elif getattr(post, "posterior_file", None) is not None:
                shutil.copyfile(post.posterior_file, folder / "posterior.nc")
        if ppc is not None:
            ppc.to_netcdf(folder / "fit_check.nc", engine="h5netcdf")
        run_info = {
            "run_id": run_id,
            "started_utc": started,
            "scenario_file": str(result.scenario.scenario.path),
            "priors_file": str(result.scenario.run_priors.path),
            "data_dir": result.data_dir,
            "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
            "python": platform.python_version(),
            "machine": platform.machine(),
            "version": __version__,
        }
        (folder / "run.json").write_text(json.dumps(run_info, indent=2) + "\n")
    final = rf.final
    result.folder = final
    return final


def sweep(
    path: str | Path,
    *,
    out_root: str | Path | None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> Any:
    """Run a sweep file (a base scenario and a grid of overrides); see docs/scale.md."""
    from simulator.sweep import run_sweep

    return run_sweep(
        path,
        out_root=out_root,
        scheduler=scheduler,
        workers=workers,
        threads=threads,
        progress=progress,
    )


def backtest(
    data_dir: str | Path,
    *,
    priors_path: str | Path = "priors/default.yaml",
    start: str = "2000-01",
    end: str = "2024-12",
    horizons: tuple[int, ...] = (1, 3, 6, 12),
    every: int = 1,
    paths: int = 2000,
    refit_every: int = 12,
    out_root: str | Path | None = "outputs",
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    fitter: str = "laplace",
    scheduler: str | None = None,
    keep_origins: bool = False,
) -> Any:
    """Rolling-origin backtest (docs/backtest.md); returns simulator.backtest.BacktestResult.

    ``keep_origins``: keep each origin's scenario, posterior and summary.json under
    ``backtest-<id>/origins/<YYYY-MM>/`` (rerun one with ``macrosim run``).

    ``fitter``: ``"laplace"`` (default) refits by a Laplace approximation of the model's
    posterior; ``"nuts"`` by the model's NUTS fit (cached; minutes a refit).
    """
    from simulator.backtest import run_backtest
    from simulator.backtest.run import ForecastOptions

    if fitter not in ("laplace", "nuts"):
        raise ValueError(f"--fitter: expected laplace or nuts, found {fitter!r}")

    return run_backtest(
        data_dir,
        priors_path=priors_path,
        start=start,
        end=end,
        horizons=horizons,
        every=every,
        paths=paths,
        refit_every=refit_every,
        out_root=out_root,
        progress=progress,
        seed=seed,
        workers=workers,
        options=ForecastOptions(fitter=cast(Any, fitter)),
        scheduler=scheduler,
        keep_origins=keep_origins,
    )


def fit(
    scenario: LoadedScenario | str | Path,
    data_dir: str | Path,
    *,
    sampler: str = "nutpie",
    export_priors: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit (or reuse) the posterior of the scenario's priors given the history.

    Returns a dict with ``diagnostics``, ``problems``, ``cache_hit`` and ``means``
    (name -> (prior mean, posterior mean, posterior s.d.)); with ``export_priors`` the
    posterior is also written as a calibrated priors file.
    """
    from simulator.data.history import MODEL_SERIES
    from simulator.data.loaders import DataError, data_sha256
    from simulator.model.commands import fit_posterior
    from simulator.model.diagnostics import problems
    from simulator.model.export import export_priors as write_priors
    from simulator.model.fit import FitError
    from simulator.model.fx_fit import calibrated_fx_specs

    sc = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    as_of = sc.scenario.config.as_of
    try:
        res = fit_posterior(
            sc.priors, data_dir, as_of, sampler=cast(Any, sampler), progress=progress
        )
        sha = data_sha256(data_dir, list(MODEL_SERIES), as_of=as_of)
    except (FitError, DataError) as exc:
        raise ConfigError.single(sc.priors.path, str(exc)) from None
    if export_priors is not None:
        write_priors(
            res,
            sc.priors.path,
            export_priors,
            as_of,
            "1990-01",
            sha,
            f"macrosim fit {sc.scenario.path} --data {data_dir} --export-priors {export_priors}",
            fx_specs=calibrated_fx_specs(sc.priors.config, data_dir, str(as_of)),
        )
    prior_means = {name: prior.mean() for name, prior in sc.priors.config.parameters.items()}
    # the fit's parameters only: engine-only ones (lambda) are drawn from their prior
    means = {
        k: (prior_means[k], float(np.mean(v)), float(np.std(v)))
        for k, v in res.draws.values.items()
        if k not in ENGINE_ONLY_PARAMETERS
    }
    return {
        "diagnostics": dict(res.diagnostics),
        "problems": problems(res.diagnostics),
        "cache_hit": res.cache_hit,
        "means": means,
        "result": res,
    }


def priors_show(
    priors_path: str | Path,
    *,
    scenario: str | Path | None = None,
    out_root: str | Path = "outputs",
    paths: int = 16_384,
    seed: int = 0,
) -> Path:
    """Draw from a priors file alone and write the plots a researcher tunes it by.

    Writes ROOT/priors-<name>/<id>/: ``figures/prior_densities`` (each parameter),
    ``prior_predictive.csv`` (quantiles of each parameter and of the implied half-lives
    and stationary s.d.s), and with ``scenario`` the implied 10y fan and cut-count
    figures of that scenario run on prior draws (unfitted).
    """
    from simulator.model.commands import prior_predictive
    from simulator.report import cut_distribution, fan_chart, save_figure
    from simulator.report.figures import posterior_densities
    from simulator.report.rundir import new_run_id, run_folder

    loaded = load_priors(priors_path)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2**31,))))
    pp = prior_predictive(loaded.config, PRIOR_DRAWS, rng)
    meta: dict[str, Any] = {
        "scenario": loaded.path.stem,
        "paths": PRIOR_DRAWS,
        "seed": seed,
        "version": __version__,
        "data_to": "priors only",
    }
    result = None
    if scenario is not None:
        sc = load_scenario(scenario)
        sc = LoadedScenario(
            scenario=sc.scenario,
            priors=loaded,
            run_priors=loaded,
            notes=[f"prior predictive: dynamics drawn from {loaded.path.name}"],
        )
        result = run(sc, paths=paths, seed=seed, draws=parameter_draws(sc, seed))
    rf = run_folder(Path(out_root), f"priors-{loaded.path.stem}", new_run_id(seed))
    with rf as folder:
        values = {k: pp[k].values for k in loaded.config.parameters.model_fields}
        fig = posterior_densities(
            values,
            ds=result.dataset if result is not None else None,
            attrs=meta,
            title=f"Prior densities of the {len(values)} dynamics parameters ({loaded.path.name})",
            caption=f"{PRIOR_DRAWS} draws from the priors alone.",
        )
        save_figure(fig, folder / "figures" / "prior_densities")
        qs = [0.05, 0.25, 0.5, 0.75, 0.95]
        lines = ["quantity," + ",".join(f"q{int(q * 100):02d}" for q in qs)]
        for name in pp.data_vars:
            v = np.asarray(pp[name].values, dtype=float)
            v = v[np.isfinite(v)]
            lines.append(f"{name}," + ",".join(f"{np.quantile(v, q):.6g}" for q in qs))
        (folder / "prior_predictive.csv").write_text("\n".join(lines) + "\n")
        if result is not None:
            save_figure(fan_chart(result.dataset), folder / "figures" / "implied_fan_chart")
            save_figure(
                cut_distribution(result.dataset), folder / "figures" / "implied_cut_distribution"
            )
    return rf.final


def _fit_check_data(result: Result) -> xr.Dataset | None:
    """The fit check's posterior predictive summary (None for an unfitted run)."""
    from simulator.model.commands import posterior_predictive_summary

    post = result.posterior
    if post is None or result.fit_history is None:
        return None
    cached = None
    if getattr(post, "posterior_file", None) is not None:
        # the check depends only on the fit and its history: keep it with the cached fit
        cached = Path(post.posterior_file).with_name("fit_check.nc")
    if cached is not None and cached.is_file():
        return xr.load_dataset(cached, engine="h5netcdf")
    ppc = posterior_predictive_summary(post, result.fit_history)
    if cached is not None:
        tmp = cached.with_name(f".fit_check-{os.getpid()}.tmp")
        ppc.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, cached)
    return ppc


def _posterior_pairs(result: Result) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """name -> (prior draws, posterior draws) of the fitted parameters, for the
    prior-vs-posterior figure (not the engine-only ones: their posterior is the prior)."""
    post = result.posterior
    if post is None or getattr(post, "draws", None) is None:
        return None
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(0, spawn_key=(2**31 + 1,))))
    prior = draw_parameters(result.scenario.priors.config, PRIOR_DRAWS, rng=rng)
    return {
        k: (prior.values[k], post.draws.values[k])
        for k in post.draws.values
        if k not in ENGINE_ONLY_PARAMETERS
    }


def _to_netcdf(ds: xr.Dataset, path: Path) -> None:
    # h5netcdf keeps list attributes (fomc_dates, levels) as lists: results.nc re-opens
    # with the same attrs the figures read
    ds.to_netcdf(path, engine="h5netcdf")


class Comparison(list[Result]):
    """The results of :func:`compare`, in order: a list of :class:`Result` with the
    combined Dataset as ``.dataset`` (:func:`compare_dataset`)."""

    @property
    def dataset(self) -> xr.Dataset:
        """One Dataset with a ``scenario`` dimension (see :func:`compare_dataset`)."""
        return compare_dataset(self)


def compare(
    scenarios: Sequence[LoadedScenario | str | Path],
    *,
    paths: int | None = None,
    seed: int | None = None,
    grid: str | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Run several scenarios with common random numbers.

    One seed for all (default: the first scenario's): block b, component c of every
    scenario draws from ``SeedSequence(seed, spawn_key=(b, c))``, so differences between
    scenarios are differences of beliefs, not of noise.

    Returns
    -------
    Comparison
        A list of :class:`Result` (one a scenario, in order); ``.dataset`` is one
        Dataset with a ``scenario`` dimension.

    Examples
    --------
    >>> base = load_scenario("scenarios/baseline.yaml")                      # doctest: +SKIP
    >>> more = with_overrides(base, {"name": "more-cuts",
    ...                              "view.cut_count": {3: 0.5, 4: 0.5}})     # doctest: +SKIP
    >>> ds = compare([base, more], paths=2000).dataset                       # doctest: +SKIP
    >>> ds.p_touch.sel(level=3.5).isel(date=-1)                               # doctest: +SKIP
    """
    loaded = [s if isinstance(s, LoadedScenario) else load_scenario(s) for s in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError.single(
            loaded[0].scenario.path,
            f"scenario names repeat in the comparison: {dup} (name a variant with the "
            "override {'name': ...})",
        )
    seed = loaded[0].scenario.config.simulation.seed if seed is None else seed
    paths = paths if paths is not None else max(s.scenario.config.simulation.paths for s in loaded)
    return Comparison(
        run(s, paths=paths, seed=seed, grid=grid, threads=threads, progress=progress)
        for s in loaded
    )


def compare_dataset(results: Sequence[Result | xr.Dataset]) -> xr.Dataset:
    """The runs' results Datasets stacked along a new ``scenario`` dimension.

    Variables every run has with the same dimensions are kept (the union of their
    coordinates: a date one run lacks is NaN in it). Dataset attributes the runs share
    stay attributes; those that differ (``description``, ``config_sha256``, ...) become
    coordinates along ``scenario``.

    Raises
    ------
    ValueError
        No results, or two runs share a scenario name.
    """
    datasets = [r.dataset if isinstance(r, Result) else r for r in results]
    if not datasets:
        raise ValueError("compare_dataset needs at least one result")
    names = [str(ds.attrs.get("scenario", f"scenario-{i}")) for i, ds in enumerate(datasets)]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names repeat: {names}")
    first = datasets[0]
    common = [
        v
        for v in first.data_vars
        if all(v in ds.data_vars and ds[v].dims == first[v].dims for ds in datasets[1:])
    ]
    parts = [
        ds[common].drop_attrs(deep=False).expand_dims(scenario=[n])
        for ds, n in zip(datasets, names, strict=True)
    ]
    out = xr.concat(
        parts,
        dim="scenario",
        data_vars="all",
        coords="minimal",
        compat="override",
        join="outer",
        combine_attrs="drop",
    )
    out = out.assign_coords(scenario=np.asarray(names, dtype=str))
    keys = [k for k in dict.fromkeys(k for ds in datasets for k in ds.attrs) if k != "scenario"]
    for key in keys:
        values = [ds.attrs.get(key) for ds in datasets]
        texts = [repr(v) for v in values]
        if len(set(texts)) == 1:
            out.attrs[key] = values[0]
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            out = out.assign_coords({key: ("scenario", np.asarray(values, dtype=float))})
        else:
            cells = ["" if v is None else str(v) for v in values]
            out = out.assign_coords({key: ("scenario", np.asarray(cells, dtype=str))})
    return out


def write_compare(results: list[Result], out_root: str | Path) -> Path:
    """Write ROOT/compare-<id>/: overlay figures, a side-by-side table (md, csv, json)."""
    import csv
    import json

    from simulator.report import compare_figures, compare_table, compare_table_md, save_figure
    from simulator.report.rundir import new_run_id, run_folder

    seed = int(results[0].summary["seed"])
    run_id = new_run_id(seed)
    root = Path(out_root)
    rf = run_folder(root, "", f"compare-{run_id}")
    with rf as folder:
        figs = compare_figures([r.dataset for r in results])
        for name, fig in figs.items():
            save_figure(fig, folder / "figures" / name)
        summaries = [r.summary for r in results]
        rows = compare_table(summaries)
        (folder / "comparison.md").write_text(compare_table_md(summaries) + "\n")
        with (folder / "comparison.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        (folder / "summaries.json").write_text(
            json.dumps({s["scenario"]: s for s in summaries}, indent=2, sort_keys=True) + "\n"
        )
    final = rf.final
    return final


__all__ = [
    "Comparison",
    "ConfigError",
    "LoadedScenario",
    "Result",
    "backtest",
    "compare",
    "compare_dataset",
    "load_scenario",
    "run",
    "with_overrides",
    "write_compare",
    "write_run",
]
