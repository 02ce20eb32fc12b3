r"""Entry-month strategies: cash until the entry month, then the 10y par bond, hedged.

Every strategy spans the as-of date to the horizon, so months compare like with like.
For entry month m (entry date e, the first business day of m), base currency c::

    1 + R_USD = exp(I_e) (1 + R_bond)                                  (unhedged)
    1 + R_c   = exp(F_c,e) (1 + R_bond - sum_k cost_k)                 (hedged)
    1 + U_c   = exp(F_c,e) (1 + R_bond) S_T / S_e                     (unhedged)
    cost_k    = N_k (Rbar_k + s - f_c(t_k) - b_c(t_k)) / 100 * days_k / 365.25

Symbols: I_t = integral of the USD short rate (policy rate + bill spread s) from the
as-of, continuous accrual ACT/365.25; F_c,t the same for the foreign short rate f_c;
R_bond = dirty-price total return of the par bond from e to the horizon with coupons
reinvested at the USD short rate (:func:`simulator.core.bonds.bond_total_return`);
t_k = roll dates (every ``roll_months`` from e), N_k = the position's value at t_k per
unit invested (dirty price + coupons received, re-marked), Rbar_k = the market's
expected mean policy rate over the roll period as of t_k (from its move table),
b_c = cross-currency basis (negative = dearer dollars, raises the cost). The FX gain on
the period's P&L is ignored (documented in docs/model.md). Unhedged (U_c): foreign
cash to the entry date, converted at the spot S_e (foreign units per USD), the bond to
the horizon, converted back at S_T.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.core.bonds import bond_total_return, dirty_price, par_bond_maturity

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class EntrySchedule:
    """One entry month's dates, with indices into the recorded read dates."""

    month: str
    entry_date: dt.date
    entry_read: int
    roll_reads: tuple[int, ...]
    roll_starts: tuple[dt.date, ...]
    roll_ends: tuple[dt.date, ...]
    coupon_reads: tuple[int, ...]
    coupon_dates: tuple[dt.date, ...]


@dataclass(frozen=True)
class StrategyReturns:
    """Per-path results: ``usd`` (P, M), ``hedged[c]`` (P, M), diagnostics for breakevens."""

    usd: NDArray[np.float64]
    hedged: dict[str, NDArray[np.float64]]
    bond: NDArray[np.float64]  # (P, M) R_bond
    hedge_cost: dict[str, NDArray[np.float64]]  # (P, M) sum_k cost_k
    coupon_value: NDArray[np.float64]  # (P, M) reinvested coupons at exit, per 100


def expected_mean_rate(
    rate_post_pp: NDArray[np.float64],
    expected_cuts: NDArray[np.float64],
    effective: NDArray[np.datetime64],
    start: dt.date,
    end: dt.date,
) -> NDArray[np.float64]:
    """The market's expected mean policy rate over [start, end) given the state at start.

    ``rate_post_pp`` (P,) includes decided moves; ``expected_cuts`` (P, J) are the
    market's expected cuts at meetings with effective dates ``effective`` (J,): a move
    effective at tau lowers the mean by 0.25 x (end - tau) / (end - start).
    """
    s, e = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = float((e - s).astype(np.int64))
    if span <= 0 or expected_cuts.shape[1] == 0:
        return rate_post_pp.copy()
    after = np.clip((e - np.maximum(effective, s)).astype(np.int64) / span, 0.0, 1.0)
    return np.asarray(rate_post_pp - 0.25 * expected_cuts @ after, dtype=np.float64)


