"""The notebook API: overrides by key path, compare as one Dataset, figures into an ax."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from simulator import api
from simulator.config import ConfigError
from simulator.report.figures import FIGURES
from simulator.report.summary import config_sha256

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
PATHS = 2000


@pytest.fixture(scope="module")
def base() -> api.LoadedScenario:
    return api.load_scenario(BASELINE)


def _more_cuts(base: api.LoadedScenario) -> dict[str, object]:
    """A view with more cuts than the market prices (the market kept at the base's)."""
    return {
        "view.cut_count": {3: 0.3, 4: 0.4, 5: 0.3},
        "market.cut_count": dict(base.scenario.config.view.cut_count),
    }


def _median_year_end(ds: xr.Dataset) -> float:
    return float(ds["y10"].sel(quantile=0.5).isel(date=-1))


def test_overrides_change_the_run(base: api.LoadedScenario) -> None:
    plain = api.run(base, paths=PATHS, seed=5, threads=1)
    more = api.run(base, paths=PATHS, seed=5, threads=1, overrides=_more_cuts(base))
    # the same seed: the difference is the belief's, not the noise's
    assert _median_year_end(more.dataset) < _median_year_end(plain.dataset) - 0.05
    assert more.summary["expected_cuts"]["view"] == pytest.approx(4.0)
    assert plain.summary["expected_cuts"]["view"] == pytest.approx(2.04)
    # the provenance tells them apart: the hash covers the overrides with the files
    plain_sha, more_sha = (r.dataset.attrs["config_sha256"] for r in (plain, more))
    texts = [base.scenario.path.read_text(), base.run_priors.path.read_text()]
    assert plain_sha == config_sha256(*texts) and more_sha != plain_sha
    # the run says what it changed in the file
    assert any(
        w.startswith("overrides (not in baseline.yaml): view.cut_count = {3: 0.3")
        for w in more.summary["warnings"]
    )
    # the base scenario object is untouched
    assert dict(base.scenario.config.view.cut_count)[2] == pytest.approx(0.38)


def test_with_overrides_equals_a_sweep_variant(base: api.LoadedScenario) -> None:
    """The API and sweep files share one key-path machinery (simulator.config.overrides)."""
    from simulator.config.overrides import Override, parse_key_path, scenario_with_overrides

    ovs = {"adjustments.neutral_rate_shift_pp": -0.5, "view.meeting_weights.2026-03-18": 0.9}
    got = api.with_overrides(base, ovs).scenario.config
    want = scenario_with_overrides(
        base.scenario, [Override(k, parse_key_path(k), v) for k, v in ovs.items()]
    ).config
    assert got == want
    assert got.adjustments.neutral_rate_shift_pp == -0.5
    assert got.view.meeting_weights is not None
    assert any(v == 0.9 for v in got.view.meeting_weights.values())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"events[3].size_bp": 40},
            "overrides: events[3].size_bp: events has 0 item(s); index 3 is out of range",
        ),
        (
            {"view.cut_cont": {1: 1.0}},
            "overrides: view.cut_cont: unknown key 'cut_cont'. Did you mean 'cut_count'?",
        ),
        (
            {"adjustments.neutral_rate_shift_pp": 9},
            "overrides: adjustments.neutral_rate_shift_pp: expected a number <= 5, found 9",
        ),
        (
            {"adjustments.neutral_rate_shift_pp": "banana"},
            "overrides: adjustments.neutral_rate_shift_pp: expected a number, found 'banana' "
            "(text)",
        ),
        ({"view..cut_count": 1}, "overrides: malformed key path 'view..cut_count'"),
        (
            {"view.meeting_weights.2026-13-45": 1},
            "overrides: malformed key path 'view.meeting_weights.2026-13-45': 2026-13-45 is "
            "not a date (month must be in 1..12)",
        ),
        ({"priors": "x.yaml"}, "overrides: priors: cannot be overridden"),
    ],
)
def test_bad_override_is_a_config_error_naming_the_key_path(
    base: api.LoadedScenario, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        api.run(base, paths=16, seed=1, overrides=overrides)
    assert len(info.value.problems) == 1
    assert str(info.value).startswith(f"{BASELINE}: {message}")


def test_overrides_that_are_not_a_mapping_are_a_config_error(base: api.LoadedScenario) -> None:
    with pytest.raises(ConfigError) as info:
        api.with_overrides(base, [("view.cut_count", {2: 1.0})])  # type: ignore[arg-type]
    assert str(info.value) == (
        f"{BASELINE}: overrides: expected a mapping of key path -> value, found a list"
    )


def test_every_bad_override_is_reported_at_once(base: api.LoadedScenario) -> None:
    with pytest.raises(ConfigError) as info:
        api.with_overrides(base, {"kind": "x", "events[0].size_bp": 40, "view.x[": 1})
    assert [p.message.split(":")[0] for p in info.value.problems] == [
        "kind",
        "malformed key path 'view.x['",
    ]


def test_compare_returns_one_dataset_with_a_scenario_dim(base: api.LoadedScenario) -> None:
    more = api.with_overrides(base, {"name": "more-cuts", **_more_cuts(base)})
    results = api.compare([base, more], paths=PATHS, seed=5, threads=1)
    # still a list of Results (the CLI writes them)
    assert [r.summary["scenario"] for r in results] == ["baseline", "more-cuts"]
    ds = results.dataset
    assert isinstance(ds, xr.Dataset)
    assert ds.sizes["scenario"] == 2
    assert list(ds["scenario"].values) == ["baseline", "more-cuts"]
    assert ds["y10"].dims == ("scenario", "date", "quantile")
    for i, r in enumerate(results):
        np.testing.assert_array_equal(ds["y10"].isel(scenario=i).values, r.dataset["y10"].values)
    # shared attrs stay attrs; per-scenario ones become coordinates
    assert ds.attrs["paths"] == PATHS and ds.attrs["seed"] == 5
    assert "scenario" not in ds.attrs
    med = ds["y10"].sel(quantile=0.5).isel(date=-1)
    assert float(med.sel(scenario="more-cuts")) < float(med.sel(scenario="baseline"))


def test_compare_of_two_unnamed_variants_says_how_to_name_them(
    base: api.LoadedScenario,
) -> None:
    more = api.with_overrides(base, _more_cuts(base))
    with pytest.raises(ConfigError, match=r"names repeat.*\{'name': \.\.\.\}"):
        api.compare([base, more], paths=16)


def test_compare_dataset_keeps_differing_attrs_as_coordinates() -> None:
    from report_fixtures import make_results

    a = make_results(levels=(3.5,))
    b = a.copy()
    b.attrs = {**a.attrs, "scenario": "other", "description": "another view"}
    ds = api.compare_dataset([a, b])
    assert list(ds["scenario"].values) == [a.attrs["scenario"], "other"]
    assert list(ds["description"].values) == [a.attrs["description"], "another view"]
    assert "description" not in ds.attrs
    with pytest.raises(ValueError, match="repeat"):
        api.compare_dataset([a, a])


@pytest.mark.parametrize("name", ["fan_chart", "touch_curve", "cut_distribution"])
def test_figures_draw_into_a_given_ax_without_a_new_figure(name: str) -> None:
    from report_fixtures import make_results

    ds = make_results(levels=(3.5,))
    fig, ax = plt.subplots()
    try:
        before = plt.get_fignums()
        got = FIGURES[name](ds, ax=ax)
        assert got is fig
        assert plt.get_fignums() == before
        assert fig.axes == [ax] and ax.has_data()
    finally:
        plt.close(fig)
