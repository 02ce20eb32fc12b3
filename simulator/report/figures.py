"""Memo figures drawn from a results Dataset (output names in docs/outputs.md).

Each function takes the results :class:`xarray.Dataset` and an optional ``ax`` and returns
a :class:`~matplotlib.figure.Figure`. Without ``ax`` the figure is a full memo figure: a
title stating the finding (computed from the data), a subtitle with the scenario and
as-of date, axis labels with units, and the source line. With ``ax`` the main panel is
drawn on the caller's axes with the finding as the axes title (no scaffold; a second
panel, where a figure has one, is left out). Nothing here computes a statistic the engine
has not already computed; the functions read, format and draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.report.style import (
    BELIEF_COLORS,
    BELIEF_LABELS,
    CURRENCY_COLORS,
    GREY,
    LIGHT_GREY,
    MEMO_HEIGHT,
    PALETTE,
    add_key,
    axes_title,
    fmt_date,
    fmt_month,
    fmt_pct,
    format_date_axis,
    memo_figure,
    memo_style,
    percent_axis,
    save_figures,
    source_line,
    subtitle_for,
)
from simulator.report.summary import hedged_entry_returns

__all__ = [
    "FIGURES",
    "all_figures",
    "cut_distribution",
    "decomposition",
    "entry_returns",
    "fan_chart",
    "posterior_densities",
    "touch_curve",
    "view_vs_market",
    "write_figures",
]

LEVEL_COLORS = [PALETTE["vermillion"], PALETTE["reddish_purple"], PALETTE["orange"], "#000000"]
FAN_COLOR = PALETTE["blue"]


# --------------------------------------------------------------------------- helpers


def _dates(ds: xr.Dataset, dim: str = "date") -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ds[dim].values)


def _level_label(level: float) -> str:
    return f"{float(level):.2f}%"


def _fomc_dates(ds: xr.Dataset) -> pd.DatetimeIndex:
    """FOMC decision dates in the window (attrs, else the ``meeting`` coordinate)."""
    raw = ds.attrs.get("fomc_dates")
    if raw is None or len(raw) == 0:
        raw = ds["meeting"].values if "meeting" in ds.coords else []
    return pd.DatetimeIndex(pd.to_datetime(list(raw)))


def _start(
    ds: xr.Dataset,
    ax: Axes | None,
    *,
    title: str,
    detail: str,
    ncols: int = 1,
    nrows: int = 1,
    height: float = MEMO_HEIGHT,
    **kw: Any,
) -> tuple[Figure, np.ndarray, bool]:
    """A memo figure (``ax`` None) or the caller's axes with the finding as its title."""
    if ax is None:
        fig, axes = memo_figure(
            title=title,
            subtitle=subtitle_for(ds.attrs, detail),
            source=source_line(ds.attrs),
            nrows=nrows,
            ncols=ncols,
            height=height,
            **kw,
        )
        return fig, axes, True
    axes_title(ax, title)
    host = ax.get_figure(root=True)  # for an axes on a SubFigure, the figure holding it
    if not isinstance(host, Figure):
        raise ValueError("ax must belong to a Figure")
    return host, np.array([[ax]]), False


