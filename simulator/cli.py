"""The ``macrosim`` command line: parse, call :mod:`simulator.api`, print, exit.

Exit codes: 0 ok, 2 bad input, 3 diagnostics failed under ``--strict``, 1 other.
No maths here. Heavy imports (PyMC, xarray, matplotlib) happen inside commands so that
``--help`` stays instant.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

import simulator
from simulator.config.errors import ConfigError

EXIT_OK, EXIT_OTHER, EXIT_BAD_INPUT, EXIT_DIAGNOSTICS = 0, 1, 2, 3

app = typer.Typer(
    name="macrosim",
    help=(
        "Probabilistic macro scenarios for US Treasury yields: P(10y touches a level) and "
        "the hedged return of buying the 10-year by entry month."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,  # plain click help: typer's rich help costs ~0.15 s of imports
)
_state = {"debug": False}


def _examples(*commands: str) -> str:
    """A help epilog listing example commands, one per line (``\\b``: click keeps the lines)."""
    head = "Example:" if len(commands) == 1 else "Examples:"
    return "\b\n" + "\n".join([head, *(f"  {c}" for c in commands)])


class BadInput(Exception):
    """A user error that is not a config file problem (exit 2, message only)."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"macrosim {simulator.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the library's INFO logging.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logging.")
    ] = False,
) -> None:
    _state["debug"] = debug
    # pip-installed PyTensor cannot link a BLAS: harmless here (a small speed cost, measured),
    # and a researcher cannot act on it; hide exactly that warning.
    warnings.filterwarnings(
        "ignore", message="PyTensor could not link to a BLAS", category=UserWarning
    )
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("simulator").setLevel(level)


@app.command(epilog=_examples("macrosim check priors/default.yaml scenarios/baseline.yaml"))
def check(
    files: Annotated[
        list[Path], typer.Argument(help="Priors and scenario YAML files to validate.")
    ],
) -> None:
    """Validate priors and scenario files: one line per problem, exit 0 or 2."""
    from simulator.config import check_files

    problems = check_files(files)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"ok: {len(files)} file(s) valid")


@app.command(epilog=_examples("macrosim schema > docs/schema.json"))
def schema() -> None:
    """Print the JSON Schema of priors and scenario files (for editors)."""
    from simulator.config import json_schema_text

    sys.stdout.write(json_schema_text())


class Grid(StrEnum):
    """Simulation grid."""

    daily = "daily"
    weekly = "weekly"


class Fitter(StrEnum):
    """How the backtest refits the dynamics."""

    laplace = "laplace"
    nuts = "nuts"


class Kernel(StrEnum):
    """Engine kernel: compiled (numba) or the numpy reference."""

    compiled = "compiled"
    numpy = "numpy"


