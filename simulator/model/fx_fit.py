r"""The FX dynamics fit: daily volatility of the spot and its correlation with the 10y.

Model. On the common business days of the spot and the 10-year yield (from ``start``),
x_t = 100 * dlog(spot) (percent; foreign units per USD) and y_t = the change of the
10y in percentage points (its scale never matters: only the correlation is kept) are
i.i.d. bivariate normal,

    (x_t, y_t) ~ N((mu_x, mu_y), [[s_x^2, rho s_x s_y], [rho s_x s_y, s_y^2]]),

with s_x = ``vol`` (``<cur>_daily_vol_pct``) and rho (``<cur>_y10_correlation``). The
means and s_y are nuisances with flat priors; vol and rho take the priors passed in.

Posterior. A Laplace approximation in the unconstrained coordinates
theta = (mu_x, mu_y, log s_x, log s_y, atanh rho), where the log-likelihood is close to
quadratic already at a few hundred days (an exact grid would buy nothing at n ~ 2,500).

Fat tails. Daily FX returns are leptokurtic (USD/CNY since 2015: excess kurtosis ~5) and
their volatility clusters. Under the normal likelihood the curvature then overstates the
information about the variance: the s.d. of log s_x is sqrt((kappa - 1) / (4 n)), not
sqrt(1 / (2 n)), with kappa the kurtosis, and squared returns that are autocorrelated
widen it further. The fit therefore replaces the likelihood's curvature by the sandwich
(Huber-White) covariance H^-1 J H^-1, J the Newey-West (Bartlett) long-run covariance of
the per-day scores, and combines that quadratic likelihood with the priors
(``robust=False`` keeps the normal curvature). Volatility clustering decays slowly, so a
Bartlett window of ~10 days only partly captures it: read the posterior s.d. as a floor.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from scipy import optimize

from simulator.config.schema import Fixed, Prior, PriorsFile
from simulator.data.loaders import PathLike, available_on, load_series
from simulator.data.registry import SERIES
from simulator.model.density import prior_logpdf

__all__ = [
    "DEFAULT_START",
    "FxPosterior",
    "calibrated_fx_specs",
    "fit_cny_from_history",
    "fit_fx_dynamics",
    "fx_dynamics_posterior",
]

DEFAULT_START = "2015-08-11"
"""Since the August 2015 fixing reform the PBOC's central parity follows the previous
close: the daily dynamics a forecast from 2026 faces. Before it (2005-2015) the band and
the fixing kept daily moves smaller and less tied to the dollar market."""

logger = logging.getLogger(__name__)

_STEP = 1e-5  # central-difference step on theta for the Hessian of the log-likelihood


@dataclass(frozen=True)
class FxPosterior:
    """The fit's details: posterior mode and s.d. of vol and rho, and the data used."""

    currency: str
    start: str
    end: str
    n_days: int
    vol: float
    correlation: float
    sd_log_vol: float
    sd_atanh_correlation: float
    corr_log_vol_atanh: float
    sd_vol: float
    sd_correlation: float
    widening_vol: float
    widening_correlation: float
    excess_kurtosis: float
    specs: dict[str, dict[str, Any]]


def _as_prior(spec: object, what: str) -> Any:
    """A schema distribution from a priors-file spec (a mapping) or a distribution."""
    prior = TypeAdapter(Prior).validate_python(spec) if isinstance(spec, Mapping) else spec
    if isinstance(prior, Fixed):
        raise ValueError(f"{what}: a Fixed prior cannot be fitted")
    return prior


def _daily_pairs(
    fx_daily: pd.Series, y10_daily: pd.Series, start: str, end: str | None
) -> pd.DataFrame:
    """x = 100 dlog spot and y = the 10y's change (pp) between consecutive common days."""
    both = pd.concat({"fx": fx_daily, "y10": y10_daily}, axis=1, join="inner").dropna()
    both = both.loc[pd.Timestamp(start) : (None if end is None else pd.Timestamp(end))]
    if (both["fx"] <= 0).any():
        raise ValueError("fx_daily: expected a positive spot")
    pairs = pd.DataFrame({"x": 100.0 * np.log(both["fx"]).diff(), "y": both["y10"].diff()}).dropna()
    if len(pairs) < 30:
        raise ValueError(f"only {len(pairs)} common days from {start}: need at least 30")
    return pairs


