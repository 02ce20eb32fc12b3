"""Several runs' FX legs side by side: the spot fans and the hedge choice overlaid.

The companions of :mod:`simulator.report.compare` for the FX names (docs/outputs.md): the
same scenario colours, labels and scaffold. Only currencies with an FX block in at least
one run are drawn, one panel (column) each; a run without that currency's block adds
nothing to its panel. Runs without any FX block give no figures and no rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.report.compare import _overlay, _row, _scaffold
from simulator.report.fx_figures import _month_ticks, _pair, fx_currencies
from simulator.report.style import (
    GREY,
    SCENARIO_COLORS,
    add_key,
    fmt_date,
    fmt_month,
    fmt_spot,
    format_date_axis,
    percent_axis,
)

__all__ = ["compare_fx_figures", "compare_fx_rows"]


def _fx_currencies(datasets: Sequence[xr.Dataset]) -> list[str]:
    """Currencies with an FX block in any run, in the first run's currency order."""
    have = {c for d in datasets for c in fx_currencies(d)}
    return [str(c) for c in datasets[0]["currency"].values if str(c) in have]


def _fx(d: xr.Dataset, cur: str) -> xr.DataArray:
    """The run's spot quantiles (date, quantile) for ``cur``; NaN if it has no such block."""
    if cur in fx_currencies(d):
        return d["fx"].sel(currency=cur, drop=True)
    return xr.full_like(d["y10"], np.nan)


def _median_at_horizon(d: xr.Dataset, cur: str) -> float:
    return float(_fx(d, cur).sel(quantile=0.5).isel(date=-1))


def _fans(datasets: Sequence[xr.Dataset], labels: Sequence[str], curs: list[str]) -> Figure:
    horizon = fmt_date(datasets[0]["date"].values[-1])
    meds = [_median_at_horizon(d, curs[0]) for d in datasets]
    title = f"Median USD/{curs[0]} at {horizon}: " + ", ".join(
        f"{lab} {fmt_spot(m)}" for lab, m in zip(labels, meds, strict=True) if np.isfinite(m)
    )
    n = len(curs)
    kw: dict[str, Any] = {"nrows": n, "sharex": True}
    if n > 1:
        kw["height"] = 1.6 + 1.9 * n
    fig, axes = _scaffold(datasets, labels, title, "Lines: median; bands: 25-75% of paths.", **kw)
    dates0 = pd.DatetimeIndex(datasets[0]["date"].values)
    spot0 = [d["fx_spot0"] for d in datasets if "fx_spot0" in d]
    for a, cur in zip(axes[:, 0], curs, strict=True):
        var = f"fx_{cur}"
        # a run without this currency's block draws nothing and stays out of the key
        pairs = zip(datasets, labels, strict=True)
        keyed = [lab if cur in fx_currencies(d) else f"_{lab}" for d, lab in pairs]
        _overlay(a, [d.assign({var: _fx(d, cur)}) for d in datasets], keyed, var)
        s0 = float(np.nanmax([float(s.sel(currency=cur)) for s in spot0]))  # one run's at least
        a.plot([dates0[0]], [s0], "o", color="#000000", ms=5, zorder=6, label="as-of spot")
        a.set_xlim(dates0[0], dates0[-1])
        a.set_ylabel(f"{cur} per USD")
        a.set_title(_pair(cur), fontsize=9, fontweight="bold")
        format_date_axis(a)
    add_key(fig)
    return fig


def _hedge_lines(
    a: Axes, b: Axes, datasets: Sequence[xr.Dataset], labels: Sequence[str], cur: str
) -> None:
    """Each run's mean return hedged (dashed) and unhedged (solid); P(unhedged wins) below."""
    for i, (d, lab) in enumerate(zip(datasets, labels, strict=True)):
        if cur not in fx_currencies(d):
            continue
        c = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        x = np.arange(d.sizes["entry_month"])
        er = d["entry_return"].sel(currency=cur, stat="mean")
        unh, hed = (er.sel(hedge=h).values for h in ("unhedged", "hedged"))
        a.plot(x, unh, "-o", color=c, ms=3.5, label=lab, gid=f"unhedged:{lab}:{cur}")
        a.plot(x, hed, color=c, lw=1.2, ls=(0, (4, 2)), gid=f"hedged:{lab}:{cur}")
        p = d["p_unhedged_beats_hedged"].sel(currency=cur).values
        b.plot(x, p, "-o", color=c, ms=3.5, gid=f"p_beats:{lab}:{cur}")


