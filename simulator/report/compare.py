"""Several runs side by side: overlay figures and a comparison table.

The runs of a ``compare`` share seeds (common random numbers, docs/engine.md), so
differences between scenarios are not Monte Carlo noise of independent draws. Scenarios
are told apart by colour (Okabe-Ito order) and named by ``attrs["scenario"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.report.style import (
    GREY,
    SCENARIO_COLORS,
    add_key,
    fmt_date,
    fmt_month,
    fmt_pct,
    fmt_spot,
    format_date_axis,
    memo_figure,
    memo_style,
    percent_axis,
)
from simulator.report.summary import hedged_entry_returns
from simulator.report.summary_page import CURRENCY_NOTE

__all__ = ["compare_figures", "compare_table", "compare_table_md"]


def _labels(names: Sequence[str]) -> list[str]:
    """Scenario names, made unique (``name (2)``) when the same scenario appears twice."""
    out: list[str] = []
    for n in names:
        label, k = n, 2
        while label in out:
            label = f"{n} ({k})"
            k += 1
        out.append(label)
    return out


def _joined(values: Sequence[Any]) -> str:
    uniq = list(dict.fromkeys(str(v) for v in values))
    return uniq[0] if len(uniq) == 1 else "/".join(uniq)


def _compare_source(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> str:
    a = [d.attrs for d in datasets]
    paths = _joined([f"{int(x.get('paths', 0)):,}" for x in a])
    return (
        f"macrosim {_joined([x.get('version', '?') for x in a])}, "
        f"scenarios {' vs '.join(labels)}, {paths} paths, "
        f"seed {_joined([x.get('seed', '?') for x in a])}, "
        f"data to {_joined([x.get('data_to', '?') for x in a])}"
    )


def _compare_subtitle(datasets: Sequence[xr.Dataset], detail: str) -> str:
    a = datasets[0].attrs
    text = (
        f"{len(datasets)} scenarios, as of {fmt_date(a['as_of'])}, horizon {fmt_date(a['horizon'])}"
    )
    return f"{text}. {detail}" if detail else text


def _scaffold(
    datasets: Sequence[xr.Dataset], labels: Sequence[str], title: str, detail: str, **kw: Any
) -> tuple[Figure, np.ndarray]:
    return memo_figure(
        title=title,
        subtitle=_compare_subtitle(datasets, detail),
        source=_compare_source(datasets, labels),
        **kw,
    )


def _overlay(a: Axes, datasets: Sequence[xr.Dataset], labels: Sequence[str], var: str) -> None:
    """Each run's 25-75% band and median of ``var`` (gid ``"median:<label>"`` for the 10y)."""
    kind = "median" if var == "y10" else f"{var}_median"
    for i, (d, lab) in enumerate(zip(datasets, labels, strict=True)):
        c = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        dates = pd.DatetimeIndex(d["date"].values)
        y = d[var]
        a.fill_between(
            dates,
            y.sel(quantile=0.25).values,
            y.sel(quantile=0.75).values,
            color=c,
            alpha=0.18,
            lw=0,
        )
        a.plot(dates, y.sel(quantile=0.5).values, color=c, lw=1.8, label=lab, gid=f"{kind}:{lab}")


