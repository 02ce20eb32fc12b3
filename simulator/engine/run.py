"""Run all blocks of a spec on a local thread pool and merge them.

numpy releases the GIL in its kernels, so threads over blocks scale on one machine;
results do not depend on the pool size (see :mod:`simulator.engine.block`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from simulator.engine.aggregate import Accumulator
from simulator.engine.block import simulate_block
from simulator.engine.setup import SimSpec

Progress = Callable[[int, int], None]


def run_blocks(
    spec: SimSpec,
    *,
    threads: int | None = None,
    progress: Progress | None = None,
    blocks: range | None = None,
) -> Accumulator:
    """Simulate ``blocks`` (default: all) of ``spec`` and return the merged accumulator.

    At most ``2 x threads`` blocks are in flight, so memory stays flat in the number of
    paths. ``progress(done, total)`` is called after each block.
    """
    todo = list(blocks if blocks is not None else range(spec.n_blocks))
    threads = max(1, threads or os.cpu_count() or 1)
    acc = Accumulator()
    total = len(todo)
    if threads == 1:
        for i, b in enumerate(todo):
            acc.add(simulate_block(spec, b))
            if progress:
                progress(i + 1, total)
        return acc
    done = 0
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="macrosim") as pool:
        pending: set[Future] = set()
        it = iter(todo)
        for b in it:
            pending.add(pool.submit(simulate_block, spec, b))
            if len(pending) >= 2 * threads:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                acc.add(fut.result())
                done += 1
                if progress:
                    progress(done, total)
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(simulate_block, spec, nxt))
    return acc
