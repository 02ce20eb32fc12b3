"""The seasonality figure and the docs/fx.md tables (simulator.report.fx_season)."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from simulator.report.fx_season import (
    SAMPLES,
    main,
    seasonality,
    seasonality_figure,
    tables_markdown,
)

REPO = Path(__file__).resolve().parents[1]


def test_main_writes_the_figure_and_rewrites_only_the_marked_tables(
    data_dir: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "fx.md"
    doc.write_text("# FX\nbefore\n<!-- fx-tables:begin -->\nold\n<!-- fx-tables:end -->\nafter\n")
    assert (
        main(["--data", str(data_dir), "--figure", str(tmp_path / "fig"), "--doc", str(doc)]) == 0
    )
    assert (tmp_path / "fig.png").stat().st_size > 10_000
    text = doc.read_text()
    assert text.startswith("# FX\nbefore\n<!-- fx-tables:begin -->\n**Table 1.")
    assert text.endswith("<!-- fx-tables:end -->\nafter\n") and "old" not in text
    # Three header rows, then 12 months + 16 festival windows + 6 volatility rows.
    assert sum(line.startswith("| ") and "---" not in line for line in text.splitlines()) == 3 + 34
    (tmp_path / "plain.md").write_text("# no markers\n")
    with pytest.raises(ValueError, match="markers"):
        main(["--data", str(data_dir), "--doc", str(tmp_path / "plain.md")])


def test_tables_and_figure_of_the_shipped_samples(data_dir: Path) -> None:
    samples = {label: seasonality(data_dir, start) for label, start in SAMPLES.items()}
    text = tables_markdown(samples)
    assert "| Jan | -0.56 | 0.24 | 80% | 20 |" in text  # the managed float's January
    committed = (REPO / "docs" / "fx.md").read_text()
    begin, end = "<!-- fx-tables:begin -->\n", "<!-- fx-tables:end -->"
    block = committed[committed.index(begin) + len(begin) : committed.index(end)]
    assert block == text, "regenerate: make docs-figures (or python -m simulator.report.fx_season)"
    fig = seasonality_figure(samples)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
