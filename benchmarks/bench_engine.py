"""Engine benchmark: the full model with every answer vs drawing the normals alone.

Usage::

    .venv/bin/python benchmarks/bench_engine.py [--paths 1000000] [--peers-paths 20000]

Prints, side by side in one run (ratios are what to compare on a noisy machine):
the engine's time (one thread, daily grid, 2026) against the floor (the same count of
standard normals drawn in the same 8192-path blocks), peak memory of each measured in a
fresh subprocess (ru_maxrss), and path-steps per second against QuantLib's
GaussianPathGenerator (Hull-White) and pyesg's OrnsteinUhlenbeckProcess.scenarios on
processes of equal shape. Last line::

    engine: floor_ratio=<x> peak_mb=<y> quantlib_speedup=<z> pyesg_speedup=<w>
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
SCENARIO = REPO / "scenarios" / "baseline.yaml"


def _engine(paths: int) -> dict[str, float]:
    from simulator import api
    from simulator.engine.aggregate import finalize
    from simulator.engine.run import run_blocks
    from simulator.engine.setup import build_spec

    sc = api.load_scenario(SCENARIO)
    spec = build_spec(sc.scenario, api.parameter_draws(sc, 1), paths=paths, seed=1, grid="daily")
    t = time.perf_counter()
    acc = run_blocks(spec, threads=1)
    finalize(spec, acc, attrs={})
    elapsed = time.perf_counter() - t
    return {"seconds": elapsed, "steps": float(len(spec.grid) - 1)}


def _floor(paths: int, steps: int) -> dict[str, float]:
    import numpy as np

    from simulator.engine.setup import BLOCK_SIZE

    t = time.perf_counter()
    for b in range(-(-paths // BLOCK_SIZE)):
        n = min(BLOCK_SIZE, paths - b * BLOCK_SIZE)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1, spawn_key=(b, 2))))
        rng.standard_normal((steps, n))
    return {"seconds": time.perf_counter() - t}


def _quantlib(paths: int, steps: int) -> dict[str, float]:
    import QuantLib as ql

    curve = ql.YieldTermStructureHandle(ql.FlatForward(0, ql.TARGET(), 0.04, ql.Actual365Fixed()))
    process = ql.HullWhiteProcess(curve, 0.1, 0.01)
    rsg = ql.GaussianRandomSequenceGenerator(
        ql.UniformRandomSequenceGenerator(steps, ql.UniformRandomGenerator(42))
    )
    gen = ql.GaussianPathGenerator(process, 1.0, steps, rsg, False)
    t = time.perf_counter()
    for _ in range(paths):
        gen.next()
    return {"seconds": time.perf_counter() - t}


def _pyesg(paths: int, steps: int) -> dict[str, float]:
    import pyesg

    ou = pyesg.OrnsteinUhlenbeckProcess(mu=0.04, sigma=0.01, theta=0.1)
    t = time.perf_counter()
    ou.scenarios(0.04, 1.0 / 252, paths, steps, random_state=42)
    return {"seconds": time.perf_counter() - t}


def _child(kind: str, paths: int, steps: int) -> dict[str, float]:
    fn = {"engine": _engine, "floor": _floor, "quantlib": _quantlib, "pyesg": _pyesg}[kind]
    out = fn(paths) if kind == "engine" else fn(paths, steps)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _measure(kind: str, paths: int, steps: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, "--paths", str(paths), "--steps", str(steps)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--peers-paths", type=int, default=20_000)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.paths, args.steps)))
        return
    eng = _measure("engine", args.paths, 0)
    steps = int(eng["steps"])
    flo = _measure("floor", args.paths, steps)
    base = _measure("floor", 0, steps)  # interpreter + numpy baseline memory
    ql = _measure("quantlib", args.peers_paths, steps)
    pe = _measure("pyesg", args.peers_paths, steps)
    ps = args.paths * steps
    eng_rate = ps / eng["seconds"]
    ql_rate = args.peers_paths * steps / ql["seconds"]
    pe_rate = args.peers_paths * steps / pe["seconds"]
    print(f"paths={args.paths:,} steps={steps} (daily grid, one thread)")
    flo_rate = ps / flo["seconds"]
    print(
        f"engine : {eng['seconds']:8.2f} s  {eng_rate / 1e6:7.1f} M path-steps/s  "
        f"peak {eng['peak_mb']:.0f} MB"
    )
    print(
        f"floor  : {flo['seconds']:8.2f} s  {flo_rate / 1e6:7.1f} M normals/s       "
        f"peak {flo['peak_mb']:.0f} MB"
    )
    print(f"python+numpy baseline peak {base['peak_mb']:.0f} MB")
    print(f"QuantLib GaussianPathGenerator (Hull-White): {ql_rate / 1e6:.2f} M path-steps/s")
    print(f"pyesg OrnsteinUhlenbeckProcess.scenarios:    {pe_rate / 1e6:.2f} M path-steps/s")
    print(
        f"engine: floor_ratio={eng['seconds'] / flo['seconds']:.2f} peak_mb={eng['peak_mb']:.0f} "
        f"quantlib_speedup={eng_rate / ql_rate:.1f} pyesg_speedup={eng_rate / pe_rate:.1f}"
    )


if __name__ == "__main__":
    main()
