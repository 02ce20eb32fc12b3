"""Every shipped YAML loads; broken files give located, actionable messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config import ConfigError, check_files, load_priors, load_scenario_file

REPO = Path(__file__).resolve().parents[1]
PRIORS = sorted((REPO / "priors").glob("*.yaml"))
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", PRIORS, ids=lambda p: p.name)
def test_shipped_priors_load(path: Path) -> None:
    assert load_priors(path).config.kind == "priors"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_load(path: Path) -> None:
    scenario, priors = load_scenario_file(path)
    assert scenario.config.name == path.stem
    assert priors.config.kind == "priors"


def test_shipped_files_start_with_schema_line() -> None:
    for path in PRIORS + SCENARIOS:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path


def test_misspelt_key_is_located_with_suggestion(tmp_path: Path) -> None:
    text = (REPO / "priors" / "default.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("inflation_persistence:", "inflation_persistance:"))
    problems = check_files([bad])
    messages = [str(p) for p in problems]
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "persistance" in t)
    assert any(
        m.startswith(f"{bad}:{line}:3: parameters.inflation_persistance: unknown key")
        and "Did you mean 'inflation_persistence'?" in m
        for m in messages
    ), messages


def test_config_error_requires_problems() -> None:
    with pytest.raises(ValueError):
        ConfigError([])
