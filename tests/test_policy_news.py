"""The simulated 2-year and the policy-news channel of the neutral rate (issue #17).

References no one here wrote down twice:

- **Telescoping.** The news on decision j is the change in the market's expected rate at
  the window end, -0.25 (m_j + sum E_{j+1}[m] - sum E_j[m]). Summed over the window's
  decisions it telescopes to -0.25 (K - E_0[K]): the path's net cuts against what the
  market expected at the as-of (no meeting is left after the last one).
- **The fit's form at the window end.** With no meeting left, EC = n + (r - n) A(kappa)
  over 120 months, and the 2y's EC the same over 24 (A2 = mean_{h<=24} a^h, summed here
  term by term). So on the window's last day a shift dn of the neutral rate moves the
  10y by (1 - A) dn and the 2y by (1 - A2) dn, exactly.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from simulator import api
from simulator.core.expectations import TWO_YEAR_MONTHS, expectations_component
from simulator.engine.block import run_kernel
from simulator.engine.kernel import _news_loadings, prepare_inputs
from simulator.engine.setup import build_spec
from simulator.engine.shocks import draw_shocks
from simulator.model.draws import ParameterDraws

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
LOADING = "neutral_rate_news_loading"
# one plausible point; no walks (sigma_n = sigma_m = 0), so n moves only with the news
POINT = {
    "inflation_persistence": 0.97,
    "inflation_shock_pp": 0.12,
    "inflation_loading": 0.6,
    "neutral_rate_pp": 3.0,
    "neutral_rate_shock_pp": 0.0,
    "mean_reversion_per_year": 1.5,
    "term_premium_mean_pp": 0.8,
    "term_premium_mean_shock_pp": 0.0,
    "term_premium_persistence": 0.93,
    "term_premium_shock_pp": 0.2,
    "y10_noise_pp": 0.05,
    "acm_noise_pp": 0.25,
    "acm_noise_persistence": 0.8,
}


def _draws(lam: float, **overrides: float) -> ParameterDraws:
    values = {**POINT, LOADING: lam, **overrides}
    return ParameterDraws(values={k: np.full(1, v) for k, v in values.items()}, source="prior")


def _mean_power(a: float, horizon: int) -> float:
    return math.fsum(a**h for h in range(1, horizon + 1)) / horizon


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
def test_news_moves_both_yields_by_the_telescoped_surprise(kernel: str) -> None:
    sc = api.load_scenario(BASELINE)
    lam = 0.4
    runs = {}
    for value in (0.0, lam):
        # a walk (sigma_n > 0, so the cap on lambda stays above 0.4) whose shocks are
        # zeroed, so n moves only with the news
        draws = _draws(value, neutral_rate_shock_pp=0.178)
        spec = build_spec(sc.scenario, draws, paths=3000, seed=3, kernel=kernel)
        shocks = draw_shocks(spec, 0)
        assert shocks.levels is not None
        shocks = dataclasses.replace(shocks, levels=np.zeros_like(shocks.levels))
        inp = prepare_inputs(spec, shocks)
        runs[value] = (inp, run_kernel(inp, kernel))  # type: ignore[arg-type]
        if value:
            loadings = _news_loadings(spec, spec.draws.take(shocks.draw_index))
            assert np.all(loadings == lam)  # not capped: the news is inside the walk
    inp, base = runs[0.0]
    _, news = runs[lam]
    assert inp.neutral_jump.shape[0] == 0  # lambda = 0: no news step at all
    expected_k0 = float(inp.expected_after[0, 0].sum())  # the market's E[K] at the as-of
    surprise = inp.cuts.sum(axis=1) - expected_k0
    assert np.std(surprise) > 0.5  # the paths disagree with the market
    shift = -0.25 * lam * surprise  # n at the window end minus n at the as-of
    a = math.exp(-POINT["mean_reversion_per_year"] / 12.0)
    for thin, horizon in (("thin", 120), ("thin2", 24)):
        got = getattr(news, thin)[-1] - getattr(base, thin)[-1]
        want = (1.0 - _mean_power(a, horizon)) * shift[: got.size]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # before the first decision nothing differs
    first = int(inp.decide_at.min())
    assert np.array_equal(news.thin[:first], base.thin[:first])


def test_two_year_starts_at_the_snapshot_close() -> None:
    sc = api.load_scenario(BASELINE)
    ds = api.run(sc, paths=500, seed=1, draws=_draws(0.3), threads=1).dataset
    y2_snap = sc.scenario.config.snapshot.y2_pp
    assert y2_snap is not None
    np.testing.assert_allclose(ds.y2_paths.isel(date=0), y2_snap.value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.y2.isel(date=0), y2_snap.value, rtol=0, atol=1e-12)
    assert ds.y2.attrs["units"] == "%"


def test_without_a_snapshot_2y_the_2y_is_its_expectations_component() -> None:
    sc = api.load_scenario(BASELINE)
    cfg = sc.scenario.config
    no_y2 = cfg.model_copy(update={"snapshot": cfg.snapshot.model_copy(update={"y2_pp": None})})
    spec = build_spec(type(sc.scenario)(no_y2, sc.scenario.doc), _draws(0.0), paths=50, seed=2)
    inp = prepare_inputs(spec, draw_shocks(spec, 0))
    assert math.isnan(inp.y2_0)
    agg = run_kernel(inp, "numpy")
    # at the as-of the 2y is its expectations component, S computed afresh (the kernel
    # carries exp(kappa L) and a table instead)
    ec2 = expectations_component(
        inp.rate0 * np.ones(inp.n),
        inp.neutral0,
        inp.kappa,
        inp.expected_after[0],
        inp.counts2[0],
        float(inp.years_to_end[0]),
        inp.infl_load2 * inp.gap0,
        horizon=TWO_YEAR_MONTHS,
    )
    np.testing.assert_allclose(agg.thin2[0], ec2[: agg.thin2.shape[1]], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("sigma_n", "lam", "capped"),
    [
        (0.178, 0.8, False),  # the news's variance ~12% of the walk's over the window
        (0.03, 1.0, True),  # news beyond the walk's variance: lambda capped, walk 0
    ],
)
def test_news_leaves_the_neutral_rate_variance_of_the_fit(
    sigma_n: float, lam: float, capped: bool
) -> None:
    """The walk gives up the news's share between decisions: Var(n_t - n_0) = sigma_n^2 B_t/21.

    With view = market (the baseline) decision j brings news of the market's variance
    V_j, and the walk over the business days since the previous decision gives up the
    same (kernel.news_rates). So n's variance from the as-of to any decision, and to the
    window end, is the fit's, sigma_n^2 B_t / 21 with B_t business days. Tolerance: 4
    Monte Carlo standard errors of the mean of d^2 (its sample s.d. over sqrt(paths));
    24,576 paths. Without the carve-out the window-end variance is ~14 s.e. off. Where
    the news's variance would exceed the walk's, lambda is capped (kernel._news_loadings)
    and the same holds.
    """
    from simulator.engine.kernel import _State, _step_state

    sc = api.load_scenario(BASELINE)
    values = {**POINT, "neutral_rate_shock_pp": sigma_n, LOADING: lam}
    draws = ParameterDraws(values={k: np.full(1, v) for k, v in values.items()}, source="prior")
    spec = build_spec(sc.scenario, draws, paths=3 * 8192, seed=9)
    assert spec.horizon == spec.window_end
    checks = [int(t) for t in spec.decide_at[:3]] + [len(spec.grid) - 1]
    squares: dict[int, list[np.ndarray]] = {t: [] for t in checks}
    for block in range(spec.n_blocks):
        inp = prepare_inputs(spec, draw_shocks(spec, block))
        assert inp.sigma_n.min() < sigma_n  # the walk gave up the news's share
        loadings = _news_loadings(spec, spec.draws.take(np.zeros(inp.n, dtype=np.int64)))
        assert bool(np.any(loadings < lam)) == capped
        st = _State(inp)
        for t in range(1, inp.dt_years.size):
            _step_state(inp, st, t)
            if t in squares:
                squares[t].append((st.neutral - inp.neutral0) ** 2)
    for t, parts in squares.items():
        d2 = np.concatenate(parts)
        want = sigma_n**2 * float(spec.grid_bday[t]) / 21.0
        se = d2.std() / math.sqrt(d2.size)
        assert abs(d2.mean() - want) < 4 * se, (t, d2.mean(), want, se)
