r"""Entry-month strategy returns, compiled: the engine's fast path for stage 3.

The equations are :mod:`simulator.core.strategies`' (its module docstring); that numpy
implementation stays the reference (``kernel="numpy"`` runs it, and the tests compare
against it). Everything that depends only on dates (coupon timing, roll periods, the
share of each roll period after each meeting's effective date) is flattened once per
spec into a :class:`StrategyPlan` of small arrays; the compiled pass then works one path
at a time with scalars, instead of ~100 numpy expressions over all paths per block.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from simulator.core.bonds import FACE, PERIODS_PER_YEAR, par_bond_maturity, price_timing
from simulator.core.strategies import DAYS_PER_YEAR, EntrySchedule, StrategyReturns
from simulator.engine.compiled import NUMBA_OPTIONS as _OPTS
from simulator.engine.compiled import njit
from simulator.engine.setup import SimSpec


@dataclass(frozen=True)
class StrategyPlan:
    """Date-only inputs of the strategies, flattened (M entries, K roll periods in all)."""

    entry_read: np.ndarray  # (M,) read index of each entry date
    exit_timing: np.ndarray  # (M, 2) n, f of the bond at the horizon
    coupon_reads: np.ndarray  # (M, Cmax) read index of each coupon in (entry, exit], -1 pad
    roll_entry: np.ndarray  # (K,) entry of each roll period
    roll_read: np.ndarray  # (K,) read index at the roll's start
    roll_timing: np.ndarray  # (K, 2) n, f of the bond at the roll's start (unused for k=0)
    roll_first: np.ndarray  # (K,) 1 for an entry's first roll (notional 1)
    roll_received: np.ndarray  # (K,) coupons (leading entries of coupon_reads) paid by then
    roll_days: np.ndarray  # (K,) calendar days of the roll period
    roll_after: np.ndarray  # (K, J) share of the period after each effective date
    foreign_rate: np.ndarray  # (F, K) foreign short rate at the roll's start
    foreign_basis: np.ndarray  # (F, K) cross-currency basis at the roll's start
    foreign_cash: np.ndarray  # (F, M) foreign cash log growth to each entry
    horizon_read: int


def _roll_after(spec: SimSpec, start: dt.date, end: dt.date) -> np.ndarray:
    """core.strategies.expected_mean_rate's weights: 0.25 x (end - tau) / (end - start)."""
    s, e = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = float((e - s).astype(np.int64))
    eff = spec.meeting_effective
    if span <= 0 or eff.size == 0:
        return np.zeros(eff.size)
    return np.clip((e - np.maximum(eff, s)).astype(np.int64) / span, 0.0, 1.0)


def _entry_rolls(spec: SimSpec, j: int, ent: EntrySchedule, rows: dict[str, list[object]]) -> None:
    maturity = par_bond_maturity(ent.entry_date)
    for k, (r, t0, t1) in enumerate(
        zip(ent.roll_reads, ent.roll_starts, ent.roll_ends, strict=True)
    ):
        rows["entry"].append(j)
        rows["read"].append(r)
        rows["timing"].append(price_timing(t0, maturity) if k else (1, 0.0))
        rows["first"].append(1 if k == 0 else 0)
        rows["received"].append(sum(1 for cd in ent.coupon_dates if cd <= t0))
        rows["days"].append((t1 - t0).days)
        rows["after"].append(_roll_after(spec, t0, t1))


def strategy_plan(spec: SimSpec, currencies: tuple[str, ...]) -> StrategyPlan:
    """Flatten the spec's entry schedules (``currencies``: the hedged ones, in order)."""
    entries = spec.entries
    n_cp = max((len(e.coupon_reads) for e in entries), default=0)
    coupon_reads = np.full((len(entries), max(n_cp, 1)), -1, dtype=np.int64)
    rows: dict[str, list[object]] = {
        k: [] for k in ("entry", "read", "timing", "first", "received", "days", "after")
    }
    for j, ent in enumerate(entries):
        coupon_reads[j, : len(ent.coupon_reads)] = ent.coupon_reads
        _entry_rolls(spec, j, ent, rows)
    read_pos = {int(g): r for r, g in enumerate(spec.read_at)}
    roll_read = np.array(rows["read"], dtype=np.int64)
    return StrategyPlan(
        entry_read=np.array([e.entry_read for e in entries], dtype=np.int64),
        exit_timing=np.array(
            [price_timing(spec.horizon, par_bond_maturity(e.entry_date)) for e in entries],
            dtype=np.float64,
        ).reshape(-1, 2),
        coupon_reads=coupon_reads,
        roll_entry=np.array(rows["entry"], dtype=np.int64),
        roll_read=roll_read,
        roll_timing=np.array(rows["timing"], dtype=np.float64).reshape(-1, 2),
        roll_first=np.array(rows["first"], dtype=np.int64),
        roll_received=np.array(rows["received"], dtype=np.int64),
        roll_days=np.array(rows["days"], dtype=np.float64),
        roll_after=np.array(rows["after"], dtype=np.float64).reshape(
            len(roll_read), len(spec.meeting_effective)
        ),
        foreign_rate=np.array([spec.foreign_rate_pp[c][roll_read] for c in currencies]).reshape(
            len(currencies), len(roll_read)
        ),
        foreign_basis=np.array([spec.foreign_basis_pp[c][roll_read] for c in currencies]).reshape(
            len(currencies), len(roll_read)
        ),
        foreign_cash=np.array(
            [[spec.foreign_cash_log[c][e.entry_read] for e in entries] for c in currencies]
        ).reshape(len(currencies), len(entries)),
        horizon_read=read_pos[len(spec.grid) - 1],
    )


