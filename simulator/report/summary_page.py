"""The content of the run's summary page, shared by summary.md and summary.html.

:func:`summary_page` turns the summary dict (the same values as summary.json) and the
results Dataset's attributes into plain strings and rows: the title, the answers table,
the best entry months, the assumptions, the warnings, the diagnostics line and the source
line. The renderers (:mod:`simulator.report.summary_md`, :mod:`simulator.report.summary_html`)
only lay those out, so the two pages cannot disagree. Every number is formatted from the
summary dict, never recomputed from the Dataset. Formats: probabilities and returns in
percent with one decimal (standard errors with two), yields in percent with two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from simulator.report.fx_figures import FX_FIGURE_CAPTIONS, fx_figure_names
from simulator.report.style import fmt_date, fmt_month, source_line

__all__ = [
    "ANSWERS_HEADER",
    "BEST_ENTRY_HEADER",
    "BEST_ENTRY_NOTE",
    "CURRENCY_NOTE",
    "FIGURE_CAPTIONS",
    "SummaryPage",
    "answer_rows",
    "best_entry_rows",
    "diagnostics_line",
    "summary_figures",
    "summary_page",
]

FIGURE_CAPTIONS: dict[str, str] = {
    "fan_chart": "10-year yield fan: 5-95% and 25-75% of paths, median, mean, levels",
    "touch_curve": "Probability the 10-year touches each level, by date and by month",
    "entry_returns": "Return to the horizon by entry month and base currency",
    **FX_FIGURE_CAPTIONS,  # fx_fan, hedge_choice: runs with an fx block only
    "cut_distribution": "Net Fed cuts in the window and P(cut) at each meeting",
    "view_vs_market": "The view against market pricing",
    "decomposition": "Mean 10-year: expectations plus term premium",
    "posterior_densities": "Prior and posterior of the fitted parameters",
}
CURRENCY_NOTE = {"USD": "unhedged"}
ANSWERS_HEADER = ("Question", "Answer")
BEST_ENTRY_HEADER = (
    "Base currency",
    "Best entry month",
    "Expected return to horizon",
    "P(best)",
    "P(loss)",
)
BEST_ENTRY_NOTE = (
    "Hold cash until the first business day of the month, then buy the 10-year and "
    "hold it to the horizon (FX-hedged for CNY, EUR and JPY; USD unhedged); every "
    "month spans the same time. P(best): share of paths on which that month pays most."
)


def _pct(p: Any, digits: int = 1) -> str:
    if p is None:
        return "n/a"
    return f"{100 * float(p):.{digits}f}%"


def _signed_pct(p: Any, digits: int = 2) -> str:
    if p is None:
        return "n/a"
    return f"{100 * float(p):+.{digits}f}%"


def _yield(y: Any) -> str:
    return "n/a" if y is None else f"{float(y):.2f}%"


def _window(w: Any) -> str:
    if isinstance(w, Mapping):
        w = [w.get("start"), w.get("end")]
    if isinstance(w, Sequence) and not isinstance(w, str) and len(w) == 2:
        return f"{fmt_date(w[0])} to {fmt_date(w[1])}"
    return str(w)


def _level_key_value(key: str) -> float:
    return float(key)


def answer_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The answers table as (question, answer) pairs (header :data:`ANSWERS_HEADER`)."""
    horizon = fmt_date(summary["horizon"])
    rows: list[tuple[str, str]] = []
    q = summary.get("y10_at_horizon", {})
    for key in sorted(summary.get("levels", {}), key=_level_key_value):
        lv = summary["levels"][key]
        label = f"{float(key):.2f}%"
        rows.append(
            (
                f"P(10y touches {label}) by {horizon}",
                f"{_pct(lv.get('p_touch'))} (s.e. {_pct(lv.get('p_touch_se'), 2)})",
            )
        )
        below = f"{_pct(lv.get('p_below_at_horizon'))}"
        if lv.get("p_below_at_horizon_se") is not None:
            below += f" (s.e. {_pct(lv.get('p_below_at_horizon_se'), 2)})"
        rows.append((f"P(10y at or below {label}) on {horizon}", below))
        ftm = lv.get("first_touch_month") or {}
        if ftm:
            month, p = max(ftm.items(), key=lambda kv: (kv[1], kv[0]))
            if p and float(p) > 0:
                rows.append(
                    (
                        f"Most likely month of first touch of {label}",
                        f"{fmt_month(month)} ({_pct(p)})",
                    )
                )
    if q:
        rows.append(
            (
                f"Median 10y on {horizon}",
                f"{_yield(q.get('0.5'))} "
                f"(80% band {_yield(q.get('0.1'))} to {_yield(q.get('0.9'))})",
            )
        )
        if "0.05" in q and "0.95" in q:
            rows.append(
                (
                    f"90% band of the 10y on {horizon}",
                    f"{_yield(q.get('0.05'))} to {_yield(q.get('0.95'))}",
                )
            )
    q2 = summary.get("y2_at_horizon") or {}
    if q2.get("0.5") is not None:
        rows.append(
            (
                f"Median 2y on {horizon}",
                f"{_yield(q2.get('0.5'))} "
                f"(80% band {_yield(q2.get('0.1'))} to {_yield(q2.get('0.9'))})",
            )
        )
    cuts = summary.get("cut_count", {})
    if "view" in cuts and "market" in cuts:
        ev = sum(int(k) * float(p) for k, p in cuts["view"].items())
        em = sum(int(k) * float(p) for k, p in cuts["market"].items())
        rows.append(
            ("Expected net 25bp cuts in the window, view vs market", f"{ev:.1f} vs {em:.1f}")
        )
    return rows


