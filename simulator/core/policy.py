r"""Fed policy placement: beliefs on the cut count K, exact placement and belief updates.

docs/model.md, "Policy". The window has meetings j = 0..J-1 in date order (the
decision dates still to be placed, e.g. the eight 2026 FOMC meetings). A path's policy is
a vector of integer moves per meeting counted in 25bp steps, **cuts positive**: ``m_j``
cuts move the target-range midpoint by ``-0.25 m_j`` pp (``move_bp = -25 m_j``).

Model
-----
K is the net cut count over the window (negative = hikes); every move on a path has the
sign of K. Given K, a placement ``(m_0, ..., m_{J-1})`` with ``0 <= |m_j| <= M``
(``M = max_per_meeting``) and ``sum_j |m_j| = |K|`` has probability

.. math::

    P(m \mid K) = \frac{\prod_j w_j^{|m_j|}}{Z_0(|K|)}, \qquad
    Z_j(n) = \sum_{\substack{0 \le m_i \le M,\ i \ge j \\ \sum_{i \ge j} m_i = n}}
             \prod_{i \ge j} w_i^{m_i},

with meeting weights ``w_j >= 0`` (0 = "no move at this meeting"; ``0**0 = 1``). The
normalisers obey the recursion ``Z_J(n) = [n = 0]`` and
``Z_j(n) = sum_{m=0}^{min(M, n)} w_j^m Z_{j+1}(n - m)``, i.e. ``Z_j`` is the
coefficient list of the polynomial ``prod_{i >= j} (1 + w_i t + ... + w_i^M t^M)``.

Everything here is exact enumeration over these polynomials: with J = 8 meetings and
``|K| <= 16`` the tables have a few thousand entries and take well under a millisecond.

Moves already decided inside the window
---------------------------------------
:func:`update_on_observed` conditions on the moves at the first meetings and returns
beliefs over the **total** K whose weights cover the remaining meetings only; the net
observed cuts travel in :attr:`CutBeliefs.observed_cuts`, and every function then places
the remaining ``n = K - observed_cuts`` moves on the beliefs' meetings (DESIGN: "the
simulation places only the remaining K - observed").

Randomness
----------
:func:`sample_placements` is a deterministic kernel: uniforms in, paths out (so
it can be tested with hand-made uniforms); the engine draws them from its per-block generator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CutBeliefs",
    "MoveTable",
    "build_move_table",
    "cap_counts",
    "count_distribution",
    "floor_market",
    "move_probabilities",
    "placement_norms",
    "sample_placements",
    "update_on_observed",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Tolerance on ``sum(probs) - 1`` accepted by :class:`CutBeliefs` (YAML decimals such as
#: 0.33 + 0.33 + 0.34 sum to 1 only up to rounding); the probabilities are renormalised.
PROB_SUM_TOL: float = 1e-8


def _readonly(a: np.ndarray) -> np.ndarray:
    """Return a read-only copy (beliefs are shared between engine threads)."""
    out = np.array(a, copy=True)
    out.flags.writeable = False
    return out


def _as_int_vector(name: str, values: object) -> IntArray:
    """Convert to a 1-D int64 array, refusing non-integral or boolean entries."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of integers, found shape {arr.shape}")
    if arr.dtype == np.bool_:
        raise ValueError(f"{name} must hold integers, found booleans")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(
            np.isfinite(arr) & (arr == np.round(arr))
        ):
            raise ValueError(f"{name} must hold integers, found {arr.tolist()}")
    return arr.astype(np.int64)


