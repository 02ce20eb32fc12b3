"""The PyMC model of the dynamics and its sampling (nutpie by default, PyMC NUTS on request).

The latent states (TP deviation, ACM disagreement, neutral rate, TP mean) are integrated
out by a Kalman filter (:func:`kalman_loglik`), so NUTS samples only the named
parameters: by default a numba-compiled filter with a hand-written adjoint gradient
(:mod:`simulator.model.kalman_op`), with a pytensor ``scan`` kept as the reference. Both
take the system's matrices from :func:`simulator.model.statespace.monthly_system`. The
equations and symbols are in :mod:`simulator.model.statespace`.

PyMC, pytensor and nutpie are imported inside the functions that need them, so importing
this module stays cheap.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from simulator.config.schema import (
    FITTED_PARAMETERS,
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
from simulator.model.draws import ParameterDraws
from simulator.model.statespace import HORIZON_MONTHS, FitData, monthly_system

if TYPE_CHECKING:
    import arviz
    import pymc

__all__ = [
    "FitError",
    "Sampler",
    "build_model",
    "check_priors",
    "kalman_loglik",
    "kalman_loglik_scan",
    "posterior_draws",
    "sample_model",
    "system_tensors",
]

logger = logging.getLogger(__name__)

Sampler = Literal["nutpie", "pymc"]
Progress = Callable[[str], None]
DrawsProgress = Callable[[int, int, int], None]
POLL_SECONDS = 1.0

_LOG_2PI = math.log(2.0 * math.pi)
_MEAN_H = (HORIZON_MONTHS + 1) / 2.0
_MEAN_H2 = (HORIZON_MONTHS + 1) * (2 * HORIZON_MONTHS + 1) / 6.0
# volatilities that may not be Fixed at 0 in a fit (a walk's shock may: a constant level)
_VOLATILITIES = tuple(
    n
    for n, (_, dom, _) in PARAMETERS.items()
    if dom == "nonnegative" and n not in OPTIONAL_PARAMETERS
)


class FitError(ValueError):
    """A fit cannot start (or its inputs are unusable); the message names the culprit."""


def check_priors(priors: PriorsFile, source: str = "the priors file") -> None:
    """Refuse priors a fit must not start from.

    Raises
    ------
    FitError
        If the file is calibrated (a fit's own output: fitting it again would count the
        data twice), a volatility is ``Fixed`` at 0 (the likelihood is degenerate), or
        the term-premium persistence is ``Fixed`` at 1 or more (no stationary start).
    """
    if priors.calibrated is not None:
        cal = priors.calibrated
        raise FitError(
            f"{source} is a calibrated priors file (the posterior of a fit as of {cal.as_of}); "
            "fitting it would count the same history twice. Fit from the weakly informative "
            f"priors it was calibrated from ({cal.source_priors}) instead."
        )
    for name in _VOLATILITIES:
        prior = getattr(priors.parameters, name)
        if isinstance(prior, Fixed) and prior.value <= 0.0:
            raise FitError(
                f"{source}: parameters.{name} is Fixed at {prior.value}; a zero volatility is "
                "for unfitted runs only (the likelihood is degenerate). Give it a prior "
                "(e.g. HalfNormal) or a positive Fixed value to fit."
            )
    phi = priors.parameters.term_premium_persistence
    if isinstance(phi, Fixed) and phi.value >= 1.0:
        raise FitError(
            f"{source}: parameters.term_premium_persistence is Fixed at {phi.value}; the fit "
            "starts the term premium from its stationary distribution, which needs phi < 1."
        )


# --------------------------------------------------------------------------------------
# pytensor pieces
# --------------------------------------------------------------------------------------


def weight_A_pt(kappa: Any) -> Any:
    """Pytensor A(kappa) (see :func:`simulator.model.statespace.expectations_weight_A`)."""
    import pytensor.tensor as pt

    small = pt.lt(pt.abs(kappa), 1e-6)
    safe = pt.switch(small, 1.0, kappa)
    closed = (
        pt.exp(-safe / 12.0)
        * pt.expm1(-safe * HORIZON_MONTHS / 12.0)
        / (HORIZON_MONTHS * pt.expm1(-safe / 12.0))
    )
    m = kappa / 12.0
    mean_h, mean_h2 = _MEAN_H, _MEAN_H2
    return pt.switch(small, 1.0 - mean_h * m + 0.5 * mean_h2 * m * m, closed)


def weight_B_pt(rho: Any) -> Any:
    """Pytensor B(rho) for rho in [0, 1] (see ``inflation_weight_B``)."""
    import pytensor.tensor as pt

    d = rho - 1.0
    small = pt.lt(pt.abs(d), 1e-6)
    # safe input in the unused branch keeps its gradient finite (switch passes 0 * grad)
    safe = pt.switch(small | pt.le(rho, 0.0), 0.5, rho)
    closed = safe * pt.expm1(HORIZON_MONTHS * pt.log(safe)) / (HORIZON_MONTHS * (safe - 1.0))
    mean_h, mean_h2 = _MEAN_H, _MEAN_H2
    series = 1.0 + mean_h * d + 0.5 * (mean_h2 - mean_h) * d * d
    return pt.switch(small, series, pt.switch(pt.le(rho, 0.0), 0.0, closed))


Likelihood = Literal["numba", "scan"]


def system_tensors(params: dict[str, Any], weight_a: Any) -> tuple[Any, ...]:
    """(T, Q, H, R, m0, P0), float64 tensors: :func:`~.statespace.monthly_system` stacked."""
    import pytensor.tensor as pt

    def stack(entries: Any) -> Any:
        if isinstance(entries, tuple):
            return pt.stack([stack(e) for e in entries])
        return pt.cast(pt.as_tensor_variable(entries), "float64")

    return tuple(stack(part) for part in monthly_system(params, weight_a))


def kalman_loglik_scan(y: Any, mask: np.ndarray, *system: Any) -> Any:
    """The reference filter as a pytensor ``scan``: same recursions as the numba Op.

    ``y`` (n, J) and ``mask`` (n, J) as in :class:`~simulator.model.kalman_op.KalmanLoglik`;
    ``system`` is (T, Q, H, R, m0, P0). A masked-out observation is computed and then
    given weight 0.
    """
    import pytensor
    import pytensor.tensor as pt

    trans, q, h, r, m0, p0 = system
    n_obs = int(mask.shape[1])

    def update(obs: Any, present: Any, m: Any, p: Any, j: int) -> tuple[Any, Any, Any]:
        ph = pt.dot(p, h[j])
        f = pt.dot(h[j], ph) + r[j]
        innov = obs - pt.dot(h[j], m)
        ll = present * (-0.5 * (_LOG_2PI + pt.log(f) + innov * innov / f))
        k = present * ph / f
        return m + k * innov, p - pt.outer(k, k) * f, ll

    def step(obs: Any, present: Any, m: Any, p: Any, *_: Any) -> tuple[Any, Any, Any]:
        total = pt.constant(0.0, dtype="float64")
        for j in range(n_obs):
            m, p, ll = update(obs[j], present[j], m, p, j)
            total = total + ll
        return pt.dot(trans, m), pt.dot(pt.dot(trans, p), trans.T) + q, total

    outputs = pytensor.scan(
        step,
        sequences=[y, pt.as_tensor_variable(mask.astype(np.float64))],
        outputs_info=[m0, p0, None],
        non_sequences=[trans, q, h, r],
        return_updates=False,
        name="kalman_filter",
    )
    return pt.sum(outputs[2])


def kalman_loglik(y: Any, mask: np.ndarray, *system: Any, likelihood: Likelihood = "numba") -> Any:
    """log p(observations) with the states integrated out: the numba Op or the scan.

    Parameters
    ----------
    y : (n, J) tensor
        Observations (any value where masked out): here the 10y net of r A + beta g B,
        and ACM.
    mask : (n, J) array
        1 where an observation is present.
    *system : tensors
        (T, Q, H, R, m0, P0), from :func:`system_tensors`.
    likelihood : {"numba", "scan"}
        :class:`~simulator.model.kalman_op.KalmanLoglik` (compiled filter, adjoint
        gradient) or :func:`kalman_loglik_scan` (the reference).

    Returns
    -------
    scalar tensor
    """
    if likelihood == "scan":
        return kalman_loglik_scan(y, mask, *system)
    from simulator.model.kalman_op import KalmanLoglik

    return KalmanLoglik()(y, mask.astype(np.float64), *system)


def _from_unconstrained_pt(name: str, z: Any) -> Any:
    import pytensor.tensor as pt

    domain = PARAMETERS[name][1]
    if domain == "unit":
        return pt.sigmoid(z)
    if domain in ("positive", "nonnegative"):
        return pt.exp(z)
    return z


def _prior_dist(prior: Normal | StudentT) -> Any:
    """An unnamed PyMC distribution for a real-line prior (for its log-density)."""
    import pymc as pm

    if isinstance(prior, Normal):
        return pm.Normal.dist(mu=prior.mu, sigma=prior.sigma)
    return pm.StudentT.dist(nu=prior.nu, mu=prior.mu, sigma=prior.sigma)


FOLDED_SCALES = ("neutral_rate_shock_pp", "term_premium_mean_shock_pp", "y10_noise_pp")
"""Scales whose posterior reaches 0 (the walks' shocks, the 10y's noise), sampled folded
(:func:`_folded_scale`) when their prior is HalfNormal."""


def _folded_scale(name: str, prior: HalfNormal) -> Any:
    """sigma = s |z|, z ~ N(0, 1): a HalfNormal(s) scale without the log transform's funnel.

    The filter sees only sigma^2 = s^2 z^2, smooth through z = 0, so a scale the data
    cannot tell from 0 (a walk from a constant level, a 10y the states fit exactly) is
    no boundary for NUTS (on the log scale it is a long, flat tail into a funnel). z's
    sign is unidentified; diagnostics look at sigma.
    """
    import pymc as pm
    import pytensor.tensor as pt

    z = pm.Normal(f"{name}_folded", 0.0, 1.0)
    return pm.Deterministic(name, prior.sigma * pt.abs(z))


def _prior_rv(name: str, prior: object) -> Any:
    """The PyMC random variable (or constant) for one marginal prior."""
    import pymc as pm
    import pytensor.tensor as pt

    if isinstance(prior, Fixed):
        return pm.Deterministic(name, pt.as_tensor_variable(np.float64(prior.value)))
    if isinstance(prior, Normal):
        return pm.Normal(name, mu=prior.mu, sigma=prior.sigma)
    if isinstance(prior, TruncatedNormal):
        return pm.TruncatedNormal(
            name, mu=prior.mu, sigma=prior.sigma, lower=prior.lower, upper=prior.upper
        )
    if isinstance(prior, LogNormal):
        return pm.LogNormal(name, mu=prior.mu, sigma=prior.sigma)
    if isinstance(prior, Beta):
        return pm.Beta(name, alpha=prior.alpha, beta=prior.beta)
    if isinstance(prior, Gamma):
        return pm.Gamma(name, alpha=prior.alpha, beta=prior.beta)
    if isinstance(prior, HalfNormal):
        return pm.HalfNormal(name, sigma=prior.sigma)
    if isinstance(prior, Uniform):
        return pm.Uniform(name, lower=prior.lower, upper=prior.upper)
    if isinstance(prior, StudentT):
        return pm.StudentT(name, nu=prior.nu, mu=prior.mu, sigma=prior.sigma)
    raise FitError(f"parameters.{name}: unsupported prior {type(prior).__name__}")


def build_model(
    priors: PriorsFile,
    data: FitData,
    *,
    source: str = "the priors file",
    likelihood: Likelihood = "numba",
) -> pymc.Model:
    """Build the PyMC model of the dynamics on a fit window.

    Each parameter gets its marginal prior (``Fixed``: a constant, recorded as a
    deterministic). Parameters in a ``joint`` block are instead one multivariate normal on
    the unconstrained scale (logit / log / identity), written non-centred:
    ``z = mean + L eps``, ``eps ~ N(0, I)``, L the Cholesky factor of the covariance.
    The likelihood is the inflation gap's AR(1) (conditional on the first month) plus the
    Kalman-filter likelihood of the 10y and ACM observations (a ``Potential``).

    Parameters
    ----------
    priors : PriorsFile
        Weakly informative priors (a calibrated file is refused).
    data : FitData
        The fit window.
    source : str
        The priors file's name, for error messages.
    likelihood : {"numba", "scan"}
        The filter behind the 10y/ACM likelihood (:func:`kalman_loglik`); the scan is
        the slow reference.

    Returns
    -------
    pymc.Model
        Free variables: the non-Fixed parameters (and ``joint_eps`` with a joint block;
        never an engine-only parameter such as ``neutral_rate_news_loading``),
        except that a Normal or StudentT ``inflation_loading`` (beta) is sampled as
        ``inflation_effect`` = beta B(rho), the 10y's loading on the inflation gap, with
        beta's prior and the Jacobian 1/B(rho) as a potential; beta is a deterministic.

    Raises
    ------
    FitError
        See :func:`check_priors`.
    """
    import pymc as pm
    import pytensor.tensor as pt

    check_priors(priors, source)
    joint = priors.joint
    joint_names = set(joint.parameters) if joint is not None else set()
    coords = {"month": data.dates.strftime("%Y-%m").tolist()}
    with pm.Model(coords=coords) as model:
        params: dict[str, Any] = {}
        beta_prior = priors.parameters.inflation_loading
        # beta and rho meet in the 10y only as beta B(rho): sampling that product instead
        # of beta removes the banana that gave divergences on simulated histories
        # (rho -> 1 with beta -> 0). Only for real-line priors, so the flat product
        # never leaves beta's support.
        beta_real = beta_prior if isinstance(beta_prior, Normal | StudentT) else None
        effect_reparam = beta_real is not None and "inflation_loading" not in joint_names
        # engine-only parameters (lambda) are not in the month-end model at all
        for name, prior in priors.parameters.fitted_items():
            if name in FOLDED_SCALES and isinstance(prior, HalfNormal) and name not in joint_names:
                params[name] = _folded_scale(name, prior)
            elif name not in joint_names and not (name == "inflation_loading" and effect_reparam):
                params[name] = _prior_rv(name, prior)
        if joint is not None:
            chol = np.linalg.cholesky(np.asarray(joint.covariance, dtype=np.float64))
            model.add_coord("joint_parameter", joint.parameters)
            eps = pm.Normal("joint_eps", 0.0, 1.0, dims="joint_parameter")
            z = pt.as_tensor_variable(np.asarray(joint.mean)) + pt.dot(chol, eps)
            for j, name in enumerate(joint.parameters):
                params[name] = pm.Deterministic(name, _from_unconstrained_pt(name, z[j]))

        rho = params["inflation_persistence"]
        if beta_real is not None and effect_reparam:
            b_rho = weight_B_pt(rho)
            effect = pm.Flat("inflation_effect")
            beta = pm.Deterministic("inflation_loading", effect / b_rho)
            # density of effect = beta B(rho) given rho: p_beta(effect / B) / B
            pm.Potential(
                "inflation_loading_prior", pm.logp(_prior_dist(beta_real), beta) - pt.log(b_rho)
            )
            params["inflation_loading"] = beta
        g = data.inflation_gap
        pm.Normal(
            "inflation_gap",
            mu=rho * g[:-1],
            sigma=params["inflation_shock_pp"],
            observed=g[1:],
        )
        weight_a = weight_A_pt(params["mean_reversion_per_year"])
        # the policy-rate and inflation parts of EC; the neutral-rate part (1 - A) n_t is
        # a state of the filter
        known = data.policy_rate * weight_a + params["inflation_loading"] * g * weight_B_pt(rho)
        obs = pt.stack([pt.as_tensor_variable(data.y10) - known, data.acm_tp], axis=1)
        mask = np.stack([data.y10_mask, data.acm_mask], axis=1)
        system = system_tensors(params, weight_a)
        ll = kalman_loglik(obs, mask, *system, likelihood=likelihood)
        pm.Potential("y10_acm_loglik", ll)
    return model


# --------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------


def sample_model(
    model: pymc.Model,
    *,
    sampler: Sampler = "nutpie",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int,
    cores: int | None = None,
    progress: Progress | None = None,
    draws_progress: DrawsProgress | None = None,
) -> arviz.InferenceData:
    """Sample the posterior with NUTS.

    nutpie is compiled through numba *without* fastmath, so a cold and a cached compile
    give the same chains for the same seed (checked here). Warm-up draws are discarded.

    Parameters
    ----------
    model : pymc.Model
        From :func:`build_model`.
    sampler : {"nutpie", "pymc"}
    chains, draws, tune : int
        Chains, kept draws per chain, tuning steps per chain.
    seed : int
        Random seed (the fit derives it from the cache key).
    cores : int, optional
        Chains run in parallel (default: min(chains, CPU count)).
    progress : callable, optional
        Called with short stage messages ("compiling ...", "sampling ...").
    draws_progress : callable, optional
        nutpie only: called about once a second while sampling with (draws done, total
        draws, divergences after tuning so far), tuning draws included. In a notebook
        nutpie shows its own progress bar instead.

    Returns
    -------
    arviz.InferenceData
        With ``posterior`` and ``sample_stats`` groups.
    """
    cores = cores or max(1, min(chains, os.cpu_count() or 1))
    say = progress or (lambda _msg: None)
    if sampler == "nutpie":
        import nutpie
        import pytensor

        say("compiling the model for nutpie (numba, no fastmath)")
        t0 = time.perf_counter()
        with pytensor.config.change_flags(numba__fastmath=False):
            compiled = nutpie.compile_pymc_model(model, backend="numba", fastmath=False)
        t1 = time.perf_counter()
        say(f"sampling {chains} chains x ({tune} tune + {draws} draws) with nutpie")
        settings = {"draws": draws, "tune": tune, "chains": chains, "cores": cores, "seed": seed}
        idata = _nutpie_sample(compiled, settings, draws_progress)
        # wall times of this fit, for the run's timings (kept in a cached posterior.nc)
        idata["posterior"].attrs["compile_s"] = t1 - t0
        idata["posterior"].attrs["sampling_s"] = time.perf_counter() - t1
    elif sampler == "pymc":
        import pymc as pm

        say(f"sampling {chains} chains x ({tune} tune + {draws} draws) with PyMC NUTS")
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
            model=model,
        )
    else:
        raise FitError(f"unknown sampler {sampler!r}; expected 'nutpie' or 'pymc'")
    say("sampling done")
    return idata


def _nutpie_sample(
    compiled: Any, settings: dict[str, int], draws_progress: DrawsProgress | None
) -> arviz.InferenceData:
    """nutpie's sampler; with ``draws_progress``, polled in the background (same chains)."""
    import nutpie
    from nutpie.sample import in_notebook

    notebook = bool(in_notebook())
    if draws_progress is None or notebook:
        return nutpie.sample(compiled, **settings, save_warmup=False, progress_bar=notebook)
    # the warm-up is kept while sampling so a snapshot counts its draws, and dropped after
    sampler = nutpie.sample(
        compiled, **settings, save_warmup=True, progress_bar=False, blocking=False
    )
    total = settings["chains"] * (settings["tune"] + settings["draws"])
    while True:
        try:
            idata = sampler.wait(timeout=POLL_SECONDS)
            break
        except TimeoutError:
            done, divergences = _draws_done(sampler.inspect())
            draws_progress(min(done, total), total, divergences)
    draws_progress(total, total, int(idata["sample_stats"]["diverging"].sum()))
    import arviz as az

    return az.InferenceData(**{g: idata[g] for g in idata.groups() if not g.startswith("warmup")})


