"""Plain functions the CLI calls: fit (cached), posterior-predictive summary, prior shapes.

PyMC, nutpie and ArviZ are imported only inside the functions that sample or read a
posterior, so importing this module keeps ``macrosim --help`` fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from simulator.config.schema import (
    ENGINE_ONLY_PARAMETERS,
    FITTED_PARAMETERS,
    PARAMETERS,
    PriorsFile,
)
from simulator.model import cache
from simulator.model.diagnostics import Diagnostics, diagnose, problems
from simulator.model.draws import ParameterDraws, draw_parameters, with_engine_only
from simulator.model.fit import Sampler, check_priors, posterior_draws, seed_from_key
from simulator.model.kalman import kalman_smoother, levels_at_end
from simulator.model.statespace import (
    MODEL_VERSION,
    FitData,
    expectations_weight_A,
    fit_data,
    inflation_weight_B,
)

if TYPE_CHECKING:
    import arviz

    from simulator.config.loader import Loaded

__all__ = [
    "FitResult",
    "fit_history",
    "fit_posterior",
    "posterior_predictive_summary",
    "prior_predictive",
]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class FitResult:
    """A fitted posterior and how it was obtained.

    Attributes
    ----------
    draws : ParameterDraws
        ``source="posterior"``, chains concatenated (chain-major): the model's parameters,
        ``neutral_rate_pp`` and ``term_premium_mean_pp`` being levels in the window's
        first month.
    draws_as_of : ParameterDraws
        The same draws with those two levels moved to the window's last month
        (:func:`simulator.model.kalman.levels_at_end`): what a simulation starting at the
        end of the window uses, and what a calibrated priors file records.
    idata : arviz.InferenceData or None
        None when a cached fit was reused through the fast path (draws and diagnostics
        only); ``posterior_file`` then points at the cached ``posterior.nc``.
    diagnostics : Diagnostics
        r_hat_max, ess_bulk_min, ess_tail_min, divergences, max_tree_depth_hits.
    cache_hit : bool
    cache_key : str
    fit_start, fit_end : str
        The fit window actually used, YYYY-MM.
    sampler : str
    data_sha256 : str
        Hash of the history passed to the fit.
    warnings : list of str
        :func:`simulator.model.diagnostics.problems` of the diagnostics.
    """

    draws: ParameterDraws
    idata: arviz.InferenceData | None
    diagnostics: Diagnostics
    cache_hit: bool
    cache_key: str
    fit_start: str = ""
    fit_end: str = ""
    sampler: str = "nutpie"
    data_sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    posterior_file: Path | None = None
    draws_as_of: ParameterDraws | None = None


def _as_of(draws: ParameterDraws, data: FitData, key: str) -> ParameterDraws:
    """:func:`levels_at_end` of the draws, seeded from the fit's cache key."""
    rng = np.random.default_rng(np.random.SeedSequence(seed_from_key(key), spawn_key=(7,)))
    meta = {**draws.meta, "levels": f"as of {data.end} (filtered)"}
    values = levels_at_end(draws.values, data, rng)
    return ParameterDraws(values=values, source=draws.source, meta=meta)


