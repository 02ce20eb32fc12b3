r"""What the fed funds futures strip prices: per-meeting move probabilities (FedWatch method).

A 30-day fed funds futures contract for month ``k`` settles on 100 minus the average
effective fed funds rate (EFFR) over the calendar days of that month, so its price gives
the expected average ``R_k = 100 - price_k`` (percent). With one FOMC decision taking
effect on day ``d_1 + 1`` of month ``k`` (``d_1`` days before it, ``d_2 = N_k - d_1``
after it), the average splits into the expected rate before and after the decision:

.. math::

    N_k R_k = d_1\, E^{before}_j + d_2\, E^{after}_j .

Months without a decision anchor their neighbours (their average is the rate throughout):
a meeting month followed by a quiet month takes ``E^{after}_j = R_{k+1}`` and solves for
``E^{before}_j``; otherwise a quiet month before it gives ``E^{before}_j = R_{k-1}``, or
the chain does (``E^{before}_j = E^{after}_{j-1}``, and for the first meeting the rate
the as-of date implies, target midpoint plus the EFFR spread), and the equation gives
``E^{after}_j``. Meeting ``j``'s expected change in 25bp steps, cuts positive, is

.. math::

    x_j = (E^{before}_j - E^{after}_j) / 0.25,

read as a move of ``\lfloor x_j \rfloor`` cuts with probability ``1 - p_j`` and
``\lfloor x_j \rfloor + 1`` with probability ``p_j = x_j - \lfloor x_j \rfloor``
(between the two nearest multiples of 25bp). The tree over meetings takes the moves as
independent, so the net cut count by the window's end is the convolution of the meetings'
two-point laws.

:func:`fit_meeting_weights` then finds the meeting weights for which the engine's own
placement law (:mod:`simulator.core.policy`) with that cut-count distribution gives
per-meeting move probabilities closest to these.

numpy only, no I/O: reading the CSV, calendars and DFF live in :mod:`simulator.data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.core.policy import CutBeliefs, move_probabilities

__all__ = [
    "MeetingMoves",
    "chain_meeting_rates",
    "cut_count_tree",
    "fit_meeting_weights",
    "meeting_moves",
    "monthly_average_rates",
    "signed_move_table",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: One move of the target range, in percentage points.
STEP_PP: float = 0.25


def _layout(
    n_months: int, meeting_month: npt.ArrayLike, days_before: npt.ArrayLike, month_days: FloatArray
) -> tuple[IntArray, IntArray]:
    """Validate the meetings' months and days before their effective date."""
    month = np.asarray(meeting_month, dtype=np.int64)
    before = np.asarray(days_before, dtype=np.int64)
    if month.shape != before.shape or month.ndim != 1:
        raise ValueError("meeting_month and days_before must be 1-D of equal length")
    if np.any((month < 0) | (month >= n_months)):
        raise ValueError(f"meeting months {month.tolist()} must index the {n_months} months")
    if np.any(np.diff(month) <= 0):
        raise ValueError(
            f"meetings must take effect in strictly later months, found month indices "
            f"{month.tolist()}: the method needs at most one decision per contract month"
        )
    if np.any((before < 0) | (before >= month_days[month])):
        raise ValueError(f"days_before {before.tolist()} must lie in 0..days in month - 1")
    return month, before


def monthly_average_rates(
    start_rate_pp: float,
    expected_cuts: npt.ArrayLike,
    meeting_month: npt.ArrayLike,
    days_before: npt.ArrayLike,
    month_days: npt.ArrayLike,
) -> FloatArray:
    r"""Expected average EFFR per month from expected moves: the forward model of the strip.

    The expected rate is ``start_rate_pp`` until the first decision takes effect and drops
    by ``0.25 * expected_cuts[j]`` when decision ``j`` does; each month's value is the
    calendar-day average, i.e. ``100 - price``.

    Parameters
    ----------
    start_rate_pp : float
        Expected EFFR before the first meeting (target midpoint + spread), %.
    expected_cuts : array_like
        ``E[m_j]``, expected 25bp cuts at each meeting (hikes negative), ``(J,)``.
    meeting_month : array_like of int
        Index of the month in which meeting ``j``'s decision takes effect, ascending.
    days_before : array_like of int
        Days of that month before the effective date (0 = effective on the 1st).
    month_days : array_like of int
        Calendar days of each month of the strip, ``(n_months,)``.

    Returns
    -------
    np.ndarray
        ``(n_months,)`` expected average EFFR, %.

    Examples
    --------
    >>> monthly_average_rates(3.64, [1.0], [0], [10], [30]).round(4).tolist()
    [3.4733]
    """
    days = np.asarray(month_days, dtype=np.float64)
    month, before = _layout(days.size, meeting_month, days_before, days)
    cuts = np.asarray(expected_cuts, dtype=np.float64)
    if cuts.shape != month.shape:
        raise ValueError("expected_cuts needs one entry per meeting")
    level = np.full(days.size, float(start_rate_pp))
    out = np.empty(days.size)
    for k in range(days.size):
        out[k] = level[k]
        for j in np.flatnonzero(month == k):
            after = level[k] - STEP_PP * cuts[j]
            out[k] = (before[j] * level[k] + (days[k] - before[j]) * after) / days[k]
            level[k:] = after
    return out