def _draws_done(snapshot: arviz.InferenceData) -> tuple[int, int]:
    """(draws done, divergences after tuning) in a snapshot of a running sampler."""
    done, divergences = 0, 0
    for group in ("warmup_sample_stats", "sample_stats"):
        if group in snapshot.groups():
            stats = snapshot[group]
            # chains run unevenly: a snapshot pads the shorter ones with NaN
            done += int(np.isfinite(stats["step_size"].values).sum())
    if "sample_stats" in snapshot.groups():
        divergences = int(np.nansum(snapshot["sample_stats"]["diverging"].values))
    return done, divergences


def posterior_draws(
    idata: arviz.InferenceData, meta: dict[str, object] | None = None
) -> ParameterDraws:
    """Flatten the posterior (chain-major) into :class:`ParameterDraws` for the engine.

    The engine-only parameters are not in the posterior; they take their
    ``OPTIONAL_PARAMETERS`` default here, and a fitted run draws them from their prior
    (:func:`simulator.model.draws.with_engine_only`).
    """
    post = idata["posterior"]
    values = {}
    for name in FITTED_PARAMETERS:
        arr = np.asarray(post[name].values, dtype=np.float64)
        values[name] = np.ascontiguousarray(arr.reshape(-1))
    return ParameterDraws(values=values, source="posterior", meta=dict(meta or {}))


def seed_from_key(key: str) -> int:
    """A sampler seed from a hex cache key (its first 15 hex digits: < 2**60)."""
    return int(key[:15], 16)
