"""summary.json: the answers of a run as plain, rounded, timestamp-free data."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np
import xarray as xr

SIG_DIGITS = 10
HORIZON_QUANTILES = ("0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95")


def round_sig(value: Any, digits: int = SIG_DIGITS) -> Any:
    """Round floats (recursively) to ``digits`` significant digits; NaN -> None."""
    if isinstance(value, dict):
        return {k: round_sig(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_sig(v, digits) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return None
        return float(f"{x:.{digits}g}")
    return value


def level_key(level: float) -> str:
    """'3.5' for 3.5, '4.25' for 4.25."""
    return f"{level:g}"


def build_summary(
    ds: xr.Dataset,
    *,
    diagnostics: dict[str, Any],
    provenance: dict[str, Any],
    assumptions: list[str],
    warnings: list[str],
) -> dict[str, Any]:
    """The summary dict written as summary.json (docs/outputs.md)."""
    a = ds.attrs
    levels: dict[str, Any] = {}
    for lv in ds.level.values:
        sel = ds.sel(level=lv)
        ft = sel.first_touch_month
        levels[level_key(float(lv))] = {
            "p_touch": float(sel.p_touch.isel(date=-1)),
            "p_touch_se": float(sel.p_touch_se.isel(date=-1)),
            "p_below_at_horizon": float(sel.p_below_at_horizon),
            "p_below_at_horizon_se": float(sel.p_below_at_horizon_se),
            "first_touch_month": {
                str(m): float(v) for m, v in zip(ft.month.values, ft.values, strict=True)
            },
        }
    y_h = ds.y10.isel(date=-1)
    y10_h = {f"{float(q):g}": float(y_h.sel(quantile=q)) for q in ds["quantile"].values}
    y10_h["mean"] = float(ds.y10_mean.isel(date=-1))
    y2_h: dict[str, float] = {}
    if "y2" in ds:
        y2_end = ds.y2.isel(date=-1)
        y2_h = {f"{float(q):g}": float(y2_end.sel(quantile=q)) for q in ds["quantile"].values}
        y2_h["mean"] = float(ds.y2_mean.isel(date=-1))
    cut_count = {
        str(b): {
            str(int(k)): float(p)
            for k, p in zip(
                ds.cut_count.values, ds.cut_count_prob.sel(belief=b).values, strict=True
            )
            if p > 0
        }
        for b in ds.belief.values
    }
    entry: dict[str, Any] = {}
    best: dict[str, Any] = {}
    if "entry_return" in ds:
        er = hedged_entry_returns(ds)
        for cur in ds.currency.values:
            entry[str(cur)], best[str(cur)] = _entry_answers(er.sel(currency=cur))
    summary = {
        "scenario": a["scenario"],
        "description": a.get("description", ""),
        "as_of": a["as_of"],
        "window": [a["window_start"], a["window_end"]],
        "horizon": a["horizon"],
        "paths": int(a["paths"]),
        "seed": int(a["seed"]),
        "grid": a["grid"],
        "params_source": a["params_source"],
        "levels": levels,
        "y10_at_horizon": y10_h,
        "y2_at_horizon": y2_h,
        "cut_count": cut_count,
        "expected_cuts": {
            b: float(sum(int(k) * p for k, p in d.items())) for b, d in cut_count.items()
        },
        "entry_months": entry,
        "best_entry": best,
        **_fx_answers(ds),
        "diagnostics": diagnostics,
        "assumptions": assumptions,
        "warnings": warnings,
        "provenance": provenance,
    }
    return round_sig(summary)


def hedged_entry_returns(ds: xr.Dataset) -> xr.DataArray:
    """``entry_return`` of the FX-hedged strategies (currency, entry_month, stat).

    Results written before the unhedged leg have no ``hedge`` dimension and are taken as
    they are.
    """
    er = ds["entry_return"]
    return er.sel(hedge="hedged", drop=True) if "hedge" in er.dims else er


def _entry_answers(er: xr.DataArray) -> tuple[dict[str, Any], dict[str, Any]]:
    """One currency's stats by entry month, and its best entry month (entry_month, stat)."""
    months = [str(m) for m in er.entry_month.values]
    by_month = {
        m: {str(s): float(er.sel(entry_month=m, stat=s)) for s in er.stat.values} for m in months
    }
    means = er.sel(stat="mean").values
    month = months[int(np.nanargmax(means))]
    best = {
        "month": month,
        "mean": by_month[month]["mean"],
        "mean_se": by_month[month]["mean_se"],
        "p_best": by_month[month]["p_best"],
        "p_loss": by_month[month]["p_loss"],
        "most_often_best": months[int(np.nanargmax(er.sel(stat="p_best").values))],
    }
    return by_month, best


def _fx_answers(ds: xr.Dataset) -> dict[str, Any]:
    """The unhedged answers of the currencies with an fx leg (``fx_spot0`` not NaN)."""
    if "fx_spot0" not in ds or "entry_return" not in ds:
        return {}
    legs = [str(c) for c in ds.currency.values if np.isfinite(ds.fx_spot0.sel(currency=c))]
    out: dict[str, dict[str, Any]] = {
        "entry_months_unhedged": {},
        "best_entry_unhedged": {},
        "p_unhedged_beats_hedged": {},
        "fx_at_horizon": {},
    }
    for cur in legs:
        er = ds.entry_return.sel(currency=cur, hedge="unhedged", drop=True)
        months, best = _entry_answers(er)
        out["entry_months_unhedged"][cur] = months
        out["best_entry_unhedged"][cur] = best
        beats = ds.p_unhedged_beats_hedged.sel(currency=cur)
        out["p_unhedged_beats_hedged"][cur] = {
            str(m): float(v) for m, v in zip(beats.entry_month.values, beats.values, strict=True)
        }
        fx_h = ds.fx.sel(currency=cur).isel(date=-1)
        out["fx_at_horizon"][cur] = {
            f"{float(q):g}": float(fx_h.sel(quantile=q)) for q in ds["quantile"].values
        }
        if "fx_mean_at_horizon" in ds:
            out["fx_at_horizon"][cur]["mean"] = float(ds.fx_mean_at_horizon.sel(currency=cur))
    return out if legs else {}


def summary_json_text(summary: dict[str, Any]) -> str:
    """Stable text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


def config_sha256(*texts: str) -> str:
    """Hash of the configuration files' texts (scenario and priors)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode())
        h.update(b"\0")
    return h.hexdigest()