def _engine_only(draws: ParameterDraws, priors: PriorsFile, key: str) -> ParameterDraws:
    """The posterior draws plus the engine-only parameters drawn from their priors.

    The fit does not see them (:data:`~simulator.config.schema.ENGINE_ONLY_PARAMETERS`),
    so a fitted run draws them from the priors file, seeded from the fit's cache key on a
    stream of their own (the posterior draws and the levels at the end do not change).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed_from_key(key), spawn_key=(8,)))
    return with_engine_only(draws, priors, rng)


def _fitted_only(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v for k, v in values.items() if k not in ENGINE_ONLY_PARAMETERS}


def fit_history(
    priors: PriorsFile,
    history: pd.DataFrame,
    *,
    fit_start: str = "1990-01",
    fit_end: str | None = None,
    sampler: Sampler = "nutpie",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    progress: Progress | None = None,
    draws_progress: Callable[[int, int, int], None] | None = None,
    use_cache: bool = True,
    cache_root: Path | None = None,
    cores: int | None = None,
    source: str = "the priors file",
) -> FitResult:
    """Fit the dynamics to a monthly history (cached; the seed comes from the cache key).

    Parameters are those of :func:`fit_posterior`, with the history given directly
    (``simulator.data.history.monthly_history`` layout) and ``cache_root`` overriding
    ``$MACROSIM_CACHE``.
    """
    check_priors(priors, source)
    data = fit_data(history, fit_start, fit_end)
    say = progress or (lambda _msg: None)
    key = cache.fit_key(
        model_version=MODEL_VERSION,
        priors=priors,
        history=history,
        fit_start=data.start,
        fit_end=data.end,
        sampler=sampler,
        chains=chains,
        draws=draws,
        tune=tune,
    )
    meta: dict[str, object] = {
        "sampler": sampler,
        "cache_key": key,
        "fit_window": f"{data.start}..{data.end}",
    }
    fast = cache.load_fast(key, cache_root) if use_cache else None
    if fast is not None:
        values, diag_fast = fast
        say(f"using the cached fit {key[:12]}")
        found_fast = problems(diag_fast)  # type: ignore[arg-type]
        raw = ParameterDraws(values=_fitted_only(values), source="posterior", meta=meta)
        raw = _engine_only(raw, priors, key)
        return FitResult(
            draws=raw,
            draws_as_of=_as_of(raw, data, key),
            idata=None,
            diagnostics=diag_fast,  # type: ignore[arg-type]
            cache_hit=True,
            cache_key=key,
            fit_start=data.start,
            fit_end=data.end,
            sampler=sampler,
            data_sha256=cache.history_sha256(history),
            warnings=found_fast,
            posterior_file=cache.posterior_file(key, cache_root),
        )
    idata = cache.load_posterior(key, cache_root) if use_cache else None
    hit = idata is not None
    if idata is None:
        from simulator.model.fit import build_model, sample_model

        say(f"fitting {data.n_months} months {data.start}..{data.end}")
        model = build_model(priors, data, source=source)
        idata = sample_model(
            model,
            sampler=sampler,
            chains=chains,
            draws=draws,
            tune=tune,
            seed=seed_from_key(key),
            cores=cores,
            progress=progress,
            draws_progress=draws_progress,
        )
        if use_cache:
            cache.store_posterior(key, idata, cache_root)
    else:
        say(f"using the cached fit {key[:12]}")
    diag = diagnose(idata)
    found = problems(diag)
    for text in found:
        logger.warning("fit diagnostics: %s", text)
    post_draws = posterior_draws(idata, meta)
    if use_cache:
        # the cache holds the fit's draws only (its key does not see engine-only priors)
        cache.store_fast(key, _fitted_only(post_draws.values), dict(diag), cache_root)
    post_draws = _engine_only(post_draws, priors, key)
    return FitResult(
        draws=post_draws,
        draws_as_of=_as_of(post_draws, data, key),
        idata=idata,
        diagnostics=diag,
        cache_hit=hit,
        cache_key=key,
        fit_start=data.start,
        fit_end=data.end,
        sampler=sampler,
        data_sha256=cache.history_sha256(history),
        warnings=found,
        posterior_file=cache.posterior_file(key, cache_root) if use_cache else None,
    )


def fit_posterior(
    priors_loaded: Loaded[PriorsFile] | PriorsFile,
    data_dir: str | Path,
    as_of: str | Any,
    *,
    fit_start: str = "1990-01",
    sampler: Sampler = "nutpie",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    progress: Progress | None = None,
    use_cache: bool = True,
    draws_progress: Callable[[int, int, int], None] | None = None,
) -> FitResult:
    """Fit the dynamics to the history public on ``as_of`` (what ``macrosim fit`` runs).

    Parameters
    ----------
    priors_loaded : Loaded[PriorsFile] or PriorsFile
        Weakly informative priors (a calibrated file is refused with :class:`FitError`).
    data_dir : str or Path
        Data folder (layout of ``shared/data``).
    as_of : date-like
        Only data public on this date is used.
    fit_start : str
        First month of the fit window, YYYY-MM (default 1990-01).
    sampler : {"nutpie", "pymc"}
    chains, draws, tune : int
    progress : callable, optional
        Receives short stage messages.
    use_cache : bool
        Read and write ``$MACROSIM_CACHE``.
    draws_progress : callable, optional
        ``(draws done, total, divergences so far)`` while nutpie samples
        (:func:`simulator.model.fit.sample_model`).

    Returns
    -------
    FitResult

    Raises
    ------
    FitError
        Calibrated priors, Fixed zero volatilities, or an unusable history.
    """
    from simulator.data.history import monthly_history

    if isinstance(priors_loaded, PriorsFile):
        priors, source = priors_loaded, "the priors file"
    else:
        priors, source = priors_loaded.config, str(priors_loaded.path)
    check_priors(priors, source)
    history = monthly_history(data_dir, as_of, start=fit_start)
    return fit_history(
        priors,
        history,
        fit_start=fit_start,
        sampler=sampler,
        chains=chains,
        draws=draws,
        tune=tune,
        progress=progress,
        draws_progress=draws_progress,
        use_cache=use_cache,
        source=source,
    )


def posterior_predictive_summary(
    fit_result: FitResult,
    history: pd.DataFrame,
    *,
    max_draws: int = 500,
    rng: np.random.Generator | None = None,
) -> xr.Dataset:
    """Fitted-vs-observed 10y and term premium over the fit window, for a PPC plot.

    For each of up to ``max_draws`` posterior draws (evenly thinned), the Kalman smoother
    gives x_t | all data; a draw of the fitted 10y is ``EC_t + mu_tp + x_t + sigma_y v_t``
    and of the term premium ``mu_tp + x_t`` (marginally per month). Means and 90% bands
    (5%, 50%, 95% quantiles) follow.

    Parameters
    ----------
    fit_result : FitResult
    history : pandas.DataFrame
        The history the fit used.
    max_draws : int
    rng : numpy.random.Generator, optional
        Default: seeded from the fit's cache key (so the summary is reproducible).

    Returns
    -------
    xarray.Dataset
        Dims ``date`` and ``quantile``: ``y10_observed``, ``acm_tp_observed`` (NaN where
        missing), ``y10_fitted_mean``, ``y10_fitted``, ``term_premium_mean``,
        ``term_premium``, ``expectations_mean``, ``expectations``; values in %.
    """
    if rng is None:
        rng = np.random.default_rng(seed_from_key(fit_result.cache_key))
    data = fit_data(history, fit_result.fit_start, fit_result.fit_end)
    values = fit_result.draws.values
    n = fit_result.draws.n
    pick = np.unique(np.linspace(0, n - 1, min(n, max_draws)).round().astype(int))
    p = {name: values[name][pick] for name in FITTED_PARAMETERS}
    sm, sv = kalman_smoother(p, data)  # (D, T, 4), (D, T, 4, 4)
    # per-month draws of the smoothed state (x, a, n, m); the bands are per month
    chol = np.linalg.cholesky(sv + 1e-12 * np.eye(sv.shape[-1]))
    state = sm + np.einsum("dtij,dtj->dti", chol, rng.standard_normal(sm.shape))
    x, n_t, m_t = state[..., 0], state[..., 2], state[..., 3]
    a_w = expectations_weight_A(p["mean_reversion_per_year"])[:, None]
    b_w = inflation_weight_B(p["inflation_persistence"])[:, None]
    ec = n_t + (data.policy_rate[None, :] - n_t) * a_w
    ec = ec + p["inflation_loading"][:, None] * data.inflation_gap[None, :] * b_w
    tp = m_t + x
    noise = p["y10_noise_pp"][:, None] * rng.standard_normal(x.shape)
    y_fit = ec + tp + noise
    q = np.asarray(QUANTILES)
    dims_q = ("date", "quantile")
    ds = xr.Dataset(
        {
            "y10_observed": ("date", np.where(data.y10_mask, data.y10, np.nan)),
            "acm_tp_observed": ("date", np.where(data.acm_mask, data.acm_tp, np.nan)),
            "y10_fitted_mean": ("date", y_fit.mean(axis=0)),
            "y10_fitted": (dims_q, np.quantile(y_fit, q, axis=0).T),
            "term_premium_mean": ("date", tp.mean(axis=0)),
            "term_premium": (dims_q, np.quantile(tp, q, axis=0).T),
            "expectations_mean": ("date", ec.mean(axis=0)),
            "expectations": (dims_q, np.quantile(ec, q, axis=0).T),
        },
        coords={"date": data.dates.values, "quantile": q},
        attrs={
            "units": "percent",
            "band": "90% (quantiles 0.05 and 0.95)",
            "posterior_draws_used": int(pick.size),
            "cache_key": fit_result.cache_key,
            "fit_window": f"{data.start}..{data.end}",
        },
    )
    return ds


def prior_predictive(priors: PriorsFile, n: int, rng: np.random.Generator) -> xr.Dataset:
    """Prior draws of the parameters and the shapes they imply, for ``priors show``.

    Parameters
    ----------
    priors : PriorsFile
    n : int
        Number of draws.
    rng : numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        Dim ``draw`` (length n): the model parameters, plus ``expectations_weight`` (A),
        ``inflation_weight`` (B), ``inflation_half_life_months``,
        ``term_premium_half_life_months``, ``term_premium_sd_pp`` (stationary sd of TP),
        ``inflation_gap_sd_pp`` (stationary sd of g; inf for rho = 1).

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.config import load_priors
    >>> pf = load_priors("priors/default.yaml").config
    >>> prior_predictive(pf, 100, np.random.default_rng(0))["expectations_weight"].shape
    (100,)
    """
    draws = draw_parameters(priors, n, rng=rng)
    v = draws.values
    rho, phi = v["inflation_persistence"], v["term_premium_persistence"]
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = {
            "expectations_weight": expectations_weight_A(v["mean_reversion_per_year"]),
            "inflation_weight": inflation_weight_B(rho),
            "inflation_half_life_months": np.log(0.5) / np.log(rho),
            "term_premium_half_life_months": np.log(0.5) / np.log(phi),
            "term_premium_sd_pp": v["term_premium_shock_pp"] / np.sqrt(1.0 - phi**2),
            "inflation_gap_sd_pp": v["inflation_shock_pp"] / np.sqrt(1.0 - rho**2),
        }
    data_vars = {name: ("draw", v[name]) for name in PARAMETERS}
    data_vars.update({k: ("draw", np.asarray(x, dtype=np.float64)) for k, x in derived.items()})
    ds = xr.Dataset(data_vars, coords={"draw": np.arange(n)})
    for name, (symbol, domain, text) in PARAMETERS.items():
        ds[name].attrs.update(symbol=symbol, domain=domain, description=text)
    ds.attrs["source"] = draws.source
    return ds
