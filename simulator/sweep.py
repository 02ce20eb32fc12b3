"""Sweeps: one base scenario, many variants of its beliefs, one labelled result.

A sweep file names a base scenario and either a ``grid`` (schema key paths -> lists of
values; the variants are the cartesian product) or an explicit list of ``variants``
(name + overrides)::

    base: ../../scenarios/baseline.yaml     # relative to the sweep file
    grid:
      view.cut_count:
        - {1: 0.5, 2: 0.5}
        - {3: 0.5, 4: 0.5}
      adjustments.neutral_rate_shift_pp: [0.0, -0.5]
    paths: 50000
    seed: 7

Key paths are the scenario schema's: mapping keys joined by dots, list items as ``[i]``
(``events[0].size_bp``). Each variant is the base file's plain data with the overrides
applied, validated again through the schema, so a bad override is a located
:class:`~simulator.config.ConfigError` naming the sweep file and key. A sweep varies
beliefs, never dynamics: the parameter draws are made once and shared by every variant
(common random numbers too: block ``b`` draws the same shocks in every variant). A
variant that fails at run time is reported with its error; the others complete.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.config.errors import ConfigError, Problem
from simulator.config.loader import Loaded, _validate
from simulator.config.overrides import (
    Override,
    OverrideError,
    apply_overrides,
    parse_key_path,
    scenario_with_overrides,
)
from simulator.config.schema import NAME_MAX, Scenario, file_beside
from simulator.config.yamlio import Document, KeyPath, load_yaml
from simulator.report.summary import hedged_entry_returns

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

#: Keys a sweep may not vary: identity, dynamics, and the Monte Carlo settings the sweep
#: file itself sets (``paths``, ``seed``).
FIXED_KEYS: dict[KeyPath, str] = {
    ("kind",): "the file kind",
    ("name",): "the scenario name (variants are named by the sweep)",
    ("priors",): "the dynamics (a sweep varies beliefs; compare scenario files instead)",
    ("as_of",): "the as-of date (it picks the calibrated dynamics and the entry months)",
    ("simulation", "paths"): "set by the sweep's 'paths'",
    ("simulation", "seed"): "set by the sweep's 'seed'",
}
#: Small per-variant outputs concatenated along ``variant``.
SWEEP_VARS = (
    "p_touch",
    "p_touch_se",
    "p_below_at_horizon",
    "entry_return",
    "cut_count_prob",
    "y10_at_horizon",
)
MAX_VARIANTS = 10_000


class SweepVariant(BaseModel):
    """One explicit variant: a name and its overrides."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=-]*$", description="variant label")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="schema key path -> value, e.g. events[0].size_bp"
    )


class SweepFile(BaseModel):
    """A sweep: a base scenario and a grid of overrides or an explicit list of variants."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(default=None, pattern=r"^sweep$", description="'sweep' (optional)")
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=NAME_MAX,
        description="sweep name (default: file)",
    )
    description: str | None = Field(default=None, description="what the sweep asks")
    base: str = Field(min_length=1, description="base scenario file, relative to the sweep file")
    grid: dict[str, list[Any]] | None = Field(
        default=None, description="key path -> values; variants are the cartesian product"
    )
    variants: list[SweepVariant] | None = Field(
        default=None, min_length=1, description="explicit variants (instead of a grid)"
    )
    paths: int | None = Field(default=None, ge=1, le=10**10, description="paths per variant")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="master seed")

    @model_validator(mode="after")
    def _one_kind(self) -> SweepFile:
        if (self.grid is None) == (self.variants is None):
            raise ValueError("give either 'grid' or 'variants' (exactly one)")
        if self.grid is not None:
            if not self.grid:
                raise ValueError("'grid' needs at least one key path")
            for key, values in self.grid.items():
                if not values:
                    raise ValueError(f"grid key {key!r} needs at least one value")
        return self


@dataclass(frozen=True)
class VariantPlan:
    """A variant before it runs."""

    name: str
    overrides: tuple[Override, ...]


@dataclass
class SweepResult:
    """What a sweep produced.

    ``dataset`` has a ``variant`` dimension (failed variants hold NaN); ``summaries``
    maps each completed variant to its summary dict (as summary.json), ``errors`` each
    failed one to its message; ``figures`` are the heatmaps; ``folder`` the output folder.
    """

    name: str
    dataset: xr.Dataset
    summaries: dict[str, dict[str, Any]]
    errors: dict[str, str]
    figures: dict[str, Figure]
    summary: dict[str, Any]
    folder: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Loading and planning
# ---------------------------------------------------------------------------------------


@dataclass
class LoadedSweep:
    """A validated sweep file, its base scenario and the planned variants."""

    sweep: Loaded[SweepFile]
    base_path: Path
    plans: list[VariantPlan]
    axes: list[tuple[str, list[Any]]]  # grid axes (empty for explicit variants)

    @property
    def name(self) -> str:
        """The sweep's name (``name:``, else the file stem)."""
        cfg = self.sweep.config
        return cfg.name or re.sub(r"[^a-z0-9_-]", "-", self.sweep.path.stem.lower())


