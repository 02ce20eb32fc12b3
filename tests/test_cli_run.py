"""`macrosim run` and `compare` end to end: run folders, atomic writes, exit codes, CRN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import api
from simulator.config import Loaded

sys.path.insert(0, str(Path(__file__).parent))
from test_summary_html import check_summary_html

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"


def _macrosim(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_run_writes_a_complete_folder_and_json(tmp_path: Path) -> None:
    res = _macrosim("run", str(BASELINE), "--paths", "8192", "--out", str(tmp_path), "--json")
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout)
    runs = list((tmp_path / "baseline").iterdir())
    assert len(runs) == 1 and not runs[0].name.startswith(".")
    folder = runs[0]
    for name in ("summary.json", "summary.md", "summary.html", "results.nc", "run.json"):
        assert (folder / name).is_file(), name
    # summary.html: every figure inline once, every answer of summary.md, nothing external
    check_summary_html(
        (folder / "summary.html").read_text(encoding="utf-8"),
        (folder / "summary.md").read_text(),
        folder,
    )
    assert json.loads((folder / "summary.json").read_text()) == printed
    pngs = {p.stem for p in (folder / "figures").glob("*.png")}
    assert {"fan_chart", "touch_curve", "entry_returns"} <= pngs
    assert (folder / "figures" / "fan_chart.svg").is_file()
    assert any((folder / "tables").glob("*.csv"))
    assert printed["paths"] == 8192
    assert 0.0 <= printed["levels"]["3.5"]["p_touch"] <= 1.0
    # a second run never overwrites the first
    again = _macrosim("run", str(BASELINE), "--paths", "8192", "--out", str(tmp_path), "--quiet")
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / "baseline").iterdir())) == 2


def test_bad_scenario_exits_2_with_located_message_and_no_output(tmp_path: Path) -> None:
    text = BASELINE.read_text().replace("max_moves_per_meeting", "max_moves_per_meting")
    bad = REPO / "scenarios" / f".tmp-bad-{os.getpid()}.yaml"
    bad.write_text(text.replace("name: baseline", "name: tmp-bad"))
    try:
        res = _macrosim("run", str(bad), "--paths", "8192", "--out", str(tmp_path))
    finally:
        bad.unlink()
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "max_moves_per_meting" in t)
    assert f"{bad}:{line}:3: view.max_moves_per_meting: unknown key" in res.stderr
    assert "Did you mean 'max_moves_per_meeting'?" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_removes_the_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.report as report

    result = api.run(BASELINE, paths=8192, seed=3)

    def boom(*_a: object, **_k: object) -> list[Path]:
        raise RuntimeError("disk full")

    # a failure drawing the figures, or writing summary.html (after the rest is written)
    for stage in ("write_figures", "render_summary_html"):
        with monkeypatch.context() as m:
            m.setattr(report, stage, boom)
            with pytest.raises(RuntimeError, match="disk full"):
                api.write_run(result, tmp_path)
        # neither the partial folder nor the scenario folder it created is left behind
        assert list(tmp_path.iterdir()) == [], stage


def test_compare_uses_common_random_numbers(tmp_path: Path) -> None:
    twin = tmp_path / "scenarios" / "baseline-twin.yaml"
    twin.parent.mkdir()
    (tmp_path / "priors").symlink_to(REPO / "priors")
    twin.write_text(BASELINE.read_text().replace("name: baseline", "name: baseline-twin"))
    a, b = api.compare([BASELINE, twin], paths=8192, seed=11)
    # same seed, same blocks and component streams: the twin is the same simulation
    assert a.summary["levels"] == b.summary["levels"]
    np.testing.assert_array_equal(a.dataset["y10"].values, b.dataset["y10"].values)
    folder = api.write_compare([a, b], tmp_path / "out")
    assert folder.name.startswith("compare-")
    assert (folder / "comparison.md").is_file()
    assert {p.stem for p in (folder / "figures").glob("*.png")} >= {"fan_chart", "touch_curve"}


def test_results_nc_reopens_and_replots(tmp_path: Path) -> None:
    import xarray as xr

    from simulator.report import all_figures

    result = api.run(BASELINE, paths=8192, seed=5)
    folder = api.write_run(result, tmp_path)
    with xr.open_dataset(folder / "results.nc", engine="h5netcdf") as ds:
        assert list(ds.attrs["fomc_dates"]) == list(result.dataset.attrs["fomc_dates"])
        xr.testing.assert_allclose(ds["p_touch"], result.dataset["p_touch"])
        figs = all_figures(ds.load())
    assert {"fan_chart", "touch_curve", "entry_returns"} <= set(figs)


def test_data_fills_the_window_observations(data_dir: Path) -> None:
    sc = api.load_scenario(BASELINE)
    draws = api.parameter_draws(sc, 1)  # explicit draws: no fit in the fast tier
    res = api.run(sc, paths=8192, seed=1, data_dir=data_dir, draws=draws)
    # the 2026 closes public on 2026-01-20 (Treasury closes: same day): 2 Jan .. 20 Jan
    hist = res.dataset["hist_date"].values
    assert str(hist[0])[:10] == "2026-01-02" and str(hist[-1])[:10] == "2026-01-20"
    assert res.dataset["y10_observed"].values[0] == pytest.approx(4.19)
    assert any(w.startswith("from the data") for w in res.summary["warnings"])


def test_data_run_starts_from_the_datas_close(data_dir: Path) -> None:
    # A snapshot that disagrees with the data's as-of close (4.30 on 2026-01-20) is
    # replaced by it, with a note: the run and the data start from the same close.
    sc = api.load_scenario(BASELINE)
    cfg = sc.scenario.config
    snap = cfg.snapshot.model_copy(
        update={"y10_pp": cfg.snapshot.y10_pp.model_copy(update={"value": 4.55})}
    )
    sc = api.LoadedScenario(
        scenario=Loaded(cfg.model_copy(update={"snapshot": snap}), sc.scenario.doc),
        priors=sc.priors,
        run_priors=sc.run_priors,
        notes=[],
    )
    res = api.run(sc, paths=2000, seed=1, data_dir=data_dir, draws=api.parameter_draws(sc, 1))
    assert res.dataset["y10"].isel(date=0).values == pytest.approx(4.30)
    assert any("starts at its close of 2026-01-20, 4.30%" in w for w in res.summary["warnings"])
