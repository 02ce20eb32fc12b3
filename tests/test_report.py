"""Report layer: memo figures, summary.md, CSV tables and comparisons (Agg, synthetic data).

Checks look at the artists (texts, labels, line data), never at pixels. The results
Dataset comes from ``tests/report_fixtures.py``, which follows the engine's contract.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import make_results, make_summary

from simulator.report import (
    all_figures,
    compare_figures,
    compare_table,
    compare_table_md,
    entry_returns,
    posterior_densities,
    render_summary_md,
    save_figure,
    write_figures,
    write_tables,
)
from simulator.report.figures import FIGURES
from simulator.report.style import (
    GID_SOURCE,
    GID_SUBTITLE,
    GID_TITLE,
    STYLE_PATH,
    fmt_date,
    source_line,
)

SOURCE = "macrosim 0.1.0, scenario baseline, 2,000 paths, seed 7, data to 2026-01-15"


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return make_results(levels=(3.5,))


@pytest.fixture(scope="module")
def ds_variants(ds: xr.Dataset) -> dict[str, xr.Dataset]:
    return {
        "one_level": ds,
        "two_levels_no_history": make_results(levels=(3.5, 4.5), history=False),
        "empty_history": make_results(levels=(3.5,), history=False, seed=3),
    }


def _gid_text(fig: Figure, gid: str) -> str:
    found = [t for t in fig.texts if t.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0].get_text()


def _visible_axes(fig: Figure) -> list[Any]:
    return [a for a in fig.axes if a.get_visible()]


# --------------------------------------------------------------------------- contract


def test_fixture_follows_the_results_contract(ds: xr.Dataset) -> None:
    for name in ("date", "quantile", "level", "path", "belief", "cut_count", "meeting"):
        assert name in ds.coords
    for name in ("move_bp", "currency", "entry_month", "stat", "month", "hist_date"):
        assert name in ds.coords
    for name, da in ds.data_vars.items():
        assert {"units", "long_name"} <= set(da.attrs), name
    assert ds["y10"].dims == ("date", "quantile")
    assert ds["entry_return"].dims == ("currency", "entry_month", "stat")
    assert list(ds["currency"].values) == ["USD", "CNY", "EUR", "JPY"]
    assert pd.Timestamp(ds["date"].values[0]) == pd.Timestamp(ds.attrs["as_of"])
    np.testing.assert_array_equal(ds["y10_mean"], ds["expectations_mean"] + ds["term_premium_mean"])
    np.testing.assert_allclose(ds["move_prob"].sum("move_bp"), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        ds["first_touch_month"].sum("month"), ds["p_touch"].isel(date=-1), atol=1e-12
    )
    np.testing.assert_allclose(
        ds["entry_return"].sel(stat="p_best").sum("entry_month"), 1.0, atol=1e-12
    )
    for key in ("scenario", "as_of", "horizon", "paths", "seed", "version", "data_to"):
        assert key in ds.attrs


def test_style_file_is_shipped_and_readable() -> None:
    import matplotlib as mpl

    rc = mpl.rc_params_from_file(str(STYLE_PATH), use_default_template=False)
    assert rc["savefig.dpi"] == 200
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert tuple(rc["figure.figsize"]) == (6.5, 3.8)
    assert min(rc["font.size"], rc["xtick.labelsize"], rc["legend.fontsize"]) >= 8


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("variant", ["one_level", "two_levels_no_history", "empty_history"])
@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_has_title_subtitle_labels_and_source(
    ds_variants: dict[str, xr.Dataset], variant: str, name: str
) -> None:
    data = ds_variants[variant]
    fig = FIGURES[name](data)
    assert isinstance(fig, Figure)
    width, height = fig.get_size_inches()
    assert width == pytest.approx(6.5)
    assert 3.6 <= height <= 4.5
    title = _gid_text(fig, GID_TITLE)
    assert re.search(r"\d", title), f"title states no finding: {title!r}"
    subtitle = _gid_text(fig, GID_SUBTITLE)
    assert f"Scenario {data.attrs['scenario']}" in subtitle
    assert f"as of {fmt_date(data.attrs['as_of'])}" in subtitle
    assert _gid_text(fig, GID_SOURCE) == source_line(data.attrs)
    if variant == "one_level":
        assert _gid_text(fig, GID_SOURCE) == SOURCE
    for ax in _visible_axes(fig):
        ylabel = ax.get_ylabel()
        if ylabel == "":
            # a right-hand panel sharing y: the left panel of its row carries the label
            assert len(ax.get_shared_y_axes().get_siblings(ax)) > 1
            assert not ax.get_subplotspec().is_first_col()
        else:
            assert re.search(r"\(.+\)", ylabel), f"{name}: y label without unit: {ylabel!r}"
        date_axis = isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
        if not date_axis and ax.get_xlabel():
            assert re.search(r"\(.+\)", ax.get_xlabel()), ax.get_xlabel()
        assert date_axis or ax.get_xlabel() or not ax.get_subplotspec().is_last_row()


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_text_under_8pt(ds: xr.Dataset, name: str) -> None:
    fig = FIGURES[name](ds)
    fig.canvas.draw()
    small = [
        (t.get_text(), t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 8
    ]
    assert not small


def test_touch_title_states_probability_and_se(ds: xr.Dataset) -> None:
    fig = FIGURES["touch_curve"](ds)
    p = float(ds["p_touch"].sel(level=3.5).values[-1])
    se = float(ds["p_touch_se"].sel(level=3.5).values[-1])
    expected = f"P(10y touches 3.50%) by 31 Dec 2026: {100 * p:.0f}% ± {100 * se:.1f}%"
    assert _gid_text(fig, GID_TITLE).replace("\n", " ") == expected


def test_fan_chart_draws_levels_history_and_fomc(ds: xr.Dataset) -> None:
    fig = FIGURES["fan_chart"](ds)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "3.50%" in texts
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert {"median", "mean", "observed", "FOMC decision"} <= set(labels)
    fomc = next(ln for ln in ax.get_lines() if ln.get_label() == "FOMC decision")
    assert len(fomc.get_xdata()) == len(ds.attrs["fomc_dates"])
    median = next(ln for ln in ax.get_lines() if ln.get_label() == "median")
    np.testing.assert_array_equal(median.get_ydata(), ds["y10"].sel(quantile=0.5).values)


def test_fan_chart_2y_panel_under_the_10y(ds: xr.Dataset) -> None:
    fig = FIGURES["fan_chart"](ds)
    assert len(fig.axes) == 2
    top, low = fig.axes
    assert top.get_ylabel().startswith("10-year") and "(%)" in low.get_ylabel()
    assert low.get_title(loc="left").startswith("2-year Treasury yield")
    assert top.get_shared_x_axes().joined(top, low) and top.get_xlim() == low.get_xlim()
    median = next(ln for ln in low.get_lines() if ln.get_label() == "median")
    np.testing.assert_array_equal(median.get_ydata(), ds["y2"].sel(quantile=0.5).values)
    fomc = next(ln for ln in low.get_lines() if ln.get_label() == "FOMC decision")
    assert len(fomc.get_xdata()) == len(ds.attrs["fomc_dates"])
    # the 2s10s note: median over the sample paths of 10y - 2y at the horizon, in bp
    spread = np.median((ds["y10_paths"] - ds["y2_paths"]).values[:, -1]) * 100
    note = " ".join(t.get_text() for t in low.texts)
    assert "Median 2s10s of 200 sample paths" in note and f"{spread:+.0f}bp at 31 Dec 2026" in note
    assert len(_gid_text(fig, GID_TITLE)) > 0  # one figure title for both panels


def test_fan_chart_without_2y_is_one_panel() -> None:
    old = make_results(levels=(3.5,), two_year=False)
    assert "y2" not in old
    fig = FIGURES["fan_chart"](old)
    assert len(fig.axes) == 1
    assert fig.get_size_inches()[1] == pytest.approx(3.8)
    # a file written before the 2y existed may hold y2_paths of NaN: still one 10y panel
    nan_paths = old.assign(y2_paths=old["y10_paths"] * np.nan)
    assert len(FIGURES["fan_chart"](nan_paths).axes) == 1


def test_fan_chart_on_a_given_axes_draws_the_10y_only(ds: xr.Dataset) -> None:
    host = Figure(figsize=(6.5, 3.8))
    ax = host.add_subplot()
    fan_fig = FIGURES["fan_chart"](ds, ax=ax)
    assert fan_fig is host and host.axes == [ax]
    median = next(ln for ln in ax.get_lines() if ln.get_label() == "median")
    np.testing.assert_array_equal(median.get_ydata(), ds["y10"].sel(quantile=0.5).values)


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_draw_on_a_given_axes(ds: xr.Dataset, name: str) -> None:
    host = Figure(figsize=(6.5, 3.8))
    ax = host.add_subplot()
    fig = FIGURES[name](ds, ax=ax)
    assert fig is host
    assert ax.get_title(loc="left")
    assert re.search(r"\(.+\)", ax.get_ylabel())


def test_entry_returns_subset_of_currencies(ds: xr.Dataset) -> None:
    fig = entry_returns(ds, currencies=["CNY"])
    assert len(_visible_axes(fig)) == 1
    assert "CNY" in _gid_text(fig, GID_TITLE)


def test_write_figures_png_and_svg(ds: xr.Dataset, tmp_path: Path) -> None:
    paths = write_figures(ds, tmp_path)
    assert len(paths) == 2 * len(FIGURES)
    for name in FIGURES:
        png = tmp_path / "figures" / f"{name}.png"
        svg = tmp_path / "figures" / f"{name}.svg"
        assert png in paths and svg in paths
        assert mpimg.imread(png).shape[1] == 1300  # 6.5 in at 200 dpi
        head = svg.read_text()[:400]
        assert "<svg" in head


def test_write_figures_in_workers_same_files(ds: xr.Dataset, tmp_path: Path) -> None:
    # figures drawn in forked worker processes are the files drawn one by one here
    one = write_figures(ds, tmp_path / "one", workers=1)
    two = write_figures(ds, tmp_path / "two", workers=2)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_svg_is_reproducible(ds: xr.Dataset, tmp_path: Path) -> None:
    a = save_figure(FIGURES["fan_chart"](ds), tmp_path / "a")[1].read_bytes()
    b = save_figure(FIGURES["fan_chart"](ds), tmp_path / "b")[1].read_bytes()
    assert a == b


def test_posterior_densities_inputs(ds: xr.Dataset) -> None:
    rng = np.random.default_rng(0)
    names = ["rho", "kappa", "mu_tp"]
    pairs = {n: (rng.normal(0, 1, 400), rng.normal(0, 0.2, 400)) for n in names}
    fig = posterior_densities(pairs, ds=ds, units={"kappa": "per year"})
    assert "3 of 3" in _gid_text(fig, GID_TITLE)
    assert _gid_text(fig, GID_SOURCE) == source_line(ds.attrs)
    assert [a.get_xlabel() for a in _visible_axes(fig)] == ["rho", "kappa (per year)", "mu_tp"]
    # posterior-only mapping plus priors, and an InferenceData-like object
    fig2 = posterior_densities(
        {n: p[1] for n, p in pairs.items()}, {n: p[0] for n, p in pairs.items()}, ds=ds
    )
    assert _gid_text(fig2, GID_TITLE) == _gid_text(fig, GID_TITLE)

    def group(i: int) -> xr.Dataset:
        return xr.Dataset({n: (("chain", "draw"), p[i].reshape(4, 100)) for n, p in pairs.items()})

    idata = types.SimpleNamespace(posterior=group(1), prior=group(0))
    fig3 = posterior_densities(idata, ds=ds)
    assert _gid_text(fig3, GID_TITLE) == _gid_text(fig, GID_TITLE)


def test_all_figures_adds_posterior_only_when_fitted() -> None:
    rng = np.random.default_rng(1)
    pairs = {"rho": (rng.uniform(0, 1, 200), rng.normal(0.9, 0.02, 200))}
    assert "posterior_densities" not in all_figures(make_results(), posterior=pairs)
    assert "posterior_densities" in all_figures(make_results(fitted=True), posterior=pairs)


def test_figures_from_threads(ds: xr.Dataset) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        figs = list(pool.map(lambda name: FIGURES[name](ds), list(FIGURES) * 2))
    titles = [_gid_text(f, GID_TITLE) for f in figs]
    assert titles[: len(FIGURES)] == titles[len(FIGURES) :]


def test_report_does_not_import_pyplot() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "from report_fixtures import make_results;"
        "from simulator.report import all_figures;"
        "all_figures(make_results(n_sim=500));"
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo, timeout=120)


# --------------------------------------------------------------------------- summary.md


def _pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_summary_md_numbers_equal_summary_values(ds: xr.Dataset) -> None:
    summary = make_summary(ds)
    md = render_summary_md(summary, ds, ["figures/fan_chart.png", "figures/fan_chart.svg"])
    lv = summary["levels"]["3.5"]
    m = re.search(
        r"\| P\(10y touches 3\.50%\) by 31 Dec 2026 \| ([\d.]+%) \(s\.e\. ([\d.]+%)\)", md
    )
    assert m, md
    # displayed with 1 (p) and 2 (s.e.) decimals in percent: half a unit of the last digit
    assert abs(_pct(m[1]) - lv["p_touch"]) <= 0.0005 + 1e-12
    assert abs(_pct(m[2]) - lv["p_touch_se"]) <= 0.00005 + 1e-12
    m = re.search(r"\| P\(10y at or below 3\.50%\) on 31 Dec 2026 \| ([\d.]+%)", md)
    assert m and abs(_pct(m[1]) - lv["p_below_at_horizon"]) <= 0.0005 + 1e-12
    q = summary["y10_at_horizon"]
    m = re.search(
        r"\| Median 10y on 31 Dec 2026 \| ([\d.]+)% \(80% band ([\d.]+)% to ([\d.]+)%\)", md
    )
    assert m
    for got, key in zip(m.groups(), ("0.5", "0.1", "0.9"), strict=True):
        assert abs(float(got) - q[key]) <= 0.005 + 1e-12
    for cur, best in summary["best_entry"].items():
        pat = (
            rf"\| {cur} \((?:un)?hedged\) \| (\w+ \d{{4}}) \| "
            r"([+-][\d.]+%) \| ([\d.]+%) \| ([\d.]+%) \|"
        )
        m = re.search(pat, md)
        assert m, cur
        assert pd.Timestamp(m[1]).strftime("%Y-%m") == best["month"]
        assert abs(_pct(m[2]) - best["mean"]) <= 0.00005 + 1e-12
        assert abs(_pct(m[3]) - best["p_best"]) <= 0.0005 + 1e-12
        assert abs(_pct(m[4]) - best["p_loss"]) <= 0.0005 + 1e-12
    for a in summary["assumptions"]:
        assert f"- {a}" in md
    assert "](figures/fan_chart.png)" in md and ".svg)" not in md
    assert "Diagnostics: not fitted" in md
    assert source_line(ds.attrs) in md


def test_summary_md_fitted_diagnostics_and_absolute_paths(tmp_path: Path) -> None:
    data = make_results(fitted=True, levels=(3.5, 4.5))
    summary = make_summary(data)
    md = render_summary_md(
        summary, data, {"fan": tmp_path / "figures" / "fan_chart.png"}, base=tmp_path
    )
    assert (
        "Diagnostics: fitted with nutpie, max R-hat 1.004, min bulk ESS 812, "
        "min tail ESS 640, 0 divergences, 0 max-tree-depth hits." in md
    )
    assert "P(10y touches 4.50%)" in md
    assert "](figures/fan_chart.png)" in md


# --------------------------------------------------------------------------- tables


def test_write_tables(ds: xr.Dataset, tmp_path: Path) -> None:
    paths = write_tables(ds, tmp_path / "tables")
    names = {p.name for p in paths}
    assert names == {
        "entry_returns.csv",
        "p_touch.csv",
        "cut_counts.csv",
        "move_probabilities.csv",
        "fan.csv",
    }
    er = pd.read_csv(tmp_path / "tables" / "entry_returns.csv", dtype={"entry_month": str})
    assert list(er.columns) == ["currency", "entry_month", "stat", "value"]
    assert len(er) == ds["entry_return"].size
    row = er.query("currency == 'CNY' and entry_month == '2026-03' and stat == 'mean'")
    assert row["value"].item() == pytest.approx(
        float(ds["entry_return"].sel(currency="CNY", entry_month="2026-03", stat="mean")),
        rel=1e-9,
    )
    moves = pd.read_csv(tmp_path / "tables" / "move_probabilities.csv")
    np.testing.assert_allclose(moves.groupby("meeting")["view"].sum(), 1.0, atol=1e-9)
    fan = pd.read_csv(tmp_path / "tables" / "fan.csv")
    assert len(fan) == ds.sizes["date"] and "q0.5" in fan.columns and "mean" in fan.columns
    cuts = pd.read_csv(tmp_path / "tables" / "cut_counts.csv")
    assert {"view_prior", "view", "market", "share_of_paths", "p_touch_3.5"} <= set(cuts)
    touch = pd.read_csv(tmp_path / "tables" / "p_touch.csv")
    assert len(touch) == ds.sizes["date"] * ds.sizes["level"]


# --------------------------------------------------------------------------- compare


def test_compare_two_copies_give_identical_series(ds: xr.Dataset) -> None:
    figs = compare_figures([ds, ds.copy()])
    assert set(figs) == {"fan_chart", "touch_curve", "entry_returns"}
    for name, fig in figs.items():
        assert _gid_text(fig, GID_SOURCE).startswith("macrosim 0.1.0, scenarios baseline vs")
        lines = [ln for ln in fig.findobj(Line2D) if ln.get_gid()]
        first = {ln.get_gid().replace("baseline (2)", "X"): ln for ln in lines}
        pairs = [
            (ln, first[ln.get_gid().replace("baseline", "X", 1)])
            for ln in lines
            if ":baseline:" in f"{ln.get_gid()}:" and "(2)" not in ln.get_gid()
        ]
        assert pairs, name
        for a, b in pairs:
            assert a is not b
            np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())
            if not name.startswith("entry"):  # entry markers are dodged sideways by design
                np.testing.assert_array_equal(a.get_xdata(), b.get_xdata())


def test_compare_fan_overlays_the_2y_when_every_run_has_it(ds: xr.Dataset) -> None:
    fig = compare_figures([ds, ds.copy()])["fan_chart"]
    assert len(fig.axes) == 2
    y2 = {ln.get_gid(): ln for ln in fig.axes[1].get_lines() if ln.get_gid()}
    assert set(y2) == {"y2_median:baseline", "y2_median:baseline (2)"}
    median = ds["y2"].sel(quantile=0.5).values
    np.testing.assert_array_equal(y2["y2_median:baseline"].get_ydata(), median)
    old = make_results(levels=(3.5,), two_year=False)
    assert len(compare_figures([ds, old])["fan_chart"].axes) == 1


def test_compare_table_side_by_side(ds: xr.Dataset) -> None:
    s = make_summary(ds)
    rows = compare_table([s, s])
    assert rows and all(r["baseline"] == r["baseline (2)"] for r in rows)
    p = next(r for r in rows if r["metric"] == "P(touch 3.50%)")
    assert p["baseline"] == s["levels"]["3.5"]["p_touch"]
    md = compare_table_md([s, s], labels=["base", "alt"])
    assert md.splitlines()[0] == "| Metric | base | alt |"
    assert f"| P(touch 3.50%) | {100 * p['baseline']:.1f}% |" in md