def _hedges(datasets: Sequence[xr.Dataset], labels: Sequence[str], curs: list[str]) -> Figure:
    bests = []
    for d, lab in zip(datasets, labels, strict=True):
        if curs[0] in fx_currencies(d):
            m = d["entry_return"].sel(currency=curs[0], hedge="unhedged", stat="mean").values
            month = str(d["entry_month"].values[int(np.nanargmax(m))])
            bests.append(f"{lab} {fmt_month(month, year=False)}")
    title = f"Best unhedged {curs[0]} entry month by expected return: " + ", ".join(bests)
    detail = "Solid: unhedged mean return; dashed: hedged; bottom: P(unhedged beats hedged)."
    fig, axes = _scaffold(
        datasets,
        labels,
        title,
        detail,
        nrows=2,
        ncols=len(curs),
        height=4.5,
        sharex=True,
        gridspec_kw={"height_ratios": [1.8, 1.0]},
    )
    months = [str(m) for m in datasets[0]["entry_month"].values]
    year = pd.Timestamp(f"{months[0]}-01").year if months else ""
    for k, cur in enumerate(curs):
        a, b = axes[:, k]
        a.axhline(0, color=GREY, lw=0.7, zorder=1)
        _hedge_lines(a, b, datasets, labels, cur)
        b.axhline(0.5, color=GREY, lw=0.8, ls="--", zorder=1)
        b.set_ylim(0, 1)
        for panel in (a, b):
            percent_axis(panel)
            panel.grid(axis="x", visible=False)
        a.set_title(f"{cur} base", fontsize=9, fontweight="bold")
        b.set_xticks(np.arange(len(months)), _month_ticks(months, len(curs) > 1))
        b.set_xlabel(f"Entry month ({year})")
        if k == 0:
            a.set_ylabel("Return (%)")
            b.set_ylabel("P(unhedged\nwins) (%)")
    add_key(fig)
    return fig


def compare_fx_figures(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> dict[str, Figure]:
    """The FX overlays ``{"fx_fan", "hedge_choice"}``; empty when no run has an FX block.

    Call inside :func:`~simulator.report.style.memo_style` with the unique labels
    :func:`simulator.report.compare.compare_figures` uses. Every series carries a gid
    ``"<kind>:<label>:<currency>"`` (``unhedged``, ``hedged``, ``p_beats``) or, on the
    fans, ``"fx_<currency>_median:<label>"``.

    Examples
    --------
    >>> figs = compare_fx_figures([ds_base, ds_view], ["base", "view"])  # doctest: +SKIP
    """
    curs = _fx_currencies(datasets)
    if not curs:
        return {}
    fan = _fans(datasets, labels, curs)
    return {"fx_fan": fan, "hedge_choice": _hedges(datasets, labels, curs)}


def compare_fx_rows(
    summaries: Sequence[Mapping[str, Any]], labels: Sequence[str]
) -> list[dict[str, Any]]:
    """The FX rows of :func:`~simulator.report.compare.compare_table`, one set a currency.

    The best unhedged entry month, its expected return and P(unhedged beats hedged) in
    it, and the median spot at the horizon (``kind`` ``spot``); None where a run lacks them.
    """
    rows: list[dict[str, Any]] = []
    curs = list(dict.fromkeys(c for s in summaries for c in s.get("best_entry_unhedged") or {}))
    for cur in curs:
        be = [(s.get("best_entry_unhedged") or {}).get(cur, {}) for s in summaries]
        beats = [(s.get("p_unhedged_beats_hedged") or {}).get(cur, {}) for s in summaries]
        fx = [(s.get("fx_at_horizon") or {}).get(cur, {}) for s in summaries]
        month = [b.get("month") for b in be]
        rows += [
            _row(f"Best unhedged entry month, {cur}", "month", labels, month),
            _row(
                f"Expected unhedged return at best, {cur}",
                "return",
                labels,
                [b.get("mean") for b in be],
            ),
            _row(
                f"P(unhedged beats hedged) in that month, {cur}",
                "probability",
                labels,
                [p.get(m) if m else None for p, m in zip(beats, month, strict=True)],
            ),
            _row(f"Median USD/{cur} at horizon", "spot", labels, [f.get("0.5") for f in fx]),
        ]
    return rows
