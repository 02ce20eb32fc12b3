r"""The compiled path kernel: one pass over the dates per block, every answer fused in.

The same equations as :func:`simulator.engine.kernel.reference_kernel` (its module
docstring), compiled with numba: ``nogil`` so a thread pool scales over cores,
``cache=True`` so the machine code is compiled once and loaded from disk afterwards, and
no ``fastmath`` (no reassociation, no flush-to-zero: results do not depend on the CPU).
Dates run in the outer loop and paths in the inner one, so a date's shocks, its
histogram rows and the per-path state (a few arrays of 8192 floats) stay in cache, and
nothing of size (dates x paths) is ever written.

Against the reference on the same shocks, per-path values agree to the last bit on the
tested cases (the tests allow 1e-12: ``exp`` comes from a different library) and sums
over paths to ~4e-14 relative (path order rather than numpy's pairwise order); touch
flags agree exactly, and a histogram count can differ only
for a value within rounding of a bin edge; on the tested cases every count is equal
(``tests/test_engine_kernels.py``).
"""

from __future__ import annotations

import math

import numpy as np

from simulator.engine.kernel import (
    HIST_FX,
    HIST_RATES,
    HORIZON_MONTHS,
    TWO_YEAR_MONTHS,
    KernelInputs,
    PathAggregates,
    empty_aggregates,
)

try:  # numba is a declared dependency; the guard only keeps the error message clear
    from numba import njit
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise ImportError(
        "the compiled engine kernel needs numba (a dependency of macrosim); reinstall "
        "with `pip install -e .`, or run with kernel='numpy'"
    ) from exc

_LN2 = math.log(2.0)
# every compiled pass of the engine: cached on disk, GIL released, IEEE arithmetic
NUMBA_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}
_OPTS = NUMBA_OPTIONS
# helpers are inlined into the pass (numba IR level): a call per path and date that
# marshals a dozen array arguments costs more than the arithmetic it wraps
_INLINE = {**_OPTS, "inline": "always"}


@njit(**_INLINE)
def _bin(value: float, lo: float, inv: float, top: float) -> int:
    """Fixed-bin index: floor(clip((value - lo) / width, 0, bins - 1))."""
    b = (value - lo) * inv
    if b < 0.0:
        b = 0.0
    elif b > top:
        b = top
    return int(b)


@njit(**_INLINE)
def _bridge_touch(x0: float, x1: float, level: float, sigma: float, dt: float) -> float:
    """Brownian-bridge crossing probability (core.barrier.touch_probability, scalar)."""
    product = (x0 - level) * (x1 - level)
    if product <= 0.0:
        return 1.0
    variance = sigma * sigma * dt
    if product * (2.0 / 800.0) < variance:
        return math.exp(-((2.0 * product) / variance))
    return 0.0


@njit(**_INLINE)
def _event_sum(
    tp: float,
    i: int,
    bday: int,
    occurs: np.ndarray,
    onset: np.ndarray,
    size: np.ndarray,
    half_life: np.ndarray,
) -> float:
    """TP plus every event active on business day ``bday`` (core.term_premium.event_effect)."""
    for e in range(size.size):
        if occurs[e, i] and bday >= onset[e, i]:
            if half_life[e] == math.inf:
                tp += size[e]
            else:
                tp += size[e] * math.exp(-_LN2 * (bday - onset[e, i]) / half_life[e])
    return tp


@njit(**_INLINE)
def _touch_update(
    survive: np.ndarray,
    i: int,
    t: int,
    y: float,
    y_prev: float,
    k_days: int,
    bridge: bool,
    levels: np.ndarray,
    level_dir: np.ndarray,
    shifted: np.ndarray,
    sigma_bridge: np.ndarray,
    touch_sum: np.ndarray,
    touch_sq: np.ndarray,
    first_touch: np.ndarray,
    month: int,
) -> None:
    """Daily-close hits (and the bridge between weekly grid dates) for each level."""
    for li in range(levels.size):
        before = 1.0 - survive[li, i]
        hit = level_dir[li] * (y - levels[li]) >= 0.0
        if bridge and k_days > 1:
            p = _bridge_touch(y_prev, y, shifted[li, i], sigma_bridge[i], k_days / 252.0)
            survive[li, i] *= 1.0 - max(1.0 if hit else 0.0, p)
        elif hit:
            survive[li, i] = 0.0
        after = 1.0 - survive[li, i]
        touch_sum[li, t] += after
        touch_sq[li, t] += after * after
        first_touch[li, month] += after - before


