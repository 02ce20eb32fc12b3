"""Analytic tests of the expectations-component and term-premium kernels.

simulator.core.expectations (A(kappa), B(rho), S(kappa, L), c_i, EC_t) and
simulator.core.term_premium (AR(1) step, seasonal drift), against direct formulas and
brute-force sums over the 120 monthly horizons (docs/model.md, "Expectations component").
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.barrier import daily_sigma_from_monthly
from simulator.core.expectations import (
    HORIZON_MONTHS,
    TWO_YEAR_MONTHS,
    expectations_component,
    expectations_weight_A,
    inflation_weight_B,
    meeting_counts,
    months_inside,
    reversion_sum,
)
from simulator.core.term_premium import BDAYS_PER_MONTH, ar1_step, seasonal_drift
from simulator.data.calendar import business_days

H = np.arange(1, HORIZON_MONTHS + 1)
SWITCH = 1e-8  # where the kernels change from the closed form to the series


def _mean_discount(kappa: float) -> float:
    """Reference A(kappa): the mean of exp(-kappa h / 12) over h = 1..120, summed exactly."""
    return math.fsum(math.exp(-kappa * h / 12.0) for h in H) / HORIZON_MONTHS


def _mean_power(rho: float) -> float:
    """Reference B(rho): the mean of rho^h over h = 1..120, summed exactly."""
    return math.fsum(rho ** int(h) for h in H) / HORIZON_MONTHS


# ---------------------------------------------------------------------------
# A(kappa) and B(rho)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kappa", [0.01, 0.05, 0.2, 0.5, 1.0, 3.0, 10.0])
def test_A_matches_direct_formula_away_from_zero(kappa: float) -> None:
    a = math.exp(-kappa / 12.0)
    direct = a * (1.0 - a**120) / (120.0 * (1.0 - a))
    # 1 - a >= 8e-4 here, so the direct form loses at most ~1e-13 to cancellation.
    assert float(expectations_weight_A(kappa)) == pytest.approx(direct, rel=1e-12, abs=0)
    assert float(expectations_weight_A(kappa)) == pytest.approx(
        _mean_discount(kappa), rel=1e-12, abs=0
    )


@pytest.mark.parametrize("rho", [0.0001, 0.3, 0.8, 0.95, 0.99, 0.999])
def test_B_matches_direct_formula_away_from_one(rho: float) -> None:
    direct = rho * (1.0 - rho**120) / (120.0 * (1.0 - rho))
    assert float(inflation_weight_B(rho)) == pytest.approx(direct, rel=1e-12, abs=0)
    assert float(inflation_weight_B(rho)) == pytest.approx(_mean_power(rho), rel=1e-12, abs=0)


def test_A_and_B_limits() -> None:
    # kappa -> 0: no reversion, every horizon expects today's rate.
    assert float(expectations_weight_A(0.0)) == 1.0
    # rho -> 1: the gap never decays; rho = 0: it is gone after one month.
    assert float(inflation_weight_B(1.0)) == 1.0
    assert float(inflation_weight_B(0.0)) == 0.0
    # First-order terms: A = 1 - kappa * mean(h)/12 = 1 - kappa 121/24, B = 1 - 60.5 (1 - rho).
    # (1 - rho) is taken from the stored rho: 1 - (1 - 1e-10) is not exactly 1e-10.
    rho = 1 - 1e-10
    assert float(expectations_weight_A(1e-10)) == pytest.approx(1 - 1e-10 * 121 / 24, abs=1e-16)
    assert float(inflation_weight_B(rho)) == pytest.approx(1 - 60.5 * (1 - rho), abs=1e-16)


@pytest.mark.parametrize("side", [1 - 1e-6, 1.0, 1 + 1e-6], ids=["below", "at", "above"])
def test_A_continuous_across_the_series_switch(side: float) -> None:
    kappa = SWITCH * side
    # The first-order series drops kappa^2 terms ~ (1e-8)^2 * mean(h^2)/288 ~ 2e-15.
    assert float(expectations_weight_A(kappa)) == pytest.approx(
        _mean_discount(kappa), abs=1e-14, rel=0
    )


@pytest.mark.parametrize("side", [1 - 1e-6, 1.0, 1 + 1e-6], ids=["below", "at", "above"])
def test_B_continuous_across_the_series_switch(side: float) -> None:
    rho = 1.0 - SWITCH * side
    # The dropped second-order term is (1 - rho)^2 mean(h (h - 1) / 2) ~ 1e-16 * 2400.
    assert float(inflation_weight_B(rho)) == pytest.approx(_mean_power(rho), abs=1e-12, rel=0)


def test_A_and_B_have_no_jump_at_the_switch() -> None:
    eps = 1e-14
    a_lo, a_hi = expectations_weight_A(np.array([SWITCH * (1 - eps), SWITCH * (1 + eps)]))
    b_lo, b_hi = inflation_weight_B(np.array([1 - SWITCH * (1 + eps), 1 - SWITCH * (1 - eps)]))
    assert abs(a_hi - a_lo) < 1e-12
    assert abs(b_hi - b_lo) < 1e-12


@given(st.floats(min_value=0.0, max_value=20.0))
def test_A_is_a_mean_of_discount_factors(kappa: float) -> None:
    # Property: A is the mean of exp(-kappa h/12) over the 120 horizons, in [0, 1].
    val = float(expectations_weight_A(kappa))
    assert 0.0 <= val <= 1.0
    assert val == pytest.approx(_mean_discount(kappa), rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# S(kappa, L) and c_i
# ---------------------------------------------------------------------------


def _years(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 365.25


WINDOW_END = dt.date(2026, 12, 31)
DATES = [
    dt.date(2025, 12, 31),
    dt.date(2026, 1, 20),
    dt.date(2026, 3, 19),
    dt.date(2026, 6, 30),
    dt.date(2026, 12, 9),
    dt.date(2026, 12, 31),
]


def _h_in(years_to_end: float) -> int:
    """Brute force: horizons h = 1..120 with h/12 <= L (1e-9 month slack, as the kernel)."""
    return int(np.sum(H <= 12.0 * years_to_end + 1e-9))


@pytest.mark.parametrize("when", DATES, ids=str)
@pytest.mark.parametrize(
    "kappa", [0.0, 1e-9, SWITCH * (1 - 1e-6), SWITCH * (1 + 1e-6), 0.05, 0.3, 2.0]
)
def test_reversion_sum_matches_brute_force(when: dt.date, kappa: float) -> None:
    years = _years(when, WINDOW_END)
    assert months_inside(years) == _h_in(years)
    outside = H[H > _h_in(years)]
    brute = math.fsum(math.exp(-kappa * (h / 12.0 - years)) for h in outside)
    got = float(reversion_sum(np.array([kappa]), years)[0])
    assert got == pytest.approx(brute, rel=1e-12, abs=1e-12)


def test_reversion_sum_beyond_ten_years_is_zero() -> None:
    assert reversion_sum(np.array([0.3]), 10.5).tolist() == [0.0]


@pytest.mark.parametrize("when", DATES, ids=str)
def test_meeting_counts_match_brute_force(when: dt.date) -> None:
    # 2026 FOMC effective days (the business day after each decision), plus a date
    # exactly 487 days after 2025-12-31: 487 / 365.25 = 16/12 years, a monthly horizon.
    effective = [
        dt.date(2026, 1, 29),
        dt.date(2026, 3, 19),
        dt.date(2026, 4, 30),
        dt.date(2026, 6, 18),
        dt.date(2026, 7, 30),
        dt.date(2026, 9, 17),
        dt.date(2026, 10, 29),
        dt.date(2026, 12, 10),
        dt.date(2025, 12, 31) + dt.timedelta(days=487),
    ]
    years_end = _years(when, WINDOW_END) + (1.5 if effective[-1] > WINDOW_END else 0.0)
    taus = np.array([_years(when, e) for e in effective])
    got = meeting_counts(years_end, taus)
    h_in = _h_in(years_end)
    # c_i = #{h <= H_in : h/12 >= tau_i}, the same 1e-9 month slack as months_inside;
    # meetings already effective (tau <= 0) are in r_t and count 0.
    brute = [int(np.sum((H <= h_in) & (H >= 12.0 * tau - 1e-9))) if tau > 0 else 0 for tau in taus]
    assert got.tolist() == brute


# ---------------------------------------------------------------------------
# EC_t
# ---------------------------------------------------------------------------


def test_expectations_component_at_window_end_is_the_fit_form() -> None:
    rate = np.array([3.625, 2.0, 5.0])
    neutral = np.array([3.0, 3.5, 2.5])
    kappa = np.array([0.3, 1e-12, 2.0])
    rho, beta, gap = np.array([0.95, 0.5, 1.0]), np.array([0.5, 1.2, -0.3]), np.array([0.8, -1, 2])
    infl = beta * inflation_weight_B(rho) * gap
    ec = expectations_component(
        rate, neutral, kappa, np.zeros((3, 0)), np.zeros(0, dtype=np.int64), 0.0, infl
    )
    fit = neutral + (rate - neutral) * expectations_weight_A(kappa) + infl
    np.testing.assert_allclose(ec, fit, rtol=1e-13, atol=0)


@pytest.mark.parametrize("horizon", [HORIZON_MONTHS, TWO_YEAR_MONTHS])
@pytest.mark.parametrize("when", DATES[:-1], ids=str)
def test_expectations_component_is_the_mean_expected_short_rate(
    when: dt.date, horizon: int
) -> None:
    """EC = mean over h of E[r_{t+h}]: the market's path in the window, then reversion
    (h = 1..120 for the 10-year, 1..24 for the 2-year)."""
    effective = [dt.date(2026, m, d) for m, d in [(1, 29), (3, 19), (6, 18), (9, 17), (12, 10)]]
    years_end = _years(when, WINDOW_END)
    taus = np.array([_years(when, e) for e in effective])
    e_cuts = np.array([[0.1, 0.3, 0.9, 0.6, 0.2], [0.0, -0.2, 0.5, 1.0, 1.0]])
    e_cuts = np.where(taus > 0, e_cuts, 0.0)  # decided meetings are in r_t
    rate, neutral, kappa = np.array([3.625, 3.375]), np.array([3.0, 2.75]), np.array([0.4, 1.5])
    infl = np.array([0.05, -0.02])
    counts = meeting_counts(years_end, taus, horizon)
    ec = expectations_component(
        rate, neutral, kappa, e_cuts, counts, years_end, infl, horizon=horizon
    )
    for p in range(2):
        path = []
        rate_end = rate[p] - 0.25 * e_cuts[p].sum()
        for h in range(1, horizon + 1):
            if h <= 12.0 * years_end + 1e-9:
                seen = 12.0 * taus - 1e-9 <= h
                path.append(rate[p] - 0.25 * float(e_cuts[p][seen].sum()))
            else:
                decay = math.exp(-kappa[p] * (h / 12.0 - years_end))
                path.append(neutral[p] + (rate_end - neutral[p]) * decay)
        assert ec[p] == pytest.approx(math.fsum(path) / horizon + infl[p], rel=1e-13, abs=0)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95, 1 - 1e-7, 1.0])
def test_two_year_inflation_weight_is_the_24_month_mean(rho: float) -> None:
    direct = math.fsum(rho**h for h in range(1, TWO_YEAR_MONTHS + 1)) / TWO_YEAR_MONTHS
    assert float(inflation_weight_B(rho, TWO_YEAR_MONTHS)) == pytest.approx(direct, rel=1e-12)


# ---------------------------------------------------------------------------
# The term premium's AR(1) on business days
# ---------------------------------------------------------------------------

PHIS = [0.0, 0.5, 0.9, 0.99, 1 - 1e-9, 1.0]


@pytest.mark.parametrize("phi", PHIS)
@pytest.mark.parametrize("k", [2, 5, 21, 63])
def test_ar1_daily_steps_compose_to_a_k_step(phi: float, k: int) -> None:
    sigma = 0.2
    c1, s1 = ar1_step(phi, sigma, 1)
    ck, sk = ar1_step(phi, sigma, k)
    # k one-day steps: x_k = c1^k x_0 + sum_j c1^j s1 z_j, variance s1^2 sum_j c1^(2j).
    var_k = math.fsum(float(s1) ** 2 * float(c1) ** (2 * j) for j in range(k))
    assert float(ck) == pytest.approx(float(c1) ** k, rel=1e-12, abs=1e-300)
    assert float(sk) ** 2 == pytest.approx(var_k, rel=1e-12)
    # and a k-step followed by a 1-step is a (k+1)-step
    ck1, sk1 = ar1_step(phi, sigma, k + 1)
    assert float(ck1) == pytest.approx(float(ck) * float(c1), rel=1e-12, abs=1e-300)
    assert float(sk1) ** 2 == pytest.approx(float(c1) ** 2 * float(sk) ** 2 + float(s1) ** 2)


@pytest.mark.parametrize("phi", PHIS[:-1])
def test_ar1_month_of_days_is_the_monthly_model(phi: float) -> None:
    # 21 business days = one month: coefficient phi, innovation s.d. sigma_tp.
    c, s = ar1_step(phi, 0.2, BDAYS_PER_MONTH)
    assert float(c) == pytest.approx(phi, rel=1e-12, abs=1e-300)
    assert float(s) == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, 0.99, 0.999999])
@pytest.mark.parametrize("k", [1, 3, 5, 21, 250])
def test_ar1_stationary_variance_is_preserved_on_every_step(phi: float, k: int) -> None:
    sigma = 0.2
    c, s = ar1_step(phi, sigma, k)
    stationary = sigma**2 / (1 - phi**2)
    # Var(x) = v stays v after a step iff c^2 v + s^2 = v.
    assert float(c) ** 2 * stationary + float(s) ** 2 == pytest.approx(stationary, rel=1e-9)


@pytest.mark.parametrize("k", [1, 5, 21, 63])
def test_ar1_unit_root_limit(k: int) -> None:
    # phi = 1: a random walk with daily s.d. sigma_tp / sqrt(21); phi -> 1 approaches it.
    sigma = 0.2
    c, s = ar1_step(1.0, sigma, k)
    assert float(c) == 1.0
    assert float(s) == pytest.approx(sigma * math.sqrt(k / 21), rel=1e-14)
    assert float(daily_sigma_from_monthly(sigma, 1.0)) == pytest.approx(sigma / math.sqrt(21))
    c_near, s_near = ar1_step(1 - 1e-10, sigma, k)
    assert float(c_near) == pytest.approx(1.0 - 1e-10 * k / 21, abs=1e-15)
    assert float(s_near) == pytest.approx(float(s), rel=1e-8)


def test_ar1_step_vectorised_over_draws() -> None:
    phi = np.array([0.5, 0.9, 1.0])
    sig = np.array([0.1, 0.2, 0.3])
    c, s = ar1_step(phi, sig, 5)
    for i in range(3):
        ci, si = ar1_step(phi[i], sig[i], 5)
        assert c[i] == float(ci)
        assert s[i] == float(si)


# ---------------------------------------------------------------------------
# Seasonal drift
# ---------------------------------------------------------------------------


def _month_counts(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    out = np.empty(len(days), dtype=np.int64)
    for m in np.unique(months):
        last = (m + 1).astype("datetime64[D]") - 1
        out[months == m] = len(business_days(m.astype("datetime64[D]"), last))
    return out


def test_seasonal_drift_sums_to_the_monthly_bp_over_a_full_month() -> None:
    drift_bp = np.arange(1.0, 13.0) * np.where(np.arange(12) % 2, 1, -1)  # jan -1, feb +2, ...
    days = business_days("2025-12-31", "2026-12-31")
    cum = seasonal_drift(days, drift_bp, _month_counts(days))
    assert cum[0] == 0.0  # drift_0 = 0 at the as-of
    months = days.astype("datetime64[M]")
    month_end_idx = np.flatnonzero(np.r_[months[1:] != months[:-1], True])
    # from one month end to the next a full month accrues: its bp / 100
    for a, b in itertools.pairwise(month_end_idx):
        month = int(months[b].astype(np.int64) % 12)
        assert cum[b] - cum[a] == pytest.approx(drift_bp[month] / 100.0, rel=1e-12)
    assert cum[-1] == pytest.approx(drift_bp.sum() / 100.0, rel=1e-12)


def test_seasonal_drift_mid_month_start_accrues_its_share() -> None:
    drift_bp = np.zeros(12)
    drift_bp[2] = 21.0  # March: 22 business days in 2026
    days = business_days("2026-03-16", "2026-03-31")
    counts = _month_counts(days)
    assert counts[0] == 22
    cum = seasonal_drift(days, drift_bp, counts)
    assert cum[-1] == pytest.approx(0.21 * (len(days) - 1) / 22, rel=1e-12)