def load_sweep(path: str | Path) -> LoadedSweep:
    """Load and validate a sweep file and plan its variants (nothing is run).

    Raises
    ------
    ConfigError
        Located in the sweep file (unknown key, malformed key path, fixed key, base
        missing).
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping at the top level")
    cfg = _validate(SweepFile, doc)
    sweep = Loaded(cfg, doc)
    try:
        base = file_beside(doc.path.parent, cfg.base, "base scenario", "sweep")
    except ValueError as exc:
        raise doc.error(("base",), str(exc)) from None
    axes: list[tuple[str, list[Any]]] = []
    plans: list[VariantPlan] = []
    problems: list[Problem] = []
    if cfg.grid is not None:
        keyed: list[list[Override]] = []
        for key, values in cfg.grid.items():
            kp = _checked_path(doc, ("grid", key), key, problems)
            axes.append((key, values))
            keyed.append([Override(key, kp, v, ("grid", key, i)) for i, v in enumerate(values)])
        n = int(np.prod([len(v) for _, v in axes]))
        if n > MAX_VARIANTS:
            raise doc.error(("grid",), f"{n} variants: a sweep holds at most {MAX_VARIANTS}")
        labels = _axis_labels([k for k, _ in axes])
        for combo in itertools.product(*keyed):
            name = ",".join(
                f"{lab}={_short(o.value)}" for lab, o in zip(labels, combo, strict=True)
            )
            plans.append(VariantPlan(name=name, overrides=tuple(combo)))
    else:
        assert cfg.variants is not None
        seen: set[str] = set()
        for i, var in enumerate(cfg.variants):
            if var.name in seen:
                problems.append(
                    doc.problem(("variants", i, "name"), f"duplicate name {var.name!r}")
                )
            seen.add(var.name)
            ovs = []
            for key, value in var.overrides.items():
                where = ("variants", i, "overrides", key)
                kp = _checked_path(doc, where, key, problems)
                ovs.append(Override(key, kp, value, where))
            plans.append(VariantPlan(name=var.name, overrides=tuple(ovs)))
    if problems:
        raise ConfigError(problems)
    return LoadedSweep(sweep=sweep, base_path=base, plans=plans, axes=axes)


def _axis_labels(keys: list[str]) -> list[str]:
    """Short axis labels for variant names: the last key, unless two axes share it."""
    last = [re.split(r"[.\[]", k.replace("]", ""))[-1] if k[-1] != "]" else k for k in keys]
    return last if len(set(last)) == len(last) else keys


def _checked_path(doc: Document, where: KeyPath, key: str, problems: list[Problem]) -> KeyPath:
    try:
        kp = parse_key_path(key)
    except ValueError as exc:
        problems.append(doc.problem(where, str(exc), of_value=False))
        return ()
    for fixed, why in FIXED_KEYS.items():
        if kp[: len(fixed)] == fixed:
            problems.append(doc.problem(where, f"{key!r} cannot be swept: {why}", of_value=False))
    return kp


def _short(value: Any) -> str:
    """A compact label for an override value (variant names, coordinates)."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_short(k)}:{_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_short(v) for v in value) + "]"
    return str(value)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Problems in order, each once (a bad grid key fails every variant the same way)."""
    return list(dict.fromkeys(problems))


def variant_scenario(
    loaded: LoadedSweep, base: Loaded[Scenario], plan: VariantPlan
) -> Loaded[Scenario]:
    """The variant's validated scenario; positions point into the base file.

    Raises
    ------
    ConfigError
        Located at the override in the sweep file that made the scenario invalid.
    """
    try:
        return scenario_with_overrides(base, plan.overrides)
    except OverrideError as exc:
        raise _located(loaded.sweep.doc, plan, exc) from None


def _located(sdoc: Document, plan: VariantPlan, exc: OverrideError) -> ConfigError:
    """Problems of a variant, moved onto the sweep key that caused them."""
    out: list[Problem] = []
    for p in exc.problems:
        ov = p.override
        if p.kind == "path":
            where = () if ov is None else ov.where[:-1] if ov.where[0] == "grid" else ov.where
            out.append(sdoc.problem(where, p.message, of_value=False))
            continue
        if ov is None:  # a cross-field check elsewhere in the scenario: name the variant
            where = plan.overrides[0].where if plan.overrides else ()
            msg = f"variant {plan.name}: {p.key_path}: {p.message}"
        elif p.kind == "unknown":
            where = ov.where[:-1] if ov.where[0] == "grid" else ov.where
            line, col = sdoc.position(where, of_value=False)
            out.append(
                Problem(
                    str(sdoc.path),
                    line,
                    col,
                    sdoc.key_path_str(where),
                    f"{p.message} (scenario key path {p.key_path})",
                )
            )
            continue
        else:
            where = ov.where
            msg = p.message if p.key_path == ov.text else f"{p.key_path}: {p.message}"
        line, col = sdoc.position(where, of_value=True)
        out.append(Problem(str(sdoc.path), line, col, sdoc.key_path_str(where), msg))
    return ConfigError(out)


# ---------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------


def run_sweep(
    path: str | Path,
    *,
    out_root: str | Path | None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every variant of a sweep file and write ROOT/sweep-<name>-<id>/.

    Parameters
    ----------
    path : sweep YAML file.
    out_root : output root (``None``: write nothing, return the results only).
    scheduler, workers : run each variant's blocks on Dask (a scheduler address, or a
        local cluster of ``workers`` processes started once for the whole sweep).
    threads : local thread pool size when not on Dask (default: cores).
    progress : ``progress(stage, done, total)``; stage ``"sweep"`` counts variants.

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        The sweep file or any variant's overrides are invalid (checked before any run).

    Examples
    --------
    >>> res = run_sweep("tests/fixtures/sweeps/cuts_by_shift.yaml", out_root=None)
    ... # doctest: +SKIP
    >>> res.dataset.p_touch.sel(level=3.5).values                 # doctest: +SKIP
    """
    import time

    from simulator import api
    from simulator.market import resolve_from_futures
    from simulator.report.rundir import new_run_id, run_folder

    t0 = time.perf_counter()
    loaded = load_sweep(path)
    base_sc = api.load_scenario(loaded.base_path)
    cfg = loaded.sweep.config
    seed = cfg.seed if cfg.seed is not None else base_sc.scenario.config.simulation.seed
    # validate every variant before spending any compute
    scenarios: dict[str, Loaded[Scenario]] = {}
    market_notes: dict[str, str | None] = {}
    problems: list[Problem] = []
    for plan in loaded.plans:
        try:
            scenarios[plan.name], market_notes[plan.name] = resolve_from_futures(
                variant_scenario(loaded, base_sc.scenario, plan)
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(_unique(problems))
    # the dynamics never change across variants: one set of draws for all
    draws = api.parameter_draws(base_sc, seed)
    summaries: dict[str, dict[str, Any]] = {}
    datasets: dict[str, xr.Dataset] = {}
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    total = len(loaded.plans)
    with _cluster(scheduler, workers) as address:
        dask_kw: dict[str, Any] = {"scheduler": address} if address is not None else {}
        for i, plan in enumerate(loaded.plans):
            sc = api.LoadedScenario(
                scenario=scenarios[plan.name],
                priors=base_sc.priors,
                run_priors=base_sc.run_priors,
                notes=list(base_sc.notes),
                market_note=market_notes[plan.name],
            )
            t1 = time.perf_counter()
            try:
                res = api.run(
                    sc, paths=cfg.paths, seed=seed, draws=draws, threads=threads, **dask_kw
                )
            except TypeError:
                raise  # a wiring error (e.g. api.run without Dask options), not a variant's
            except Exception as exc:
                # a variant that cannot run is reported with its error; the others go on
                # (Ctrl-C, a BaseException, still stops the sweep)
                errors[plan.name] = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "sweep %s: variant %s failed: %s", loaded.name, plan.name, exc, exc_info=True
                )
            else:
                summaries[plan.name] = res.summary
                datasets[plan.name] = res.dataset
            timings[plan.name] = time.perf_counter() - t1
            if progress:
                progress("sweep", i + 1, total)
    ds = sweep_dataset(loaded, datasets, errors)
    summary = sweep_summary(loaded, ds, summaries, errors, seed=seed)
    figures = sweep_figures(ds, loaded)
    result = SweepResult(
        name=loaded.name,
        dataset=ds,
        summaries=summaries,
        errors=errors,
        figures=figures,
        summary=summary,
        timings={
            "total_s": time.perf_counter() - t0,
            **{f"variant:{k}": v for k, v in timings.items()},
        },
    )
    if out_root is None:
        return result
    from simulator.report.style import save_figure
    from simulator.report.summary import summary_json_text

    root = Path(out_root)
    run_id = f"sweep-{loaded.name}-{new_run_id(int(seed))}"
    # run_folder builds <parent>/<name>/<id>; parent/name = ROOT gives ROOT/sweep-<id>
    rf = run_folder(root.parent, root.name, run_id)
    with rf as folder:
        (folder / "summary.json").write_text(summary_json_text(summary))
        _sweep_netcdf(ds, folder / "sweep.nc")
        (folder / "sweep.csv").write_text(sweep_table(ds))
        for stem, fig in figures.items():
            save_figure(fig, folder / "figures" / stem)
        run_info = {
            "sweep_file": str(loaded.sweep.path),
            "base_scenario": str(loaded.base_path),
            "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
            "dask": address is not None,
        }
        (folder / "run.json").write_text(json.dumps(run_info, indent=2) + "\n")
    result.folder = rf.final
    return result