def _as_weights(weights: object) -> FloatArray:
    """Validate meeting weights: 1-D, finite, >= 0."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be 1-D (one per meeting), found shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite, found {w.tolist()}")
    if np.any(w < 0.0):
        raise ValueError(f"weights must be >= 0 (0 = no move at that meeting), found {w.tolist()}")
    return w


def _check_max_per_meeting(max_per_meeting: object) -> int:
    """Validate the per-meeting move limit (an int >= 1, not a bool)."""
    if isinstance(max_per_meeting, bool) or not isinstance(max_per_meeting, int | np.integer):
        raise ValueError(f"max_per_meeting must be an integer >= 1, found {max_per_meeting!r}")
    if max_per_meeting < 1:
        raise ValueError(f"max_per_meeting must be >= 1, found {max_per_meeting}")
    return int(max_per_meeting)


@dataclass(frozen=True, eq=False)
class CutBeliefs:
    r"""A distribution of the net cut count K and the timing weights of its moves.

    Parameters
    ----------
    counts : np.ndarray
        Net cut counts K over the whole window, integers, strictly ascending
        (e.g. ``-1..6``; negative = hikes). Counts include ``observed_cuts``.
    probs : np.ndarray
        ``P(K = counts[k])``, ``>= 0``, summing to 1 (within ``PROB_SUM_TOL``; stored
        renormalised).
    weights : np.ndarray
        Meeting weights ``w_j >= 0``, shape ``(J,)``, for the meetings still to be placed;
        a placement with ``m_j`` moves has probability proportional to
        :math:`\prod_j w_j^{m_j}` (0 = no move at that meeting).
    max_per_meeting : int
        ``M``, the largest number of 25bp moves at one meeting (1; 2 allows 50bp).
    observed_cuts : int
        Net cuts already decided inside the window (before the meetings in ``weights``),
        as set by :func:`update_on_observed`; the meetings in ``weights`` place the
        remaining ``n = K - observed_cuts``. Every count must be consistent with it
        (``K >= observed_cuts`` after observed cuts, ``K <= observed_cuts`` after hikes),
        since all moves on a path share the sign of K.

    Raises
    ------
    ValueError
        With the offending field and values if any of the above does not hold.

    Notes
    -----
    ``eq=False``: arrays make field-wise equality ambiguous; compare fields explicitly.
    Feasibility (``|n| <= M * #{j: w_j > 0}``) is not required here, so that
    :func:`cap_counts` can repair infeasible beliefs; functions that place moves check it.

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(counts=np.arange(0, 5), probs=np.full(5, 0.2), weights=np.ones(8))
    >>> b.n_meetings, float(b.expected_count)
    (8, 2.0)
    """

    counts: IntArray
    probs: FloatArray
    weights: FloatArray
    max_per_meeting: int = 1
    observed_cuts: int = 0

    def __post_init__(self) -> None:
        counts = _as_int_vector("counts", self.counts)
        if counts.size == 0:
            raise ValueError("counts must hold at least one cut count")
        if np.any(np.diff(counts) <= 0):
            raise ValueError(f"counts must be strictly ascending, found {counts.tolist()}")
        probs = np.asarray(self.probs, dtype=np.float64)
        if probs.shape != counts.shape:
            raise ValueError(
                f"probs must have one entry per count: {counts.size} counts, "
                f"probs of shape {probs.shape}"
            )
        if not np.all(np.isfinite(probs)) or np.any(probs < 0.0):
            raise ValueError(f"probs must be finite and >= 0, found {probs.tolist()}")
        total = float(probs.sum())
        if abs(total - 1.0) > PROB_SUM_TOL:
            raise ValueError(f"probs must sum to 1, found sum {total!r} ({probs.tolist()})")
        weights = _as_weights(self.weights)
        max_per_meeting = _check_max_per_meeting(self.max_per_meeting)
        if isinstance(self.observed_cuts, bool) or not isinstance(
            self.observed_cuts, int | np.integer
        ):
            raise ValueError(f"observed_cuts must be an integer, found {self.observed_cuts!r}")
        observed = int(self.observed_cuts)
        if observed > 0 and counts[0] < observed:
            raise ValueError(
                f"counts {counts.tolist()} include K < observed_cuts = {observed}: after "
                "observed cuts every move on a path is a cut, so K >= observed_cuts"
            )
        if observed < 0 and counts[-1] > observed:
            raise ValueError(
                f"counts {counts.tolist()} include K > observed_cuts = {observed}: after "
                "observed hikes every move on a path is a hike, so K <= observed_cuts"
            )
        object.__setattr__(self, "counts", _readonly(counts))
        object.__setattr__(self, "probs", _readonly(probs / total))
        object.__setattr__(self, "weights", _readonly(weights))
        object.__setattr__(self, "max_per_meeting", max_per_meeting)
        object.__setattr__(self, "observed_cuts", observed)

    @property
    def n_meetings(self) -> int:
        """J, the number of meetings still to be placed."""
        return int(self.weights.size)

    @property
    def remaining_counts(self) -> IntArray:
        """Signed cuts still to be placed for each count: ``n = K - observed_cuts``."""
        return self.counts - self.observed_cuts

    @property
    def capacity(self) -> int:
        """Most moves the meetings can hold: ``M * #{j: w_j > 0}``."""
        return self.max_per_meeting * int(np.count_nonzero(self.weights > 0.0))

    @property
    def expected_count(self) -> float:
        """E[K], the expected net cut count over the whole window."""
        return float(np.dot(self.counts, self.probs))


def _meeting_factor(weight: float, max_per_meeting: int) -> FloatArray:
    """Coefficients ``w^0..w^M`` of one meeting's polynomial (``0**0 = 1``)."""
    return np.power(float(weight), np.arange(max_per_meeting + 1, dtype=np.float64))


def placement_norms(weights: npt.ArrayLike, max_per_meeting: int, n_max: int) -> FloatArray:
    r"""Placement normalisers ``Z[j, n]`` by dynamic programming (exact).

    .. math::

        Z_j(n) = \sum_{\substack{0 \le m_i \le M,\ i = j..J-1 \\ \sum m_i = n}}
                 \prod_{i=j}^{J-1} w_i^{m_i},
        \qquad Z_J(n) = [n = 0],
        \qquad Z_j(n) = \sum_{m=0}^{\min(M, n)} w_j^m Z_{j+1}(n - m).

    Parameters
    ----------
    weights : array_like
        Meeting weights ``w_j >= 0``, shape ``(J,)``.
    max_per_meeting : int
        ``M >= 1``.
    n_max : int
        Largest move count needed (``>= 0``).

    Returns
    -------
    np.ndarray
        ``Z`` of shape ``(J + 1, n_max + 1)``; ``Z[j, n] = 0`` exactly when meetings
        ``j..J-1`` cannot hold ``n`` moves (``n > M * #{i >= j: w_i > 0}``).

    Examples
    --------
    >>> Z = placement_norms([1.0, 1.0, 1.0], 1, 3)
    >>> Z[0].tolist()  # binomial(3, n)
    [1.0, 3.0, 3.0, 1.0]
    """
    w = _as_weights(weights)
    max_per_meeting = _check_max_per_meeting(max_per_meeting)
    if isinstance(n_max, bool) or not isinstance(n_max, int | np.integer) or n_max < 0:
        raise ValueError(f"n_max must be an integer >= 0, found {n_max!r}")
    n_meetings = w.size
    norms = np.zeros((n_meetings + 1, n_max + 1))
    norms[n_meetings, 0] = 1.0
    for j in range(n_meetings - 1, -1, -1):
        factor = _meeting_factor(w[j], max_per_meeting)
        for m in range(min(max_per_meeting, n_max) + 1):
            norms[j, m:] += factor[m] * norms[j + 1, : n_max + 1 - m]
    return norms


def _prefix_norms(weights: FloatArray, max_per_meeting: int, n_max: int) -> FloatArray:
    """``A[j, n]``: sum over placements of n moves on meetings 0..j-1 of prod w^m."""
    n_meetings = weights.size
    prefix = np.zeros((n_meetings + 1, n_max + 1))
    prefix[0, 0] = 1.0
    for j in range(n_meetings):
        prefix[j + 1] = np.convolve(prefix[j], _meeting_factor(weights[j], max_per_meeting))[
            : n_max + 1
        ]
    return prefix


def _meeting_marginals(weights: FloatArray, max_per_meeting: int, norms: FloatArray) -> FloatArray:
    r"""``P[j, i, r, m] = P(m_i = m | r moves placed on meetings j..J-1)`` for ``i >= j``.

    ``P = w_i^m G_{j,i}(r - m) / Z_j(r)`` with ``G_{j,i}`` the normaliser of meetings
    ``j..J-1`` without ``i``, built as (prefix ``j..i-1``) * (suffix ``Z_{i+1}``): a
    convolution rather than a polynomial division, which would be unstable. Zero where
    ``Z_j(r) = 0`` (no placement exists) and for ``i < j``.
    """
    n_meetings = weights.size
    n_max = norms.shape[1] - 1
    out = np.zeros((n_meetings + 1, n_meetings, n_max + 1, max_per_meeting + 1))
    for j in range(n_meetings + 1):
        safe = np.where(norms[j] > 0.0, norms[j], 1.0)
        between = np.zeros(n_max + 1)
        between[0] = 1.0
        for i in range(j, n_meetings):
            factor = _meeting_factor(weights[i], max_per_meeting)
            if weights[i] == 0.0:
                # No move for sure; exact rather than G / Z rounded to 1 - 1e-16.
                out[j, i, :, 0] = norms[j] > 0.0
                continue
            without_i = np.convolve(between, norms[i + 1])[: n_max + 1]
            for m in range(min(max_per_meeting, n_max) + 1):
                numer = np.zeros(n_max + 1)
                numer[m:] = factor[m] * without_i[: n_max + 1 - m]
                out[j, i, :, m] = np.where(norms[j] > 0.0, numer / safe, 0.0)
            between = np.convolve(between, factor)[: n_max + 1]
    return out


def _norms_for(beliefs: CutBeliefs) -> tuple[FloatArray, int]:
    """Normalisers up to the largest remaining move count, and that count."""
    n_max = int(np.max(np.abs(beliefs.remaining_counts)))
    return placement_norms(beliefs.weights, beliefs.max_per_meeting, n_max), n_max


def _require_feasible(beliefs: CutBeliefs, norms: FloatArray, role: str) -> None:
    """Raise if a count with positive probability cannot be placed on the meetings."""
    moves = np.abs(beliefs.remaining_counts)
    bad = (beliefs.probs > 0.0) & (norms[0, moves] <= 0.0)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{role}: count K={int(beliefs.counts[k])} (P={beliefs.probs[k]:.6g}) needs "
            f"{int(moves[k])} moves but the {beliefs.n_meetings} meetings hold at most "
            f"{beliefs.capacity} (max_per_meeting={beliefs.max_per_meeting} x meetings with "
            f"positive weight, weights={beliefs.weights.tolist()}); apply cap_counts first"
        )


