"""Merge block aggregates (integers in any order, floats in block order) into results.

The results :class:`xarray.Dataset` keeps the documented output names; see
docs/outputs.md for every variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from simulator.core import policy
from simulator.core.bonds import breakeven_exit_yield
from simulator.engine.block import (
    CURRENCY_ORDER,
    HIST_FX,
    HIST_RATES,
    HIST_RETURNS,
    RATE_VARS,
    BlockOut,
    _k_lo,
    _n_k,
)
from simulator.engine.setup import SimSpec

QUANTILES = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99)
RET_QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}
STATS = (
    "mean",
    "mean_se",
    "annualised",
    "q05",
    "q25",
    "q50",
    "q75",
    "q95",
    "p_loss",
    "p_best",
    "breakeven_yield",
)
HEDGES = ("hedged", "unhedged")


@dataclass
class Accumulator:
    """Running totals: integer arrays added as they come, floats kept per block."""

    ints: dict[str, np.ndarray] = field(default_factory=dict)
    floats: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    n: int = 0
    thin: np.ndarray | None = None
    thin2: np.ndarray | None = None

    def add(self, out: BlockOut) -> None:
        """Fold one block in (any order)."""
        for k, v in out.ints.items():
            if k in self.ints:
                self.ints[k] += v
            else:
                self.ints[k] = v.astype(np.int64)  # blocks count in int32; totals may not fit
        self.floats[out.block] = out.floats
        self.n += out.n
        if out.thin is not None:
            self.thin, self.thin2 = out.thin, out.thin2

    def merge(self, other: Accumulator) -> None:
        """Fold another accumulator in (for distributed reductions)."""
        for k, v in other.ints.items():
            self.ints[k] = self.ints[k] + v if k in self.ints else v.astype(np.int64)
        self.floats.update(other.floats)
        self.n += other.n
        if other.thin is not None:
            self.thin, self.thin2 = other.thin, other.thin2

    def __getstate__(self) -> dict[str, object]:
        """Pickle the integer aggregates sparsely: most histogram bins are empty, so a Dask
        task's result shrinks from ~38 MB to a few MB (docs/scale.md)."""
        state = self.__dict__.copy()
        state["ints"] = {k: _sparse(v) for k, v in self.ints.items()}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        ints = state["ints"]
        assert isinstance(ints, dict)
        self.__dict__.update({**state, "ints": {k: _dense(*v) for k, v in ints.items()}})

    def float_total(self, key: str) -> np.ndarray:
        """Sum of a float aggregate over blocks, in block order (bit-reproducible)."""
        total: np.ndarray | None = None
        for b in sorted(self.floats):
            v = self.floats[b][key]
            total = v.copy() if total is None else total + v
        if total is None:
            raise KeyError(key)
        return total


def _narrow(values: np.ndarray) -> np.ndarray:
    """Nonnegative integers in the narrowest unsigned dtype that holds them."""
    top = int(values.max(initial=0))
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values.astype(np.uint64)


def _sparse(v: np.ndarray) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """(shape, gaps between the nonzero entries' flat indices, their values), narrowed.

    Counts are nonnegative and the gaps small (a histogram row's occupied bins lie close
    together), so most entries take 2 bytes of index and 2 of count.
    """
    idx = np.flatnonzero(v)
    if v.size and v.min() < 0:
        raise ValueError("integer aggregates are counts (nonnegative)")
    return v.shape, _narrow(np.diff(idx, prepend=0)), _narrow(v.reshape(-1)[idx])


def _dense(shape: tuple[int, ...], gaps: np.ndarray, vals: np.ndarray) -> np.ndarray:
    out = np.zeros(int(np.prod(shape)), dtype=np.int64)
    out[np.cumsum(gaps, dtype=np.int64)] = vals
    return out.reshape(shape)


