"""One block of paths in three stages: draw the shocks, run a kernel, build the aggregates.

1. :func:`simulator.engine.shocks.draw_shocks`: block ``b``, component ``c`` draws from
   ``SeedSequence(seed, spawn_key=(b, c))``; the only function that touches a Generator.
2. A kernel on :class:`simulator.engine.kernel.KernelInputs`: the compiled one
   (:mod:`simulator.engine.compiled`, numba) by default, or the numpy reference
   (:func:`simulator.engine.kernel.reference_kernel`); both pure functions of the shocks.
3. Mergeable aggregates (:class:`BlockOut`): integer counts merge in any order;
   floating-point sums are kept per block and added in block order by
   :mod:`simulator.engine.aggregate`, so a block's numbers do not depend on which worker
   runs it or how blocks are grouped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from simulator.core.strategies import StrategyReturns, strategy_returns, unhedged_returns
from simulator.engine.kernel import (
    HIST_FX,
    HIST_RATES,
    HIST_RETURNS,
    RATE_VARS,
    KernelInputs,
    PathAggregates,
    hist_by_row,
    prepare_inputs,
    reference_kernel,
)
from simulator.engine.setup import SimSpec
from simulator.engine.shocks import BlockShocks, draw_shocks, zero_shocks

__all__ = [
    "CURRENCY_ORDER",
    "HIST_FX",
    "HIST_RATES",
    "HIST_RETURNS",
    "RATE_VARS",
    "BlockOut",
    "Kernel",
    "block_aggregates",
    "simulate_block",
    "strategy_aggregates",
    "warm_up",
]

CURRENCY_ORDER = ("USD", "CNY", "EUR", "JPY")
Kernel = Literal["compiled", "numpy"]


@dataclass
class BlockOut:
    """Aggregates of one block."""

    block: int
    n: int
    ints: dict[str, np.ndarray]
    floats: dict[str, np.ndarray]
    thin: np.ndarray | None  # (k, G) y10 sample paths (block 0 only)
    thin2: np.ndarray | None = None  # (k, G) the same paths' 2y


def warm_up(spec: SimSpec) -> float:
    """Compile the spec's kernel (or load it from numba's disk cache); seconds taken."""
    import time

    start = time.perf_counter()
    if spec.kernel != "numpy":  # both compiled passes (paths, strategies) on two paths
        block_aggregates(spec, 0, zero_shocks(spec, 2), "compiled")
    return time.perf_counter() - start


def run_kernel(inp: KernelInputs, kernel: Kernel = "compiled") -> PathAggregates:
    """Run the named kernel on a block's inputs."""
    if kernel == "numpy":
        return reference_kernel(inp)
    from simulator.engine.compiled import compiled_kernel

    return compiled_kernel(inp)


def simulate_block(spec: SimSpec, block: int, kernel: Kernel | None = None) -> BlockOut:
    """Simulate block ``block`` of ``spec`` (with ``spec.kernel`` unless given)."""
    chosen: Kernel = "numpy" if (kernel or spec.kernel) == "numpy" else "compiled"
    return block_aggregates(spec, block, draw_shocks(spec, block), chosen)


def block_aggregates(
    spec: SimSpec, block: int, shocks: BlockShocks, kernel: Kernel = "compiled"
) -> BlockOut:
    """Stages 2 and 3 on given shocks (hand-made ones in tests)."""
    inp = prepare_inputs(spec, shocks)
    agg = run_kernel(inp, kernel)
    n = inp.n
    ints: dict[str, np.ndarray] = {}
    floats: dict[str, np.ndarray] = {}
    for i, v in enumerate(RATE_VARS):
        ints[f"hist_{v}"] = agg.hist[i].reshape(-1)
        floats[f"sum_{v}"] = agg.sums[i]
    if spec.fx_currencies:
        ints["hist_fx"] = agg.fx_hist.reshape(-1)
        floats["fx_end_sum"] = np.exp(agg.fx_read[:, :, -1]).sum(axis=0)  # S_T / S_0
    floats["touch_sum"] = agg.touch_sum
    floats["touch_sq"] = agg.touch_sq
    floats["first_touch"] = agg.first_touch
    below = (agg.y_end[None, :] <= spec.levels[:, None]).astype(np.float64)
    floats["below_sum"] = below.sum(axis=1)
    k_lo = _k_lo(spec)
    k_idx = inp.total_cuts - k_lo
    n_k = _n_k(spec)
    ints["cut_paths"] = np.bincount(k_idx, minlength=n_k).astype(np.int64)
    floats["touch_by_cuts"] = np.stack(
        [
            np.bincount(k_idx, weights=agg.touched_end[li], minlength=n_k)
            for li in range(len(spec.levels))
        ]
    )
    if spec.entries:
        ints_r, floats_r = strategy_aggregates(spec, agg, kernel)
        ints.update(ints_r)
        floats.update(floats_r)
    thin = agg.thin.T.copy() if block == 0 else None
    thin2 = agg.thin2.T.copy() if block == 0 else None
    return BlockOut(block=block, n=n, ints=ints, floats=floats, thin=thin, thin2=thin2)


