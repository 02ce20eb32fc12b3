"""A block's random numbers, drawn in one place: the only engine code that holds a Generator.

Block ``b``, component ``c`` draws from ``SeedSequence(seed, spawn_key=(b, c))``, so a
block's numbers do not depend on which worker runs it, how blocks are grouped, or which
kernel consumes them. Everything downstream (:mod:`simulator.engine.kernel`,
:mod:`simulator.engine.compiled`) is a pure function of these arrays, so a test can hand
the kernels zero or hand-made shocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.engine.setup import (
    STREAM_EVENTS,
    STREAM_FX,
    STREAM_INFLATION,
    STREAM_LEVELS,
    STREAM_MIXTURE,
    STREAM_PARAMS,
    STREAM_POLICY,
    STREAM_TP,
    SimSpec,
)


@dataclass(frozen=True)
class BlockShocks:
    """Every random number one block of ``n`` paths consumes.

    Attributes
    ----------
    mixture_u : (n,) uniforms choosing each path's mixture component.
    draw_index : (n,) index of each path's posterior draw.
    count_u : (n,) uniforms for the net number of moves (inverse CDF).
    place_u : (n, J) uniforms placing the moves on the remaining meetings.
    inflation : (M, n) standard normals, one per month end on the grid.
    term_premium : (G-1, n) standard normals, one per grid step.
    levels : (G-1, 2, n) standard normals for the neutral-rate and TP-mean walks, or
        ``None`` when no drawn parameter lets them move (then they are not drawn, so a
        model without walks keeps the random stream it always had).
    events : (E_max, 2, n) uniforms per event slot: occurrence and onset.
    fx : (G-1, F, n) standard normals, the FX legs' own shocks (F = the scenario's fx
        legs); drawn from their own stream only when F > 0, so adding an fx block leaves
        every other number of a seed unchanged.
    """

    mixture_u: np.ndarray
    draw_index: np.ndarray
    count_u: np.ndarray
    place_u: np.ndarray
    inflation: np.ndarray
    term_premium: np.ndarray
    levels: np.ndarray | None
    events: np.ndarray
    fx: np.ndarray

    @property
    def n(self) -> int:
        """Paths in the block."""
        return int(self.mixture_u.size)


def _rng(spec: SimSpec, block: int, stream: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(block, stream)))
    )


def walks_move(spec: SimSpec, draw_index: np.ndarray) -> bool:
    """Whether any drawn path's neutral-rate or TP-mean walk has a positive shock s.d."""
    values = spec.draws.values
    return bool(
        np.any(values["neutral_rate_shock_pp"][draw_index] > 0)
        or np.any(values["term_premium_mean_shock_pp"][draw_index] > 0)
    )


def draw_shocks(spec: SimSpec, block: int) -> BlockShocks:
    """Draw block ``block``'s random numbers from its per-component streams."""
    n = spec.block_paths(block)
    g_count = len(spec.grid)
    n_meet = len(spec.meeting_dates)
    mixture_u = _rng(spec, block, STREAM_MIXTURE).random(n)
    draw_index = _rng(spec, block, STREAM_PARAMS).integers(0, spec.draws.n, n)
    rng_pol = _rng(spec, block, STREAM_POLICY)
    count_u = rng_pol.random(n)
    place_u = rng_pol.random((n, max(n_meet, 1)))[:, :n_meet]
    inflation = _rng(spec, block, STREAM_INFLATION).standard_normal((len(spec.month_end_at), n))
    term_premium = _rng(spec, block, STREAM_TP).standard_normal((g_count - 1, n))
    levels = (
        _rng(spec, block, STREAM_LEVELS).standard_normal((g_count - 1, 2, n))
        if walks_move(spec, draw_index)
        else None
    )
    n_ev = max((len(c.events) for c in spec.components), default=0)
    events = _rng(spec, block, STREAM_EVENTS).random((n_ev, 2, n))
    n_fx = len(spec.fx_currencies)
    fx = (
        _rng(spec, block, STREAM_FX).standard_normal((g_count - 1, n_fx, n))
        if n_fx
        else np.zeros((g_count - 1, 0, n))
    )
    return BlockShocks(
        mixture_u=mixture_u,
        draw_index=draw_index,
        count_u=count_u,
        place_u=place_u,
        inflation=inflation,
        term_premium=term_premium,
        levels=levels,
        events=events,
        fx=fx,
    )


def zero_shocks(spec: SimSpec, n: int, *, draw_index: int = 0) -> BlockShocks:
    """Shocks of zero (uniforms of 0): the deterministic paths, for tests and checks.

    Every path takes posterior draw ``draw_index`` and the first mixture component;
    counts and placements take the lowest feasible values (``u = 0``); an event occurs
    only if it is certain, at the last business day of its window.
    """
    g_count = len(spec.grid)
    n_ev = max((len(c.events) for c in spec.components), default=0)
    idx = np.full(n, draw_index, dtype=np.int64)
    return BlockShocks(
        mixture_u=np.zeros(n),
        draw_index=idx,
        count_u=np.zeros(n),
        place_u=np.zeros((n, len(spec.meeting_dates))),
        inflation=np.zeros((len(spec.month_end_at), n)),
        term_premium=np.zeros((g_count - 1, n)),
        levels=np.zeros((g_count - 1, 2, n)) if walks_move(spec, idx) else None,
        events=np.ones((n_ev, 2, n)) - 1e-12,
        fx=np.zeros((g_count - 1, len(spec.fx_currencies), n)),
    )
