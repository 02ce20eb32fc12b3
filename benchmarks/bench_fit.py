"""Benchmark the fit: ESS per second of nutpie vs PyMC NUTS on the real model and history.

ESS is the minimum bulk ESS over the named scalar parameters; "sampling" times only the
draws (tuning included), "with compile" adds model compilation (numba for nutpie, C for
PyMC). History: ``$DATA`` (default ``../shared/data`` relative to the repository).

Usage::

    .venv/bin/python benchmarks/bench_fit.py [--chains 4] [--draws 1000] [--tune 1000]

Prints one line per sampler and a final ``bench_fit:`` line with the ratio.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DATA", REPO.parent / "shared" / "data"))


def bench_sampler(sampler: str, model: object, chains: int, draws: int, tune: int) -> dict:
    """Time one sampler on the model; return timings and ESS."""
    import pymc as pm
    import pytensor

    from simulator.model.diagnostics import diagnose

    seed = 20260120
    if sampler == "nutpie":
        import nutpie

        t0 = time.perf_counter()
        with pytensor.config.change_flags(numba__fastmath=False):
            compiled = nutpie.compile_pymc_model(model, backend="numba", fastmath=False)
        t1 = time.perf_counter()
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, os.cpu_count() or 1),
            seed=seed,
            save_warmup=False,
            progress_bar=False,
        )
        t2 = time.perf_counter()
        compile_s, sample_s = t1 - t0, t2 - t1
    else:
        t0 = time.perf_counter()
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, os.cpu_count() or 1),
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
            model=model,
        )
        total = time.perf_counter() - t0
        sample_s = float(idata["posterior"].attrs["sampling_time"])
        compile_s = total - sample_s
    diag = diagnose(idata)
    ess = diag["ess_bulk_min"]
    return {
        "sampler": sampler,
        "compile_s": compile_s,
        "sample_s": sample_s,
        "ess_bulk_min": ess,
        "ess_per_s": ess / sample_s,
        "ess_per_s_with_compile": ess / (sample_s + compile_s),
        "divergences": diag["divergences"],
        "r_hat_max": diag["r_hat_max"],
    }


def bench_run_times() -> None:
    """TODO(lead): cached / warm / cold ``macrosim run`` wall times, once ``run`` exists.

    cold: empty $MACROSIM_CACHE and ~/.pytensor; warm: compile caches kept, fit cache
    empty; cached: the fit cache holds the posterior (no sampling at all).
    """
    raise NotImplementedError("run-time benchmark: add once `macrosim run` exists")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--as-of", default="2026-01-20")
    parser.add_argument("--samplers", default="nutpie,pymc")
    args = parser.parse_args()

    from simulator.config import load_priors
    from simulator.data.history import monthly_history
    from simulator.model.fit import build_model
    from simulator.model.statespace import fit_data

    history = monthly_history(DATA, args.as_of)
    data = fit_data(history)
    priors = load_priors(REPO / "priors" / "default.yaml").config
    results = {}
    for sampler in args.samplers.split(","):
        model = build_model(priors, data)
        r = bench_sampler(sampler, model, args.chains, args.draws, args.tune)
        results[sampler] = r
        print(
            f"{sampler:7s} {data.n_months} months, {args.chains}x({args.tune}+{args.draws}): "
            f"compile {r['compile_s']:.1f}s, sampling {r['sample_s']:.1f}s, "
            f"min bulk ESS {r['ess_bulk_min']:.0f}, {r['ess_per_s']:.1f} ESS/s "
            f"({r['ess_per_s_with_compile']:.1f} with compile), "
            f"divergences {r['divergences']}, R-hat max {r['r_hat_max']:.3f}"
        )
    if {"nutpie", "pymc"} <= set(results):
        n, p = results["nutpie"], results["pymc"]
        print(
            f"bench_fit: nutpie/pymc ESS/s ratio {n['ess_per_s'] / p['ess_per_s']:.2f} "
            f"sampling only, {n['ess_per_s_with_compile'] / p['ess_per_s_with_compile']:.2f} "
            "with compile"
        )


if __name__ == "__main__":
    main()
