"""The FX leg's memo figures: the spot fan and the hedge-or-not choice by entry month.

Drawn from the results Dataset's FX names (docs/outputs.md): ``fx`` (currency, date,
quantile; foreign units per USD), ``fx_spot0`` (currency), ``entry_return`` with its
``hedge`` dim and ``p_unhedged_beats_hedged`` (currency, entry_month). Only currencies
with an FX block are drawn (those with a finite ``fx_spot0``), one per panel; a run
without one gets no FX figure (:func:`fx_figure_builders` is empty, the figure functions
return None). The conventions are :mod:`simulator.report.figures`': a memo figure whose
title states the finding, or, with ``ax``, the main panel on the caller's axes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.data.fx import lunar_new_year_dates
from simulator.report.figures import FAN_COLOR, _as_of_marker, _dates, _entry_panel, _start
from simulator.report.style import (
    GREY,
    PALETTE,
    add_key,
    fmt_date,
    fmt_month,
    fmt_spot,
    format_date_axis,
    memo_style,
    percent_axis,
)

__all__ = [
    "FX_FIGURE_CAPTIONS",
    "fx_currencies",
    "fx_fan",
    "fx_figure_builders",
    "fx_figure_names",
    "hedge_choice",
]

FX_FIGURE_CAPTIONS: dict[str, str] = {
    "fx_fan": "FX spot fan (foreign units per USD): as-of spot, the view's median, 50/80/90% bands",
    "hedge_choice": "Hedged vs unhedged return by entry month, and P(unhedged beats hedged)",
}
CURRENCY_NAMES = {"CNY": "yuan", "EUR": "euro", "JPY": "yen"}
HEDGE_COLORS = {"hedged": PALETTE["blue"], "unhedged": PALETTE["vermillion"]}
#: (low, high, alpha, label): the 90%, 80% and 50% bands, the widest drawn first.
_BANDS = ((0.05, 0.95, 0.13, "5-95%"), (0.1, 0.9, 0.17, "10-90%"), (0.25, 0.75, 0.3, "25-75%"))


def fx_currencies(ds: xr.Dataset) -> list[str]:
    """The currencies with an FX block in this run (finite ``fx_spot0``), in ``ds`` order."""
    if "fx" not in ds or "fx_spot0" not in ds:
        return []
    spot0 = ds["fx_spot0"]
    return [str(c) for c in ds["currency"].values if np.isfinite(spot0.sel(currency=c).values)]


def _pair(cur: str) -> str:
    return f"USD/{cur}, {cur} per USD"


def _fan_finding(ds: xr.Dataset, cur: str) -> str:
    """``USD/CNY, CNY per USD: median 6.80 on 31 Dec 2026 (6.9600 as of ...) ...``."""
    fx = ds["fx"].sel(currency=cur).isel(date=-1)
    med, lo, hi = (float(fx.sel(quantile=q)) for q in (0.5, 0.1, 0.9))
    s0 = float(ds["fx_spot0"].sel(currency=cur))
    move = 100 * (s0 / med - 1)  # the foreign currency's change against the dollar
    name = CURRENCY_NAMES.get(cur, cur)
    way = "stronger" if move >= 0 else "weaker"
    return (
        f"{_pair(cur)}: median {fmt_spot(med)} on {fmt_date(ds['date'].values[-1])} "
        f"from {fmt_spot(s0)}, the {name} {abs(move):.1f}% {way}; "
        f"80% of paths {fmt_spot(lo)}-{fmt_spot(hi)}"
    )


def _panel_title(ds: xr.Dataset, cur: str) -> str:
    """``USD/EUR, EUR per USD: median 0.8610 at the horizon; 80% of paths 0.8100-0.9100``."""
    fx = ds["fx"].sel(currency=cur).isel(date=-1)
    med, lo, hi = (fmt_spot(float(fx.sel(quantile=q))) for q in (0.5, 0.1, 0.9))
    return f"{_pair(cur)}: median {med} at the horizon; 80% of paths {lo}-{hi}"


def _festival(a: Axes, dates: pd.DatetimeIndex) -> None:
    """The Lunar New Year as a dashed line labelled at the top, where inside the window."""
    for day in lunar_new_year_dates():
        if not dates[0] <= day <= dates[-1]:
            continue
        a.axvline(day, color=PALETTE["orange"], lw=1.1, ls=(0, (4, 2)), zorder=2)
        a.annotate(
            f"Lunar New Year\n{day.day} {day:%b}",
            xy=(day, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color="#1a1a1a",
            gid=f"festival:{day:%Y-%m-%d}",
        )


def _fx_panel(a: Axes, ds: xr.Dataset, cur: str) -> None:
    """One currency's fan: bands, the view's median, the as-of spot, the festival."""
    dates = _dates(ds)
    fx = ds["fx"].sel(currency=cur)
    have = {float(q) for q in ds["quantile"].values}
    for lo, hi, alpha, label in _BANDS:
        if lo in have and hi in have:
            a.fill_between(
                dates,
                fx.sel(quantile=lo).values,
                fx.sel(quantile=hi).values,
                color=FAN_COLOR,
                alpha=alpha,
                lw=0,
                label=label,
            )
    a.plot(dates, fx.sel(quantile=0.5).values, color=FAN_COLOR, lw=2.2, label="median (view)")
    s0 = float(ds["fx_spot0"].sel(currency=cur))
    a.axhline(s0, color=GREY, lw=0.8, ls=":", zorder=1.5)
    a.plot([dates[0]], [s0], "o", color="#000000", ms=5, zorder=6, label="as-of spot")
    a.annotate(
        f"{fmt_spot(s0)} as of {fmt_date(dates[0])}",
        xy=(dates[0], s0),
        xytext=(6, 5),
        textcoords="offset points",
        fontsize=8,
        color="#1a1a1a",
        gid=f"spot0:{cur}",
    )
    _as_of_marker(a, dates[0], text=False)
    if cur == "CNY":
        _festival(a, dates)
    a.set_xlim(dates[0], dates[-1])
    a.set_ylabel(f"{cur} per USD")
    format_date_axis(a)


def fx_fan(ds: xr.Dataset, ax: Axes | None = None) -> Figure | None:
    """The spot fan of each currency with an FX block: one panel each, foreign units per USD.

    Bands 5-95%, 10-90% and 25-75% of paths (90%, 80%, 50%), the view's median path, the
    as-of spot (dot and dotted line) and, on the CNY panel, the Lunar New Year where it
    falls inside the window. The spot falling is the foreign currency strengthening. With
    ``ax`` only the first currency's panel is drawn. None for a run without an FX block.

    Examples
    --------
    >>> fig = fx_fan(ds)  # doctest: +SKIP
    """
    curs = fx_currencies(ds)
    if not curs:
        return None
    with memo_style():
        n = 1 if ax is not None else len(curs)
        kw: dict[str, Any] = {}
        if n > 1:
            kw = {"nrows": n, "height": 1.6 + 1.9 * n, "sharex": True}
        detail = "Bands: 5-95%, 10-90% and 25-75% of paths; a falling spot is a stronger "
        detail += "foreign currency."
        fig, axes, own = _start(ds, ax, title=_fan_finding(ds, curs[0]), detail=detail, **kw)
        for a, cur in zip(axes[:, 0], curs[:n], strict=True):
            _fx_panel(a, ds, cur)
            if n > 1:
                a.set_title(_panel_title(ds, cur), fontsize=9, fontweight="bold")
        if own:
            add_key(fig)
        else:
            axes[0, 0].legend(loc="lower left", ncols=2, fontsize=8)
    return fig


# --------------------------------------------------------------------------- hedge choice


def _best(ds: xr.Dataset, cur: str, hedge: str) -> tuple[int, float]:
    """The entry month (index) with the highest mean return, and that mean."""
    m = ds["entry_return"].sel(currency=cur, hedge=hedge, stat="mean").values
    b = int(np.nanargmax(m))
    return b, float(m[b])


def _hedge_finding(ds: xr.Dataset, cur: str) -> str:
    """``CNY buyer: hedged beats unhedged on the mean in 9 of 11 entry months; best ...``."""
    er = ds["entry_return"].sel(currency=cur, stat="mean")
    wins = int((er.sel(hedge="hedged") > er.sel(hedge="unhedged")).sum())
    months = [str(m) for m in ds["entry_month"].values]
    parts = []
    for hedge in ("hedged", "unhedged"):
        b, mean = _best(ds, cur, hedge)
        parts.append(f"{hedge} {fmt_month(months[b], year=False)} ({100 * mean:+.1f}%)")
    return (
        f"{cur} buyer: hedged beats unhedged on the mean in {wins} of {len(months)} entry "
        f"months; best {parts[0]}, {parts[1]}"
    )


def _hedge_panel(a: Axes, ds: xr.Dataset, cur: str) -> None:
    """Hedged and unhedged returns by entry month side by side, each best month circled."""
    x = np.arange(ds.sizes["entry_month"])
    a.axhline(0, color=GREY, lw=0.7, zorder=1)
    for hedge, off in (("hedged", -0.18), ("unhedged", 0.18)):
        one = xr.Dataset({"entry_return": ds["entry_return"].sel(hedge=hedge, drop=True)})
        c = HEDGE_COLORS[hedge]
        _entry_panel(a, one, cur, offset=off, color=c, annotate=False, label=hedge)
        b, mean = _best(ds, cur, hedge)
        a.plot(
            x[b] + off,
            mean,
            "o",
            ms=9,
            mfc="none",
            mec=c,
            mew=1.2,
            label=f"best month, {hedge}",
            gid=f"best:{cur}:{hedge}",
        )
    percent_axis(a)
    a.grid(axis="x", visible=False)
    a.set_ylabel("Return (%)")


def _month_ticks(months: list[str], narrow: bool) -> list[str]:
    """``Feb``, ``Mar``, ... or, in a narrow panel, their initials."""
    return [fmt_month(m, year=False)[: 1 if narrow else 3] for m in months]


def _beats_panel(b: Axes, ds: xr.Dataset, cur: str, *, title: str, narrow: bool) -> None:
    """P(unhedged beats hedged) by entry month, with the 50% line."""
    months = [str(m) for m in ds["entry_month"].values]
    x = np.arange(len(months))
    p = ds["p_unhedged_beats_hedged"].sel(currency=cur).values
    b.bar(
        x,
        p,
        0.6,
        color=HEDGE_COLORS["unhedged"],
        alpha=0.75,
        label="P(unhedged beats hedged)",
        gid=f"p_beats:{cur}",
    )
    b.axhline(0.5, color=GREY, lw=0.8, ls="--", zorder=1)
    b.set_ylim(0, 1)
    percent_axis(b)
    b.grid(axis="x", visible=False)
    b.set_title(title, fontsize=9, fontweight="bold")
    b.set_ylabel("Paths (%)")
    year = pd.Timestamp(f"{months[0]}-01").year if months else ""
    b.set_xticks(x, _month_ticks(months, narrow))
    b.tick_params(axis="x", labelsize=8)
    b.set_xlabel(f"Entry month ({year})")


def hedge_choice(ds: xr.Dataset, ax: Axes | None = None) -> Figure | None:
    """Hedged vs unhedged return to the horizon by entry month, per currency with FX.

    Top: each entry month's mean return (dots), 25-75% (thick) and 5-95% (thin) of paths,
    hedged and unhedged side by side, each one's best month by mean circled. Bottom: the
    share of paths on which the unhedged bond beats the hedged one, against 50%. One
    column per currency with an FX block. With ``ax`` only the first currency's return
    panel is drawn. None for a run without an FX block.

    Examples
    --------
    >>> fig = hedge_choice(ds)  # doctest: +SKIP
    """
    curs = fx_currencies(ds)
    if not curs:
        return None
    with memo_style():
        detail = "Return to horizon in the buyer's currency: dot mean, bars 25-75% and 5-95% "
        detail += "of paths; best month by mean circled."
        kw: dict[str, Any] = {}
        if ax is None:
            kw = {"nrows": 2, "ncols": len(curs), "height": 4.5, "sharex": True}
            kw["gridspec_kw"] = {"height_ratios": [1.8, 1.0]}
        fig, axes, own = _start(ds, ax, title=_hedge_finding(ds, curs[0]), detail=detail, **kw)
        months = [str(m) for m in ds["entry_month"].values]
        narrow = axes.shape[1] > 1
        for k, cur in enumerate(curs[: axes.shape[1]]):
            a = axes[0, k]
            _hedge_panel(a, ds, cur)
            a.set_xticks(np.arange(len(months)), _month_ticks(months, narrow))
            if own:
                top = f"{cur} base" if narrow else f"{cur} base: hedged vs unhedged"
                a.set_title(top, fontsize=9, fontweight="bold")
                bottom = f"{cur}: P(unhedged wins)" if narrow else "P(unhedged beats hedged)"
                _beats_panel(axes[1, k], ds, cur, title=bottom, narrow=narrow)
                if k > 0:
                    for panel in axes[:, k]:
                        panel.set_ylabel("")
        if own:
            fig.align_ylabels(axes[:, 0])
            add_key(fig)
        else:
            axes[0, 0].legend(loc="lower left", ncols=2, fontsize=8)
    return fig


def fx_figure_builders(ds: xr.Dataset) -> dict[str, Callable[[], Figure]]:
    """The FX figures of a run as ``name -> builder`` for ``write_figures``; empty without FX.

    Examples
    --------
    >>> builders = fx_figure_builders(ds)  # doctest: +SKIP
    >>> sorted(builders)  # doctest: +SKIP
    ['fx_fan', 'hedge_choice']
    """
    if not fx_currencies(ds):
        return {}
    draw: dict[str, Callable[..., Figure | None]] = {"fx_fan": fx_fan, "hedge_choice": hedge_choice}
    return {name: partial(_drawn, f, ds) for name, f in draw.items()}


def _drawn(f: Callable[..., Figure | None], ds: xr.Dataset) -> Figure:
    """``f(ds)``, which is a Figure whenever the run has an FX block."""
    fig = f(ds)
    if fig is None:
        raise ValueError(f"{f.__name__} drew nothing: the run has no FX block")
    return fig


def fx_figure_names(summary: Mapping[str, Any]) -> list[str]:
    """The FX figures a run's summary page shows: both when the run has an FX block."""
    return list(FX_FIGURE_CAPTIONS) if summary.get("best_entry_unhedged") else []
