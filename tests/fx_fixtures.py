"""The synthetic results Dataset and summary dict of a run with an FX leg (issue 14).

:func:`make_fx_results` extends :func:`report_fixtures.make_results` with the FX names of
the results contract: ``fx`` (currency, date, quantile), ``fx_spot0`` (currency),
``entry_return`` with a ``hedge`` dim (``hedged``, ``unhedged``) and
``p_unhedged_beats_hedged`` (currency, entry_month). The numbers are made up but consistent
with each other, path by path: log spot paths with a drift and a daily volatility; a
hedged return per path and entry month; the unhedged return of the same path,
``1 + R_unhedged = (1 + R_hedged) S_T / S_e`` (the contract's formula with the hedged
return standing for ``exp(F) (1 + R_bond)``); every stat and probability is computed from
those paths. USD and currencies without an FX block carry NaN in the FX names, and USD's
unhedged return equals its hedged one. :func:`make_fx_summary` gives the summary.json keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from report_fixtures import QUANTILES, STATS, _attrs, _r, make_results, make_summary

HEDGES = ["hedged", "unhedged"]
#: As-of spots (foreign units per USD) and daily log-spot vol (%) of the synthetic legs.
SPOT0 = {"CNY": 6.96, "EUR": 0.86, "JPY": 156.0}
DAILY_VOL_PCT = {"CNY": 0.18, "EUR": 0.45, "JPY": 0.6}


def _entry_index(dates: pd.DatetimeIndex, months: Sequence[str]) -> np.ndarray:
    """The index of each entry month's first business day."""
    stamps = [pd.Timestamp(f"{m}-01") for m in months]
    return np.asarray(dates.searchsorted(stamps))


def _stats(r: np.ndarray, span: float, breakeven: np.ndarray) -> np.ndarray:
    """The entry_return stats of returns ``r`` (path, entry_month), in STATS order."""
    n = r.shape[0]
    best = np.bincount(np.argmax(r, axis=1), minlength=r.shape[1]) / n
    qs = np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    mean = r.mean(axis=0)
    cols = {
        "mean": mean,
        "mean_se": r.std(axis=0, ddof=1) / np.sqrt(n),
        "annualised": mean / span,
        **dict(zip(("q05", "q25", "q50", "q75", "q95"), qs, strict=True)),
        "p_loss": (r < 0).mean(axis=0),
        "p_best": best,
        "breakeven_yield": breakeven,
    }
    return np.stack([cols[s] for s in STATS], axis=-1)


def make_fx_results(
    *,
    fx_currencies: Sequence[str] = ("CNY",),
    drift_pct_per_month: Mapping[str, float] | None = None,
    seed: int = 11,
    **kw: Any,
) -> xr.Dataset:
    """:func:`make_results` plus the FX names, with FX legs for ``fx_currencies``.

    ``drift_pct_per_month`` is each leg's view drift of the log spot (default -0.2% a
    month for CNY: the yuan firms; 0 otherwise). ``fx_currencies=()`` gives a run that
    has the FX names but no FX block (all NaN), like a run without ``fx:``.
    """
    ds = make_results(**kw)
    rng = np.random.default_rng(seed)
    dates = pd.DatetimeIndex(ds["date"].values)
    curs = [str(c) for c in ds["currency"].values]
    months = [str(m) for m in ds["entry_month"].values]
    n_sim, n_d, n_m = int(ds.attrs["paths"]), len(dates), len(months)
    span = (n_d - 1) / 252.0
    drift = {"CNY": -0.2} | dict(drift_pct_per_month or {})
    idx = _entry_index(dates, months)

    fx = np.full((len(curs), n_d, len(QUANTILES)), np.nan)
    spot0 = np.full(len(curs), np.nan)
    entry = np.repeat(ds["entry_return"].values[..., None], 2, axis=-1)
    beats = np.full((len(curs), n_m), np.nan)
    for c, cur in enumerate(curs):
        if cur not in fx_currencies:
            continue
        shocks = rng.standard_normal((n_sim, n_d)) * DAILY_VOL_PCT[cur] / 100
        shocks[:, 0] = 0.0
        trend = drift.get(cur, 0.0) / 100 * 12 * np.arange(n_d) / 252
        s = SPOT0[cur] * np.exp(np.cumsum(shocks, axis=1) + trend)
        fx[c] = np.quantile(s, QUANTILES, axis=0).T
        spot0[c] = SPOT0[cur]
        # hedged returns per path: normal with the fixture's hedged mean and 5-95% spread
        er = ds["entry_return"].sel(currency=cur)
        mu, q05, q95 = (er.sel(stat=k).values for k in ("mean", "q05", "q95"))
        hedged = mu + (q95 - q05) / 3.29 * rng.standard_normal((n_sim, n_m))
        unhedged = (1 + hedged) * s[:, -1:] / s[:, idx] - 1
        be = er.sel(stat="breakeven_yield").values
        entry[c, :, :, 0] = _stats(hedged, span, be)
        entry[c, :, :, 1] = _stats(unhedged, span, be)
        beats[c] = (unhedged > hedged).mean(axis=0)
    for c, cur in enumerate(curs):
        if cur != "USD" and cur not in fx_currencies:
            entry[c, :, :, 1] = np.nan
    ds = ds.drop_vars("entry_return").assign_coords(hedge=HEDGES)
    ds["entry_return"] = (
        ("currency", "entry_month", "stat", "hedge"),
        entry,
        _attrs("1", "return over as-of to horizon by entry month, hedged and unhedged"),
    )
    ds["fx"] = (
        ("currency", "date", "quantile"),
        fx,
        _attrs("foreign units per USD", "spot exchange rate, quantiles"),
    )
    ds["fx_spot0"] = ("currency", spot0, _attrs("foreign units per USD", "as-of spot"))
    ds["p_unhedged_beats_hedged"] = (
        ("currency", "entry_month"),
        beats,
        _attrs("1", "P(unhedged return > hedged return)"),
    )
    return ds


def make_fx_summary(ds: xr.Dataset) -> dict[str, Any]:
    """:func:`make_summary` of the hedged returns plus the contract's FX keys."""
    out = make_summary(ds.sel(hedge="hedged"))
    months = [str(m) for m in ds["entry_month"].values]
    unh: dict[str, Any] = {}
    best: dict[str, Any] = {}
    beats: dict[str, Any] = {}
    at_h: dict[str, Any] = {}
    for cur in map(str, ds["currency"].values):
        if not np.isfinite(ds["fx_spot0"].sel(currency=cur).values):
            continue
        er = ds["entry_return"].sel(currency=cur, hedge="unhedged")
        unh[cur] = {m: {str(s): _r(er.sel(entry_month=m, stat=s)) for s in STATS} for m in months}
        means = er.sel(stat="mean").values
        m = months[int(np.argmax(means))]
        best[cur] = {k: unh[cur][m][k] for k in ("mean", "p_best", "p_loss")} | {"month": m}
        p = ds["p_unhedged_beats_hedged"].sel(currency=cur)
        beats[cur] = {mm: _r(p.sel(entry_month=mm)) for mm in months}
        end = ds["fx"].sel(currency=cur).isel(date=-1)
        at_h[cur] = {f"{q:g}": _r(end.sel(quantile=q)) for q in QUANTILES}
    return out | {
        "entry_months_unhedged": unh,
        "best_entry_unhedged": best,
        "p_unhedged_beats_hedged": beats,
        "fx_at_horizon": at_h,
    }
