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
    expectations_component,
    inflation_weight_B,
    meeting_counts,
)
from simulator.core.strategies import strategy_returns
from simulator.core.term_premium import ar1_step, event_effect
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

    # --- state at the as-of ----------------------------------------------------------------
    rate_post = np.full(n, spec.rate0_pp)
    rate_eff = rate_post.copy()
    j_decided = 0
    s_running = np.zeros(n, dtype=np.int64)
    exp_cuts = (
        table.expected_remaining(np.zeros(n, dtype=np.int64), s_running)
        if n_meet
        else np.zeros((n, 0))
    )
    gap = (
        np.full(n, spec.gap0_pp)
        + np.array([c.inflation_gap_shift_pp for c in spec.components])[comp]
    )
    counts0 = meeting_counts(float(spec.years_to_end[0]), spec.years_to_meeting[0])
    ec = expectations_component(
        rate_post, neutral, kappa, exp_cuts, counts0, float(spec.years_to_end[0]), infl_load * gap
    )
    x = spec.y10_0_pp - ec - tp_mean  # the first simulated day continues from the observed 10y
    usd_log = np.zeros(n)

    out = {v: np.empty((g_count, n)) for v in RATE_VARS}
    out["y10"][0] = spec.y10_0_pp
    out["policy_rate"][0] = rate_eff
    out["term_premium"][0] = spec.y10_0_pp - ec
    out["expectations"][0] = ec

    n_lv = len(spec.levels)
    survive = np.where(spec.observed_touched[:, None], 0.0, 1.0) * np.ones((n_lv, n))
    touch_sum = np.zeros((n_lv, g_count))
    touch_sq = np.zeros((n_lv, g_count))
    touch_sum[:, 0] = (1.0 - survive).sum(axis=1)
    touch_sq[:, 0] = ((1.0 - survive) ** 2).sum(axis=1)
    months = spec.grid.astype("datetime64[M]")
    month_keys = np.unique(months)
    month_of = np.searchsorted(month_keys, months)
    first_touch = np.zeros((n_lv, len(month_keys)))

    read_pos = {int(g): r for r, g in enumerate(spec.read_at)}
    n_read = len(spec.read_at)
    y_read = np.empty((n, n_read))
    log_read = np.empty((n, n_read))
    rpost_read = np.empty((n, n_read))
    e_read = np.empty((n, n_read, n_meet))
    _record(
        0,
        read_pos,
        y_read,
        log_read,
        rpost_read,
        e_read,
        out["y10"][0],
        usd_log,
        rate_post,
        exp_cuts,
    )

    step_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    month_step = {int(g): k for k, g in enumerate(spec.month_end_at)}
    sigma_br = bridge_sigma(daily_sigma_from_monthly(sigma_tp, phi)) if spec.weekly else None
    levels_shift = (
        [bgk_shifted_level(lv, spec.y10_0_pp, sigma_br) for lv in spec.levels]
        if sigma_br is not None
        else None
    )
    decide_at = {int(t): [] for t in spec.decide_at}
    for i, t in enumerate(spec.decide_at):
        decide_at[int(t)].append(i)
    effective_at = {int(t): [] for t in spec.effective_at}
    for i, t in enumerate(spec.effective_at):
        effective_at[int(t)].append(i)
    grid_days = spec.grid.astype(np.int64)

    for t in range(1, g_count):
        k_days = int(spec.step_bdays[t - 1])
        # USD cash accrues the rate in force over the step (calendar days, ACT/365.25)
        dt_years = (grid_days[t] - grid_days[t - 1]) / 365.25
        usd_log += (rate_eff + spec.bill_spread_pp) / 100.0 * dt_years
        for i in decide_at.get(t, []):
            j_decided += 1
            s_running = s_running + cuts[:, i]
            rate_post = rate_post - 0.25 * cuts[:, i]
            exp_cuts = table.expected_remaining(np.full(n, j_decided, dtype=np.int64), s_running)
        for i in effective_at.get(t, []):
            rate_eff = rate_eff - 0.25 * cuts[:, i]
        if t in month_step:
            gap = rho * gap + sigma_pi * infl_shocks[month_step[t]]
        if k_days not in step_cache:
            step_cache[k_days] = ar1_step(phi, sigma_tp, k_days)
        coef, sd = step_cache[k_days]
        x = coef * x + sd * tp_shocks[t - 1]
        bday = int(spec.grid_bday[t])
        events = np.zeros(n)
        for occurs, onset, size, hl in ev_terms:
            events += event_effect(occurs, onset, size, hl, bday)
        counts = meeting_counts(float(spec.years_to_end[t]), spec.years_to_meeting[t])
        ec = expectations_component(
            rate_post,
            neutral,
            kappa,
            exp_cuts,
            counts,
            float(spec.years_to_end[t]),
            infl_load * gap,
        )
        tp = tp_mean + x + drift[comp, t] + events
        y = ec + tp
        y_prev = out["y10"][t - 1]
        out["y10"][t] = y
        out["policy_rate"][t] = rate_eff
        out["term_premium"][t] = tp
        out["expectations"][t] = ec
        # touch: daily closes at or beyond the level; on a coarser grid add the bridge
        before = 1.0 - survive
        for li, lv in enumerate(spec.levels):
            hit = (spec.level_dir[li] * (y - lv)) >= 0
            p_cross = hit.astype(np.float64)
            if levels_shift is not None and k_days > 1:
                bridge = touch_probability(y_prev, y, levels_shift[li], sigma_br, k_days / 252.0)
                p_cross = np.maximum(p_cross, bridge)
            survive[li] *= 1.0 - p_cross
        after = 1.0 - survive
        touch_sum[:, t] = after.sum(axis=1)
        touch_sq[:, t] = (after**2).sum(axis=1)
        first_touch[:, month_of[t]] += (after - before).sum(axis=1)
        _record(t, read_pos, y_read, log_read, rpost_read, e_read, y, usd_log, rate_post, exp_cuts)

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
        [np.bincount(k_idx, weights=1.0 - survive[li], minlength=n_k) for li in range(n_lv)]
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


def _record(
    t: int,
    read_pos: dict[int, int],
    y_read: np.ndarray,
    log_read: np.ndarray,
    rpost_read: np.ndarray,
    e_read: np.ndarray,
    y: np.ndarray,
    usd_log: np.ndarray,
    rate_post: np.ndarray,
    exp_cuts: np.ndarray,
) -> None:
    r = read_pos.get(t)
    if r is None:
        return
    y_read[:, r] = y
    log_read[:, r] = usd_log
    rpost_read[:, r] = rate_post
    e_read[:, r, :] = exp_cuts


def _k_lo(spec: SimSpec) -> int:
    return int(min(int(c.view_prior.counts.min()) for c in spec.components))


def _n_k(spec: SimSpec) -> int:
    hi = max(int(c.view_prior.counts.max()) for c in spec.components)
    return hi - _k_lo(spec) + 1
