"""Convergence diagnostics of a fit, over the named scalar parameters.

Thresholds (docs/fitting.md): R-hat <= 1.01, bulk and tail ESS >= 400, no
divergences. ``Fixed`` parameters (constant in every draw) are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import numpy as np

from simulator.config.schema import FITTED_PARAMETERS

if TYPE_CHECKING:
    import arviz

__all__ = ["ESS_MIN", "RHAT_MAX", "Diagnostics", "diagnose", "problems"]

RHAT_MAX = 1.01
ESS_MIN = 400.0


class Diagnostics(TypedDict):
    """The keys summary.json carries under ``diagnostics`` (besides fitted/sampler)."""

    r_hat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    max_tree_depth_hits: int


def sampled_parameters(idata: arviz.InferenceData) -> list[str]:
    """The schema parameters that vary across the posterior draws (not Fixed)."""
    post = idata["posterior"]
    return [n for n in FITTED_PARAMETERS if n in post and float(np.ptp(post[n].values)) > 0.0]


def diagnose(idata: arviz.InferenceData) -> Diagnostics:
    """R-hat, ESS, divergences and tree-depth hits of a posterior.

    Parameters
    ----------
    idata : arviz.InferenceData
        From nutpie or PyMC (their ``sample_stats`` names differ; both are read).

    Returns
    -------
    Diagnostics
        ``r_hat_max`` and ``ess_*_min`` over the sampled named parameters.
    """
    import arviz as az

    names = sampled_parameters(idata)
    post = idata["posterior"][names]
    rhat = az.rhat(post)
    bulk = az.ess(post, method="bulk")
    tail = az.ess(post, method="tail")
    stats = idata["sample_stats"]
    depth_key = next((k for k in ("maxdepth_reached", "reached_max_treedepth") if k in stats), None)
    return Diagnostics(
        r_hat_max=float(max(float(rhat[n]) for n in names)) if names else float("nan"),
        ess_bulk_min=float(min(float(bulk[n]) for n in names)) if names else float("nan"),
        ess_tail_min=float(min(float(tail[n]) for n in names)) if names else float("nan"),
        divergences=int(np.asarray(stats["diverging"].values).sum()),
        max_tree_depth_hits=int(np.asarray(stats[depth_key].values).sum()) if depth_key else 0,
    )


def problems(diag: Diagnostics) -> list[str]:
    """Warning texts for diagnostics past their thresholds (empty when the fit is fine).

    Examples
    --------
    >>> problems(Diagnostics(r_hat_max=1.02, ess_bulk_min=900.0, ess_tail_min=800.0,
    ...                      divergences=0, max_tree_depth_hits=0))
    ['R-hat 1.020 > 1.01: the chains disagree; run longer (more draws/tune)']
    """
    out = []
    if not diag["r_hat_max"] <= RHAT_MAX:
        out.append(
            f"R-hat {diag['r_hat_max']:.3f} > {RHAT_MAX}: the chains disagree; "
            "run longer (more draws/tune)"
        )
    for key, label in (("ess_bulk_min", "bulk"), ("ess_tail_min", "tail")):
        if not diag[key] >= ESS_MIN:  # type: ignore[literal-required]
            out.append(
                f"{label} ESS {diag[key]:.0f} < {ESS_MIN:.0f}: too few "  # type: ignore[literal-required]
                "effective draws for stable tail estimates; run more draws"
            )
    if diag["divergences"] > 0:
        out.append(
            f"{diag['divergences']} divergent transitions: the posterior may be biased; "
            "check priors and parameterisation"
        )
    return out
