r"""The Kalman-filter log-likelihood and its reverse-mode gradient, compiled by numba.

A PyTensor Op (:class:`KalmanLoglik`) over a generic linear Gaussian system whose
scalar observations are processed one at a time (the system of
:func:`simulator.model.statespace.monthly_system`, stacked into arrays)::

    s_1 ~ N(m0, P0),  s_t = T s_{t-1} + N(0, Q)
    y_tj = H_j . s_t + N(0, R_j)              where mask_tj > 0, else skipped

Per observation: ph = P H_j, f = H_j . ph + R_j, v = y - H_j . m,
ll += -(log 2pi + log f + v^2 / f) / 2, m += ph v / f, P -= ph ph' / f; between months
m = T m, P = T P T' + Q. The gradient (:class:`KalmanLoglikGrad`) runs the same
recursions backwards (the adjoint: each forward assignment's chain rule, in reverse
order) from the stored pre-update moments, so it costs about three filters.

The kernels are plain loops without fastmath (the same digits on every machine) and are
registered with PyTensor's numba backend, which is how nutpie compiles the model; the
Ops' ``perform`` calls the same kernels for PyTensor's other backends. The pytensor
``scan`` in :mod:`simulator.model.fit` is the reference the tests compare against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

__all__ = ["KalmanLoglik", "KalmanLoglikGrad", "kalman_loglik_grad", "kalman_loglik_value"]

_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(cache=True)
def _update(m: Any, p: Any, h: Any, r: float, y: float, ph: Any) -> tuple[float, float]:
    """One scalar observation's update of (m, P) in place; returns (f, v). ph: scratch."""
    k = m.size
    f = r
    v = y
    for i in range(k):
        acc = 0.0
        for j in range(k):
            acc += p[i, j] * h[j]
        ph[i] = acc
        f += h[i] * acc
        v -= h[i] * m[i]
    for i in range(k):
        m[i] += ph[i] * v / f
        for j in range(k):
            p[i, j] -= ph[i] * ph[j] / f
    return f, v


@numba.njit(cache=True)
def _predict(m: Any, p: Any, trans: Any, q: Any, tmp: Any, mout: Any) -> None:
    """m = T m, P = T P T' + Q in place (tmp, mout: scratch)."""
    k = m.size
    for i in range(k):
        acc = 0.0
        for j in range(k):
            acc += trans[i, j] * m[j]
        mout[i] = acc
        for j in range(k):
            acc = 0.0
            for l in range(k):  # noqa: E741
                acc += trans[i, l] * p[l, j]
            tmp[i, j] = acc
    for i in range(k):
        m[i] = mout[i]
        for j in range(k):
            acc = q[i, j]
            for l in range(k):  # noqa: E741
                acc += tmp[i, l] * trans[j, l]
            p[i, j] = acc


@numba.njit(cache=True)
def kalman_loglik_value(
    y: Any, mask: Any, trans: Any, q: Any, h: Any, r: Any, m0: Any, p0: Any
) -> float:
    """Log-likelihood of y (n, J) under the system (module docstring); mask (n, J)."""
    n, n_obs = y.shape
    k = m0.size
    m, p = m0.copy(), p0.copy()
    ph, mout, tmp = np.empty(k), np.empty(k), np.empty((k, k))
    ll = 0.0
    for t in range(n):
        for j in range(n_obs):
            if mask[t, j] > 0.0:
                f, v = _update(m, p, h[j], r[j], y[t, j], ph)
                ll -= 0.5 * (_LOG_2PI + math.log(f) + v * v / f)
        if t < n - 1:
            _predict(m, p, trans, q, tmp, mout)
    return ll