class Sampler(StrEnum):
    """NUTS implementation for fits."""

    nutpie = "nutpie"
    pymc = "pymc"


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A rich progress bar with ETA on stderr for the block; yields its update function
    ``update(stage, done, total)`` (None when quiet). Fit stages print as lines."""
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage.startswith("fit"):
            bar.console.print(stage)
            return
        # "sample: 3 divergences": one task whose label carries the count so far
        key, _, detail = stage.partition(": ")
        label = {
            "simulate": "simulating blocks",
            "sample": "sampling",
            "compile": "engine kernel (compiled once, then cached)",
        }.get(key, key)
        label = f"{label} ({detail})" if detail else label
        if key not in tasks:
            tasks[key] = bar.add_task(label, total=total)
        bar.update(tasks[key], completed=done, total=total, description=label)

    with bar:
        yield update


def _print_answers(summary: dict[str, Any], folder: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = (
        f"{summary['scenario']} (as of {summary['as_of']}, {summary['paths']:,} paths, "
        f"seed {summary['seed']})"
    )
    table = Table(title=title)
    table.add_column("answer")
    table.add_column("value", justify="right")
    for lv, d in summary["levels"].items():
        table.add_row(
            f"P(10y touches {lv}% by {summary['horizon']})",
            f"{d['p_touch']:.1%} ± {d['p_touch_se']:.1%}",
        )
        table.add_row(
            f"P(10y below {lv}% at {summary['horizon']})", f"{d['p_below_at_horizon']:.1%}"
        )
    q = summary["y10_at_horizon"]
    table.add_row(
        "10y at horizon: median (10-90%)", f"{q['0.5']:.2f}% ({q['0.1']:.2f}-{q['0.9']:.2f}%)"
    )
    unhedged = summary.get("best_entry_unhedged", {})
    for cur, b in summary.get("best_entry", {}).items():
        legs = [("unhedged" if cur == "USD" else "hedged", b)]
        legs += [("unhedged", unhedged[cur])] if cur in unhedged else []
        for kind, best in legs:
            table.add_row(
                f"best entry month, {cur} {kind}",
                f"{best['month']}: {best['mean']:+.2%} ± {best['mean_se']:.2%} "
                f"(P(best) {best['p_best']:.0%})",
            )
    console.print(table)
    for w in summary.get("warnings", []):
        console.print(f"[yellow]note:[/yellow] {w}")
    if folder is not None:
        console.print(f"run folder: {folder}")


@app.command(
    epilog=_examples(
        "macrosim run scenarios/baseline.yaml",
        "macrosim run scenarios/baseline.yaml --data ../shared/data --paths 20000",
    )
)
def run(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario YAML file.", exists=True, dir_okay=False)
    ],
    paths: Annotated[
        int | None, typer.Option(min=1, help="Number of paths (default: the scenario's).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed (default: the scenario's).")
    ] = None,
    grid: Annotated[
        Grid | None, typer.Option(help="Simulation grid (default: the scenario's).")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="History folder: fit the dynamics to it.", exists=True, file_okay=False
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Root folder for run folders.")] = Path(
        "outputs"
    ),
    level: Annotated[
        list[float] | None, typer.Option("--level", help="Level(s) of interest, % (repeatable).")
    ] = None,
    sampler: Annotated[
        Sampler, typer.Option(help="NUTS sampler for --data fits.")
    ] = Sampler.nutpie,
    strict: Annotated[bool, typer.Option(help="Exit 3 when fit diagnostics fail.")] = False,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Local thread pool size (default: cores).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local Dask cluster workers.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, tcp://host:8786.")
    ] = None,
    kernel: Annotated[
        Kernel,
        typer.Option(help="Engine kernel: compiled (numba) or the numpy reference (slower)."),
    ] = Kernel.compiled,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Run a scenario and write its run folder: ROOT/<scenario>/<run-id>/."""
    import json

    from simulator import api

    if workers is not None and scheduler is not None:
        raise BadInput("give --workers or --scheduler, not both")
    sc = api.load_scenario(scenario)
    with _progress(quiet or as_json) as update:
        result = api.run(
            sc,
            paths=paths,
            seed=seed,
            data_dir=data,
            grid=grid.value if grid else None,
            levels=level,
            threads=threads,
            progress=update,
            sampler=sampler.value,
            scheduler=scheduler,
            workers=workers,
            kernel=kernel.value,
        )
    folder = api.write_run(result, out)
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2, sort_keys=True) + "\n")
    elif not quiet:
        _print_answers(result.summary, folder)
    diag = result.summary["diagnostics"]
    if strict and diag.get("fitted") and diag.get("problems"):
        typer.echo("diagnostics failed: " + "; ".join(diag["problems"]), err=True)
        raise typer.Exit(EXIT_DIAGNOSTICS)


