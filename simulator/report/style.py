"""The memo style: palette, figure scaffold (title, subtitle, source line) and saving.

Every macrosim figure is built for a strategy memo: 6.5 in wide (one text column),
3.6-4 in tall, no font under 8 pt when pasted at 100%, a title that states the finding,
a subtitle with the scenario and as-of date, and a source line at the bottom left that
says which run made it. The rc settings live in ``memo.mplstyle`` next to this module.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas: pyplot's
global figure registry is never touched, so figures can be built from several threads.
The style's rc settings are applied inside :func:`memo_style`, which holds a module lock
while matplotlib's (global) rcParams are swapped.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import textwrap
import threading
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.legend import Legend
from matplotlib.ticker import Formatter

__all__ = [
    "BELIEF_COLORS",
    "CURRENCY_COLORS",
    "MEMO_HEIGHT",
    "MEMO_WIDTH",
    "PALETTE",
    "STYLE_PATH",
    "add_key",
    "figure_workers",
    "fmt_date",
    "fmt_month",
    "fmt_pct",
    "fmt_spot",
    "format_date_axis",
    "memo_figure",
    "memo_style",
    "save_figure",
    "save_figures",
    "source_line",
    "subtitle_for",
]

STYLE_PATH = Path(__file__).with_name("memo.mplstyle")
MEMO_WIDTH = 6.5
MEMO_HEIGHT = 3.8

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#595959"
LIGHT_GREY = "#8c8c8c"

BELIEF_COLORS: dict[str, str] = {
    "view_prior": PALETTE["orange"],
    "view": PALETTE["vermillion"],
    "market": PALETTE["blue"],
}
BELIEF_LABELS: dict[str, str] = {
    "view_prior": "view (scenario prior)",
    "view": "view (after observed moves)",
    "market": "market",
}
CURRENCY_COLORS: dict[str, str] = {
    "USD": PALETTE["blue"],
    "CNY": PALETTE["vermillion"],
    "EUR": PALETTE["bluish_green"],
    "JPY": PALETTE["reddish_purple"],
}
#: Colours for overlaid scenarios (compare), in order.
SCENARIO_COLORS: list[str] = [
    PALETTE["blue"],
    PALETTE["vermillion"],
    PALETTE["bluish_green"],
    PALETTE["reddish_purple"],
    PALETTE["orange"],
    PALETTE["sky_blue"],
    PALETTE["black"],
]

SAVE_DPI = 200
TITLE_SIZE = 11.0
SUBTITLE_SIZE = 9.0
SOURCE_SIZE = 8.0
_PAD_IN = 0.08

GID_TITLE = "macrosim-title"
GID_SUBTITLE = "macrosim-subtitle"
GID_SOURCE = "macrosim-source"

_RC_LOCK = threading.RLock()
_BANDS: weakref.WeakKeyDictionary[Figure, dict[str, float]] = weakref.WeakKeyDictionary()


@cache
def _memo_rc() -> Any:
    """The rc settings of ``memo.mplstyle`` (read once), as a plain dict."""
    rc: Any = mpl.rc_params_from_file(str(STYLE_PATH), use_default_template=False)
    return {str(k): v for k, v in rc.items()}


@contextmanager
def memo_style() -> Iterator[None]:
    """Apply the memo rc settings for the duration of the block (thread-safe among callers).

    Examples
    --------
    >>> from simulator.report.style import memo_style
    >>> with memo_style():
    ...     pass
    """
    with _RC_LOCK, mpl.rc_context(rc=_memo_rc()):
        yield


def fmt_date(value: Any) -> str:
    """``2026-12-31`` -> ``31 Dec 2026``."""
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def fmt_month(value: str, *, year: bool = True) -> str:
    """``2026-03`` -> ``Mar 2026`` (or ``Mar``)."""
    ts = pd.Timestamp(f"{value}-01")
    return f"{ts:%b %Y}" if year else f"{ts:%b}"


def fmt_pct(p: float, digits: int = 0) -> str:
    """A probability or fraction as a percentage: ``0.381 -> '38%'``."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return f"{100 * float(p):.{digits}f}%"


def fmt_spot(value: float) -> str:
    """An exchange rate to about four significant digits: ``156.23``, ``6.960``, ``0.8612``."""
    v = abs(float(value))
    return f"{float(value):.{2 if v >= 50 else 3 if v >= 2 else 4}f}"


def source_line(attrs: Mapping[str, Any]) -> str:
    """``macrosim <version>, scenario <name>, <paths> paths, seed <s>, data to <date>``."""
    paths = attrs.get("paths")
    paths_s = f"{int(paths):,}" if paths is not None else "?"
    return (
        f"macrosim {attrs.get('version', '?')}, scenario {attrs.get('scenario', '?')}, "
        f"{paths_s} paths, seed {attrs.get('seed', '?')}, data to {attrs.get('data_to', '?')}"
    )