@numba.njit(cache=True)
def _forward_store(
    y: Any, mask: Any, trans: Any, q: Any, h: Any, r: Any, m0: Any, p0: Any
) -> tuple[Any, Any, Any, Any]:
    """The filter keeping (m, P) before each observation and before each prediction."""
    n, n_obs = y.shape
    k = m0.size
    m_pre, p_pre = np.empty((n, n_obs, k)), np.empty((n, n_obs, k, k))
    m_post, p_post = np.empty((n, k)), np.empty((n, k, k))
    m, p = m0.copy(), p0.copy()
    ph, mout, tmp = np.empty(k), np.empty(k), np.empty((k, k))
    for t in range(n):
        for j in range(n_obs):
            m_pre[t, j], p_pre[t, j] = m, p
            if mask[t, j] > 0.0:
                _update(m, p, h[j], r[j], y[t, j], ph)
        m_post[t], p_post[t] = m, p
        if t < n - 1:
            _predict(m, p, trans, q, tmp, mout)
    return m_pre, p_pre, m_post, p_post


@numba.njit(cache=True)
def _predict_adjoint(
    mb: Any, pb: Any, m: Any, p: Any, trans: Any, tb: Any, qb: Any, w: Any
) -> None:
    """Back through m' = T m, P' = T P T' + Q: (mb, pb) from m', P' to m, P in place.

    T_bar += m_bar' m' + P_bar' T P' + P_bar'^T T P; Q_bar += P_bar'. ``w`` (3, K, K) is
    scratch. Plain loops: no BLAS and no allocation, the same sums everywhere.
    """
    k = m.size
    tp, pbt, mnew = w[0], w[1], w[2, 0]
    for i in range(k):
        for j in range(k):
            acc = 0.0
            for l in range(k):  # noqa: E741
                acc += trans[i, l] * p[l, j]
            tp[i, j] = acc  # T P (P symmetric: P T' = (T P)')
    for a in range(k):
        for b in range(k):
            qb[a, b] += pb[a, b]
            acc = mb[a] * m[b]
            for l in range(k):  # noqa: E741
                acc += pb[a, l] * tp[l, b] + pb[l, a] * tp[l, b]
            tb[a, b] += acc
    for i in range(k):
        acc = 0.0
        for j in range(k):
            acc += trans[j, i] * mb[j]
            s = 0.0
            for l in range(k):  # noqa: E741
                s += pb[i, l] * trans[l, j]
            pbt[i, j] = s
        mnew[i] = acc
    for i in range(k):
        mb[i] = mnew[i]
        for j in range(k):
            acc = 0.0
            for l in range(k):  # noqa: E741
                acc += trans[l, i] * pbt[l, j]
            pb[i, j] = acc


@numba.njit(cache=True)
def _update_adjoint(
    mb: Any, pb: Any, m: Any, p: Any, h: Any, r: float, y: float, hb: Any, w: Any
) -> tuple[float, float]:
    """Back through one observation's update and its log-density term (weight 1).

    Returns (r_bar, y_bar); mb, pb move from the updated to the prior moments and hb
    accumulates, in place. ``w`` (2, K) is scratch.
    """
    k = m.size
    ph, phb = w[0], w[1]
    f, v = r, y
    for i in range(k):
        acc = 0.0
        for j in range(k):
            acc += p[i, j] * h[j]
        ph[i] = acc
        f += h[i] * acc
        v -= h[i] * m[i]
    a, b = 0.0, 0.0
    for i in range(k):
        a += mb[i] * ph[i]
        for j in range(k):
            b += ph[i] * pb[i, j] * ph[j]
    vb = (a - v) / f
    fb = (b - a * v) / (f * f) - 0.5 * (1.0 / f - v * v / (f * f))
    for i in range(k):
        sym = 0.0
        for j in range(k):
            sym += (pb[i, j] + pb[j, i]) * ph[j]
        phb[i] = mb[i] * (v / f) - sym / f + h[i] * fb
    for i in range(k):
        acc = 0.0
        for j in range(k):
            acc += p[j, i] * phb[j]
        hb[i] += -m[i] * vb + ph[i] * fb + acc
        mb[i] -= h[i] * vb
        for j in range(k):
            pb[i, j] += phb[i] * h[j]
    return fb, vb