def cap_counts(
    beliefs: CutBeliefs, rate_now_pp: float, step_pp: float = 0.25
) -> tuple[CutBeliefs, float]:
    r"""Cap K at what the meetings can hold and at the zero lower bound.

    The remaining signed cuts ``n = K - observed_cuts`` are clipped to
    ``[-C, min(C, R)]`` with

    .. math::

        C = M \cdot \#\{j : w_j > 0\}, \qquad
        R = \max\Big(0, \Big\lfloor \frac{r_{now} - s/2}{s} + 10^{-9} \Big\rfloor\Big),

    ``s = step_pp``. Rule for the floor: the lowest target range is ``0 - s`` (0-0.25%),
    midpoint ``s/2`` = 0.125 pp, so R cuts take the midpoint ``r_now`` to
    ``r_now - R s >= s/2``; e.g. ``r_now = 3.625`` gives ``R = 14`` (to 0.125) and
    ``r_now = 0.625`` gives ``R = 2``. The ``1e-9`` absorbs decimal rounding of
    ``r_now``. Hikes are limited by the meetings only.

    Probability mass on counts beyond a cap moves to the cap (a count added if absent).

    Parameters
    ----------
    beliefs : CutBeliefs
        Beliefs whose ``weights`` are the meetings still to be placed.
    rate_now_pp : float
        Target-range midpoint in % just before the first of those meetings (i.e. after
        the window's observed moves, if ``beliefs.observed_cuts != 0``).
    step_pp : float
        Size of one move in pp (0.25).

    Returns
    -------
    tuple[CutBeliefs, float]
        The capped beliefs and the probability mass moved, so the caller can warn.

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(np.arange(0, 5), np.full(5, 0.2), np.ones(3))
    >>> capped, moved = cap_counts(b, rate_now_pp=3.625)
    >>> capped.counts.tolist(), round(moved, 12)
    ([0, 1, 2, 3], 0.2)
    """
    if not math.isfinite(rate_now_pp):
        raise ValueError(f"rate_now_pp must be finite, found {rate_now_pp!r}")
    if not (math.isfinite(step_pp) and step_pp > 0.0):
        raise ValueError(f"step_pp must be > 0, found {step_pp!r}")
    capacity = beliefs.capacity
    rate_room = max(0, math.floor((rate_now_pp - 0.5 * step_pp) / step_pp + 1e-9))
    low = beliefs.observed_cuts - capacity
    high = beliefs.observed_cuts + min(capacity, rate_room)
    clipped = np.clip(beliefs.counts, low, high)
    outside = clipped != beliefs.counts
    moved = float(beliefs.probs[outside].sum())
    new_counts, index = np.unique(clipped, return_inverse=True)
    new_probs = np.zeros(new_counts.size)
    np.add.at(new_probs, index, beliefs.probs)
    capped = CutBeliefs(
        counts=new_counts,
        probs=new_probs,
        weights=beliefs.weights,
        max_per_meeting=beliefs.max_per_meeting,
        observed_cuts=beliefs.observed_cuts,
    )
    return capped, moved


