"""Backtest benchmark: 300 monthly origins x horizons 1/3/6/12, timed, with every score.

    nice -n 10 .venv/bin/python benchmarks/bench_backtest.py                # production model
    nice -n 10 .venv/bin/python benchmarks/bench_backtest.py --no-acm       # ablation
    nice -n 10 .venv/bin/python benchmarks/bench_backtest.py --fitter nuts --refit-every 60
    nice -n 10 .venv/bin/python benchmarks/bench_backtest.py --out outputs      # write the folder

Prints the wall time by stage and the scores of macrosim and the random walk at each
horizon, against the bar of issue #6.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from simulator.backtest import ForecastOptions, run_backtest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DATA", REPO.parent / "shared" / "data"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--start", default="2000-01")
    ap.add_argument("--end", default="2024-12")
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--refit-every", type=int, default=12)
    ap.add_argument("--fitter", choices=["laplace", "nuts"], default="laplace")
    ap.add_argument("--no-acm", action="store_true", help="ablation: fit without ACM")
    ap.add_argument("--seed", type=int, default=0, help="master seed")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    options = ForecastOptions(fitter=args.fitter, use_acm=not args.no_acm)
    t0 = time.perf_counter()
    res = run_backtest(
        args.data,
        priors_path=REPO / "priors" / "default.yaml",
        start=args.start,
        end=args.end,
        paths=args.paths,
        refit_every=args.refit_every,
        workers=args.workers,
        out_root=args.out,
        options=options,
        seed=args.seed,
    )
    wall = time.perf_counter() - t0
    doc = res.summary
    print(f"origins {len(doc['origins'])}, options {options}")
    print(f"wall {wall:.1f} s; stages {res.timings}")
    # ru_maxrss is in KiB on Linux; children: the largest pool worker
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"backtest: wall_over_30min_target={wall / 1800:.3f} "
        f"peak_rss_mb main={main_mb:.0f} worker={worker_mb:.0f}"
    )
    keys = ("coverage_50", "coverage_80", "coverage_95", "coverage_80_pvalue", "crps", "rmse")
    keys += ("bias", "pit_pvalue", "n")
    print("model        h  " + "  ".join(f"{k:>10s}" for k in keys))
    for model in ("macrosim", "random_walk"):
        for h, s in doc["scores"][model].items():
            print(f"{model:12s} {h:>2s}  " + "  ".join(f"{s[k]:10.3f}" for k in keys))
    print("CRPS skill vs random walk:", {h: round(v, 3) for h, v in doc["skill"].items()})
    for name, ev in doc["events"].items():
        print(
            f"{name}: Brier macrosim {ev['macrosim']['brier']:.3f}, random walk "
            f"{ev['random_walk']['brier']:.3f}, base rate {ev['macrosim']['base_rate']:.2f}"
        )
    print("touch (daily closes)   h  brier  brier_rw  base_rate    n  dm_p")
    for off, per_h in doc["touch"].items():
        for h, t in per_h.items():
            print(
                f"  {off:>4s}bp             {h:>2s}  {t['brier']:.3f}  {t['brier_rw']:8.3f}"
                f"  {t['base_rate']:9.2f}  {t['n']:3d}  {t['dm']['pvalue']:.2f}"
            )
    print("hold return   h  cov80 (p)     crps   crps_rw    n  dm_p")
    for h, r in doc["returns"].items():
        print(
            f"             {h:>2s}  {r['coverage_80']:.2f} ({r['coverage_80_pvalue']:.2f})"
            f"  {r['crps']:.4f}  {r['crps_rw']:.4f}  {r['n']:3d}  {r['dm_pvalue']:.2f}"
        )
    if res.folder is not None:
        print(f"folder: {res.folder}")


if __name__ == "__main__":
    main()