def _hist_quantiles(
    counts: np.ndarray, qs: tuple[float, ...], hist: dict[str, float]
) -> np.ndarray:
    """Quantiles from fixed-bin counts (last axis = bins), linear within a bin."""
    cdf = np.cumsum(counts, axis=-1).astype(np.float64)
    total = cdf[..., -1:]
    out = np.empty((*counts.shape[:-1], len(qs)))
    for i, q in enumerate(qs):
        target = q * total
        idx = np.argmax(cdf >= target, axis=-1)
        c_hi = np.take_along_axis(cdf, idx[..., None], axis=-1)[..., 0]
        cnt = np.take_along_axis(counts, idx[..., None], axis=-1)[..., 0].astype(np.float64)
        c_lo = c_hi - cnt
        frac = np.where(cnt > 0, (target[..., 0] - c_lo) / np.where(cnt > 0, cnt, 1), 0.5)
        out[..., i] = hist["lo"] + (idx + frac) * hist["width"]
    return out


def finalize(spec: SimSpec, acc: Accumulator, *, attrs: dict[str, object]) -> xr.Dataset:
    """Build the results Dataset from merged aggregates."""
    n = acc.n
    g = len(spec.grid)
    dates = spec.grid.astype("datetime64[ns]")
    data: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {}
    long_names = {
        "y10": "10-year Treasury yield",
        "policy_rate": "policy rate (target-range midpoint)",
        "term_premium": "10-year term premium",
        "expectations": "expectations component of the 10-year yield",
        "y2": "2-year Treasury yield",
    }
    for v in RATE_VARS:
        counts = acc.ints[f"hist_{v}"].reshape(g, int(HIST_RATES["bins"]))
        q = _hist_quantiles(counts, QUANTILES, HIST_RATES)
        q[0] = acc.float_total(f"sum_{v}")[0] / n  # the as-of is known exactly
        data[v] = (("date", "quantile"), q, {"units": "%", "long_name": long_names[v]})
        data[f"{v}_mean"] = (
            ("date",),
            acc.float_total(f"sum_{v}") / n,
            {"units": "%", "long_name": f"mean {long_names[v]}"},
        )
    # the as-of row has no dispersion: every path starts there
    for v in RATE_VARS:
        data[v][1][0, :] = data[f"{v}_mean"][1][0]
    thin = acc.thin if acc.thin is not None else np.empty((0, g))
    data["y10_paths"] = (("path", "date"), thin, {"units": "%", "long_name": "sample 10y paths"})
    thin2 = acc.thin2 if acc.thin2 is not None else np.full_like(thin, np.nan)
    data["y2_paths"] = (
        ("path", "date"),
        thin2,
        {"units": "%", "long_name": "the same sample paths' 2y"},
    )

    ts = acc.float_total("touch_sum")
    tq = acc.float_total("touch_sq")
    p_touch = ts / n
    var = np.maximum(tq / n - p_touch**2, 0.0)
    se = np.sqrt(var / max(n - 1, 1))
    data["p_touch"] = (
        ("level", "date"),
        p_touch,
        {"units": "1", "long_name": "P(10y touched the level by date)"},
    )
    data["p_touch_se"] = (
        ("level", "date"),
        se,
        {"units": "1", "long_name": "Monte Carlo s.e. of p_touch"},
    )
    pb = acc.float_total("below_sum") / n
    data["p_below_at_horizon"] = (
        ("level",),
        pb,
        {"units": "1", "long_name": "P(10y below the level at the horizon)"},
    )
    data["p_below_at_horizon_se"] = (
        ("level",),
        np.sqrt(pb * (1 - pb) / max(n - 1, 1)),
        {"units": "1", "long_name": "Monte Carlo s.e. of p_below_at_horizon"},
    )
    months = np.unique(spec.grid.astype("datetime64[M]"))
    ft = acc.float_total("first_touch") / n
    data["first_touch_month"] = (
        ("level", "month"),
        ft,
        {"units": "1", "long_name": "P(first touch in month)"},
    )

    k_lo, n_k = _k_lo(spec), _n_k(spec)
    kgrid = np.arange(k_lo, k_lo + n_k)
    cut_paths = acc.ints["cut_paths"]
    with np.errstate(invalid="ignore", divide="ignore"):
        tbc = acc.float_total("touch_by_cuts") / np.where(cut_paths > 0, cut_paths, np.nan)
    data["p_touch_by_cuts"] = (
        ("level", "cut_count"),
        tbc,
        {"units": "1", "long_name": "P(touch | cut count)"},
    )
    data["cut_count_paths"] = (
        ("cut_count",),
        cut_paths / n,
        {"units": "1", "long_name": "share of paths by cut count"},
    )
    beliefs = np.stack(
        [
            _mixture_counts(spec, kgrid, "view_prior"),
            _mixture_counts(spec, kgrid, "view"),
            policy.count_distribution(spec.market, kgrid)[1],
        ]
    )
    data["cut_count_prob"] = (
        ("belief", "cut_count"),
        beliefs,
        {"units": "1", "long_name": "P(net cut count)"},
    )
    mp, mk = _move_probs(spec)
    data["move_prob"] = (
        ("meeting", "move_bp"),
        mp,
        {"units": "1", "long_name": "P(move at meeting), view"},
    )
    data["market_move_prob"] = (
        ("meeting", "move_bp"),
        mk,
        {"units": "1", "long_name": "P(move at meeting), market"},
    )
    data["market_policy_path"] = (
        ("date",),
        _expected_path(spec, spec.market),
        {"units": "%", "long_name": "market's expected policy rate path as of the as-of"},
    )
    data["view_policy_path"] = (
        ("date",),
        _view_path(spec),
        {"units": "%", "long_name": "view's expected policy rate path as of the as-of"},
    )
    data["y10_observed"] = (
        ("hist_date",),
        spec.hist_y10,
        {"units": "%", "long_name": "observed 10y closes"},
    )

    entry_months = [e.month for e in spec.entries]
    if spec.entries:
        data["entry_return"] = (
            ("currency", "entry_month", "stat", "hedge"),
            _entry_stats(spec, acc, n),
            {
                "units": "1",
                "long_name": "return by entry month, as-of to horizon, FX-hedged and unhedged "
                "(fractions; breakeven in %; unhedged NaN without an fx leg)",
            },
        )
        data["p_unhedged_beats_hedged"] = (
            ("currency", "entry_month"),
            _beats(spec, acc, n),
            {"units": "1", "long_name": "P(unhedged return > hedged return), fx legs only"},
        )
    data.update(_fx_outputs(spec, acc))
    coords = {
        "date": dates,
        "quantile": np.array(QUANTILES),
        "level": spec.levels,
        "path": np.arange(thin.shape[0]),
        "belief": ["view_prior", "view", "market"],
        "cut_count": kgrid,
        "meeting": spec.all_meetings.astype("datetime64[ns]"),
        "move_bp": _move_bp_coord(spec),
        "currency": list(CURRENCY_ORDER),
        "hedge": list(HEDGES),
        "entry_month": entry_months,
        "stat": list(STATS),
        "month": [str(m) for m in months],
        "hist_date": spec.hist_dates.astype("datetime64[ns]"),
    }
    ds = xr.Dataset({k: xr.Variable(d, v, a) for k, (d, v, a) in data.items()}, coords=coords)
    ds.attrs.update(attrs)
    return ds