@contextmanager
def _cluster(scheduler: str | None, workers: int | None) -> Iterator[str | None]:
    """The scheduler address every variant uses (a local cluster is started once)."""
    from simulator.engine.distributed import _import_distributed, dask_client

    if scheduler is not None and workers is not None:
        raise ValueError("give either a scheduler address or a number of local workers, not both")
    if scheduler is not None:
        _import_distributed()  # fail once, not once per variant
        yield scheduler
    elif workers is not None:
        with dask_client(workers=workers) as client:
            yield str(client.scheduler_info()["address"])
    else:
        yield None


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


def _small(ds: xr.Dataset) -> xr.Dataset:
    """The per-variant answers kept in the sweep dataset."""
    hz = ds.isel(date=-1)
    out = xr.Dataset(
        {
            "p_touch": hz.p_touch.drop_vars("date"),
            "p_touch_se": hz.p_touch_se.drop_vars("date"),
            "p_below_at_horizon": ds.p_below_at_horizon,
            "cut_count_prob": ds.cut_count_prob,
            "y10_at_horizon": hz.y10.drop_vars("date"),
        }
    )
    out["y10_at_horizon"].attrs = {"units": "%", "long_name": "10y quantiles at the horizon"}
    out["p_touch"].attrs = {"units": "1", "long_name": "P(10y touches the level by the horizon)"}
    if "entry_return" in ds:
        out["entry_return"] = hedged_entry_returns(ds)
    return out