@numba.njit(cache=True)
def kalman_loglik_grad(
    y: Any, mask: Any, trans: Any, q: Any, h: Any, r: Any, m0: Any, p0: Any
) -> tuple[Any, ...]:
    """Gradient of :func:`kalman_loglik_value` with respect to y, T, Q, H, R, m0, P0."""
    n, n_obs = y.shape
    k = m0.size
    m_pre, p_pre, m_post, p_post = _forward_store(y, mask, trans, q, h, r, m0, p0)
    yb, tb, qb = np.zeros_like(y), np.zeros_like(trans), np.zeros_like(q)
    hb, rb = np.zeros_like(h), np.zeros_like(r)
    mb, pb = np.zeros(k), np.zeros((k, k))
    w_pred, w_upd = np.empty((3, k, k)), np.empty((2, k))
    for t in range(n - 1, -1, -1):
        if t < n - 1:
            _predict_adjoint(mb, pb, m_post[t], p_post[t], trans, tb, qb, w_pred)
        for j in range(n_obs - 1, -1, -1):
            if mask[t, j] > 0.0:
                fb, vb = _update_adjoint(
                    mb, pb, m_pre[t, j], p_pre[t, j], h[j], r[j], y[t, j], hb[j], w_upd
                )
                rb[j] += fb
                yb[t, j] = vb
    return yb, tb, qb, hb, rb, mb, pb


def _inputs(*args: Any) -> list[Any]:
    return [pt.as_tensor_variable(a).astype("float64") for a in args]


class KalmanLoglik(Op):
    """log p(y) of the filter (module docstring), a float64 scalar, with its gradient.

    Inputs: y (n, J), mask (n, J; no gradient), T (K, K), Q (K, K), H (J, K), R (J,),
    m0 (K,), P0 (K, K).
    """

    __props__ = ()

    def make_node(self, *args: Any) -> Apply:
        """The node: eight float64 inputs, a scalar output."""
        inputs = _inputs(*args)
        return Apply(self, inputs, [pt.dscalar()])

    def perform(self, node: Apply, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        """Call the numba kernel."""
        outputs[0][0] = np.asarray(kalman_loglik_value(*inputs), dtype=np.float64)

    def grad(self, inputs: Sequence[Any], output_grads: Sequence[Any]) -> list[Any]:
        """Reverse mode: :class:`KalmanLoglikGrad` times the output's gradient."""
        (g,) = output_grads
        yb, tb, qb, hb, rb, mb, pb = KalmanLoglikGrad()(*inputs)  # type: ignore[misc]
        return [g * yb, pt.zeros_like(inputs[1]), g * tb, g * qb, g * hb, g * rb, g * mb, g * pb]


class KalmanLoglikGrad(Op):
    """The gradient of :class:`KalmanLoglik` with respect to each input but the mask."""

    __props__ = ()

    def make_node(self, *args: Any) -> Apply:
        """The node: the eight inputs of :class:`KalmanLoglik`; seven gradients out."""
        inputs = _inputs(*args)
        outs = [inputs[i].type() for i in (0, 2, 3, 4, 5, 6, 7)]
        return Apply(self, inputs, outs)

    def perform(self, node: Apply, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        """Call the numba kernel."""
        for store, value in zip(outputs, kalman_loglik_grad(*inputs), strict=True):
            store[0] = value


@register_funcify_default_op_cache_key(KalmanLoglik)
def _funcify_loglik(op: KalmanLoglik, node: Any = None, **kwargs: Any) -> Any:
    @numba.njit
    def kalman_loglik_op(
        y: Any, mask: Any, trans: Any, q: Any, h: Any, r: Any, m0: Any, p0: Any
    ) -> Any:
        return np.asarray(kalman_loglik_value(y, mask, trans, q, h, r, m0, p0))

    return kalman_loglik_op


@register_funcify_default_op_cache_key(KalmanLoglikGrad)
def _funcify_grad(op: KalmanLoglikGrad, node: Any = None, **kwargs: Any) -> Any:
    return kalman_loglik_grad