def _max_moves(spec: SimSpec) -> int:
    return max(max(c.view.max_per_meeting for c in spec.components), spec.market.max_per_meeting)


def _move_bp_coord(spec: SimSpec) -> np.ndarray:
    m = _max_moves(spec)
    return np.arange(-m, m + 1) * 25  # ascending bp: a cut is negative


def _move_probs(spec: SimSpec) -> tuple[np.ndarray, np.ndarray]:
    """P(move in bp at each meeting of the window): observed rows are certain."""
    m = _max_moves(spec)
    bp = [25 * k for k in range(-m, m + 1)]  # ascending bp
    n_all = len(spec.all_meetings)
    n_obs = n_all - len(spec.meeting_dates)

    def rows(beliefs_list: list[tuple[float, policy.CutBeliefs]]) -> np.ndarray:
        out = np.zeros((n_all, len(bp)))
        for i, cuts in enumerate(spec.observed_moves_cuts):
            out[i, bp.index(-25 * cuts)] = 1.0
        for w, b in beliefs_list:
            if len(spec.meeting_dates) == 0:
                continue
            probs = policy.move_probabilities(b)  # (J, 2M_b+1) columns = signed cuts -M..M
            mb = b.max_per_meeting
            for col, cut in enumerate(range(-mb, mb + 1)):
                out[n_obs:, bp.index(-25 * cut)] += w * probs[:, col]
        return out

    view = rows([(c.weight, c.view) for c in spec.components])
    market = rows([(1.0, spec.market)])
    return view, market