def subtitle_for(attrs: Mapping[str, Any], detail: str = "") -> str:
    """``Scenario <name>, as of <date>, horizon <date>`` plus an optional detail."""
    parts = [f"Scenario {attrs.get('scenario', '?')}"]
    if "as_of" in attrs:
        parts.append(f"as of {fmt_date(attrs['as_of'])}")
    if "horizon" in attrs:
        parts.append(f"horizon {fmt_date(attrs['horizon'])}")
    text = ", ".join(parts)
    return f"{text}. {detail}" if detail else text


def _wrap_to_width(
    text: str, max_in: float, renderer: Any, size: float, weight: str, dpi: float
) -> list[str]:
    """Break ``text`` into lines no wider than ``max_in``, preferring clause boundaries.

    A line break goes after ``. ``, ``; ``, ``: `` or ``, `` (in that order of preference)
    where the first line then fits, so "finding: numbers" stays readable; otherwise words
    are wrapped greedily. Widths are measured with the figure's renderer.
    """
    prop = FontProperties(size=size, weight=weight)

    def fits(s: str) -> bool:
        w, _h, _d = renderer.get_text_width_height_descent(s, prop, ismath=False)
        return bool(w / dpi <= 0.99 * max_in)

    if not text or fits(text):
        return [text]
    for sep in (". ", "; ", ": ", ", "):
        best: tuple[str, str] | None = None
        start = 0
        while (i := text.find(sep, start)) >= 0:
            head, tail = text[: i + 1], text[i + len(sep) :]
            if fits(head) and len(head) >= 0.3 * len(text):
                best = (head, tail)
            start = i + 1
        if best is not None:
            return [best[0], *_wrap_to_width(best[1], max_in, renderer, size, weight, dpi)]
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        trial = f"{cur} {word}".strip()
        if fits(trial) or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


