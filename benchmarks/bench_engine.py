"""Engine benchmark: the full model with every answer vs drawing the normals alone.

Usage::

    .venv/bin/python benchmarks/bench_engine.py [--paths 1000000] [--peers-paths 20000]

Prints, side by side in one run (ratios are what to compare on a noisy machine):
the engine's time (one thread, daily grid, 2026) against the floor (the same count of
standard normals drawn in the same 8192-path blocks), peak memory of each measured in a
fresh subprocess (ru_maxrss), and path-steps per second against QuantLib's
GaussianPathGenerator (Hull-White) and pyesg's OrnsteinUhlenbeckProcess.scenarios on
processes of equal shape. The floor draws as many normals per path as the engine does
(one per step for the term premium, two per step for the neutral-rate and TP-mean walks
when they move, one per month end for inflation), from the same per-block streams.
Then the compiled kernel's thread scaling (two threads vs one), its cold compile (an
empty numba cache) and its load from the on-disk cache, each in a fresh process.
Last lines::

    engine: floor_ratio=<x> peak_mb=<y> quantlib_speedup=<z> pyesg_speedup=<w>
    engine_threads: speedup_2=<t1/t2> compile_s=<cold> cached_load_s=<warm>
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "baseline.yaml"


def _spec(paths: int, kernel: str = "compiled"):  # type: ignore[no-untyped-def]
    from simulator import api
    from simulator.engine.setup import build_spec

    sc = api.load_scenario(SCENARIO)
    draws = api.parameter_draws(sc, 1)
    return build_spec(sc.scenario, draws, paths=paths, seed=1, grid="daily", kernel=kernel)


def _engine(paths: int, threads: int = 1, kernel: str = "compiled") -> dict[str, float]:
    from simulator.engine.aggregate import finalize
    from simulator.engine.block import warm_up
    from simulator.engine.run import run_blocks
    from simulator.engine.shocks import walks_move

    spec = _spec(paths, kernel)
    compile_s = warm_up(spec)
    t = time.perf_counter()
    acc = run_blocks(spec, threads=threads)
    finalize(spec, acc, attrs={})
    elapsed = time.perf_counter() - t
    walks = walks_move(spec, np.arange(spec.draws.n))
    normals = (len(spec.grid) - 1) * (3 if walks else 1) + len(spec.month_end_at)
    return {
        "seconds": elapsed,
        "compile_s": compile_s,
        "normals": float(normals),
        "steps": float(len(spec.grid) - 1),
    }


def _floor(paths: int, normals: int) -> dict[str, float]:
    from simulator.engine.setup import BLOCK_SIZE, STREAM_TP

    t = time.perf_counter()
    for b in range(-(-paths // BLOCK_SIZE)):
        n = min(BLOCK_SIZE, paths - b * BLOCK_SIZE)
        seq = np.random.SeedSequence(1, spawn_key=(b, STREAM_TP))
        np.random.Generator(np.random.PCG64(seq)).standard_normal((normals, n))
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


def _stages(paths: int, steps: int) -> dict[str, float]:
    """Seconds per stage of a block, summed over the blocks of ``paths`` (one thread)."""
    from simulator.engine.block import block_aggregates, run_kernel, strategy_aggregates, warm_up
    from simulator.engine.kernel import prepare_inputs
    from simulator.engine.shocks import draw_shocks

    spec = _spec(paths)
    warm_up(spec)
    out = dict.fromkeys(("shocks", "prepare", "kernel", "strategies", "block_total"), 0.0)
    for b in range(spec.n_blocks):
        t0 = time.perf_counter()
        shocks = draw_shocks(spec, b)
        t1 = time.perf_counter()
        inp = prepare_inputs(spec, shocks)
        t2 = time.perf_counter()
        agg = run_kernel(inp)
        t3 = time.perf_counter()
        strategy_aggregates(spec, agg)
        t4 = time.perf_counter()
        block_aggregates(spec, b, shocks)
        t5 = time.perf_counter()
        for k, dt in zip(out, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4 + t1 - t0), strict=True):
            out[k] += dt
    return out


def _compile(paths: int, steps: int) -> dict[str, float]:
    from simulator.engine.block import warm_up

    return {"seconds": warm_up(_spec(64))}


def _child(kind: str, paths: int, steps: int) -> dict[str, float]:
    if kind.startswith("engine"):  # engine, engine-2 (two threads), engine-numpy
        threads = 2 if kind == "engine-2" else 1
        out = _engine(paths, threads, "numpy" if kind == "engine-numpy" else "compiled")
    else:
        fn = {
            "floor": _floor,
            "quantlib": _quantlib,
            "pyesg": _pyesg,
            "compile": _compile,
            "stages": _stages,
        }[kind]
        out = fn(paths, steps)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _measure(
    kind: str, paths: int, steps: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, "--paths", str(paths), "--steps", str(steps)]
    res = subprocess.run(
        cmd, capture_output=True, text=True, check=True, cwd=REPO, env={**os.environ, **(env or {})}
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def _threads_and_compile(paths: int) -> str:
    """Two threads vs one on the compiled kernel; cold compile and cached load."""
    one = _measure("engine", paths, 0)
    two = _measure("engine-2", paths, 0)
    with tempfile.TemporaryDirectory() as cache:
        cold = _measure("compile", 0, 0, {"NUMBA_CACHE_DIR": cache})
        warm = _measure("compile", 0, 0, {"NUMBA_CACHE_DIR": cache})
    return (
        f"engine_threads: speedup_2={one['seconds'] / two['seconds']:.2f} "
        f"compile_s={cold['seconds']:.1f} cached_load_s={warm['seconds']:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--peers-paths", type=int, default=20_000)
    ap.add_argument("--numpy-paths", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.paths, args.steps)))
        return
    eng = _measure("engine", args.paths, 0)
    steps = int(eng["steps"])
    flo = _measure("floor", args.paths, int(eng["normals"]))
    base = _measure("floor", 0, steps)  # interpreter + numpy baseline memory
    ref = _measure("engine-numpy", args.numpy_paths, 0)
    ql = _measure("quantlib", args.peers_paths, steps)
    pe = _measure("pyesg", args.peers_paths, steps)
    ps = args.paths * steps
    eng_rate = ps / eng["seconds"]
    ql_rate = args.peers_paths * steps / ql["seconds"]
    pe_rate = args.peers_paths * steps / pe["seconds"]
    print(
        f"paths={args.paths:,} steps={steps} normals/path={int(eng['normals'])} "
        "(daily grid, one thread)"
    )
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
    ref_rate = args.numpy_paths * steps / ref["seconds"]
    print(
        f"numpy reference kernel ({args.numpy_paths:,} paths): {ref_rate / 1e6:7.1f} M path-steps/s"
        f" -> compiled is {eng_rate / ref_rate:.1f}x"
    )
    print(f"QuantLib GaussianPathGenerator (Hull-White): {ql_rate / 1e6:.2f} M path-steps/s")
    print(f"pyesg OrnsteinUhlenbeckProcess.scenarios:    {pe_rate / 1e6:.2f} M path-steps/s")
    print(
        f"engine: floor_ratio={eng['seconds'] / flo['seconds']:.2f} peak_mb={eng['peak_mb']:.0f} "
        f"quantlib_speedup={eng_rate / ql_rate:.1f} pyesg_speedup={eng_rate / pe_rate:.1f}"
    )
    st = _measure("stages", args.numpy_paths, 0)
    total = st.pop("block_total")
    st.pop("peak_mb")
    print(
        "profile (share of a block, one thread): "
        + " ".join(f"{k}={v / total:.0%}" for k, v in st.items())
        + f" other={1 - sum(st.values()) / total:.0%}"
    )
    print(_threads_and_compile(args.paths))


if __name__ == "__main__":
    main()