def _mle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The maximum-likelihood theta: sample means, log s.d.s (ddof 0), atanh corr."""
    r = np.corrcoef(x, y)[0, 1]
    return np.array([x.mean(), y.mean(), math.log(x.std()), math.log(y.std()), math.atanh(r)])


def _scores(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-day gradient of the bivariate normal log-likelihood in theta, shape (n, 5)."""
    mx, my, a, b, z = theta
    r = math.tanh(z)
    d = 1.0 - r * r
    u, v = (x - mx) / math.exp(a), (y - my) / math.exp(b)
    q = (u * u - 2.0 * r * u * v + v * v) / d
    return np.column_stack(
        [
            (u - r * v) / (d * math.exp(a)),
            (v - r * u) / (d * math.exp(b)),
            -1.0 + (u * u - r * u * v) / d,
            -1.0 + (v * v - r * u * v) / d,
            r + u * v - r * q,
        ]
    )


def _long_run_cov(scores: np.ndarray) -> np.ndarray:
    """Newey-West covariance of the score sum, Bartlett weights, lag 4 (n/100)^(2/9)."""
    n = scores.shape[0]
    s = scores - scores.mean(axis=0)
    lags = math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))
    out = s.T @ s
    for lag in range(1, lags + 1):
        gamma = s[lag:].T @ s[:-lag]
        out += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    return np.asarray(out)


