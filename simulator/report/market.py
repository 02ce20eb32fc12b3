"""The FedWatch-style figure of ``macrosim market``: what the futures strip prices.

Left: each meeting's probabilities of a cut of 50bp or more, a 25bp cut, a hold and a
hike, stacked from the axis up, with the engine's fitted P(cut) marked (a diamond on the
top of the blue is a perfect fit). Right: the distribution of the
net number of cuts by the last meeting. Memo style (:mod:`simulator.report.style`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.report.style import (
    GREY,
    PALETTE,
    add_key,
    fmt_date,
    fmt_pct,
    memo_figure,
    memo_style,
    percent_axis,
)

__all__ = ["MOVE_COLORS", "fedwatch_figure"]

#: Stack order (from the axis up: cuts first, so P(cut) is the top of the blue) and colours.
MOVE_COLORS: dict[str, str] = {
    "cut 50+": PALETTE["blue"],
    "cut 25": PALETTE["sky_blue"],
    "hold": "#bdbdbd",
    "hike": PALETTE["vermillion"],
}


def fedwatch_figure(
    dates: Sequence[dt.date],
    move_probs: Mapping[str, np.ndarray],
    fitted_p_cut: np.ndarray,
    cut_count: Mapping[int, float],
    *,
    subtitle: str,
    source: str,
) -> Figure:
    """Per-meeting move probabilities and the net cut-count distribution.

    Parameters
    ----------
    dates : sequence of datetime.date
        Decision dates, ``(J,)``.
    move_probs : mapping
        ``"hike"``, ``"hold"``, ``"cut 25"``, ``"cut 50+"`` to ``(J,)`` probabilities.
    fitted_p_cut : np.ndarray
        The engine's P(cut) per meeting with the fitted weights, ``(J,)``.
    cut_count : mapping of int to float
        Net cuts by the last meeting to probability.
    subtitle, source : str
        The memo subtitle and source line.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import datetime as dt, numpy as np
    >>> probs = {"hike": np.zeros(1), "hold": np.array([0.6]), "cut 25": np.array([0.4]),
    ...          "cut 50+": np.zeros(1)}
    >>> fig = fedwatch_figure([dt.date(2026, 3, 18)], probs, np.array([0.4]), {0: 0.6, 1: 0.4},
    ...                       subtitle="s", source="macrosim")
    >>> len(fig.axes)
    2
    """
    counts = np.array(sorted(cut_count))
    p_count = np.array([cut_count[int(k)] for k in counts])
    expected = float(counts @ p_count)
    p_cut = move_probs["cut 25"] + move_probs["cut 50+"]
    peak = int(np.argmax(p_cut))
    title = (
        f"Futures price {expected:.1f} net cuts by {fmt_date(dates[-1])}; the likeliest "
        f"cut is {fmt_date(dates[peak])} at {fmt_pct(float(p_cut[peak]))}"
    )
    with memo_style():
        fig, axes = memo_figure(
            title=title,
            subtitle=subtitle,
            source=source,
            ncols=2,
            gridspec_kw={"width_ratios": [2.2, 1.0]},
        )
        a, b = axes[0, 0], axes[0, 1]
        x = np.arange(len(dates))
        bottom = np.zeros(len(dates))
        for name, color in MOVE_COLORS.items():
            a.bar(x, move_probs[name], bottom=bottom, color=color, width=0.7, label=f"P({name})")
            bottom = bottom + move_probs[name]
        a.plot(x, fitted_p_cut, ls="none", marker="D", ms=4, color="black")
        a.set_xticks(x, [d.strftime("%d %b") for d in dates], rotation=0)
        a.set_ylim(0, 1)
        percent_axis(a)
        a.set_ylabel("Probability at the meeting (%)")
        b.bar(counts, p_count, color=PALETTE["blue"], width=0.7)
        b.set_xticks(counts)
        b.set_xlabel("Net 25bp cuts")
        b.set_ylabel("Probability (%)")
        percent_axis(b)
        b.axvline(expected, color=GREY, lw=1, ls="--")
        handles, labels = a.get_legend_handles_labels()
        fit = Line2D([], [], ls="none", marker="D", ms=4, color="black")
        add_key(fig, [*handles, fit], [*labels, "P(cut), fitted weights"])
    return fig
