"""Write a backtest's folder ROOT/backtest-<id>/ atomically (built as .partial, renamed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simulator.report.rundir import new_run_id, run_folder
from simulator.report.style import save_figure

if TYPE_CHECKING:
    from simulator.backtest.run import BacktestResult

__all__ = ["score_table", "write_backtest"]


def score_table(doc: dict[str, Any]) -> pd.DataFrame:
    """Long table of scores: segment (overall / decade), model, horizon, metrics."""
    rows = []
    segments = [("overall", doc)] + [(d, v) for d, v in doc["by_decade"].items()]
    for seg, block in segments:
        for model, per_h in block["scores"].items():
            for h, vals in per_h.items():
                rows.append({"segment": seg, "model": model, "horizon": int(h), **vals})
        for h, s in block["skill"].items():
            rows.append({"segment": seg, "model": "skill", "horizon": int(h), "crps_skill": s})
    return pd.DataFrame(rows)


def write_backtest(result: BacktestResult, root: Path) -> Path:
    """Write backtest.json, CSV tables, figures (PNG + SVG) and run.json; return the folder.

    The folder is ROOT/backtest-<time>-s<seed>/, built as a hidden ``.partial`` folder
    next to it and renamed when complete (removed on error or interrupt).
    """
    from simulator.backtest.figures import (
        coverage_figure,
        crps_skill_figure,
        pit_figure,
        reliability_figure,
    )
    from simulator.backtest.run import to_json

    doc = result.summary
    root = Path(root).resolve()
    run_id = "backtest-" + new_run_id(int(doc["settings"]["seed"]))
    rf = run_folder(root.parent, root.name, run_id)
    with rf as folder:
        (folder / "backtest.json").write_text(to_json(doc), encoding="utf-8")
        if result.origins_dir is not None:
            shutil.move(str(result.origins_dir), folder / "origins")
        score_table(doc).to_csv(folder / "scores.csv", index=False, float_format="%.6g")
        result.forecasts.to_csv(folder / "forecasts.csv", index=False, float_format="%.6g")
        result.events.to_csv(folder / "events.csv", index=False, float_format="%.6g")
        for name, table in (
            ("touch", result.touches),
            ("returns", result.returns),
            ("forecasts_y2", result.forecasts_y2),
        ):
            if table is not None:
                table.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")
        rel = []
        for name, ev in doc["events"].items():
            for model in ("macrosim", "random_walk"):
                for row in ev[model]["reliability"]:
                    rel.append({"event": name, "model": model, **row})
        pd.DataFrame(rel).to_csv(folder / "reliability.csv", index=False, float_format="%.6g")
        years = pd.DataFrame(doc["crps_skill_by_year"])
        years.index.name = "year"
        years.to_csv(folder / "crps_skill_by_year.csv", float_format="%.6g")
        for stem, make in (
            ("pit_histograms", pit_figure),
            ("coverage_by_horizon", coverage_figure),
            ("reliability", reliability_figure),
            ("crps_skill_by_year", crps_skill_figure),
        ):
            save_figure(make(doc), folder / stem)
        run = {"timings": result.timings, "fits": result.fits}
        (folder / "run.json").write_text(
            json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8"
        )
    return rf.final
