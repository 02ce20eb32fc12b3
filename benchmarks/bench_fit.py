"""Benchmark the fit: ESS per second of nutpie vs PyMC NUTS on the real model and history.

ESS is the minimum bulk ESS over the named scalar parameters; "sampling" times only the
draws (tuning included), "with compile" adds model compilation (numba for nutpie, C for
PyMC). History: ``$DATA`` (default ``../shared/data`` relative to the repository).

Both samplers use the same model (the numba Kalman Op; PyMC runs it through the Op's
``perform``). PyMC's chains default to 500+500 (``--pymc-draws/--pymc-tune``) so the
benchmark stays within ten minutes; ESS per second of sampling is comparable across
chain lengths. The run timings split each run's wall time into start-up (``macrosim
--help``), fit compile, fit sampling, simulation and the rest (draws, figures, writing),
from the run folder's ``run.json``.

Usage::

    python benchmarks/bench_fit.py [--chains 4] [--draws 1000] [--tune 1000]

Prints one line per sampler and a final ``fit:`` line with the ratio and run times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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
        "ess_tail_min": diag["ess_tail_min"],
    }


def bench_run_times(paths: int | None = None) -> dict[str, float]:
    """Wall times of ``macrosim run scenarios/baseline.yaml --data $DATA``, end to end.

    cold: empty $MACROSIM_CACHE, PyTensor compile dir and numba cache; warm: compile
    caches kept, fit cache empty (a fresh fit); cached: the fit cache holds the posterior
    (no sampling). Each run is a fresh process, as a user would start it.
    """
    import tempfile

    venv_exe = REPO / ".venv" / "bin" / "macrosim"
    if "MACROSIM" in os.environ:
        exe = [os.environ["MACROSIM"]]
    elif venv_exe.exists():
        exe = [str(venv_exe)]
    else:
        exe = [sys.executable, "-m", "simulator.cli"]
    root = Path(tempfile.mkdtemp(prefix="bench-fit-"))
    compiled = {
        "PYTENSOR_FLAGS": f"base_compiledir={root / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(root / "numba"),
    }
    extra = ["--paths", str(paths)] if paths else []

    def one(label: str, cache: Path) -> float:
        env = {**os.environ, **compiled, "MACROSIM_CACHE": str(cache), "MPLBACKEND": "Agg"}
        out = root / f"out-{label}"
        cmd = [*exe, "run", "scenarios/baseline.yaml", "--data", str(DATA), "--quiet"]
        cmd += ["--out", str(out), *extra]
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        t = json.loads(next(out.rglob("run.json")).read_text())["timings_s"]
        fit = t.get("fit_s", 0.0)
        compile_s, sampling_s = t.get("fit_compile_s", 0.0), t.get("fit_sampling_s", 0.0)
        print(
            f"run {label:7s}: {elapsed:6.1f} s = start-up {startup:.1f} + fit {fit:.1f} "
            f"(compile {compile_s:.1f}, sampling {sampling_s:.1f}, rest "
            f"{fit - compile_s - sampling_s:.1f}) + simulate {t.get('simulate_s', 0.0):.1f} "
            f"+ draws/figures/writing {elapsed - startup - t.get('total_s', 0.0):.1f}",
            flush=True,
        )
        return elapsed

    t0 = time.perf_counter()
    subprocess.run([*exe, "--help"], cwd=REPO, check=True, capture_output=True)
    startup = time.perf_counter() - t0
    return {
        "cold_run_s": one("cold", root / "fit-cold"),
        "warm_fit_run_s": one("warm", root / "fit-warm"),
        "cached_run_s": one("cached", root / "fit-warm"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--pymc-draws", type=int, default=500)
    parser.add_argument("--pymc-tune", type=int, default=500)
    parser.add_argument("--as-of", default="2026-01-20")
    parser.add_argument("--samplers", default="nutpie,pymc")
    parser.add_argument("--runs-only", action="store_true", help="only the run wall times")
    parser.add_argument("--paths", type=int, default=None, help="paths for the run timings")
    args = parser.parse_args()
    if args.runs_only:
        runs = bench_run_times(args.paths)
        print(
            f"fit: ess_per_s_ratio=n/a cached_run_s={runs['cached_run_s']:.1f} "
            f"warm_fit_run_s={runs['warm_fit_run_s']:.1f} cold_run_s={runs['cold_run_s']:.1f}"
        )
        return

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
        draws, tune = (
            (args.pymc_draws, args.pymc_tune) if sampler == "pymc" else (args.draws, args.tune)
        )
        r = bench_sampler(sampler, model, args.chains, draws, tune)
        results[sampler] = r
        print(
            f"{sampler:7s} {data.n_months} months, {args.chains}x({tune}+{draws}): "
            f"compile {r['compile_s']:.1f}s, sampling {r['sample_s']:.1f}s, "
            f"min bulk ESS {r['ess_bulk_min']:.0f}, {r['ess_per_s']:.1f} ESS/s "
            f"({r['ess_per_s_with_compile']:.1f} with compile), "
            f"divergences {r['divergences']}, R-hat max {r['r_hat_max']:.3f}, "
            f"tail ESS min {r['ess_tail_min']:.0f}",
            flush=True,
        )
    if {"nutpie", "pymc"} <= set(results):
        n, p = results["nutpie"], results["pymc"]
        ratio = n["ess_per_s"] / p["ess_per_s"]
        print(
            f"bench_fit: nutpie/pymc ESS/s ratio {ratio:.2f} "
            f"sampling only, {n['ess_per_s_with_compile'] / p['ess_per_s_with_compile']:.2f} "
            "with compile"
        )
        runs = bench_run_times(args.paths)
        print(
            f"fit: ess_per_s_ratio={ratio:.2f} cached_run_s={runs['cached_run_s']:.1f} "
            f"warm_fit_run_s={runs['warm_fit_run_s']:.1f} cold_run_s={runs['cold_run_s']:.1f}"
        )


if __name__ == "__main__":
    main()
