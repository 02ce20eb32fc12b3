"""summary.md: the one page a strategist forwards (answers, assumptions, checks, figures).

Every number is formatted from the summary dict (the same values as summary.json), never
recomputed from the Dataset, so the page and the JSON cannot disagree. Formats:
probabilities and returns in percent with one decimal (standard errors with two), yields
in percent with two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from simulator.report.style import fmt_date, fmt_month, source_line

__all__ = ["FIGURE_CAPTIONS", "render_summary_md"]

FIGURE_CAPTIONS: dict[str, str] = {
    "fan_chart": "10-year yield fan: 5-95% and 25-75% of paths, median, mean, levels",
    "touch_curve": "Probability the 10-year touches each level, by date and by month",
    "entry_returns": "Return to the horizon by entry month and base currency",
    "cut_distribution": "Net Fed cuts in the window and P(cut) at each meeting",
    "view_vs_market": "The view against market pricing",
    "decomposition": "Mean 10-year: expectations plus term premium",
    "posterior_densities": "Prior and posterior of the fitted parameters",
}
CURRENCY_NOTE = {"USD": "unhedged"}


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


def _answers(summary: Mapping[str, Any]) -> list[str]:
    horizon = fmt_date(summary["horizon"])
    rows = ["| Question | Answer |", "|---|---|"]
    q = summary.get("y10_at_horizon", {})
    for key in sorted(summary.get("levels", {}), key=_level_key_value):
        lv = summary["levels"][key]
        label = f"{float(key):.2f}%"
        rows.append(
            f"| P(10y touches {label}) by {horizon} | "
            f"{_pct(lv.get('p_touch'))} (s.e. {_pct(lv.get('p_touch_se'), 2)}) |"
        )
        below = f"{_pct(lv.get('p_below_at_horizon'))}"
        if lv.get("p_below_at_horizon_se") is not None:
            below += f" (s.e. {_pct(lv.get('p_below_at_horizon_se'), 2)})"
        rows.append(f"| P(10y at or below {label}) on {horizon} | {below} |")
        ftm = lv.get("first_touch_month") or {}
        if ftm:
            month, p = max(ftm.items(), key=lambda kv: (kv[1], kv[0]))
            if p and float(p) > 0:
                rows.append(
                    f"| Most likely month of first touch of {label} | "
                    f"{fmt_month(month)} ({_pct(p)}) |"
                )
    if q:
        med = q.get("0.5")
        rows.append(
            f"| Median 10y on {horizon} | {_yield(med)} "
            f"(80% band {_yield(q.get('0.1'))} to {_yield(q.get('0.9'))}) |"
        )
        if "0.05" in q and "0.95" in q:
            rows.append(
                f"| 90% band of the 10y on {horizon} | "
                f"{_yield(q.get('0.05'))} to {_yield(q.get('0.95'))} |"
            )
    q2 = summary.get("y2_at_horizon") or {}
    if q2.get("0.5") is not None:
        rows.append(
            f"| Median 2y on {horizon} | {_yield(q2.get('0.5'))} "
            f"(80% band {_yield(q2.get('0.1'))} to {_yield(q2.get('0.9'))}) |"
        )
    cuts = summary.get("cut_count", {})
    if "view" in cuts and "market" in cuts:
        ev = sum(int(k) * float(p) for k, p in cuts["view"].items())
        em = sum(int(k) * float(p) for k, p in cuts["market"].items())
        rows.append(
            f"| Expected net 25bp cuts in the window, view vs market | {ev:.1f} vs {em:.1f} |"
        )
    return rows


def _best_entry(summary: Mapping[str, Any]) -> list[str]:
    best = summary.get("best_entry") or {}
    if not best:
        return []
    rows = [
        "| Base currency | Best entry month | Expected return to horizon | P(best) | P(loss) |",
        "|---|---|---|---|---|",
    ]
    for cur, b in best.items():
        note = CURRENCY_NOTE.get(cur, "hedged")
        rows.append(
            f"| {cur} ({note}) | {fmt_month(b['month'])} | {_signed_pct(b.get('mean'))} | "
            f"{_pct(b.get('p_best'))} | {_pct(b.get('p_loss'))} |"
        )
    return rows


def _diagnostics(summary: Mapping[str, Any], attrs: Mapping[str, Any]) -> str:
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


def _figures(figure_paths: Any, base: Path | None) -> list[str]:
    if isinstance(figure_paths, Mapping):
        items: Iterable[Any] = figure_paths.values()
    else:
        items = figure_paths or []
    lines = []
    for p in items:
        path = Path(p)
        if path.suffix.lower() != ".png":
            continue
        if base is not None and path.is_absolute():
            path = path.relative_to(base)
        caption = FIGURE_CAPTIONS.get(path.stem, path.stem.replace("_", " "))
        lines.append(f"![{caption}]({path.as_posix()})")
        lines.append("")
    return lines


def render_summary_md(
    summary: Mapping[str, Any],
    ds: xr.Dataset | None,
    figure_paths: Sequence[str | Path] | Mapping[str, str | Path],
    *,
    base: str | Path | None = None,
) -> str:
    """Render summary.md from the summary dict (as summary.json) and the figures written.

    Parameters
    ----------
    summary
        The run's summary (the summary.json keys of docs/outputs.md, plus ``assumptions``: a list of
        plain-language sentences).
    ds
        The results Dataset, for the description, parameter source and source line (may be
        None; then those lines come from ``summary`` alone).
    figure_paths
        Paths of the written figures (``.png`` are embedded, other suffixes skipped),
        relative to the folder summary.md is written to, or absolute under ``base``.
    base
        The folder summary.md is written to, to make absolute figure paths relative.

    Returns
    -------
    str
        Markdown text ending in a newline.

    Examples
    --------
    >>> md = render_summary_md(summary, ds, ["figures/fan_chart.png"])  # doctest: +SKIP
    """
    attrs: dict[str, Any] = dict(ds.attrs) if ds is not None else {}
    attrs.setdefault("scenario", summary.get("scenario"))
    attrs.setdefault("paths", summary.get("paths"))
    attrs.setdefault("seed", summary.get("seed"))
    attrs.setdefault("version", (summary.get("provenance") or {}).get("version", "?"))
    lines = [
        f"# {summary['scenario']}: US 10-year Treasury yield, "
        f"{fmt_date(summary['as_of'])} to {fmt_date(summary['horizon'])}",
        "",
    ]
    if attrs.get("description"):
        lines += [str(attrs["description"]), ""]
    lines += [
        f"Window {_window(summary.get('window'))}; {int(summary['paths']):,} paths, "
        f"seed {summary['seed']}.",
        "",
        "## Answers",
        "",
        *_answers(summary),
        "",
    ]
    best = _best_entry(summary)
    if best:
        lines += [
            "## Best entry month",
            "",
            "Hold cash until the first business day of the month, then buy the 10-year and "
            "hold it to the horizon (FX-hedged for CNY, EUR and JPY; USD unhedged); every "
            "month spans the same time. P(best): share of paths on which that month pays most.",
            "",
            *best,
            "",
        ]
    assumptions = list(summary.get("assumptions") or [])
    lines += ["## Assumptions", ""]
    lines += [f"- {a}" for a in assumptions] if assumptions else ["- (none stated)"]
    lines += ["", "## Diagnostics", "", _diagnostics(summary, attrs), ""]
    figs = _figures(figure_paths, Path(base) if base is not None else None)
    if figs:
        lines += ["## Figures", "", *figs]
    prov = summary.get("provenance") or {}
    foot = source_line(attrs)
    if prov.get("config_sha256"):
        foot += f"; config {str(prov['config_sha256'])[:12]}"
    if prov.get("data_sha256"):
        foot += f", data {str(prov['data_sha256'])[:12]}"
    lines += [f"<sub>{foot}.</sub>", ""]
    return "\n".join(lines)