def _fan(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> Figure:
    meds = [float(d["y10"].sel(quantile=0.5).values[-1]) for d in datasets]
    horizon = fmt_date(datasets[0]["date"].values[-1])
    title = f"Median 10y at {horizon}: " + ", ".join(
        f"{lab} {m:.2f}%" for lab, m in zip(labels, meds, strict=True)
    )
    two = all("y2" in d for d in datasets)  # the 2y under the 10y when every run has it
    kw: dict[str, Any] = {}
    if two:
        kw = {"nrows": 2, "height": 4.5, "sharex": True}
        kw["gridspec_kw"] = {"height_ratios": [1.75, 1.0]}
    detail = "Lines: median; bands: 25-75% of paths."
    fig, axes = _scaffold(datasets, labels, title, detail, **kw)
    a = axes[0, 0]
    _overlay(a, datasets, labels, "y10")
    for lev in np.atleast_1d(datasets[0]["level"].values):
        a.axhline(float(lev), color=GREY, lw=0.9, ls=(0, (4, 3)))
        a.annotate(
            f"{float(lev):.2f}%",
            xy=(1.0, float(lev)),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            color=GREY,
            annotation_clip=False,
        )
    dates0 = pd.DatetimeIndex(datasets[0]["date"].values)
    a.set_xlim(dates0[0], dates0[-1])
    a.set_ylabel("10-year Treasury yield (%)")
    format_date_axis(a)
    if two:
        b = axes[1, 0]
        _overlay(b, datasets, labels, "y2")
        b.set_xlim(dates0[0], dates0[-1])
        b.set_ylabel("2y yield (%)")
        b.set_title("2-year Treasury yield", fontsize=9, fontweight="bold")
        format_date_axis(b)
    add_key(fig)
    return fig


def _common_levels(datasets: Sequence[xr.Dataset]) -> list[float]:
    sets = [{float(v) for v in d["level"].values} for d in datasets]
    common = set.intersection(*sets) if sets else set()
    return [float(v) for v in datasets[0]["level"].values if float(v) in common]


def _touch(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> Figure:
    levels = _common_levels(datasets)
    horizon = fmt_date(datasets[0]["date"].values[-1])
    if levels:
        lev = levels[0]
        ps = [float(d["p_touch"].sel(level=lev).values[-1]) for d in datasets]
        title = f"P(10y touches {lev:.2f}%) by {horizon}: " + ", ".join(
            f"{lab} {fmt_pct(p)}" for lab, p in zip(labels, ps, strict=True)
        )
    else:
        title = "No touch level common to every scenario"
    styles = ["-", "--", ":", "-."]
    fig, axes = _scaffold(datasets, labels, title, "Bands: ±2 Monte Carlo s.e.")
    a = axes[0, 0]
    top = 0.05
    for i, (d, lab) in enumerate(zip(datasets, labels, strict=True)):
        c = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        dates = pd.DatetimeIndex(d["date"].values)
        for j, lev in enumerate(levels):
            p = d["p_touch"].sel(level=lev).values
            se = d["p_touch_se"].sel(level=lev).values
            a.fill_between(
                dates,
                np.clip(p - 2 * se, 0, 1),
                np.clip(p + 2 * se, 0, 1),
                color=c,
                alpha=0.2,
                lw=0,
            )
            name = lab if len(levels) == 1 else f"{lab}, {lev:.2f}%"
            a.plot(
                dates,
                p,
                color=c,
                lw=1.8,
                ls=styles[j % len(styles)],
                label=name,
                gid=f"p_touch:{lab}:{lev:g}",
            )
            top = max(top, float(np.nanmax(p, initial=0.0)))
    a.set_ylim(0, min(1.0, top * 1.15))
    dates0 = pd.DatetimeIndex(datasets[0]["date"].values)
    a.set_xlim(dates0[0], dates0[-1])
    percent_axis(a)
    a.set_ylabel("P(touched by date) (%)")
    format_date_axis(a)
    add_key(fig)
    return fig


def _entry(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> Figure:
    curs = [str(c) for c in datasets[0]["currency"].values]
    focus = "CNY" if "CNY" in curs else curs[0]
    bests = []
    for d in datasets:
        m = hedged_entry_returns(d).sel(currency=focus, stat="mean").values
        bests.append(fmt_month(str(d["entry_month"].values[int(np.nanargmax(m))]), year=False))
    title = f"Best {focus} entry month by expected return: " + ", ".join(
        f"{lab} {b}" for lab, b in zip(labels, bests, strict=True)
    )
    ncols = 2 if len(curs) > 1 else 1
    nrows = math.ceil(len(curs) / ncols)
    fig, axes = _scaffold(
        datasets,
        labels,
        title,
        "Return to horizon: dot mean, bar 25-75% of paths.",
        nrows=nrows,
        ncols=ncols,
        height=4.3 if nrows > 1 else 3.8,
        sharex=True,
        sharey=True,
    )
    months = [str(m) for m in datasets[0]["entry_month"].values]
    year = pd.Timestamp(f"{months[0]}-01").year if months else ""
    x = np.arange(len(months))
    w = 0.7 / len(datasets)
    flat = axes.ravel()
    for k, cur in enumerate(curs):
        a = flat[k]
        a.axhline(0, color=GREY, lw=0.7, zorder=1)
        for i, (d, lab) in enumerate(zip(datasets, labels, strict=True)):
            c = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
            er = hedged_entry_returns(d).sel(currency=cur, entry_month=months)
            xi = x + (i - (len(datasets) - 1) / 2) * w
            a.vlines(
                xi,
                er.sel(stat="q25").values,
                er.sel(stat="q75").values,
                color=c,
                lw=2.5,
                alpha=0.5,
            )
            a.plot(
                xi,
                er.sel(stat="mean").values,
                "o",
                color=c,
                ms=4,
                mec="white",
                mew=0.5,
                label=lab,
                gid=f"entry:{lab}:{cur}",
            )
        a.set_title(
            f"{cur} base, {CURRENCY_NOTE.get(cur, 'hedged')}", fontsize=9, fontweight="bold"
        )
        a.grid(axis="x", visible=False)
        percent_axis(a)
        a.set_xticks(x, [fmt_month(m, year=False) for m in months])
        a.tick_params(axis="x", labelsize=8)
        r, c_ = divmod(k, ncols)
        if c_ == 0:
            a.set_ylabel("Return (%)")
        if r == nrows - 1 or k + ncols >= len(curs):
            a.set_xlabel(f"Entry month ({year})")
            a.xaxis.set_tick_params(labelbottom=True)
    for a in flat[len(curs) :]:
        a.set_visible(False)
    add_key(fig)
    return fig


def compare_figures(
    datasets: Sequence[xr.Dataset], labels: Sequence[str] | None = None
) -> dict[str, Figure]:
    """Overlay several runs: 10y fans, touch curves and entry-month returns.

    Parameters
    ----------
    datasets
        Results Datasets of the runs (same window and entry months).
    labels
        Names for the legend (default: each run's ``attrs["scenario"]``, made unique).

    Returns
    -------
    dict
        ``{"fan_chart", "touch_curve", "entry_returns"} -> Figure``, plus ``fx_fan`` and
        ``hedge_choice`` when a run has an ``fx:`` block. Every series carries
        a gid ``"<kind>:<label>..."`` so tests and scripts can find it.

    Examples
    --------
    >>> figs = compare_figures([ds_base, ds_hawk])  # doctest: +SKIP
    """
    if not datasets:
        raise ValueError("compare_figures needs at least one Dataset")
    names = list(labels) if labels is not None else [str(d.attrs["scenario"]) for d in datasets]
    if len(names) != len(datasets):
        raise ValueError(f"{len(names)} labels for {len(datasets)} datasets")
    labs = _labels(names)
    from simulator.report.fx_compare import compare_fx_figures  # it imports this module

    with memo_style():
        return {
            "fan_chart": _fan(datasets, labs),
            "touch_curve": _touch(datasets, labs),
            "entry_returns": _entry(datasets, labs),
            **compare_fx_figures(datasets, labs),  # fx_fan, hedge_choice: runs with fx only
        }


# --------------------------------------------------------------------------- table


def _row(metric: str, kind: str, labels: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"metric": metric, "kind": kind}
    row.update(dict(zip(labels, values, strict=True)))
    return row


def _expected(cuts: Mapping[str, Any] | None) -> float | None:
    if not cuts:
        return None
    return sum(int(k) * float(p) for k, p in cuts.items())


def compare_table(
    summaries: Sequence[Mapping[str, Any]], labels: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The headline answers of several runs side by side, one row per metric.

    Each row is ``{"metric": str, "kind": str, <label>: value, ...}`` with values taken
    from the summaries unchanged (``kind``: ``probability``, ``probability_se`` and
    ``return`` are fractions,
    ``yield`` in %, ``count`` a number, ``month`` a ``YYYY-MM`` string, ``spot`` foreign
    units per USD); a value is None
    where a run lacks it.

    Examples
    --------
    >>> rows = compare_table([summary_a, summary_b])  # doctest: +SKIP
    """
    labs = _labels(list(labels) if labels is not None else [str(s["scenario"]) for s in summaries])
    rows: list[dict[str, Any]] = []
    level_keys = list(dict.fromkeys(k for s in summaries for k in s.get("levels", {})))
    for key in level_keys:
        lv = [s.get("levels", {}).get(key, {}) for s in summaries]
        name = f"{float(key):.2f}%"
        rows.append(_row(f"P(touch {name})", "probability", labs, [v.get("p_touch") for v in lv]))
        rows.append(
            _row(f"s.e. P(touch {name})", "probability_se", labs, [v.get("p_touch_se") for v in lv])
        )
        rows.append(
            _row(
                f"P(at or below {name} at horizon)",
                "probability",
                labs,
                [v.get("p_below_at_horizon") for v in lv],
            )
        )
    for q, name in (("0.5", "median"), ("0.1", "10th pct"), ("0.9", "90th pct")):
        rows.append(
            _row(
                f"10y at horizon, {name}",
                "yield",
                labs,
                [s.get("y10_at_horizon", {}).get(q) for s in summaries],
            )
        )
    for belief in ("view", "market"):
        rows.append(
            _row(
                f"Expected net cuts, {belief}",
                "count",
                labs,
                [_expected(s.get("cut_count", {}).get(belief)) for s in summaries],
            )
        )
    currencies = list(dict.fromkeys(c for s in summaries for c in s.get("best_entry", {})))
    for cur in currencies:
        be = [s.get("best_entry", {}).get(cur, {}) for s in summaries]
        rows.append(_row(f"Best entry month, {cur}", "month", labs, [b.get("month") for b in be]))
        rows.append(
            _row(f"Expected return at best, {cur}", "return", labs, [b.get("mean") for b in be])
        )
        rows.append(
            _row(
                f"P(best) of that month, {cur}", "probability", labs, [b.get("p_best") for b in be]
            )
        )
    from simulator.report.fx_compare import compare_fx_rows  # it imports this module

    return rows + compare_fx_rows(summaries, labs)  # runs with an fx block only


def _fmt(kind: str, v: Any) -> str:
    if v is None:
        return "n/a"
    if kind == "probability":
        return f"{100 * float(v):.1f}%"
    if kind == "probability_se":
        return f"{100 * float(v):.2f}%"
    if kind == "return":
        return f"{100 * float(v):+.2f}%"
    if kind == "yield":
        return f"{float(v):.2f}%"
    if kind == "count":
        return f"{float(v):.1f}"
    if kind == "month":
        return fmt_month(str(v))
    if kind == "spot":  # foreign units per USD
        return fmt_spot(v)
    return str(v)


def compare_table_md(
    summaries: Sequence[Mapping[str, Any]], labels: Sequence[str] | None = None
) -> str:
    """:func:`compare_table` as a markdown table (one column per scenario)."""
    rows = compare_table(summaries, labels)
    labs = [k for k in rows[0] if k not in ("metric", "kind")] if rows else []
    lines = [
        "| Metric | " + " | ".join(labs) + " |",
        "|---|" + "---|" * len(labs),
    ]
    for r in rows:
        lines.append(
            f"| {r['metric']} | " + " | ".join(_fmt(r["kind"], r[lab]) for lab in labs) + " |"
        )
    return "\n".join(lines) + "\n"
