r"""The path kernel's inputs, and its numpy reference implementation.

A block runs in three stages (:mod:`simulator.engine.block`): draw the shocks
(:mod:`simulator.engine.shocks`, the only RNG), run a kernel on them, merge. This module
holds the middle stage's contract:

- :func:`prepare_inputs` turns a spec and a block's shocks into :class:`KernelInputs`:
  per-path parameters, the policy placements, event onsets, and every per-path factor
  that depends only on a parameter and a step length (computed once per block, not once
  per date). No randomness.
- :func:`reference_kernel` walks the dates with vectors of paths in numpy. It is the
  reference the compiled kernel (:mod:`simulator.engine.compiled`) is tested against,
  and a run option (``kernel="numpy"``).

Per date ``t`` and path (docs/model.md for the equations)::

    I_t   += (r_eff + s) dt / 100                       (USD cash, before moves at t)
    r_post -= 0.25 m_j  at decision j;  E_t[m] <- market table (j + 1, running total)
    r_eff  -= 0.25 m_j  at its effective date
    g      <- rho g + sigma_pi z         at month ends
    n*, mu <- n*, mu + sigma sqrt(k/21) z  (random walks over k business days)
    n*    += lambda (E_t[r_end] - E_{t-}[r_end])  at decision j (the policy news; n*'s
                                                    walk sigma is net of its variance)
    EC_t = ((H_in + S) r_post + (n_out - S) n* - 0.25 (E[m] . c_t + S sum E[m])) / 120
           + beta B(rho) g,   S = exp(kappa L_t) C(n_out)
    x_t  = phi_k x + sd_k z   (x_0 = y_0 - EC_0 - mu: the first day continues the 10y)
    TP_t = mu + x_t + drift_t + sum of events;   y_t = EC_t + TP_t
    y2_t = EC2_t + (y2_0 - EC2_0)   (EC2: the same average over 24 months; the 2y's
                                      term premium stays at its as-of value)
    s_t  = s + mu_t + sigma sqrt(k) (rho u_t + sqrt(1 - rho^2) z_t)   (each FX leg: log
           spot relative to the as-of; u_t = the 10y's Gaussian step standardised:
           (a . w) / |a|, a = sd_k, sigma_m sqrt(k/21), w_n sigma_n sqrt(k/21),
           beta B sigma_pi at month ends, w_n = (n_out - S) / 120, w = their shocks)
"""

from __future__ import annotations

import math
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
    TWO_YEAR_MONTHS,
    expectations_component,
    expectations_weight_A,
    inflation_weight_B,
)
from simulator.core.term_premium import BDAYS_PER_MONTH, ar1_step, event_effect
from simulator.engine.setup import SimSpec
from simulator.engine.shocks import BlockShocks

# Fixed-bin histograms (so blocks merge exactly). Rates in %, returns as fractions.
HIST_RATES = {"lo": -5.0, "width": 0.005, "bins": 4000}  # -5%..15% at 0.5bp
HIST_RETURNS = {"lo": -1.0, "width": 1e-4, "bins": 20000}  # -100%..+100% at 1bp
RATE_VARS = ("y10", "policy_rate", "term_premium", "expectations", "y2")
# log spot relative to the as-of, 100 x log(S_t / S_0): -50..+50 at 0.02
HIST_FX = {"lo": -50.0, "width": 0.02, "bins": 5000}