@app.command(
    epilog=_examples("macrosim compare scenarios/baseline.yaml scenarios/research-view.yaml")
)
def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario YAML files.", exists=True, dir_okay=False)
    ],
    paths: Annotated[int | None, typer.Option(min=1, help="Paths per scenario.")] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="One seed for all (common random numbers).")
    ] = None,
    grid: Annotated[Grid | None, typer.Option(help="Simulation grid.")] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Root folder; writes ROOT/compare-<id>/.")
    ] = Path("outputs"),
    threads: Annotated[int | None, typer.Option(min=1, help="Local thread pool size.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Run several scenarios with common random numbers and compare them side by side."""
    from simulator import api
    from simulator.report import compare_table_md

    loaded = [api.load_scenario(s) for s in scenarios]
    with _progress(quiet) as update:
        results = api.compare(
            loaded,
            paths=paths,
            seed=seed,
            grid=grid.value if grid else None,
            threads=threads,
            progress=update,
        )
    folder = api.write_compare(results, out)
    if not quiet:
        typer.echo(compare_table_md([r.summary for r in results]))
        typer.echo(f"comparison folder: {folder}")


priors_app = typer.Typer(help="Inspect priors files.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(priors_app, name="priors")
data_app = typer.Typer(help="History data.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(data_app, name="data")


@priors_app.command(
    "show",
    epilog=_examples("macrosim priors show priors/default.yaml --scenario scenarios/baseline.yaml"),
)
def priors_show(
    priors: Annotated[Path, typer.Argument(help="Priors YAML file.", exists=True, dir_okay=False)],
    scenario: Annotated[
        Path | None,
        typer.Option(help="Also run this scenario on prior draws.", exists=True, dir_okay=False),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Root folder.")] = Path("outputs"),
    paths: Annotated[int, typer.Option(min=1, help="Paths for the implied fan.")] = 16_384,
) -> None:
    """Draw from the priors alone: each prior's density, the implied 10y fan and cut counts."""
    from simulator import api

    folder = api.priors_show(priors, scenario=scenario, out_root=out, paths=paths)
    typer.echo(f"prior predictive folder: {folder}")


@app.command(epilog=_examples("macrosim fit scenarios/baseline.yaml --data ../shared/data"))
def fit(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario YAML file.", exists=True, dir_okay=False)
    ],
    data: Annotated[
        Path, typer.Option("--data", help="History folder.", exists=True, file_okay=False)
    ],
    export_priors: Annotated[
        Path | None, typer.Option("--export-priors", help="Write the posterior as a priors file.")
    ] = None,
    sampler: Annotated[Sampler, typer.Option(help="NUTS sampler.")] = Sampler.nutpie,
    strict: Annotated[bool, typer.Option(help="Exit 3 when diagnostics fail.")] = False,
) -> None:
    """Fit the dynamics to the history public on the scenario's as-of date (cached)."""
    from simulator import api

    sc = api.load_scenario(scenario)
    res = api.fit(sc, data, sampler=sampler.value, export_priors=export_priors, progress=typer.echo)
    diag = res["diagnostics"]
    typer.echo(
        f"fit: r_hat_max {diag['r_hat_max']:.4f}, ess_bulk_min {diag['ess_bulk_min']:.0f}, "
        f"ess_tail_min {diag['ess_tail_min']:.0f}, divergences {diag['divergences']}, "
        f"tree-depth hits {diag['max_tree_depth_hits']}" + (" (cached)" if res["cache_hit"] else "")
    )
    for name, (prior_mean, post_mean, post_sd) in res["means"].items():
        typer.echo(
            f"  {name:26s} prior mean {prior_mean:8.4f}  posterior {post_mean:8.4f} ± {post_sd:.4f}"
        )
    if export_priors is not None:
        typer.echo(f"calibrated priors written to {export_priors}")
    if res["problems"]:
        for p in res["problems"]:
            typer.echo(f"warning: {p}", err=True)
        if strict:
            raise typer.Exit(EXIT_DIAGNOSTICS)


@data_app.command("fetch", epilog=_examples("macrosim data fetch ./data"))
def data_fetch(
    dest: Annotated[Path, typer.Argument(help="Folder to download the registry's series into.")],
) -> None:
    """Download the registry's series from their public sources (needs the internet)."""
    from simulator.data.fetch import fetch as fetch_series
    from simulator.data.loaders import DataError

    try:
        written = fetch_series(dest)
    except DataError as exc:
        raise BadInput(str(exc)) from None
    for p in written:
        typer.echo(str(p))


@app.command(
    epilog=_examples("macrosim sweep scenarios/sweeps/independence-by-cuts.yaml --workers 2")
)
def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(
            help="Sweep YAML: a base scenario and a grid of overrides.", exists=True, dir_okay=False
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Root folder; writes ROOT/sweep-<name>-<id>/.")
    ] = Path("outputs"),
    threads: Annotated[int | None, typer.Option(min=1, help="Local thread pool size.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local Dask cluster workers.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run every variant of a sweep; heatmaps of P(touch) and best-entry return over the grid."""
    from simulator import api

    if workers is not None and scheduler is not None:
        raise BadInput("give --workers or --scheduler, not both")
    with _progress(quiet) as update:
        res = api.sweep(
            sweep_file,
            out_root=out,
            scheduler=scheduler,
            workers=workers,
            threads=threads,
            progress=update,
        )
    typer.echo(f"sweep folder: {res.folder}")
    for err in res.errors:
        typer.echo(f"variant failed: {err}", err=True)
    if res.errors:
        raise typer.Exit(EXIT_OTHER)


@app.command(
    epilog=_examples(
        "macrosim backtest --data ../shared/data --start 2015-01 --end 2015-12 --keep-origins"
    )
)
def backtest(
    data: Annotated[
        Path, typer.Option("--data", help="History folder.", exists=True, file_okay=False)
    ],
    priors: Annotated[
        Path,
        typer.Option(
            "--priors", help="Priors every refit starts from.", exists=True, dir_okay=False
        ),
    ] = Path("priors/default.yaml"),
    start: Annotated[str, typer.Option(help="First origin month, YYYY-MM.")] = "2000-01",
    end: Annotated[str, typer.Option(help="Last origin month, YYYY-MM.")] = "2024-12",
    horizons: Annotated[
        str, typer.Option(help="Months ahead, comma-separated (1..12).")
    ] = "1,3,6,12",
    every: Annotated[int, typer.Option(min=1, help="Months between origins.")] = 1,
    refit_every: Annotated[
        int, typer.Option("--refit-every", min=1, help="Origins between refits.")
    ] = 12,
    paths: Annotated[int, typer.Option(min=10, help="Paths per origin.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Master seed.")] = 0,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: cores).")] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Root folder; writes ROOT/backtest-<id>/.")
    ] = Path("outputs"),
    fitter: Annotated[
        Fitter,
        typer.Option(
            help="Refits: laplace (an approximation of the posterior, seconds) or nuts "
            "(the sampler macrosim fit uses, minutes each)."
        ),
    ] = Fitter.laplace,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, tcp://host:8786 (workers see --data)."),
    ] = None,
    keep_origins: Annotated[
        bool,
        typer.Option(
            "--keep-origins",
            help="Keep each origin's scenario.yaml, priors.yaml and summary.json under "
            "origins/<YYYY-MM>/: `macrosim run` of one reproduces it.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Rolling-origin backtest of the 10y forecasts against a random walk.

    Each origin is a scenario run by the same engine as `macrosim run`.

    Example: macrosim backtest --data ../shared/data --start 2015-01 --end 2015-12 --keep-origins
    """
    from simulator import api
    from simulator.data.loaders import DataError

    try:
        hs = tuple(int(h) for h in horizons.split(","))
    except ValueError:
        raise BadInput(f"--horizons: expected integers like 1,3,6,12, found {horizons!r}") from None
    with _progress(quiet) as update:
        try:
            res = api.backtest(
                data,
                priors_path=priors,
                start=start,
                end=end,
                horizons=hs,
                every=every,
                paths=paths,
                refit_every=refit_every,
                out_root=out,
                seed=seed,
                workers=workers,
                progress=update,
                fitter=fitter.value,
                scheduler=scheduler,
                keep_origins=keep_origins,
            )
        except (ValueError, DataError) as exc:
            raise BadInput(str(exc)) from None
    if not quiet:
        typer.echo("  h    n  cov80 (p)    cov95   CRPS  RW CRPS  skill    RMSE  RW RMSE   bias")
        for h, sc in res.summary["scores"]["macrosim"].items():
            rw = res.summary["scores"]["random_walk"][h]
            if sc["n"] == 0:
                typer.echo(f"{h:>2}m    0  no realised outcome in the data yet")
                continue
            typer.echo(
                f"{h:>2}m {sc['n']:>4}  {sc['coverage_80']:.2f} ({sc['coverage_80_pvalue']:.2f})"
                f"  {sc['coverage_95']:.2f}  {sc['crps']:.3f}    {rw['crps']:.3f}"
                f" {res.summary['skill'][h]:+.3f}   {sc['rmse']:.3f}    {rw['rmse']:.3f}"
                f" {sc['bias']:+.3f}"
            )
        typer.echo("(p: overlap-aware HAC p-value; skill: 1 - CRPS / random-walk CRPS)")
        typer.echo(f"backtest folder: {res.folder}")


@app.command(
    epilog=_examples(
        "macrosim market strip.csv --as-of 2026-01-20 --scenario scenarios/baseline.yaml"
    )
)
def market(
    futures: Annotated[
        Path,
        typer.Argument(
            help="30-day fed funds futures CSV: columns contract_month (YYYY-MM), price.",
            exists=True,
            dir_okay=False,
        ),
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="Price the meetings after this date.")],
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="Scenario: its target range, window and max moves per meeting.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    spread_bp: Annotated[
        float | None,
        typer.Option(
            "--spread-bp", min=-50, max=50, help="Effective rate minus target midpoint, bp."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="History folder: the spread from 20 business days of DFF.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the probabilities as JSON.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a copy of --scenario with this market block."),
    ] = None,
    figure: Annotated[
        Path | None,
        typer.Option("--figure", help="Write the FedWatch-style figure to FIGURE.png/.svg."),
    ] = None,
) -> None:
    """What the futures strip prices: per-meeting probabilities and the market: block."""
    import json

    from simulator import market as mk

    try:
        res = mk.price_strip_file(
            futures, as_of, scenario=scenario, spread_bp=spread_bp, data_dir=data, out=out
        )
        if out is not None and scenario is not None:
            mk.write_scenario_copy(scenario, out, res, futures)
    except (ConfigError, mk.DataError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if figure is not None:
        mk.write_figure(res, figure, futures)
    if as_json:
        sys.stdout.write(json.dumps(res.to_json(), indent=2) + "\n")
        return
    typer.echo(mk.header_line(res, futures))
    typer.echo(res.table())
    typer.echo(
        f"Fitted meeting weights (max_moves_per_meeting {res.max_per_meeting}) reproduce the "
        f"per-meeting probabilities within {res.misfit:.2g}."
    )
    typer.echo(
        f"written: {out}" if out is not None else "\n" + mk.block_yaml(res), nl=out is not None
    )


def main() -> None:
    """Console entry point: map known errors to exit codes and one clean message."""
    try:
        code = app(standalone_mode=False)
    except ConfigError as exc:
        _fail(exc, EXIT_BAD_INPUT)
    except BadInput as exc:
        _fail(exc, EXIT_BAD_INPUT)
    except ImportError as exc:
        dask_missing = type(exc).__name__ == "DaskUnavailableError"
        _fail(
            exc,
            EXIT_BAD_INPUT if dask_missing else EXIT_OTHER,
            prefix="" if dask_missing else "error: ",
        )
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(EXIT_OTHER)
    except Exception as exc:
        # typer vendors click: recognise its usage errors by their interface
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            usage = any(c.__name__ == "UsageError" for c in type(exc).__mro__)
            sys.exit(EXIT_BAD_INPUT if usage else EXIT_OTHER)
        _fail(exc, EXIT_OTHER, prefix=f"error ({type(exc).__name__}): ")
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _fail(exc: BaseException, code: int, prefix: str = "") -> None:
    if _state["debug"]:
        import traceback

        traceback.print_exception(exc)
    typer.echo(f"{prefix}{exc}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
