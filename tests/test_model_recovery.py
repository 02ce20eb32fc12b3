"""Parameter recovery: simulate a history from known parameters, fit it with NUTS, check
the truth sits inside the posterior's 90% intervals. Slow tier (real nutpie fits).
Tolerance, with the working. If the 90% intervals are calibrated, each of the 13 checks
of a fit misses with probability 0.1; treating the checks as independent:
- per fit (13 checks): P(more than 5 miss) = binom.sf(5, 13, 0.1) = 0.0009, so a fit with
  6+ misses is a real failure, not bad luck. (At most 1 miss, the obvious rule, fails a
  correct model with P = binom.sf(1, 13, 0.1) = 0.38 per fit: far too often.)
- per configuration, pooled over the 3 seeds (39 checks): P(more than 9 miss) =
  binom.sf(9, 39, 0.1) = 0.0042.
Both rules over the 6 fits and 2 configurations give a false-alarm rate of about
6 x 0.0009 + 2 x 0.0042 = 1.4%. The checks within a fit are positively correlated
(n* with mu_tp and the walks' shocks, rho with beta), which widens the count's spread;
the per-fit cap of 5 leaves room for that. Without ACM, the two levels separate only
through their priors (the truth is still inside the wide intervals, which is what the
test checks), and the two walks not at all, so sigma_m is fixed there (12 checks; the
same caps, slightly stricter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from model_fixtures import TRUE as BASE_TRUE

from simulator.config import load_priors
from simulator.config.schema import FITTED_PARAMETERS, PARAMETERS, Fixed
from simulator.model.commands import fit_history
from simulator.model.statespace import simulate_history

pytestmark = pytest.mark.slow

DEFAULT_PRIORS = Path(__file__).resolve().parents[1] / "priors" / "default.yaml"

# the shared point, with smaller walk shocks
TRUE = {**BASE_TRUE, "neutral_rate_shock_pp": 0.05, "term_premium_mean_shock_pp": 0.03}
SEEDS = (101, 202, 303)
MONTHS = 300
PER_FIT_MAX_MISSES = 5
POOLED_MAX_MISSES = 9


@pytest.fixture(scope="module", autouse=True)
def _no_blas_probe() -> None:
    """No BLAS probe: its UserWarning (harmless: pip links none) is an error under pytest."""
    import pytensor

    pytensor.config.blas__ldflags = ""


def _misses(acm: bool, seed: int, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    rng = np.random.default_rng(seed)
    gaps = rng.random(MONTHS) < 0.1  # ACM gaps exercise the filter's skipped rows
    truth, priors = dict(TRUE), load_priors(DEFAULT_PRIORS).config
    if not acm:
        # Without ACM the two walks reach the 10y only as (1 - A) n_t + m_t: their shocks
        # lie on a ridge the data cannot resolve (NUTS diverged on it). A fit without ACM
        # must fix one; the truth here has no TP-mean walk and the fit knows it.
        truth["term_premium_mean_shock_pp"] = 0.0
        params = priors.parameters.model_copy(
            update={"term_premium_mean_shock_pp": Fixed(dist="Fixed", value=0.0)}
        )
        priors = priors.model_copy(update={"parameters": params})
    history = simulate_history(truth, MONTHS, rng=rng, acm=acm, acm_missing=gaps)
    result = fit_history(
        priors,
        history,
        chains=2,
        draws=500,
        tune=500,
        use_cache=False,
        cores=2,
        cache_root=tmp_path_factory.mktemp("cache"),
    )
    # the walks' shocks and the 10y noise are sampled folded (fit._folded_scale): with
    # the log transform these six fits gave 1, 2, 5 (ACM) and 1, 9, 0 (no ACM) divergences;
    # folded, 0, 0, 0 and 0, 1, 0 (2026-12-03)
    assert result.diagnostics["divergences"] <= 1, result.diagnostics
    out = []
    for name in FITTED_PARAMETERS:
        if name == "term_premium_mean_shock_pp" and not acm:
            continue  # fixed at the truth
        lo, hi = np.quantile(result.draws.values[name], [0.05, 0.95])
        if not lo <= truth[name] <= hi:
            out.append(f"{name}: true {truth[name]} outside [{lo:.4g}, {hi:.4g}]")
    return out


@pytest.mark.parametrize("acm", [True, False], ids=["with_acm", "without_acm"])
def test_recovery_across_seeds(acm: bool, tmp_path_factory: pytest.TempPathFactory) -> None:
    all_misses = []
    for seed in SEEDS:
        misses = _misses(acm, seed, tmp_path_factory)
        assert len(misses) <= PER_FIT_MAX_MISSES, (seed, misses)
        all_misses += misses
    assert len(all_misses) <= POOLED_MAX_MISSES, all_misses


def test_same_key_same_posterior(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A fresh fit repeats the cached one: the seed comes from the key, no fastmath."""
    history = simulate_history(TRUE, 60, rng=np.random.default_rng(7))
    priors = load_priors(DEFAULT_PRIORS).config
    root = tmp_path_factory.mktemp("cache")
    kwargs: dict[str, Any] = {
        "chains": 2,
        "draws": 100,
        "tune": 100,
        "cores": 2,
        "cache_root": root,
    }
    first = fit_history(priors, history, **kwargs)
    cached = fit_history(priors, history, **kwargs)
    fresh = fit_history(priors, history, use_cache=False, **kwargs)
    assert not first.cache_hit and cached.cache_hit and not fresh.cache_hit
    for name in PARAMETERS:
        np.testing.assert_array_equal(first.draws.values[name], cached.draws.values[name])
        np.testing.assert_array_equal(first.draws.values[name], fresh.draws.values[name])
