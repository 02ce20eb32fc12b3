"""The numba Kalman Op: its adjoint gradient against finite differences, and the Op
against the reference pytensor scan (value and gradient) inside the PyMC model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.model.kalman_op import kalman_loglik_grad, kalman_loglik_value

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def _no_blas_probe() -> None:
    """No BLAS probe: its UserWarning (harmless) is an error under pytest."""
    import pytensor

    pytensor.config.blas__ldflags = ""


def _system(seed: int) -> list[np.ndarray]:
    """A random stable system with a full transition, both observations and gaps."""
    rng = np.random.default_rng(seed)
    n = 40
    y = rng.standard_normal((n, 2))
    mask = (rng.random((n, 2)) < 0.8).astype(np.float64)
    trans = np.diag([0.9, 0.6, 1.0, 1.0]) + 0.02 * rng.standard_normal((4, 4))
    a = 0.1 * rng.standard_normal((4, 4))
    q = a @ a.T + np.diag([0.04, 0.05, 0.01, 0.002])
    h = np.array([[1.0, 0.0, 0.6, 1.0], [1.0, 1.0, 0.0, 1.0]]) + 0.1 * rng.random((2, 4))
    r = np.array([0.02, 0.01])
    m0 = np.array([0.0, 0.0, 3.0, 1.0])
    p0 = np.diag([0.2, 0.1, 0.05, 0.0])
    return [y, mask, trans, q, h, r, m0, p0]


@pytest.mark.parametrize("seed", [0, 1])
def test_adjoint_gradient_equals_finite_differences(seed: int) -> None:
    args = _system(seed)
    grads = kalman_loglik_grad(*args)
    step = 1e-6
    for index, grad in zip((0, 2, 3, 4, 5, 6, 7), grads, strict=True):
        numeric = np.zeros_like(args[index])
        for ix in np.ndindex(numeric.shape):
            up = [a.copy() for a in args]
            down = [a.copy() for a in args]
            up[index][ix] += step
            down[index][ix] -= step
            numeric[ix] = (kalman_loglik_value(*up) - kalman_loglik_value(*down)) / (2 * step)
        # central differences: truncation ~ step^2 |ll'''| and rounding ~ 1e-16 |ll| / step,
        # both below 1e-6 of the largest gradient entry here (|ll| ~ 1e2, |grad| up to ~1e4)
        scale = np.max(np.abs(grad))
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6 * scale, err_msg=index)


def test_masked_observation_has_no_gradient_and_changes_nothing() -> None:
    args = _system(2)
    args[1][5, 0] = 0.0
    before = kalman_loglik_value(*args)
    args[0][5, 0] += 10.0
    assert kalman_loglik_value(*args) == before
    assert kalman_loglik_grad(*args)[0][5, 0] == 0.0


def test_numba_op_equals_the_scan_value_and_gradient() -> None:
    import pytensor
    import pytensor.tensor as pt

    from simulator.model.fit import kalman_loglik

    args = _system(3)
    mask = args[1]
    inputs = [pt.dmatrix("y"), pt.dmatrix("T"), pt.dmatrix("Q"), pt.dmatrix("H")]
    inputs += [pt.dvector("R"), pt.dvector("m0"), pt.dmatrix("P0")]
    y, *system = inputs
    values = [args[0], *args[2:]]
    results = {}
    for likelihood, mode in (("scan", "FAST_COMPILE"), ("numba", "NUMBA"), ("numba", "FAST_RUN")):
        ll = kalman_loglik(y, mask, *system, likelihood=likelihood)  # type: ignore[arg-type]
        fn = pytensor.function(inputs, [ll, *pt.grad(ll, inputs)], mode=mode)
        results[likelihood, mode] = fn(*values)
    reference = results["scan", "FAST_COMPILE"]
    for key in (("numba", "NUMBA"), ("numba", "FAST_RUN")):
        # the same sums in another order: a few ulps of |ll| ~ 1e2 and of each gradient
        assert float(results[key][0]) == pytest.approx(float(reference[0]), rel=1e-12)
        for got, want in zip(results[key][1:], reference[1:], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.max(np.abs(want)))
