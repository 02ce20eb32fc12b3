r"""Scoring rules and calibration tests for rolling-origin forecasts (numpy/scipy).

Overlapping horizons: an h-month forecast made every month shares h - 1 months of
outcomes with its neighbours, so its hits (and PIT values) are autocorrelated up to lag
h - 1 even when the forecasts are calibrated. The coverage and PIT tests therefore use a
Newey-West (Bartlett kernel) long-run variance with ``L = max(2h, 4 (n/100)^(2/9))``
lags (twice the overlap: Bartlett weights down-weight the lags it must capture; checked
for size on simulated overlapping calibrated forecasts in tests/test_backtest.py).

CRPS comes from :mod:`scoringrules`, not written here: ``crps_ensemble`` for samples with
the probability-weighted-moment estimator ("pwm": equal to the unbiased "fair" one, but
O(m log m); "fair" took minutes for 300 x 2000), ``crps_normal`` for the random walk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "PIT_BINS",
    "brier_score",
    "christoffersen_test",
    "coverage_hits",
    "coverage_pvalue",
    "crps_normal",
    "crps_sample",
    "dm_test",
    "fixed_b_factor",
    "hac_lags",
    "hac_variance",
    "pit_from_sample",
    "pit_histogram",
    "pit_uniformity_pvalue",
    "reliability_table",
    "return_scores",
    "touch_scores",
]

FloatArray = NDArray[np.float64]
PIT_BINS = 10


def crps_sample(observed: ArrayLike, sample: ArrayLike) -> FloatArray:
    """CRPS of a forecast sample (last axis) against observations (scoringrules, pwm = fair).

    Examples
    --------
    >>> import numpy as np
    >>> float(crps_sample(0.0, np.array([0.0, 0.0])))
    0.0
    """
    import scoringrules as sr  # ~9 s of numba compilation at import: only when scoring

    return np.asarray(sr.crps_ensemble(observed, np.asarray(sample), estimator="pwm"))


def crps_normal(observed: ArrayLike, mean: ArrayLike, sd: ArrayLike) -> FloatArray:
    """Closed-form CRPS of a Gaussian forecast (scoringrules)."""
    import scoringrules as sr

    return np.asarray(sr.crps_normal(observed, mean, sd))


def pit_from_sample(observed: ArrayLike, sample: ArrayLike) -> FloatArray:
    """PIT u = F(y) from a sample (last axis), ties counted half: (#{x < y} + #{x = y}/2) / S."""
    x = np.asarray(sample, dtype=np.float64)
    y = np.asarray(observed, dtype=np.float64)[..., None]
    below = np.sum(x < y, axis=-1)
    equal = np.sum(x == y, axis=-1)
    return np.asarray((below + 0.5 * equal) / x.shape[-1], dtype=np.float64)


def coverage_hits(pit: ArrayLike, level: float) -> NDArray[np.bool_]:
    """Whether y fell inside the central ``level`` interval: |u - 1/2| <= level / 2."""
    u = np.asarray(pit, dtype=np.float64)
    return np.asarray(np.abs(u - 0.5) <= level / 2.0)


def hac_lags(n: int, horizon: int) -> int:
    """Newey-West lags for h-step overlapping forecasts: max(2h, 4 (n/100)^(2/9))."""
    return int(max(2 * horizon, math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))))


def fixed_b_factor(lags: int, n: int) -> float:
    """Kiefer-Vogelsang (2005) fixed-b correction for the Bartlett kernel, b = lags / n.

    The 5% two-sided critical value of a Bartlett-HAC t statistic with bandwidth b n is
    ``1.96 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3``; statistics are divided by its ratio to
    1.96 before the normal (or chi-square) p-value, so the 5% level is right in samples
    where the lags are a sizeable share of n (h = 12, n = 300: b = 0.08, factor 1.12).
    The polynomial is fitted on b in (0, 1] (and turns negative past b ~ 3), so b is
    capped at 1: a short backtest (lags >= n) gets the widest correction, not a sign flip.

    Examples
    --------
    >>> round(fixed_b_factor(24, 300), 3), fixed_b_factor(24, 6) == fixed_b_factor(6, 6)
    (1.122, True)
    """
    b = min(lags / n, 1.0)
    return (1.96 + 2.9694 * b + 0.4160 * b * b - 0.5324 * b**3) / 1.96


