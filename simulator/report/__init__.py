"""Report layer: memo figures, summary.md and summary.html, CSV tables and run comparisons.

Reads the results Dataset and summary dict the engine produces (output names in
docs/outputs.md); holds no model maths. Figures use the shipped memo style
(``memo.mplstyle``) and an Agg canvas; nothing here calls ``pyplot``.
"""

from simulator.report.compare import compare_figures, compare_table, compare_table_md
from simulator.report.figures import (
    all_figures,
    cut_distribution,
    decomposition,
    entry_returns,
    fan_chart,
    posterior_densities,
    touch_curve,
    view_vs_market,
    write_figures,
)
from simulator.report.style import PALETTE, STYLE_PATH, memo_figure, memo_style, save_figure
from simulator.report.summary_html import render_summary_html
from simulator.report.summary_md import render_summary_md
from simulator.report.tables import write_tables

__all__ = [
    "PALETTE",
    "STYLE_PATH",
    "all_figures",
    "compare_figures",
    "compare_table",
    "compare_table_md",
    "cut_distribution",
    "decomposition",
    "entry_returns",
    "fan_chart",
    "memo_figure",
    "memo_style",
    "posterior_densities",
    "render_summary_html",
    "render_summary_md",
    "save_figure",
    "touch_curve",
    "view_vs_market",
    "write_figures",
    "write_tables",
]