def chain_meeting_rates(
    month_rates: npt.ArrayLike,
    month_days: npt.ArrayLike,
    meeting_month: npt.ArrayLike,
    days_before: npt.ArrayLike,
    start_rate_pp: float,
) -> tuple[FloatArray, FloatArray]:
    r"""Expected EFFR just before and just after each meeting, chained through the strip.

    See the module docstring for the rules (quiet months anchor their neighbours; else
    chain from the previous meeting, or from ``start_rate_pp`` for the first).

    Parameters
    ----------
    month_rates : array_like
        ``R_k = 100 - price_k`` for consecutive contract months, ``(n_months,)``.
    month_days : array_like of int
        Calendar days of each month.
    meeting_month, days_before : array_like of int
        As in :func:`monthly_average_rates`.
    start_rate_pp : float
        Expected EFFR before the first meeting when no quiet month anchors it, %.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        ``(before, after)``, each ``(J,)``, %.

    Examples
    --------
    >>> before, after = chain_meeting_rates([3.6, 3.5], [30, 31], [0], [15], 3.6)
    >>> round(float(before[0]), 6), round(float(after[0]), 6)
    (3.7, 3.5)
    """
    rates = np.asarray(month_rates, dtype=np.float64)
    days = np.asarray(month_days, dtype=np.float64)
    if rates.shape != days.shape or rates.ndim != 1:
        raise ValueError("month_rates and month_days must be 1-D of equal length")
    month, d1 = _layout(rates.size, meeting_month, days_before, days)
    quiet = np.ones(rates.size, dtype=bool)
    quiet[month] = False
    before = np.empty(month.size)
    after = np.empty(month.size)
    for j, (k, b) in enumerate(zip(month.tolist(), d1.tolist(), strict=True)):
        n, d2 = days[k], days[k] - b
        if k + 1 < rates.size and quiet[k + 1] and b > 0:
            after[j] = rates[k + 1]
            before[j] = (n * rates[k] - d2 * after[j]) / b
            continue
        if k > 0 and quiet[k - 1]:
            before[j] = rates[k - 1]
        else:
            before[j] = after[j - 1] if j > 0 else float(start_rate_pp)
        after[j] = (n * rates[k] - b * before[j]) / d2
    return before, after


@dataclass(frozen=True)
class MeetingMoves:
    """Each meeting's move law: ``low`` cuts with probability ``1 - p_up``, else ``low + 1``.

    Attributes
    ----------
    low : np.ndarray
        ``floor(x_j)``, int, ``(J,)`` (cuts positive, hikes negative).
    p_up : np.ndarray
        ``x_j - floor(x_j)`` in ``[0, 1)``, ``(J,)``.
    """

    low: IntArray
    p_up: FloatArray

    def prob(self, cuts: int) -> FloatArray:
        """``P(m_j = cuts)`` per meeting, ``(J,)``."""
        return np.where(self.low == cuts, 1.0 - self.p_up, 0.0) + np.where(
            self.low + 1 == cuts, self.p_up, 0.0
        )

    def prob_at_least(self, cuts: int) -> FloatArray:
        """``P(m_j >= cuts)`` per meeting, ``(J,)``."""
        return np.where(self.low >= cuts, 1.0, np.where(self.low + 1 >= cuts, self.p_up, 0.0))

    def prob_at_most(self, cuts: int) -> FloatArray:
        """``P(m_j <= cuts)`` per meeting, ``(J,)``."""
        return 1.0 - self.prob_at_least(cuts + 1)


def meeting_moves(before: npt.ArrayLike, after: npt.ArrayLike) -> MeetingMoves:
    """Two-point move laws from the expected rates around each meeting.

    Parameters
    ----------
    before, after : array_like
        Expected EFFR just before and after each meeting, %, ``(J,)``.

    Returns
    -------
    MeetingMoves

    Examples
    --------
    >>> m = meeting_moves([3.64, 3.60], [3.60, 3.25])
    >>> m.low.tolist(), m.p_up.round(6).tolist()
    ([0, 1], [0.16, 0.4])
    """
    x = (np.asarray(before, dtype=np.float64) - np.asarray(after, dtype=np.float64)) / STEP_PP
    # x a hair under an integer (from decimal prices) is that integer, not 0.999... of it
    snapped = np.where(np.abs(x - np.round(x)) < 1e-12, np.round(x), x)
    low = np.floor(snapped)
    return MeetingMoves(low=low.astype(np.int64), p_up=snapped - low)