def strategy_returns(
    *,
    y10_read: NDArray[np.float64],
    usd_log_growth_read: NDArray[np.float64],
    rate_post_read: NDArray[np.float64],
    expected_cuts_read: NDArray[np.float64],
    effective: NDArray[np.datetime64],
    horizon: dt.date,
    horizon_read: int,
    entries: tuple[EntrySchedule, ...],
    foreign_rate_pp: dict[str, NDArray[np.float64]],
    foreign_basis_pp: dict[str, NDArray[np.float64]],
    foreign_cash_log: dict[str, NDArray[np.float64]],
    bill_spread_pp: float,
) -> StrategyReturns:
    """Returns of every entry-month strategy on every path (module docstring: equations).

    Parameters
    ----------
    y10_read, usd_log_growth_read, rate_post_read : (P, R) values at the read dates.
    expected_cuts_read : (P, R, J) market's expected cuts at remaining meetings.
    effective : (J,) effective dates of those meetings.
    horizon, horizon_read : the exit date and its read index.
    entries : one schedule per entry month.
    foreign_rate_pp, foreign_basis_pp, foreign_cash_log : currency -> (R,) arrays.
    bill_spread_pp : USD short rate minus the policy rate, pp.
    """
    p = y10_read.shape[0]
    m = len(entries)
    usd = np.empty((p, m))
    bond = np.empty((p, m))
    coupons = np.empty((p, m))
    hedged = {c: np.empty((p, m)) for c in foreign_rate_pp}
    costs = {c: np.empty((p, m)) for c in foreign_rate_pp}
    i_h = usd_log_growth_read[:, horizon_read]
    y_h = y10_read[:, horizon_read]
    for j, ent in enumerate(entries):
        coupon = y10_read[:, ent.entry_read]
        growth = (
            np.stack([np.exp(i_h - usd_log_growth_read[:, r]) for r in ent.coupon_reads])
            if ent.coupon_reads
            else np.ones((0, p))
        )
        res = bond_total_return(coupon, y_h, ent.entry_date, horizon, growth)
        bond[:, j] = res.total_return
        coupons[:, j] = res.coupon_value
        usd[:, j] = np.exp(usd_log_growth_read[:, ent.entry_read]) * (1.0 + res.total_return) - 1.0
        maturity = par_bond_maturity(ent.entry_date)
        notional = []
        rbar = []
        for k, (r, t0, t1) in enumerate(
            zip(ent.roll_reads, ent.roll_starts, ent.roll_ends, strict=True)
        ):
            if k == 0:
                notional.append(np.ones(p))
            else:
                received = [
                    (cd, cr)
                    for cd, cr in zip(ent.coupon_dates, ent.coupon_reads, strict=True)
                    if cd <= t0
                ]
                value = dirty_price(y10_read[:, r], coupon, t0, maturity)
                for _cd, cr in received:
                    value = value + coupon / 2.0 * np.exp(
                        usd_log_growth_read[:, r] - usd_log_growth_read[:, cr]
                    )
                notional.append(value / 100.0)
            rbar.append(
                expected_mean_rate(
                    rate_post_read[:, r], expected_cuts_read[:, r, :], effective, t0, t1
                )
            )
        for cur in foreign_rate_pp:
            total = np.zeros(p)
            for k, (r, t0, t1) in enumerate(
                zip(ent.roll_reads, ent.roll_starts, ent.roll_ends, strict=True)
            ):
                days = (t1 - t0).days
                carry = (
                    rbar[k] + bill_spread_pp - foreign_rate_pp[cur][r] - foreign_basis_pp[cur][r]
                )
                total += notional[k] * carry / 100.0 * days / DAYS_PER_YEAR
            costs[cur][:, j] = total
            hedged[cur][:, j] = (
                np.exp(foreign_cash_log[cur][ent.entry_read]) * (1.0 + res.total_return - total)
                - 1.0
            )
    return StrategyReturns(
        usd=usd, hedged=hedged, bond=bond, hedge_cost=costs, coupon_value=coupons
    )


def unhedged_returns(
    bond: NDArray[np.float64],
    foreign_cash_entry: NDArray[np.float64],
    fx_log_entry: NDArray[np.float64],
    fx_log_horizon: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Unhedged returns of one base currency (module docstring), (P, M).

    Parameters
    ----------
    bond : (P, M) R_bond per path and entry month.
    foreign_cash_entry : (M,) F_c,e, the foreign cash's log growth to each entry date.
    fx_log_entry : (P, M) log spot at each entry date (any fixed origin).
    fx_log_horizon : (P,) log spot at the horizon (same origin).

    Examples
    --------
    >>> import numpy as np
    >>> r = unhedged_returns(np.array([[0.05]]), np.array([0.0]), np.zeros((1, 1)),
    ...                      np.array([np.log(0.98)]))
    >>> round(float(r[0, 0]), 6)  # 1.05 x 0.98 - 1
    0.029
    """
    fx_gain = np.exp(fx_log_horizon[:, None] - fx_log_entry)
    return np.asarray(
        np.exp(foreign_cash_entry)[None, :] * (1.0 + bond) * fx_gain - 1.0, dtype=np.float64
    )
