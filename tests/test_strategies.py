"""Analytic tests of simulator.core.strategies on hand-made read arrays.

Closed forms used below (street convention, simulator.core.bonds docstring): a par bond
whose yield stays at its coupon c has dirty price 100 (1 + c/200)^a on a day a fraction
a (ACT/ACT) into a coupon period, and exactly 100 just after a coupon is paid.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from simulator.core.strategies import EntrySchedule, expected_mean_rate, strategy_returns

D = dt.date

# ---------------------------------------------------------------------------
# expected_mean_rate
# ---------------------------------------------------------------------------


def test_expected_mean_rate_by_hand() -> None:
    start, end = D(2026, 3, 2), D(2026, 6, 1)  # 91 days
    effective = np.array(["2026-03-19", "2026-04-30", "2026-06-18"], dtype="datetime64[D]")
    e_cuts = np.array([[1.0, 0.5, 0.7], [0.0, -0.4, 1.0]])
    rate = np.array([3.625, 3.375])
    got = expected_mean_rate(rate, e_cuts, effective, start, end)
    # Mar 19 is 17 days in (74 of 91 days after it), Apr 30 is 59 days in (32 after);
    # the June meeting is effective after the period ends and does not count.
    want = rate - 0.25 * (e_cuts[:, 0] * 74 / 91 + e_cuts[:, 1] * 32 / 91)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    # brute force: the mean over the period's calendar days of the expected rate that day
    days = np.arange(np.datetime64(start), np.datetime64(end))
    path = rate[:, None] - 0.25 * e_cuts @ (days[None, :] >= effective[:, None]).astype(float)
    np.testing.assert_allclose(got, path.mean(axis=1), rtol=0, atol=1e-14)


def test_expected_mean_rate_degenerate_cases() -> None:
    rate = np.array([3.0, 4.0])
    eff = np.array(["2026-03-19"], dtype="datetime64[D]")
    # empty period or no meetings: the rate itself
    empty = expected_mean_rate(rate, np.ones((2, 1)), eff, D(2026, 3, 2), D(2026, 3, 2))
    no_meeting = expected_mean_rate(rate, np.zeros((2, 0)), eff[:0], D(2026, 3, 2), D(2026, 6, 1))
    np.testing.assert_array_equal(empty, rate)
    np.testing.assert_array_equal(no_meeting, rate)
    # a meeting effective on the first day counts for the whole period
    full = expected_mean_rate(rate, np.ones((2, 1)), eff, D(2026, 3, 19), D(2026, 6, 1))
    np.testing.assert_allclose(full, rate - 0.25, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# strategy_returns: constant yields, constant rates, no cuts
# ---------------------------------------------------------------------------

AS_OF = D(2025, 12, 31)
HORIZON = D(2026, 12, 1)  # a coupon date of the June entry's bond
READS = [
    AS_OF,
    D(2026, 1, 2),  # Jan entry (Friday)
    D(2026, 4, 1),  # Jan rolls
    D(2026, 6, 1),  # June entry
    D(2026, 7, 1),
    D(2026, 7, 2),  # Jan bond's coupon
    D(2026, 9, 1),  # June roll
    D(2026, 10, 1),
    HORIZON,  # also the June bond's coupon
]
R = {d: i for i, d in enumerate(READS)}
ENTRIES = (
    EntrySchedule(
        month="2026-01",
        entry_date=D(2026, 1, 2),
        entry_read=R[D(2026, 1, 2)],
        roll_reads=tuple(
            R[d] for d in (D(2026, 1, 2), D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1))
        ),
        roll_starts=(D(2026, 1, 2), D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1)),
        roll_ends=(D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1), HORIZON),
        coupon_reads=(R[D(2026, 7, 2)],),
        coupon_dates=(D(2026, 7, 2),),
    ),
    EntrySchedule(
        month="2026-06",
        entry_date=D(2026, 6, 1),
        entry_read=R[D(2026, 6, 1)],
        roll_reads=(R[D(2026, 6, 1)], R[D(2026, 9, 1)]),
        roll_starts=(D(2026, 6, 1), D(2026, 9, 1)),
        roll_ends=(D(2026, 9, 1), HORIZON),
        coupon_reads=(R[HORIZON],),
        coupon_dates=(HORIZON,),
    ),
)
Y = 4.2  # constant 10y, %
USD = 3.625  # policy rate, %
SPREAD = 0.05  # bill spread, pp
FOREIGN = {"CNY": (1.95, 0.0), "EUR": (2.0, -0.17), "JPY": (0.75, -0.2)}  # rate, basis


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def _usd_log(d: dt.date) -> float:
    return (USD + SPREAD) / 100.0 * _days(AS_OF, d) / 365.25


def _run(y10: np.ndarray, foreign: dict[str, tuple[float, float]]) -> object:
    p = y10.shape[0]
    n_r = len(READS)
    return strategy_returns(
        y10_read=y10,
        usd_log_growth_read=np.tile([_usd_log(d) for d in READS], (p, 1)),
        rate_post_read=np.full((p, n_r), USD),
        expected_cuts_read=np.zeros((p, n_r, 2)),
        effective=np.array(["2026-03-19", "2026-09-17"], dtype="datetime64[D]"),
        horizon=HORIZON,
        horizon_read=R[HORIZON],
        entries=ENTRIES,
        foreign_rate_pp={c: np.full(n_r, v[0]) for c, v in foreign.items()},
        foreign_basis_pp={c: np.full(n_r, v[1]) for c, v in foreign.items()},
        foreign_cash_log={
            c: np.array([v[0] / 100.0 * _days(AS_OF, d) / 365.25 for d in READS])
            for c, v in foreign.items()
        },
        bill_spread_pp=SPREAD,
    )


def _par_value(a: float) -> float:
    """Dirty price / 100 of the par bond at its own yield, a fraction a into a period."""
    return (1.0 + Y / 200.0) ** a


def _closed_forms() -> dict[str, tuple[float, list[tuple[float, int]]]]:
    """Per entry month: R_bond and [(notional N_k, days_k)] over the hedge rolls."""
    g = (USD + SPREAD) / 100.0 / 365.25
    cpn = Y / 200.0
    # Jan bond: coupons Jul 2 2026 and Jan 2 2027 (184-day period); Jan 2 -> Jul 2 is 181 days.
    jan_exit = _par_value(_days(D(2026, 7, 2), HORIZON) / 184) + cpn * math.exp(
        g * _days(D(2026, 7, 2), HORIZON)
    )
    jan_notional = [
        (1.0, _days(D(2026, 1, 2), D(2026, 4, 1))),
        (_par_value(89 / 181), _days(D(2026, 4, 1), D(2026, 7, 1))),
        (_par_value(180 / 181), _days(D(2026, 7, 1), D(2026, 10, 1))),
        (
            _par_value(_days(D(2026, 7, 2), D(2026, 10, 1)) / 184)
            + cpn * math.exp(g * _days(D(2026, 7, 2), D(2026, 10, 1))),
            _days(D(2026, 10, 1), HORIZON),
        ),
    ]
    # June bond: exit on its first coupon date, so the price is back at par plus the coupon.
    jun_notional = [
        (1.0, _days(D(2026, 6, 1), D(2026, 9, 1))),
        (_par_value(_days(D(2026, 6, 1), D(2026, 9, 1)) / 183), _days(D(2026, 9, 1), HORIZON)),
    ]
    return {"2026-01": (jan_exit - 1.0, jan_notional), "2026-06": (cpn, jun_notional)}


def test_strategy_returns_constant_yields_match_closed_forms() -> None:
    res = _run(np.full((3, len(READS)), Y), FOREIGN)
    forms = _closed_forms()
    for j, ent in enumerate(ENTRIES):
        r_bond, notional = forms[ent.month]
        np.testing.assert_allclose(res.bond[:, j], r_bond, rtol=0, atol=1e-13)
        usd = math.exp(_usd_log(ent.entry_date)) * (1.0 + r_bond) - 1.0
        np.testing.assert_allclose(res.usd[:, j], usd, rtol=0, atol=1e-13)
        for cur, (f, b) in FOREIGN.items():
            cost = sum(n * (USD + SPREAD - f - b) / 100.0 * d / 365.25 for n, d in notional)
            grow = math.exp(f / 100.0 * _days(AS_OF, ent.entry_date) / 365.25)
            np.testing.assert_allclose(res.hedge_cost[cur][:, j], cost, rtol=0, atol=1e-13)
            np.testing.assert_allclose(
                res.hedged[cur][:, j], grow * (1.0 + r_bond - cost) - 1.0, rtol=0, atol=1e-13
            )


def test_hedged_return_with_zero_carry_is_the_bond_return_in_foreign_cash() -> None:
    # foreign rate + basis = USD rate + bill spread: every roll costs nothing, so the
    # hedged investor earns the bond's USD return on top of foreign cash to the entry.
    foreign = {"CNY": (USD + SPREAD, 0.0), "EUR": (USD + SPREAD + 0.3, -0.3)}
    rng = np.random.default_rng(3)
    y10 = Y + 0.4 * rng.standard_normal((50, len(READS)))
    res = _run(y10, foreign)
    for cur, (f, _b) in foreign.items():
        np.testing.assert_allclose(res.hedge_cost[cur], 0.0, rtol=0, atol=1e-15)
        for j, ent in enumerate(ENTRIES):
            grow = math.exp(f / 100.0 * _days(AS_OF, ent.entry_date) / 365.25)
            np.testing.assert_allclose(
                res.hedged[cur][:, j], grow * (1.0 + res.bond[:, j]) - 1.0, rtol=0, atol=1e-14
            )
    # and the USD investor's bond leg is the same R_bond
    for j, ent in enumerate(ENTRIES):
        np.testing.assert_allclose(
            (1.0 + res.usd[:, j]) / math.exp(_usd_log(ent.entry_date)) - 1.0,
            res.bond[:, j],
            rtol=0,
            atol=1e-14,
        )