def _likelihood_precision(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray, robust: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(precision used, normal-curvature precision) of the likelihood at the MLE."""
    hess = np.empty((5, 5))
    for j in range(5):
        e = np.zeros(5)
        e[j] = _STEP
        hess[:, j] = (_scores(theta + e, x, y).sum(0) - _scores(theta - e, x, y).sum(0)) / (
            2 * _STEP
        )
    info = -0.5 * (hess + hess.T)
    if not robust:
        return info, info
    cov = np.linalg.solve(info, np.linalg.solve(info, _long_run_cov(_scores(theta, x, y))).T)
    return np.linalg.inv(0.5 * (cov + cov.T)), info


def _log_prior(theta: np.ndarray, vol_prior: Any, rho_prior: Any) -> float:
    """log p(vol) + log p(rho) + the log-Jacobians of vol = e^a and rho = tanh z."""
    a, z = theta[2], theta[4]
    rho = math.tanh(z)
    lp = prior_logpdf(vol_prior, np.array([math.exp(a)]))[0] + a
    return float(lp + prior_logpdf(rho_prior, np.array([rho]))[0] + math.log1p(-rho * rho))


def _prior_curvature(theta: np.ndarray, vol_prior: Any, rho_prior: Any) -> np.ndarray:
    """Minus the second derivative of the log prior on a and z (diagonal), at theta."""
    out = np.zeros((5, 5))
    h = 1e-4
    for j in (2, 4):
        e = np.zeros(5)
        e[j] = h
        f0 = _log_prior(theta, vol_prior, rho_prior)
        fp, fm = (
            _log_prior(theta + e, vol_prior, rho_prior),
            _log_prior(theta - e, vol_prior, rho_prior),
        )
        out[j, j] = -(fp - 2 * f0 + fm) / (h * h)
    return out


def _specs(currency: str, a: float, sd_a: float, rho: float, sd_rho: float) -> dict[str, dict]:
    """The posterior as priors-file entries (vol LogNormal: exact image of the Laplace)."""
    cur = currency.lower()
    return {
        f"{cur}_daily_vol_pct": {"dist": "LogNormal", "mu": float(a), "sigma": float(sd_a)},
        f"{cur}_y10_correlation": {
            "dist": "TruncatedNormal",
            "mu": float(rho),
            "sigma": float(sd_rho),
            "lower": -1.0,
            "upper": 1.0,
        },
    }


def fx_dynamics_posterior(
    fx_daily: pd.Series,
    y10_daily: pd.Series,
    *,
    vol_prior: object,
    correlation_prior: object,
    currency: str = "CNY",
    start: str = DEFAULT_START,
    end: str | None = None,
    robust: bool = True,
) -> FxPosterior:
    """Fit the daily FX volatility and its correlation with the 10y; return the details.

    Parameters are those of :func:`fit_fx_dynamics`. Returns an :class:`FxPosterior`:
    posterior mode and s.d. of vol (%) and rho, of log vol and atanh rho and their
    correlation, the widening of the likelihood's s.d. by the sandwich (1 when
    ``robust=False``), the excess kurtosis of x, and ``specs`` (what
    :func:`fit_fx_dynamics` returns).
    """
    vol_p, rho_p = _as_prior(vol_prior, "vol_prior"), _as_prior(correlation_prior, "rho")
    pairs = _daily_pairs(fx_daily, y10_daily, start, end)
    x, y = pairs["x"].to_numpy(), pairs["y"].to_numpy()
    mle = _mle(x, y)
    precision, normal = _likelihood_precision(mle, x, y, robust)

    def minus_log_post(theta: np.ndarray) -> float:
        dev = theta - mle
        return float(0.5 * dev @ precision @ dev - _log_prior(theta, vol_p, rho_p))

    res = optimize.minimize(minus_log_post, mle, method="BFGS")
    if not res.success:
        warnings.warn(f"FX fit: the posterior mode search stopped: {res.message}", stacklevel=2)
    mode = res.x
    cov = np.linalg.inv(precision + _prior_curvature(mode, vol_p, rho_p))
    sd_a, sd_z = math.sqrt(cov[2, 2]), math.sqrt(cov[4, 4])
    vol, rho = math.exp(mode[2]), math.tanh(mode[4])
    widen = np.sqrt(np.diag(np.linalg.inv(precision)) / np.diag(np.linalg.inv(normal)))
    centred = x - x.mean()
    return FxPosterior(
        currency=currency,
        start=str(pairs.index[0].date()),
        end=str(pairs.index[-1].date()),
        n_days=len(pairs),
        vol=vol,
        correlation=rho,
        sd_log_vol=sd_a,
        sd_atanh_correlation=sd_z,
        corr_log_vol_atanh=float(cov[2, 4] / (sd_a * sd_z)),
        sd_vol=vol * sd_a,
        sd_correlation=(1.0 - rho * rho) * sd_z,
        widening_vol=float(widen[2]),
        widening_correlation=float(widen[4]),
        excess_kurtosis=float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3.0),
        specs=_specs(currency, mode[2], sd_a, rho, (1.0 - rho * rho) * sd_z),
    )


def fit_fx_dynamics(
    fx_daily: pd.Series,
    y10_daily: pd.Series,
    *,
    vol_prior: object,
    correlation_prior: object,
    currency: str = "CNY",
    start: str = DEFAULT_START,
    end: str | None = None,
    robust: bool = True,
) -> dict[str, dict]:
    """Posterior of an FX leg's daily volatility and 10y correlation, as priors-file specs.

    Parameters
    ----------
    fx_daily : pandas.Series
        Daily spot, foreign units per USD (e.g. the registry's ``usdcny_daily``).
    y10_daily : pandas.Series
        Daily 10-year yield in percent (the registry's ``dgs10``).
    vol_prior, correlation_prior : mapping or schema distribution
        Priors of vol (s.d. of the daily 100 dlog spot, %) and of rho, as priors-file
        specs, e.g. ``{"dist": "LogNormal", "mu": -1.39, "sigma": 0.5}``.
    currency : str
        Names the returned parameters (``cny`` -> ``cny_daily_vol_pct``).
    start : str
        First day of the sample (default 2015-08-11: see :data:`DEFAULT_START`).
    end : str, optional
        Last day (the as-of date of a calibration); default: all.
    robust : bool
        Sandwich (Newey-West) curvature for fat tails and clustering (module docstring).

    Returns
    -------
    dict
        ``{"<cur>_daily_vol_pct": LogNormal spec, "<cur>_y10_correlation":
        TruncatedNormal spec on [-1, 1]}``, ready for a priors file's ``parameters:``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> days = pd.bdate_range("2016-01-04", periods=2000)
    >>> z = rng.multivariate_normal([0, 0], [[0.04, 0.006], [0.006, 0.0036]], size=2000)
    >>> fx = pd.Series(6.5 * np.exp(np.cumsum(z[:, 0]) / 100), index=days)
    >>> y10 = pd.Series(2.0 + np.cumsum(z[:, 1]), index=days)
    >>> specs = fit_fx_dynamics(
    ...     fx, y10,
    ...     vol_prior={"dist": "LogNormal", "mu": -1.4, "sigma": 0.5},
    ...     correlation_prior={"dist": "TruncatedNormal", "mu": 0, "sigma": 0.5,
    ...                        "lower": -1, "upper": 1},
    ... )
    >>> round(math.exp(specs["cny_daily_vol_pct"]["mu"]), 2)  # true 0.2
    0.2
    """
    return fx_dynamics_posterior(
        fx_daily,
        y10_daily,
        vol_prior=vol_prior,
        correlation_prior=correlation_prior,
        currency=currency,
        start=start,
        end=end,
        robust=robust,
    ).specs


def fit_cny_from_history(
    data_dir: PathLike,
    as_of: str,
    *,
    vol_prior: object,
    correlation_prior: object,
    start: str = DEFAULT_START,
) -> FxPosterior:
    """The CNY fit on the H.10 and H.15 history public on ``as_of`` (the look-ahead guard).

    Parameters
    ----------
    data_dir : str or os.PathLike
        Data folder with ``usdcny_daily.csv`` and ``ust_cmt_daily.csv``.
    as_of : str
        Calibration date: only rows available then are used (H.10 is published weekly,
        so the last week before ``as_of`` is not).
    vol_prior, correlation_prior, start
        As in :func:`fit_fx_dynamics`.

    Returns
    -------
    FxPosterior
        ``.specs`` holds the priors-file entries ``cny_daily_vol_pct`` and
        ``cny_y10_correlation``.
    """
    fx, y10 = (
        available_on(load_series(name, data_dir), SERIES[name], as_of)
        for name in ("usdcny_daily", "dgs10")
    )
    return fx_dynamics_posterior(
        fx, y10, vol_prior=vol_prior, correlation_prior=correlation_prior, start=start
    )


def calibrated_fx_specs(
    priors: PriorsFile, data_dir: PathLike, as_of: str
) -> dict[str, dict[str, Any]]:
    """The CNY leg's posterior for a calibrated priors file, from the source priors' CNY
    priors and the history public on ``as_of``; ``{}`` (with a log line) when the data
    folder has no USD/CNY file, so calibrating the rates model never needs it."""
    params = priors.parameters
    if not (Path(data_dir) / SERIES["usdcny_daily"].file).exists():
        logger.info("no usdcny_daily in %s: the CNY leg keeps its source prior", data_dir)
        return {}
    post = fit_cny_from_history(
        data_dir,
        as_of,
        vol_prior=params.cny_daily_vol_pct,
        correlation_prior=params.cny_y10_correlation,
    )
    logger.info(
        "CNY leg %s..%s (%d days): vol %.3f%% (sd %.3f), rho %.3f (sd %.3f)",
        post.start,
        post.end,
        post.n_days,
        post.vol,
        post.sd_vol,
        post.correlation,
        post.sd_correlation,
    )
    return post.specs