def _floor_probs(probs: FloatArray, must_cover: npt.NDArray[np.bool_], floor: float) -> FloatArray:
    r"""Smallest rescaling ``q_k = max(c p_k, floor)`` on covered k, ``c p_k`` elsewhere.

    ``c`` solves ``sum q = 1``; the left side is increasing and piecewise linear in c, so
    try pinning the ``t`` smallest covered probabilities at the floor, t = 0, 1, ....
    The market's ratios among counts above the floor are preserved.
    """
    covered = np.flatnonzero(must_cover)
    order = covered[np.argsort(probs[covered], kind="stable")]
    for n_pinned in range(order.size + 1):
        pinned = order[:n_pinned]
        free_mass = float(probs.sum() - probs[pinned].sum())
        if free_mass <= 0.0:
            continue
        scale = (1.0 - n_pinned * floor) / free_mass
        pinned_ok = n_pinned == 0 or scale * probs[order[n_pinned - 1]] <= floor
        rest_ok = n_pinned == order.size or scale * probs[order[n_pinned]] >= floor
        if pinned_ok and rest_ok:
            out = scale * probs
            out[pinned] = floor
            return out
    raise AssertionError("unreachable: f(c) is continuous and increasing")  # pragma: no cover


def floor_market(market: CutBeliefs, view: CutBeliefs, floor: float = 1e-4) -> CutBeliefs:
    r"""Make the market's beliefs cover every path the view can draw.

    Two repairs, so the market's conditional expectation
    :math:`E_{mkt}[\,\cdot \mid j, s]` is defined on every path drawn from the view:

    * counts: on the union of both supports, every count the view gives positive
      probability gets at least ``floor``, exactly and after renormalisation:
      :math:`q_k = \max(c\,p_k, floor)` on those counts and :math:`c\,p_k` elsewhere,
      with ``c`` solving :math:`\sum_k q_k = 1` (so the market's ratios between counts
      above the floor are kept);
    * meetings: every meeting the view can move at (``w_view > 0``) gets market weight
      at least ``floor * max(w_market)`` (``floor`` if the market has no positive weight).
      Weights are relative, so with the default a move there is ~1e4 times less likely
      than at the market's likeliest meeting: the market's timing barely changes, yet
      no view path has probability zero under it.

    Parameters
    ----------
    market, view : CutBeliefs
        Same meetings (``J``) and ``observed_cuts``; the market must allow at least as
        many moves per meeting as the view (a 50bp view move would otherwise be impossible
        for the market; raise ``max_per_meeting`` in the market instead).
    floor : float
        Minimum probability per view-reachable count, ``0 < floor`` and
        ``floor * #counts <= 1``.

    Returns
    -------
    CutBeliefs
        The market's beliefs, floored.

    Examples
    --------
    >>> import numpy as np
    >>> view = CutBeliefs(np.array([3, 4]), np.array([0.5, 0.5]), np.ones(8))
    >>> market = CutBeliefs(np.array([1, 2]), np.array([0.5, 0.5]), np.ones(8))
    >>> floored = floor_market(market, view)
    >>> floored.counts.tolist(), floored.probs.round(6).tolist()
    ([1, 2, 3, 4], [0.4999, 0.4999, 0.0001, 0.0001])
    """
    if not (math.isfinite(floor) and floor > 0.0):
        raise ValueError(f"floor must be > 0, found {floor!r}")
    if market.n_meetings != view.n_meetings:
        raise ValueError(
            f"market and view must cover the same meetings: market has {market.n_meetings} "
            f"weights, view {view.n_meetings}"
        )
    if market.observed_cuts != view.observed_cuts:
        raise ValueError(
            f"market and view must be updated on the same history: observed_cuts "
            f"{market.observed_cuts} (market) vs {view.observed_cuts} (view)"
        )
    if market.max_per_meeting < view.max_per_meeting:
        raise ValueError(
            f"the view allows {view.max_per_meeting} moves per meeting but the market only "
            f"{market.max_per_meeting}: view paths would be impossible under the market; "
            "give the market max_per_meeting >= the view's"
        )
    counts = np.union1d(market.counts, view.counts)
    probs = np.zeros(counts.size)
    probs[np.searchsorted(counts, market.counts)] = market.probs
    reachable = np.zeros(counts.size, dtype=np.bool_)
    reachable[np.searchsorted(counts, view.counts)] = view.probs > 0.0
    if floor * int(reachable.sum()) > 1.0:
        raise ValueError(
            f"floor={floor!r} times {int(reachable.sum())} view-reachable counts exceeds 1"
        )
    floored = _floor_probs(probs, reachable, floor)

    w_max = float(market.weights.max()) if market.n_meetings else 0.0
    weight_floor = floor * w_max if w_max > 0.0 else floor
    weights = np.where(view.weights > 0.0, np.maximum(market.weights, weight_floor), market.weights)
    return CutBeliefs(
        counts=counts,
        probs=floored,
        weights=weights,
        max_per_meeting=market.max_per_meeting,
        observed_cuts=market.observed_cuts,
    )


