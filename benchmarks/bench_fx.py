"""FX benchmark: the same run with and without an fx leg, side by side (issue 14's target:
a run with FX takes no more than 1.2x the time of the same run without it).

Usage::

    .venv/bin/python benchmarks/bench_fx.py [--paths 200000] [--repeats 3] [--legs CNY]

One thread, daily grid, research-view.yaml as shipped (its dynamics, its seed), with no
fx block vs an fx block for each of ``--legs`` (zero drift; the dynamics from the priors
file). Times the engine (stage 1-3 over all blocks, then the results Dataset) after the
kernels are compiled, alternating the two runs ``--repeats`` times and keeping each
one's fastest; peak memory (ru_maxrss) of each in a fresh subprocess. Last line::

    fx: ratio=<with / without> without_s=<t0> with_s=<t1> peak_mb_without=<m0> peak_mb_with=<m1>
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "research-view.yaml"


def _spec(paths: int, legs: list[str]):  # type: ignore[no-untyped-def]
    from simulator import api
    from simulator.engine.setup import build_spec

    sc = api.load_scenario(SCENARIO)
    sc = api.with_overrides(
        sc,
        {
            "fx": {
                cur: {"spot": {"value": 7.0, "source": "benchmark", "date": "2026-01-20"}}
                for cur in legs
            }
        },
    )
    seed = sc.scenario.config.simulation.seed
    return build_spec(
        sc.scenario,
        api.parameter_draws(sc, seed),
        paths=paths,
        seed=seed,
        grid="daily",
        fx_seasonal=sc.run_priors.config.fx_seasonal,
    )


def _time(paths: int, legs: list[str]) -> float:
    from simulator.engine.aggregate import finalize
    from simulator.engine.block import warm_up
    from simulator.engine.run import run_blocks

    spec = _spec(paths, legs)
    warm_up(spec)
    t = time.perf_counter()
    finalize(spec, run_blocks(spec, threads=1), attrs={})
    return time.perf_counter() - t


def _peak_mb(paths: int, legs: list[str]) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--paths", str(paths), "--one", ",".join(legs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["peak_mb"])


def main() -> None:
    """Parse arguments, time both runs, print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--legs", default="CNY", help="comma-separated fx legs, e.g. CNY,EUR,JPY")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:  # a fresh process: run once, report peak memory
        _time(args.paths, [c for c in args.one.split(",") if c])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps({"peak_mb": peak}))
        return
    legs = [c for c in args.legs.split(",") if c]
    without, with_fx = [], []
    for _ in range(args.repeats):
        without.append(_time(args.paths, []))
        with_fx.append(_time(args.paths, legs))
    t0, t1 = min(without), min(with_fx)
    m0, m1 = _peak_mb(args.paths, []), _peak_mb(args.paths, legs)
    print(f"paths={args.paths} legs={','.join(legs)} repeats={args.repeats}")
    print(f"without fx: {t0:.2f}s  (runs: {', '.join(f'{t:.2f}' for t in without)})")
    print(f"with fx:    {t1:.2f}s  (runs: {', '.join(f'{t:.2f}' for t in with_fx)})")
    print(
        f"fx: ratio={t1 / t0:.3f} without_s={t0:.2f} with_s={t1:.2f} "
        f"peak_mb_without={m0:.0f} peak_mb_with={m1:.0f}"
    )


if __name__ == "__main__":
    main()
