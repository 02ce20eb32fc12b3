"""Distributed benchmark: serial vs a local Dask cluster, a 24-variant sweep, and a
projection to 1B paths on 100 workers.

    .venv/bin/python benchmarks/bench_distributed.py                 # 10M paths
    .venv/bin/python benchmarks/bench_distributed.py --paths 1000000  # a busy machine

Prints the measured per-block cost, the Dask overhead per task, the size of an
Accumulator on the wire and per-worker memory, then the projection.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
import zlib
from pathlib import Path

from simulator import api
from simulator.engine.distributed import dask_client, run_blocks_dask, simulate_blocks
from simulator.engine.run import run_blocks
from simulator.engine.setup import build_spec
from simulator.sweep import run_sweep

REPO = Path(__file__).resolve().parents[1]
SWEEP = """\
base: {base}
grid:
  view.cut_count:
    - {{1: 1.0}}
    - {{2: 1.0}}
    - {{3: 1.0}}
    - {{4: 1.0}}
  adjustments.neutral_rate_shift_pp: [0.0, -0.25, -0.5]
  adjustments.term_premium_mean_shift_pp: [0.0, 0.25]
paths: {paths}
seed: 3
"""


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=10_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--blocks-per-task", type=int, default=4)
    ap.add_argument("--sweep-paths", type=int, default=8192)
    ap.add_argument("--target-paths", type=float, default=1e9)
    ap.add_argument("--target-workers", type=int, default=100)
    args = ap.parse_args()

    sc = api.load_scenario(REPO / "scenarios" / "baseline.yaml")
    spec = build_spec(sc.scenario, api.parameter_draws(sc, 1), paths=args.paths, seed=1)
    n_blocks = spec.n_blocks
    print(f"baseline, {args.paths:,} paths = {n_blocks} blocks, grid {len(spec.grid)} dates")
    print(f"spec (scattered once): {len(pickle.dumps(spec)) / 1e6:.2f} MB pickled")

    t = time.perf_counter()
    serial = run_blocks(spec, threads=1)
    t_serial = time.perf_counter() - t
    per_block = t_serial / n_blocks
    print(f"serial threads=1: {t_serial:.1f} s ({per_block:.3f} s per block)")

    t = time.perf_counter()
    part = simulate_blocks(spec, range(min(args.blocks_per_task, n_blocks)))
    raw = pickle.dumps(part, protocol=5)
    t_one = time.perf_counter() - t
    print(
        f"one task's Accumulator ({len(part.floats)} blocks): {len(raw) / 1e6:.1f} MB pickled, "
        f"{len(zlib.compress(raw, 1)) / 1e6:.2f} MB zlib-1 ({t_one:.1f} s to compute)"
    )
    t = time.perf_counter()
    for _ in range(5):
        pickle.loads(raw).merge(pickle.loads(raw))
    client_cost = (time.perf_counter() - t) / 5
    print(f"client: unpickle + merge of one task result {client_cost * 1e3:.0f} ms")

    t = time.perf_counter()
    with dask_client(workers=args.workers) as client:
        t_start = time.perf_counter() - t
        t = time.perf_counter()
        acc = run_blocks_dask(spec, client=client, blocks_per_task=args.blocks_per_task)
        t_dask = time.perf_counter() - t
        mem = client.run(_rss_mb)
    assert acc.n == serial.n and all((acc.ints[k] == serial.ints[k]).all() for k in acc.ints)
    n_tasks = -(-n_blocks // args.blocks_per_task)
    ideal = t_serial / args.workers
    overhead_task = max(t_dask * args.workers - t_serial, 0.0) / n_tasks
    print(
        f"dask {args.workers} workers: cluster start {t_start:.1f} s, run {t_dask:.1f} s, "
        f"speed-up {t_serial / t_dask:.2f}x (ideal {args.workers}x, {ideal:.1f} s); "
        f"overhead {overhead_task:.2f} worker-s per task of {args.blocks_per_task} blocks"
    )
    print("worker RSS after the run: " + ", ".join(f"{v:.0f} MB" for v in mem.values()))
    print("identical to serial: ints and per-block floats equal")

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "sweep24.yaml"
        f.write_text(
            SWEEP.format(base=REPO / "scenarios" / "baseline.yaml", paths=args.sweep_paths)
        )
        t = time.perf_counter()
        res = run_sweep(f, out_root=Path(tmp) / "out", threads=1)
        t_sweep = time.perf_counter() - t
    print(
        f"sweep of {res.dataset.sizes['variant']} variants x {args.sweep_paths:,} paths "
        f"(threads=1, with outputs): {t_sweep:.1f} s, failed {len(res.errors)}"
    )

    blocks = -(-int(args.target_paths) // 8192)
    tasks = -(-blocks // args.blocks_per_task)
    w = args.target_workers
    compute = blocks * per_block / w
    worker_side = tasks * overhead_task / w
    client_side = tasks * client_cost
    wire_gb = tasks * len(raw) / 1e9
    print(
        f"projection {args.target_paths:.0e} paths on {w} workers ({blocks:,} blocks, "
        f"{tasks:,} tasks of {args.blocks_per_task}): compute {compute / 60:.1f} min + "
        f"worker overhead {worker_side / 60:.1f} min; client merge {client_side / 60:.1f} min "
        f"(runs alongside); wall ~{max(compute + worker_side, client_side) / 60:.1f} min; "
        f"{wire_gb:,.0f} GB of Accumulators to the client"
    )


if __name__ == "__main__":
    main()