def memo_figure(
    *,
    title: str,
    subtitle: str,
    source: str,
    nrows: int = 1,
    ncols: int = 1,
    width: float = MEMO_WIDTH,
    height: float = MEMO_HEIGHT,
    sharex: bool = False,
    sharey: bool = False,
    gridspec_kw: Mapping[str, Any] | None = None,
) -> tuple[Figure, np.ndarray]:
    """A memo-sized figure with its title, subtitle and source line, and a grid of axes.

    Call it inside :func:`memo_style` so the axes pick up the memo rc settings. The title
    (11 pt bold) and subtitle (9 pt) sit in a band at the top, the source line (8 pt) at
    the bottom left; constrained layout places the axes in between.

    Parameters
    ----------
    title
        The finding, e.g. ``"P(10y touches 3.50%) by 31 Dec 2026: 38% ± 0.2%"``.
    subtitle
        Scenario and as-of date (see :func:`subtitle_for`).
    source
        The provenance line (see :func:`source_line`).
    nrows, ncols, sharex, sharey, gridspec_kw
        Passed to :meth:`matplotlib.figure.Figure.subplots`.
    width, height
        Figure size in inches.

    Returns
    -------
    (Figure, numpy.ndarray of Axes with shape (nrows, ncols))

    Examples
    --------
    >>> from simulator.report.style import memo_figure, memo_style
    >>> with memo_style():
    ...     fig, axes = memo_figure(title="A finding", subtitle="Scenario x", source="macrosim")
    >>> axes.shape
    (1, 1)
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    # Measure at the PNG resolution: glyph hinting makes text wider at 200 dpi than at 100.
    renderer = RendererAgg(int(width * SAVE_DPI), int(height * SAVE_DPI), SAVE_DPI)
    max_w = width - 2 * _PAD_IN
    title_lines = _wrap_to_width(title, max_w, renderer, TITLE_SIZE, "bold", SAVE_DPI)
    sub_lines = _wrap_to_width(subtitle, max_w, renderer, SUBTITLE_SIZE, "normal", SAVE_DPI)
    line_in = 1.25 / 72
    title_in = len(title_lines) * TITLE_SIZE * line_in
    sub_in = len(sub_lines) * SUBTITLE_SIZE * line_in
    top_in = _PAD_IN + title_in + 0.04 + sub_in + 0.08
    # long provenance lines (comparisons, sweeps) wrap instead of running off the page
    src_lines = _wrap_to_width(source, max_w, renderer, SOURCE_SIZE, "normal", SAVE_DPI)
    bottom_in = len(src_lines) * SOURCE_SIZE * line_in + 2 * _PAD_IN
    x0 = _PAD_IN / width
    t = fig.text(
        x0,
        1 - _PAD_IN / height,
        "\n".join(title_lines),
        ha="left",
        va="top",
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color="#1a1a1a",
    )
    t.set_gid(GID_TITLE)
    s = fig.text(
        x0,
        1 - (_PAD_IN + title_in + 0.04) / height,
        "\n".join(sub_lines),
        ha="left",
        va="top",
        fontsize=SUBTITLE_SIZE,
        color=GREY,
    )
    s.set_gid(GID_SUBTITLE)
    src = fig.text(
        x0,
        _PAD_IN / height,
        "\n".join(src_lines),
        ha="left",
        va="bottom",
        fontsize=SOURCE_SIZE,
        color=GREY,
    )
    src.set_gid(GID_SOURCE)
    for txt in (t, s, src):
        txt.set_in_layout(False)
    _BANDS[fig] = {"top_in": top_in, "bottom_in": bottom_in}
    _set_rect(fig, top_in, bottom_in)
    axes = fig.subplots(
        nrows,
        ncols,
        squeeze=False,
        sharex=sharex,
        sharey=sharey,
        gridspec_kw=dict(gridspec_kw or {}),
    )
    return fig, axes


def _set_rect(fig: Figure, top_in: float, bottom_in: float) -> None:
    """Constrained layout places the axes between the title band and the source line."""
    height = float(fig.get_size_inches()[1])
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0.0, bottom_in / height, 1.0, 1.0 - (top_in + bottom_in) / height))


def add_key(
    fig: Figure, handles: Sequence[Artist] | None = None, labels: Sequence[str] | None = None
) -> Legend | None:
    """A figure-wide legend (the key) in the title band, under the subtitle.

    Keeping the key off the axes means it never covers data and does not squeeze a
    panel. It takes as few rows as fit the figure width. Without ``handles`` the labelled
    artists of all axes are used (duplicates by label dropped).
    """
    if handles is None or labels is None:
        seen: dict[str, Artist] = {}
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                seen.setdefault(lab, h)
        labels, handles = list(seen), list(seen.values())
    if not handles:
        return None
    info = _BANDS.get(fig)
    if info is None:
        raise ValueError("add_key needs a figure made by memo_figure")
    width, height = (float(v) for v in fig.get_size_inches())
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    n = len(handles)
    # Fewest rows that fit, with the entries spread evenly over them.
    for ncols in dict.fromkeys(math.ceil(n / rows) for rows in range(1, n + 1)):
        leg = fig.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(_PAD_IN / width, 1 - info["top_in"] / height),
            ncols=ncols,
            frameon=False,
            borderaxespad=0.0,
            borderpad=0.0,
            handlelength=1.4,
            handletextpad=0.4,
            columnspacing=0.9,
            fontsize=8.5,
        )
        leg.set_in_layout(False)
        bbox = leg.get_window_extent(renderer)
        if bbox.width / fig.dpi <= 0.95 * (width - 2 * _PAD_IN) or ncols == 1:
            break
        leg.remove()
    key_in = bbox.height / fig.dpi
    _set_rect(fig, info["top_in"] + key_in + 0.08, info["bottom_in"])
    return leg


def axes_title(ax: Axes, title: str) -> None:
    """Put a finding on an axes the caller supplied (no memo scaffold around it)."""
    ax.set_title("\n".join(textwrap.wrap(title, 60)), loc="left", fontsize=SUBTITLE_SIZE)


def format_date_axis(ax: Axes, *, every: int = 1) -> None:
    """Month ticks (every ``every`` months) labelled ``Jan``, ``Feb``, the year under January."""
    locator = mdates.MonthLocator(bymonth=range(1, 13, every))
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(
        locator, formats=["%Y", "%b", "%d", "%H:%M", "%H:%M", "%S.%f"], show_offset=False
    )
    formatter.zero_formats = ["", "%b\n%Y", "%b", "%H:%M", "%H:%M", "%S.%f"]
    ax.xaxis.set_major_formatter(formatter)


class _PercentFormatter(Formatter):
    """Fractions as percentages, with enough decimals that neighbouring ticks differ."""

    def __init__(self, target: Axis, digits: int) -> None:
        self._target = target
        self._digits = digits

    def _decimals(self, locs: Sequence[float] | np.ndarray) -> int:
        ticks = np.asarray(locs, dtype=float) * 100
        step = float(np.min(np.diff(ticks))) if ticks.size > 1 else 1.0
        return max(self._digits, 0 if step >= 1 else int(np.ceil(-np.log10(step) - 1e-9)))

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{100 * x:.{self._decimals(self._target.get_majorticklocs())}f}"

    def format_ticks(self, values: Any) -> list[str]:
        # the axis passes its major tick locations: locate once per axis, not once per label
        need = self._decimals(values)
        return [f"{100 * v:.{need}f}" for v in values]


def percent_axis(ax: Axes, axis: str = "y", digits: int = 0) -> None:
    """Show a fraction axis as percentages (the data stay fractions)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_PercentFormatter(target, digits))