def sweep_dataset(
    loaded: LoadedSweep, datasets: dict[str, xr.Dataset], errors: dict[str, str]
) -> xr.Dataset:
    """Concatenate the variants' small outputs along ``variant`` with override coordinates."""
    names = [p.name for p in loaded.plans]
    ok = [n for n in names if n in datasets]
    if ok:
        parts = [_small(datasets[n]).expand_dims(variant=[n]) for n in ok]
        ds = xr.concat(parts, dim="variant", join="outer", fill_value=np.nan)
        ds = ds.reindex(variant=names)
        first = datasets[ok[0]]
        ds.attrs.update(
            {
                k: first.attrs[k]
                for k in ("as_of", "horizon", "paths", "seed", "version", "data_to")
                if k in first.attrs
            }
        )
    else:
        ds = xr.Dataset(coords={"variant": names})
    ds.attrs["sweep"] = loaded.name
    ds.attrs["base_scenario"] = loaded.base_path.name
    ds.attrs["sweep_file"] = loaded.sweep.path.name
    keys = list(dict.fromkeys(o.text for p in loaded.plans for o in p.overrides))
    for key in keys:
        vals = [next((o.value for o in p.overrides if o.text == key), None) for p in loaded.plans]
        ds = ds.assign_coords({key: ("variant", _coord(vals))})
    ds = ds.assign_coords(
        status=("variant", ["failed" if n in errors else "ok" for n in names]),
        error=("variant", [errors.get(n, "") for n in names]),
    )
    return ds