# rows of the kernel's per-path state and parameter arrays (the fx legs' log spots
# follow the state's rows, from FX0 on)
USD_LOG, RATE_POST, RATE_EFF, GAP, NEUTRAL, TP_MEAN, GROWTH, X, Y_PREV, Y2_OFF = range(10)
FX0 = 10
RHO, SIGMA_PI, INFL_LOAD, SIGMA_M, INFL_LOAD2 = range(5)
FX_VOL, FX_RHO, FX_COMP = range(3)


@njit(**_INLINE)
def _fx_step(
    state: np.ndarray,
    t: int,
    month: int,
    root_k: float,
    root_day: float,
    h_in: int,
    rev: np.ndarray,
    sd: np.ndarray,
    z: np.ndarray,
    par: np.ndarray,
    sigma_n: np.ndarray,
    level_shocks: np.ndarray,
    inflation: np.ndarray,
    fx_par: np.ndarray,
    fx_step: np.ndarray,
    fx_shocks: np.ndarray,
    u: np.ndarray,
) -> None:
    """Every fx leg's log spot to date ``t >= 1`` (kernel._fx_step and _y10_shock, the
    same operations in the same order): u_t per path, then one loop per leg. Separate
    from the path loop, whose histograms keep it scalar, so these loops vectorise."""
    walks = level_shocks.shape[0] > 0
    for i in range(u.size):
        a = sd[i]
        num = a * z[i]
        var = a * a
        if walks:
            s = state[GROWTH, i] * rev[i]
            a_m = par[SIGMA_M, i] * root_k
            a_n = ((HORIZON_MONTHS - h_in) - s) / HORIZON_MONTHS * (sigma_n[i] * root_k)
            num = num + a_m * level_shocks[t - 1, 1, i]
            var = var + a_m * a_m
            num = num + a_n * level_shocks[t - 1, 0, i]
            var = var + a_n * a_n
        if month >= 0:
            a_pi = par[INFL_LOAD, i] * par[SIGMA_PI, i]
            num = num + a_pi * inflation[month, i]
            var = var + a_pi * a_pi
        den = math.sqrt(var)
        u[i] = num / den if den > 0.0 else 0.0
    for f in range(fx_step.shape[0]):
        spot, step = state[FX0 + f], fx_step[f, t]
        vol, rho, comp, zf = (
            fx_par[FX_VOL, f],
            fx_par[FX_RHO, f],
            fx_par[FX_COMP, f],
            fx_shocks[t - 1, f],
        )
        for i in range(u.size):
            eps = rho[i] * u[i] + comp[i] * zf[i]
            spot[i] = spot[i] + (step + (vol[i] * root_day) * eps)


@njit(**_INLINE)
def _advance(
    state: np.ndarray,
    par: np.ndarray,
    t: int,
    month: int,
    root_k: float,
    dty: float,
    spread: float,
    cuts: np.ndarray,
    decide_at: np.ndarray,
    effective_at: np.ndarray,
    neutral_jump: np.ndarray,
    inflation: np.ndarray,
    level_shocks: np.ndarray,
    growth_step: np.ndarray,
    sigma_n: np.ndarray,
) -> None:
    """Step every path's state to date ``t >= 1``: cash (at the rate in force before
    ``t``), moves decided / effective at ``t`` (and the neutral rate's policy news), the
    month-end inflation step, the walks and exp(kappa L). One simple loop per concern, so
    each vectorises."""
    usd_log, rate_post, rate_eff = state[USD_LOG], state[RATE_POST], state[RATE_EFF]
    for i in range(usd_log.size):
        usd_log[i] += (rate_eff[i] + spread) * dty
    for j in range(decide_at.size):
        if decide_at[j] == t:
            for i in range(rate_post.size):
                rate_post[i] = rate_post[i] - 0.25 * cuts[i, j]
            if neutral_jump.shape[0] > 0:
                neutral = state[NEUTRAL]
                for i in range(neutral.size):
                    neutral[i] = neutral[i] + neutral_jump[j, i]
        if effective_at[j] == t:
            for i in range(rate_eff.size):
                rate_eff[i] = rate_eff[i] - 0.25 * cuts[i, j]
    if month >= 0:
        gap, rho, sigma_pi = state[GAP], par[RHO], par[SIGMA_PI]
        for i in range(gap.size):
            gap[i] = rho[i] * gap[i] + sigma_pi[i] * inflation[month, i]
    if level_shocks.shape[0] > 0:
        neutral, tp_mean, sigma_m = state[NEUTRAL], state[TP_MEAN], par[SIGMA_M]
        for i in range(neutral.size):
            neutral[i] = neutral[i] + (sigma_n[i] * root_k) * level_shocks[t - 1, 0, i]
            tp_mean[i] = tp_mean[i] + (sigma_m[i] * root_k) * level_shocks[t - 1, 1, i]
    growth = state[GROWTH]
    for i in range(growth.size):
        growth[i] *= growth_step[i]