def save_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Write ``<stem>.png`` (200 dpi) and ``<stem>.svg``; return both paths.

    The SVG keeps text as text (editable) and carries no date, so one run gives the same
    file bit for bit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from simulator.report.style import memo_figure, memo_style, save_figure
    >>> with memo_style():
    ...     fig, _ = memo_figure(title="t", subtitle="s", source="macrosim")
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "blank")
    >>> [p.suffix for p in paths]
    ['.png', '.svg']
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_name(stem.name + ".png")
    svg = stem.with_name(stem.name + ".svg")
    with memo_style():
        fig.savefig(png, dpi=SAVE_DPI, format="png", metadata={"Software": None})
        # The PNG's draw has placed the axes; the SVG keeps that placement rather than
        # solving the constrained layout a second time (a third of a figure's save time).
        engine = fig.get_layout_engine()
        if engine is not None:
            fig.set_layout_engine("none")
            # The solver's last bits vary from process to process for some layouts (two
            # rows of different heights); the SVG names its clip paths by a hash of the
            # exact axes box, so the box is rounded (to 1e-12 of the figure) first.
            for ax in fig.axes:
                placed = ax.get_in_layout()  # set_position takes an axes out of the layout
                x, y, w, h = (round(float(v), 12) for v in ax.get_position().bounds)
                ax.set_position((x, y, w, h))
                ax.set_in_layout(placed)
        try:
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            if engine is not None:
                fig.set_layout_engine(engine)
    return [png, svg]


#: The figure builders of the current :func:`save_figures` call, as a forked worker sees them.
_JOBS: dict[str, Callable[[], Figure]] = {}


def _set_jobs(jobs: dict[str, Callable[[], Figure]]) -> None:
    """Worker initializer: the builders arrive through fork, so nothing is pickled."""
    global _JOBS
    _JOBS = jobs


def _save_job(name: str, stem: Path) -> list[Path]:
    """Build one figure and save it (in a worker process)."""
    return save_figure(_JOBS[name](), stem)


def figure_workers(n_figures: int, workers: int | None = None) -> int:
    """How many processes :func:`save_figures` uses: one unless asked, at most one a figure.

    Parallel drawing is opt-in (``workers=N``, or ``workers=0`` for the usable cores): it
    forks the run's process, which Python 3.12+ deprecates when threads are alive (a Dask
    client's, say), and it measured no wall-clock gain on a busy 2-core machine. One
    (in this process) where ``fork`` is unavailable or this is a daemonic process.
    """
    if workers is None or workers == 1:
        return 1
    if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        return 1
    if workers == 0:
        try:
            workers = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            workers = os.cpu_count() or 1
    return max(1, min(workers, n_figures))


def save_figures(
    builders: Mapping[str, Callable[[], Figure]],
    folder: str | Path,
    *,
    workers: int | None = None,
    heavy: Collection[str] = (),
) -> list[Path]:
    """Build and save each figure as ``<folder>/<name>.png`` and ``.svg``; return the paths.

    Drawing is CPU-bound and single-threaded in matplotlib, so with more than one core
    the figures are shared among forked worker processes (each builds its figures on its
    own Agg canvases; the builders and their data reach the workers through fork, not
    pickling). The files are the same as when drawn one by one in this process.

    Parameters
    ----------
    builders
        Figure name -> a function of no arguments returning the Figure.
    folder
        Where to write.
    workers
        Processes to use (default :func:`figure_workers`); 1 draws here, one at a time.
    heavy
        Names to start first (the slowest figures), so the workers finish together.

    Returns
    -------
    list of Path, two a figure (PNG then SVG) in the order of ``builders``.

    Examples
    --------
    >>> import tempfile
    >>> from simulator.report.style import memo_figure, memo_style, save_figures
    >>> def blank():
    ...     with memo_style():
    ...         return memo_figure(title="t", subtitle="s", source="macrosim")[0]
    >>> paths = save_figures({"blank": blank}, tempfile.mkdtemp(), workers=1)
    >>> [p.name for p in paths]
    ['blank.png', 'blank.svg']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = figure_workers(len(builders), workers)
    if n == 1:
        return [p for name, build in builders.items() for p in save_figure(build(), folder / name)]
    order = [k for k in heavy if k in builders] + [k for k in builders if k not in heavy]
    with ProcessPoolExecutor(
        n, mp_context=mp.get_context("fork"), initializer=_set_jobs, initargs=(dict(builders),)
    ) as pool:
        futures = {name: pool.submit(_save_job, name, folder / name) for name in order}
        return [p for name in builders for p in futures[name].result()]


def wrap_labels(labels: Sequence[str], width: int = 12) -> list[str]:
    """Wrap long tick labels onto two lines."""
    return ["\n".join(textwrap.wrap(lab, width)) or lab for lab in labels]
