"""The ``check``, ``schema`` and ``--version`` commands, through typer's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from simulator import __version__
from simulator.cli import app

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "priors").glob("*.yaml")) + sorted((REPO / "scenarios").glob("*.yaml"))

runner = CliRunner()


def test_check_shipped_files_exits_0() -> None:
    result = runner.invoke(app, ["check", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"ok: {len(SHIPPED)} file(s) valid"
    assert result.stderr == ""


def test_check_misspelt_key_exits_2_with_location_and_suggestion(tmp_path: Path) -> None:
    text = (REPO / "scenarios" / "baseline.yaml").read_text()
    bad = tmp_path / "scenarios" / "bad.yaml"
    bad.parent.mkdir()
    (tmp_path / "priors").mkdir()
    (tmp_path / "priors" / "default.yaml").write_text(
        (REPO / "priors" / "default.yaml").read_text()
    )
    bad.write_text(text.replace("max_moves_per_meeting:", "max_move_per_meeting:"))
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "max_move_" in t)
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{bad}:{line}:3: view.max_move_per_meeting: unknown key 'max_move_per_meeting'. "
        "Did you mean 'max_moves_per_meeting'?\n"
    )
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)


def test_check_reports_every_file(tmp_path: Path) -> None:
    fixtures = REPO / "tests" / "fixtures"
    files = [fixtures / "bad_literal.yaml", SHIPPED[0], fixtures / "tab_indent.yaml"]
    result = runner.invoke(app, ["check", *map(str, files)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{files[0]}:13:20: simulation.grid:")
    assert lines[1].startswith(f"{files[2]}:12:1: tab character")


def test_check_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["check", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"{missing}: file not found\n"


def test_schema_prints_valid_json() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(schema["$defs"]) >= {"PriorsFile", "Scenario"}
    assert result.stdout == (REPO / "docs" / "schema.json").read_text()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"macrosim {__version__}\n"


def test_python_dash_m_simulator_is_the_cli() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "simulator", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stdout.strip() == f"macrosim {__version__}"


def test_verbose_shows_info_logging() -> None:
    import logging

    library = logging.getLogger("simulator")
    try:
        result = runner.invoke(app, ["-v", "check", str(SHIPPED[0])])
        assert result.exit_code == 0
        assert library.getEffectiveLevel() == logging.INFO
        runner.invoke(app, ["check", str(SHIPPED[0])])
        assert library.getEffectiveLevel() == logging.WARNING
    finally:
        library.setLevel(logging.NOTSET)


def test_every_command_help_ends_with_an_example() -> None:
    commands = ["check", "schema", "run", "compare", "fit", "sweep", "backtest", "market"]
    for argv in [[c] for c in commands] + [["priors", "show"], ["data", "fetch"]]:
        result = runner.invoke(app, [*argv, "--help"])
        assert result.exit_code == 0, argv
        # the text after the options list, which click ends with --help's own line
        tail = result.stdout.rsplit("Show this message and exit.", 1)[-1]
        assert tail.strip().startswith("Example") and "macrosim " in tail, (argv, tail)
        # one example per line, none wrapped across lines
        examples = [ln.strip() for ln in tail.strip().splitlines()[1:]]
        assert examples and all(ln.startswith("macrosim ") for ln in examples), (argv, tail)


def test_help_loads_no_heavy_module() -> None:
    """``macrosim --help`` stays fast by importing none of the science or rich stacks.

    Startup time itself is measured, not asserted (machines are noisy): each of these
    modules costs 50-400 ms to import, so their absence is what keeps help under 0.2 s.
    """
    heavy = ("numpy", "pydantic", "ruamel", "rich", "xarray", "importlib.metadata")
    code = (
        "import sys\n"
        "from simulator.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in sys.modules if m.startswith({heavy!r})])"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout
