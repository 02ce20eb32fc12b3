r"""Expectations component of the 10-year yield.

The 10y is the mean expected short rate over the next 120 months plus the term premium
(docs/model.md). With the market's expected policy path through the window and reversion
to the neutral rate afterwards, the expectations component at time t is linear in the
state::

    EC_t = W_r r_t + W_n n* - 0.25 sum_i E_t[m_i] W_i + beta B(rho) g_t

Symbols: r_t = policy rate (target midpoint incl. decided moves), %; n* = neutral rate;
m_i = cuts at remaining meeting i (E_t from the market's table); kappa = reversion per
year; g_t = inflation gap; rho = its monthly persistence; beta = inflation loading.
With L = years from t to the window end, H_in = min(120, floor(12 L)) months inside the
window, n_out = 120 - H_in, and

    S(kappa, L) = sum_{h=H_in+1}^{120} exp(-kappa (h/12 - L))
    c_i = #{h <= H_in : h/12 >= tau_i - t}        (months that see meeting i's move)

the weights are W_r = (H_in + S)/120, W_n = (n_out - S)/120, W_i = (c_i + S)/120. At the
window end (no meeting left) EC = n* + (r - n*) A(kappa) + beta B(rho) g: the fit's form.

The 2-year's expectations component is the same average over h = 1..24 (every 120 above
becomes 24, B(rho) averages rho^h over 24 months): ``horizon=TWO_YEAR_MONTHS``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

HORIZON_MONTHS = 120
TWO_YEAR_MONTHS = 24  # the 2-year's average runs over h = 1..24 (same equations)
DAYS_PER_YEAR = 365.25
_SMALL = 1e-8


# Below these distances from the singular points the closed forms are 0/0: use the
# second-order series (third-order terms are < 1e-16 there; working in the docstrings).
_KAPPA_SERIES = 1e-6
_RHO_SERIES = 1e-6

# Moments of h = 1..120: mean(h) = 60.5, mean(h^2) = 121 * 241 / 6.
_MEAN_H = (HORIZON_MONTHS + 1) / 2.0
_MEAN_H2 = (HORIZON_MONTHS + 1) * (2 * HORIZON_MONTHS + 1) / 6.0


def expectations_weight_A(kappa: ArrayLike) -> NDArray[np.float64]:
    """Weight of today's policy-rate gap in the 10-year average expected short rate.

    ``A(kappa) = mean_{h=1..120} a^h = a (1 - a^120) / (120 (1 - a))`` with
    ``a = exp(-kappa / 12)``, computed as ``a expm1(-10 kappa) / (120 expm1(-kappa / 12))``.
    For ``|kappa| < 1e-6`` the series ``1 - 60.5 k + mean(h^2) k^2 / 2`` in ``k = kappa / 12``
    is used (the next term, ``mean(h^3) k^3 / 6``, is below 4e-17 there).

    Parameters
    ----------
    kappa : float or array
        Mean reversion of the expected short rate to neutral, per year.

    Returns
    -------
    numpy.ndarray
        A in [0, 1] for kappa >= 0; A(0) = 1 (no reversion).

    Examples
    --------
    >>> float(expectations_weight_A(0.0))
    1.0
    >>> round(float(expectations_weight_A(0.3)), 4)
    0.3128
    """
    k = np.asarray(kappa, dtype=np.float64)
    small = np.abs(k) < _KAPPA_SERIES
    safe = np.where(small, 1.0, k)
    a = np.exp(-safe / 12.0)
    closed = a * np.expm1(-safe * HORIZON_MONTHS / 12.0) / (HORIZON_MONTHS * np.expm1(-safe / 12.0))
    m = k / 12.0
    series = 1.0 - _MEAN_H * m + 0.5 * _MEAN_H2 * m * m
    return np.asarray(np.where(small, series, closed), dtype=np.float64)


def inflation_weight_B(rho: ArrayLike, horizon: int = HORIZON_MONTHS) -> NDArray[np.float64]:
    """Weight of today's inflation gap in its 10-year average expected path.

    ``B(rho) = mean_{h=1..120} rho^h = rho (1 - rho^120) / (120 (1 - rho))``, computed as
    ``rho expm1(120 log rho) / (120 (rho - 1))``; for ``|rho - 1| < 1e-6`` the series
    ``1 + 60.5 d + mean(h (h - 1)) d^2 / 2`` in ``d = rho - 1`` is used (third-order term
    below 2e-10 * 1e-18 there). B(0) = 0.

    Parameters
    ----------
    rho : float or array
        Monthly AR(1) coefficient of the inflation gap, in [0, 1].
    horizon : int
        Months averaged over (120 for the 10-year, 24 for the 2-year).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(inflation_weight_B(1.0))
    1.0
    >>> round(float(inflation_weight_B(0.95)), 4)
    0.158
    """
    r = np.asarray(rho, dtype=np.float64)
    d = r - 1.0
    small = np.abs(d) < _RHO_SERIES
    positive = r > 0.0
    safe = np.where(small | ~positive, 0.5, r)
    closed = safe * np.expm1(horizon * np.log(safe)) / (horizon * (safe - 1.0))
    mean_h, mean_h2 = (horizon + 1) / 2.0, (horizon + 1) * (2 * horizon + 1) / 6.0
    series = 1.0 + mean_h * d + 0.5 * (mean_h2 - mean_h) * d * d
    # rho <= 0 lies outside the domain; the power form is exact there and cheap.
    direct = r * (1.0 - r**horizon) / (horizon * (1.0 - np.where(small, 0.0, r)))
    return np.asarray(np.where(small, series, np.where(positive, closed, direct)), dtype=np.float64)


def months_inside(years_to_end: float, horizon: int = HORIZON_MONTHS) -> int:
    """H_in: monthly horizons h = 1..horizon (120: the 10y) with h/12 <= years to the window end."""
    return int(min(horizon, max(0, np.floor(12.0 * years_to_end + 1e-9))))


def reversion_sum(
    kappa: NDArray[np.float64], years_to_end: float, horizon: int = HORIZON_MONTHS
) -> NDArray[np.float64]:
    r"""S(kappa, L) = sum_{h=H_in+1}^{horizon} exp(-kappa (h/12 - L)), closed form.

    ``e0 expm1(-kappa n_out/12) / expm1(-kappa/12)`` with
    ``e0 = exp(-kappa ((H_in+1)/12 - L))``; below ``|kappa| < 1e-8`` the first-order
    series ``n_out - kappa sum_h (h/12 - L)`` (as A's), so EC is continuous in kappa.
    """
    h_in = months_inside(years_to_end, horizon)
    n_out = horizon - h_in
    if n_out == 0:
        return np.zeros_like(kappa)
    small = np.abs(kappa) < _SMALL
    safe = np.where(small, 1.0, kappa)
    e0 = np.exp(-safe * ((h_in + 1) / 12.0 - years_to_end))
    geo = e0 * np.expm1(-safe * n_out / 12.0) / np.expm1(-safe / 12.0)
    # sum_{h=H_in+1}^{120} (h/12 - L)
    lag_sum = (horizon * (horizon + 1) - h_in * (h_in + 1)) / 24.0 - n_out * (years_to_end)
    return np.asarray(np.where(small, n_out - kappa * lag_sum, geo), dtype=np.float64)


def meeting_counts(
    years_to_end: float, years_to_meetings: NDArray[np.float64], horizon: int = HORIZON_MONTHS
) -> NDArray[np.int64]:
    """c_i: horizons inside the window that lie at or after meeting i's effective date.

    Meetings already effective (``years_to_meetings <= 0``) get 0: their move is in r_t.
    """
    h_in = months_inside(years_to_end, horizon)
    h_min = np.maximum(1, np.ceil(12.0 * years_to_meetings - 1e-9)).astype(np.int64)
    counts = np.maximum(0, h_in - h_min + 1)
    return np.where(years_to_meetings > 0, counts, 0).astype(np.int64)


def expectations_component(
    rate_pp: NDArray[np.float64],
    neutral_pp: NDArray[np.float64],
    kappa: NDArray[np.float64],
    expected_cuts: NDArray[np.float64],
    counts: NDArray[np.int64],
    years_to_end: float,
    inflation_term: NDArray[np.float64],
    *,
    reversion: NDArray[np.float64] | None = None,
    horizon: int = HORIZON_MONTHS,
) -> NDArray[np.float64]:
    r"""EC_t for many paths at one date (module docstring for the equation).

    Parameters
    ----------
    rate_pp : (P,) policy rate incl. decided moves, %.
    neutral_pp : (P,) n*, %.
    kappa : (P,) reversion per year.
    expected_cuts : (P, J) market's E_t[m_i] for the remaining meetings (0 when past).
    counts : (J,) c_i from :func:`meeting_counts` at this date.
    years_to_end : L, years from this date to the window end.
    inflation_term : (P,) beta B(rho) g_t, pp.
    reversion : (P,) S(kappa, L) when the caller has it already (the engine carries
        exp(kappa L) from date to date instead of recomputing it); default
        :func:`reversion_sum`.
    horizon : months averaged over: 120 (the 10-year, default) or 24 (the 2-year); counts,
        reversion and inflation_term must be the same maturity's.

    Returns
    -------
    (P,) EC_t in %.
    """
    h_in = months_inside(years_to_end, horizon)
    s = reversion_sum(kappa, years_to_end, horizon) if reversion is None else reversion
    n_out = horizon - h_in
    moves = expected_cuts @ counts.astype(np.float64) + s * expected_cuts.sum(axis=1)
    ec = (h_in + s) * rate_pp + (n_out - s) * neutral_pp - 0.25 * moves
    return np.asarray(ec / horizon + inflation_term, dtype=np.float64)