@dataclass(frozen=True)
class KernelInputs:
    """Everything a kernel reads: arrays over paths (n), dates (G), meetings (J).

    Per-step factors that depend on a path's parameter and a step length are tabulated
    over the distinct step lengths (``*_table[u]``, one row of paths per length) with a
    per-date row index (``*_col[t]``), so kernels look them up instead of calling ``exp`` per date.
    """

    n: int
    # per path
    component: np.ndarray  # (n,) int64 mixture component
    neutral0: np.ndarray  # (n,) n* at the as-of (incl. the component's shift)
    tp_mean0: np.ndarray  # (n,) mu_tp at the as-of
    gap0: np.ndarray  # (n,) inflation gap at the as-of
    kappa: np.ndarray  # (n,) reversion per year
    rho: np.ndarray  # (n,)
    sigma_pi: np.ndarray  # (n,)
    infl_load: np.ndarray  # (n,) beta B(rho)
    infl_load2: np.ndarray  # (n,) beta B(rho) over the 2-year's 24 months
    sigma_n: np.ndarray  # (U, n) neutral-rate walk, monthly s.d. (net of the policy news)
    sigma_n_col: np.ndarray  # (G,) row of sigma_n for step t
    sigma_m: np.ndarray  # (n,) TP-mean walk, monthly s.d.
    growth0: np.ndarray  # (n,) exp(kappa L_0)
    cuts: np.ndarray  # (n, J) int64 signed cuts at the remaining meetings
    total_cuts: np.ndarray  # (n,) int64 net cuts over the window (observed included)
    expected_after: np.ndarray  # (J+1, n, J) market's E[m] after j decisions on the path
    neutral_jump: np.ndarray  # (J, n) n*'s move at decision j (policy news); (0, n) if none
    # per (path, step length)
    growth_table: np.ndarray  # (U1, n) exp(kappa dL)
    growth_col: np.ndarray  # (G,) column of step t (t >= 1)
    reversion_table: np.ndarray  # (U2, n) C(n_out) = exp(-k(H_in+1)/12) expm1(-k n_out/12)/...
    reversion_col: np.ndarray  # (G,)
    reversion2_table: np.ndarray  # (U4, n) C(n_out) of the 2-year (24 horizons)
    reversion2_col: np.ndarray  # (G,)
    ar1_coef: np.ndarray  # (U3, n) phi_k
    ar1_sd: np.ndarray  # (U3, n) sd_k
    ar1_col: np.ndarray  # (G,)
    # per date
    dt_years: np.ndarray  # (G,) years since the previous grid date (0 at t = 0)
    decide_at: np.ndarray  # (J,) grid index of each decision
    effective_at: np.ndarray  # (J,) grid index of each effective date
    month_step: np.ndarray  # (G,) index into the inflation shocks, -1 if no month end
    root_k: np.ndarray  # (G,) sqrt(business days of step t / 21)
    years_to_end: np.ndarray  # (G,) L_t
    h_in: np.ndarray  # (G,) int64 months of the 120 inside the window
    counts: np.ndarray  # (G, J) float c_i
    h_in2: np.ndarray  # (G,) int64 months of the 24 inside the window
    counts2: np.ndarray  # (G, J) float c_i of the 2-year
    drift: np.ndarray  # (C, G) seasonal TP drift per component, pp
    grid_bday: np.ndarray  # (G,) int64 business-day index
    read_pos: np.ndarray  # (G,) index of the read date at t, -1 if none
    n_read: int
    month_of: np.ndarray  # (G,) calendar month index of each date
    n_months: int
    # events (flattened over components)
    ev_occurs: np.ndarray  # (E, n) bool
    ev_onset: np.ndarray  # (E, n) int64 business-day index
    ev_size: np.ndarray  # (E,) pp
    ev_half_life: np.ndarray  # (E,) business days; inf = permanent
    # touch
    levels: np.ndarray  # (L,)
    level_dir: np.ndarray  # (L,) -1 below the start, +1 above
    survive0: np.ndarray  # (L,) 0 where the window already touched
    bridge: bool  # weekly grid: Brownian bridge between grid dates
    sigma_bridge: np.ndarray  # (n,) pp per sqrt(year) (zeros when no bridge)
    shifted: np.ndarray  # (L, n) BGK-shifted levels (the levels when no bridge)
    step_bdays: np.ndarray  # (G,) business days of step t (0 at t = 0)
    # shocks and constants
    inflation: np.ndarray  # (M, n)
    term_premium: np.ndarray  # (G-1, n)
    levels_shocks: np.ndarray  # (G-1, 2, n), or (0, 2, n) when the walks do not move
    y10_0: float
    y2_0: float  # the 2y's start close; NaN: none (its term premium is then 0)
    rate0: float
    bill_spread: float
    thin: int  # paths whose y10 is kept for plots
    # FX legs (F of them; F = 0 without an fx block)
    fx_vol: np.ndarray  # (F, n) daily s.d. of the log spot (fraction, not %)
    fx_rho: np.ndarray  # (F, n) correlation with the 10y's step
    fx_comp: np.ndarray  # (F, n) sqrt(1 - rho^2)
    fx_step: np.ndarray  # (F, G) the view's log drift over step t (0 at t = 0)
    fx_shocks: np.ndarray  # (G-1, F, n) the legs' own standard normals
    root_days: np.ndarray  # (G,) sqrt(business days of step t)


@dataclass
class PathAggregates:
    """What a kernel returns: integer counts, sums, touch tallies, values at read dates."""

    hist: np.ndarray  # (V, G, bins) int32 fixed-bin counts of RATE_VARS
    sums: np.ndarray  # (V, G) sums over paths of RATE_VARS
    touch_sum: np.ndarray  # (L, G) sum over paths of P(touched by t)
    touch_sq: np.ndarray  # (L, G) sum of squares (for the s.e.)
    first_touch: np.ndarray  # (L, months) mass of first touches by calendar month
    touched_end: np.ndarray  # (L, n) P(touched by the horizon) per path
    y_end: np.ndarray  # (n,) 10y at the horizon
    y_read: np.ndarray  # (n, R)
    log_read: np.ndarray  # (n, R) USD cash log growth
    rpost_read: np.ndarray  # (n, R) policy rate incl. decided moves
    e_read: np.ndarray  # (n, R, J) market's expected cuts
    thin: np.ndarray  # (G, k) y10 of the first k paths
    thin2: np.ndarray  # (G, k) y2 of the same paths
    fx_hist: np.ndarray  # (F, G, bins) int32 fixed-bin counts of 100 log(S_t / S_0)
    fx_read: np.ndarray  # (n, F, R) log(S_t / S_0) at the read dates
    fx_thin: np.ndarray  # (F, G, k) log(S_t / S_0) of the first k paths