def _mixture_counts(spec: SimSpec, kgrid: np.ndarray, which: str) -> np.ndarray:
    total = np.zeros(len(kgrid))
    for c in spec.components:
        b = c.view_prior if which == "view_prior" else c.view
        total += c.weight * policy.count_distribution(b, kgrid)[1]
    return total


def _expected_path(spec: SimSpec, beliefs: policy.CutBeliefs) -> np.ndarray:
    """Expected policy rate on each grid date as of the as-of, under ``beliefs``."""
    if len(spec.meeting_dates) == 0:
        return np.full(len(spec.grid), spec.rate0_pp)
    probs = policy.move_probabilities(beliefs)
    mb = beliefs.max_per_meeting
    e_cuts = probs @ np.arange(-mb, mb + 1)
    eff = spec.effective_at
    path = np.full(len(spec.grid), spec.rate0_pp)
    for i, t in enumerate(eff):
        if t < len(spec.grid):
            path[t:] -= 0.25 * e_cuts[i]
    return path


def _view_path(spec: SimSpec) -> np.ndarray:
    return np.sum([c.weight * _expected_path(spec, c.view) for c in spec.components], axis=0)


def _entry_stats(spec: SimSpec, acc: Accumulator, n: int) -> np.ndarray:
    """(currency, entry_month, stat, hedge): hedged for every currency (USD: unhedged,
    the same numbers), unhedged for USD and the fx legs; NaN elsewhere. An unhedged
    breakeven yield is NaN (it would depend on the FX path)."""
    n_m = len(spec.entries)
    out = np.full((len(CURRENCY_ORDER), n_m, len(STATS), len(HEDGES)), np.nan)
    hedged = _return_stats(spec, acc, n, "")
    hedged[..., STATS.index("breakeven_yield")] = _breakevens(spec, acc, n)
    out[..., 0] = hedged
    out[0, ..., 1] = hedged[0]
    if spec.fx_currencies:
        rows = [CURRENCY_ORDER.index(c) for c in spec.fx_currencies]
        out[rows, ..., 1] = _return_stats(spec, acc, n, "u")
    return out


def _return_stats(spec: SimSpec, acc: Accumulator, n: int, prefix: str) -> np.ndarray:
    """Stats of the returns aggregated under ``{prefix}ret_*`` keys, (rows, M, stat)."""
    n_m = len(spec.entries)
    mean = acc.float_total(f"{prefix}ret_sum") / n
    n_c = mean.shape[0]
    out = np.full((n_c, n_m, len(STATS)), np.nan)
    sq = acc.float_total(f"{prefix}ret_sq")
    se = np.sqrt(np.maximum(sq / n - mean**2, 0.0) / max(n - 1, 1))
    span_years = (spec.horizon - spec.as_of).days / 365.25
    hist = acc.ints[f"hist_{prefix}ret"].reshape(n_c, n_m, int(HIST_RETURNS["bins"]))
    q = _hist_quantiles(hist, tuple(RET_QUANTILES.values()), HIST_RETURNS)
    out[..., STATS.index("mean")] = mean
    out[..., STATS.index("mean_se")] = se
    out[..., STATS.index("annualised")] = (1.0 + mean) ** (1.0 / span_years) - 1.0
    for i, name in enumerate(RET_QUANTILES):
        out[..., STATS.index(name)] = q[..., i]
    out[..., STATS.index("p_loss")] = acc.ints[f"{prefix}ret_loss"] / n
    out[..., STATS.index("p_best")] = acc.ints[f"{prefix}ret_best"] / n
    return out