def _fomc_ticks(ax: Axes, dates: pd.DatetimeIndex, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """FOMC decisions as small ticks standing on the x-axis."""
    inside = dates[(dates >= lo) & (dates <= hi)]
    if len(inside) == 0:
        return
    ax.plot(
        inside,
        np.zeros(len(inside)),
        transform=ax.get_xaxis_transform(),
        marker=2,
        markersize=7,
        markeredgewidth=1.4,
        linestyle="none",
        color=GREY,
        clip_on=False,
        label="FOMC decision",
        zorder=5,
    )


def _expected_cuts(ds: xr.Dataset, belief: str) -> float:
    p = ds["cut_count_prob"].sel(belief=belief).values
    k = ds["cut_count"].values.astype(float)
    return float(np.nansum(p * k))


def _p_cut_per_meeting(ds: xr.Dataset, var: str) -> np.ndarray:
    moves = ds["move_bp"].values
    return np.asarray(ds[var].sel(move_bp=moves[moves < 0]).sum("move_bp").values)


# --------------------------------------------------------------------------- fan chart

_FAN_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _fan_quantiles(da: xr.DataArray) -> dict[float, np.ndarray]:
    return {p: da.sel(quantile=p).values for p in _FAN_QUANTILES}


def _has_2y(ds: xr.Dataset) -> bool:
    """A run with the 2-year (results.nc files written before it have no ``y2``)."""
    return "y2" in ds and bool(np.isfinite(ds["y2"].values).any())


def _fan_bands(a: Axes, dates: pd.DatetimeIndex, q: Mapping[float, np.ndarray]) -> None:
    """The 5-95% and 25-75% bands and the median line (the house fan)."""
    a.fill_between(dates, q[0.05], q[0.95], color=FAN_COLOR, alpha=0.15, lw=0, label="5-95%")
    a.fill_between(dates, q[0.25], q[0.75], color=FAN_COLOR, alpha=0.32, lw=0, label="25-75%")


def _fan_history(a: Axes, ds: xr.Dataset, dates: pd.DatetimeIndex) -> pd.Timestamp:
    """Observed 10y before the as-of and the "as of" marker; returns the x-axis start."""
    lo = dates[0]
    if ds.sizes.get("hist_date", 0) == 0:
        return lo
    hd = _dates(ds, "hist_date")
    a.plot(hd, ds["y10_observed"].values, color="#1a1a1a", lw=1.2, label="observed")
    _as_of_marker(a, dates[0])
    return min(lo, hd[0])


def _as_of_marker(a: Axes, as_of: pd.Timestamp, *, text: bool = True) -> None:
    a.axvline(as_of, color=GREY, lw=0.6, ls=":", zorder=1)
    if not text:
        return
    a.annotate(
        "as of",
        xy=(as_of, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -2),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
        color=GREY,
    )


def _fan_levels(a: Axes, ds: xr.Dataset) -> None:
    """The levels asked about: dashed lines labelled at the right."""
    for i, lev in enumerate(np.atleast_1d(ds["level"].values)):
        c = LEVEL_COLORS[i % len(LEVEL_COLORS)]
        a.axhline(float(lev), color=c, lw=1.0, ls=(0, (4, 3)), zorder=2)
        a.annotate(
            _level_label(lev),
            xy=(1.0, float(lev)),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=8.5,
            color=c,
            annotation_clip=False,
        )


def _fan_10y(
    a: Axes, ds: xr.Dataset, q: Mapping[float, np.ndarray], sample_paths: int
) -> pd.Timestamp:
    """The 10y panel: bands, sample paths, median, mean, history, levels, FOMC ticks.

    Returns the start of the x-axis (the first observed date, else the as-of).
    """
    dates = _dates(ds)
    _fan_bands(a, dates, q)
    n = min(sample_paths, ds.sizes.get("path", 0))
    for i in range(n):
        a.plot(
            dates,
            ds["y10_paths"].isel(path=i).values,
            color=LIGHT_GREY,
            lw=0.5,
            alpha=0.8,
            label="sample paths" if i == 0 else "_nolegend_",
            zorder=1.5,
        )
    a.plot(dates, q[0.5], color=FAN_COLOR, lw=2.2, label="median")
    a.plot(dates, ds["y10_mean"].values, color="#000000", lw=1.0, ls=(0, (2, 2)), label="mean")
    lo = _fan_history(a, ds, dates)
    _fan_levels(a, ds)
    _fomc_ticks(a, _fomc_dates(ds), lo, dates[-1])
    a.set_xlim(lo, dates[-1])
    a.set_ylabel("10-year Treasury yield (%)")
    format_date_axis(a)
    return lo


def _median_2s10s_bp(ds: xr.Dataset) -> np.ndarray | None:
    """Median over the sample paths of 10y - 2y on each date (bp); None without 2y paths."""
    if "y2_paths" not in ds or ds.sizes.get("path", 0) == 0:
        return None
    spread = (ds["y10_paths"] - ds["y2_paths"]).values * 100
    ok = np.isfinite(spread).all(axis=1)  # NaN 2y paths: a file written before the 2y
    if not ok.any():
        return None
    return np.asarray(np.median(spread[ok], axis=0))


def _fan_2y(b: Axes, ds: xr.Dataset, lo: pd.Timestamp) -> None:
    """The 2y panel: the 10y panel's bands and median; the 2s10s in a note."""
    dates = _dates(ds)
    q = _fan_quantiles(ds["y2"])
    _fan_bands(b, dates, q)
    b.plot(dates, q[0.5], color=FAN_COLOR, lw=2.2, label="median", gid="y2_median")
    if lo < dates[0]:
        _as_of_marker(b, dates[0], text=False)
    _fomc_ticks(b, _fomc_dates(ds), lo, dates[-1])
    b.set_xlim(lo, dates[-1])
    b.set_ylabel("2y yield (%)")
    title = (
        f"2-year Treasury yield: median {q[0.5][-1]:.2f}% at {fmt_date(dates[-1])} "
        f"(from {q[0.5][0]:.2f}%)"
    )
    b.set_title(title, fontsize=9, fontweight="bold")
    format_date_axis(b)
    _spread_note(b, ds, q)


def _spread_note(b: Axes, ds: xr.Dataset, q: Mapping[float, np.ndarray]) -> None:
    """The median 2s10s of the sample paths, now and at the horizon, in one line.

    The note sits in the top or bottom left corner, whichever needs less room; the y range
    grows so that the 5-95% band stays clear of it (the fan is narrow near the as-of).
    """
    spread = _median_2s10s_bp(ds)
    if spread is None:
        return
    dates = _dates(ds)
    text = (
        f"Median 2s10s of {ds.sizes['path']} sample paths: "
        f"{spread[0]:+.0f}bp now, {spread[-1]:+.0f}bp at {fmt_date(dates[-1])}"
    )
    ylo, yhi = b.get_ylim()
    x0, x1 = (float(v) for v in b.get_xlim())
    under = mdates.date2num(dates) <= x0 + 0.7 * (x1 - x0)  # the x-span the note covers
    top_frac, bottom_frac = 0.2, 0.3  # of the panel's height; the bottom clears FOMC ticks
    new_hi = ylo + (float(np.max(q[0.95][under])) - ylo) / (1 - top_frac)
    new_lo = (float(np.min(q[0.05][under])) - bottom_frac * yhi) / (1 - bottom_frac)
    on_top = max(0.0, new_hi - yhi) <= max(0.0, ylo - new_lo)
    b.set_ylim(ylo, max(yhi, new_hi)) if on_top else b.set_ylim(min(ylo, new_lo), yhi)
    b.annotate(
        text,
        xy=(0.01, 1.0 if on_top else 0.0),
        xycoords="axes fraction",
        xytext=(0, -3 if on_top else 9),  # the bottom note clears the FOMC ticks
        textcoords="offset points",
        ha="left",
        va="top" if on_top else "bottom",
        fontsize=8,
        color="#1a1a1a",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def fan_chart(ds: xr.Dataset, ax: Axes | None = None, *, sample_paths: int = 5) -> Figure:
    """10y fan: 5-95% and 25-75% bands, median and mean, history, levels, FOMC dates.

    A run with the 2-year (``y2``) gets a second panel under the 10y: the 2y's fan (the
    same bands and median, the same dates and FOMC ticks) and, in a note, the median 2s10s
    spread of the sample paths now and at the horizon. With ``ax``, or for a run without
    ``y2``, only the 10y panel is drawn.

    Parameters
    ----------
    ds
        Results Dataset (``y10``, ``y10_mean``, ``y10_paths``, ``y10_observed``; ``y2``
        and ``y2_paths`` for the 2y panel).
    ax
        Draw the 10y panel on this axes instead of a new memo figure.
    sample_paths
        How many thin sample paths to draw (the first of ``y10_paths``).

    Examples
    --------
    >>> fig = fan_chart(ds)  # doctest: +SKIP
    """
    with memo_style():
        dates = _dates(ds)
        q = _fan_quantiles(ds["y10"])
        y0 = float(q[0.5][0])
        title = (
            f"Median 10y at {fmt_date(dates[-1])}: {q[0.5][-1]:.2f}% (from {y0:.2f}%); "
            f"80% of paths {q[0.1][-1]:.2f}-{q[0.9][-1]:.2f}%"
        )
        two = ax is None and _has_2y(ds)
        kw: dict[str, Any] = {}
        if two:
            kw = {"nrows": 2, "height": 4.5, "sharex": True}
            kw["gridspec_kw"] = {"height_ratios": [1.75, 1.0]}
        detail = "Bands: 5-95% and 25-75% of paths."
        fig, axes, own = _start(ds, ax, title=title, detail=detail, **kw)
        a = axes[0, 0]
        lo = _fan_10y(a, ds, q, sample_paths)
        if two:
            _fan_2y(axes[1, 0], ds, lo)
        if own:
            add_key(fig)
        else:
            a.legend(loc="lower left", ncols=2, fontsize=8)
    return fig


# --------------------------------------------------------------------------- touch curve


def touch_curve(ds: xr.Dataset, ax: Axes | None = None) -> Figure:
    """P(10y touches each level by date) with a ±2 s.e. band; first-touch month bars.

    The left panel is the cumulative probability of a close at or beyond the level by each
    date; the right panel splits the horizon probability by the month of the first touch
    (the bars add up to the curve's end point). With ``ax`` only the left panel is drawn.
    """
    with memo_style():
        dates = _dates(ds)
        levels = np.atleast_1d(ds["level"].values)
        horizon = fmt_date(dates[-1])
        if len(levels) == 0:
            title = "No touch levels in this run"
        else:
            parts = []
            for i, lev in enumerate(levels):
                p = float(ds["p_touch"].isel(level=i).values[-1])
                se = float(ds["p_touch_se"].isel(level=i).values[-1])
                parts.append(f"{_level_label(lev)}: {fmt_pct(p)} ± {fmt_pct(se, 1)}")
            title = (
                f"P(10y touches {parts[0].split(':')[0]}) by {horizon}:" + parts[0].split(":", 1)[1]
            )
            if len(parts) > 1:
                title += "; " + "; ".join(parts[1:])
        fig, axes, own = _start(
            ds,
            ax,
            title=title,
            detail="Close at or beyond the level; band ±2 s.e., ± in title 1 s.e.",
            ncols=2 if ax is None else 1,
            gridspec_kw={"width_ratios": [1.45, 1.0]} if ax is None else None,
        )
        a = axes[0, 0]
        for i, lev in enumerate(levels):
            c = LEVEL_COLORS[i % len(LEVEL_COLORS)]
            pt = ds["p_touch"].isel(level=i).values
            pse = ds["p_touch_se"].isel(level=i).values
            a.fill_between(
                dates,
                np.clip(pt - 2 * pse, 0, 1),
                np.clip(pt + 2 * pse, 0, 1),
                color=c,
                alpha=0.25,
                lw=0,
            )
            a.plot(dates, pt, color=c, lw=1.8, label=_level_label(lev))
        a.set_ylim(0, max(0.05, float(np.nanmax(ds["p_touch"].values, initial=0.0)) * 1.15))
        a.set_xlim(dates[0], dates[-1])
        percent_axis(a)
        a.set_ylabel("P(touched by date) (%)")
        format_date_axis(a)
        if len(levels) > 1 and own:
            add_key(fig)
        elif not own:
            a.legend(loc="upper left")
        if own:
            b = axes[0, 1]
            months = [str(m) for m in ds["month"].values]
            x = np.arange(len(months))
            width = 0.8 / max(1, len(levels))
            for i in range(len(levels)):
                c = LEVEL_COLORS[i % len(LEVEL_COLORS)]
                v = ds["first_touch_month"].isel(level=i).values
                b.bar(x + (i - (len(levels) - 1) / 2) * width, v, width, color=c, alpha=0.85)
            b.set_xticks(x, [fmt_month(m, year=False)[0] for m in months])
            b.grid(axis="x", visible=False)
            percent_axis(b)
            b.set_ylabel("P(first touch in month) (%)")
            year = pd.Timestamp(f"{months[0]}-01").year if months else ""
            b.set_xlabel(f"Month of first touch ({year})")
    return fig


# --------------------------------------------------------------------------- entry returns


def _entry_panel(
    a: Axes,
    ds: xr.Dataset,
    cur: str,
    *,
    offset: float = 0.0,
    color: str | None = None,
    annotate: bool = True,
    label: str | None = None,
) -> None:
    er = hedged_entry_returns(ds).sel(currency=cur)
    x = np.arange(ds.sizes["entry_month"]) + offset
    s = {k: er.sel(stat=k).values for k in ("mean", "q05", "q25", "q75", "q95", "p_best")}
    c = color or CURRENCY_COLORS.get(cur, FAN_COLOR)
    a.vlines(x, s["q05"], s["q95"], color=c, lw=0.8, alpha=0.6)
    a.vlines(x, s["q25"], s["q75"], color=c, lw=3.2, alpha=0.55)
    a.plot(x, s["mean"], "o", color=c, ms=4.5, mec="white", mew=0.6, label=label or cur)
    if annotate and np.isfinite(s["mean"]).any():
        b = int(np.nanargmax(s["mean"]))
        a.plot(x[b], s["mean"][b], "o", ms=9, mfc="none", mec="#000000", mew=1.0)
        month = fmt_month(str(ds["entry_month"].values[b]), year=False)
        a.annotate(
            f"best mean: {month}, {s['mean'][b] * 100:+.1f}%\nP(best) {fmt_pct(s['p_best'][b])}",
            xy=(0.99, 0.97),
            xycoords="axes fraction",
            ha="right",
            va="top",
            fontsize=8,
            color="#1a1a1a",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )


def _currency_title(cur: str) -> str:
    return f"{cur} base, unhedged" if cur == "USD" else f"{cur} base, hedged"


def entry_returns(
    ds: xr.Dataset, ax: Axes | None = None, *, currencies: Sequence[str] | None = None
) -> Figure:
    """Return to the horizon by entry month, one panel per base currency.

    Markers are means, thick bars the 25-75% range of paths, thin bars 5-95%; the best
    month by mean is circled and its P(best) (the share of paths on which that month is
    the best) annotated. Returns are over the whole as-of -> horizon span (cash until
    entry), so months compare like with like. With ``ax``, all currencies share one axes.
    """
    with memo_style():
        curs = [str(c) for c in (currencies or ds["currency"].values)]
        best: dict[str, str] = {}
        for cur in curs:
            m = hedged_entry_returns(ds).sel(currency=cur, stat="mean").values
            if np.isfinite(m).any():
                best[cur] = fmt_month(str(ds["entry_month"].values[int(np.nanargmax(m))]))
        if best and len(set(best.values())) == 1:
            title = f"Best entry month by expected return: {next(iter(best.values()))}"
            title += " for every base currency" if len(best) > 1 else f" ({curs[0]})"
        else:
            title = "Best entry month: " + ", ".join(f"{c} {v.split()[0]}" for c, v in best.items())
        detail = "Return to horizon: dot mean, bars 25-75% and 5-95% of paths."
        n = len(curs)
        if ax is None:
            ncols = 2 if n > 1 else 1
            nrows = math.ceil(n / ncols)
            fig, axes, own = _start(
                ds,
                None,
                title=title,
                detail=detail,
                nrows=nrows,
                ncols=ncols,
                height=4.3 if nrows > 1 else MEMO_HEIGHT,
                sharex=True,
                sharey=True,
            )
        else:
            fig, axes, own = _start(ds, ax, title=title, detail=detail)
        months = [str(m) for m in ds["entry_month"].values]
        ticks = [fmt_month(m, year=False) for m in months]
        year = pd.Timestamp(f"{months[0]}-01").year if months else ""
        flat = axes.ravel()
        if own:
            for i, cur in enumerate(curs):
                a = flat[i]
                a.axhline(0, color=GREY, lw=0.7, zorder=1)
                _entry_panel(a, ds, cur)
                a.set_title(_currency_title(cur), fontsize=9, fontweight="bold")
                percent_axis(a)
                a.grid(axis="x", visible=False)
            for a in flat[n:]:
                a.set_visible(False)
            # Headroom above the 95% bars for the best-month note (top right).
            er = hedged_entry_returns(ds).sel(currency=curs)
            lo = float(er.sel(stat="q05").min())
            hi = float(er.sel(stat="q95").max())
            span = hi - lo if hi > lo else 0.01
            flat[0].set_ylim(lo - 0.05 * span, hi + 0.32 * span)
            nrows, ncols = axes.shape
            for i, a in enumerate(flat[:n]):
                r, c = divmod(i, ncols)
                if c == 0:
                    a.set_ylabel("Return (%)")
                if r == nrows - 1 or i + ncols >= n:
                    a.set_xlabel(f"Entry month ({year})")
                    a.xaxis.set_tick_params(labelbottom=True)
                a.set_xticks(np.arange(len(months)), ticks)
                a.tick_params(axis="x", labelsize=8)
        else:
            a = flat[0]
            a.axhline(0, color=GREY, lw=0.7, zorder=1)
            w = 0.8 / max(1, n)
            for i, cur in enumerate(curs):
                _entry_panel(a, ds, cur, offset=(i - (n - 1) / 2) * w, annotate=False)
            a.set_xticks(np.arange(len(months)), ticks)
            er = hedged_entry_returns(ds).sel(currency=curs)
            lo, hi = float(er.sel(stat="q05").min()), float(er.sel(stat="q95").max())
            span = hi - lo if hi > lo else 0.01
            a.set_ylim(lo - 0.05 * span, hi + 0.2 * span)  # room for the key above the bars
            percent_axis(a)
            a.set_ylabel("Return to horizon (%)")
            a.set_xlabel(f"Entry month ({year})")
            a.legend(loc="upper right", ncols=n)
    return fig


# --------------------------------------------------------------------------- policy


def _cut_bars(a: Axes, ds: xr.Dataset, beliefs: Sequence[str]) -> None:
    k = ds["cut_count"].values
    w = 0.8 / len(beliefs)
    for i, b in enumerate(beliefs):
        p = ds["cut_count_prob"].sel(belief=b).values
        a.bar(
            k + (i - (len(beliefs) - 1) / 2) * w,
            p,
            w,
            color=BELIEF_COLORS.get(b, GREY),
            label=BELIEF_LABELS.get(b, b),
        )
    a.set_xticks(k)
    a.grid(axis="x", visible=False)
    percent_axis(a)
    a.set_xlabel("Net 25bp cuts in window (count)")
    a.set_ylabel("Probability (%)")


def _meeting_bars(a: Axes, ds: xr.Dataset) -> None:
    meetings = _dates(ds, "meeting")
    x = np.arange(len(meetings))
    for i, (var, b) in enumerate((("move_prob", "view"), ("market_move_prob", "market"))):
        if var not in ds:
            continue
        a.bar(
            x + (i - 0.5) * 0.4,
            _p_cut_per_meeting(ds, var),
            0.4,
            color=BELIEF_COLORS[b],
            label=BELIEF_LABELS[b],
        )
    a.set_xticks(x, [f"{d.day}\n{d:%b}" for d in meetings])
    a.tick_params(axis="x", labelsize=8)
    a.grid(axis="x", visible=False)
    percent_axis(a)
    a.set_ylim(0, 1)
    year = meetings[0].year if len(meetings) else ""
    a.set_xlabel(f"FOMC decision ({year})")
    a.set_ylabel("P(cut at meeting) (%)")


def cut_distribution(ds: xr.Dataset, ax: Axes | None = None) -> Figure:
    """Distribution of net cuts (view prior, view, market) and P(cut) at each meeting.

    With ``ax`` only the cut-count panel is drawn.
    """
    with memo_style():
        kv, km = _expected_cuts(ds, "view"), _expected_cuts(ds, "market")
        p_view = ds["cut_count_prob"].sel(belief="view").values
        mode = int(ds["cut_count"].values[int(np.nanargmax(p_view))])
        title = (
            f"View: {kv:.1f} net cuts expected in the window vs market {km:.1f}; most likely {mode}"
        )
        fig, axes, own = _start(
            ds,
            ax,
            title=title,
            detail="Negative counts are hikes; meeting bars: P(any cut) at each decision.",
            ncols=2 if ax is None else 1,
            gridspec_kw={"width_ratios": [1.15, 1.0]} if ax is None else None,
        )
        a = axes[0, 0]
        _cut_bars(a, ds, [str(b) for b in ds["belief"].values])
        if own:
            _meeting_bars(axes[0, 1], ds)
            add_key(fig)
        else:
            a.legend(loc="upper right")
    return fig


def view_vs_market(ds: xr.Dataset, ax: Axes | None = None) -> Figure:
    """View vs market: cut-count distributions and expected policy paths side by side.

    With ``ax`` only the policy-path panel is drawn.
    """
    with memo_style():
        dates = _dates(ds)
        kv, km = _expected_cuts(ds, "view"), _expected_cuts(ds, "market")
        rv = float(ds["view_policy_path"].values[-1])
        rm = float(ds["market_policy_path"].values[-1])
        title = (
            f"View expects {kv:.1f} cuts vs market {km:.1f}: policy rate "
            f"{rv:.2f}% vs {rm:.2f}% by {fmt_date(dates[-1])}"
        )
        fig, axes, own = _start(
            ds,
            ax,
            title=title,
            detail="Expected paths as of the as-of date.",
            ncols=2 if ax is None else 1,
        )
        if own:
            _cut_bars(axes[0, 0], ds, ["view", "market"])
            a = axes[0, 1]
        else:
            a = axes[0, 0]
        for var, b in (("view_policy_path", "view"), ("market_policy_path", "market")):
            a.plot(
                dates,
                ds[var].values,
                color=BELIEF_COLORS[b],
                lw=1.8,
                drawstyle="steps-post",
                label=BELIEF_LABELS[b],
            )
        _fomc_ticks(a, _fomc_dates(ds), dates[0], dates[-1])
        a.set_xlim(dates[0], dates[-1])
        a.set_ylabel("Expected policy rate (%)")
        format_date_axis(a, every=2 if own else 1)
        if own:
            add_key(fig)
        else:
            a.legend(loc="upper right")
    return fig


# --------------------------------------------------------------------------- decomposition


def decomposition(ds: xr.Dataset, ax: Axes | None = None) -> Figure:
    """Mean 10y = expectations component + term premium, in levels and in changes.

    Left: the mean 10y and its expectations component; the gap between them, shaded, is
    the term premium (the decomposition of the mean path is exactly additive). Right: each
    part's change since the as-of date in bp; the two parts add up to the 10y line. With
    ``ax`` only the levels panel is drawn.
    """
    with memo_style():
        dates = _dates(ds)
        y = ds["y10_mean"].values
        ec = ds["expectations_mean"].values
        tp = ds["term_premium_mean"].values
        dy, dec, dtp = ((v - v[0]) * 100 for v in (y, ec, tp))
        title = (
            f"Mean 10y {dy[-1]:+.0f}bp to {y[-1]:.2f}% by {fmt_date(dates[-1])}: "
            f"expectations {dec[-1]:+.0f}bp, term premium {dtp[-1]:+.0f}bp"
        )
        fig, axes, own = _start(
            ds,
            ax,
            title=title,
            detail="Mean path; 10y = expectations + term premium.",
            ncols=2 if ax is None else 1,
        )
        a = axes[0, 0]
        a.fill_between(
            dates, ec, y, color=PALETTE["bluish_green"], alpha=0.25, lw=0, label="term premium"
        )
        a.plot(dates, y, color="#000000", lw=1.8, label="10y (mean)")
        a.plot(dates, ec, color=PALETTE["blue"], lw=1.6, label="expectations")
        a.set_ylabel("Yield (%)")
        a.set_xlim(dates[0], dates[-1])
        format_date_axis(a, every=2 if own else 1)
        if own:
            b = axes[0, 1]
            b.axhline(0, color=GREY, lw=0.7)
            b.plot(dates, dy, color="#000000", lw=1.8, label="10y (mean)")
            b.plot(dates, dec, color=PALETTE["blue"], lw=1.6, label="expectations")
            b.plot(dates, dtp, color=PALETTE["bluish_green"], lw=1.6, label="term premium")
            b.set_ylabel("Change since as-of (bp)")
            b.set_xlim(dates[0], dates[-1])
            format_date_axis(b, every=2)
            add_key(fig)
        else:
            a.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------- posterior


def _draw_pairs(draws: Any, priors: Any) -> dict[str, tuple[np.ndarray | None, np.ndarray]]:
    """Normalise the inputs to name -> (prior draws or None, posterior draws)."""
    out: dict[str, tuple[np.ndarray | None, np.ndarray]] = {}
    posterior = getattr(draws, "posterior", None)
    if posterior is not None:  # an InferenceData-like object (duck-typed; no ArviZ import)
        prior_grp = getattr(draws, "prior", None) if priors is None else priors
        for name in posterior.data_vars:
            post = np.asarray(posterior[name].values, dtype=float)
            if post.ndim != 2:  # only scalar parameters (chain, draw)
                continue
            pri = None
            if prior_grp is not None and name in prior_grp:
                pri = np.asarray(prior_grp[name].values, dtype=float).ravel()
            out[str(name)] = (pri, post.ravel())
        return out
    for name, value in dict(draws).items():
        if isinstance(value, tuple):
            pri_v, post_v = value
        else:
            pri_v, post_v = (priors or {}).get(name), value
        pri_arr = None if pri_v is None else np.asarray(pri_v, dtype=float).ravel()
        out[str(name)] = (pri_arr, np.asarray(post_v, dtype=float).ravel())
    return out


def posterior_densities(
    draws: Any,
    priors: Mapping[str, Any] | None = None,
    *,
    ds: xr.Dataset | None = None,
    attrs: Mapping[str, Any] | None = None,
    units: Mapping[str, str] | None = None,
    ncols: int | None = None,
    title: str | None = None,
    caption: str = "Grey: prior; blue: posterior.",
) -> Figure:
    """Prior vs posterior densities of the fitted parameters (histogram densities).

    Parameters
    ----------
    draws
        Either a mapping ``name -> (prior_draws, posterior_draws)``, a mapping
        ``name -> posterior_draws`` with ``priors`` giving ``name -> prior_draws``, or an
        InferenceData-like object with ``.posterior`` (and ``.prior``) groups.
    priors
        Prior draws when ``draws`` holds posterior draws only.
    ds, attrs
        The run (for the subtitle and source line): a results Dataset or its attrs.
    units
        Parameter units for the x labels, e.g. ``{"kappa": "per year"}``.
    ncols
        Panels per row (default 4, or 5 for more than 8 parameters).
    title, caption
        Override the computed title and the subtitle's caption (``priors show`` draws
        prior densities alone in blue).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> d = {"rho": (rng.uniform(0, 1, 500), rng.normal(0.9, 0.02, 500))}
    >>> fig = posterior_densities(d, attrs={"scenario": "x"})
    """
    pairs = _draw_pairs(draws, priors)
    meta: Mapping[str, Any] = ds.attrs if ds is not None else (attrs or {})
    units = units or {}
    with memo_style():
        n = max(1, len(pairs))
        nc = min(ncols or (5 if n > 8 else 4), n)
        nr = math.ceil(n / nc)
        narrowed = sum(
            1
            for pri, post in pairs.values()
            if pri is not None and np.nanstd(post) < 0.5 * np.nanstd(pri)
        )
        with_prior = sum(1 for pri, _ in pairs.values() if pri is not None)
        title = title or (
            f"Data narrowed {narrowed} of {with_prior} parameters: "
            "posterior s.d. under half the prior's"
            if with_prior
            else f"Posterior of {len(pairs)} fitted parameters"
        )
        fig, axes = memo_figure(
            title=title,
            subtitle=subtitle_for(meta, caption),
            source=source_line(meta),
            nrows=nr,
            ncols=nc,
            height=max(MEMO_HEIGHT, 1.3 + 1.45 * nr),
        )
        flat = axes.ravel()
        for a, (name, (pri, post)) in zip(flat, pairs.items(), strict=False):
            post = post[np.isfinite(post)]
            lo, hi = np.quantile(post, [0.001, 0.999]) if post.size else (0.0, 1.0)
            if pri is not None:
                pri = pri[np.isfinite(pri)]
                plo, phi = np.quantile(pri, [0.01, 0.99])
                lo, hi = min(lo, plo), max(hi, phi)
            if not hi > lo:
                lo, hi = lo - 0.5, hi + 0.5
            bins = np.linspace(lo, hi, 41)
            # each histogram one filled outline (the prior's once was 40 bar patches: the
            # same pixels at five times the cost)
            layers = [(pri, LIGHT_GREY, 0.45, "prior")] if pri is not None and pri.size else []
            for values, color, alpha, label in [*layers, (post, FAN_COLOR, 0.55, "posterior")]:
                a.hist(
                    values,
                    bins=bins,
                    density=True,
                    histtype="stepfilled",
                    color=color,
                    alpha=alpha,
                    label=label,
                )
            unit = units.get(name, "")
            # two short lines so neighbouring panels' labels never collide
            words = name.removesuffix("_pp").removesuffix("_per_year").split("_")
            text = " ".join(words) if name.endswith("_pp") else name  # keep symbols (mu_tp)
            if len(name) > 14:
                half = (len(words) + 1) // 2
                text = " ".join(words[:half]) + "\n" + " ".join(words[half:])
            a.set_xlabel(f"{text} ({unit})" if unit else text.strip())
            spec = a.get_subplotspec()
            if spec is not None and spec.is_first_col():
                a.set_ylabel("Density (per unit)")
            a.set_yticks([])
            a.grid(visible=False)
            a.tick_params(axis="x", labelsize=8)
        for a in flat[len(pairs) :]:
            a.set_visible(False)
    return fig


def fit_check(ppc: xr.Dataset, attrs: Mapping[str, Any]) -> Figure:
    """Posterior predictive check of the fit: fitted vs observed 10y and term premium.

    ``ppc`` is :func:`simulator.model.commands.posterior_predictive_summary`'s Dataset
    (month-end ``date``; 5/50/95% quantiles; observed 10y and ACM term premium).
    """
    dates = pd.DatetimeIndex(ppc["date"].values)
    y_obs = ppc["y10_observed"].values
    lo = ppc["y10_fitted"].sel(quantile=0.05).values
    hi = ppc["y10_fitted"].sel(quantile=0.95).values
    ok = np.isfinite(y_obs)
    cover = float(np.mean((y_obs[ok] >= lo[ok]) & (y_obs[ok] <= hi[ok]))) if ok.any() else np.nan
    with memo_style():
        fig, axes = memo_figure(
            title=(
                f"Fit check: the 90% band of the fitted 10y covers {cover:.0%} of "
                f"{int(ok.sum())} month-ends"
            ),
            subtitle=subtitle_for(
                attrs, f"Fit window {ppc.attrs.get('fit_window', '')}; bands: 90% of draws."
            ),
            source=source_line(attrs),
            nrows=2,
            ncols=1,
            height=4.6,
            sharex=True,
        )
        a, b = axes[:, 0]
        a.fill_between(dates, lo, hi, color=FAN_COLOR, alpha=0.3, lw=0, label="fitted 90%")
        a.plot(dates, ppc["y10_fitted_mean"].values, color=FAN_COLOR, lw=1.2, label="fitted mean")
        a.plot(dates, y_obs, color="black", lw=0.8, label="observed")
        a.set_ylabel("10y yield (%)")
        tp_lo = ppc["term_premium"].sel(quantile=0.05).values
        tp_hi = ppc["term_premium"].sel(quantile=0.95).values
        b.fill_between(dates, tp_lo, tp_hi, color=FAN_COLOR, alpha=0.3, lw=0)
        b.plot(dates, ppc["term_premium_mean"].values, color=FAN_COLOR, lw=1.2)
        b.plot(
            dates,
            ppc["acm_tp_observed"].values,
            color="black",
            lw=0.8,
            ls="--",
            label="observed ACM term premium",
        )
        b.set_ylabel("Term premium (%)")
        add_key(fig)
    return fig


# --------------------------------------------------------------------------- collections

FIGURES: dict[str, Callable[..., Figure]] = {
    "fan_chart": fan_chart,
    "touch_curve": touch_curve,
    "entry_returns": entry_returns,
    "cut_distribution": cut_distribution,
    "view_vs_market": view_vs_market,
    "decomposition": decomposition,
}


def all_figures(ds: xr.Dataset, *, posterior: Any = None) -> dict[str, Figure]:
    """Every memo figure of a run, keyed by name (``posterior_densities`` if given draws).

    A run with an ``fx:`` block adds ``fx_fan`` and ``hedge_choice``
    (:mod:`simulator.report.fx_figures`).

    ``posterior`` is passed to :func:`posterior_densities` and is used only for a fitted
    run (``ds.attrs["fitted"]``).
    """
    from simulator.report.fx_figures import fx_figure_builders  # it imports this module

    out = {name: f(ds) for name, f in FIGURES.items()}
    out |= {name: build() for name, build in fx_figure_builders(ds).items()}  # fx runs only
    if posterior is not None and int(ds.attrs.get("fitted", 0)):
        out["posterior_densities"] = posterior_densities(posterior, ds=ds)
    return out


def write_figures(
    ds: xr.Dataset,
    folder: str | Path,
    *,
    posterior: Any = None,
    extra: Mapping[str, Callable[[], Figure]] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write ``<folder>/figures/<name>.png`` and ``.svg`` for every figure; return the paths.

    The figures of :func:`all_figures` (the FX ones for a run with an ``fx:`` block),
    then those of ``extra`` (name -> a builder of no
    arguments), drawn by :func:`~simulator.report.style.save_figures` (``workers``
    processes; by default one a usable core).
    """
    from simulator.report.fx_figures import fx_figure_builders  # it imports this module

    builders: dict[str, Callable[[], Figure]] = {n: partial(f, ds) for n, f in FIGURES.items()}
    builders |= fx_figure_builders(ds)  # fx_fan and hedge_choice, for runs with an fx block
    if posterior is not None and int(ds.attrs.get("fitted", 0)):
        builders["posterior_densities"] = partial(posterior_densities, posterior, ds=ds)
    builders.update(extra or {})
    heavy = ("posterior_densities", "fit_check", "entry_returns")
    return save_figures(builders, Path(folder) / "figures", workers=workers, heavy=heavy)