def strategy_aggregates(
    spec: SimSpec, agg: PathAggregates, kernel: Kernel = "compiled"
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Entry-month returns from the values at read dates, reduced to mergeable sums."""
    res = _strategy_returns(spec, agg, kernel)
    rets = np.stack([res.usd] + [res.hedged[c] for c in CURRENCY_ORDER[1:]])  # (C, P, M)
    n_m = rets.shape[2]
    ints: dict[str, np.ndarray] = {}
    floats: dict[str, np.ndarray] = {}
    floats["ret_sum"] = rets.sum(axis=1)
    floats["ret_sq"] = (rets**2).sum(axis=1)
    ints["ret_loss"] = (rets < 0).sum(axis=1).astype(np.int64)
    best = np.argmax(rets, axis=2)  # (C, P)
    ints["ret_best"] = np.stack(
        [np.bincount(best[c], minlength=n_m) for c in range(len(CURRENCY_ORDER))]
    ).astype(np.int64)
    # one row per (currency, month), in the order aggregate.py reshapes them
    ints["hist_ret"] = hist_by_row(
        rets.transpose(0, 2, 1).reshape(len(CURRENCY_ORDER) * n_m, -1), HIST_RETURNS
    ).reshape(-1)
    floats["hedge_cost_sum"] = np.stack(
        [np.zeros(n_m)] + [res.hedge_cost[c].sum(axis=0) for c in CURRENCY_ORDER[1:]]
    )
    floats["coupon_sum"] = res.coupon_value.sum(axis=0)
    floats["entry_y_sum"] = np.array([agg.y_read[:, e.entry_read].sum() for e in spec.entries])
    if spec.fx_currencies:
        _unhedged_aggregates(spec, agg, res, ints, floats)
    return ints, floats


def _unhedged_aggregates(
    spec: SimSpec,
    agg: PathAggregates,
    res: StrategyReturns,
    ints: dict[str, np.ndarray],
    floats: dict[str, np.ndarray],
) -> None:
    """The fx legs' unhedged returns (F, P, M), reduced as the hedged ones are, and how
    often unhedged beats hedged."""
    entry_reads = np.array([e.entry_read for e in spec.entries], dtype=np.int64)
    h_read = len(spec.read_at) - 1  # the horizon is the last read date
    unh = np.stack(
        [
            unhedged_returns(
                res.bond,
                spec.foreign_cash_log[cur][entry_reads],
                agg.fx_read[:, f, entry_reads],
                agg.fx_read[:, f, h_read],
            )
            for f, cur in enumerate(spec.fx_currencies)
        ]
    )
    hedged = np.stack([res.hedged[cur] for cur in spec.fx_currencies])
    n_f, _, n_m = unh.shape
    floats["uret_sum"] = unh.sum(axis=1)
    floats["uret_sq"] = (unh**2).sum(axis=1)
    ints["uret_loss"] = (unh < 0).sum(axis=1).astype(np.int64)
    best = np.argmax(unh, axis=2)
    ints["uret_best"] = np.stack([np.bincount(best[f], minlength=n_m) for f in range(n_f)]).astype(
        np.int64
    )
    ints["hist_uret"] = hist_by_row(
        unh.transpose(0, 2, 1).reshape(n_f * n_m, -1), HIST_RETURNS
    ).reshape(-1)
    ints["unhedged_beats"] = (unh > hedged).sum(axis=1).astype(np.int64)


def _strategy_returns(spec: SimSpec, agg: PathAggregates, kernel: Kernel) -> StrategyReturns:
    """The compiled pass (its date plan built once per spec) or the numpy reference."""
    hedged = CURRENCY_ORDER[1:]
    if kernel == "numpy":
        read_pos = {int(g): r for r, g in enumerate(spec.read_at)}
        return strategy_returns(
            y10_read=agg.y_read,
            usd_log_growth_read=agg.log_read,
            rate_post_read=agg.rpost_read,
            expected_cuts_read=agg.e_read,
            effective=spec.meeting_effective,
            horizon=spec.horizon,
            horizon_read=read_pos[len(spec.grid) - 1],
            entries=spec.entries,
            foreign_rate_pp=spec.foreign_rate_pp,
            foreign_basis_pp=spec.foreign_basis_pp,
            foreign_cash_log=spec.foreign_cash_log,
            bill_spread_pp=spec.bill_spread_pp,
        )
    from simulator.engine.compiled_strategies import compiled_strategy_returns, strategy_plan

    if "strategy_plan" not in spec.derived:
        spec.derived["strategy_plan"] = strategy_plan(spec, hedged)
    return compiled_strategy_returns(
        spec.derived["strategy_plan"],
        agg.y_read,
        agg.log_read,
        agg.rpost_read,
        agg.e_read,
        spec.bill_spread_pp,
        hedged,
    )


def _all_counts(spec: SimSpec) -> list[int]:
    counts = [int(k) for c in spec.components for k in c.view_prior.counts]
    return counts + [int(k) for k in spec.market.counts]


def _k_lo(spec: SimSpec) -> int:
    return min(_all_counts(spec))


def _n_k(spec: SimSpec) -> int:
    return max(_all_counts(spec)) - _k_lo(spec) + 1
