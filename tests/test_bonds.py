"""Tests for simulator.core.bonds: schedule, street-convention price, holding-period return."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

from simulator.core.bonds import (
    accrued_fraction,
    accrued_interest,
    bond_total_return,
    breakeven_exit_yield,
    clean_price,
    coupon_schedule,
    dirty_price,
    holding_coupon_dates,
    modified_duration,
    par_bond_maturity,
    par_coupon,
)


def _days(*dates: str) -> np.ndarray:
    return np.array(dates, dtype="datetime64[D]")


# ---------------------------------------------------------------------------
# Schedule and accrual
# ---------------------------------------------------------------------------


def test_schedule_steps_back_from_maturity_and_starts_at_previous_coupon() -> None:
    schedule = coupon_schedule("2026-03-17", "2027-11-15")
    np.testing.assert_array_equal(
        schedule, _days("2025-11-15", "2026-05-15", "2026-11-15", "2027-05-15", "2027-11-15")
    )


def test_schedule_on_a_coupon_date_starts_at_settle() -> None:
    schedule = coupon_schedule(dt.date(2026, 5, 15), np.datetime64("2027-05-15"))
    np.testing.assert_array_equal(schedule, _days("2026-05-15", "2026-11-15", "2027-05-15"))


def test_schedule_end_of_month_rule() -> None:
    # A month-end maturity pays on month ends: Apr 30 -> Oct 31; Feb 28 (non-leap) -> Aug 31.
    np.testing.assert_array_equal(
        coupon_schedule("2026-05-01", "2027-04-30"), _days("2026-04-30", "2026-10-31", "2027-04-30")
    )
    np.testing.assert_array_equal(
        coupon_schedule("2026-03-01", "2027-02-28"), _days("2026-02-28", "2026-08-31", "2027-02-28")
    )


def test_schedule_clamps_day_without_end_of_month_rule() -> None:
    # Aug 30 is not a month end: Feb coupons clamp to Feb 28/29, Aug keeps the 30th.
    np.testing.assert_array_equal(
        coupon_schedule("2027-09-01", "2028-08-30"), _days("2027-08-30", "2028-02-29", "2028-08-30")
    )


def test_schedule_rejects_settle_at_or_after_maturity() -> None:
    with pytest.raises(ValueError, match="before maturity"):
        coupon_schedule("2027-05-15", "2027-05-15")


def test_accrued_fraction_hand_value() -> None:
    # Jan 15 -> Apr 15 = 31 + 28 + 31 = 90 days; Jan 15 -> Jul 15 = 181 days (2026).
    assert accrued_fraction("2026-04-15", "2026-01-15", "2026-07-15") == pytest.approx(90 / 181)
    fractions = accrued_fraction(_days("2026-01-15", "2026-07-15"), "2026-01-15", "2026-07-15")
    np.testing.assert_array_equal(fractions, [0.0, 1.0])
    with pytest.raises(ValueError):
        accrued_fraction("2026-08-01", "2026-01-15", "2026-07-15")


def test_par_bond_maturity_keeps_day_or_month_end() -> None:
    assert par_bond_maturity("2026-03-02") == np.datetime64("2036-03-02")
    assert par_bond_maturity("2028-02-29") == np.datetime64("2038-02-28")
    assert par_bond_maturity("2026-04-30") == np.datetime64("2036-04-30")
    # Entry is always on the schedule, so the bond is bought on a coupon date.
    for entry in ("2026-03-02", "2028-02-29", "2026-08-30", "2026-04-30"):
        assert coupon_schedule(entry, par_bond_maturity(entry))[0] == np.datetime64(entry)


# ---------------------------------------------------------------------------
# Price identities
# ---------------------------------------------------------------------------

SETTLE_ON_COUPON = np.datetime64("2026-02-15")
MATURITY = np.datetime64("2036-02-15")


@given(y=st.floats(min_value=0.0, max_value=15.0))
def test_par_bond_prices_at_100_on_a_coupon_date(y: float) -> None:
    assert dirty_price(y, y, SETTLE_ON_COUPON, MATURITY) == pytest.approx(100.0, abs=1e-10)
    assert par_coupon(y, SETTLE_ON_COUPON, MATURITY) == pytest.approx(y, abs=1e-12)


def test_par_bond_vectorised_over_paths() -> None:
    y = np.array([[3.5, 4.0, 4.5], [5.0, 6.0, 7.0]])
    np.testing.assert_allclose(dirty_price(y, y, SETTLE_ON_COUPON, MATURITY), 100.0, atol=1e-10)


def test_price_between_coupons_is_clean_plus_accrued_and_grows_at_the_yield() -> None:
    settle = np.datetime64("2026-06-01")  # 106 of 181 days into Feb 15 -> Aug 15
    y = np.array([3.0, 4.25, 6.0])
    dirty = dirty_price(y, 4.25, settle, MATURITY)
    accrued = 4.25 / 2 * 106 / 181
    np.testing.assert_allclose(accrued_interest(4.25, settle, MATURITY), accrued, rtol=1e-14)
    np.testing.assert_allclose(clean_price(y, 4.25, settle, MATURITY), dirty - accrued, rtol=1e-14)
    # Same cash flows, a fraction a = 106/181 of a period closer: the full price is the
    # coupon-date price compounded at the yield for a periods.
    on_coupon = dirty_price(y, 4.25, SETTLE_ON_COUPON, MATURITY)
    np.testing.assert_allclose(dirty, on_coupon * (1 + y / 200) ** (106 / 181), rtol=1e-13)
    # par_coupon off a coupon date gives a clean price of 100.
    c = par_coupon(y, settle, MATURITY)
    np.testing.assert_allclose(clean_price(y, c, settle, MATURITY), 100.0, rtol=1e-13)


def test_price_is_decreasing_and_convex_in_yield() -> None:
    y = np.linspace(0.0, 12.0, 121)
    price = dirty_price(y, 4.0, "2026-06-01", MATURITY)
    assert np.all(np.diff(price) < 0)
    assert np.all(np.diff(price, 2) > 0)


@pytest.mark.parametrize("settle", ["2026-02-15", "2026-06-01", "2035-11-20"])
@pytest.mark.parametrize("y", [0.5, 4.3, 9.0])
def test_modified_duration_matches_central_difference(settle: str, y: float) -> None:
    # Central difference error ~ P''' h^2 / 6 and rounding ~ eps P / h: both far below
    # 1e-6 relative at h = 1e-4 pp.
    h = 1e-4
    price = dirty_price(y, 4.0, settle, MATURITY)
    slope = (
        dirty_price(y + h, 4.0, settle, MATURITY) - dirty_price(y - h, 4.0, settle, MATURITY)
    ) / (2 * h)
    duration = modified_duration(y, 4.0, settle, MATURITY)
    assert -100 * slope / price == pytest.approx(duration, rel=1e-6)


def test_hand_checked_price() -> None:
    # 6% coupon, 6% yield, maturity 2027-01-15, settle 2026-04-15. Schedule: Jan 15,
    # Jul 15 2026, Jan 15 2027; f = days(Apr 15, Jul 15) / days(Jan 15, Jul 15) = 91/181.
    # Dirty = 3 / 1.03^f + 103 / 1.03^(1+f) = 1.03^-f (3 + 100) = 103 * 1.03^(-91/181)
    # = 101.4806 (by hand: ln 1.03 = 0.0295588, * 91/181 = 0.0148612, e^-x = 0.985249,
    # 103 * 0.985249 = 101.4806).
    settle, maturity = "2026-04-15", "2027-01-15"
    expected = 103 * 1.03 ** (-91 / 181)
    assert dirty_price(6.0, 6.0, settle, maturity) == pytest.approx(expected, rel=1e-14)
    assert expected == pytest.approx(101.4806, abs=1e-4)
    assert clean_price(6.0, 6.0, settle, maturity) == pytest.approx(expected - 3 * 90 / 181)


@pytest.mark.parametrize(
    ("issue", "maturity", "settle", "end_of_month"),
    [
        ("2025-11-15", "2035-11-15", "2026-03-17", False),
        ("2026-04-30", "2036-04-30", "2026-08-14", True),
        ("2025-08-15", "2035-08-15", "2026-02-17", False),
        ("2026-02-15", "2036-02-15", "2026-02-15", False),
    ],
)
@pytest.mark.parametrize(("coupon", "y"), [(4.125, 4.37), (1.5, 6.2), (6.0, 0.8)])
def test_price_matches_quantlib(
    issue: str, maturity: str, settle: str, end_of_month: bool, coupon: float, y: float
) -> None:
    ql = pytest.importorskip("QuantLib")

    def qd(day: str) -> object:
        year, month, dom = map(int, day.split("-"))
        return ql.Date(dom, month, year)

    calendar = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    schedule = ql.Schedule(
        qd(issue),
        qd(maturity),
        ql.Period(ql.Semiannual),
        calendar,
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        end_of_month,
    )
    day_count = ql.ActualActual(ql.ActualActual.Bond, schedule)
    # Unadjusted payments: the street yield discounts on nominal coupon dates. With
    # QuantLib's default Following, a coupon due on a weekend is discounted to the next
    # business day and prices move by ~0.002 per 100.
    bond = ql.FixedRateBond(0, 100.0, schedule, [coupon / 100], day_count, ql.Unadjusted)
    reference = bond.dirtyPrice(y / 100, day_count, ql.Compounded, ql.Semiannual, qd(settle))
    ours = dirty_price(y, coupon, settle, maturity)
    assert ours == pytest.approx(reference, abs=1e-6)
    accrued_ql = ql.BondFunctions.accruedAmount(bond, qd(settle))
    assert accrued_interest(coupon, settle, maturity) == pytest.approx(accrued_ql, abs=1e-9)


# ---------------------------------------------------------------------------
# Holding-period return
# ---------------------------------------------------------------------------


def test_one_coupon_period_at_constant_yield_returns_half_the_coupon() -> None:
    y = np.array([2.0, 4.3, 5.75])
    result = bond_total_return(y, y, "2026-03-02", "2026-09-02", reinvest_growth=1.0)
    np.testing.assert_allclose(result.total_return, y / 2 / 100, rtol=1e-12)
    np.testing.assert_array_equal(result.coupon_dates, _days("2026-09-02"))
    assert result.maturity == np.datetime64("2036-03-02")


def test_total_return_hand_checked_example() -> None:
    # Entry 2026-01-15 at 4%, exit 2027-01-15 (two coupons of 2). The first coupon earns
    # 2% to exit (growth 1.02), the second is paid on the exit date (growth 1).
    # Exit at 5% with 9 years (18 periods) left, on a coupon date:
    # P = 2 * (1 - 1.025^-18) / 0.025 + 100 * 1.025^-18 (annuity + principal).
    # By hand: 1.025^-18 = e^(-18 * 0.0246926) = 0.641166, so
    # P = 80 * 0.358834 + 64.1166 = 92.8233. Value = P + 2 * 1.02 + 2; R = value / 100 - 1.
    exit_price = 2 * (1 - 1.025**-18) / 0.025 + 100 * 1.025**-18
    growth = np.array([[1.02], [1.0]])
    result = bond_total_return([4.0], [5.0], "2026-01-15", "2027-01-15", growth)
    np.testing.assert_allclose(result.exit_dirty_price, exit_price, rtol=1e-13)
    np.testing.assert_allclose(result.coupon_value, 4.04, rtol=1e-14)
    np.testing.assert_allclose(result.total_return, (exit_price + 4.04) / 100 - 1, rtol=1e-13)
    assert exit_price == pytest.approx(92.8233, abs=1e-4)


def test_total_return_callable_growth_sees_the_coupon_dates() -> None:
    seen: list[np.ndarray] = []
    short_rate = np.array([0.03, 0.05])  # continuously compounded, per path

    def growth(dates: np.ndarray) -> np.ndarray:
        seen.append(dates)
        years = (np.datetime64("2027-06-01") - dates).astype(float) / 365.0
        return np.exp(years[:, None] * short_rate)

    result = bond_total_return([4.0, 4.0], [4.2, 3.8], "2026-03-02", "2027-06-01", growth)
    expected_dates = holding_coupon_dates("2026-03-02", "2027-06-01")
    np.testing.assert_array_equal(seen[0], expected_dates)
    np.testing.assert_array_equal(result.coupon_dates, expected_dates)
    np.testing.assert_allclose(result.coupon_value, 2.0 * growth(expected_dates).sum(axis=0))
    assert result.total_return.shape == (2,)


def test_total_return_rejects_wrong_growth_rows() -> None:
    with pytest.raises(ValueError, match="2 coupons"):
        bond_total_return(4.0, 4.0, "2026-03-02", "2027-03-02", np.ones((3, 1)))


def test_total_return_before_the_first_coupon_has_no_coupons() -> None:
    result = bond_total_return([4.0, 4.0], [4.0, 4.5], "2026-03-02", "2026-06-01", np.ones((0, 2)))
    assert result.coupon_dates.size == 0
    np.testing.assert_allclose(result.coupon_value, 0.0)
    # At an unchanged yield the full price accretes at the yield: 1.02^(91/184) - 1.
    assert result.total_return[0] == pytest.approx(1.02 ** (91 / 184) - 1, rel=1e-12)
    assert result.total_return[1] < result.total_return[0]


# ---------------------------------------------------------------------------
# Breakeven exit yield
# ---------------------------------------------------------------------------


def test_breakeven_reproduces_the_target_and_matches_brentq() -> None:
    entry_y = np.array([3.5, 4.3, 5.0])
    target = np.array([0.01, 0.035, -0.02])
    growth = np.array([[1.015, 1.02, 1.01], [1.0, 1.0, 1.0]])
    args = ("2026-03-02", "2027-03-02")
    breakeven = breakeven_exit_yield(entry_y, *args, growth, target)
    achieved = bond_total_return(entry_y, breakeven, *args, growth).total_return
    np.testing.assert_allclose(achieved, target, atol=1e-12)
    # Independent root finder on path 1.
    root = brentq(
        lambda y: float(bond_total_return(4.3, y, *args, growth[:, 1]).total_return) - 0.035,
        -50.0,
        50.0,
        xtol=1e-13,
    )
    assert breakeven[1] == pytest.approx(root, abs=1e-10)


def test_breakeven_equals_entry_yield_when_target_is_the_coupon_carry() -> None:
    # One coupon period, no reinvestment: earning exactly c/2 requires an unchanged yield.
    y = np.array([1.0, 4.3, 8.0])
    breakeven = breakeven_exit_yield(y, "2026-03-02", "2026-09-02", 1.0, y / 200)
    np.testing.assert_allclose(breakeven, y, atol=1e-10)


def test_breakeven_is_infinite_when_coupons_alone_beat_the_target() -> None:
    breakeven = breakeven_exit_yield([4.0, 4.0], "2026-03-02", "2027-03-02", 1.0, [-0.97, 0.0])
    assert breakeven[0] == math.inf
    assert np.isfinite(breakeven[1])


@given(
    entry_y=st.floats(min_value=0.1, max_value=10.0),
    target=st.floats(min_value=-0.3, max_value=0.3),
)
def test_breakeven_converges_over_a_wide_range(entry_y: float, target: float) -> None:
    breakeven = breakeven_exit_yield(entry_y, "2026-03-02", "2027-06-01", 1.01, target)
    achieved = bond_total_return(entry_y, breakeven, "2026-03-02", "2027-06-01", 1.01).total_return
    assert float(achieved) == pytest.approx(target, abs=1e-10)
