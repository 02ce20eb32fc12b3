"""`macrosim market` through typer's CliRunner: the table, JSON, block, scenario copy and
figure; every bad input exits 2 with one message and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator import api
from simulator.cli import app
from simulator.data.futures import read_futures_csv
from simulator.market import price_market

REPO = Path(__file__).resolve().parents[1]
STRIP = REPO / "scenarios" / "fed-funds-futures-2026-01-20.csv"
BASELINE = REPO / "scenarios" / "baseline.yaml"
runner = CliRunner()


def _market(*args: str) -> Any:
    return runner.invoke(app, ["market", *args])


def _market_copy(out: Path, *extra: str) -> Any:
    """The command writing a copy of the baseline to ``out``."""
    scenario = ["--scenario", str(BASELINE), "--out", str(out)]
    return _market(str(STRIP), "--as-of", "2026-01-20", "--spread-bp", "1.5", *scenario, *extra)


def test_table_and_block_are_printed() -> None:
    res = _market(str(STRIP), "--as-of", "2026-01-20", "--spread-bp", "1.5")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"{STRIP.name}: target 3.50-3.75% (midpoint 3.625%)")
    assert lines[1].split() == [
        "meeting",
        "P(hike)",
        "P(hold)",
        "P(cut",
        "25)",
        "P(cut",
        "50+)",
        "E[EFFR]",
        "after",
    ]
    assert lines[2].startswith("2026-01-28")
    assert "\nmarket:\n  cut_count:\n" in res.stdout
    assert "  meeting_weights:\n    2026-01-28: " in res.stdout


def test_json_matches_the_pricing(tmp_path: Path) -> None:
    res = _market(str(STRIP), "--as-of", "2026-01-20", "--spread-bp", "1.5", "--json")
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    direct = price_market(
        read_futures_csv(STRIP), api.dt.date(2026, 1, 20), spread_bp=1.5, spread_source="x"
    )
    assert printed == json.loads(json.dumps(direct.to_json()))
    assert list(printed) == ["meetings", "cut_count"]


def test_out_writes_a_valid_scenario_copy_with_comments_and_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "baseline-market.yaml"
    out.parent.mkdir()
    res = _market_copy(out, "--figure", str(tmp_path / "fedwatch"))
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "# Net 25bp cuts over 2026: mean ~2.0" in text  # comments kept
    assert "# From fed-funds-futures-2026-01-20.csv by `macrosim market`" in text
    copy = api.load_scenario(out)  # priors path rewritten relative to the copy
    market = copy.scenario.config.market
    assert market.cut_count is not None and market.meeting_weights is not None
    assert set(market.meeting_weights) == set(copy.scenario.config.view.meeting_weights)
    assert (tmp_path / "fedwatch.png").is_file() and (tmp_path / "fedwatch.svg").is_file()


def _bad_strip(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "strip.csv"
    text = STRIP.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    ("edit", "args", "message"),
    [
        (("2026-05,96.4800\n", ""), [], "2026-06 follows 2026-04; month 2026-05 is missing"),
        (("2026-05,96.4800", "2026-04,96.4800"), [], "2026-04 repeats line"),
        (("2026-05,96.4800", "2026-05,100"), [], "column 'price': expected a price between"),
        (("2026-05,96.4800", "2026-05,-1"), [], "column 'price': expected a price between"),
        (("contract_month,price", "contract_month,price,oi"), [], "column 3 'oi': unknown"),
        (("2026-05,96.4800", "2026-05;96.48"), [], "expected 2 columns"),
        (
            ("2026-12,96.8425\n2027-01,96.8600\n", ""),
            ["--scenario", str(BASELINE)],
            "no contract for 2026-12, when the 2026-12-09 decision takes effect",
        ),
        (("2026-05,96.4800", "2026-05,90.0"), [], "the strip implies an expected effective rate"),
        (("", ""), ["--as-of", "2026-13-01"], "--as-of 2026-13-01: expected a date"),
        (("", ""), ["--spread-bp", None], "give --spread-bp or --data"),
        (("", ""), ["--as-of", "2026-01-21", "--scenario", str(BASELINE)], "differs from"),
        (("", ""), ["--out", "OUT"], "--out writes a copy of --scenario"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(
    tmp_path: Path, edit: tuple[str, str], args: list[str | None], message: str
) -> None:
    strip = _bad_strip(tmp_path, *edit) if edit[0] else STRIP
    opts = {"--as-of": "2026-01-20", "--spread-bp": "1.5"}
    rest: list[str] = []
    i = 0
    while i < len(args):
        key, value = args[i], args[i + 1]
        if key in opts:
            if value is None:
                del opts[key]
            else:
                opts[key] = value
        else:
            rest += [str(key), str(tmp_path / "out.yaml") if value == "OUT" else str(value)]
        i += 2
    flat = [x for kv in opts.items() for x in kv]
    figure = tmp_path / "fig"
    res = _market(str(strip), *flat, *rest, "--figure", str(figure))
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.output and res.stdout == ""
    assert not list(tmp_path.glob("fig*")) and not (tmp_path / "out.yaml").exists()
    if edit[0]:
        assert res.stderr.startswith(f"{strip}:")


def test_out_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "exists.yaml"
    out.write_text("keep")
    res = _market_copy(out)
    assert res.exit_code == 2 and "the file exists" in res.stderr
    assert out.read_text() == "keep"


def test_spread_from_dff(data_dir: Path) -> None:
    res = _market(str(STRIP), "--as-of", "2026-01-20", "--data", str(data_dir))
    assert res.exit_code == 0, res.output
    # DFF 3.64 in 3.50-3.75 on every one of the 20 business days before 2026-01-20
    assert "effective-rate spread +1.5bp (DFF minus target midpoint" in res.stdout