def _fx_rows(spec: SimSpec, values: np.ndarray, trailing: tuple[int, ...]) -> np.ndarray:
    """Per-leg values (F, ...) placed in CURRENCY_ORDER rows, NaN for the others."""
    out = np.full((len(CURRENCY_ORDER), *trailing), np.nan)
    for f, cur in enumerate(spec.fx_currencies):
        out[CURRENCY_ORDER.index(cur)] = values[f]
    return out


def _beats(spec: SimSpec, acc: Accumulator, n: int) -> np.ndarray:
    n_m = len(spec.entries)
    if not spec.fx_currencies:
        return np.full((len(CURRENCY_ORDER), n_m), np.nan)
    return _fx_rows(spec, acc.ints["unhedged_beats"] / n, (n_m,))


def _fx_outputs(
    spec: SimSpec, acc: Accumulator
) -> dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]]:
    """``fx`` (currency, date, quantile) spot quantiles, ``fx_spot0`` and
    ``fx_mean_at_horizon`` (currency)."""
    g, n_f = len(spec.grid), len(spec.fx_currencies)
    q = np.zeros((n_f, g, len(QUANTILES)))
    if n_f:
        counts = acc.ints["hist_fx"].reshape(n_f, g, int(HIST_FX["bins"]))
        q = spec.fx_spot0[:, None, None] * np.exp(
            _hist_quantiles(counts, QUANTILES, HIST_FX) / 100.0
        )
        q[:, 0, :] = spec.fx_spot0[:, None]  # the as-of spot is known exactly
    unit = "foreign currency units per USD"
    mean_end = spec.fx_spot0 * acc.float_total("fx_end_sum") / acc.n if n_f else np.zeros(0)
    return {
        "fx": (
            ("currency", "date", "quantile"),
            _fx_rows(spec, q, (g, len(QUANTILES))),
            {"units": unit, "long_name": "FX spot quantiles (NaN: no fx leg)"},
        ),
        "fx_spot0": (
            ("currency",),
            _fx_rows(spec, spec.fx_spot0, ()),
            {"units": unit, "long_name": "FX spot at the as-of (NaN: no fx leg)"},
        ),
        "fx_mean_at_horizon": (
            ("currency",),
            _fx_rows(spec, mean_end, ()),
            {"units": unit, "long_name": "mean FX spot on the horizon date (NaN: no fx leg)"},
        ),
    }


def _breakevens(spec: SimSpec, acc: Accumulator, n: int) -> np.ndarray:
    """Exit yield at which the mean-path strategy matches holding base cash to the horizon.

    Inputs are means over paths: entry yield, reinvested coupons, hedge cost; the cash
    alternative earns the USD rate on the market's expected path (USD) or the foreign
    rate (hedged currencies).
    """
    n_m = len(spec.entries)
    out = np.full((len(CURRENCY_ORDER), n_m), np.nan)
    entry_y = acc.float_total("entry_y_sum") / n
    coupon = acc.float_total("coupon_sum") / n
    cost = acc.float_total("hedge_cost_sum") / n
    mk_path = _expected_path(spec, spec.market)
    days = spec.grid.astype(np.int64)
    usd_log = np.concatenate(
        [[0.0], np.cumsum((mk_path[:-1] + spec.bill_spread_pp) / 100 * np.diff(days) / 365.25)]
    )
    h_read = len(spec.read_at) - 1
    for j, ent in enumerate(spec.entries):
        t_e = int(spec.read_at[ent.entry_read])
        n_cpn = len(ent.coupon_dates)
        growth = np.full(n_cpn, coupon[j] / (entry_y[j] / 2.0) / n_cpn) if n_cpn else np.ones(0)
        for ci, cur in enumerate(CURRENCY_ORDER):
            if cur == "USD":
                target = np.exp(usd_log[-1] - usd_log[t_e]) - 1.0
            else:
                f = spec.foreign_cash_log[cur]
                target = np.exp(f[h_read] - f[ent.entry_read]) - 1.0 + cost[ci, j]
            try:
                out[ci, j] = float(
                    breakeven_exit_yield(entry_y[j], ent.entry_date, spec.horizon, growth, target)
                )
            except (RuntimeError, ValueError):
                out[ci, j] = np.nan
    return out