def _consistent(signed_so_far: IntArray, remaining: IntArray) -> npt.NDArray[np.bool_]:
    """``[s, k]``: can a path with running total s belong to remaining count n_k.

    All moves share the sign of K, so s = 0 fits any n; otherwise s and n share the
    sign and ``|s| <= |n|``.
    """
    s = signed_so_far[:, None]
    n = remaining[None, :]
    return (s == 0) | ((np.sign(s) == np.sign(n)) & (np.abs(s) <= np.abs(n)))


def _history_joint(beliefs: CutBeliefs, norms: FloatArray, history: IntArray) -> FloatArray:
    r"""``P(K = k, history)`` for the first ``len(history)`` meetings, per count.

    .. math::

        P(h, K) = P(K) \prod_{i<j} w_i^{|m_i|} \frac{Z_j(|n_K| - |s|)}{Z_0(|n_K|)}
        [\text{signs consistent}], \quad s = \sum_{i<j} m_i.
    """
    n_seen = history.size
    remaining = beliefs.remaining_counts
    if np.any(np.abs(history) > beliefs.max_per_meeting) or (
        np.any(history > 0) and np.any(history < 0)
    ):
        return np.zeros(remaining.size)
    factor = float(np.prod(beliefs.weights[:n_seen] ** np.abs(history)))
    total = int(history.sum())
    ok = _consistent(np.array([total]), remaining)[0]
    left = np.where(ok, np.abs(remaining) - abs(total), 0)
    z0 = norms[0, np.abs(remaining)]
    like = np.where(ok & (z0 > 0.0), factor * norms[n_seen, left] / np.where(z0 > 0, z0, 1), 0.0)
    return beliefs.probs * like


def _describe_zero_history(beliefs: CutBeliefs, norms: FloatArray, history: IntArray) -> str:
    """Name the first meeting whose observed move the beliefs rule out, and what they allow."""
    support = beliefs.counts[beliefs.probs > 0.0].tolist()
    m_all = np.arange(-beliefs.max_per_meeting, beliefs.max_per_meeting + 1)
    for i in range(history.size):
        if _history_joint(beliefs, norms, history[: i + 1]).sum() > 0.0:
            continue
        allowed = [
            int(m)
            for m in m_all
            if _history_joint(beliefs, norms, np.append(history[:i], m)).sum() > 0.0
        ]
        before = int(history[:i].sum())
        return (
            f"observed {int(history[i]):+d} cuts at meeting {i} has zero probability under "
            f"the beliefs: after {before:+d} net cuts at meetings 0..{i - 1}, they allow "
            f"signed cuts {allowed} at meeting {i} (counts K with P > 0: {support}, "
            f"observed_cuts before these meetings: {beliefs.observed_cuts}, weight at "
            f"meeting {i}: {float(beliefs.weights[i])!r}, max_per_meeting: "
            f"{beliefs.max_per_meeting}; cuts positive, hikes negative)"
        )
    return "the observed history has zero probability under the beliefs"  # pragma: no cover


def update_on_observed(beliefs: CutBeliefs, observed_cuts: Sequence[int]) -> CutBeliefs:
    r"""Exact Bayes update of P(K) on the moves at the first meetings.

    With ``j = len(observed_cuts)`` decided meetings, signed moves ``m_i`` (cuts
    positive) and ``s = sum m_i``:

    .. math::

        P(h \mid K) = \prod_{i<j} w_i^{|m_i|}
                      \frac{Z_j(|n_K| - |s|)}{Z_0(|n_K|)}
                      \,[\operatorname{sign} m_i \in \{0, \operatorname{sign} n_K\},
                         |m_i| \le M],
        \qquad P(K \mid h) \propto P(K)\, P(h \mid K),

    ``n_K = K - observed_cuts`` (the moves the beliefs' meetings place). The common factor
    ``prod w_i^{|m_i|}`` cancels in the posterior but decides whether ``h`` is possible.

    Parameters
    ----------
    beliefs : CutBeliefs
        Beliefs over the window; counts with positive probability must be placeable.
    observed_cuts : Sequence[int]
        Signed cuts at meetings ``0..j-1`` of ``beliefs`` (e.g. ``[1, 1]``: a cut at each
        of the first two meetings; ``0`` = no move; ``-1`` = a hike).

    Returns
    -------
    CutBeliefs
        Beliefs over the **total** K, restricted to counts consistent with the history
        (positive likelihood), with ``weights`` for the remaining ``J - j`` meetings and
        ``observed_cuts`` increased by ``s``.

    Raises
    ------
    ValueError
        If the history has zero probability under the beliefs; the message names the
        first such meeting and the moves the beliefs allow there.

    Examples
    --------
    >>> import numpy as np
    >>> prior = CutBeliefs(np.arange(0, 5), np.full(5, 0.2), np.ones(8))
    >>> post = update_on_observed(prior, [1, 1])
    >>> post.counts.tolist(), post.probs.round(12).tolist(), post.n_meetings
    ([2, 3, 4], [0.1, 0.3, 0.6], 6)
    """
    history = _as_int_vector("observed_cuts", list(observed_cuts))
    if history.size > beliefs.n_meetings:
        raise ValueError(
            f"{history.size} observed meetings but the beliefs cover only {beliefs.n_meetings}"
        )
    norms, _ = _norms_for(beliefs)
    _require_feasible(beliefs, norms, "update_on_observed")
    joint = _history_joint(beliefs, norms, history)
    if not joint.sum() > 0.0:
        raise ValueError(_describe_zero_history(beliefs, norms, history))
    # Likelihood alone (prior set to 1) decides which counts stay: zero-prior counts that
    # the history allows are kept at probability 0, impossible ones are dropped.
    flat = CutBeliefs(
        beliefs.counts,
        np.full(beliefs.counts.size, 1.0 / beliefs.counts.size),
        beliefs.weights,
        beliefs.max_per_meeting,
        beliefs.observed_cuts,
    )
    keep = _history_joint(flat, norms, history) > 0.0
    return CutBeliefs(
        counts=beliefs.counts[keep],
        probs=joint[keep] / joint.sum(),
        weights=beliefs.weights[history.size :],
        max_per_meeting=beliefs.max_per_meeting,
        observed_cuts=beliefs.observed_cuts + int(history.sum()),
    )