def _coord(values: list[Any]) -> np.ndarray:
    """Numbers stay numbers; anything else (mappings, lists, missing) becomes text."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float)
    return np.asarray(["" if v is None else _short(v) for v in values], dtype=object)


def _touch_level(ds: xr.Dataset) -> float:
    levels = [float(x) for x in ds.level.values] if "level" in ds.coords else []
    return 3.5 if 3.5 in levels else (levels[0] if levels else float("nan"))


def _best_cny(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Best entry month's mean CNY-hedged return per variant, and that month."""
    mean = ds.entry_return.sel(currency="CNY", stat="mean")
    filled = mean.fillna(-np.inf)
    idx = filled.argmax("entry_month")
    best = mean.isel(entry_month=idx)
    month = ds.entry_month.isel(entry_month=idx)
    return best.where(np.isfinite(filled.max("entry_month"))), month


def sweep_summary(
    loaded: LoadedSweep,
    ds: xr.Dataset,
    summaries: dict[str, dict[str, Any]],
    errors: dict[str, str],
    *,
    seed: int,
) -> dict[str, Any]:
    """summary.json of a sweep: per variant its overrides and headline answers."""
    from simulator.report.summary import config_sha256, level_key, round_sig

    cfg = loaded.sweep.config
    variants: dict[str, Any] = {}
    for p in loaded.plans:
        entry: dict[str, Any] = {
            "overrides": {o.text: o.value for o in p.overrides},
            "status": "failed" if p.name in errors else "ok",
        }
        if p.name in errors:
            entry["error"] = errors[p.name]
        else:
            s = summaries[p.name]
            entry["levels"] = {
                k: {"p_touch": v["p_touch"], "p_touch_se": v["p_touch_se"]}
                for k, v in s["levels"].items()
            }
            entry["y10_at_horizon"] = s["y10_at_horizon"]
            if "entry_return" in ds:
                best, month = _best_cny(ds.sel(variant=p.name))
                entry["best_entry_CNY"] = {"month": str(month.values), "mean": float(best)}
        variants[p.name] = entry
    out = {
        "sweep": loaded.name,
        "description": cfg.description,
        "base": loaded.base_path.name,
        "paths": int(ds.attrs.get("paths", cfg.paths or 0)),
        "seed": int(seed),
        "axes": {k: v for k, v in loaded.axes},
        "touch_level": level_key(_touch_level(ds)),
        "variants": variants,
        "failed": sorted(errors),
        "provenance": {
            # the sweep file and its base scenario; each variant is base + its overrides
            "config_sha256": config_sha256(
                loaded.sweep.path.read_text(), loaded.base_path.read_text()
            ),
            "version": next(iter(summaries.values()))["provenance"]["version"]
            if summaries
            else None,
            "priors_file": next(iter(summaries.values()))["provenance"]["priors_file"]
            if summaries
            else None,
        },
    }
    return round_sig(json.loads(json.dumps(out, default=str)))


