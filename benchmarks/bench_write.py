"""Write-a-run-folder benchmark: where ``api.write_run`` spends its time, stage by stage.

Usage::

    .venv/bin/python benchmarks/bench_write.py [--paths 20000] [--data DIR] [--against REV]

One run of the baseline scenario (offline, or fitted from the fit cache with ``--data``),
then, in the same process:

- ``write_run``: the real call into a fresh folder (the first drawing of the process,
  as in ``macrosim run``), wall and CPU seconds;
- the same work stage by stage (summary.json, results.nc, each figure's build, PNG and
  SVG, tables, summary.md, posterior.nc, fit_check), each written serially;
- peak memory (``ru_maxrss``).

With ``--against REV`` the measurement also runs on the package as it was at git
revision REV (extracted to a temporary folder), alternating old and new ``--repeat``
times in fresh processes, and prints new/old ratios of the medians: on a shared machine
the ratios are the numbers to read. CPU seconds (this process and its figure workers)
are less disturbed by other jobs than wall seconds; figures drawn in parallel gain in
wall seconds only. Last line::

    write: write_run_s=<wall> cpu_s=<cpu> [wall_ratio=<new/old> cpu_ratio=<new/old>]
           peak_mb=<this process> worker_peak_mb=<largest worker> fitted=<0|1>
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "baseline.yaml"


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the figure workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


@contextmanager
def _clock(out: dict[str, list[float]], name: str) -> Iterator[None]:
    """Add (wall, cpu) seconds of the block to ``out[name]``."""
    w, c = time.perf_counter(), _cpu()
    yield
    out[name] = [time.perf_counter() - w, _cpu() - c]


def _timed_savefig(fig: Any, out: dict[str, list[float]], name: str) -> None:
    """Record each ``fig.savefig`` call under ``<name>.<format>``."""
    real: Callable[..., Any] = fig.savefig

    def savefig(fname: Any, *args: Any, **kwargs: Any) -> Any:
        with _clock(out, f"{name}.{kwargs.get('format') or Path(str(fname)).suffix[1:]}"):
            return real(fname, *args, **kwargs)

    fig.savefig = savefig


def measure(paths: int, data: str | None) -> dict[str, Any]:
    """Run the baseline once, then time write_run and its stages in this process."""
    import xarray as xr

    from simulator import api
    from simulator.report import render_summary_md, write_tables
    from simulator.report.figures import FIGURES, posterior_densities
    from simulator.report.style import save_figure
    from simulator.report.summary import summary_json_text

    result = api.run(SCENARIO, paths=paths, data_dir=data)
    ds = result.dataset
    stages: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with _clock(stages, "write_run"):
            api.write_run(result, Path(tmp) / "whole")
        folder = Path(tmp) / "stages"
        (folder / "figures").mkdir(parents=True)
        with _clock(stages, "summary.json"):
            (folder / "summary.json").write_text(summary_json_text(result.summary))
        with _clock(stages, "results.nc"):
            ds.to_netcdf(folder / "results.nc", engine="h5netcdf")
        pairs = api._posterior_pairs(result)
        builders: dict[str, Callable[[], Any]] = {
            n: (lambda f=f: f(ds)) for n, f in FIGURES.items()
        }
        if pairs is not None and int(ds.attrs.get("fitted", 0)):
            builders["posterior_densities"] = lambda: posterior_densities(pairs, ds=ds)
        pngs = {}
        for name, build in builders.items():
            with _clock(stages, f"{name}.build"):
                fig = build()
            _timed_savefig(fig, stages, name)
            pngs[name] = save_figure(fig, folder / "figures" / name)[0].relative_to(folder)
        with _clock(stages, "tables"):
            write_tables(ds, folder / "tables")
        with _clock(stages, "summary.md"):
            text = render_summary_md(result.summary, ds, pngs, base=folder)
            (folder / "summary.md").write_text(text)
        post = result.posterior
        if post is not None and getattr(post, "posterior_file", None) is not None:
            with _clock(stages, "posterior.nc"):
                shutil.copyfile(post.posterior_file, folder / "posterior.nc")
        if post is not None and result.fit_history is not None:
            from simulator.report.figures import fit_check

            ppc_file = Path(post.posterior_file).with_name("fit_check.nc")
            if ppc_file.is_file():
                ppc = xr.load_dataset(ppc_file, engine="h5netcdf")
                with _clock(stages, "fit_check.build"):
                    fig = fit_check(ppc, ds.attrs)
                _timed_savefig(fig, stages, "fit_check")
                save_figure(fig, folder / "figures" / "fit_check")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "stages": stages,
        "peak_mb": peak_mb,
        "worker_peak_mb": child_mb,
        "fitted": int(ds.attrs.get("fitted", 0)),
    }


def _child(tree: Path, paths: int, data: str | None) -> dict[str, Any]:
    """:func:`measure` in a fresh process importing ``simulator`` from ``tree``."""
    args = [sys.executable, __file__, "--child", "--paths", str(paths)]
    if data:
        args += ["--data", data]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _median_stages(runs: list[dict[str, Any]]) -> dict[str, list[float]]:
    names = runs[0]["stages"]
    return {n: [statistics.median(r["stages"][n][k] for r in runs) for k in (0, 1)] for n in names}


def _summary_rows(stages: dict[str, list[float]]) -> dict[str, list[float]]:
    """Per-stage rows plus the figure totals (build, png, svg) summed over figures."""
    rows = dict(stages)
    for part in ("build", "png", "svg"):
        keys = [k for k in stages if k.endswith(f".{part}")]
        rows[f"all figures .{part}"] = [sum(stages[k][i] for k in keys) for i in (0, 1)]
    parts = [k for k in stages if k != "write_run"]
    rows["sum of stages"] = [sum(stages[k][i] for k in parts) for i in (0, 1)]
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=20000)
    p.add_argument("--data", default=None, help="data folder: a fitted run (fit cache)")
    p.add_argument("--against", default=None, help="git revision to compare with")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(measure(a.paths, a.data)))
        return
    trees = {"new": REPO}
    with tempfile.TemporaryDirectory() as old_tree:
        if a.against:
            archive = subprocess.run(
                ["git", "archive", a.against, "simulator"],
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", old_tree], input=archive.stdout, check=True)
            trees = {"old": Path(old_tree), "new": REPO}
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in trees}
        for _ in range(a.repeat if a.against else 1):
            for key, tree in trees.items():
                runs[key].append(_child(tree, a.paths, a.data))
    med = {k: _summary_rows(_median_stages(v)) for k, v in runs.items()}
    new = med["new"]
    print(
        f"{'stage':32s} {'wall s':>8s} {'cpu s':>8s}"
        + ("  old wall  old cpu  new/old wall  new/old cpu" if "old" in med else "")
    )
    for name, (w, c) in new.items():
        line = f"{name:32s} {w:8.3f} {c:8.3f}"
        if "old" in med and name in med["old"]:
            ow, oc = med["old"][name]
            rw = w / ow if ow else float("nan")
            rc = c / oc if oc else float("nan")
            line += f"  {ow:8.3f} {oc:8.3f}  {rw:12.2f}  {rc:11.2f}"
        print(line)
    peak = max(r["peak_mb"] for r in runs["new"])
    tail = f"write: write_run_s={new['write_run'][0]:.2f} cpu_s={new['write_run'][1]:.2f}"
    if "old" in med:
        wall_ratio = new["write_run"][0] / med["old"]["write_run"][0]
        cpu_ratio = new["write_run"][1] / med["old"]["write_run"][1]
        tail += f" wall_ratio={wall_ratio:.2f} cpu_ratio={cpu_ratio:.2f} (medians of {a.repeat})"
        tail += f" old_peak_mb={max(r['peak_mb'] for r in runs['old']):.0f}"
    worker = max(r.get("worker_peak_mb", 0.0) for r in runs["new"])
    print(
        f"{tail} peak_mb={peak:.0f} worker_peak_mb={worker:.0f} fitted={runs['new'][0]['fitted']}"
    )


if __name__ == "__main__":
    main()
