"""Every shipped YAML loads; broken files give located, actionable messages."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simulator.config import (
    ConfigError,
    check_files,
    json_schema,
    json_schema_text,
    load_priors,
    load_scenario_file,
)
from simulator.config.reference import render
from simulator.config.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[1]
PRIORS = sorted((REPO / "priors").glob("*.yaml"))
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
FIXTURES = REPO / "tests" / "fixtures"


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
        assert first == "# yaml-language-server: $schema=../docs/schema.json", path


def test_shipped_files_pass_check() -> None:
    assert check_files(PRIORS + SCENARIOS) == []


def test_the_issue_scenarios_are_shipped() -> None:
    names = {p.stem for p in SCENARIOS}
    expected = {
        "baseline",
        "research-view",
        "hawkish-hold",
        "fed-independence-shock",
        "recession",
        "jgb-spillover",
    }
    assert expected <= names


# ---------------------------------------------------------------------------------------
# The shipped scenarios say what their names promise
# ---------------------------------------------------------------------------------------


def _scenario(name: str) -> Any:
    return load_scenario_file(REPO / "scenarios" / f"{name}.yaml")[0].config


def _mean(dist: dict[int, float]) -> float:
    return sum(k * p for k, p in dist.items())


@pytest.mark.parametrize("name", ["research-view", "hawkish-hold", "recession", "recession-risk"])
def test_market_prices_baselines_view(name: str) -> None:
    base = _scenario("baseline").view
    market = _scenario(name).market
    assert market.cut_count == base.cut_count
    assert market.meeting_weights == base.meeting_weights


def test_research_view() -> None:
    s = _scenario("research-view")
    # mass on 3 and 4 cuts, mean above the market's ~2
    assert s.view.cut_count[3] + s.view.cut_count[4] >= 0.6
    assert _mean(s.view.cut_count) > _mean(s.market.cut_count) + 1
    # no early cuts: January and March weigh little against the later meetings
    w = s.view.meeting_weights
    assert max(w[dt.date(2026, 1, 28)], w[dt.date(2026, 3, 18)]) <= 0.1
    # Q1 pressure: term-premium drift up in Jan-Mar
    assert all(s.seasonal_drift_bp[m] > 0 for m in ("jan", "feb", "mar"))
    assert 3.5 in s.levels_pp
    assert "CNY" in s.hedging.currencies
    # the note's FX view: the yuan stronger into the festival, toward 6.80 (Citi) by the end
    fx = s.fx["CNY"]
    assert fx.spot.value == 6.96 and fx.spot.date == s.as_of
    drift = fx.view.drift_pct_per_month
    assert drift["2026-01"] < drift["2026-02"] < 0
    after_january = sum(v for m, v in drift.items() if m != "2026-01")  # Jan: a share
    assert 6.75 < 6.96 * math.exp(after_january / 100) < 6.85


def test_cny_unhedged() -> None:
    s, rv = _scenario("cny-unhedged"), _scenario("research-view")
    # the research view's rates, the spot from history's seasonal pattern
    assert s.view == rv.view and s.market == rv.market and s.hedging == rv.hedging
    assert s.fx["CNY"].view.seasonal_from_history
    assert s.fx["CNY"].spot == rv.fx["CNY"].spot


def test_hawkish_hold() -> None:
    s = _scenario("hawkish-hold")
    assert set(s.view.cut_count) <= {0, 1}
    assert s.adjustments.inflation_gap_shift_pp > 0


def test_fed_independence_shock() -> None:
    (event,) = _scenario("fed-independence-shock").events
    assert 30 <= event.size_bp <= 60
    assert 0 < event.probability < 1
    assert event.half_life_bdays is not None and event.half_life_bdays >= 120


def test_recession() -> None:
    s = _scenario("recession")
    assert min(s.view.cut_count) >= 4 and max(s.view.cut_count) <= 8
    assert s.view.max_moves_per_meeting == 2
    assert s.adjustments.neutral_rate_shift_pp == -0.5
    assert s.adjustments.term_premium_mean_shift_pp < 0


def test_recession_risk_mixture() -> None:
    s = _scenario("recession-risk")
    weights = {c.name: c.weight for c in s.mixture}
    assert weights == {"soft-landing": 0.7, "recession": 0.3}
    recession = next(c for c in s.mixture if c.name == "recession")
    assert recession.view == _scenario("recession").view
    assert recession.adjustments == _scenario("recession").adjustments


def test_jgb_spillover() -> None:
    s = _scenario("jgb-spillover")
    (event,) = s.events
    assert event.size_bp > 0
    jpy = s.hedging.currencies["JPY"]
    assert isinstance(jpy.short_rate_pp, dict)
    assert jpy.short_rate_pp["2026-01"] == 0.75


# ---------------------------------------------------------------------------------------
# Broken fixtures: one per error class, exact message and position
# ---------------------------------------------------------------------------------------

MISSING_PRIORS = (REPO / "priors" / "no-such-priors.yaml").resolve()

# file -> (line, column, key path, message)
BROKEN: dict[str, tuple[int, int, str, str]] = {
    "scenario_unknown_key.yaml": (
        13,
        3,
        "view.meeting_wieghts",
        "unknown key 'meeting_wieghts'. Did you mean 'meeting_weights'?",
    ),
    "priors_unknown_key.yaml": (
        13,
        3,
        "parameters.term_premium_persistance",
        "unknown key 'term_premium_persistance'. Did you mean 'term_premium_persistence'?",
    ),
    "probabilities_not_summing.yaml": (
        12,
        14,
        "view.cut_count",
        "probabilities sum to 0.9, expected 1 (within 1e-06)",
    ),
    "priors_beta_nonpositive.yaml": (
        7,
        46,
        "parameters.inflation_persistence.alpha",
        "expected a number > 0, found 0",
    ),
    "as_of_after_window.yaml": (
        5,
        8,
        "as_of",
        "2027-01-05 is after the window ends (2026-01-01..2026-12-31); the as-of date must "
        "lie in the window, or be the day before it starts",
    ),
    "window_outside_calendar.yaml": (
        6,
        17,
        "window.start",
        "date 2040-01-01 is outside the years a window can cover (1962-2034: the business-day "
        "calendar ends in 2035)",
    ),
    "meeting_weight_outside_window.yaml": (
        15,
        17,
        "view.meeting_weights.2027-01-27",
        "date 2027-01-27 is outside the window 2026-01-01..2026-12-31: weights are for FOMC "
        "decision dates inside the window",
    ),
    "missing_priors_file.yaml": (
        6,
        9,
        "priors",
        f"priors file '../../priors/no-such-priors.yaml' not found (looked for "
        f"{MISSING_PRIORS}; the path is relative to this scenario file)",
    ),
    "duplicate_key.yaml": (
        7,
        1,
        "",
        "duplicate key 'as_of' (first at line 5): each key may appear once per mapping",
    ),
    "tab_indent.yaml": (
        12,
        1,
        "",
        "tab character in indentation: YAML indents with spaces only",
    ),
    "yaml_syntax_error.yaml": (
        13,
        10,
        "",
        "YAML syntax error: expected ',' or '}', but got ':' (in the {...} mapping that "
        "starts at line 12, column 14); is the '{' closed with '}'?",
    ),
    "wrong_type.yaml": (
        8,
        19,
        "snapshot.y10_pp.value",
        "expected a number, found 'four point three' (text)",
    ),
    "bad_literal.yaml": (
        13,
        20,
        "simulation.grid",
        "expected 'daily' or 'weekly', found 'dayly' (text). Did you mean 'daily'?",
    ),
    "priors_unknown_distribution.yaml": (
        11,
        35,
        "parameters.mean_reversion_per_year.dist",
        "unknown distribution 'Lognormal'. Did you mean 'LogNormal'? Choose from Normal, "
        "TruncatedNormal, LogNormal, Beta, Gamma, HalfNormal, Uniform, StudentT, Fixed",
    ),
    "priors_outside_domain.yaml": (
        7,
        26,
        "parameters.inflation_persistence",
        "a Normal(mu=0.95, sigma=0.05) prior puts mass outside the domain [0, 1] of "
        "inflation_persistence; use Beta, or a Uniform/TruncatedNormal within [0, 1]",
    ),
    "missing_required_key.yaml": (
        2,
        1,
        "",
        "missing required key 'snapshot' (the market as of the as-of date)",
    ),
    "yaml_tag.yaml": (
        13,
        12,
        "levels_pp",
        "YAML tag '!!python/object/apply:os.system' is not allowed: config files hold plain "
        "data (numbers, text, dates, lists and mappings)",
    ),
    "probability_above_one.yaml": (
        15,
        18,
        "events[0].probability",
        "expected a probability between 0 and 1, found 35",
    ),
    "target_range_width.yaml": (
        9,
        44,
        "snapshot.target_range.upper_pp",
        "the target range is 25bp wide: upper_pp - lower_pp = 0.5, expected 0.25",
    ),
    "fx_currency_without_leg.yaml": (
        15,
        5,
        "fx.GBP",
        "GBP has no hedging leg: an fx block is for a currency with one (CNY, EUR, JPY)",
    ),
    "fx_spot_out_of_range.yaml": (
        15,
        19,
        "fx.CNY.spot.value",
        "spot -6.96 is outside (0, 1000000) CNY per USD",
    ),
    "fx_view_month_outside_window.yaml": (
        17,
        53,
        "fx.CNY.view.drift_pct_per_month.2027-02",
        "month 2027-02 is outside the simulated months 2026-01..2026-12",
    ),
    "fx_drift_and_seasonal.yaml": (
        18,
        30,
        "fx.CNY.view.seasonal_from_history",
        "give either drift_pct_per_month or seasonal_from_history: true, not both",
    ),
    "priors_fx_correlation_outside.yaml": (
        17,
        24,
        "parameters.cny_y10_correlation",
        "a Uniform(lower=-0.5, upper=1.5) prior puts mass outside the domain [-1, 1] of "
        "cny_y10_correlation; use a Uniform or TruncatedNormal within [-1, 1]",
    ),
}


def test_every_fixture_is_covered() -> None:
    assert {p.name for p in FIXTURES.glob("*.yaml")} == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_message(name: str) -> None:
    path = FIXTURES / name
    line, column, key_path, message = BROKEN[name]
    (problem,) = check_files([path])
    assert (problem.file, problem.line, problem.column) == (str(path), line, column)
    assert problem.key_path == key_path
    assert problem.message == message
    prefix = f"{path}:{line}:{column}:"
    assert str(problem) == (
        f"{prefix} {key_path}: {message}" if key_path else f"{prefix} {message}"
    )


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_raises_from_loaders(name: str) -> None:
    path = FIXTURES / name
    loader = load_priors if name.startswith("priors_") else load_scenario_file
    with pytest.raises(ConfigError) as info:
        loader(path)
    assert [p.message for p in info.value.problems] == [BROKEN[name][3]]


def test_fixture_scenarios_name_existing_priors() -> None:
    for path in FIXTURES.glob("*.yaml"):
        if path.name in ("missing_priors_file.yaml", "yaml_syntax_error.yaml", "tab_indent.yaml"):
            continue
        text = path.read_text()
        if "kind: scenario" in text:
            assert "priors: ../../priors/default.yaml" in text, path


# ---------------------------------------------------------------------------------------
# Messages beyond the fixtures
# ---------------------------------------------------------------------------------------


def test_misspelt_key_is_located_with_suggestion(tmp_path: Path) -> None:
    text = (REPO / "priors" / "default.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("inflation_persistence:", "inflation_persistance:"))
    problems = check_files([bad])
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "persistance" in t)
    # one problem: the misspelling, not also a "missing inflation_persistence"
    assert [str(p) for p in problems] == [
        f"{bad}:{line}:3: parameters.inflation_persistance: unknown key "
        "'inflation_persistance'. Did you mean 'inflation_persistence'?"
    ]


def test_config_error_requires_problems() -> None:
    with pytest.raises(ValueError):
        ConfigError([])


def _check_text(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "x.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return [str(p).removeprefix(f"{path}:") for p in check_files([path])]


def test_nan_and_inf_are_refused(tmp_path: Path) -> None:
    text = (REPO / "priors" / "default.yaml").read_text()
    bad = text.replace(
        "neutral_rate_pp: {dist: Normal, mu: 4.0", "neutral_rate_pp: {dist: Normal, mu: .nan"
    )
    (msg,) = _check_text(tmp_path, bad)
    assert msg.endswith("parameters.neutral_rate_pp.mu: expected a finite number, found nan")


def test_not_utf8_is_located(tmp_path: Path) -> None:
    assert _check_text(tmp_path, b"kind: priors\ndescription: caf\xe9\n") == [
        "2:17: not UTF-8 text (invalid continuation byte at byte 29): save the file as UTF-8"
    ]


def test_sets_and_second_documents_are_refused(tmp_path: Path) -> None:
    assert _check_text(tmp_path, "kind: priors\ndescription: !!set {a}\n") == [
        "2:14: description: a set (!!set) is not allowed: config files hold plain data "
        "(numbers, text, dates, lists and mappings)"
    ]
    assert _check_text(tmp_path, "kind: priors\n---\nkind: priors\n") == [
        "2:1: YAML syntax error: a second document starts here; a config file holds one"
    ]


def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["kind: priors", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    (msg,) = _check_text(tmp_path, "\n".join(lines) + "\n")
    assert "more than 100000 values (after expanding aliases)" in msg


def test_merge_keys_load(tmp_path: Path) -> None:
    doc = tmp_path / "m.yaml"
    doc.write_text("base: &b {a: 1}\nother:\n  <<: *b\n  c: 2\n")
    assert load_yaml(doc).data == {"base": {"a": 1}, "other": {"c": 2, "a": 1}}


# ---------------------------------------------------------------------------------------
# Generated documents do not drift; the JSON Schema validates the shipped files
# ---------------------------------------------------------------------------------------

REGENERATE = "python -m simulator.config.reference > docs/yaml-reference.md"


def test_schema_json_is_current() -> None:
    committed = (REPO / "docs" / "schema.json").read_text()
    assert committed == json_schema_text(), "run: macrosim schema > docs/schema.json"


def test_yaml_reference_is_current() -> None:
    committed = (REPO / "docs" / "yaml-reference.md").read_text()
    assert committed == render(), f"run: {REGENERATE}"


def test_reference_module_runs_as_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "simulator.config.reference"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    assert out == render()


def _keys(model: Any, prefix: str = "") -> list[str]:
    from simulator.config.reference import rows

    return [r.path for r in rows(model, prefix)]


def test_reference_documents_every_key() -> None:
    from simulator.config.schema import PARAMETERS, PriorsFile, Scenario

    text = render()
    for path in _keys(PriorsFile) + _keys(Scenario):
        assert f"| `{path.replace('|', chr(92) + '|')}` |" in text, path
    for name in PARAMETERS:
        assert f"`parameters.{name}`" in text
    assert text.startswith("# macrosim YAML reference")
    assert "# yaml-language-server: $schema=../docs/schema.json" in text


def _json_able(value: Any) -> Any:
    if isinstance(value, dict):
        return {_json_key(k): _json_able(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_able(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _json_key(key: Any) -> str:
    return key.isoformat() if isinstance(key, dt.date) else str(key)


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", PRIORS + SCENARIOS, ids=lambda p: p.name)
def test_json_schema_validates_shipped_files(path: Path, validator: Any) -> None:
    data = _json_able(load_yaml(path).data)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    "name",
    [
        "scenario_unknown_key.yaml",
        "priors_unknown_key.yaml",
        "bad_literal.yaml",
        "wrong_type.yaml",
        "priors_unknown_distribution.yaml",
        "probability_above_one.yaml",
        "missing_required_key.yaml",
        "priors_beta_nonpositive.yaml",
    ],
)
def test_json_schema_rejects_broken_fixtures(name: str, validator: Any) -> None:
    data = _json_able(load_yaml(FIXTURES / name).data)
    assert not validator.is_valid(data)


def test_json_schema_checks_cut_count_and_monthly_keys(validator: Any) -> None:
    data = _json_able(load_yaml(REPO / "scenarios" / "jgb-spillover.yaml").data)
    data["view"]["cut_count"]["two"] = 0.0
    assert not validator.is_valid(data)
    data = _json_able(load_yaml(REPO / "scenarios" / "jgb-spillover.yaml").data)
    data["hedging"]["currencies"]["JPY"]["short_rate_pp"]["2026-13"] = 1.0
    assert not validator.is_valid(data)


def test_config_names_load_lazily_and_all_resolve() -> None:
    # simulator.config resolves its public names on first use (macrosim --help stays fast)
    import simulator.config as cfg

    assert set(cfg.__all__) == set(cfg._WHERE)
    for name in cfg.__all__:
        assert getattr(cfg, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cfg.nope  # noqa: B018


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("kind: scenario", "kind: scenaro", "found 'scenaro'. Did you mean 'kind: scenario'?"),
        ("kind: scenario", "knd: scenario", "unknown key 'knd'. Did you mean 'kind'?"),
    ],
)
def test_a_misspelt_kind_gets_did_you_mean(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text((REPO / "scenarios" / "baseline.yaml").read_text().replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_scenario_file(path)
    text = str(err.value)
    assert text.startswith(f"{path}:4:") and message in text