def best_entry_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """One row a base currency (header :data:`BEST_ENTRY_HEADER`); empty if none."""
    rows: list[tuple[str, str, str, str, str]] = []
    for cur, b in (summary.get("best_entry") or {}).items():
        note = CURRENCY_NOTE.get(cur, "hedged")
        rows.append(
            (
                f"{cur} ({note})",
                fmt_month(b["month"]),
                _signed_pct(b.get("mean")),
                _pct(b.get("p_best")),
                _pct(b.get("p_loss")),
            )
        )
    return rows


def diagnostics_line(summary: Mapping[str, Any], attrs: Mapping[str, Any]) -> str:
    """The sampler diagnostics in one sentence (or why none apply)."""
    d = summary.get("diagnostics") or {}
    if not d.get("fitted"):
        src = attrs.get("params_source")
        how = f" (parameters: {src})" if src else ""
        return f"Diagnostics: not fitted{how}; no sampler diagnostics apply."
    parts = [f"fitted with {d.get('sampler') or 'an unnamed sampler'}"]
    if d.get("r_hat_max") is not None:
        parts.append(f"max R-hat {float(d['r_hat_max']):.3f}")
    if d.get("ess_bulk_min") is not None:
        parts.append(f"min bulk ESS {float(d['ess_bulk_min']):.0f}")
    if d.get("ess_tail_min") is not None:
        parts.append(f"min tail ESS {float(d['ess_tail_min']):.0f}")
    if d.get("divergences") is not None:
        parts.append(f"{int(d['divergences'])} divergences")
    if d.get("max_tree_depth_hits") is not None:
        parts.append(f"{int(d['max_tree_depth_hits'])} max-tree-depth hits")
    return "Diagnostics: " + ", ".join(parts) + "."


def summary_figures(summary: Mapping[str, Any]) -> list[str]:
    """The figures the page shows, in order.

    ``posterior_densities`` only when fitted; ``fx_fan`` and ``hedge_choice`` only for a
    run with an ``fx:`` block (the summary's ``best_entry_unhedged``).
    """
    fitted = bool((summary.get("diagnostics") or {}).get("fitted"))
    skip = {*FX_FIGURE_CAPTIONS} - {*fx_figure_names(summary)}
    return [n for n in FIGURE_CAPTIONS if (n != "posterior_densities" or fitted) and n not in skip]


@dataclass(frozen=True)
class SummaryPage:
    """Everything summary.md and summary.html say, as plain (unescaped) text."""

    title: str
    description: str
    run_line: str
    answers: list[tuple[str, str]]
    best_entry: list[tuple[str, str, str, str, str]]
    assumptions: list[str]
    warnings: list[str]
    diagnostics: str
    footer: str
    figures: list[str] = field(default_factory=list)


def summary_page(summary: Mapping[str, Any], ds: xr.Dataset | None) -> SummaryPage:
    """The page's content from the summary dict (as summary.json) and the Dataset's attrs.

    ``ds`` may be None; the description, parameter source and source line then come from
    ``summary`` alone.
    """
    attrs: dict[str, Any] = dict(ds.attrs) if ds is not None else {}
    attrs.setdefault("scenario", summary.get("scenario"))
    attrs.setdefault("paths", summary.get("paths"))
    attrs.setdefault("seed", summary.get("seed"))
    attrs.setdefault("version", (summary.get("provenance") or {}).get("version", "?"))
    prov = summary.get("provenance") or {}
    foot = source_line(attrs)
    if prov.get("config_sha256"):
        foot += f"; config {str(prov['config_sha256'])[:12]}"
    if prov.get("data_sha256"):
        foot += f", data {str(prov['data_sha256'])[:12]}"
    assumptions = [str(a) for a in summary.get("assumptions") or []]
    said = " ".join(assumptions)
    return SummaryPage(
        title=(
            f"{summary['scenario']}: US 10-year Treasury yield, "
            f"{fmt_date(summary['as_of'])} to {fmt_date(summary['horizon'])}"
        ),
        description=str(attrs.get("description") or ""),
        run_line=(
            f"Window {_window(summary.get('window'))}; {int(summary['paths']):,} paths, "
            f"seed {summary['seed']}."
        ),
        answers=answer_rows(summary),
        best_entry=best_entry_rows(summary),
        assumptions=assumptions,
        # a note that is already an assumption (e.g. where the dynamics came from) is
        # said once
        warnings=[w for w in map(str, summary.get("warnings") or []) if w not in said],
        diagnostics=diagnostics_line(summary, attrs),
        footer=foot + ".",
        figures=summary_figures(summary),
    )
