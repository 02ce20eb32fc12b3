"""Barrier (touch) kernels: Brownian-bridge crossing, BGK shift, closed-form first passage.

The engine answers "does the 10-year close at or beyond a level on some business day?"
(docs/bonds-and-touch.md). On a grid coarser than daily it adds, between grid points, the
probability that the diffusive part crossed the level, computed here by
:func:`touch_probability` with the level moved deeper by :func:`bgk_shifted_level` so the
continuous-monitoring bridge estimates daily-close monitoring.

Units (docs/model.md): levels and yields in percent; the bridge volatility ``sigma`` is
the only volatility in pp per sqrt(year), and times ``dt``, ``T`` are in years. The
monthly term-premium innovation ``sigma_tp`` converts to it through
:func:`daily_sigma_from_monthly` and :func:`bridge_sigma`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import log_ndtr, ndtr

__all__ = [
    "BGK_BETA",
    "BUSINESS_DAYS_PER_MONTH",
    "BUSINESS_DAYS_PER_YEAR",
    "bgk_shifted_level",
    "bridge_sigma",
    "daily_sigma_from_monthly",
    "first_passage_probability",
    "touch_probability",
]

#: Broadie-Glasserman-Kou constant beta = -zeta(1/2) / sqrt(2 pi) = 0.5825971579...
#: zeta(1/2) = -1.4603545088095868 (Riemann zeta); tests recompute it with scipy.
BGK_BETA: float = 1.4603545088095868 / math.sqrt(2.0 * math.pi)

#: Business days per year and per month used to scale daily volatilities.
BUSINESS_DAYS_PER_YEAR: int = 252
BUSINESS_DAYS_PER_MONTH: int = 21


def _require_nonnegative(name: str, value: NDArray[np.float64]) -> None:
    """Raise ValueError if any entry is negative (NaN passes through to the result)."""
    if np.any(value < 0.0):
        raise ValueError(f"{name} must be >= 0, found min {np.nanmin(value)!r}")


def touch_probability(
    x0: ArrayLike, x1: ArrayLike, level: ArrayLike, sigma: ArrayLike, dt: ArrayLike
) -> NDArray[np.float64]:
    r"""Probability that a Brownian bridge from ``x0`` to ``x1`` touches ``level``.

    Direction-free: the same formula serves a level below the start (a fall to it) and
    one above (a rise to it)::

        p = 1                                          if (x0 - L)(x1 - L) <= 0
        p = exp(-2 (x0 - L)(x1 - L) / (sigma^2 dt))    otherwise

    The bridge law does not depend on the drift, so ``p`` is exact for Brownian motion
    with any constant drift between the two grid points, given both endpoints.

    Parameters
    ----------
    x0, x1 : array_like
        Values (yields, %) at the start and end of the interval.
    level : array_like
        Barrier ``L`` in %.
    sigma : array_like
        Diffusion volatility in pp per sqrt(year), >= 0.
    dt : array_like
        Interval length in years, >= 0.

    Returns
    -------
    numpy.ndarray
        Crossing probabilities in [0, 1], broadcast over all inputs. Where ``sigma`` or
        ``dt`` is 0 and there is no sign change the probability is 0 (the bridge is a
        straight line), without warnings.

    Raises
    ------
    ValueError
        If ``sigma`` or ``dt`` has a negative entry.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = 4.3 + 0.05 * rng.standard_normal(3)
    >>> p = touch_probability(y[:-1], y[1:], 4.2, sigma=0.8, dt=5 / 252)
    >>> bool(np.all((0 <= p) & (p <= 1)))
    True
    """
    x0_a = np.asarray(x0, dtype=np.float64)
    x1_a = np.asarray(x1, dtype=np.float64)
    level_a = np.asarray(level, dtype=np.float64)
    sigma_a = np.asarray(sigma, dtype=np.float64)
    dt_a = np.asarray(dt, dtype=np.float64)
    _require_nonnegative("sigma", sigma_a)
    _require_nonnegative("dt", dt_a)

    product = (x0_a - level_a) * (x1_a - level_a)
    variance = sigma_a * sigma_a * dt_a
    product, variance = np.broadcast_arrays(product, variance)
    # Divide only where the result is a sign-free positive exponent below 800: exp(-800)
    # is already 0 in float64, so everything else (zero or denormal variance, i.e. a
    # straight-line bridge; sign changes, set to 1 below) keeps exponent = +inf and no
    # divide or overflow warning can fire.
    exponent = np.full(product.shape, np.inf)
    finite = (product > 0.0) & (product * (2.0 / 800.0) < variance)
    np.divide(2.0 * product, variance, out=exponent, where=finite)
    return np.where(product <= 0.0, 1.0, np.exp(-exponent))


def bgk_shifted_level(
    level: ArrayLike,
    start: ArrayLike,
    sigma: ArrayLike,
    monitor_dt: float = 1.0 / BUSINESS_DAYS_PER_YEAR,
) -> NDArray[np.float64]:
    r"""Level moved deeper by the Broadie-Glasserman-Kou term for discrete monitoring.

    A path monitored only at daily closes touches less often than a continuously
    monitored one. Broadie, Glasserman and Kou (1997, Math. Finance 7, 325-349) show that
    the discrete probability equals the continuous one for a barrier moved away from the
    start by ``beta sigma sqrt(monitor_dt)``, up to o(sqrt(monitor_dt))::

        L' = L + sign(L - x_start) * beta * sigma * sqrt(monitor_dt)
        beta = -zeta(1/2) / sqrt(2 pi) = 0.5826

    Symbols: ``L`` = ``level``, ``x_start`` = ``start``, ``sigma`` = ``sigma`` (pp per
    sqrt(year)), ``monitor_dt`` = time between monitoring dates in years (one business
    day by default), ``zeta`` = Riemann zeta.

    Use ``L'`` only for the bridge between grid points; grid closes are still tested
    against ``L`` itself (docs/bonds-and-touch.md).

    Parameters
    ----------
    level : array_like
        Barrier ``L`` in %.
    start : array_like
        Value at the start of the window, %; fixes the direction (deeper = further away).
    sigma : array_like
        Volatility in pp per sqrt(year), >= 0.
    monitor_dt : float, default 1/252
        Monitoring interval in years.

    Returns
    -------
    numpy.ndarray
        The shifted level ``L'``; equal to ``L`` where ``L == start`` (already touched).

    Examples
    --------
    >>> float(bgk_shifted_level(3.5, 4.3, sigma=0.8))  # doctest: +ELLIPSIS
    3.470...
    """
    level_a = np.asarray(level, dtype=np.float64)
    sigma_a = np.asarray(sigma, dtype=np.float64)
    _require_nonnegative("sigma", sigma_a)
    if monitor_dt < 0.0:
        raise ValueError(f"monitor_dt must be >= 0, found {monitor_dt!r}")
    direction = np.sign(level_a - np.asarray(start, dtype=np.float64))
    return level_a + direction * BGK_BETA * sigma_a * math.sqrt(monitor_dt)


def first_passage_probability(
    x0: ArrayLike, level: ArrayLike, mu: ArrayLike, sigma: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    r"""Closed-form probability that Brownian motion with drift reaches ``level`` by ``T``.

    For ``X_t = x0 + mu t + sigma W_t`` and a level at distance ``b = |L - x0|``, let
    ``nu`` be the drift away from the level (``nu = mu`` for a level below ``x0``,
    ``nu = -mu`` for one above). The reflection principle with a Girsanov change of drift
    gives::

        P(touch by T) = Phi((-b - nu T) / (sigma sqrt(T)))
                        + exp(-2 nu b / sigma^2) Phi((-b + nu T) / (sigma sqrt(T)))

    Symbols: ``x0`` = start (%), ``L`` = ``level`` (%), ``mu`` = drift (pp per year),
    ``sigma`` = volatility (pp per sqrt(year)), ``T`` = horizon (years), ``Phi`` = standard
    normal CDF. The second term is evaluated in log space so a strong drift towards the
    level does not overflow ``exp``. Continuous monitoring; the test reference for the
    bridge estimator.

    Parameters
    ----------
    x0, level, mu, sigma, T : array_like
        As above, broadcast together. ``sigma`` and ``T`` must be >= 0; where
        ``sigma sqrt(T) = 0`` the path is deterministic and the result is 0 or 1.

    Returns
    -------
    numpy.ndarray
        Probabilities in [0, 1].

    Examples
    --------
    >>> p = first_passage_probability(4.3, 3.5, mu=-0.5, sigma=0.8, T=1.0)
    >>> 0.0 < float(p) < 1.0
    True
    """
    x0_a = np.asarray(x0, dtype=np.float64)
    level_a = np.asarray(level, dtype=np.float64)
    mu_a = np.asarray(mu, dtype=np.float64)
    sigma_a = np.asarray(sigma, dtype=np.float64)
    t_a = np.asarray(T, dtype=np.float64)
    _require_nonnegative("sigma", sigma_a)
    _require_nonnegative("T", t_a)

    gap = level_a - x0_a
    distance = np.abs(gap)
    away = np.where(gap < 0.0, mu_a, -mu_a)
    distance, away, sigma_b, t_b = np.broadcast_arrays(distance, away, sigma_a, t_a)
    scale = sigma_b * np.sqrt(t_b)
    # Diffusive iff the variance is representable; a variance that underflows to 0 is a
    # straight line for every practical purpose and takes the deterministic branch.
    diffusive = scale * scale > 0.0
    safe_scale = np.where(diffusive, scale, 1.0)
    # In standardised units a = b / (sigma sqrt T), m = nu sqrt(T) / sigma, the formula
    # is Phi(-a - m) + exp(-2 a m) Phi(m - a). Phi saturates for |z| > 40, so clipping
    # at 1e100 changes nothing but keeps 2 a m finite (no overflow warnings).
    a = np.minimum(distance / safe_scale, 1e100)
    m = np.clip(away * t_b / safe_scale, -1e100, 1e100)
    first = ndtr(-a - m)
    log_second = -2.0 * a * m + log_ndtr(m - a)
    p_diffusive = np.clip(first + np.exp(np.minimum(log_second, 0.0)), 0.0, 1.0)
    # sigma sqrt(T) = 0: a straight line reaches the level iff it drifts there in time.
    p_deterministic = ((distance == 0.0) | (distance <= -away * t_b)).astype(np.float64)
    return np.where(diffusive, p_diffusive, p_deterministic)


def daily_sigma_from_monthly(sigma_tp: ArrayLike, phi: ArrayLike) -> NDArray[np.float64]:
    r"""Daily AR(1) innovation scale matching a monthly AR(1)'s stationary variance.

    The term premium ``x`` is AR(1) monthly with persistence ``phi`` and innovation s.d.
    ``sigma_tp``; daily it steps with ``phi^(1/21)`` and innovation s.d. ``sigma_d``
    chosen so the stationary variances agree::

        sigma_d = sigma_tp sqrt((1 - phi^(2/21)) / (1 - phi^2))

    Writing ``l = 2 ln(phi)`` the ratio is ``expm1(l / 21) / expm1(l)``, accurate as
    ``phi -> 1`` where the direct form is 0/0; at ``phi = 1`` (random walk) it takes its
    limit ``1/21``, i.e. ``sigma_d = sigma_tp / sqrt(21)``. At ``phi = 0`` the ratio is 1.

    Parameters
    ----------
    sigma_tp : array_like
        Monthly innovation s.d. of the term premium, pp, >= 0.
    phi : array_like
        Monthly persistence, in [0, 1] for a stationary or unit-root process.

    Returns
    -------
    numpy.ndarray
        ``sigma_d`` in pp per business day.

    Examples
    --------
    >>> round(float(daily_sigma_from_monthly(0.21, 1.0)), 6)
    0.045826
    """
    sigma_a = np.asarray(sigma_tp, dtype=np.float64)
    phi_a = np.asarray(phi, dtype=np.float64)
    _require_nonnegative("sigma_tp", sigma_a)
    _require_nonnegative("phi", phi_a)

    # phi = 0 maps to l = -inf, where expm1 gives -1 and the ratio is 1, with no warning.
    log_phi2 = np.full(phi_a.shape, -np.inf)
    np.log(phi_a, out=log_phi2, where=phi_a > 0.0)
    log_phi2 *= 2.0
    numerator = np.expm1(log_phi2 / BUSINESS_DAYS_PER_MONTH)
    denominator = np.expm1(log_phi2)
    ratio = np.full(phi_a.shape, 1.0 / BUSINESS_DAYS_PER_MONTH)
    np.divide(numerator, denominator, out=ratio, where=denominator != 0.0)
    return np.asarray(sigma_a * np.sqrt(ratio), dtype=np.float64)


def bridge_sigma(sigma_d: ArrayLike) -> NDArray[np.float64]:
    r"""Convert a daily s.d. (pp per business day) to pp per sqrt(year) for the bridge.

    ``sigma = sigma_d sqrt(252)``.

    Examples
    --------
    >>> round(float(bridge_sigma(0.05)), 6)
    0.793725
    """
    return np.asarray(sigma_d, dtype=np.float64) * math.sqrt(BUSINESS_DAYS_PER_YEAR)
