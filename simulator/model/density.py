"""Log densities of the priors-file distributions, in numpy/scipy (no PyMC).

Shared by the numpy posteriors: the backtest's Laplace refit
(:mod:`simulator.backtest.fitting`) and the FX dynamics fit (:mod:`simulator.model.fx_fit`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from simulator.config.schema import (
    Beta,
    Gamma,
    HalfNormal,
    LogNormal,
    Normal,
    StudentT,
    TruncatedNormal,
    Uniform,
)

__all__ = ["OUTSIDE", "prior_logpdf"]

OUTSIDE = -1e10
"""Log density outside a prior's support: finite so an optimiser can back off."""


def prior_logpdf(prior: object, x: np.ndarray) -> np.ndarray:
    """Log prior density of one parameter at the points x (vectorised).

    Parameters
    ----------
    prior : a schema distribution (``Normal``, ``TruncatedNormal``, ...; not ``Fixed``)
        The parameter's prior.
    x : numpy.ndarray
        Points, in the parameter's unit.

    Returns
    -------
    numpy.ndarray
        log p(x), with :data:`OUTSIDE` where x is outside the support.

    Examples
    --------
    >>> prior_logpdf(Normal(dist="Normal", mu=0.0, sigma=1.0), np.array([0.0])).round(4)
    array([-0.9189])
    """
    if isinstance(prior, Normal):
        out = stats.norm.logpdf(x, prior.mu, prior.sigma)
    elif isinstance(prior, TruncatedNormal):
        lo, hi = prior.support()
        a, b = (lo - prior.mu) / prior.sigma, (hi - prior.mu) / prior.sigma
        out = stats.truncnorm.logpdf(x, a, b, loc=prior.mu, scale=prior.sigma)
    elif isinstance(prior, LogNormal):
        out = stats.lognorm.logpdf(x, prior.sigma, scale=math.exp(prior.mu))
    elif isinstance(prior, Beta):
        out = stats.beta.logpdf(x, prior.alpha, prior.beta)
    elif isinstance(prior, Gamma):
        out = stats.gamma.logpdf(x, prior.alpha, scale=1.0 / prior.beta)
    elif isinstance(prior, HalfNormal):
        out = stats.halfnorm.logpdf(x, scale=prior.sigma)
    elif isinstance(prior, Uniform):
        out = stats.uniform.logpdf(x, prior.lower, prior.upper - prior.lower)
    elif isinstance(prior, StudentT):
        out = stats.t.logpdf(x, prior.nu, prior.mu, prior.sigma)
    else:
        raise TypeError(f"unsupported prior {type(prior).__name__}")
    out = np.asarray(out, dtype=np.float64)
    return np.where(np.isfinite(out), out, OUTSIDE)