@dataclass(frozen=True, eq=False)
class MoveTable:
    r"""Exact conditional beliefs at every state (meetings decided, running total).

    A path's state after ``j`` of the beliefs' meetings is its signed running total
    ``s = m_0 + ... + m_{j-1}`` (cuts positive, excluding ``observed_cuts``, which every
    path shares); by the product form of the placement law the state is sufficient:
    conditioning on the whole prefix gives the same answers. Arrays are indexed
    ``[j, s + s_offset, ...]`` with ``j = 0..J`` and ``|s| <= s_offset = max |n_K|``:

    .. math::

        P(s \text{ after } j) &= \sum_K P(K)\, A_j(|s|)\,
            \frac{Z_j(|n_K| - |s|)}{Z_0(|n_K|)} [\text{consistent}], \\
        P(K \mid j, s) &\propto P(K)\, \frac{Z_j(|n_K| - |s|)}{Z_0(|n_K|)}
            [\text{consistent}], \\
        E[m_i \mid j, s] &= \sum_K P(K \mid j, s)\,\operatorname{sign}(n_K)
            \sum_m m \frac{w_i^m\, G_{j,i}(|n_K| - |s| - m)}{Z_j(|n_K| - |s|)},
            \quad i \ge j,

    with ``A_j`` the normaliser of meetings ``0..j-1`` and ``G_{j,i}`` that of meetings
    ``j..J-1`` without ``i``. Entries of unreachable states are NaN.

    Cost: ``O(J^2 N (M + N))`` to build, memory ``(J+1)(2N+1)(J + #K + 2M+1)`` floats;
    J = 8 and N = |K| <= 16 give ~7,000 numbers, built once per scenario in ~1 ms.

    Attributes
    ----------
    counts : np.ndarray
        The beliefs' counts K (total over the window), ``(nK,)``.
    observed_cuts : int
        Net cuts decided before the table's meetings.
    weights : np.ndarray
        Meeting weights, ``(J,)``.
    max_per_meeting : int
        ``M``.
    s_offset : int
        ``s_idx = s + s_offset``.
    state_probs : np.ndarray
        ``(J+1, 2 s_offset + 1)``, ``P(running total s after j meetings)``.
    count_probs : np.ndarray
        ``(J+1, 2 s_offset + 1, nK)``, ``P(K | j, s)``.
    next_move_probs : np.ndarray
        ``(J, 2 s_offset + 1, 2M+1)``, ``P(m_j = m | j, s)`` for ``m = -M..M``.
    expected_cuts : np.ndarray
        ``(J+1, 2 s_offset + 1, J)``, ``E[m_i | j, s]`` (0 for ``i < j``).
    """

    counts: IntArray
    observed_cuts: int
    weights: FloatArray
    max_per_meeting: int
    s_offset: int
    state_probs: FloatArray
    count_probs: FloatArray
    next_move_probs: FloatArray
    expected_cuts: FloatArray

    @property
    def n_meetings(self) -> int:
        """J, the number of meetings in the table."""
        return int(self.weights.size)

    def _state_index(self, j: npt.ArrayLike, s: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Validate states and return ``(j, s_idx)`` as equal-shape int arrays."""
        j_arr, s_arr = np.broadcast_arrays(
            _as_int_vector("j", np.atleast_1d(j)), _as_int_vector("s", np.atleast_1d(s))
        )
        if np.any((j_arr < 0) | (j_arr > self.n_meetings)):
            raise ValueError(f"j must lie in 0..{self.n_meetings}, found {j_arr.tolist()}")
        s_idx = s_arr + self.s_offset
        out = (s_idx < 0) | (s_idx > 2 * self.s_offset)
        bad = out.copy()
        bad[~out] = ~(self.state_probs[j_arr[~out], s_idx[~out]] > 0.0)
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"state (j={int(j_arr[k])}, s={int(s_arr[k])}) has probability zero under "
                f"these beliefs (counts {self.counts.tolist()}, observed_cuts "
                f"{self.observed_cuts}); for the market's table pass the market through "
                "floor_market so every view path stays possible"
            )
        return j_arr, s_idx

    def expected_remaining(self, j: npt.ArrayLike, s: npt.ArrayLike) -> FloatArray:
        """Expected signed cuts at every meeting given ``j`` meetings decided and total ``s``.

        Parameters
        ----------
        j : array_like of int
            Meetings already decided along each path, ``(n,)``, in ``0..J``.
        s : array_like of int
            Signed running total of cuts at those meetings, ``(n,)``.

        Returns
        -------
        np.ndarray
            ``(n, J)``: ``E[m_i | j, s]``, zero for ``i < j``.

        Raises
        ------
        ValueError
            If a state is out of range or has probability zero.
        """
        j_arr, s_idx = self._state_index(j, s)
        return self.expected_cuts[j_arr, s_idx]

    def count_posterior(self, j: npt.ArrayLike, s: npt.ArrayLike) -> FloatArray:
        """``P(K | j, s)``, shape ``(n, nK)``, for states as in :meth:`expected_remaining`."""
        j_arr, s_idx = self._state_index(j, s)
        return self.count_probs[j_arr, s_idx]


def build_move_table(beliefs: CutBeliefs) -> MoveTable:
    """Enumerate the exact conditional beliefs of every state; see :class:`MoveTable`.

    Parameters
    ----------
    beliefs : CutBeliefs
        Feasible beliefs (every count with positive probability placeable).

    Returns
    -------
    MoveTable

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(np.array([0, 2]), np.array([0.5, 0.5]), np.ones(2))
    >>> table = build_move_table(b)
    >>> table.expected_remaining([0, 1], [0, 1]).tolist()  # a first cut reveals K = 2
    [[0.5, 0.5], [0.0, 1.0]]
    """
    norms, n_max = _norms_for(beliefs)
    _require_feasible(beliefs, norms, "build_move_table")
    weights, max_pm = beliefs.weights, beliefs.max_per_meeting
    n_meetings = beliefs.n_meetings
    prefix = _prefix_norms(weights, max_pm, n_max)
    marg = _meeting_marginals(weights, max_pm, norms)
    mean_moves = np.einsum("jirm,m->jir", marg, np.arange(max_pm + 1, dtype=np.float64))

    remaining = beliefs.remaining_counts
    moves = np.abs(remaining)
    direction = np.sign(remaining).astype(np.float64)
    s_vals = np.arange(-n_max, n_max + 1, dtype=np.int64)
    s_abs = np.abs(s_vals)
    ok = _consistent(s_vals, remaining)
    left = np.where(ok, moves[None, :] - s_abs[:, None], 0)
    z0 = norms[0, moves]
    base = np.where(z0 > 0.0, beliefs.probs / np.where(z0 > 0.0, z0, 1.0), 0.0)

    joint = np.zeros((n_meetings + 1, s_vals.size, remaining.size))
    for j in range(n_meetings + 1):
        joint[j] = prefix[j, s_abs][:, None] * norms[j][left] * base[None, :] * ok
    state = joint.sum(axis=2)
    reach = state > 0.0
    count_probs = np.where(reach[..., None], joint / np.where(reach, state, 1.0)[..., None], np.nan)
    cp = np.nan_to_num(count_probs)

    m_signed = np.arange(-max_pm, max_pm + 1)
    next_move = np.zeros((n_meetings, s_vals.size, m_signed.size))
    expected = np.zeros((n_meetings + 1, s_vals.size, n_meetings))
    for j in range(n_meetings + 1):
        # mean_moves[j][:, left] -> (i, s, k): expected |m_i| given the count's remainder.
        expected[j] = np.einsum("sk,isk->si", cp[j] * direction[None, :], mean_moves[j][:, left])
        if j == n_meetings:
            continue
        for c, m in enumerate(m_signed):
            sign_ok = (m == 0) | (np.sign(m) == np.sign(remaining))
            p_m = marg[j, j][left, abs(int(m))]  # (s, k)
            next_move[j, :, c] = np.sum(cp[j] * sign_ok[None, :] * p_m, axis=1)
    expected[~reach] = np.nan
    next_move[~reach[:n_meetings]] = np.nan

    return MoveTable(
        counts=_readonly(beliefs.counts),
        observed_cuts=beliefs.observed_cuts,
        weights=_readonly(weights),
        max_per_meeting=max_pm,
        s_offset=n_max,
        state_probs=_readonly(state),
        count_probs=_readonly(count_probs),
        next_move_probs=_readonly(next_move),
        expected_cuts=_readonly(expected),
    )


def sample_placements(
    beliefs: CutBeliefs, u_count: npt.ArrayLike, u_place: npt.ArrayLike
) -> IntArray:
    r"""Draw cut counts and place their moves on the meetings: uniforms in, paths out.

    ``K = counts[k]`` with ``k`` the first index whose CDF exceeds ``u_count`` (inverse
    CDF; counts with zero probability are never drawn). The ``|n|`` moves,
    ``n = K - observed_cuts``, are placed meeting by meeting: with ``r`` moves left at
    meeting ``i``,

    .. math::

        P(m_i = m \mid r) = \frac{w_i^m\, Z_{i+1}(r - m)}{Z_i(r)}, \quad 0 \le m \le M,

    and ``m_i`` is the inverse CDF of that law at ``u_place[:, i]``: ``u = 0`` gives the
    fewest moves now (moves pushed late), ``u -> 1`` the most (moves early). The law of
    the result is exactly ``P(m | K)`` of the module docstring.

    Parameters
    ----------
    beliefs : CutBeliefs
        Feasible beliefs.
    u_count : array_like
        ``(n,)`` uniforms in ``[0, 1)``.
    u_place : array_like
        ``(n, J)`` uniforms in ``[0, 1)``.

    Returns
    -------
    np.ndarray
        ``(n, J)`` int64, signed cuts per meeting (hikes negative); each row sums to
        ``n = K - observed_cuts``.

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(np.arange(0, 4), np.full(4, 0.25), np.ones(4))
    >>> rng = np.random.default_rng(7)
    >>> paths = sample_placements(b, rng.random(5), rng.random((5, 4)))
    >>> paths.shape, bool(np.all((paths >= 0) & (paths <= 1)))
    ((5, 4), True)
    """
    u_k = np.asarray(u_count, dtype=np.float64)
    u_p = np.asarray(u_place, dtype=np.float64)
    n_meetings = beliefs.n_meetings
    if u_k.ndim != 1:
        raise ValueError(f"u_count must have shape (n_paths,), found {u_k.shape}")
    if u_p.shape != (u_k.size, n_meetings):
        raise ValueError(
            f"u_place must have shape (n_paths, J) = ({u_k.size}, {n_meetings}), found {u_p.shape}"
        )
    for name, u in (("u_count", u_k), ("u_place", u_p)):
        if u.size and not np.all((u >= 0.0) & (u < 1.0)):
            raise ValueError(f"{name} must hold uniforms in [0, 1)")
    norms, _ = _norms_for(beliefs)
    _require_feasible(beliefs, norms, "sample_placements")

    cdf = np.cumsum(beliefs.probs)
    last = int(np.flatnonzero(beliefs.probs > 0.0)[-1])
    # Rounding can leave cdf[-1] a hair under 1; pinning it stops u near 1 from landing
    # past the last count with positive probability.
    cdf[last:] = np.inf
    k = np.searchsorted(cdf, u_k, side="right")
    remaining = beliefs.remaining_counts[k]
    direction = np.sign(remaining)
    left = np.abs(remaining)
    max_pm = beliefs.max_per_meeting

    paths = np.zeros((u_k.size, n_meetings), dtype=np.int64)
    for i in range(n_meetings):
        factor = _meeting_factor(beliefs.weights[i], max_pm)
        denom = norms[i, left]
        cum = np.zeros(u_k.size)
        m_now = np.zeros(u_k.size, dtype=np.int64)
        for m in range(max_pm):
            # P(m) is 0 for m > left; clip the index and mask so the lookup stays valid.
            p_m = np.where(m <= left, factor[m] * norms[i + 1, np.maximum(left - m, 0)], 0.0)
            cum += p_m / denom
            m_now += u_p[:, i] >= cum
        # Feasible moves form the range [left - capacity after i, min(M, left)]; the
        # inverse CDF lands in it except for rounding at the top, clipped here.
        top = np.minimum(left, max_pm) if beliefs.weights[i] > 0.0 else np.zeros_like(left)
        m_now = np.minimum(m_now, top)
        paths[:, i] = direction * m_now
        left = left - m_now
    return paths


def move_probabilities(beliefs: CutBeliefs) -> FloatArray:
    r"""Exact ``P(signed cuts at meeting j = m)`` for ``m = -M..M``.

    .. math::

        P(m_j = m) = \sum_K P(K)\, [\operatorname{sign} m \in \{0, \operatorname{sign} n_K\}]
            \frac{w_j^{|m|}\, G_{0,j}(|n_K| - |m|)}{Z_0(|n_K|)},

    ``G_{0,j}`` the normaliser of all meetings but ``j``.

    Parameters
    ----------
    beliefs : CutBeliefs
        Feasible beliefs.

    Returns
    -------
    np.ndarray
        ``(J, 2M+1)``, column ``m + M`` for signed cuts ``m`` (``move_bp = -25 m``);
        each row sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(np.array([0, 1]), np.array([0.5, 0.5]), np.ones(2))
    >>> move_probabilities(b).tolist()  # columns: hike, none, cut
    [[0.0, 0.75, 0.25], [0.0, 0.75, 0.25]]
    """
    norms, _ = _norms_for(beliefs)
    _require_feasible(beliefs, norms, "move_probabilities")
    max_pm = beliefs.max_per_meeting
    marg = _meeting_marginals(beliefs.weights, max_pm, norms)[0]  # (i, r, m)
    remaining = beliefs.remaining_counts
    moves = np.abs(remaining)
    out = np.zeros((beliefs.n_meetings, 2 * max_pm + 1))
    for c, m in enumerate(range(-max_pm, max_pm + 1)):
        sign_ok = (m == 0) | (np.sign(m) == np.sign(remaining))
        out[:, c] = marg[:, moves, abs(m)] @ (beliefs.probs * sign_ok)
    return out


def count_distribution(
    beliefs: CutBeliefs, grid: npt.ArrayLike | None = None
) -> tuple[IntArray, FloatArray]:
    """P(K) on a grid of counts, e.g. the ``cut_count`` coordinate of an output.

    Parameters
    ----------
    beliefs : CutBeliefs
    grid : array_like of int, optional
        Counts to report, strictly ascending; default every integer from the beliefs'
        smallest to largest count.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        ``(grid, probs)``, ``probs`` zero on counts the beliefs do not list.

    Raises
    ------
    ValueError
        If the beliefs put positive probability on a count missing from ``grid``.

    Examples
    --------
    >>> import numpy as np
    >>> b = CutBeliefs(np.array([1, 3]), np.array([0.4, 0.6]), np.ones(4))
    >>> grid, p = count_distribution(b)
    >>> grid.tolist(), p.tolist()
    ([1, 2, 3], [0.4, 0.0, 0.6])
    """
    if grid is None:
        grid_arr = np.arange(beliefs.counts[0], beliefs.counts[-1] + 1, dtype=np.int64)
    else:
        grid_arr = _as_int_vector("grid", grid)
        if np.any(np.diff(grid_arr) <= 0):
            raise ValueError(f"grid must be strictly ascending, found {grid_arr.tolist()}")
    present = np.isin(beliefs.counts, grid_arr)
    if np.any(~present & (beliefs.probs > 0.0)):
        missing = beliefs.counts[~present & (beliefs.probs > 0.0)].tolist()
        raise ValueError(f"counts {missing} have positive probability but are not in the grid")
    probs = np.zeros(grid_arr.size)
    probs[np.searchsorted(grid_arr, beliefs.counts[present])] = beliefs.probs[present]
    return grid_arr, probs
