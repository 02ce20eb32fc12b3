"""The FX leg's report: fx_fan, hedge_choice, the summary page's hedge answer, compare.

Checks look at the artists (labels, gids, line and bar data), never at pixels. The runs
come from ``tests/fx_fixtures.py`` (the results contract's FX names on synthetic paths);
the hand-made cases set the few numbers a check needs and say what the answer must be.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).parent))
from fx_fixtures import make_fx_results, make_fx_summary
from report_fixtures import make_results, make_summary

from simulator.report import compare, figures
from simulator.report.fx_compare import compare_fx_figures, compare_fx_rows
from simulator.report.fx_figures import (
    fx_currencies,
    fx_fan,
    fx_figure_builders,
    fx_figure_names,
    hedge_choice,
)
from simulator.report.fx_summary import HEDGE_HEADER, hedge_answers
from simulator.report.style import GID_TITLE, fmt_spot, memo_style
from simulator.report.summary_html import render_summary_html
from simulator.report.summary_md import render_summary_md
from simulator.report.summary_page import FIGURE_CAPTIONS, summary_figures

N_SIM = 500  # fixture paths: enough for ordered quantiles, fast to build


@pytest.fixture(scope="module")
def cny() -> xr.Dataset:
    return make_fx_results(n_sim=N_SIM)


@pytest.fixture(scope="module")
def three() -> xr.Dataset:
    return make_fx_results(n_sim=N_SIM, fx_currencies=("CNY", "EUR", "JPY"), seed=3)


def _title(fig: Figure) -> str:
    """The memo title as one line (it wraps to the figure width)."""
    return next(t.get_text() for t in fig.texts if t.get_gid() == GID_TITLE).replace("\n", " ")


def _gids(fig: Figure) -> dict[str, Any]:
    return {a.get_gid(): a for ax in fig.axes for a in ax.get_children() if a.get_gid()}


def _with_means(ds: xr.Dataset, cur: str, hedged: list[float], unhedged: list[float]) -> xr.Dataset:
    """``ds`` with the mean returns of ``cur`` replaced (the other stats left alone)."""
    out = ds.copy(deep=True)
    er = out["entry_return"]
    er.loc[{"currency": cur, "stat": "mean", "hedge": "hedged"}] = hedged
    er.loc[{"currency": cur, "stat": "mean", "hedge": "unhedged"}] = unhedged
    return out


# --------------------------------------------------------------------------- fixtures


def test_fx_fixture_follows_the_contract(three: xr.Dataset) -> None:
    ds = make_fx_results(n_sim=N_SIM, fx_currencies=("CNY",))
    assert ds["fx"].dims == ("currency", "date", "quantile")
    assert ds["entry_return"].dims == ("currency", "entry_month", "stat", "hedge")
    assert list(ds["hedge"].values) == ["hedged", "unhedged"]
    assert ds["p_unhedged_beats_hedged"].dims == ("currency", "entry_month")
    er = ds["entry_return"]
    usd = er.sel(currency="USD")
    np.testing.assert_array_equal(usd.sel(hedge="hedged"), usd.sel(hedge="unhedged"))
    for cur in ("USD", "EUR", "JPY"):  # no fx block: NaN in the FX names
        assert np.isnan(ds["fx"].sel(currency=cur)).all()
        assert np.isnan(ds["p_unhedged_beats_hedged"].sel(currency=cur)).all()
    assert np.isnan(er.sel(currency="EUR", hedge="unhedged")).all()
    p_best = three["entry_return"].sel(stat="p_best", currency="CNY").sum("entry_month")
    np.testing.assert_allclose(p_best, 1.0, atol=1e-12)
    assert (np.diff(three["fx"].sel(currency="JPY").values, axis=-1) >= 0).all()
    assert fx_currencies(ds) == ["CNY"]
    assert fx_currencies(three) == ["CNY", "EUR", "JPY"]


# --------------------------------------------------------------------------- fx_fan


def test_fx_fan_draws_bands_median_spot_and_festival(cny: xr.Dataset) -> None:
    fig = fx_fan(cny)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert _title(fig).startswith("USD/CNY, CNY per USD: median ")
    assert ax.get_ylabel() == "CNY per USD"
    bands = [c.get_label() for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands == ["5-95%", "10-90%", "25-75%"]
    (median,) = [ln for ln in ax.get_lines() if ln.get_label() == "median (view)"]
    np.testing.assert_array_equal(median.get_ydata(), cny["fx"].sel(currency="CNY", quantile=0.5))
    gids = _gids(fig)
    assert "6.960 as of 16 Jan 2026" == gids["spot0:CNY"].get_text()
    assert "Lunar New Year\n17 Feb" == gids["festival:2026-02-17"].get_text()
    (dot,) = [ln for ln in ax.get_lines() if ln.get_label() == "as-of spot"]
    assert float(dot.get_ydata()[0]) == 6.96


def test_fx_fan_title_says_which_way_the_yuan_moved(cny: xr.Dataset) -> None:
    ds = cny.copy(deep=True)
    ds["fx"].loc[{"currency": "CNY"}] = 7.0  # flat at 7.0 against an as-of spot of 6.96
    # hand calculation: 6.96 / 7.00 - 1 = -0.571%: the yuan 0.6% weaker
    assert "median 7.000 on 31 Dec 2026 from 6.960, the yuan 0.6% weaker" in _title(fx_fan(ds))


def test_fx_fan_marks_the_festival_only_inside_the_window() -> None:
    ds = make_fx_results(n_sim=N_SIM, as_of="2026-03-02")
    assert not any(k.startswith("festival:") for k in _gids(fx_fan(ds)))


def test_fx_fan_one_panel_per_currency(three: xr.Dataset) -> None:
    fig = fx_fan(three)
    assert fig is not None
    assert [a.get_ylabel() for a in fig.axes] == ["CNY per USD", "EUR per USD", "JPY per USD"]
    assert [a.get_title(loc="left").split(":")[0] for a in fig.axes] == [
        "USD/CNY, CNY per USD",
        "USD/EUR, EUR per USD",
        "USD/JPY, JPY per USD",
    ]
    festivals = [k for k in _gids(fig) if k.startswith("festival:")]
    assert festivals == ["festival:2026-02-17"]  # on the CNY panel only


# --------------------------------------------------------------------------- hedge_choice


def test_hedge_choice_best_months_and_probabilities(cny: xr.Dataset) -> None:
    n = cny.sizes["entry_month"]  # 11 entry months, Feb..Dec
    hedged = [0.03] * n
    hedged[1] = 0.04  # best hedged: Mar
    unhedged = [0.02] * n
    unhedged[4] = 0.05  # best unhedged: Jun, the only month unhedged beats hedged
    ds = _with_means(cny, "CNY", hedged, unhedged)
    fig = hedge_choice(ds)
    assert fig is not None and len(fig.axes) == 2
    assert _title(fig) == (
        "CNY buyer: hedged beats unhedged on the mean in 10 of 11 entry months; "
        "best hedged Mar (+4.0%), unhedged Jun (+5.0%)"
    )
    gids = _gids(fig)
    assert gids["best:CNY:hedged"].get_xdata()[0] == pytest.approx(1 - 0.18)
    assert gids["best:CNY:unhedged"].get_xdata()[0] == pytest.approx(4 + 0.18)
    a, b = fig.axes
    means = {ln.get_label(): ln.get_ydata() for ln in a.get_lines()}
    np.testing.assert_array_equal(means["hedged"], hedged)
    np.testing.assert_array_equal(means["unhedged"], unhedged)
    (bars,) = [c for c in b.containers if isinstance(c, BarContainer)]
    heights = [r.get_height() for r in bars.patches]
    np.testing.assert_array_equal(heights, ds["p_unhedged_beats_hedged"].sel(currency="CNY"))
    assert b.get_title(loc="left") == "P(unhedged beats hedged)"
    assert [t.get_text() for t in b.get_xticklabels()][:2] == ["Feb", "Mar"]


def test_hedge_choice_one_column_per_currency(three: xr.Dataset) -> None:
    fig = hedge_choice(three)
    assert fig is not None and len(fig.axes) == 6
    titles = {a.get_title(loc="left") for a in fig.axes}
    assert {"CNY base", "EUR base", "JPY base", "CNY: P(unhedged wins)"} <= titles
    assert sum(1 for k in _gids(fig) if k.startswith("p_beats:")) == 3


def test_fx_figures_draw_on_a_given_axes(cny: xr.Dataset) -> None:
    host = Figure()
    ax1, ax2 = host.subplots(1, 2)
    assert fx_fan(cny, ax=ax1) is host
    assert hedge_choice(cny, ax=ax2) is host
    assert len(host.axes) == 2
    assert ax1.get_title(loc="left").startswith("USD/CNY, CNY per USD")
    assert ax2.get_title(loc="left").startswith("CNY buyer:")
    assert ax2.get_legend() is not None


def test_no_fx_block_no_fx_figures() -> None:
    for ds in (make_results(n_sim=N_SIM), make_fx_results(n_sim=N_SIM, fx_currencies=())):
        assert fx_currencies(ds) == []
        assert fx_fan(ds) is None and hedge_choice(ds) is None
        assert fx_figure_builders(ds) == {}
    assert fx_figure_names(make_summary(make_results(n_sim=N_SIM))) == []


def test_fx_figure_builders_draw_both(cny: xr.Dataset) -> None:
    builders = fx_figure_builders(cny)
    assert list(builders) == ["fx_fan", "hedge_choice"]
    assert all(isinstance(build(), Figure) for build in builders.values())
    assert fx_figure_names(make_fx_summary(cny)) == ["fx_fan", "hedge_choice"]


# --------------------------------------------------------------------------- summary page


def _summary_by_hand(*, hedged_mean: float, unhedged_mean: float) -> dict[str, Any]:
    best_h = {"month": "2026-03", "mean": hedged_mean, "p_best": 0.21, "p_loss": 0.1}
    best_u = {"month": "2026-02", "mean": unhedged_mean, "p_best": 0.3, "p_loss": 0.25}
    return {
        "best_entry": {"USD": best_h, "CNY": best_h},
        "best_entry_unhedged": {"CNY": best_u},
        "p_unhedged_beats_hedged": {"CNY": {"2026-02": 0.4, "2026-03": 0.35}},
    }


def test_hedge_answer_when_hedging_pays_more() -> None:
    (ans,) = hedge_answers(_summary_by_hand(hedged_mean=0.0312, unhedged_mean=0.0105))
    assert ans.heading == "CNY buyer: hedge or not, and the best month for each"
    assert ans.answer == (
        "CNY buyer: hedge (on expected return). Hedged, the best entry month is Mar 2026 "
        "(+3.12%); unhedged, Feb 2026 (+1.05%). Buying in Mar 2026, the unhedged bond pays "
        "more on 35.0% of paths."
    )
    assert ans.rows == [
        ("hedged", "Mar 2026", "+3.12%", "21.0%", "10.0%", "35.0%"),
        ("unhedged", "Feb 2026", "+1.05%", "30.0%", "25.0%", "40.0%"),
    ]
    assert len(HEDGE_HEADER) == len(ans.rows[0])


def test_hedge_answer_when_unhedged_pays_more() -> None:
    (ans,) = hedge_answers(_summary_by_hand(hedged_mean=0.01, unhedged_mean=0.02))
    # Feb 2026: P(unhedged beats hedged) 40%, so the hedged bond pays more on 60%
    assert ans.answer.startswith("CNY buyer: do not hedge (on expected return).")
    assert ans.answer.endswith("Buying in Feb 2026, the hedged bond pays more on 60.0% of paths.")


def test_summary_pages_carry_the_hedge_answer(cny: xr.Dataset) -> None:
    summary = make_fx_summary(cny)
    md = render_summary_md(summary, cny, [])
    html = render_summary_html(summary, cny, [])
    heading = "CNY buyer: hedge or not, and the best month for each"
    assert f"## {heading}" in md
    assert f'<h2 id="hedge-cny">{heading}</h2>' in html
    (ans,) = hedge_answers(summary)
    assert ans.answer in md and ans.answer in html
    assert md.index(heading) < md.index("## Assumptions")
    plain = make_summary(make_results(n_sim=N_SIM))
    assert "hedge or not" not in render_summary_md(plain, None, [])
    assert "hedge or not" not in render_summary_html(plain, None, [])


# --------------------------------------------------------------------------- compare


def test_compare_fx_overlays(cny: xr.Dataset, three: xr.Dataset) -> None:
    labels = ["base", "view"]
    plain = make_results(n_sim=N_SIM)
    with memo_style():
        figs = compare_fx_figures([cny, three, plain], [*labels, "plain"])
    (key,) = figs["fx_fan"].legends
    assert [t.get_text() for t in key.get_texts()] == ["base", "view", "as-of spot"]
    assert set(figs) == {"fx_fan", "hedge_choice"}
    fan = _gids(figs["fx_fan"])
    assert {"fx_CNY_median:base", "fx_CNY_median:view", "fx_EUR_median:view"} <= set(fan)
    assert len(figs["fx_fan"].axes) == 3
    hc = _gids(figs["hedge_choice"])
    for kind in ("unhedged", "hedged", "p_beats"):
        assert {f"{kind}:base:CNY", f"{kind}:view:CNY", f"{kind}:view:JPY"} <= set(hc)
    assert "unhedged:base:EUR" not in hc  # base has no EUR block
    np.testing.assert_array_equal(
        hc["unhedged:view:JPY"].get_ydata(),
        three["entry_return"].sel(currency="JPY", hedge="unhedged", stat="mean"),
    )
    with memo_style():
        assert compare_fx_figures([make_results(n_sim=N_SIM)] * 2, labels) == {}


def test_spot_format_keeps_about_four_significant_digits() -> None:
    assert [fmt_spot(v) for v in (6.78, 156.234, 0.86123)] == ["6.780", "156.23", "0.8612"]


def test_compare_fx_rows_by_hand() -> None:
    a = _summary_by_hand(hedged_mean=0.03, unhedged_mean=0.01)
    a["fx_at_horizon"] = {"CNY": {"0.5": 6.81}}
    rows = compare_fx_rows([a, {"best_entry": {}}], ["view", "plain"])
    assert rows == [
        {
            "metric": "Best unhedged entry month, CNY",
            "kind": "month",
            "view": "2026-02",
            "plain": None,
        },
        {
            "metric": "Expected unhedged return at best, CNY",
            "kind": "return",
            "view": 0.01,
            "plain": None,
        },
        {
            "metric": "P(unhedged beats hedged) in that month, CNY",
            "kind": "probability",
            "view": 0.4,
            "plain": None,
        },
        {"metric": "Median USD/CNY at horizon", "kind": "spot", "view": 6.81, "plain": None},
    ]
    assert compare_fx_rows([{"best_entry": {}}], ["plain"]) == []


# --------------------------------------------------------------------------- wiring


def test_all_and_write_figures_add_the_fx_figures(
    cny: xr.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    # only the FX figures: the others are covered by test_report.py
    monkeypatch.setattr(figures, "FIGURES", {})
    assert set(figures.all_figures(cny)) == {"fx_fan", "hedge_choice"}
    assert figures.all_figures(make_results(n_sim=N_SIM)) == {}
    seen: dict[str, Any] = {}
    monkeypatch.setattr(figures, "save_figures", lambda b, *a, **k: seen.update(b) or [])
    figures.write_figures(cny, "unused")
    assert list(seen) == ["fx_fan", "hedge_choice"]


def test_compare_figures_and_table_add_the_fx_overlays(
    cny: xr.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compare, "_entry", lambda d, lab: Figure())  # reads entry_return
    figs = compare.compare_figures([cny, make_results(n_sim=N_SIM)], ["view", "plain"])
    assert set(figs) == {"fan_chart", "touch_curve", "entry_returns", "fx_fan", "hedge_choice"}
    a = _summary_by_hand(hedged_mean=0.03, unhedged_mean=0.01)
    a["fx_at_horizon"] = {"CNY": {"0.5": 6.8123}}
    md = compare.compare_table_md([a, {"best_entry": {}}], ["view", "plain"])
    assert "| Best unhedged entry month, CNY | Feb 2026 | n/a |" in md
    assert "| Expected unhedged return at best, CNY | +1.00% | n/a |" in md
    assert "| P(unhedged beats hedged) in that month, CNY | 40.0% | n/a |" in md
    assert "| Median USD/CNY at horizon | 6.812 | n/a |" in md  # 6.8123 to 4 digits


def test_summary_page_lists_the_fx_figures_only_with_fx(cny: xr.Dataset) -> None:
    summary = make_fx_summary(cny)
    names = summary_figures(summary)
    assert names.index("fx_fan") == names.index("entry_returns") + 1
    assert "hedge_choice" in names
    plain = make_summary(cny.sel(hedge="hedged"))  # the same run's summary without FX keys
    assert not {"fx_fan", "hedge_choice"} & set(summary_figures(plain))
    md = render_summary_md(summary, cny, ["figures/fx_fan.png"])
    assert f"![{FIGURE_CAPTIONS['fx_fan']}](figures/fx_fan.png)" in md
    html = render_summary_html(summary, cny, [])
    assert "hedge_choice (Hedged vs unhedged return by entry month" in html  # not drawn


def test_cli_answer_table_has_the_unhedged_row(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli import _print_answers

    summary = make_fx_summary(make_fx_results())
    for table in ("best_entry", "best_entry_unhedged"):  # the fixture leaves out mean_se
        for best in summary[table].values():
            best.setdefault("mean_se", 0.001)
    _print_answers(summary, None)
    out = capsys.readouterr().out
    best = summary["best_entry_unhedged"]["CNY"]
    assert "CNY unhedged" in out and "CNY hedged" in out
    assert f"{best['month']}: {best['mean']:+.2%}" in out