def _columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and each entry's column among them."""
    uniq, col = np.unique(values, return_inverse=True)
    return uniq, col.astype(np.int64)


def _placements(spec: SimSpec, shocks: BlockShocks, comp: np.ndarray) -> np.ndarray:
    n_meet = len(spec.meeting_dates)
    cuts = np.zeros((shocks.n, n_meet), dtype=np.int64)
    for ci, c in enumerate(spec.components):
        mask = comp == ci
        if mask.any() and n_meet:
            cuts[mask] = policy.sample_placements(
                c.view, shocks.count_u[mask], shocks.place_u[mask]
            )
    return cuts


def _expected_after(spec: SimSpec, cuts: np.ndarray) -> np.ndarray:
    """The market table looked up at every path's state after 0..J decisions."""
    n, n_meet = cuts.shape
    out = np.zeros((n_meet + 1, n, n_meet))
    running = np.zeros(n, dtype=np.int64)
    for j in range(n_meet + 1):
        if n_meet:
            out[j] = spec.market_table.expected_remaining(np.full(n, j, dtype=np.int64), running)
        if j < n_meet:
            running = running + cuts[:, j]
    return out


def _neutral_jumps(cuts: np.ndarray, expected_after: np.ndarray, loading: np.ndarray) -> np.ndarray:
    """n*'s move at each decision: lambda_j times the news about the rate at the window end.

    The market's expected rate at the window end is r - 0.25 (cuts so far + E[cuts left]);
    decision j changes it by -0.25 (m_j + sum E_{j+1}[m] - sum E_j[m]). ``loading`` is
    (J, n) (:func:`_news_loadings`). (0, n) when every path's lambda is 0, so such a run
    takes the same steps as before lambda existed.
    """
    n, n_meet = cuts.shape
    if n_meet == 0 or not np.any(loading):
        return np.zeros((0, n))
    expected_total = expected_after.sum(axis=2)  # (J+1, n)
    news_cuts = cuts.T + expected_total[1:] - expected_total[:-1]  # (J, n)
    return -0.25 * loading * news_cuts