@njit(**_INLINE)
def _expectations(
    state: np.ndarray,
    i: int,
    horizon: int,
    h_in: int,
    s: float,
    dot: float,
    tot: float,
    infl_load: float,
) -> float:
    """EC_t of one maturity (core.expectations.expectations_component, one path); ``dot`` =
    E[m] . c_t and ``tot`` = sum of E[m] come from the wrapper, computed as the reference
    computes them."""
    moves = dot + s * tot
    n_out = horizon - h_in
    ec = (h_in + s) * state[RATE_POST, i] + (n_out - s) * state[NEUTRAL, i] - 0.25 * moves
    return ec / horizon + infl_load * state[GAP, i]


@njit(**_OPTS)
def _path_pass(  # a kernel's inputs are its signature
    state: np.ndarray,
    par: np.ndarray,
    survive: np.ndarray,
    sched: np.ndarray,
    sched_f: np.ndarray,
    decide_at: np.ndarray,
    effective_at: np.ndarray,
    cuts: np.ndarray,
    neutral_jump: np.ndarray,
    expected_after: np.ndarray,
    moves_dot: np.ndarray,
    moves_dot2: np.ndarray,
    moves_tot: np.ndarray,
    growth_table: np.ndarray,
    sigma_n_table: np.ndarray,
    reversion_table: np.ndarray,
    reversion2_table: np.ndarray,
    ar1_coef: np.ndarray,
    ar1_sd: np.ndarray,
    counts: np.ndarray,
    drift: np.ndarray,
    component: np.ndarray,
    inflation: np.ndarray,
    tp_shocks: np.ndarray,
    level_shocks: np.ndarray,
    ev_occurs: np.ndarray,
    ev_onset: np.ndarray,
    ev_size: np.ndarray,
    ev_half: np.ndarray,
    levels: np.ndarray,
    level_dir: np.ndarray,
    shifted: np.ndarray,
    sigma_bridge: np.ndarray,
    bridge: bool,
    consts: np.ndarray,
    hist: np.ndarray,
    sums: np.ndarray,
    touch_sum: np.ndarray,
    touch_sq: np.ndarray,
    first_touch: np.ndarray,
    y_read: np.ndarray,
    log_read: np.ndarray,
    rpost_read: np.ndarray,
    e_read: np.ndarray,
    thin: np.ndarray,
    thin2: np.ndarray,
    fx_par: np.ndarray,
    fx_step: np.ndarray,
    fx_shocks: np.ndarray,
    fx_hist: np.ndarray,
    fx_read: np.ndarray,
    fx_thin: np.ndarray,
) -> None:
    """All dates of one block, paths inside; ``sched`` rows are in :data:`SCHEDULE_ROWS`."""
    y0, spread, lo, inv, top, y2_0 = (
        consts[0],
        consts[1],
        consts[2],
        consts[3],
        consts[4],
        consts[5],
    )
    fx_lo, fx_inv, fx_top = consts[6], consts[7], consts[8]
    n_fx = fx_step.shape[0]
    u_buf = np.zeros(state.shape[1])  # u_t of each path (fx legs only)
    for t in range(sched.shape[1]):
        gcol, rcol, acol, month, h_in = (
            sched[0, t],
            sched[1, t],
            sched[2, t],
            sched[3, t],
            sched[4, t],
        )
        bday, k_days, r, cal = sched[5, t], sched[6, t], sched[7, t], sched[8, t]
        r2col, h_in2, jd = sched[9, t], sched[10, t], sched[11, t]
        dots, dots2, tots = moves_dot[sched[12, t]], moves_dot2[sched[13, t]], moves_tot[jd]
        # the policy rate moves only on effective dates: elsewhere its row repeats
        rate_moves = t == 0
        for j in range(effective_at.size):
            rate_moves = rate_moves or effective_at[j] == t
        dty, root_k, root_day = sched_f[0, t] / 100.0, sched_f[1, t], sched_f[2, t]
        sigma_n = sigma_n_table[sched[14, t]]
        if t > 0:
            _advance(
                state,
                par,
                t,
                month,
                root_k,
                dty,
                spread,
                cuts,
                decide_at,
                effective_at,
                neutral_jump,
                inflation,
                level_shocks,
                growth_table[gcol],
                sigma_n,
            )
        rev, coef, sd = reversion_table[rcol], ar1_coef[acol], ar1_sd[acol]
        rev2 = reversion2_table[r2col]
        z = tp_shocks[t - 1] if t > 0 else tp_shocks[0]
        for i in range(state.shape[1]):
            s = state[GROWTH, i] * rev[i]
            ec = _expectations(
                state, i, HORIZON_MONTHS, h_in, s, dots[i], tots[i], par[INFL_LOAD, i]
            )
            s2 = state[GROWTH, i] * rev2[i]
            ec2 = _expectations(
                state, i, TWO_YEAR_MONTHS, h_in2, s2, dots2[i], tots[i], par[INFL_LOAD2, i]
            )
            if t == 0 and not math.isnan(y2_0):
                state[Y2_OFF, i] = y2_0 - ec2  # continue from the observed 2y
            y2 = ec2 + state[Y2_OFF, i]
            if t == 0:
                state[X, i] = (y0 - ec) - state[TP_MEAN, i]  # continue from the observed 10y
            else:
                state[X, i] = state[X, i] * coef[i] + sd[i] * z[i]
            tp = state[TP_MEAN, i] + state[X, i]
            tp += drift[component[i], t]
            tp = _event_sum(tp, i, bday, ev_occurs, ev_onset, ev_size, ev_half)
            y = ec + tp
            rate = state[RATE_EFF, i]
            hist[0, t, _bin(y, lo, inv, top)] += 1
            hist[2, t, _bin(tp, lo, inv, top)] += 1
            hist[3, t, _bin(ec, lo, inv, top)] += 1
            hist[4, t, _bin(y2, lo, inv, top)] += 1
            sums[0, t] += y
            if rate_moves:
                hist[1, t, _bin(rate, lo, inv, top)] += 1
                sums[1, t] += rate
            sums[2, t] += tp
            sums[3, t] += ec
            sums[4, t] += y2
            if t > 0:
                _touch_update(
                    survive,
                    i,
                    t,
                    y,
                    state[Y_PREV, i],
                    k_days,
                    bridge,
                    levels,
                    level_dir,
                    shifted,
                    sigma_bridge,
                    touch_sum,
                    touch_sq,
                    first_touch,
                    cal,
                )
            if r >= 0:
                y_read[i, r] = y
                log_read[i, r] = state[USD_LOG, i]
                rpost_read[i, r] = state[RATE_POST, i]
                e_read[i, r, :] = expected_after[jd, i, :]
            if i < thin.shape[1]:
                thin[t, i] = y
                thin2[t, i] = y2
            state[Y_PREV, i] = y
        if n_fx > 0:
            if t > 0:
                z = tp_shocks[t - 1]
                _fx_step(
                    state,
                    t,
                    month,
                    root_k,
                    root_day,
                    h_in,
                    rev,
                    sd,
                    z,
                    par,
                    sigma_n,
                    level_shocks,
                    inflation,
                    fx_par,
                    fx_step,
                    fx_shocks,
                    u_buf,
                )
            for f in range(n_fx):
                spot = state[FX0 + f]
                for i in range(spot.size):
                    fx_hist[f, t, _bin(100.0 * spot[i], fx_lo, fx_inv, fx_top)] += 1
                if r >= 0:
                    for i in range(spot.size):
                        fx_read[i, f, r] = spot[i]
                for i in range(fx_thin.shape[2]):
                    fx_thin[f, t, i] = spot[i]
        if not rate_moves:
            hist[1, t, :] = hist[1, t - 1, :]
            sums[1, t] = sums[1, t - 1]


