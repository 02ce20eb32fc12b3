"""The USD/CNY seasonality figure and tables of ``docs/fx.md``, regenerated from history.

``python -m simulator.report.fx_season --data DIR --figure STEM --doc docs/fx.md`` reads
the H.10 series from ``DIR``, draws the figure (``STEM.png`` and ``.svg``) and rewrites
the tables between the ``<!-- fx-tables -->`` markers of the document
(``make docs-figures`` runs it). The numbers come from :mod:`simulator.data.fx`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator import __version__
from simulator.data.fx import (
    MANAGED_FLOAT_START,
    POST_REFORM_START,
    festival_paths,
    festival_volatility,
    lunar_new_year_table,
    monthly_seasonal_table,
    summarise_changes,
)
from simulator.data.loaders import PathLike, load_series
from simulator.report.style import PALETTE, add_key, memo_figure, memo_style, save_figure

__all__ = ["Seasonality", "main", "seasonality", "seasonality_figure", "tables_markdown"]

SAMPLES = {
    "since 2005-07-21 (managed float)": MANAGED_FLOAT_START,
    "since 2015-08-11 (fixing reform)": POST_REFORM_START,
}
_COLORS = (PALETTE["blue"], PALETTE["orange"])
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BEGIN, _END = "<!-- fx-tables:begin -->", "<!-- fx-tables:end -->"
_Z95 = 1.96


@dataclass(frozen=True)
class Seasonality:
    """The tables of one sample: by month, the festival paths and table, the volatility."""

    monthly: pd.DataFrame
    paths: pd.DataFrame
    festival: pd.DataFrame
    volatility: pd.DataFrame
    daily_to: str
    monthly_to: str


def seasonality(data_dir: PathLike, start: str, weeks: int = 8) -> Seasonality:
    """Measure USD/CNY seasonality from the data folder's H.10 series from ``start``."""
    monthly = load_series("usdcny_monthly", data_dir).dropna()
    daily = load_series("usdcny_daily", data_dir).dropna()
    paths = festival_paths(daily, weeks, start=start)
    return Seasonality(
        monthly=monthly_seasonal_table(monthly, start),
        paths=paths,
        festival=lunar_new_year_table(paths),
        volatility=festival_volatility(daily, 4, start=start),
        daily_to=str(daily.index[-1].date()),
        monthly_to=monthly.index[-1].strftime("%Y-%m"),
    )


def _month_panel(ax: Axes, tables: Sequence[pd.DataFrame], labels: Sequence[str]) -> None:
    """Bars of the mean change by calendar month, +- 1.96 s.e."""
    width = 0.8 / len(tables)
    for i, (table, label) in enumerate(zip(tables, labels, strict=True)):
        x = np.arange(12) + (i - (len(tables) - 1) / 2) * width
        ax.bar(x, table["mean_pct"], width, color=_COLORS[i], label=label, alpha=0.85)
        ax.errorbar(
            x, table["mean_pct"], yerr=_Z95 * table["se_pct"], fmt="none", ecolor="#333333", lw=0.8
        )
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xticks(np.arange(12), _MONTHS, fontsize=7.5)
    ax.set_ylabel("% (monthly average)")
    ax.set_title("By calendar month", loc="left", fontsize=9)


def _festival_panel(ax: Axes, paths: Sequence[pd.DataFrame]) -> None:
    """Mean spot path around the festival, % from the festival's level, +- 1.96 s.e."""
    for i, p in enumerate(paths):
        weeks = p.columns.to_numpy(dtype=np.float64)
        stats = [summarise_changes(p[w].to_numpy()) for w in p.columns]
        mean = np.array([s["mean_pct"] for s in stats])
        se = np.nan_to_num(np.array([s["se_pct"] for s in stats]))
        ax.fill_between(
            weeks, mean - _Z95 * se, mean + _Z95 * se, color=_COLORS[i], alpha=0.18, lw=0
        )
        ax.plot(weeks, mean, color=_COLORS[i], lw=1.6)
    ax.axvline(0.0, color="black", lw=0.6, ls="--")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xticks(np.arange(-8, 9, 2))
    ax.set_xlabel("weeks from the Spring Festival")
    ax.set_ylabel("% from the festival day")
    ax.set_title("Around the Lunar New Year", loc="left", fontsize=9)


