"""`macrosim backtest` from the command line: bad input exits 2 with one message naming
what is wrong and writes nothing; a short run near the end of the data completes.

Bad input is refused before any work, so those cases run in-process (the console entry
point, ``main``); the complete run goes through a real subprocess, as a user's would
(slow tier).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

from simulator.cli import main

REPO = Path(__file__).resolve().parents[1]


def _options(data: Path, out: Path, *args: str) -> list[str]:
    return [
        "--data",
        str(data),
        "--out",
        str(out),
        "--paths",
        "100",
        "--workers",
        "1",
        "--quiet",
        *args,
    ]


def _refused(data: Path, out: Path, *args: str) -> str:
    """Run a backtest that must be refused, through the console entry point in-process:
    exit 2, no traceback, nothing written. Returns what it wrote to stderr."""
    err = io.StringIO()
    argv = ["macrosim", "backtest", *_options(data, out, *args)]
    with mock.patch.object(sys, "argv", argv), contextlib.redirect_stderr(err):
        with pytest.raises(SystemExit) as exit_:
            main()
    assert exit_.value.code == 2, err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert not out.exists()
    return err.getvalue()


def _backtest(data: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "simulator.cli", "backtest", *_options(data, out, *args)]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2030-01", "--end", "2030-02"], "--start 2030-01: after the data"),
        (["--start", "2000-13"], "--start 2000-13: not a month"),
        (["--start", "2000-1"], "--start 2000-1: expected a month as YYYY-MM"),
        (["--start", "2024-05", "--end", "2024-01"], "--end 2024-01 is before --start"),
        (["--start", "1985-01"], "--start 1985-01: the fit window opens 1990-01"),
        (["--start", "2025-12", "--end", "2025-12"], "--start 2025-12: no outcome to score"),
        (["--horizons", "0,13"], "--horizons: each must lie in 1..12"),
        (["--horizons", "a,b"], "--horizons: expected integers"),
        (["--fitter", "exact"], "'exact' is not one of 'laplace', 'nuts'"),
    ],
)
def test_bad_options_exit_2_with_the_option_named_and_no_output(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    assert message in _refused(data_dir, tmp_path / "out", *args)


def test_a_malformed_data_row_exits_2_naming_file_line_and_column(
    data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    path = data / "ust_cmt_daily.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int((frame["Date"] == "2012-03-02").to_numpy().nonzero()[0][0])
    frame.loc[row, "DGS10"] = "1.9x9"
    path.chmod(0o644)
    frame.to_csv(path, index=False)
    err = _refused(data, tmp_path / "out", "--start", "2024-01", "--end", "2024-02")
    # line = header (1) + 1-based row
    assert f"ust_cmt_daily.csv:{row + 2}: column 'DGS10'" in err
    assert "'1.9x9'" in err


def test_a_bad_priors_key_exits_2_before_any_work(data_dir: Path, tmp_path: Path) -> None:
    text = (REPO / "priors" / "default.yaml").read_text()
    bad = tmp_path / "priors.yaml"
    bad.write_text(text.replace("term_premium_persistence:", "term_premium_persistance:"))
    err = _refused(data_dir, tmp_path / "out", "--priors", str(bad))
    assert "unknown key 'term_premium_persistance'" in err
    assert "Did you mean 'term_premium_persistence'?" in err


@pytest.mark.slow
def test_origins_near_the_end_of_the_data_score_what_has_happened(
    data_dir: Path, tmp_path: Path
) -> None:
    # Data end with the 2025-12 close: origins 2025-09..2025-11 have 1-month outcomes,
    # none has a 12-month one; the 2025-12 origin has no outcome and is dropped.
    res = _backtest(
        data_dir,
        tmp_path / "out",
        "--start",
        "2025-09",
        "--end",
        "2025-12",
        "--horizons",
        "1,12",
    )
    assert res.returncode == 0, res.stderr
    (folder,) = (tmp_path / "out").iterdir()
    doc = json.loads((folder / "backtest.json").read_text())
    assert doc["origins"] == ["2025-09", "2025-10", "2025-11"]
    assert doc["scores"]["macrosim"]["1"]["n"] == 3
    assert doc["scores"]["random_walk"]["12"]["n"] == 0
    assert doc["events"]["fall_50bp_12m"]["macrosim"]["n"] == 0
    assert set(doc["scores"]) == {"macrosim", "random_walk"}
    assert set(doc["scores"]["macrosim"]) == {"1", "12"}
