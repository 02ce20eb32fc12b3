"""Sweeps: variants equal single runs with the same overrides; bad overrides are located."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import xarray as xr

from simulator import api
from simulator.config import ConfigError, Loaded, Scenario
from simulator.report.summary import summary_json_text
from simulator.sweep import (
    apply_overrides,
    iter_variant_scenarios,
    load_sweep,
    parse_key_path,
    run_sweep,
)

REPO = Path(__file__).resolve().parents[1]
SWEEPS = REPO / "tests" / "fixtures" / "sweeps"


def _single_run(overrides: dict[str, object], paths: int, seed: int) -> api.Result:
    """api.run on the baseline with ``overrides`` written into its plain data by hand."""
    sc = api.load_scenario(REPO / "scenarios" / "baseline.yaml")
    data = copy.deepcopy(sc.scenario.doc.data)
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    cfg = Scenario.model_validate(data, context={"base_dir": sc.scenario.path.parent})
    variant = api.LoadedScenario(
        scenario=Loaded(cfg, sc.scenario.doc),
        priors=sc.priors,
        run_priors=sc.run_priors,
        notes=sc.notes,
    )
    return api.run(variant, paths=paths, seed=seed, threads=2)


def test_sweep_of_four_variants_matches_four_single_runs(tmp_path: Path) -> None:
    res = run_sweep(SWEEPS / "cuts_by_shift.yaml", out_root=tmp_path / "out", threads=2)
    assert res.errors == {}
    assert res.dataset.sizes["variant"] == 4
    plans = load_sweep(SWEEPS / "cuts_by_shift.yaml").plans
    for plan in plans:
        single = _single_run({o.text: o.value for o in plan.overrides}, paths=4000, seed=7)
        assert summary_json_text(res.summaries[plan.name]) == summary_json_text(single.summary)
        got = res.dataset.sel(variant=plan.name)
        want = single.dataset
        # bit for bit: the sweep's numbers are the single run's
        assert got.p_touch.values.tobytes() == want.p_touch.isel(date=-1).values.tobytes()
        want_er = want.entry_return.sel(hedge="hedged")  # a sweep keeps the hedged leg
        assert got.entry_return.values.tobytes() == want_er.values.tobytes()
        assert got.y10_at_horizon.values.tobytes() == want.y10.isel(date=-1).values.tobytes()
    # overrides are coordinates along variant
    assert list(res.dataset["adjustments.neutral_rate_shift_pp"].values) == [0.0, -0.5, 0.0, -0.5]
    # the folder: written atomically under ROOT/sweep-<name>-<id>
    folder = res.folder
    assert folder is not None and folder.parent == tmp_path / "out"
    assert folder.name.startswith("sweep-cuts-by-shift-")
    names = {p.name for p in folder.iterdir()}
    assert {"sweep.nc", "sweep.csv", "summary.json", "run.json", "figures"} <= names
    assert {p.name for p in (folder / "figures").iterdir()} == {
        "sweep_p_touch.png",
        "sweep_p_touch.svg",
        "sweep_best_entry_cny.png",
        "sweep_best_entry_cny.svg",
    }
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["failed"] == [] and len(summary["variants"]) == 4
    assert len((folder / "sweep.csv").read_text().splitlines()) == 5
    with xr.open_dataset(folder / "sweep.nc", engine="h5netcdf") as nc:
        assert nc.sizes["variant"] == 4


def test_failed_variant_is_reported_and_others_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = api.run

    def run(sc: api.LoadedScenario, **kw: object) -> api.Result:
        if sc.scenario.config.events and sc.scenario.config.events[0].size_bp == 60:
            raise ValueError("injected failure")
        return real_run(sc, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "run", run)
    res = run_sweep(SWEEPS / "explicit_variants.yaml", out_root=None, threads=2)
    assert set(res.summaries) == {"base", "tp-shock"}
    assert res.errors == {"tp-shock-bigger": "ValueError: injected failure"}
    ds = res.dataset
    assert list(ds.status.values) == ["ok", "ok", "failed"]
    assert bool(ds.p_touch.sel(variant="tp-shock-bigger").isnull().all())
    assert "failed" in res.figures["sweep_p_touch"].axes[0].texts[-1].get_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "bad_key",
            "bad_key.yaml:4:3: grid.view.cut_cont: unknown key 'cut_cont'. "
            "Did you mean 'cut_count'? (scenario key path view.cut_cont)",
        ),
        (
            "bad_value",
            "bad_value.yaml:4:44: grid.adjustments.neutral_rate_shift_pp[1]: "
            "expected a number <= 5, found 9.0",
        ),
        (
            "bad_index",
            "bad_index.yaml:4:3: grid.events[0].size_bp: events has 0 item(s); "
            "index 0 is out of range",
        ),
        (
            "fixed_key",
            "fixed_key.yaml:5:17: variants[0].overrides.priors: 'priors' cannot be swept: the "
            "dynamics (a sweep varies beliefs; compare scenario files instead)",
        ),
    ],
)
def test_bad_override_is_a_located_config_error(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_sweep(SWEEPS / f"{name}.yaml", out_root=None)
    assert len(info.value.problems) == 1
    assert str(info.value) == str(SWEEPS / f"{name}.yaml").replace(f"{name}.yaml", "") + message


def test_unknown_sweep_key_is_located(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(f"base: {REPO / 'scenarios' / 'baseline.yaml'}\ngird: {{}}\n")
    with pytest.raises(
        ConfigError, match=r"typo.yaml:2:1: gird: unknown key 'gird'. Did you mean 'grid'\?"
    ):
        load_sweep(path)


@pytest.mark.parametrize(
    ("key", "value", "where", "message"),
    [
        (  # a key path naming no date: at the grid key, never a bare ValueError
            "view.meeting_weights.2026-13-45",
            1,
            "3:3: grid.view.meeting_weights.2026-13-45",
            "malformed key path 'view.meeting_weights.2026-13-45': 2026-13-45 is not a date "
            "(month must be in 1..12)",
        ),
        (  # a non-number for a number: at the value
            "events[0].size_bp",
            "banana",
            "3:23: grid.events[0].size_bp[0]",
            "expected a number, found 'banana' (text)",
        ),
        (  # an index out of range: at the grid key
            "events[9].size_bp",
            1,
            "3:3: grid.events[9].size_bp",
            "events has 1 item(s); index 9 is out of range",
        ),
    ],
)
def test_bad_grid_key_or_value_is_located_in_the_sweep(
    tmp_path: Path, key: str, value: object, where: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    base = REPO / "scenarios" / "fed-independence-shock.yaml"
    path.write_text(f"base: {base}\ngrid:\n  {key}: [{value}]\n")
    with pytest.raises(ConfigError) as info:
        list(iter_variant_scenarios(path))
    assert str(info.value) == f"{path}:{where}: {message}"


def test_base_that_cannot_be_a_file_name_is_located(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(f"base: {'x' * 10_240}\ngrid:\n  events[0].size_bp: [1]\n")
    with pytest.raises(ConfigError) as info:  # was OSError: File name too long
        load_sweep(path)
    assert str(info.value) == (
        f"{path}:1:7: base: base scenario '{'x' * 57}...' cannot be a file name: File name too long"
    )


def test_key_paths() -> None:
    assert parse_key_path("events[0].size_bp") == ("events", 0, "size_bp")
    assert parse_key_path("view.cut_count.2") == ("view", "cut_count", 2)
    for bad in (
        "view..cut_count",
        "[0].x",
        "view.cut count",
        "",
        "view.meeting_weights.2026-13-45",
    ):
        with pytest.raises(ValueError, match="malformed key path"):
            parse_key_path(bad)
    data = {"events": [{"size_bp": 10}], "view": {}}
    plan = load_sweep(SWEEPS / "explicit_variants.yaml").plans[2]
    out = apply_overrides(data, plan.overrides)
    assert out["events"][0]["size_bp"] == 60 and data["events"][0]["size_bp"] == 10