def _events(
    spec: SimSpec, shocks: BlockShocks, comp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    occurs, onset, size, half = [], [], [], []
    for ci, c in enumerate(spec.components):
        mask = comp == ci
        for k, ev in enumerate(c.events):
            occurs.append(mask & (shocks.events[k, 0] < ev.probability))
            span = ev.onset_hi - ev.onset_lo + 1
            onset.append(
                ev.onset_lo + np.minimum((shocks.events[k, 1] * span).astype(np.int64), span - 1)
            )
            size.append(ev.size_pp)
            half.append(math.inf if ev.half_life_bdays is None else ev.half_life_bdays)
    n = shocks.n
    return (
        np.array(occurs, dtype=bool).reshape(-1, n),
        np.array(onset, dtype=np.int64).reshape(-1, n),
        np.array(size, dtype=np.float64),
        np.array(half, dtype=np.float64),
    )


def _safe_kappa(kappa: np.ndarray) -> np.ndarray:
    return np.where(np.abs(kappa) < 1e-8, 1e-8, kappa)


def _growth_factors(spec: SimSpec, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """exp(kappa L_0), and exp(kappa dL) per step length with each step's column."""
    safe_k = _safe_kappa(kappa)
    growth0 = np.exp(safe_k * spec.years_to_end[0])
    steps = np.diff(spec.years_to_end)
    uniq_steps, step_col = _columns(steps) if steps.size else (np.zeros(1), np.zeros(0, np.int64))
    growth_table = np.exp(uniq_steps[:, None] * safe_k[None, :])
    return growth0, growth_table, np.concatenate([[0], step_col])


def _reversion_factors(
    months_inside: np.ndarray, kappa: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """C(n_out) = S / exp(kappa L) per months-outside count of a maturity, and each date's row."""
    safe_k = _safe_kappa(kappa)
    uniq_out, out_col = _columns(horizon - months_inside.astype(np.int64))
    base = np.expm1(-safe_k / 12.0)
    rev = np.zeros((uniq_out.size, kappa.size))
    for u, n_out in enumerate(uniq_out.tolist()):
        if n_out:
            h_in = horizon - n_out
            rev[u] = np.exp(-safe_k * (h_in + 1) / 12.0) * np.expm1(-safe_k * n_out / 12.0) / base
    return rev, out_col


def _ar1_factors(
    spec: SimSpec, phi: np.ndarray, sigma_tp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """phi_k and sd_k per distinct step length k (business days)."""
    uniq, col = _columns(spec.step_bdays.astype(np.int64))
    coef = np.empty((max(uniq.size, 1), phi.size))
    sd = np.empty_like(coef)
    for u, k_days in enumerate(uniq.tolist()):
        coef[u], sd[u] = ar1_step(phi, sigma_tp, int(k_days))
    return coef, sd, np.concatenate([[0], col])


def news_rates(spec: SimSpec) -> np.ndarray:
    """The market's policy-news variance per model month in force on each grid step, (G,).

    With M_j = s + sum_i E[m_i | j, s] the market's expected net cuts after j decisions
    (a martingale under the market's law), decision j brings news of variance
    V_j = 0.0625 (E[M_{j+1}^2] - E[M_j^2]) pp^2 (MoveTable.state_probs and
    expected_cuts, exact). It is spread over the business days since the previous
    decision (or the as-of): steps in that interval get V_j 21 / days. 0 after the last
    decision. Cached on the spec.
    """
    key = "news_rates"
    if key not in spec.derived:
        rates = np.zeros(len(spec.grid))
        table, decide = spec.market_table, spec.decide_at.astype(np.int64)
        if decide.size:
            s_vals = np.arange(-table.s_offset, table.s_offset + 1, dtype=np.float64)
            expected = np.nan_to_num(table.expected_cuts).sum(axis=2) + s_vals[None, :]
            second = (table.state_probs * expected**2).sum(axis=1)  # E[M_j^2], j = 0..J
            variance = 0.0625 * np.maximum(np.diff(second), 0.0)
            bday, prev = spec.grid_bday.astype(np.int64), 0
            for j, t in enumerate(decide.tolist()):
                days = int(bday[t] - bday[prev])
                if days > 0:
                    rates[prev + 1 : t + 1] = variance[j] * BDAYS_PER_MONTH / days
                prev = max(prev, t)
        spec.derived[key] = rates
    return np.asarray(spec.derived[key])


def _news_loadings(spec: SimSpec, par: dict[str, np.ndarray]) -> np.ndarray:
    """lambda_j per decision and path: lambda, capped so the news adds no variance.

    The news's variance per month before decision j (:func:`news_rates`) may not exceed
    the fitted walk's: lambda_j = min(lambda, sigma_n / sqrt(v_j)). Beliefs that leave the
    policy path very uncertain then pass less of each surprise to n, and n's variance
    stays the fit's. (J, n).
    """
    lam, sigma_n = par["neutral_rate_news_loading"], par["neutral_rate_shock_pp"]
    n_meet = len(spec.decide_at)
    if n_meet == 0 or not np.any(lam):
        return np.zeros((n_meet, lam.size))
    v = news_rates(spec)[spec.decide_at.astype(np.int64)]  # (J,)
    safe = np.where(v > 0.0, v, 1.0)
    cap = np.where(v[:, None] > 0.0, sigma_n[None, :] / np.sqrt(safe)[:, None], np.inf)
    return np.minimum(lam[None, :], cap)


def _walk_sigma(
    spec: SimSpec, par: dict[str, np.ndarray], loadings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The neutral rate's walk s.d. per step, net of the policy news it carries: a table
    (U, n) over the steps' distinct (rate, lambda) and each date's row (G,).

    The fitted walk's variance sigma_n^2 a month already holds history's policy news
    (month-end data cannot tell it apart), so the news takes its share out of the walk,
    interval by interval: sigma^2 = sigma_n^2 - lambda_j^2 v_j (>= 0 by the cap in
    :func:`_news_loadings`) on the steps up to decision j, v_j the market's news
    variance per month there (:func:`news_rates`). n's variance from one decision to the
    next is then the fit's (docs/model.md).
    """
    sigma_n = par["neutral_rate_shock_pp"]
    g_count = len(spec.grid)
    if not np.any(loadings):
        return sigma_n[None, :], np.zeros(g_count, dtype=np.int64)
    rates = news_rates(spec)
    interval = np.searchsorted(spec.decide_at.astype(np.int64), np.arange(g_count), side="left")
    uniq, col = _columns(interval)  # steps up to decision j share lambda_j and v_j
    rows = []
    for j in uniq.tolist():
        if j >= loadings.shape[0]:  # after the last decision: no news, the whole walk
            rows.append(sigma_n)
            continue
        v = rates[int(spec.decide_at[j])]
        rows.append(np.sqrt(np.maximum(sigma_n**2 - loadings[j] ** 2 * v, 0.0)))
    return np.stack(rows), col


def _bridge(
    spec: SimSpec, par: dict[str, np.ndarray], kappa: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bridge's volatility per path and the BGK-shifted levels (weekly grid)."""
    n = kappa.size
    if not spec.weekly:
        return np.zeros(n), np.repeat(spec.levels[:, None], n, axis=1)
    # the bridge's daily s.d.: the TP deviation's plus the level walks' (the neutral
    # rate's weight in the 10y taken as 1 - A(kappa), its weight in the fit; the fitted
    # sigma_n, the walk's and the news's together)
    sigma_n = par["neutral_rate_shock_pp"]
    sigma_m = par["term_premium_mean_shock_pp"]
    daily_var = (
        daily_sigma_from_monthly(par["term_premium_shock_pp"], par["term_premium_persistence"]) ** 2
        + (sigma_m**2 + ((1.0 - expectations_weight_A(kappa)) * sigma_n) ** 2) / BDAYS_PER_MONTH
    )
    sigma_br = bridge_sigma(np.sqrt(daily_var))
    shifted = np.stack([bgk_shifted_level(lv, spec.y10_0_pp, sigma_br) for lv in spec.levels])
    return sigma_br, shifted.reshape(len(spec.levels), n)


def _schedule(spec: SimSpec) -> dict[str, np.ndarray]:
    """Per-date arrays of the grid: step lengths, month ends, reads, calendar months."""
    g_count = len(spec.grid)
    grid_days = spec.grid.astype(np.int64)
    dt_years = np.zeros(g_count)
    dt_years[1:] = np.diff(grid_days) / 365.25
    step_bdays = np.zeros(g_count, dtype=np.int64)
    step_bdays[1:] = spec.step_bdays
    month_step = np.full(g_count, -1, dtype=np.int64)
    month_step[spec.month_end_at.astype(np.int64)] = np.arange(len(spec.month_end_at))
    read_pos = np.full(g_count, -1, dtype=np.int64)
    read_pos[spec.read_at.astype(np.int64)] = np.arange(len(spec.read_at))
    months = spec.grid.astype("datetime64[M]")
    month_keys = np.unique(months)
    return {
        "dt_years": dt_years,
        "step_bdays": step_bdays,
        "root_k": np.sqrt(step_bdays / BDAYS_PER_MONTH),
        "month_step": month_step,
        "read_pos": read_pos,
        "month_of": np.searchsorted(month_keys, months).astype(np.int64),
        "n_months": np.array(month_keys.size),
    }


def prepare_inputs(spec: SimSpec, shocks: BlockShocks) -> KernelInputs:
    """Per-path parameters, placements, events and step tables of one block (no RNG)."""
    n = shocks.n
    comps = spec.components
    weights = np.array([c.weight for c in comps])
    comp = np.minimum(
        np.searchsorted(np.cumsum(weights), shocks.mixture_u, side="right"), len(weights) - 1
    )
    par = spec.draws.take(shocks.draw_index)
    kappa = par["mean_reversion_per_year"]
    rho = par["inflation_persistence"]
    cuts = _placements(spec, shocks, comp)
    expected_after = _expected_after(spec, cuts)
    growth0, growth_table, growth_col = _growth_factors(spec, kappa)
    rev_table, rev_col = _reversion_factors(spec.months_inside, kappa, HORIZON_MONTHS)
    rev2_table, rev2_col = _reversion_factors(spec.months_inside2, kappa, TWO_YEAR_MONTHS)
    coef, sd, ar1_col = _ar1_factors(
        spec, par["term_premium_persistence"], par["term_premium_shock_pp"]
    )
    ev_occurs, ev_onset, ev_size, ev_half = _events(spec, shocks, comp)
    loadings = _news_loadings(spec, par)
    sigma_n, sigma_n_col = _walk_sigma(spec, par, loadings)
    sigma_br, shifted = _bridge(spec, par, kappa)
    sched = _schedule(spec)
    g_count = len(spec.grid)
    fx_vol, fx_rho = _fx_parameters(spec, par)
    return KernelInputs(
        n=n,
        component=comp.astype(np.int64),
        neutral0=par["neutral_rate_pp"] + np.array([c.neutral_shift_pp for c in comps])[comp],
        tp_mean0=par["term_premium_mean_pp"] + np.array([c.tp_mean_shift_pp for c in comps])[comp],
        gap0=np.full(n, spec.gap0_pp) + np.array([c.inflation_gap_shift_pp for c in comps])[comp],
        kappa=kappa,
        rho=rho,
        sigma_pi=par["inflation_shock_pp"],
        infl_load=par["inflation_loading"] * inflation_weight_B(rho),
        infl_load2=par["inflation_loading"] * inflation_weight_B(rho, TWO_YEAR_MONTHS),
        sigma_n=sigma_n,
        sigma_n_col=sigma_n_col,
        sigma_m=par["term_premium_mean_shock_pp"],
        growth0=growth0,
        cuts=cuts,
        total_cuts=cuts.sum(axis=1) + sum(spec.observed_moves_cuts),
        expected_after=expected_after,
        neutral_jump=_neutral_jumps(cuts, expected_after, loadings),
        growth_table=growth_table,
        growth_col=growth_col,
        reversion_table=rev_table,
        reversion_col=rev_col,
        reversion2_table=rev2_table,
        reversion2_col=rev2_col,
        ar1_coef=coef,
        ar1_sd=sd,
        ar1_col=ar1_col,
        dt_years=sched["dt_years"],
        decide_at=spec.decide_at.astype(np.int64),
        effective_at=spec.effective_at.astype(np.int64),
        month_step=sched["month_step"],
        root_k=sched["root_k"],
        years_to_end=np.asarray(spec.years_to_end, dtype=np.float64),
        h_in=spec.months_inside.astype(np.int64),
        counts=spec.meeting_counts.astype(np.float64).reshape(g_count, -1),
        h_in2=spec.months_inside2.astype(np.int64),
        counts2=spec.meeting_counts2.astype(np.float64).reshape(g_count, -1),
        drift=np.stack([c.drift_pp for c in comps]),
        grid_bday=spec.grid_bday.astype(np.int64),
        read_pos=sched["read_pos"],
        n_read=len(spec.read_at),
        month_of=sched["month_of"],
        n_months=int(sched["n_months"]),
        ev_occurs=ev_occurs,
        ev_onset=ev_onset,
        ev_size=ev_size,
        ev_half_life=ev_half,
        levels=np.asarray(spec.levels, dtype=np.float64),
        level_dir=np.asarray(spec.level_dir, dtype=np.float64),
        survive0=np.where(spec.observed_touched, 0.0, 1.0),
        bridge=bool(spec.weekly),
        sigma_bridge=sigma_br,
        shifted=shifted,
        step_bdays=sched["step_bdays"],
        inflation=shocks.inflation,
        term_premium=shocks.term_premium,
        levels_shocks=(shocks.levels if shocks.levels is not None else np.zeros((0, 2, n))),
        y10_0=float(spec.y10_0_pp),
        y2_0=float("nan") if spec.y2_0_pp is None else float(spec.y2_0_pp),
        rate0=float(spec.rate0_pp),
        bill_spread=float(spec.bill_spread_pp),
        thin=min(spec.thin_paths, n),
        fx_vol=fx_vol,
        fx_rho=fx_rho,
        fx_comp=np.sqrt(1.0 - fx_rho * fx_rho),
        fx_step=np.diff(spec.fx_drift, axis=1, prepend=0.0),
        fx_shocks=shocks.fx,
        root_days=np.sqrt(sched["step_bdays"].astype(np.float64)),
    )


def _fx_parameters(spec: SimSpec, par: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each fx leg's daily log-spot s.d. (a fraction) and correlation per path, (F, n) each."""
    n = par["inflation_persistence"].size
    names = [c.lower() for c in spec.fx_currencies]
    vol = [par[f"{c}_daily_vol_pct"] / 100.0 for c in names]
    rho = [par[f"{c}_y10_correlation"] for c in names]
    return np.array(vol).reshape(-1, n), np.array(rho).reshape(-1, n)


def hist_by_row(values: np.ndarray, hist: dict[str, float], rows: int = 16) -> np.ndarray:
    """Counts of fixed bins per row of ``values`` (G, n), shape (G, bins), int32.

    A value's bin is ``floor(clip((v - lo) / width, 0, bins - 1))``: values outside the
    range land in the end bins. Works on a few rows at a time so temporaries stay in cache.
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
    return out.reshape(g_count, bins).astype(np.int32)


class _State:
    """The reference kernel's per-path state (vectors over paths)."""

    def __init__(self, inp: KernelInputs) -> None:
        n = inp.n
        self.neutral = inp.neutral0.copy()
        self.tp_mean = inp.tp_mean0.copy()
        self.gap = inp.gap0.copy()
        self.rate_post = np.full(n, inp.rate0)
        self.rate_eff = self.rate_post.copy()
        self.exp_cuts = inp.expected_after[0]
        self.growth = inp.growth0.copy()
        self.usd_log = np.zeros(n)
        self.x = np.empty(n)
        self.y2_offset = np.zeros(n)  # the 2y's term premium, held at its as-of value
        self.survive = inp.survive0[:, None] * np.ones((inp.levels.size, n))
        self.fx = np.zeros((inp.fx_vol.shape[0], n))  # log(S_t / S_0) per leg


def _step_state(inp: KernelInputs, st: _State, t: int) -> None:
    """Advance cash, policy, inflation, the walks and exp(kappa L) to date ``t >= 1``."""
    st.usd_log += (st.rate_eff + inp.bill_spread) * (inp.dt_years[t] / 100.0)
    for j in np.flatnonzero(inp.decide_at == t):
        st.rate_post = st.rate_post - 0.25 * inp.cuts[:, j]
        st.exp_cuts = inp.expected_after[j + 1]
        if inp.neutral_jump.shape[0]:
            st.neutral = st.neutral + inp.neutral_jump[j]
    for j in np.flatnonzero(inp.effective_at == t):
        st.rate_eff = st.rate_eff - 0.25 * inp.cuts[:, j]
    if inp.month_step[t] >= 0:
        st.gap = inp.rho * st.gap + inp.sigma_pi * inp.inflation[inp.month_step[t]]
    if inp.levels_shocks.shape[0]:
        root_k = inp.root_k[t]
        sigma_n = inp.sigma_n[inp.sigma_n_col[t]]
        st.neutral = st.neutral + (sigma_n * root_k) * inp.levels_shocks[t - 1, 0]
        st.tp_mean = st.tp_mean + (inp.sigma_m * root_k) * inp.levels_shocks[t - 1, 1]
    st.growth *= inp.growth_table[inp.growth_col[t]]


def _term_premium(inp: KernelInputs, st: _State, t: int, ec: np.ndarray) -> np.ndarray:
    if t == 0:
        st.x = (inp.y10_0 - ec) - st.tp_mean  # continue from the observed 10y
    else:
        u = inp.ar1_col[t]
        st.x = st.x * inp.ar1_coef[u] + inp.ar1_sd[u] * inp.term_premium[t - 1]
    tp = st.tp_mean + st.x
    tp += inp.drift[inp.component, t]
    bday = int(inp.grid_bday[t])
    for e in range(inp.ev_size.size):
        half = inp.ev_half_life[e]
        tp += event_effect(
            inp.ev_occurs[e],
            inp.ev_onset[e],
            inp.ev_size[e],
            None if half == math.inf else half,
            bday,
        )
    return tp


def _touch(
    inp: KernelInputs, st: _State, agg: PathAggregates, t: int, y: np.ndarray, y_prev: np.ndarray
) -> None:
    k_days = int(inp.step_bdays[t])
    for li, lv in enumerate(inp.levels):
        before = 1.0 - st.survive[li]
        hit = (inp.level_dir[li] * (y - lv)) >= 0
        if inp.bridge and k_days > 1:
            p = touch_probability(y_prev, y, inp.shifted[li], inp.sigma_bridge, k_days / 252.0)
            st.survive[li] *= 1.0 - np.maximum(hit, p)
        else:
            st.survive[li][hit] = 0.0
        after = 1.0 - st.survive[li]
        agg.touch_sum[li, t] = after.sum()
        agg.touch_sq[li, t] = np.dot(after, after)
        agg.first_touch[li, inp.month_of[t]] += agg.touch_sum[li, t] - before.sum()


def _y10_shock(inp: KernelInputs, st: _State, t: int) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian part of the 10y's step to ``t >= 1`` on each path: (a . w, |a|^2).

    The term premium's AR(1) shock, the TP-mean walk, the neutral rate's walk through its
    weight in EC, w_n = (n_out - S_t) / 120, and the inflation gap's month-end step through
    beta B(rho). Policy moves, the policy news and events are jumps, left out: u_t is the
    10y's diffusion, standardised.
    """
    a = inp.ar1_sd[inp.ar1_col[t]]
    num = a * inp.term_premium[t - 1]
    var = a * a
    if inp.levels_shocks.shape[0]:
        root_k = inp.root_k[t]
        a_m = inp.sigma_m * root_k
        s = st.growth * inp.reversion_table[inp.reversion_col[t]]
        a_n = (
            ((HORIZON_MONTHS - inp.h_in[t]) - s)
            / HORIZON_MONTHS
            * (inp.sigma_n[inp.sigma_n_col[t]] * root_k)
        )
        num = num + a_m * inp.levels_shocks[t - 1, 1]
        var = var + a_m * a_m
        num = num + a_n * inp.levels_shocks[t - 1, 0]
        var = var + a_n * a_n
    if inp.month_step[t] >= 0:
        a_pi = inp.infl_load * inp.sigma_pi
        num = num + a_pi * inp.inflation[inp.month_step[t]]
        var = var + a_pi * a_pi
    return num, var


def _fx_step(inp: KernelInputs, st: _State, t: int) -> None:
    """Every fx leg's log spot to ``t >= 1``: drift plus the correlated shock."""
    num, var = _y10_shock(inp, st, t)
    den = np.sqrt(var)
    u = np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 0.0)
    for f in range(st.fx.shape[0]):
        eps = inp.fx_rho[f] * u + inp.fx_comp[f] * inp.fx_shocks[t - 1, f]
        st.fx[f] = st.fx[f] + (inp.fx_step[f, t] + (inp.fx_vol[f] * inp.root_days[t]) * eps)


def empty_aggregates(inp: KernelInputs) -> PathAggregates:
    g_count, n_lv, n, r = inp.dt_years.size, inp.levels.size, inp.n, inp.n_read
    n_meet = inp.cuts.shape[1]
    n_fx = inp.fx_vol.shape[0]
    return PathAggregates(
        hist=np.zeros((len(RATE_VARS), g_count, int(HIST_RATES["bins"])), dtype=np.int32),
        sums=np.zeros((len(RATE_VARS), g_count)),
        touch_sum=np.zeros((n_lv, g_count)),
        touch_sq=np.zeros((n_lv, g_count)),
        first_touch=np.zeros((n_lv, inp.n_months)),
        touched_end=np.zeros((n_lv, n)),
        y_end=np.zeros(n),
        y_read=np.empty((n, r)),
        log_read=np.empty((n, r)),
        rpost_read=np.empty((n, r)),
        e_read=np.empty((n, r, n_meet)),
        thin=np.empty((g_count, inp.thin)),
        thin2=np.empty((g_count, inp.thin)),
        fx_hist=np.zeros((n_fx, g_count, int(HIST_FX["bins"])), dtype=np.int32),
        fx_read=np.empty((n, n_fx, r)),
        fx_thin=np.empty((n_fx, g_count, inp.thin)),
    )


def _expectations(inp: KernelInputs, st: _State, t: int, horizon: int) -> np.ndarray:
    """EC_t of the 10-year (horizon 120) or the 2-year (24) for every path."""
    ten = horizon == HORIZON_MONTHS
    rev = (inp.reversion_table if ten else inp.reversion2_table)[
        (inp.reversion_col if ten else inp.reversion2_col)[t]
    ]
    return expectations_component(
        st.rate_post,
        st.neutral,
        inp.kappa,
        st.exp_cuts,
        (inp.counts if ten else inp.counts2)[t],
        float(inp.years_to_end[t]),
        (inp.infl_load if ten else inp.infl_load2) * st.gap,
        reversion=st.growth * rev,
        horizon=horizon,
    )


def reference_kernel(inp: KernelInputs) -> PathAggregates:
    """The numpy kernel: one date at a time, vectors of paths (module docstring)."""
    g_count = inp.dt_years.size
    st = _State(inp)
    agg = empty_aggregates(inp)
    paths = np.empty((len(RATE_VARS), g_count, inp.n))  # y10, policy, TP, EC, y2
    fx_paths = np.zeros((st.fx.shape[0], g_count, inp.n))
    for t in range(g_count):
        if t > 0:
            _step_state(inp, st, t)
            if st.fx.shape[0]:
                _fx_step(inp, st, t)
                fx_paths[:, t] = st.fx
        ec = _expectations(inp, st, t, HORIZON_MONTHS)
        tp = _term_premium(inp, st, t, ec)
        y = ec + tp
        ec2 = _expectations(inp, st, t, TWO_YEAR_MONTHS)
        if t == 0 and not math.isnan(inp.y2_0):
            st.y2_offset = inp.y2_0 - ec2  # continue from the observed 2y
        paths[:, t] = (y, st.rate_eff, tp, ec, ec2 + st.y2_offset)
        if t > 0:
            _touch(inp, st, agg, t, y, paths[0, t - 1])
        r = inp.read_pos[t]
        if r >= 0:
            agg.y_read[:, r] = y
            agg.log_read[:, r] = st.usd_log
            agg.rpost_read[:, r] = st.rate_post
            agg.e_read[:, r, :] = st.exp_cuts
            agg.fx_read[:, :, r] = st.fx.T
    for v in range(len(RATE_VARS)):
        agg.hist[v] = hist_by_row(paths[v], HIST_RATES)
        agg.sums[v] = paths[v].sum(axis=1)
    agg.touched_end[:] = 1.0 - st.survive
    agg.y_end[:] = paths[0, -1]
    agg.thin[:] = paths[0, :, : inp.thin]
    agg.thin2[:] = paths[4, :, : inp.thin]
    for f in range(fx_paths.shape[0]):
        agg.fx_hist[f] = hist_by_row(100.0 * fx_paths[f], HIST_FX)
    agg.fx_thin[:] = fx_paths[:, :, : inp.thin]
    return agg