SCHEDULE_ROWS = (
    "growth_col",
    "reversion_col",
    "ar1_col",
    "month_step",
    "h_in",
    "grid_bday",
    "step_bdays",
    "read_pos",
    "month_of",
    "reversion2_col",
    "h_in2",
)  # then "decided" (meetings decided by t: the market table's row) and the E[m] . c_t
#   rows of the 10-year and the 2-year, then the row of the walk's s.d. (sigma_n_col)


def _decided(inp: KernelInputs) -> np.ndarray:
    """Row of the market table in force at each date: 1 + the last meeting decided by t."""
    g_count = inp.dt_years.size
    out = np.zeros(g_count, dtype=np.int64)
    for j, t in enumerate(inp.decide_at.tolist()):
        if 1 <= t < g_count:  # decisions are applied from t = 1 on, as in the reference
            out[t:] = np.maximum(out[t:], j + 1)
    return out


def _moves_dot(
    inp: KernelInputs, decided: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """E[m] . c_t per path for each distinct (table row, counts row) along the dates.

    Computed with the reference's own matmul, so EC agrees bit for bit; the kernel then
    reads one number per path and date instead of a J-long dot product.
    """
    keys: dict[tuple[int, bytes], int] = {}
    rows: list[np.ndarray] = []
    index = np.empty(decided.size, dtype=np.int64)
    for t in range(decided.size):
        key = (int(decided[t]), counts[t].tobytes())
        if key not in keys:
            keys[key] = len(rows)
            rows.append(inp.expected_after[key[0]] @ counts[t])
        index[t] = keys[key]
    return np.stack(rows), index


def compiled_kernel(inp: KernelInputs) -> PathAggregates:
    """Run the compiled pass on one block's inputs; same contract as the reference."""
    agg = empty_aggregates(inp)
    n = inp.n
    n_fx = inp.fx_vol.shape[0]
    state = np.zeros((FX0 + n_fx, n))
    state[RATE_POST] = inp.rate0
    state[RATE_EFF] = inp.rate0
    state[GAP] = inp.gap0
    state[NEUTRAL] = inp.neutral0
    state[TP_MEAN] = inp.tp_mean0
    state[GROWTH] = inp.growth0
    par = np.stack([inp.rho, inp.sigma_pi, inp.infl_load, inp.sigma_m, inp.infl_load2])
    decided = _decided(inp)
    moves_dot, dot_row = _moves_dot(inp, decided, inp.counts)
    moves_dot2, dot2_row = _moves_dot(inp, decided, inp.counts2)
    extra = [decided, dot_row, dot2_row, inp.sigma_n_col]
    sched = np.stack([getattr(inp, name) for name in SCHEDULE_ROWS] + extra)
    # sum of E[m] as the reference takes it (numpy's order, so EC agrees bit for bit)
    moves_tot = inp.expected_after.sum(axis=2)
    sched_f = np.stack([inp.dt_years, inp.root_k, inp.root_days])
    survive = inp.survive0[:, None] * np.ones((inp.levels.size, n))
    bins = float(HIST_RATES["bins"])
    consts = np.array(
        [
            inp.y10_0,
            inp.bill_spread,
            HIST_RATES["lo"],
            1.0 / HIST_RATES["width"],
            bins - 1.0,
            inp.y2_0,
            HIST_FX["lo"],
            1.0 / HIST_FX["width"],
            float(HIST_FX["bins"]) - 1.0,
        ]
    )
    _path_pass(
        state,
        par,
        survive,
        sched.astype(np.int64),
        sched_f,
        inp.decide_at,
        inp.effective_at,
        inp.cuts,
        inp.neutral_jump,
        inp.expected_after,
        moves_dot,
        moves_dot2,
        moves_tot,
        inp.growth_table,
        inp.sigma_n,
        inp.reversion_table,
        inp.reversion2_table,
        inp.ar1_coef,
        inp.ar1_sd,
        inp.counts,
        inp.drift,
        inp.component,
        inp.inflation,
        inp.term_premium,
        inp.levels_shocks,
        inp.ev_occurs,
        inp.ev_onset,
        inp.ev_size,
        inp.ev_half_life,
        inp.levels,
        inp.level_dir,
        inp.shifted,
        inp.sigma_bridge,
        inp.bridge,
        consts,
        agg.hist,
        agg.sums,
        agg.touch_sum,
        agg.touch_sq,
        agg.first_touch,
        agg.y_read,
        agg.log_read,
        agg.rpost_read,
        agg.e_read,
        agg.thin,
        agg.thin2,
        np.stack([inp.fx_vol, inp.fx_rho, inp.fx_comp]).reshape(3, n_fx, n),
        inp.fx_step,
        inp.fx_shocks,
        agg.fx_hist,
        agg.fx_read,
        agg.fx_thin,
    )
    agg.touched_end[:] = 1.0 - survive
    agg.y_end[:] = state[Y_PREV]
    return agg