@njit(**_OPTS)
def _dirty_price(y: float, c: float, n: float, f: float) -> float:
    """core.bonds.dirty_price's closed form for one path (``n`` coupons, first at ``f``)."""
    lv = math.log1p(y / (FACE * PERIODS_PER_YEAR))
    v_f = math.exp(-f * lv)
    if abs(lv) < 1e-12:
        annuity = n * v_f
    else:
        annuity = v_f * math.expm1(-n * lv) / math.expm1(-lv)
    return c / PERIODS_PER_YEAR * annuity + FACE * math.exp(-(n - 1 + f) * lv)


@njit(**_OPTS)
def _roll_value(
    p: int,
    k: int,
    c: float,
    y: np.ndarray,
    log: np.ndarray,
    plan_i: np.ndarray,
    timing: np.ndarray,
    coupon_reads: np.ndarray,
) -> float:
    """Position value per unit invested at roll ``k`` (dirty price + coupons reinvested)."""
    entry, r, received = plan_i[0, k], plan_i[1, k], plan_i[3, k]
    value = _dirty_price(y[p, r], c, timing[k, 0], timing[k, 1])
    for q in range(received):
        cr = coupon_reads[entry, q]
        value = value + c / 2.0 * math.exp(log[p, r] - log[p, cr])
    return value / 100.0


@njit(**_OPTS)
def _strategy_pass(
    y: np.ndarray,
    log: np.ndarray,
    rpost: np.ndarray,
    e_read: np.ndarray,
    entry_read: np.ndarray,
    exit_timing: np.ndarray,
    coupon_reads: np.ndarray,
    plan_i: np.ndarray,
    timing: np.ndarray,
    days: np.ndarray,
    after: np.ndarray,
    f_rate: np.ndarray,
    f_basis: np.ndarray,
    f_cash: np.ndarray,
    h: int,
    spread: float,
    usd: np.ndarray,
    bond: np.ndarray,
    coupons: np.ndarray,
    hedged: np.ndarray,
    cost: np.ndarray,
) -> None:
    """Every entry month on every path (core.strategies.strategy_returns, one path at a time)."""
    for p in range(y.shape[0]):
        for j in range(entry_read.size):
            c = y[p, entry_read[j]]
            grow = 0.0
            for q in range(coupon_reads.shape[1]):
                if coupon_reads[j, q] >= 0:
                    grow += math.exp(log[p, h] - log[p, coupon_reads[j, q]])
            coupons[p, j] = c / PERIODS_PER_YEAR * grow
            price = _dirty_price(y[p, h], c, exit_timing[j, 0], exit_timing[j, 1])
            bond[p, j] = (price + coupons[p, j]) / FACE - 1.0
            usd[p, j] = math.exp(log[p, entry_read[j]]) * (1.0 + bond[p, j]) - 1.0
            for cur in range(f_rate.shape[0]):
                cost[cur, p, j] = 0.0
        for k in range(plan_i.shape[1]):
            j, r = plan_i[0, k], plan_i[1, k]
            c = y[p, entry_read[j]]
            notional = (
                1.0 if plan_i[2, k] else _roll_value(p, k, c, y, log, plan_i, timing, coupon_reads)
            )
            rbar = rpost[p, r]
            if after.shape[1] > 0 and days[k] > 0:
                dot = 0.0
                for m in range(after.shape[1]):
                    dot += (0.25 * e_read[p, r, m]) * after[k, m]
                rbar = rbar - dot
            for cur in range(f_rate.shape[0]):
                carry = rbar + spread - f_rate[cur, k] - f_basis[cur, k]
                cost[cur, p, j] += notional * carry / 100.0 * days[k] / DAYS_PER_YEAR
        for j in range(entry_read.size):
            for cur in range(f_rate.shape[0]):
                hedged[cur, p, j] = (
                    math.exp(f_cash[cur, j]) * (1.0 + bond[p, j] - cost[cur, p, j]) - 1.0
                )


def compiled_strategy_returns(
    plan: StrategyPlan,
    y_read: np.ndarray,
    log_read: np.ndarray,
    rpost_read: np.ndarray,
    e_read: np.ndarray,
    bill_spread_pp: float,
    currencies: tuple[str, ...],
) -> StrategyReturns:
    """The compiled pass on one block's read-date values; same result type as the reference."""
    p, m, f = y_read.shape[0], plan.entry_read.size, len(currencies)
    usd, bond, coupons = np.empty((p, m)), np.empty((p, m)), np.empty((p, m))
    hedged, cost = np.empty((f, p, m)), np.empty((f, p, m))
    plan_i = np.stack([plan.roll_entry, plan.roll_read, plan.roll_first, plan.roll_received])
    _strategy_pass(
        y_read,
        log_read,
        rpost_read,
        e_read,
        plan.entry_read,
        plan.exit_timing,
        plan.coupon_reads,
        plan_i,
        plan.roll_timing,
        plan.roll_days,
        plan.roll_after,
        plan.foreign_rate,
        plan.foreign_basis,
        plan.foreign_cash,
        plan.horizon_read,
        float(bill_spread_pp),
        usd,
        bond,
        coupons,
        hedged,
        cost,
    )
    return StrategyReturns(
        usd=usd,
        hedged={c: hedged[i] for i, c in enumerate(currencies)},
        bond=bond,
        hedge_cost={c: cost[i] for i, c in enumerate(currencies)},
        coupon_value=coupons,
    )
