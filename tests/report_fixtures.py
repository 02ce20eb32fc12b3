"""A synthetic results Dataset (and its summary dict) that follows the engine's contract.

The numbers are made up but internally consistent: quantiles are ordered, probabilities
lie in [0, 1], ``move_prob`` rows sum to 1, ``first_touch_month`` sums to ``p_touch`` at
the horizon, ``p_best`` sums to 1 over entry months, and ``y10_mean`` equals
``expectations_mean + term_premium_mean`` exactly. Names, dims and attrs follow the
results contract in docs/outputs.md (and the fuller list the engine writes), so the
report functions can be tested without running the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

QUANTILES = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99]
BELIEFS = ["view_prior", "view", "market"]
CURRENCIES = ["USD", "CNY", "EUR", "JPY"]
STATS = [
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
]
FOMC_2026 = [
    "2026-01-28",
    "2026-03-18",
    "2026-04-29",
    "2026-06-17",
    "2026-07-29",
    "2026-09-16",
    "2026-10-28",
    "2026-12-09",
]
MOVES_BP = [-50, -25, 0, 25, 50]
CUT_COUNTS = list(range(-1, 9))


def _attrs(units: str, long_name: str) -> dict[str, str]:
    return {"units": units, "long_name": long_name}


def make_results(
    *,
    levels: Sequence[float] = (3.5,),
    history: bool = True,
    scenario: str = "baseline",
    as_of: str = "2026-01-16",
    horizon: str = "2026-12-31",
    n_sim: int = 2000,
    n_paths: int = 200,
    seed: int = 7,
    drift_pp: float = -0.55,
    fitted: bool = False,
    two_year: bool = True,
) -> xr.Dataset:
    """Build a synthetic results Dataset with the engine's names, dims, units and attrs.

    ``drift_pp`` is the mean change of the 10y over the span; ``n_sim`` simulated paths feed
    the quantiles and probabilities, ``n_paths`` of them are kept as ``y10_paths``.
    ``two_year=False`` leaves out ``y2``, ``y2_mean`` and ``y2_paths``, like a results.nc
    written before the engine simulated the 2-year.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(as_of, horizon)
    n_dates = len(dates)
    t = np.arange(n_dates) / 252.0
    span = t[-1]
    y0 = 4.25

    # Policy: cut count per path, cuts spread over the meetings (simple synthetic version).
    cut_probs = np.array([0.02, 0.05, 0.10, 0.18, 0.24, 0.20, 0.12, 0.06, 0.02, 0.01])
    cut_probs = cut_probs / cut_probs.sum()
    k = rng.choice(CUT_COUNTS, size=n_sim, p=cut_probs)
    meetings = pd.DatetimeIndex(FOMC_2026)
    rate0 = 3.625
    frac_done = np.clip(
        (dates.values[None, :] >= meetings.values[:, None]).sum(axis=0) / len(meetings), 0, 1
    )
    policy = rate0 - 0.25 * k[:, None] * frac_done[None, :]

    # Expectations follow the policy path partially; term premium is an AR(1)-ish walk.
    ec0 = 3.55
    shocks = rng.standard_normal((n_sim, n_dates)) * 0.028
    shocks[:, 0] = 0.0
    tp_walk = np.cumsum(shocks, axis=1)
    # The 10y prices expected policy, so it moves smoothly rather than stepping at meetings.
    expected_policy = rate0 - 0.25 * k[:, None] * np.clip(1.3 * t / span, 0, 1)[None, :]
    expectations = ec0 + 0.55 * (expected_policy - rate0) + (drift_pp + 0.25 * 1.6) * t / span
    term_premium = (y0 - ec0) + tp_walk + 0.05 * t / span
    y10 = expectations + term_premium
    # The 2y: mostly expected policy over two years, its premium held at the as-of value
    # (as the engine does), so it starts 65bp under the 10y and the curve steepens.
    y2 = 3.60 + 0.85 * (expected_policy - rate0) + 0.25 * tp_walk

    def q(a: np.ndarray) -> np.ndarray:
        return np.quantile(a, QUANTILES, axis=0).T

    lev = np.asarray(levels, dtype=float)
    below = lev < y0
    touched = np.where(
        below[:, None, None],
        y10[None, :, :] <= lev[:, None, None],
        y10[None, :, :] >= lev[:, None, None],
    )
    touched_by = np.maximum.accumulate(touched, axis=2)
    p_touch = touched_by.mean(axis=1)
    p_touch_se = np.sqrt(p_touch * (1 - p_touch) / n_sim)
    p_below = (y10[None, :, -1] <= lev[:, None]).mean(axis=1)
    p_below_se = np.sqrt(p_below * (1 - p_below) / n_sim)

    months = [f"2026-{m:02d}" for m in range(1, 13)]
    month_of_date = np.array([d.strftime("%Y-%m") for d in dates])
    first_idx = np.where(touched_by.any(axis=2), touched_by.argmax(axis=2), -1)
    ftm = np.zeros((len(lev), len(months)))
    for i in range(len(lev)):
        for j, m in enumerate(months):
            hit = first_idx[i] >= 0
            ftm[i, j] = np.mean(hit & (month_of_date[np.clip(first_idx[i], 0, None)] == m))

    counts = np.array([np.mean(k == c) for c in CUT_COUNTS])
    view_prior = np.array([0.03, 0.07, 0.12, 0.2, 0.22, 0.18, 0.1, 0.05, 0.02, 0.01])
    market = np.array([0.05, 0.12, 0.22, 0.27, 0.18, 0.09, 0.04, 0.02, 0.005, 0.005])
    cut_count_prob = np.stack([view_prior / view_prior.sum(), cut_probs, market / market.sum()])

    def move_rows(scale: float) -> np.ndarray:
        rows = []
        for j in range(len(meetings)):
            p_cut = scale * (0.12 + 0.5 * np.sin(np.pi * (j + 1) / 9) ** 2)
            p_cut = min(p_cut, 0.85)
            row = np.array([0.04 * p_cut, 0.96 * p_cut, 0.0, 0.02, 0.0])
            row[2] = 1.0 - row.sum()
            rows.append(row)
        return np.array(rows)

    move_prob = move_rows(0.75)
    market_move_prob = move_rows(0.55)

    mean_policy = policy.mean(axis=0)
    market_policy = rate0 - 0.25 * float(np.dot(CUT_COUNTS, market / market.sum())) * frac_done
    view_policy = rate0 - 0.25 * float(np.dot(CUT_COUNTS, cut_probs)) * frac_done

    entry_months = months[1:]
    n_m = len(entry_months)
    entry = np.zeros((len(CURRENCIES), n_m, len(STATS)))
    hump = np.exp(-0.5 * ((np.arange(n_m) - 1.3) / 2.2) ** 2)
    base_mean = {"USD": 0.052, "CNY": 0.028, "EUR": 0.036, "JPY": 0.019}
    p_best_raw = np.exp(3.0 * hump)
    for c, cur in enumerate(CURRENCIES):
        mean = base_mean[cur] + 0.012 * hump - 0.002 * np.arange(n_m) / n_m
        sd = 0.055 - 0.035 * np.arange(n_m) / n_m
        pb = p_best_raw * (1 + 0.1 * c * np.arange(n_m) / n_m)
        pb = pb / pb.sum()
        z = {"q05": -1.645, "q25": -0.674, "q50": 0.0, "q75": 0.674, "q95": 1.645}
        stats = {
            "mean": mean,
            "mean_se": sd / np.sqrt(n_sim),
            "annualised": mean / span,
            **{name: mean + zz * sd for name, zz in z.items()},
            "p_loss": 0.5 * (1 + np.tanh(-mean / sd)),
            "p_best": pb,
            "breakeven_yield": y0 + 0.4 + 0.05 * np.arange(n_m) / n_m + 0.1 * c,
        }
        for s, name in enumerate(STATS):
            entry[c, :, s] = stats[name]

    p_touch_by_cuts = np.full((len(lev), len(CUT_COUNTS)), np.nan)
    for i in range(len(lev)):
        for j, cc in enumerate(CUT_COUNTS):
            sel = k == cc
            if sel.any():
                p_touch_by_cuts[i, j] = touched_by[i, sel, -1].mean()

    if history:
        hist = pd.bdate_range(end=pd.Timestamp(as_of) - pd.Timedelta(days=1), periods=65)
        hist_y = y0 - 0.3 + np.cumsum(rng.standard_normal(len(hist)) * 0.03)
        hist_y += np.linspace(0, 0.3 - (hist_y[-1] - (y0 - 0.3)), len(hist))
    else:
        hist = pd.DatetimeIndex([])
        hist_y = np.zeros(0)

    keep = rng.choice(n_sim, size=n_paths, replace=False)
    ds = xr.Dataset(
        data_vars={
            "y10": (("date", "quantile"), q(y10), _attrs("%", "10-year Treasury yield")),
            "policy_rate": (
                ("date", "quantile"),
                q(policy),
                _attrs("%", "Fed target-range midpoint"),
            ),
            "term_premium": (
                ("date", "quantile"),
                q(term_premium),
                _attrs("%", "10-year term premium"),
            ),
            "expectations": (
                ("date", "quantile"),
                q(expectations),
                _attrs("%", "10-year expectations component"),
            ),
            "y10_mean": (
                "date",
                expectations.mean(axis=0) + term_premium.mean(axis=0),
                _attrs("%", "mean 10-year yield"),
            ),
            "policy_rate_mean": ("date", mean_policy, _attrs("%", "mean policy rate")),
            "term_premium_mean": (
                "date",
                term_premium.mean(axis=0),
                _attrs("%", "mean term premium"),
            ),
            "expectations_mean": (
                "date",
                expectations.mean(axis=0),
                _attrs("%", "mean expectations component"),
            ),
            "market_policy_path": (
                "date",
                market_policy,
                _attrs("%", "market expected policy rate as of the as-of date"),
            ),
            "view_policy_path": (
                "date",
                view_policy,
                _attrs("%", "view expected policy rate as of the as-of date"),
            ),
            "y10_paths": (("path", "date"), y10[keep], _attrs("%", "10-year yield, sample")),
            "p_touch": (("level", "date"), p_touch, _attrs("1", "P(10y touched by date)")),
            "p_touch_se": (
                ("level", "date"),
                p_touch_se,
                _attrs("1", "Monte Carlo s.e. of p_touch"),
            ),
            "p_below_at_horizon": ("level", p_below, _attrs("1", "P(10y <= level at horizon)")),
            "p_below_at_horizon_se": (
                "level",
                p_below_se,
                _attrs("1", "Monte Carlo s.e. of p_below_at_horizon"),
            ),
            "first_touch_month": (
                ("level", "month"),
                ftm,
                _attrs("1", "P(first touch in month)"),
            ),
            "cut_count_prob": (
                ("belief", "cut_count"),
                cut_count_prob,
                _attrs("1", "P(net 25bp cuts in window)"),
            ),
            "move_prob": (
                ("meeting", "move_bp"),
                move_prob,
                _attrs("1", "P(move at meeting), view"),
            ),
            "market_move_prob": (
                ("meeting", "move_bp"),
                market_move_prob,
                _attrs("1", "P(move at meeting), market"),
            ),
            "entry_return": (
                ("currency", "entry_month", "stat"),
                entry,
                _attrs("1", "return over as-of to horizon by entry month"),
            ),
            "p_touch_by_cuts": (
                ("level", "cut_count"),
                p_touch_by_cuts,
                _attrs("1", "P(touch by horizon | cut count)"),
            ),
            "cut_count_paths": ("cut_count", counts, _attrs("1", "share of paths")),
            "y10_observed": ("hist_date", hist_y, _attrs("%", "observed 10-year yield")),
        },
        coords={
            "date": dates.values.astype("datetime64[ns]"),
            "quantile": QUANTILES,
            "level": lev,
            "path": np.arange(n_paths),
            "belief": BELIEFS,
            "cut_count": CUT_COUNTS,
            "meeting": meetings.values.astype("datetime64[ns]"),
            "move_bp": MOVES_BP,
            "currency": CURRENCIES,
            "entry_month": entry_months,
            "stat": STATS,
            "month": months,
            "hist_date": hist.values.astype("datetime64[ns]"),
        },
        attrs={
            "scenario": scenario,
            "description": "Fed cuts 3-4 times in 2026; 10y drifts toward 3.5%",
            "as_of": as_of,
            "horizon": horizon,
            "window_start": "2026-01-01",
            "window_end": "2026-12-31",
            "paths": n_sim,
            "seed": seed,
            "grid": "daily",
            "version": "0.1.0",
            "data_to": "2026-01-15",
            "fitted": int(fitted),
            "params_source": "posterior" if fitted else "calibrated",
            "fomc_dates": list(FOMC_2026),
            "levels": [float(x) for x in lev],
        },
    )
    if two_year:
        ds["y2"] = (("date", "quantile"), q(y2), _attrs("%", "2-year Treasury yield"))
        ds["y2_mean"] = ("date", y2.mean(axis=0), _attrs("%", "mean 2-year Treasury yield"))
        ds["y2_paths"] = (("path", "date"), y2[keep], _attrs("%", "the same sample paths' 2y"))
    return ds


