"""Dask runs give the serial run's results bit for bit, also when a task is retried.

One local cluster (2 single-threaded worker processes on 127.0.0.1) serves the module.
2 x 8192 + 1000 paths = 3 blocks (8192, 8192, 1000): a partial last block, and tasks of 1 or 2
blocks so task boundaries cut through the block sequence differently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

pytest.importorskip("distributed")

from simulator import api
from simulator.engine import distributed as distributed_module
from simulator.engine.aggregate import Accumulator, finalize
from simulator.engine.distributed import (
    dask_client,
    run_blocks_dask,
    task_blocks,
)
from simulator.engine.run import run_blocks
from simulator.engine.setup import SimSpec, build_spec
from simulator.report.summary import build_summary, summary_json_text

REPO = Path(__file__).resolve().parents[1]
PATHS = 2 * 8192 + 1000
SEED = 5


@pytest.fixture(scope="module")
def spec() -> SimSpec:
    sc = api.load_scenario(REPO / "scenarios" / "baseline.yaml")
    # with a CNY leg, so its aggregates (spot histograms, unhedged sums) merge too
    spot = {"value": 6.96, "source": "test", "date": "2026-01-20"}
    sc = api.with_overrides(sc, {"fx": {"CNY": {"spot": spot}}})
    return build_spec(sc.scenario, api.parameter_draws(sc, SEED), paths=PATHS, seed=SEED)


@pytest.fixture(scope="module")
def serial(spec: SimSpec) -> Accumulator:
    return run_blocks(spec, threads=1)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client(workers=2) as c:
        yield c


def _summary_text(spec: SimSpec, acc: Accumulator) -> tuple[xr.Dataset, str]:
    """Dataset and summary.json text, built from an accumulator as api.run builds them."""
    attrs = {
        "scenario": spec.name,
        "as_of": spec.as_of.isoformat(),
        "window_start": spec.window_start.isoformat(),
        "window_end": spec.window_end.isoformat(),
        "horizon": spec.horizon.isoformat(),
        "paths": spec.paths,
        "seed": spec.seed,
        "grid": spec.grid_kind,
        "params_source": spec.draws.source,
    }
    ds = finalize(spec, acc, attrs=attrs)
    s = build_summary(ds, diagnostics={}, provenance={}, assumptions=[], warnings=[])
    return ds, summary_json_text(s)


def _assert_same(spec: SimSpec, a: Accumulator, b: Accumulator) -> None:
    assert a.n == b.n == spec.paths
    assert sorted(a.ints) == sorted(b.ints)
    for k in a.ints:
        np.testing.assert_array_equal(a.ints[k], b.ints[k], err_msg=k)
    assert sorted(a.floats) == sorted(b.floats) == list(range(spec.n_blocks))
    for k in a.floats[0]:
        # bit for bit: the totals are summed in block order on both sides
        assert a.float_total(k).tobytes() == b.float_total(k).tobytes(), k
    np.testing.assert_array_equal(a.thin, b.thin)
    ds_a, text_a = _summary_text(spec, a)
    ds_b, text_b = _summary_text(spec, b)
    xr.testing.assert_identical(ds_a, ds_b)
    assert text_a == text_b


def test_task_blocks_cover_every_block_once() -> None:
    assert task_blocks(7, 3) == [range(0, 3), range(3, 6), range(6, 7)]
    assert task_blocks(0, 4) == []
    with pytest.raises(ValueError, match="blocks_per_task"):
        task_blocks(3, 0)


@pytest.mark.parametrize(("blocks_per_task", "in_flight"), [(1, 0.5), (2, 2)])
def test_distributed_equals_serial(
    spec: SimSpec,
    serial: Accumulator,
    client: Any,
    blocks_per_task: int,
    in_flight: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # in_flight 0.5 x 2 threads: one task in flight, so later tasks are fed as others finish
    monkeypatch.setattr(distributed_module, "IN_FLIGHT_PER_THREAD", in_flight)
    seen: list[tuple[int, int]] = []
    acc = run_blocks_dask(
        spec,
        client=client,
        blocks_per_task=blocks_per_task,
        progress=lambda d, t: seen.append((d, t)),
    )
    _assert_same(spec, serial, acc)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (spec.n_blocks, spec.n_blocks)


def test_failed_task_is_retried_with_identical_result(
    spec: SimSpec, serial: Accumulator, client: Any
) -> None:
    """Each worker's first block raises; the retried tasks give the same accumulator."""

    def arm() -> None:
        from simulator.engine import block

        original = block.simulate_block
        block._failures_injected = 0  # type: ignore[attr-defined]

        def flaky(spec: SimSpec, b: int) -> Any:
            if block._failures_injected == 0:  # type: ignore[attr-defined]
                block._failures_injected += 1  # type: ignore[attr-defined]
                raise OSError("injected worker failure")
            return original(spec, b)

        flaky.original = original  # type: ignore[attr-defined]
        block.simulate_block = flaky

    def disarm() -> int:
        from simulator.engine import block

        fn = block.simulate_block
        block.simulate_block = getattr(fn, "original", fn)
        return int(getattr(block, "_failures_injected", 0))

    client.run(arm)
    try:
        acc = run_blocks_dask(spec, client=client, blocks_per_task=2)
    finally:
        failures = client.run(disarm)
    assert sum(failures.values()) >= 1  # at least one task really failed and was retried
    _assert_same(spec, serial, acc)


def test_scheduler_and_workers_exclude_each_other(spec: SimSpec) -> None:
    with pytest.raises(ValueError, match="not both"):
        run_blocks_dask(spec, scheduler="tcp://127.0.0.1:1", workers=2)


def test_missing_dask_is_a_clear_error(spec: SimSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from simulator.engine.distributed import DaskUnavailableError

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(DaskUnavailableError, match=r"install macrosim\[distributed\]"):
        run_blocks_dask(spec, workers=1)


@pytest.mark.slow
def test_backtest_on_dask_equals_the_process_pool(client: Any, data_dir: Path) -> None:
    """The backtest's refit blocks as Dask tasks give the pool's forecasts bit for bit
    (seeds come from block and origin indices, not from where a task runs)."""
    from simulator.backtest import run_backtest

    kwargs: dict[str, Any] = dict(
        start="2019-01", end="2019-04", horizons=(1, 3), paths=200, refit_every=2
    )
    pool = run_backtest(data_dir, workers=2, **kwargs)
    dask = run_backtest(data_dir, scheduler=client.scheduler.address, **kwargs)
    assert pool.forecasts.shape[0] == 8
    pd.testing.assert_frame_equal(pool.forecasts, dask.forecasts)
    # (json text: NaN p-values of so few origins compare equal there)
    assert json.dumps(pool.summary["scores"]) == json.dumps(dask.summary["scores"])