def cut_count_tree(moves: MeetingMoves) -> tuple[IntArray, FloatArray]:
    """Distribution of the net cut count over the meetings (independent moves).

    Parameters
    ----------
    moves : MeetingMoves

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        ``(counts, probs)``, counts every integer from ``sum(low)`` to ``sum(low) + J``.

    Examples
    --------
    >>> counts, probs = cut_count_tree(meeting_moves([3.6, 3.5], [3.5, 3.45]))
    >>> counts.tolist(), probs.round(6).tolist()
    ([0, 1, 2], [0.48, 0.44, 0.08])
    """
    probs = np.ones(1)
    for p in moves.p_up.tolist():
        probs = np.convolve(probs, [1.0 - p, p])
    start = int(moves.low.sum())
    return np.arange(start, start + probs.size, dtype=np.int64), probs


def signed_move_table(moves: MeetingMoves, max_per_meeting: int) -> FloatArray:
    """``P(m_j = m)`` for ``m = -M..M``, moves beyond ``M`` lumped into ``±M``.

    The layout of :func:`simulator.core.policy.move_probabilities` (column ``m + M``), so
    the two can be compared.

    Parameters
    ----------
    moves : MeetingMoves
    max_per_meeting : int
        ``M >= 1``.

    Returns
    -------
    np.ndarray
        ``(J, 2M + 1)``, rows summing to 1.
    """
    m_max = int(max_per_meeting)
    cols = [moves.prob_at_most(-m_max)]
    cols += [moves.prob(m) for m in range(-m_max + 1, m_max)]
    cols.append(moves.prob_at_least(m_max))
    return np.stack(cols, axis=1)


def _engine_table(
    counts: IntArray, probs: FloatArray, weights: FloatArray, max_per_meeting: int
) -> FloatArray:
    """The engine's per-meeting move probabilities for these beliefs."""
    return move_probabilities(CutBeliefs(counts, probs, weights, max_per_meeting))


def fit_meeting_weights(
    counts: npt.ArrayLike,
    probs: npt.ArrayLike,
    target: npt.ArrayLike,
    max_per_meeting: int,
    *,
    iterations: int = 200,
) -> tuple[FloatArray, float]:
    r"""Meeting weights whose placement law best reproduces per-meeting move probabilities.

    Minimises ``sum_{j,m} (P_engine(m_j = m; w) - target[j, m])^2`` over
    ``w_j = exp(theta_j)`` (``theta`` in ``[-14, 14]``) by Levenberg-Marquardt with a
    forward-difference Jacobian. The weights are scale-free; the result is scaled so the
    largest is 1.

    Parameters
    ----------
    counts, probs : array_like
        The cut-count distribution the engine will use (as in ``CutBeliefs``).
    target : array_like
        ``(J, 2M + 1)`` probabilities to reproduce (:func:`signed_move_table`).
    max_per_meeting : int
        ``M``.
    iterations : int, default 200
        Most Levenberg-Marquardt steps.

    Returns
    -------
    tuple[np.ndarray, float]
        ``(weights, misfit)``, misfit the largest absolute difference of any entry.

    Examples
    --------
    >>> import numpy as np
    >>> w0 = np.array([0.2, 1.0, 0.5])
    >>> c, p = np.array([0, 1, 2]), np.array([0.3, 0.5, 0.2])
    >>> target = move_probabilities(CutBeliefs(c, p, w0, 1))
    >>> w, misfit = fit_meeting_weights(c, p, target, 1)
    >>> bool(misfit < 1e-8), np.round(w, 6).tolist()
    (True, [0.2, 1.0, 0.5])
    """
    c = np.asarray(counts, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    goal = np.asarray(target, dtype=np.float64)
    n_meetings = goal.shape[0]

    def residual(theta: FloatArray) -> FloatArray:
        table = _engine_table(c, p, np.exp(theta), max_per_meeting)
        return (table - goal).ravel()

    theta = np.zeros(n_meetings)
    res = residual(theta)
    damping, eps = 1e-3, 1e-7
    for _ in range(iterations):
        jac = np.empty((res.size, n_meetings))
        for i in range(n_meetings):
            bumped = theta.copy()
            bumped[i] += eps
            jac[:, i] = (residual(bumped) - res) / eps
        grad, hess = jac.T @ res, jac.T @ jac
        improved = False
        while damping < 1e12:
            step = np.linalg.solve(hess + damping * np.diag(np.diag(hess) + 1e-12), -grad)
            trial = np.clip(theta + step, -14.0, 14.0)
            trial_res = residual(trial)
            if trial_res @ trial_res < res @ res:
                theta, res, damping, improved = trial, trial_res, damping / 3.0, True
                break
            damping *= 4.0
        if not improved or float(np.max(np.abs(step))) < 1e-10:
            break
    weights = np.exp(theta - theta.max())
    return weights, float(np.max(np.abs(res))) if res.size else 0.0
