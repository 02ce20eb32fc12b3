"""One block of paths: parameters -> shocks -> kernels -> mergeable aggregates.

Block ``b`` draws component ``c`` from ``SeedSequence(seed, spawn_key=(b, c))``, so a
block's numbers do not depend on which worker runs it or how blocks are grouped.
Integer aggregates (histogram counts) merge in any order; floating-point sums are kept
per block and added in block order by :mod:`simulator.engine.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.core import policy
from simulator.core.barrier import bgk_shifted_level, bridge_sigma, touch_probability
from simulator.core.barrier import daily_sigma_from_monthly
from simulator.core.expectations import (
    HORIZON_MONTHS,
    inflation_weight_B,
    meeting_counts,
    months_inside,
)
from simulator.core.strategies import strategy_returns
from simulator.core.term_premium import ar1_step
from simulator.engine.setup import (
    STREAM_EVENTS,
    STREAM_INFLATION,
    STREAM_MIXTURE,
    STREAM_PARAMS,
    STREAM_POLICY,
    STREAM_TP,
    SimSpec,
)

CURRENCY_ORDER = ("USD", "CNY", "EUR", "JPY")

# Fixed-bin histograms (so blocks merge exactly). Rates in %, returns as fractions.
HIST_RATES = {"lo": -5.0, "width": 0.005, "bins": 4000}  # -5%..15% at 0.5bp
HIST_RETURNS = {"lo": -1.0, "width": 1e-4, "bins": 20000}  # -100%..+100% at 1bp
RATE_VARS = ("y10", "policy_rate", "term_premium", "expectations")


@dataclass
class BlockOut:
    """Aggregates of one block."""

    block: int
    n: int
    ints: dict[str, np.ndarray]
    floats: dict[str, np.ndarray]
    thin: np.ndarray | None  # (k, G) y10 sample paths (block 0 only)


def _rng(spec: SimSpec, block: int, stream: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(block, stream)))
    )


def _bin(values: np.ndarray, hist: dict[str, float]) -> np.ndarray:
    idx = np.floor((values - hist["lo"]) / hist["width"]).astype(np.int64)
    return np.clip(idx, 0, int(hist["bins"]) - 1)


def simulate_block(spec: SimSpec, block: int) -> BlockOut:
    """Simulate block ``block`` of ``spec`` and return its aggregates."""
    n = spec.block_paths(block)
    g_count = len(spec.grid)
    n_meet = len(spec.meeting_dates)
    table = spec.market_table

    # --- mixture component and parameter draw per path ---------------------------------
    weights = np.array([c.weight for c in spec.components])
    u_mix = _rng(spec, block, STREAM_MIXTURE).random(n)
    comp = np.minimum(np.searchsorted(np.cumsum(weights), u_mix, side="right"), len(weights) - 1)
    draw_idx = _rng(spec, block, STREAM_PARAMS).integers(0, spec.draws.n, n)
    par = spec.draws.take(draw_idx)
    neutral = par["neutral_rate_pp"] + np.array([c.neutral_shift_pp for c in spec.components])[comp]
    tp_mean = (
        par["term_premium_mean_pp"] + np.array([c.tp_mean_shift_pp for c in spec.components])[comp]
    )
    kappa = par["mean_reversion_per_year"]
    rho = par["inflation_persistence"]
    sigma_pi = par["inflation_shock_pp"]
    infl_load = par["inflation_loading"] * inflation_weight_B(rho)
    phi = par["term_premium_persistence"]
    sigma_tp = par["term_premium_shock_pp"]

    # --- policy placements ----------------------------------------------------------------
    rng_pol = _rng(spec, block, STREAM_POLICY)
    u_count = rng_pol.random(n)
    u_place = rng_pol.random((n, max(n_meet, 1)))[:, :n_meet]
    cuts = np.zeros((n, n_meet), dtype=np.int64)
    for ci, c in enumerate(spec.components):
        mask = comp == ci
        if mask.any() and n_meet:
            cuts[mask] = policy.sample_placements(c.view, u_count[mask], u_place[mask])
    total_cuts = cuts.sum(axis=1) + sum(spec.observed_moves_cuts)

    # --- shocks ---------------------------------------------------------------------------
    infl_shocks = _rng(spec, block, STREAM_INFLATION).standard_normal((len(spec.month_end_at), n))
    tp_shocks = _rng(spec, block, STREAM_TP).standard_normal((g_count - 1, n))
    rng_ev = _rng(spec, block, STREAM_EVENTS)
    n_ev = max((len(c.events) for c in spec.components), default=0)
    ev_u = rng_ev.random((n_ev, 2, n))
    ev_terms = []  # (occurs, onset, size, half-life) per (component, event)
    for ci, c in enumerate(spec.components):
        mask = comp == ci
        for k, ev in enumerate(c.events):
            occurs = mask & (ev_u[k, 0] < ev.probability)
            span = ev.onset_hi - ev.onset_lo + 1
            onset = ev.onset_lo + np.minimum((ev_u[k, 1] * span).astype(np.int64), span - 1)
            ev_terms.append((occurs, onset, ev.size_pp, ev.half_life_bdays))
    drift = np.stack([c.drift_pp for c in spec.components])  # (C, G)

    # --- policy paths: piecewise constant between decisions -------------------------------
    rate_post, rate_eff, seg_of, seg_e = _policy_paths(spec, cuts, n)
    e_cuts_t0 = seg_e[0]

    # --- inflation gap: steps at month ends, constant in between ----------------------------
    gap0 = (
        np.full(n, spec.gap0_pp)
        + np.array([c.inflation_gap_shift_pp for c in spec.components])[comp]
    )
    gaps = np.empty((len(spec.month_end_at) + 1, n))
    gaps[0] = gap0
    for k in range(len(spec.month_end_at)):
        gaps[k + 1] = rho * gaps[k] + sigma_pi * infl_shocks[k]
    gap_seg = np.searchsorted(spec.month_end_at, np.arange(g_count), side="right")
    infl = gaps[gap_seg] * infl_load  # (G, n)

    # --- expectations component EC_t (docs/model.md) ---------------------------------------
    ec = _expectations(spec, rate_post, neutral, kappa, seg_of, seg_e) + infl

    # --- term premium: AR(1) deviation pinned so the first day continues from the 10y ------
    x = np.empty((g_count, n))
    x[0] = spec.y10_0_pp - ec[0] - tp_mean
    step_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for t in range(1, g_count):
        k_days = int(spec.step_bdays[t - 1])
        if k_days not in step_cache:
            step_cache[k_days] = ar1_step(phi, sigma_tp, k_days)
        coef, sd = step_cache[k_days]
        np.multiply(coef, x[t - 1], out=x[t])
        x[t] += sd * tp_shocks[t - 1]
    tp = x
    tp += tp_mean
    tp += drift[comp].T if len(spec.components) > 1 else drift[0][:, None]
    bday = spec.grid_bday[:, None]
    for occurs, onset, size, hl in ev_terms:
        active = occurs[None, :] & (bday >= onset[None, :])
        if hl is None:
            tp += np.where(active, size, 0.0)
        else:
            age = np.maximum(bday - onset[None, :], 0)
            tp += np.where(active, size * np.exp(-np.log(2.0) * age / hl), 0.0)
    y = ec + tp
    del e_cuts_t0
    out = {"y10": y, "policy_rate": rate_eff, "term_premium": tp, "expectations": ec}

    # --- USD cash: the rate in force over each step, ACT/365.25 ----------------------------
    grid_days = spec.grid.astype(np.int64)
    dt_years = np.diff(grid_days) / 365.25
    usd_log = np.zeros((g_count, n))
    np.cumsum(
        (rate_eff[:-1] + spec.bill_spread_pp) / 100.0 * dt_years[:, None], axis=0, out=usd_log[1:]
    )

    # --- touch -------------------------------------------------------------------------------
    n_lv = len(spec.levels)
    months = spec.grid.astype("datetime64[M]")
    month_keys = np.unique(months)
    month_of = np.searchsorted(month_keys, months)
    touch_sum = np.zeros((n_lv, g_count))
    touch_sq = np.zeros((n_lv, g_count))
    first_touch = np.zeros((n_lv, len(month_keys)))
    touched_end = np.zeros((n_lv, n))
    sigma_br = bridge_sigma(daily_sigma_from_monthly(sigma_tp, phi)) if spec.weekly else None
    for li, lv in enumerate(spec.levels):
        beyond = (spec.level_dir[li] * (y - lv)) >= 0  # (G, n)
        if sigma_br is None:
            p_cross = beyond[1:].astype(np.float64)
        else:
            shifted = bgk_shifted_level(lv, spec.y10_0_pp, sigma_br)
            dt_step = (spec.step_bdays / 252.0)[:, None]
            bridge = touch_probability(y[:-1], y[1:], shifted[None, :], sigma_br[None, :], dt_step)
            bridge = np.where(spec.step_bdays[:, None] > 1, bridge, 0.0)
            p_cross = np.maximum(beyond[1:], bridge)
        survive = np.empty((g_count, n))
        survive[0] = 0.0 if spec.observed_touched[li] else 1.0
        np.cumprod(1.0 - p_cross, axis=0, out=survive[1:])
        survive[1:] *= survive[0]
        after = 1.0 - survive
        touch_sum[li] = after.sum(axis=1)
        touch_sq[li] = (after**2).sum(axis=1)
        inc = np.diff(after, axis=0).sum(axis=1)
        first_touch[li] = np.bincount(month_of[1:], weights=inc, minlength=len(month_keys))
        touched_end[li] = after[-1]

    # --- reads for the strategies ---------------------------------------------------------
    read_pos = {int(g): r for r, g in enumerate(spec.read_at)}
    y_read = y[spec.read_at].T
    log_read = usd_log[spec.read_at].T
    rpost_read = rate_post[spec.read_at].T
    e_read = (
        np.stack([seg_e[int(seg_of[g])] for g in spec.read_at], axis=1)
        if n_meet
        else np.zeros((n, len(spec.read_at), 0))
    )

    # --- aggregates -------------------------------------------------------------------------
    ints: dict[str, np.ndarray] = {}
    floats: dict[str, np.ndarray] = {}
    offs = (np.arange(g_count) * HIST_RATES["bins"])[:, None]
    for v in RATE_VARS:
        ints[f"hist_{v}"] = np.bincount(
            (offs + _bin(out[v], HIST_RATES)).ravel(), minlength=g_count * int(HIST_RATES["bins"])
        ).astype(np.int64)
        floats[f"sum_{v}"] = out[v].sum(axis=1)
    floats["touch_sum"] = touch_sum
    floats["touch_sq"] = touch_sq
    floats["first_touch"] = first_touch
    below = (out["y10"][-1][None, :] <= spec.levels[:, None]).astype(np.float64)
    floats["below_sum"] = below.sum(axis=1)
    k_lo = _k_lo(spec)
    k_idx = total_cuts - k_lo
    n_k = _n_k(spec)
    ints["cut_paths"] = np.bincount(k_idx, minlength=n_k).astype(np.int64)
    floats["touch_by_cuts"] = np.stack(
        [np.bincount(k_idx, weights=touched_end[li], minlength=n_k) for li in range(n_lv)]
    )

    if spec.entries:
        horizon_read = read_pos[g_count - 1]
        res = strategy_returns(
            y10_read=y_read,
            usd_log_growth_read=log_read,
            rate_post_read=rpost_read,
            expected_cuts_read=e_read,
            effective=spec.meeting_effective,
            horizon=spec.horizon,
            horizon_read=horizon_read,
            entries=spec.entries,
            foreign_rate_pp=spec.foreign_rate_pp,
            foreign_basis_pp=spec.foreign_basis_pp,
            foreign_cash_log=spec.foreign_cash_log,
            bill_spread_pp=spec.bill_spread_pp,
        )
        rets = np.stack([res.usd] + [res.hedged[c] for c in CURRENCY_ORDER[1:]])  # (C, P, M)
        n_m = rets.shape[2]
        floats["ret_sum"] = rets.sum(axis=1)
        floats["ret_sq"] = (rets**2).sum(axis=1)
        ints["ret_loss"] = (rets < 0).sum(axis=1).astype(np.int64)
        best = np.argmax(rets, axis=2)  # (C, P)
        ints["ret_best"] = np.stack(
            [np.bincount(best[c], minlength=n_m) for c in range(len(CURRENCY_ORDER))]
        ).astype(np.int64)
        offs_r = (np.arange(len(CURRENCY_ORDER) * n_m) * HIST_RETURNS["bins"]).reshape(
            len(CURRENCY_ORDER), 1, n_m
        )
        ints["hist_ret"] = np.bincount(
            (offs_r + _bin(rets, HIST_RETURNS)).ravel(),
            minlength=len(CURRENCY_ORDER) * n_m * int(HIST_RETURNS["bins"]),
        ).astype(np.int64)
        floats["hedge_cost_sum"] = np.stack(
            [np.zeros(n_m)] + [res.hedge_cost[c].sum(axis=0) for c in CURRENCY_ORDER[1:]]
        )
        floats["coupon_sum"] = res.coupon_value.sum(axis=0)
        floats["entry_y_sum"] = np.array([y_read[:, e.entry_read].sum() for e in spec.entries])
    thin = out["y10"][:, : spec.thin_paths].T.copy() if block == 0 else None
    return BlockOut(block=block, n=n, ints=ints, floats=floats, thin=thin)


def _policy_paths(
    spec: SimSpec, cuts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Policy rate paths (incl. decided moves, and effective), segment index per date, and
    the market's expected cuts per segment (the table is looked up once per decision)."""
    g_count = len(spec.grid)
    inc_post = np.zeros((g_count, n))
    inc_eff = np.zeros((g_count, n))
    for i, t in enumerate(spec.decide_at):
        inc_post[t] += cuts[:, i]
    for i, t in enumerate(spec.effective_at):
        if t < g_count:
            inc_eff[t] += cuts[:, i]
    rate_post = spec.rate0_pp - 0.25 * np.cumsum(inc_post, axis=0)
    rate_eff = spec.rate0_pp - 0.25 * np.cumsum(inc_eff, axis=0)
    seg_of = np.searchsorted(spec.decide_at, np.arange(g_count), side="right")
    table = spec.market_table
    seg_e: list[np.ndarray] = []
    s_running = np.zeros(n, dtype=np.int64)
    n_meet = len(spec.meeting_dates)
    for j in range(n_meet + 1):
        if n_meet == 0:
            seg_e.append(np.zeros((n, 0)))
            break
        seg_e.append(table.expected_remaining(np.full(n, j, dtype=np.int64), s_running))
        if j < n_meet:
            s_running = s_running + cuts[:, j]
    return rate_post, rate_eff, seg_of, seg_e