def sweep_table(ds: xr.Dataset) -> str:
    """CSV text: one row per variant, its overrides and headline answers."""
    override_keys = [
        str(c)
        for c in ds.coords
        if c not in ("variant", "status", "error") and ds.coords[c].dims == ("variant",)
    ]
    level = _touch_level(ds)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = [
        "variant",
        *override_keys,
        "status",
        f"p_touch_{level:g}",
        f"p_touch_{level:g}_se",
        "y10_median_at_horizon",
        "best_entry_month_CNY",
        "best_entry_mean_CNY",
        "error",
    ]
    w.writerow(head)
    has_entry = "entry_return" in ds
    has_touch = "p_touch" in ds
    for v in ds.variant.values:
        sel = ds.sel(variant=v)
        row: list[Any] = [
            v,
            *[_cell(sel.coords[k].values) for k in override_keys],
            str(sel.status.values),
        ]
        if has_touch and str(sel.status.values) == "ok":
            row += [
                _cell(sel.p_touch.sel(level=level).values),
                _cell(sel.p_touch_se.sel(level=level).values),
                _cell(sel.y10_at_horizon.sel(quantile=0.5).values),
            ]
            if has_entry:
                best, month = _best_cny(sel)
                row += [str(month.values), _cell(best.values)]
            else:
                row += ["", ""]
        else:
            row += ["", "", "", "", ""]
        row.append(str(sel.error.values))
        w.writerow(row)
    return buf.getvalue()


def _cell(value: Any) -> str:
    v = value.item() if isinstance(value, np.ndarray) else value
    if isinstance(v, float):
        return "" if not np.isfinite(v) else f"{v:.10g}"
    return str(v)


def _heat_axes(
    ds: xr.Dataset, loaded: LoadedSweep
) -> tuple[list[str], list[str], list[list[str]], str]:
    """Row labels, column labels, variant names per cell, and a note on sliced axes."""
    if len(loaded.axes) >= 2:
        (k0, v0), (k1, v1) = loaded.axes[0], loaded.axes[1]
        rest = loaded.axes[2:]
        fixed = {k: vals[0] for k, vals in rest}
        cells: list[list[str]] = []
        for a in v0:
            row = []
            for b in v1:
                name = next(
                    p.name
                    for p in loaded.plans
                    if {o.text: o.value for o in p.overrides} == {k0: a, k1: b, **fixed}
                )
                row.append(name)
            cells.append(row)
        note = "; ".join(f"{k} = {_short(v)}" for k, v in fixed.items()) if fixed else ""
        return [_short(a) for a in v0], [_short(b) for b in v1], cells, note
    names = [str(v) for v in ds.variant.values]
    if loaded.axes:
        return [""], [_short(v) for v in loaded.axes[0][1]], [names], ""
    return [""], names, [names], ""


