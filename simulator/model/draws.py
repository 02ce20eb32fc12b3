"""Parameter draws in numpy: from a priors file (unfitted or calibrated runs).

A posterior fit returns the same :class:`ParameterDraws`, so the engine consumes prior,
calibrated and posterior draws alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special, stats

from simulator.config.schema import (
    ENGINE_ONLY_PARAMETERS,
    OPTIONAL_PARAMETERS,
    PARAMETERS,
    Beta,
    Fixed,
    Gamma,
    HalfNormal,
    LogNormal,
    Normal,
    PriorsFile,
    StudentT,
    TruncatedNormal,
    Uniform,
)

DrawSource = Literal["prior", "calibrated", "posterior"]


@dataclass(frozen=True)
class ParameterDraws:
    """Joint draws of the dynamics parameters: ``values[name]`` are 1-d arrays of length n."""

    values: dict[str, np.ndarray]
    source: DrawSource
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.values:
            n = next(iter(self.values.values())).shape
            for name, value in OPTIONAL_PARAMETERS.items():
                if name not in self.values:  # draws made before these parameters existed
                    self.values[name] = np.full(n, value)
        missing = [p for p in PARAMETERS if p not in self.values]
        if missing:
            raise ValueError(f"parameter draws miss {missing}")
        lengths = {v.shape for v in self.values.values()}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise ValueError(f"parameter draws must be 1-d arrays of one length, got {lengths}")

    @property
    def n(self) -> int:
        """Number of joint draws."""
        return int(next(iter(self.values.values())).shape[0])

    def take(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """The draws at ``index`` (e.g. one draw per simulated path)."""
        return {k: v[index] for k, v in self.values.items()}

    def mean(self) -> dict[str, float]:
        """Mean of each parameter over the draws."""
        return {k: float(np.mean(v)) for k, v in self.values.items()}


def to_unconstrained(name: str, x: np.ndarray) -> np.ndarray:
    """Map a parameter to the real line: logit on (0, 1), log on (0, inf), identity else."""
    domain = PARAMETERS[name][1]
    if domain == "unit":
        return np.asarray(special.logit(x))
    if domain in ("positive", "nonnegative"):
        return np.log(x)
    if domain == "correlation":
        return np.arctanh(x)
    return np.asarray(x, dtype=float)


def from_unconstrained(name: str, z: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_unconstrained`."""
    domain = PARAMETERS[name][1]
    if domain == "unit":
        return np.asarray(special.expit(z))
    if domain in ("positive", "nonnegative"):
        return np.exp(z)
    if domain == "correlation":
        return np.tanh(z)
    return np.asarray(z, dtype=float)


def draw_parameters(priors: PriorsFile, n: int, *, rng: np.random.Generator) -> ParameterDraws:
    """Draw ``n`` joint parameter sets from a priors file.

    Marginals are drawn independently; parameters named in a ``joint`` block are drawn
    from its multivariate normal on the unconstrained scale and mapped back, so
    calibrated priors keep their posterior correlations. The engine-only parameters
    (:data:`~simulator.config.schema.ENGINE_ONLY_PARAMETERS`) are drawn last, after the
    joint block (:func:`draw_engine_only`): a ``Fixed`` prior consumes no randomness, so
    omitting one or fixing it leaves every other draw bit-identical.

    Parameters
    ----------
    priors : PriorsFile
        Weakly informative or calibrated priors.
    n : int
        Number of draws.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    ParameterDraws
        ``source`` is "calibrated" when the file carries a ``calibrated`` block.

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.config import load_priors
    >>> pf = load_priors("priors/default.yaml").config
    >>> d = draw_parameters(pf, 4, rng=np.random.default_rng(0))
    >>> d.n
    4
    """
    values: dict[str, np.ndarray] = {}
    joint = priors.joint
    for name, prior in priors.parameters.fitted_items():
        values[name] = _draw_one(prior, n, rng)
    if joint is not None:
        z = rng.multivariate_normal(
            np.asarray(joint.mean), np.asarray(joint.covariance), size=n, method="cholesky"
        )
        for j, name in enumerate(joint.parameters):
            values[name] = from_unconstrained(name, z[:, j])
    values.update(draw_engine_only(priors, n, rng=rng))
    source: DrawSource = "calibrated" if priors.calibrated is not None else "prior"
    return ParameterDraws(values=values, source=source)


def draw_engine_only(
    priors: PriorsFile, n: int, *, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Draws of the engine-only parameters from their priors (the fit does not see them).

    Called after every other draw from ``rng`` (by :func:`draw_parameters`, and by the
    fits' posterior-to-draws paths with a seed of their own), so that ``Fixed`` or
    omitted engine-only priors (which consume no randomness) leave the others' draws
    bit-identical.

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.config import load_priors
    >>> pf = load_priors("priors/default.yaml").config
    >>> sorted(draw_engine_only(pf, 3, rng=np.random.default_rng(0)))[:2]
    ['cny_daily_vol_pct', 'cny_y10_correlation']
    """
    return {name: _draw_one(prior, n, rng) for name, prior in priors.parameters.engine_only_items()}


def with_engine_only(
    draws: ParameterDraws, priors: PriorsFile, rng: np.random.Generator
) -> ParameterDraws:
    """``draws`` (a fit's posterior) with the engine-only parameters drawn from ``priors``."""
    values = {k: v for k, v in draws.values.items() if k not in ENGINE_ONLY_PARAMETERS}
    values.update(draw_engine_only(priors, draws.n, rng=rng))
    return ParameterDraws(values=values, source=draws.source, meta=dict(draws.meta))


def _draw_one(prior: object, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(prior, Fixed):
        return np.full(n, prior.value)
    if isinstance(prior, Normal):
        return rng.normal(prior.mu, prior.sigma, n)
    if isinstance(prior, TruncatedNormal):
        lo, hi = prior.support()
        a, b = (lo - prior.mu) / prior.sigma, (hi - prior.mu) / prior.sigma
        return np.asarray(
            stats.truncnorm.rvs(a, b, loc=prior.mu, scale=prior.sigma, size=n, random_state=rng)
        )
    if isinstance(prior, LogNormal):
        return rng.lognormal(prior.mu, prior.sigma, n)
    if isinstance(prior, Beta):
        return rng.beta(prior.alpha, prior.beta, n)
    if isinstance(prior, Gamma):
        return rng.gamma(prior.alpha, 1.0 / prior.beta, n)
    if isinstance(prior, HalfNormal):
        return np.abs(rng.normal(0.0, prior.sigma, n))
    if isinstance(prior, Uniform):
        return rng.uniform(prior.lower, prior.upper, n)
    if isinstance(prior, StudentT):
        return prior.mu + prior.sigma * rng.standard_t(prior.nu, n)
    raise TypeError(f"unsupported prior {type(prior).__name__}")
