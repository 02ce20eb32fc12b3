"""The summary page's FX answer: hedge or not, and the best entry month for each.

:func:`hedge_answers` turns the summary dict's FX keys (``best_entry``,
``best_entry_unhedged``, ``p_unhedged_beats_hedged``; docs/outputs.md) into one section a
currency with an FX block: a heading, a one-sentence answer, a note on how to read it and
a two-row table (hedged, unhedged). summary.md and summary.html lay the same section out,
so the two pages cannot disagree. Every number is formatted from the summary dict, never
recomputed. The answer compares the best month's expected return hedged and unhedged and
says so ("on expected return"); the probability that the other choice pays more, in the
chosen month, is given beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.report.style import fmt_month
from simulator.report.summary_page import _pct, _signed_pct

__all__ = ["HEDGE_HEADER", "HEDGE_NOTE", "HedgeAnswer", "hedge_answers"]

HEDGE_HEADER = (
    "Hedge",
    "Best entry month",
    "Expected return to horizon",
    "P(best)",
    "P(loss)",
    "P(unhedged beats hedged) that month",
)
HEDGE_NOTE = (
    "Returns to the horizon in the buyer's currency, cash until the entry month: hedged "
    "with rolled forwards, or unhedged (dollars bought at the entry spot, converted back "
    "at the horizon's). P(unhedged beats hedged): the share of paths on which the "
    "unhedged bond pays more, buying in that month."
)

Row = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class HedgeAnswer:
    """One currency's section: heading, answer sentence and table rows (plain text)."""

    currency: str
    heading: str
    answer: str
    rows: list[Row]


def _row(hedge: str, best: Mapping[str, Any], beats: Mapping[str, Any]) -> Row:
    month = str(best["month"])
    return (
        hedge,
        fmt_month(month),
        _signed_pct(best.get("mean")),
        _pct(best.get("p_best")),
        _pct(best.get("p_loss")),
        _pct(beats.get(month)),
    )


def _answer(cur: str, hedged: Mapping[str, Any], unhedged: Mapping[str, Any], beats: Any) -> str:
    """``CNY buyer: hedge (on expected return). Hedged, buy in Mar 2026 (+3.90%); ...``."""
    h_mean, u_mean = hedged.get("mean"), unhedged.get("mean")
    hedge = h_mean is None or u_mean is None or float(h_mean) >= float(u_mean)
    chosen = hedged if hedge else unhedged
    month = str(chosen["month"])
    p = beats.get(month)
    other = f"the unhedged bond pays more on {_pct(p)} of paths"
    if not hedge:
        other = f"the hedged bond pays more on {_pct(None if p is None else 1 - float(p))} of paths"
    return (
        f"{cur} buyer: {'hedge' if hedge else 'do not hedge'} (on expected return). "
        f"Hedged, the best entry month is {fmt_month(str(hedged['month']))} "
        f"({_signed_pct(h_mean)}); unhedged, {fmt_month(str(unhedged['month']))} "
        f"({_signed_pct(u_mean)}). Buying in {fmt_month(month)}, {other}."
    )


def hedge_answers(summary: Mapping[str, Any]) -> list[HedgeAnswer]:
    """One :class:`HedgeAnswer` a currency with an FX block (none without one).

    Examples
    --------
    >>> hedge_answers({"best_entry": {}, "best_entry_unhedged": {}})
    []
    """
    out: list[HedgeAnswer] = []
    hedged_all = summary.get("best_entry") or {}
    beats_all = summary.get("p_unhedged_beats_hedged") or {}
    for cur, unhedged in (summary.get("best_entry_unhedged") or {}).items():
        hedged = hedged_all.get(cur)
        if hedged is None:
            continue
        beats = beats_all.get(cur) or {}
        out.append(
            HedgeAnswer(
                currency=str(cur),
                heading=f"{cur} buyer: hedge or not, and the best month for each",
                answer=_answer(str(cur), hedged, unhedged, beats),
                rows=[_row("hedged", hedged, beats), _row("unhedged", unhedged, beats)],
            )
        )
    return out
