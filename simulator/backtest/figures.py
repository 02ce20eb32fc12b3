"""Memo-style backtest figures: PIT histograms, coverage by horizon, reliability, CRPS skill.

Each function takes the backtest.json document (``BacktestResult.summary``) and returns a
Figure (Agg canvas, never shown); :func:`simulator.report.style.save_figure` writes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from simulator.report.style import GREY, PALETTE, add_key, memo_figure, memo_style

__all__ = ["coverage_figure", "crps_skill_figure", "pit_figure", "reliability_figure"]

MODEL_COLORS = {"macrosim": PALETTE["blue"], "random_walk": PALETTE["vermillion"]}
MODEL_LABELS = {"macrosim": "macrosim", "random_walk": "random walk"}
EVENT_LABELS = {
    "fall_50bp_12m": ("50bp fall", "10y 12 months on at least\n50bp below the origin"),
    "touch_1pp_below_12m": (
        "1pp-lower close",
        "a month-end close 1pp or more\nbelow the origin within 12 months",
    ),
}
"""Short (title) and panel labels of the scored events; others use their description."""


def _source(doc: dict[str, Any]) -> str:
    st = doc.get("settings", {})
    prov = doc.get("provenance", {})
    return (
        f"macrosim {prov.get('version', '?')} backtest, origins {st.get('start', '?')}.."
        f"{st.get('end', '?')}, {st.get('paths', '?')} paths, seed {st.get('seed', '?')}, "
        f"data to {prov.get('data_to', '?')}"
    )


def _subtitle(doc: dict[str, Any], detail: str) -> str:
    n = len(doc.get("origins", []))
    return f"Month-end 10y close, {n} monthly origins, only data public at each origin. {detail}"


def pit_figure(doc: dict[str, Any]) -> Figure:
    """PIT histograms per horizon, macrosim bars and random-walk steps; flat = calibrated."""
    hs = [str(h) for h in doc["horizons"]]
    pv = {h: doc["scores"]["macrosim"][h]["pit_pvalue"] for h in hs}
    title = "PIT of the 10y forecasts: " + ", ".join(
        f"{h}m p={pv[h]:.2f}" if pv[h] is not None and np.isfinite(pv[h]) else f"{h}m p=n/a"
        for h in hs
    )
    with memo_style():
        ncols = min(len(hs), 4)
        nrows = int(np.ceil(len(hs) / ncols))
        fig, axes = memo_figure(
            title=title,
            subtitle=_subtitle(doc, "Bars: macrosim; line: random walk; dashes: uniform."),
            source=_source(doc),
            nrows=nrows,
            ncols=ncols,
            sharey=True,
        )
        for ax, h in zip(axes.ravel(), hs, strict=False):
            hist = doc["pit_histogram"][h]
            bins = len(hist["macrosim"])
            edges = np.linspace(0, 1, bins + 1)
            ax.bar(
                edges[:-1],
                np.asarray(hist["macrosim"]) * bins,
                width=1 / bins,
                align="edge",
                color=MODEL_COLORS["macrosim"],
                alpha=0.7,
                label="macrosim",
            )
            ax.stairs(
                np.asarray(hist["random_walk"]) * bins,
                edges,
                color=MODEL_COLORS["random_walk"],
                linewidth=1.5,
                label="random walk",
            )
            ax.axhline(1.0, color=GREY, linestyle="--", linewidth=1)
            ax.set_title(f"{h} month{'s' if h != '1' else ''}", fontsize=9)
            ax.set_xlim(0, 1)
            ax.set_xlabel("PIT")
        axes[0, 0].set_ylabel("density")
        for ax in axes.ravel()[len(hs) :]:
            ax.set_visible(False)
        add_key(fig)
    return fig


def coverage_figure(doc: dict[str, Any]) -> Figure:
    """Empirical coverage of the 50/80/95% central intervals by horizon, both models."""
    hs = [int(h) for h in doc["horizons"]]
    c80 = [doc["scores"]["macrosim"][str(h)]["coverage_80"] for h in hs]
    title = (
        "80% intervals cover "
        + ", ".join(f"{100 * c:.0f}%" for c in c80)
        + f" at {', '.join(str(h) for h in hs)} months"
    )
    with memo_style():
        fig, axes = memo_figure(
            title=title,
            subtitle=_subtitle(doc, "Dashed: nominal level."),
            source=_source(doc),
        )
        ax = axes[0, 0]
        markers = {50: "o", 80: "s", 95: "^"}
        for level, mk in markers.items():
            ax.axhline(level / 100, color=GREY, linestyle="--", linewidth=0.8)
            for model in ("macrosim", "random_walk"):
                cov = [doc["scores"][model][str(h)][f"coverage_{level}"] for h in hs]
                ax.plot(
                    hs,
                    cov,
                    marker=mk,
                    color=MODEL_COLORS[model],
                    linestyle="-" if model == "macrosim" else ":",
                    label=f"{MODEL_LABELS[model]} {level}%",
                )
        ax.set_xticks(hs)
        ax.set_xlabel("horizon, months")
        ax.set_ylabel("coverage")
        ax.set_ylim(0.3, 1.02)
        add_key(fig)
    return fig


def reliability_figure(doc: dict[str, Any]) -> Figure:
    """Reliability diagrams of the two 12-month events, both models."""
    events = doc["events"]
    names = list(events)
    bs = [events[n]["brier_skill_vs_random_walk"] for n in names]
    short = [EVENT_LABELS.get(n, (n, ""))[0] for n in names]
    title = "Brier skill vs random walk: " + ", ".join(
        f"{lab} {b:+.3f}" if b is not None and np.isfinite(b) else f"{lab} n/a"
        for lab, b in zip(short, bs, strict=True)
    )
    with memo_style():
        fig, axes = memo_figure(
            title=title,
            subtitle=_subtitle(
                doc,
                "Points: probability bins (area: origins in the bin) vs how often it "
                "happened; diagonal = reliable.",
            ),
            source=_source(doc),
            ncols=len(names),
            sharey=True,
        )
        for ax, name in zip(axes.ravel(), names, strict=True):
            ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=0.8)
            for model in ("macrosim", "random_walk"):
                rows = events[name][model]["reliability"]
                x = [r["forecast_mean"] for r in rows if r["n"] > 0]
                y = [r["observed_frequency"] for r in rows if r["n"] > 0]
                n = [r["n"] for r in rows if r["n"] > 0]
                ax.scatter(x, y, s=[8 + 2 * k for k in n], color=MODEL_COLORS[model], alpha=0.6)
                # the line carries the legend entry, so the key's marker has a fixed size
                ax.plot(
                    x,
                    y,
                    color=MODEL_COLORS[model],
                    linewidth=0.8,
                    marker="o",
                    markersize=4,
                    label=MODEL_LABELS[model],
                )
            label = EVENT_LABELS.get(name, ("", events[name]["description"]))[1]
            ax.set_title(label, fontsize=8)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel("forecast probability")
        axes[0, 0].set_ylabel("observed frequency")
        add_key(fig)
    return fig


def crps_skill_figure(doc: dict[str, Any]) -> Figure:
    """CRPS skill vs the random walk by origin year, one line per horizon."""
    by_year = doc["crps_skill_by_year"]
    skill = doc["skill"]
    title = "CRPS skill vs random walk: " + ", ".join(
        f"{h}m {skill[h]:+.3f}" for h in by_year if skill.get(h) is not None
    )
    colors = [PALETTE["sky_blue"], PALETTE["blue"], PALETTE["bluish_green"], PALETTE["black"]]
    with memo_style():
        fig, axes = memo_figure(
            title=title,
            subtitle=_subtitle(doc, "Above 0: macrosim beats the random walk that year."),
            source=_source(doc),
        )
        ax = axes[0, 0]
        ax.axhline(0.0, color=GREY, linewidth=0.8)
        for i, (h, per_year) in enumerate(by_year.items()):
            years = [int(y) for y in per_year]
            ax.plot(
                years,
                list(per_year.values()),
                marker="o",
                markersize=3,
                color=colors[i % len(colors)],
                label=f"{h} month{'s' if h != '1' else ''}",
            )
        ax.set_xlabel("origin year")
        ax.set_ylabel("1 - CRPS / CRPS(random walk)")
        add_key(fig)
    return fig