def sweep_figures(ds: xr.Dataset, loaded: LoadedSweep) -> dict[str, Figure]:
    """Heatmaps of P(touch) and the best entry month's CNY-hedged mean return.

    Over the first two grid axes (further axes at their first value, said in the
    subtitle); a one-axis grid or explicit variants give a single row.
    """
    from simulator.report.style import (
        fmt_pct,
        memo_figure,
        memo_style,
        percent_axis,
        source_line,
    )

    if "p_touch" not in ds:
        return {}
    level = _touch_level(ds)
    rows, cols, cells, note = _heat_axes(ds, loaded)
    ylab = loaded.axes[0][0] if len(loaded.axes) >= 2 else ""
    xlab = (
        loaded.axes[1][0]
        if len(loaded.axes) >= 2
        else (loaded.axes[0][0] if loaded.axes else "variant")
    )
    panels: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}
    touch = np.array([[float(ds.p_touch.sel(variant=n, level=level)) for n in r] for r in cells])
    panels["sweep_p_touch"] = (
        touch,
        np.array([[fmt_pct(v) for v in r] for r in touch]),
        f"P(10y touches {level:.2f}%) by the horizon",
    )
    if "entry_return" in ds:
        best, month = _best_cny(ds)
        vals = np.array([[float(best.sel(variant=n)) for n in r] for r in cells])
        labels = np.array(
            [
                [
                    f"{fmt_pct(float(best.sel(variant=n)), 1)}\n{month.sel(variant=n).values}"
                    for n in r
                ]
                for r in cells
            ]
        )
        panels["sweep_best_entry_cny"] = (vals, labels, "Best entry month, CNY-hedged mean return")
    attrs = {**ds.attrs, "scenario": f"{ds.attrs.get('base_scenario', '?')} (sweep {loaded.name})"}
    figs: dict[str, Figure] = {}
    for stem, (vals, labels, what) in panels.items():
        finite = vals[np.isfinite(vals)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            title = f"{what}: {fmt_pct(lo, 1)} to {fmt_pct(hi, 1)} across the sweep"
        else:
            title = f"{what}: no variant completed"
        subtitle = f"Sweep {loaded.name} on {loaded.base_path.name}"
        if note:
            subtitle += f"; {note}"
        with memo_style():
            fig, axes = memo_figure(
                title=title,
                subtitle=subtitle,
                source=source_line(attrs),
                height=max(2.6, 1.6 + 0.45 * len(rows)),
            )
            ax = axes[0, 0]
            masked = np.ma.masked_invalid(vals)
            im = ax.imshow(masked, cmap="viridis", aspect="auto")
            for i in range(vals.shape[0]):
                for j in range(vals.shape[1]):
                    v = vals[i, j]
                    text = labels[i, j] if np.isfinite(v) else "failed"
                    bright = np.isfinite(v) and finite.size and v > np.median(finite)
                    ax.text(
                        j,
                        i,
                        text,
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="black" if bright else "white",
                    )
            ax.set_xticks(range(len(cols)), labels=cols)
            ax.set_yticks(range(len(rows)), labels=rows)
            ax.set_xlabel(xlab)
            ax.set_ylabel(ylab)
            ax.grid(False)
            cbar = fig.colorbar(im, ax=ax, shrink=0.9)
            percent_axis(cbar.ax, "y", digits=1)
        figs[stem] = fig
    return figs


def _sweep_netcdf(ds: xr.Dataset, path: Path) -> None:
    """sweep.nc: text coordinates as fixed strings (netCDF has no object type)."""
    out = ds.copy()
    for name in list(out.coords):
        if out.coords[name].dtype == object:
            out = out.assign_coords({name: out.coords[name].astype(str)})
    for k, v in list(out.attrs.items()):
        if isinstance(v, list):
            out.attrs[k] = ", ".join(str(x) for x in v)
    out.to_netcdf(path, engine="h5netcdf")


def iter_variant_scenarios(path: str | Path) -> Iterator[tuple[str, Loaded[Scenario]]]:
    """Each variant's validated scenario (for ``check`` and for tests)."""
    from simulator import api
    from simulator.market import resolve_from_futures

    loaded = load_sweep(path)
    base = api.load_scenario(loaded.base_path)
    for plan in loaded.plans:
        yield plan.name, resolve_from_futures(variant_scenario(loaded, base.scenario, plan))[0]


__all__ = [
    "LoadedSweep",
    "SweepFile",
    "SweepResult",
    "SweepVariant",
    "apply_overrides",
    "iter_variant_scenarios",
    "load_sweep",
    "parse_key_path",
    "run_sweep",
    "sweep_dataset",
    "sweep_figures",
    "sweep_summary",
    "sweep_table",
    "variant_scenario",
]