def seasonality_figure(samples: Mapping[str, Seasonality]) -> Figure:
    """The memo figure: mean change by calendar month, and the path around the festival.

    Parameters
    ----------
    samples : mapping of label -> Seasonality
        One or two samples (e.g. :data:`SAMPLES`), the first one named in the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = list(samples)
    first = samples[labels[0]]
    jan, before = first.monthly.loc[1], first.festival.loc[-4]
    after = first.festival.loc[4]
    title = (
        f"USD/CNY: the yuan gains in January ({jan['mean_pct']:+.2f}%, "
        f"{jan['share_appreciation']:.0%} of years) and before the Spring Festival "
        f"({before['mean_pct']:+.2f}% in 4 weeks); no drift after it ({after['mean_pct']:+.2f}%)"
    )
    years = ", ".join(
        f"{lab}: {int(s.festival['n_years'].iloc[0])} festivals" for lab, s in samples.items()
    )
    subtitle = (
        "Mean 100 dlog change of the spot (CNY per USD; negative = yuan stronger), "
        f"bars and bands \u00b11.96 s.e. Samples {years}."
    )
    source = (
        f"macrosim {__version__}; FRED DEXCHUS (daily, to {first.daily_to}) and EXCHUS "
        f"(monthly averages, to {first.monthly_to}), Fed H.10/G.5"
    )
    with memo_style():
        fig, axes = memo_figure(title=title, subtitle=subtitle, source=source, ncols=2, height=4.0)
        _month_panel(axes[0, 0], [s.monthly for s in samples.values()], labels)
        _festival_panel(axes[0, 1], [s.paths for s in samples.values()])
        add_key(fig)
    return fig


def _cells(row: pd.Series) -> list[str]:
    """mean, s.e., share of yuan gains, n of one table row, formatted."""
    se = "" if np.isnan(row["se_pct"]) else f"{row['se_pct']:.2f}"
    share = "" if np.isnan(row["share_appreciation"]) else f"{row['share_appreciation']:.0%}"
    mean = round(float(row["mean_pct"]), 2) + 0.0  # no "-0.00"
    return [f"{mean:+.2f}", se, share, str(int(row["n_years"]))]


def _row(label: str, rows: Sequence[pd.Series]) -> list[str]:
    """A label followed by the formatted cells of one row per sample."""
    return [label, *(cell for row in rows for cell in _cells(row))]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def _window(week: int) -> str:
    """Label of a festival-table row."""
    return f"{week:+d}w to festival" if week < 0 else f"festival to {week:+d}w"


def tables_markdown(samples: Mapping[str, Seasonality]) -> str:
    """The three tables of ``docs/fx.md`` (by month, around the festival, volatility)."""
    short = [lab.split(" (")[0] for lab in samples]
    stats = ["mean %", "s.e.", "yuan up", "n"]
    head = [""] + [f"{st} ({lab})" if st == "mean %" else st for lab in short for st in stats]
    out = ["**Table 1. Change of the monthly average, by calendar month.**", ""]
    tables = list(samples.values())
    months = [_row(m, [t.monthly.loc[i] for t in tables]) for i, m in enumerate(_MONTHS, 1)]
    out += [*_table(["month", *head[1:]], months), ""]
    out += ["**Table 2. Change between a week around the Lunar New Year and the festival.**", ""]
    weeks = [int(w) for w in tables[0].festival.index if w != 0]
    festival = [_row(_window(w), [t.festival.loc[w] for t in tables]) for w in weeks]
    out += [*_table(["window", *head[1:]], festival), ""]
    out += ["**Table 3. Daily volatility in the 4 weeks before and after the festival.**", ""]
    vol = []
    for lab, t in zip(short, samples.values(), strict=True):
        for name, r in t.volatility.iterrows():
            se = "" if np.isnan(r["se_ratio"]) else f"{r['se_ratio']:.2f}"
            ratio = f"{r['ratio_to_all']:.2f}"
            vol.append(
                [lab, str(name), f"{r['daily_vol_pct']:.3f}", ratio, se, str(int(r["n_days"]))]
            )
    heads = ["sample", "window", "daily vol %", "ratio to all days", "s.e. (jackknife)", "days"]
    out += _table(heads, vol)
    return "\n".join(out) + "\n"


def _replace_block(doc: Path, text: str) -> None:
    """Rewrite the text between the fx-tables markers of ``doc``."""
    old = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(_BEGIN) + ".*?" + re.escape(_END), re.S)
    if not pattern.search(old):
        raise ValueError(f"{doc}: markers {_BEGIN} ... {_END} not found")
    doc.write_text(pattern.sub(lambda _: f"{_BEGIN}\n{text}{_END}", old), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Regenerate the seasonality figure and the tables of docs/fx.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", required=True, type=Path, help="folder with usdcny_*.csv")
    parser.add_argument("--figure", type=Path, help="stem of the figure (.png and .svg)")
    parser.add_argument("--doc", type=Path, help="markdown file whose tables to rewrite")
    args = parser.parse_args(argv)
    samples = {label: seasonality(args.data, start) for label, start in SAMPLES.items()}
    if args.figure is not None:
        save_figure(seasonality_figure(samples), args.figure)
    if args.doc is not None:
        _replace_block(args.doc, tables_markdown(samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
