"""summary.md: the one page a strategist forwards (answers, assumptions, checks, figures).

The content comes from :func:`simulator.report.summary_page.summary_page` (shared with
summary.html); this module lays it out as Markdown. Every number is formatted from the
summary dict (the same values as summary.json), never recomputed from the Dataset, so the
page and the JSON cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from simulator.report.fx_summary import HEDGE_HEADER, HEDGE_NOTE, hedge_answers
from simulator.report.summary_page import (
    ANSWERS_HEADER,
    BEST_ENTRY_HEADER,
    BEST_ENTRY_NOTE,
    CURRENCY_NOTE,
    FIGURE_CAPTIONS,
    summary_page,
)

__all__ = ["CURRENCY_NOTE", "FIGURE_CAPTIONS", "md_table", "render_summary_md"]


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table's lines: the header, the rule and one line a row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


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
        plain-language sentences, and ``warnings``).
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
    page = summary_page(summary, ds)
    lines = [f"# {page.title}", ""]
    if page.description:
        lines += [page.description, ""]
    lines += [page.run_line, "", "## Answers", "", *md_table(ANSWERS_HEADER, page.answers), ""]
    if page.best_entry:
        lines += [
            "## Best entry month",
            "",
            BEST_ENTRY_NOTE,
            "",
            *md_table(BEST_ENTRY_HEADER, page.best_entry),
            "",
        ]
    for fx in hedge_answers(summary):  # the FX leg's answer (runs with an fx block)
        lines += [f"## {fx.heading}", "", fx.answer, "", HEDGE_NOTE, ""]
        lines += [*md_table(HEDGE_HEADER, fx.rows), ""]
    lines += ["## Assumptions", ""]
    lines += [f"- {a}" for a in page.assumptions] if page.assumptions else ["- (none stated)"]
    if page.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {w}" for w in page.warnings]
    lines += ["", "## Diagnostics", "", page.diagnostics, ""]
    figs = _figures(figure_paths, Path(base) if base is not None else None)
    if figs:
        lines += ["## Figures", "", *figs]
    lines += [f"<sub>{page.footer}</sub>", ""]
    return "\n".join(lines)
