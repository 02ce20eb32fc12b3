"""One block of paths: parameters -> shocks -> kernels -> mergeable aggregates.

Block ``b`` draws component ``c`` from ``SeedSequence(seed, spawn_key=(b, c))``, so a
block's numbers do not depend on which worker runs it or how blocks are grouped.
Integer aggregates (histogram counts) merge in any order; floating-point sums are kept
per block and added in block order by :mod:`simulator.engine.aggregate`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from simulator.core import policy
from simulator.core.barrier import (
    bgk_shifted_level,
    bridge_sigma,
    daily_sigma_from_monthly,
    touch_probability,
)
from simulator.core.expectations import (
    HORIZON_MONTHS,
    expectations_component,
    expectations_weight_A,
    inflation_weight_B,
)
from simulator.core.strategies import strategy_returns
from simulator.core.term_premium import BDAYS_PER_MONTH, ar1_step, event_effect
from simulator.engine.setup import (
    STREAM_EVENTS,
    STREAM_INFLATION,
    STREAM_LEVELS,
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


def _hist_by_row(values: np.ndarray, hist: dict[str, float], rows: int = 16) -> np.ndarray:
    """Counts of fixed bins per row of ``values`` (G, n), flattened (G * bins,).

    Works on a few rows at a time so the temporaries stay in cache.
    """
    bins = int(hist["bins"])
    g_count, n = values.shape
    out = np.zeros(g_count * bins, dtype=np.int64)
    inv = 1.0 / hist["width"]
    buf = np.empty((rows, n))
    ibuf = np.empty((rows, n), dtype=np.intp)
    for r0 in range(0, g_count, rows):
        r1 = min(g_count, r0 + rows)
        k = r1 - r0
        b, ib = buf[:k], ibuf[:k]
        np.subtract(values[r0:r1], hist["lo"], out=b)
        b *= inv
        np.clip(b, 0.0, bins - 1.0, out=b)  # then truncation == floor
        ib[...] = b
        ib += (np.arange(k) * bins)[:, None]
        out[r0 * bins : r1 * bins] += np.bincount(ib.ravel(), minlength=k * bins)
    return out


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
    # the neutral rate and the term-premium mean are random walks from their as-of levels
    # (monthly s.d. sigma_n, sigma_m; sqrt(k / 21) over k business days). Their stream is
    # drawn only when one moves, so fixed levels give the same paths as before.
    sigma_n = par["neutral_rate_shock_pp"]
    sigma_m = par["term_premium_mean_shock_pp"]
    walks = bool(np.any(sigma_n > 0) or np.any(sigma_m > 0))

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
    level_shocks = (
        _rng(spec, block, STREAM_LEVELS).standard_normal((g_count - 1, 2, n)) if walks else None
    )
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

    # --- the path loop: one date at a time, vectors of n paths (cache-resident) -----------
    ws = _workspace(g_count, n)
    out = {v: ws[v] for v in RATE_VARS}
    y_all, rate_all, tp_all, ec_all = (
        out["y10"],
        out["policy_rate"],
        out["term_premium"],
        out["expectations"],
    )
    gap = (
        np.full(n, spec.gap0_pp)
        + np.array([c.inflation_gap_shift_pp for c in spec.components])[comp]
    )
    rate_post = np.full(n, spec.rate0_pp)
    rate_eff = rate_post.copy()
    s_running = np.zeros(n, dtype=np.int64)
    exp_cuts = (
        table.expected_remaining(np.zeros(n, dtype=np.int64), s_running)
        if n_meet
        else np.zeros((n, 0))
    )
    # S(kappa, L_t) = exp(kappa L_t) x C(n_out): the first factor by recurrence over dates
    safe_k = np.where(np.abs(kappa) < 1e-8, 1e-8, kappa)
    growth = np.exp(safe_k * spec.years_to_end[0])
    step_growth = {float(d): np.exp(safe_k * d) for d in np.unique(np.diff(spec.years_to_end))}
    base = np.expm1(-safe_k / 12.0)
    c_by_out: dict[int, np.ndarray] = {}
    counts = spec.meeting_counts.astype(np.float64)  # (G, J)
    h_in_all = spec.months_inside
    decide_at: dict[int, list[int]] = {}
    for i, t in enumerate(spec.decide_at):
        decide_at.setdefault(int(t), []).append(i)
    effective_at: dict[int, list[int]] = {}
    for i, t in enumerate(spec.effective_at):
        effective_at.setdefault(int(t), []).append(i)
    month_step = {int(g): k for k, g in enumerate(spec.month_end_at)}
    step_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    grid_days = spec.grid.astype(np.int64)
    usd_log = np.zeros(n)
    read_pos = {int(g): r for r, g in enumerate(spec.read_at)}
    n_read = len(spec.read_at)
    y_read = np.empty((n, n_read))
    log_read = np.empty((n, n_read))
    rpost_read = np.empty((n, n_read))
    e_read = np.empty((n, n_read, n_meet))
    n_lv = len(spec.levels)
    survive = np.where(spec.observed_touched, 0.0, 1.0)[:, None] * np.ones((n_lv, n))
    touch_sum = np.zeros((n_lv, g_count))
    touch_sq = np.zeros((n_lv, g_count))
    months = spec.grid.astype("datetime64[M]")
    month_keys = np.unique(months)
    month_of = np.searchsorted(month_keys, months)
    first_touch = np.zeros((n_lv, len(month_keys)))
    sigma_br = None
    if spec.weekly:
        # the bridge's daily s.d.: the TP deviation's plus the level walks' (the neutral
        # rate's weight in the 10y taken as 1 - A(kappa), its weight in the fit)
        daily_var = (
            daily_sigma_from_monthly(sigma_tp, phi) ** 2
            + (sigma_m**2 + ((1.0 - expectations_weight_A(kappa)) * sigma_n) ** 2) / BDAYS_PER_MONTH
        )
        sigma_br = bridge_sigma(np.sqrt(daily_var))
    shifted = (
        [bgk_shifted_level(lv, spec.y10_0_pp, sigma_br) for lv in spec.levels]
        if sigma_br is not None
        else None
    )
    drift_one = drift[0] if len(spec.components) == 1 else None
    x = np.empty(n)
    tmp = np.empty(n)
    for t in range(g_count):
        if t > 0:
            dt_years = (grid_days[t] - grid_days[t - 1]) / 365.25
            usd_log += (rate_eff + spec.bill_spread_pp) * (dt_years / 100.0)
            for i in decide_at.get(t, ()):
                s_running = s_running + cuts[:, i]
                rate_post = rate_post - 0.25 * cuts[:, i]
                exp_cuts = table.expected_remaining(np.full(n, i + 1, dtype=np.int64), s_running)
            for i in effective_at.get(t, ()):
                rate_eff = rate_eff - 0.25 * cuts[:, i]
            if t in month_step:
                gap = rho * gap + sigma_pi * infl_shocks[month_step[t]]
            if level_shocks is not None:
                root_k = math.sqrt(int(spec.step_bdays[t - 1]) / BDAYS_PER_MONTH)
                neutral = neutral + (sigma_n * root_k) * level_shocks[t - 1, 0]
                tp_mean = tp_mean + (sigma_m * root_k) * level_shocks[t - 1, 1]
            growth *= step_growth[float(spec.years_to_end[t] - spec.years_to_end[t - 1])]
        h_in = int(h_in_all[t])
        n_out = HORIZON_MONTHS - h_in
        if n_out not in c_by_out:
            c_by_out[n_out] = (
                np.exp(-safe_k * (h_in + 1) / 12.0) * np.expm1(-safe_k * n_out / 12.0) / base
                if n_out
                else np.zeros(n)
            )
        s_rev = growth * c_by_out[n_out]
        ec = expectations_component(
            rate_post,
            neutral,
            kappa,
            exp_cuts,
            counts[t],
            float(spec.years_to_end[t]),
            infl_load * gap,
            reversion=s_rev,
        )
        ec_all[t] = ec
        tp = tp_all[t]
        if t == 0:
            np.subtract(spec.y10_0_pp - ec, tp_mean, out=x)  # continue from the observed 10y
        else:
            k_days = int(spec.step_bdays[t - 1])
            if k_days not in step_cache:
                step_cache[k_days] = ar1_step(phi, sigma_tp, k_days)
            coef, sd = step_cache[k_days]
            x *= coef
            np.multiply(sd, tp_shocks[t - 1], out=tmp)
            x += tmp
        np.add(tp_mean, x, out=tp)
        if drift_one is not None:
            tp += drift_one[t]
        else:
            tp += drift[comp, t]
        bday = int(spec.grid_bday[t])
        for occurs, onset, size, hl in ev_terms:
            tp += event_effect(occurs, onset, size, hl, bday)
        y = y_all[t]
        np.add(ec, tp, out=y)
        rate_all[t] = rate_eff
        if t > 0:
            k_days = int(spec.step_bdays[t - 1])
            for li, lv in enumerate(spec.levels):
                before = 1.0 - survive[li]
                hit = (spec.level_dir[li] * (y - lv)) >= 0
                if shifted is not None and sigma_br is not None and k_days > 1:
                    bridge = touch_probability(
                        y_all[t - 1], y, shifted[li], sigma_br, k_days / 252.0
                    )
                    survive[li] *= 1.0 - np.maximum(hit, bridge)
                else:
                    survive[li][hit] = 0.0
                after = 1.0 - survive[li]
                touch_sum[li, t] = after.sum()
                touch_sq[li, t] = np.dot(after, after)
                first_touch[li, month_of[t]] += touch_sum[li, t] - before.sum()
        r = read_pos.get(t)
        if r is not None:
            y_read[:, r] = y
            log_read[:, r] = usd_log
            rpost_read[:, r] = rate_post
            e_read[:, r, :] = exp_cuts
    touched_end = 1.0 - survive
    tp = tp_all

    # --- aggregates -------------------------------------------------------------------------
    ints: dict[str, np.ndarray] = {}
    floats: dict[str, np.ndarray] = {}
    for v in RATE_VARS:
        ints[f"hist_{v}"] = _hist_by_row(out[v], HIST_RATES)
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
        # one row per (currency, month), in the order aggregate.py reshapes them
        ints["hist_ret"] = _hist_by_row(
            rets.transpose(0, 2, 1).reshape(len(CURRENCY_ORDER) * n_m, -1), HIST_RETURNS
        )
        floats["hedge_cost_sum"] = np.stack(
            [np.zeros(n_m)] + [res.hedge_cost[c].sum(axis=0) for c in CURRENCY_ORDER[1:]]
        )
        floats["coupon_sum"] = res.coupon_value.sum(axis=0)
        floats["entry_y_sum"] = np.array([y_read[:, e.entry_read].sum() for e in spec.entries])
    thin = out["y10"][:, : spec.thin_paths].T.copy() if block == 0 else None
    return BlockOut(block=block, n=n, ints=ints, floats=floats, thin=thin)


_WS = threading.local()


def _workspace(g_count: int, n: int) -> dict[str, np.ndarray]:
    """Per-thread (G, n) buffers reused across blocks (no page faults per block)."""
    key = (g_count, n)
    cache = getattr(_WS, "cache", None)
    if cache is None or cache[0] != key:
        cache = (key, {v: np.empty((g_count, n)) for v in RATE_VARS})
        _WS.cache = cache
    return cache[1]


def _all_counts(spec: SimSpec) -> list[int]:
    counts = [int(k) for c in spec.components for k in c.view_prior.counts]
    return counts + [int(k) for k in spec.market.counts]


def _k_lo(spec: SimSpec) -> int:
    return min(_all_counts(spec))


def _n_k(spec: SimSpec) -> int:
    return max(_all_counts(spec)) - _k_lo(spec) + 1