def _expectations(
    spec: SimSpec,
    rate_post: np.ndarray,
    neutral: np.ndarray,
    kappa: np.ndarray,
    seg_of: np.ndarray,
    seg_e: list[np.ndarray],
) -> np.ndarray:
    """EC_t without the inflation term for every date and path, (G, n)."""
    g_count = len(spec.grid)
    n = rate_post.shape[1]
    h_in = np.array([months_inside(float(L)) for L in spec.years_to_end])
    n_out = HORIZON_MONTHS - h_in
    counts = np.stack(
        [
            meeting_counts(float(spec.years_to_end[t]), spec.years_to_meeting[t])
            for t in range(g_count)
        ]
    ).astype(np.float64)  # (G, J)
    # S(kappa, L_t) = e0 * expm1(-kappa n_out/12) / expm1(-kappa/12), closed form per path
    safe = np.where(np.abs(kappa) < 1e-8, 1e-8, kappa)
    # exp(kappa L_t) by recurrence over dates (one exp per distinct step), not G x n exps
    growth = np.empty((g_count, n))
    growth[0] = np.exp(safe * spec.years_to_end[0])
    steps = np.diff(spec.years_to_end)
    step_exp = {float(d): np.exp(safe * d) for d in np.unique(steps)}
    for t in range(1, g_count):
        np.multiply(growth[t - 1], step_exp[float(steps[t - 1])], out=growth[t])
    # geo depends on n_out, which takes few distinct values
    outs, inv = np.unique(n_out, return_inverse=True)
    base = np.expm1(-safe / 12.0)
    geo_by_out = np.stack([np.expm1(-safe * o / 12.0) / base for o in outs])
    e0 = growth
    for k, o in enumerate(outs):
        rows = inv == k
        e0[rows] *= np.exp(-safe * (HORIZON_MONTHS - o + 1) / 12.0) * geo_by_out[k]
    geo = 1.0
    s_rev = e0 * geo  # (G, n)
    moves = np.empty((g_count, n))
    for j, e_seg in enumerate(seg_e):
        rows = np.nonzero(seg_of == j)[0]
        if len(rows) == 0:
            continue
        if e_seg.shape[1] == 0:
            moves[rows] = 0.0
            continue
        moves[rows] = (e_seg @ counts[rows].T).T + s_rev[rows] * e_seg.sum(axis=1)[None, :]
    ec = (h_in[:, None] + s_rev) * rate_post + (n_out[:, None] - s_rev) * neutral[None, :]
    ec -= 0.25 * moves
    ec /= HORIZON_MONTHS
    return ec


def _all_counts(spec: SimSpec) -> list[int]:
    counts = [int(k) for c in spec.components for k in c.view_prior.counts]
    return counts + [int(k) for k in spec.market.counts]


def _k_lo(spec: SimSpec) -> int:
    return min(_all_counts(spec))


def _n_k(spec: SimSpec) -> int:
    return max(_all_counts(spec)) - _k_lo(spec) + 1
