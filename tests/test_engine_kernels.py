"""The compiled engine kernel against the numpy reference, on the same shocks.

Both kernels consume one block's shocks (:func:`simulator.engine.shocks.draw_shocks`)
through the same :class:`~simulator.engine.kernel.KernelInputs`. The compiled one takes
the expected-cut products from the reference's own numpy expressions and adds the rest
in the same order, so paths agree bit for bit in practice. Tested: values within 1e-12,
touch flags exact, histogram counts exact, sums over paths within 1e-12 relative (path
order vs numpy's pairwise order).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator import api
from simulator.engine.block import block_aggregates, run_kernel, simulate_block
from simulator.engine.kernel import prepare_inputs
from simulator.engine.setup import build_spec
from simulator.engine.shocks import draw_shocks, zero_shocks

REPO = Path(__file__).resolve().parents[1]
CASES = [
    ("scenarios/baseline.yaml", "daily"),
    ("scenarios/baseline.yaml", "weekly"),  # the Brownian bridge between grid dates
    ("scenarios/research-view.yaml", "daily"),  # events and seasonal drift
    ("scenarios/recession-risk.yaml", "weekly"),  # a mixture drawn per path
    ("tests/fixtures/engine/inside_window.yaml", "daily"),  # moves already decided
]


def _spec(path: str, grid: str, paths: int = 2000, seed: int = 11):  # type: ignore[no-untyped-def]
    sc = api.load_scenario(REPO / path)
    return build_spec(sc.scenario, api.parameter_draws(sc, 5), paths=paths, seed=seed, grid=grid)


@pytest.mark.parametrize(("path", "grid"), CASES)
def test_compiled_kernel_matches_the_reference_on_the_same_shocks(path: str, grid: str) -> None:
    spec = _spec(path, grid)
    inp = prepare_inputs(spec, draw_shocks(spec, 0))
    ref, fast = run_kernel(inp, "numpy"), run_kernel(inp, "compiled")
    # per-path values: read dates, the horizon, the sample paths
    for name in ("y_read", "log_read", "rpost_read", "e_read", "y_end", "thin", "thin2"):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0, atol=1e-12)
    # touch flags exactly (daily closes), bridge probabilities to rounding (weekly)
    if grid == "daily":
        assert np.array_equal(fast.touched_end, ref.touched_end)
    np.testing.assert_allclose(fast.touched_end, ref.touched_end, rtol=0, atol=1e-12)
    # sums over paths: path order vs numpy's pairwise order, relative 1e-12
    for name in ("sums", "touch_sum", "touch_sq", "first_touch"):
        a, b = getattr(fast, name), getattr(ref, name)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max(initial=1.0))
    # histogram counts: a count could move only with a value within rounding (~1e-15) of
    # a bin edge; the paths here agree to the last bit, so every count is equal
    assert np.array_equal(fast.hist, ref.hist)


def test_both_kernels_give_the_same_block_aggregates() -> None:
    spec = _spec("scenarios/research-view.yaml", "weekly")
    shocks = draw_shocks(spec, 0)
    a = block_aggregates(spec, 0, shocks, "numpy")
    b = block_aggregates(spec, 0, shocks, "compiled")
    assert a.ints.keys() == b.ints.keys() and a.floats.keys() == b.floats.keys()
    for k in a.ints:
        assert np.array_equal(a.ints[k], b.ints[k]), k
    for k in a.floats:
        np.testing.assert_allclose(b.floats[k], a.floats[k], rtol=1e-12, atol=1e-12, err_msg=k)


def test_zero_shocks_give_the_deterministic_term_premium_path() -> None:
    """With no shocks the TP deviation decays as x_0 prod phi_k, from x_0 = y_0 - EC_0 - mu."""
    spec = _spec("scenarios/baseline.yaml", "daily")
    assert not np.any(spec.components[0].drift_pp) and not spec.components[0].events
    inp = prepare_inputs(spec, zero_shocks(spec, 3))
    for kernel in ("numpy", "compiled"):
        agg = run_kernel(inp, kernel)  # type: ignore[arg-type]
        y0, tp, ec = agg.sums[0] / 3, agg.sums[2] / 3, agg.sums[3] / 3
        assert y0[0] == pytest.approx(spec.y10_0_pp, abs=1e-13)
        x0 = spec.y10_0_pp - ec[0] - inp.tp_mean0[0]
        decay = np.cumprod(np.r_[1.0, inp.ar1_coef[inp.ar1_col[1:], 0]])
        np.testing.assert_allclose(tp, inp.tp_mean0[0] + x0 * decay, rtol=0, atol=1e-12)
        # every path is the same path
        assert np.all(agg.thin == agg.thin[:, :1])


def test_hand_made_shock_moves_one_path_only() -> None:
    """A single +1 TP shock on path 0 at the first step raises its 10y by sd_1 phi^k."""
    spec = _spec("scenarios/baseline.yaml", "daily")
    base = zero_shocks(spec, 2)
    tp = base.term_premium.copy()
    tp[0, 0] = 1.0
    shocked = type(base)(**{**base.__dict__, "term_premium": tp})
    for kernel in ("numpy", "compiled"):
        a = run_kernel(prepare_inputs(spec, base), kernel)  # type: ignore[arg-type]
        b = run_kernel(prepare_inputs(spec, shocked), kernel)  # type: ignore[arg-type]
        inp = prepare_inputs(spec, base)
        sd1 = inp.ar1_sd[inp.ar1_col[1], 0]
        decay = np.cumprod(np.r_[1.0, inp.ar1_coef[inp.ar1_col[2:], 0]])
        np.testing.assert_allclose(b.thin[1:, 0] - a.thin[1:, 0], sd1 * decay, atol=1e-12)
        assert np.array_equal(b.thin[:, 1], a.thin[:, 1])


def test_a_seed_gives_the_same_summary_with_either_kernel() -> None:
    sc = api.load_scenario(REPO / "scenarios" / "recession-risk.yaml")
    runs = [
        api.run(sc, paths=3000, seed=5, grid="weekly", threads=1, kernel=k)
        for k in ("numpy", "compiled")
    ]

    def flat(x: object, key: str = "") -> dict[str, object]:
        if isinstance(x, dict):
            return {k2: v for k, v in x.items() for k2, v in flat(v, f"{key}/{k}").items()}
        return {key: x}

    a, b = (flat(json.loads(json.dumps(r.summary))) for r in runs)
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float) and isinstance(b[k], float):
            # summary.json rounds to 10 significant digits: one unit of the last digit
            assert b[k] == pytest.approx(a[k], rel=2e-10, abs=1e-15), k
        else:
            assert a[k] == b[k], k


def test_the_spec_kernel_is_the_default_of_simulate_block() -> None:
    spec = _spec("scenarios/baseline.yaml", "weekly", paths=500)
    numpy_spec = build_spec(
        api.load_scenario(REPO / "scenarios" / "baseline.yaml").scenario,
        spec.draws,
        paths=500,
        seed=11,
        grid="weekly",
        kernel="numpy",
    )
    a, b = simulate_block(spec, 0), simulate_block(numpy_spec, 0)
    for k in a.ints:
        assert np.array_equal(a.ints[k], b.ints[k]), k


def test_an_accumulator_pickles_sparsely_and_comes_back_equal() -> None:
    import pickle

    from simulator.engine.aggregate import Accumulator

    spec = _spec("scenarios/baseline.yaml", "weekly", paths=3000)
    acc = Accumulator()
    acc.add(simulate_block(spec, 0))
    raw = pickle.dumps(acc, protocol=5)
    back = pickle.loads(raw)
    dense_bytes = sum(v.nbytes for v in acc.ints.values())
    assert len(raw) < dense_bytes / 4  # most bins are empty
    assert back.ints.keys() == acc.ints.keys() and back.n == acc.n
    for k, v in acc.ints.items():
        assert back.ints[k].dtype == np.int64 and np.array_equal(back.ints[k], v), k
    assert back.floats.keys() == acc.floats.keys()
    back.merge(pickle.loads(raw))
    assert np.array_equal(back.ints["hist_y10"], 2 * acc.ints["hist_y10"])


@pytest.mark.parametrize(("path", "grid"), CASES)
def test_compiled_strategies_match_the_reference(path: str, grid: str) -> None:
    """Entry-month returns from the compiled pass vs core.strategies on the same reads."""
    from simulator.engine.block import _strategy_returns

    spec = _spec(path, grid, paths=1500)
    agg = run_kernel(prepare_inputs(spec, draw_shocks(spec, 0)), "numpy")
    ref = _strategy_returns(spec, agg, "numpy")
    fast = _strategy_returns(spec, agg, "compiled")
    assert ref.hedged.keys() == fast.hedged.keys()
    for name in ("usd", "bond", "coupon_value"):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0, atol=1e-12)
    for cur in ref.hedged:
        np.testing.assert_allclose(fast.hedged[cur], ref.hedged[cur], rtol=0, atol=1e-12)
        np.testing.assert_allclose(fast.hedge_cost[cur], ref.hedge_cost[cur], rtol=0, atol=1e-12)