def hac_variance(x: ArrayLike, lags: int) -> FloatArray:
    """Newey-West long-run covariance of the mean of x ((n,) or (n, k)), Bartlett kernel.

    Returns the (k, k) covariance of the sample mean (a 1x1 array for 1-d x).
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    n = a.shape[0]
    d = a - a.mean(axis=0)
    s = d.T @ d / n
    for j in range(1, min(lags, n - 1) + 1):
        w = 1.0 - j / (lags + 1.0)
        g = d[j:].T @ d[:-j] / n
        s += w * (g + g.T)
    return np.asarray(s / n, dtype=np.float64)


def coverage_pvalue(hits: ArrayLike, level: float, horizon: int) -> float:
    """Two-sided p-value of H0: P(hit) = level, HAC t-test on the hit sequence.

    Examples
    --------
    >>> import numpy as np
    >>> hits = np.random.default_rng(0).random(300) < 0.8
    >>> 0.0 <= coverage_pvalue(hits, 0.8, 1) <= 1.0
    True
    """
    h = np.asarray(hits, dtype=np.float64)
    n = h.size
    if n < 3:
        return float("nan")
    var = float(hac_variance(h, hac_lags(n, horizon))[0, 0])
    # Under H0 the variance is at least that of iid Bernoulli hits: a sample with no
    # misses would otherwise have zero variance and an infinite statistic.
    var = max(var, level * (1.0 - level) / n)
    z = (float(h.mean()) - level) / math.sqrt(var)
    return float(2.0 * stats.norm.sf(abs(z) / fixed_b_factor(hac_lags(n, horizon), n)))


def pit_histogram(pit: ArrayLike, bins: int = PIT_BINS) -> FloatArray:
    """Fraction of PIT values in each of ``bins`` equal bins of [0, 1]."""
    u = np.clip(np.asarray(pit, dtype=np.float64), 0.0, 1.0 - 1e-12)
    counts = np.bincount((u * bins).astype(np.int64), minlength=bins)
    return np.asarray(counts / max(u.size, 1), dtype=np.float64)


def pit_uniformity_pvalue(pit: ArrayLike, horizon: int, bins: int = 5) -> float:
    """HAC Wald test that the PIT falls in each of ``bins`` equal bins with prob 1/bins.

    The statistic ``d' V^-1 d`` (d: bin frequencies minus 1/bins for the first bins - 1
    bins, V their HAC covariance) is chi-square with bins - 1 degrees of freedom. Five
    bins by default: with 300 overlapping 12-month forecasts a 9-dimensional long-run
    covariance is too noisy to invert.
    """
    u = np.clip(np.asarray(pit, dtype=np.float64), 0.0, 1.0 - 1e-12)
    n = u.size
    if n < 3 * bins:
        return float("nan")
    idx = (u * bins).astype(np.int64)
    ind = (idx[:, None] == np.arange(bins - 1)[None, :]).astype(np.float64)
    d = ind.mean(axis=0) - 1.0 / bins
    v = hac_variance(ind, hac_lags(n, horizon))
    # Floor at the iid multinomial covariance (see coverage_pvalue).
    p = np.full(bins - 1, 1.0 / bins)
    v_iid = (np.diag(p) - np.outer(p, p)) / n
    w, vecs = np.linalg.eigh(v)
    w_iid = np.linalg.eigvalsh(v_iid)
    w = np.maximum(w, float(w_iid.min()))
    stat = float(d @ (vecs / w) @ vecs.T @ d) / fixed_b_factor(hac_lags(n, horizon), n) ** 2
    return float(stats.chi2.sf(stat, bins - 1))


def christoffersen_test(hits: ArrayLike, level: float) -> dict[str, float]:
    """Christoffersen (1998) unconditional, independence and conditional coverage tests.

    ``LR_uc`` tests P(miss) = 1 - level; ``LR_ind`` a first-order Markov chain of misses
    against independence; ``LR_cc = LR_uc + LR_ind`` ~ chi2(2). For one-step forecasts.

    Returns
    -------
    dict
        ``lr_uc``, ``p_uc``, ``lr_ind``, ``p_ind``, ``lr_cc``, ``p_cc``.
    """
    miss = ~np.asarray(hits, dtype=bool)
    n = miss.size
    alpha = 1.0 - level
    n1 = int(miss.sum())
    n0 = n - n1

    def xlogy(x: float, y: float) -> float:
        return 0.0 if x == 0 else x * math.log(y)

    pi_hat = n1 / n if n else 0.0
    lr_uc = -2.0 * (
        xlogy(n0, 1 - alpha) + xlogy(n1, alpha) - xlogy(n0, 1 - pi_hat) - xlogy(n1, pi_hat)
    )
    prev, cur = miss[:-1], miss[1:]
    n00 = int(np.sum(~prev & ~cur))
    n01 = int(np.sum(~prev & cur))
    n10 = int(np.sum(prev & ~cur))
    n11 = int(np.sum(prev & cur))
    p01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    p11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    p1 = (n01 + n11) / (n00 + n01 + n10 + n11) if n > 1 else 0.0
    lr_ind = -2.0 * (
        xlogy(n00 + n10, 1 - p1)
        + xlogy(n01 + n11, p1)
        - xlogy(n00, 1 - p01)
        - xlogy(n01, p01)
        - xlogy(n10, 1 - p11)
        - xlogy(n11, p11)
    )
    lr_uc, lr_ind = max(lr_uc, 0.0), max(lr_ind, 0.0)
    return {
        "lr_uc": lr_uc,
        "p_uc": float(stats.chi2.sf(lr_uc, 1)),
        "lr_ind": lr_ind,
        "p_ind": float(stats.chi2.sf(lr_ind, 1)),
        "lr_cc": lr_uc + lr_ind,
        "p_cc": float(stats.chi2.sf(lr_uc + lr_ind, 2)),
    }


def brier_score(prob: ArrayLike, outcome: ArrayLike) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    p = np.asarray(prob, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.float64)
    return float(np.mean((p - o) ** 2))


def reliability_table(
    prob: ArrayLike, outcome: ArrayLike, bins: int = 10
) -> list[dict[str, float]]:
    """Reliability diagram data: per probability bin, mean forecast, observed frequency, n."""
    p = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    o = np.asarray(outcome, dtype=np.float64)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        rows.append(
            {
                "bin_lower": b / bins,
                "bin_upper": (b + 1) / bins,
                "forecast_mean": float(p[sel].mean()) if n else float("nan"),
                "observed_frequency": float(o[sel].mean()) if n else float("nan"),
                "n": n,
            }
        )
    return rows


def dm_test(loss_model: ArrayLike, loss_benchmark: ArrayLike, horizon: int) -> dict[str, float]:
    r"""Diebold-Mariano test of equal expected loss, HAC as in :func:`coverage_pvalue`.

    ::

        d_t = loss_model_t - loss_benchmark_t,   stat = mean(d) / sqrt(V_NW(d))
        pvalue = 2 (1 - Phi(|stat| / k_fixed_b))

    ``V_NW`` is the Bartlett long-run variance of the mean (:func:`hac_variance`) with
    :func:`hac_lags` ``(n, horizon)`` lags, for the overlap of h-month forecasts made
    monthly; ``k_fixed_b`` is :func:`fixed_b_factor`. Pairs with a NaN are dropped.

    Parameters
    ----------
    loss_model, loss_benchmark : array_like
        Losses per origin (e.g. CRPS or squared error), shape ``(n,)``, in time order.
    horizon : int
        Forecast horizon in months (sets the HAC lags).

    Returns
    -------
    dict
        ``stat`` (negative: the model's loss is lower), ``pvalue`` (two-sided),
        ``mean_diff`` (mean of d, in the losses' unit) and ``n``; NaN below 3 pairs.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> out = dm_test(rng.random(200), rng.random(200) + 0.5, 1)
    >>> out["stat"] < 0 and out["pvalue"] < 1e-6
    True
    """
    a = np.asarray(loss_model, dtype=np.float64)
    b = np.asarray(loss_benchmark, dtype=np.float64)
    d = (a - b)[np.isfinite(a) & np.isfinite(b)]
    n = d.size
    if n < 3:
        nan = float("nan")
        return {"stat": nan, "pvalue": nan, "mean_diff": nan, "n": float(n)}
    lags = hac_lags(n, horizon)
    mean = float(d.mean())
    sd = math.sqrt(max(float(hac_variance(d, lags)[0, 0]), 0.0))
    if sd > 0.0:
        stat = mean / sd
    else:  # identical losses (or a constant difference): no evidence, or certainty
        stat = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    pvalue = float(2.0 * stats.norm.sf(abs(stat) / fixed_b_factor(lags, n)))
    return {"stat": stat, "pvalue": pvalue, "mean_diff": mean, "n": float(n)}


def touch_scores(
    probs: ArrayLike,
    outcomes: ArrayLike,
    rw_probs: ArrayLike,
    bins: int = 10,
    horizon: int | None = None,
) -> dict[str, object]:
    """Brier scores of touch probabilities against 0/1 outcomes, model and random walk.

    Entries where the outcome, the model's or the random walk's probability is NaN (a
    window the data do not cover) are dropped; inputs of any one shape are flattened.

    Parameters
    ----------
    probs, outcomes, rw_probs : array_like
        Model probabilities, 0/1 outcomes (NaN: not covered) and the random walk's
        probabilities, one shape.
    bins : int, default 10
        Bins of the reliability table.
    horizon : int, optional
        Window length in months. When given, the inputs must be 1-d in origin order and
        ``dm`` adds :func:`dm_test` of the per-origin Brier losses, model against random
        walk.

    Returns
    -------
    dict
        ``brier``, ``brier_rw`` (:func:`brier_score`), ``base_rate`` (share of touches),
        ``n``, ``reliability`` (:func:`reliability_table` of the model) and, with a
        ``horizon``, ``dm``.

    Examples
    --------
    >>> out = touch_scores([0.2, 0.8, float("nan")], [0, 1, 1], [0.5, 0.5, 0.5])
    >>> round(out["brier"], 12), out["brier_rw"], out["n"]
    (0.04, 0.25, 2)
    """
    p = np.asarray(probs, dtype=np.float64).ravel()
    o = np.asarray(outcomes, dtype=np.float64).ravel()
    q = np.asarray(rw_probs, dtype=np.float64).ravel()
    keep = np.isfinite(p) & np.isfinite(o) & np.isfinite(q)
    p, o, q = p[keep], o[keep], q[keep]
    n = int(keep.sum())
    out: dict[str, object] = {
        "brier": brier_score(p, o) if n else float("nan"),
        "brier_rw": brier_score(q, o) if n else float("nan"),
        "base_rate": float(o.mean()) if n else float("nan"),
        "n": n,
        "reliability": reliability_table(p, o, bins),
    }
    if horizon is not None:
        out["dm"] = dm_test((p - o) ** 2, (q - o) ** 2, horizon)
    return out


def return_scores(
    pred_samples: Sequence[ArrayLike] | FloatArray,
    realised: ArrayLike,
    rw_samples: Sequence[ArrayLike] | FloatArray,
    horizon: int | None = None,
) -> dict[str, float]:
    """Coverage of the central 80% band and CRPS of sampled forecasts of a return.

    Parameters
    ----------
    pred_samples, rw_samples : sequence of array_like or 2-d array
        Per origin, the model's and the random walk's samples (lengths may differ
        between origins: each row is scored on its own).
    realised : array_like
        Realised values, shape ``(n,)``, in origin order; NaN rows are dropped.
    horizon : int, optional
        Holding period in months; when given, adds the HAC tests for overlapping
        forecasts: ``coverage_80_pvalue`` (:func:`coverage_pvalue`) and ``dm_stat``,
        ``dm_pvalue`` (:func:`dm_test` of the per-origin CRPS, model against random walk).

    Returns
    -------
    dict
        ``coverage_80`` (hit rate of the central 80% band, from the sample PIT and
        :func:`coverage_hits`), ``crps``, ``crps_rw`` (means, in the values' unit), ``n``
        and, with a ``horizon``, the three test entries above.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.linspace(-1, 1, 101)
    >>> out = return_scores([s, s], [0.0, 0.95], [s, s])
    >>> out["coverage_80"], out["n"]
    (0.5, 2)
    """
    y = np.asarray(realised, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(y)).tolist()
    pit = np.array([pit_from_sample(y[i], pred_samples[i]) for i in rows], dtype=np.float64)
    crps = [float(crps_sample(y[i], pred_samples[i])) for i in rows]
    crps_rw = [float(crps_sample(y[i], rw_samples[i])) for i in rows]
    n = len(rows)
    nan = float("nan")
    hits = coverage_hits(pit, 0.8)
    out = {
        "coverage_80": float(np.mean(hits)) if n else nan,
        "crps": float(np.mean(crps)) if n else nan,
        "crps_rw": float(np.mean(crps_rw)) if n else nan,
        "n": n,
    }
    if horizon is not None:
        dm = dm_test(crps, crps_rw, horizon)
        out["coverage_80_pvalue"] = coverage_pvalue(hits, 0.8, horizon)
        out["dm_stat"], out["dm_pvalue"] = dm["stat"], dm["pvalue"]
    return out
