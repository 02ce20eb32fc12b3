"""Run the blocks of a spec on a Dask cluster and merge them in block order.

Blocks are grouped into tasks of ``blocks_per_task`` consecutive blocks. The spec (with
its parameter draws) is scattered to every worker once; a task receives only its block
ids and returns an :class:`~simulator.engine.aggregate.Accumulator` of its blocks.
Because block ``b`` draws from ``SeedSequence(seed, spawn_key=(b, c))`` and the
accumulator adds integers exactly and keeps floating-point sums per block (added in
block order at the end), the merged result is bit-identical to
:func:`simulator.engine.run.run_blocks` whatever the number of workers, the task size or
the order in which tasks finish. Tasks are pure, so a task that fails (or whose worker
dies) is simply run again (``retries=2``) with the same result.

Dask is an optional dependency (``pip install macrosim[distributed]``); this module
imports it only when a distributed run starts.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from simulator.engine import block as block_module
from simulator.engine.aggregate import Accumulator
from simulator.engine.setup import SimSpec

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
TASK_RETRIES = 2
IN_FLIGHT_PER_THREAD = 2
INSTALL_HINT = "distributed runs need Dask: install macrosim[distributed]"


class DaskUnavailableError(ImportError):
    """Dask (``dask[distributed]``) is not installed; the message says how to install it."""


def _import_distributed() -> Any:
    """The ``distributed`` module, or a :class:`DaskUnavailableError` naming the extra."""
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailableError(f"{INSTALL_HINT} ({exc})") from exc
    return distributed


def simulate_blocks(spec: SimSpec, blocks: Sequence[int]) -> Accumulator:
    """One task: simulate ``blocks`` of ``spec`` and return their accumulator (pure)."""
    acc = Accumulator()
    for b in blocks:
        # looked up at call time so the block kernel stays the engine's single definition
        acc.add(block_module.simulate_block(spec, b))
    return acc


def task_blocks(n_blocks: int, blocks_per_task: int) -> list[range]:
    """Consecutive block ranges of at most ``blocks_per_task`` blocks covering ``n_blocks``."""
    if blocks_per_task < 1:
        raise ValueError(f"blocks_per_task must be >= 1, found {blocks_per_task}")
    return [
        range(lo, min(lo + blocks_per_task, n_blocks)) for lo in range(0, n_blocks, blocks_per_task)
    ]


@contextlib.contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler``, or to a fresh local cluster of ``workers``.

    The local cluster runs one single-threaded worker process per ``workers`` on
    127.0.0.1 without a dashboard (``workers`` defaults to the number of cores). It is
    shut down when the block exits.

    Raises
    ------
    DaskUnavailableError
        Dask is not installed.
    ValueError
        Both ``scheduler`` and ``workers`` are given.
    """
    if scheduler is not None and workers is not None:
        raise ValueError("give either a scheduler address or a number of local workers, not both")
    distributed = _import_distributed()
    if scheduler is not None:
        with distributed.Client(scheduler) as client:
            yield client
        return
    n = max(1, workers or os.cpu_count() or 1)
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # the scheduler's small HTTP server (health, metrics) still starts without a
            # dashboard: on a free port, so two clusters on one machine do not collide
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def run_blocks_dask(
    spec: SimSpec,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    blocks_per_task: int = 4,
    progress: Progress | None = None,
    client: Client | None = None,
) -> Accumulator:
    """Simulate every block of ``spec`` on a Dask cluster and return the merged accumulator.

    Parameters
    ----------
    spec : SimSpec
        The simulation spec (with its parameter draws); scattered to each worker once.
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    workers : int, optional
        Start a local cluster of this many single-threaded worker processes instead.
        Without ``scheduler``, ``workers`` or ``client``: one worker per core.
    blocks_per_task : int
        Consecutive blocks of 8192 paths per task. A task returns one accumulator
        (~38 MB uncompressed on the daily grid, whatever its block count), so larger
        tasks mean less traffic and scheduler overhead, smaller ones better balance.
    progress : callable, optional
        ``progress(done_blocks, total_blocks)`` after each task.
    client : distributed.Client, optional
        An existing client (e.g. one cluster shared by the variants of a sweep); the
        caller keeps ownership. Excludes ``scheduler`` and ``workers``.

    Returns
    -------
    Accumulator
        Identical (ints equal, per-block floats equal) to the serial
        :func:`~simulator.engine.run.run_blocks`, so ``finalize`` gives the same dataset.

    Raises
    ------
    DaskUnavailableError
        Dask is not installed (``pip install macrosim[distributed]``).

    Examples
    --------
    >>> from simulator import api
    >>> from simulator.engine.setup import build_spec
    >>> sc = api.load_scenario("scenarios/baseline.yaml")                 # doctest: +SKIP
    >>> spec = build_spec(sc.scenario, api.parameter_draws(sc, 1), paths=40_000, seed=1)
    ... # doctest: +SKIP
    >>> acc = run_blocks_dask(spec, workers=2)                            # doctest: +SKIP
    >>> acc.n                                                             # doctest: +SKIP
    40000
    """
    groups = task_blocks(spec.n_blocks, blocks_per_task)
    if client is not None:
        if scheduler is not None or workers is not None:
            raise ValueError("give a client, or a scheduler address, or local workers")
        _import_distributed()
        return _run_on(client, spec, groups, progress)
    with dask_client(scheduler=scheduler, workers=workers) as own:
        return _run_on(own, spec, groups, progress)


def _run_on(
    client: Client, spec: SimSpec, groups: list[range], progress: Progress | None
) -> Accumulator:
    """Submit the tasks (a bounded number in flight) and merge the accumulators back."""
    distributed = _import_distributed()
    total = sum(len(g) for g in groups)
    acc = Accumulator()
    if not groups:
        return acc
    spec_future = client.scatter(spec, broadcast=True, hash=False)
    # at most two tasks per worker thread in flight: worker memory and the number of
    # results waiting to travel stay flat in the number of paths
    threads = sum(client.nthreads().values()) or 1
    window = max(1, int(IN_FLIGHT_PER_THREAD * threads))
    todo = iter(groups)
    tag = spec_future.key

    def submit(g: range) -> Any:
        return client.submit(
            simulate_blocks,
            spec_future,
            tuple(g),
            key=f"macrosim-blocks-{g.start}-{g.stop}-{tag}",
            pure=True,
            retries=TASK_RETRIES,
        )

    pending = distributed.as_completed([submit(g) for g in itertools.islice(todo, window)])
    done = 0
    try:
        for fut in pending:
            part: Accumulator = fut.result()
            fut.release()
            acc.merge(part)
            done += len(part.floats)
            if progress:
                progress(done, total)
            nxt = next(todo, None)
            if nxt is not None:
                pending.add(submit(nxt))
    finally:
        client.cancel([spec_future])
    if acc.n != spec.paths:  # a lost or duplicated task would show here
        raise RuntimeError(f"internal: merged {acc.n} paths, expected {spec.paths}")
    return acc


__all__ = [
    "DaskUnavailableError",
    "dask_client",
    "run_blocks_dask",
    "simulate_blocks",
    "task_blocks",
]