def _r(x: float) -> float:
    """Round like summary.json (10 significant digits)."""
    return float(f"{float(x):.10g}")


def make_summary(ds: xr.Dataset) -> dict[str, Any]:
    """A summary dict with the summary.json keys of docs/outputs.md, computed from ``ds``."""
    levels: dict[str, Any] = {}
    for lev in ds["level"].values:
        sel = ds.sel(level=lev)
        levels[f"{float(lev):g}"] = {
            "p_touch": _r(sel["p_touch"].values[-1]),
            "p_touch_se": _r(sel["p_touch_se"].values[-1]),
            "p_below_at_horizon": _r(sel["p_below_at_horizon"].values),
            "p_below_at_horizon_se": _r(sel["p_below_at_horizon_se"].values),
            "first_touch_month": {
                str(m): _r(v)
                for m, v in zip(ds["month"].values, sel["first_touch_month"].values, strict=True)
            },
        }
    y_end = ds["y10"].isel(date=-1)
    entry_months: dict[str, Any] = {}
    best_entry: dict[str, Any] = {}
    for cur in ds["currency"].values:
        er = ds["entry_return"].sel(currency=cur)
        entry_months[str(cur)] = {
            str(m): {str(s): _r(er.sel(entry_month=m, stat=s)) for s in ds["stat"].values}
            for m in ds["entry_month"].values
        }
        means = er.sel(stat="mean").values
        b = int(np.argmax(means))
        m = str(ds["entry_month"].values[b])
        best_entry[str(cur)] = {
            "month": m,
            "mean": _r(means[b]),
            "p_best": _r(er.sel(entry_month=m, stat="p_best")),
            "p_loss": _r(er.sel(entry_month=m, stat="p_loss")),
        }
    return {
        "scenario": ds.attrs["scenario"],
        "as_of": ds.attrs["as_of"],
        "window": [ds.attrs["window_start"], ds.attrs["window_end"]],
        "horizon": ds.attrs["horizon"],
        "paths": int(ds.attrs["paths"]),
        "seed": int(ds.attrs["seed"]),
        "levels": levels,
        "y10_at_horizon": {
            f"{qq:g}": _r(y_end.sel(quantile=qq)) for qq in (0.05, 0.1, 0.5, 0.9, 0.95)
        },
        "y2_at_horizon": (
            {f"{qq:g}": _r(ds["y2"].isel(date=-1).sel(quantile=qq)) for qq in QUANTILES}
            | {"mean": _r(ds["y2_mean"].values[-1])}
            if "y2" in ds
            else {}
        ),
        "cut_count": {
            str(b): {
                str(int(c)): _r(p)
                for c, p in zip(
                    ds["cut_count"].values,
                    ds["cut_count_prob"].sel(belief=b).values,
                    strict=True,
                )
            }
            for b in ds["belief"].values
        },
        "entry_months": entry_months,
        "best_entry": best_entry,
        "assumptions": [
            "The Fed cuts 3-4 times in 2026 (view); the market prices about 2.",
            "Term premium drifts up 1bp a month; no shock events.",
            "CNY hedged with 3-month forwards; basis -20bp.",
        ],
        "diagnostics": {
            "fitted": bool(ds.attrs["fitted"]),
            "sampler": "nutpie" if ds.attrs["fitted"] else None,
            "r_hat_max": 1.004 if ds.attrs["fitted"] else None,
            "ess_bulk_min": 812.0 if ds.attrs["fitted"] else None,
            "ess_tail_min": 640.0 if ds.attrs["fitted"] else None,
            "divergences": 0 if ds.attrs["fitted"] else None,
            "max_tree_depth_hits": 0 if ds.attrs["fitted"] else None,
        },
        "provenance": {
            "version": ds.attrs["version"],
            "config_sha256": "0" * 64,
            "data_sha256": "1" * 64,
        },
    }
