"""Hypothesis mutates the shipped files; loading ends valid or in a clean ConfigError.

Mutations act on the data (delete, rename or retype a key, perturb a number, swap in
text) and on the text (delete, duplicate or tab-indent a line, rename a key, splice in
random characters, truncate). Whatever comes out, the loaders either accept the file or
raise :class:`ConfigError` whose every problem names a file, a line >= 1 and a message:
never another exception.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from simulator.config import ConfigError, Problem, check_files, load_priors, load_scenario_file
from simulator.config.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "priors").glob("*.yaml")) + sorted((REPO / "scenarios").glob("*.yaml"))
TEXTS = {p: p.read_text() for p in SHIPPED}
DATA = {p: load_yaml(p).data for p in SHIPPED}

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# printable text without surrogates (files are UTF-8)
TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=12,
)
SCALARS = st.one_of(
    TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.one_of(TEXT, st.integers(-20, 20)), SCALARS, max_size=3),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of priors/ and an empty scenarios/, so relative priors paths resolve."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "priors", root / "priors")
    (root / "scenarios").mkdir()
    return root


def _write(workdir: Path, original: Path, text: str) -> Path:
    # the mutant sits in its original's folder under a new name; the shipped priors stay
    path = workdir / original.parent.name / f"mutant-{original.name}"
    path.write_text(text, encoding="utf-8")
    return path


def _assert_clean(problems: list[Problem]) -> None:
    assert problems
    for p in problems:
        assert p.file, p
        assert p.line >= 1, p
        assert p.column >= 0, p
        assert p.message.strip(), p


def _assert_loads_or_fails_cleanly(path: Path) -> None:
    problems = check_files([path])
    if problems:
        _assert_clean(problems)
    try:
        if path.parent.name == "priors":
            load_priors(path)
        else:
            load_scenario_file(path)
    except ConfigError as exc:
        _assert_clean(exc.problems)
        if not problems:  # check passed: only the named priors file can fail
            assert all(p.file != str(path) for p in exc.problems), exc
    else:
        assert problems == []


# ---------------------------------------------------------------------------------------
# data-level mutations
# ---------------------------------------------------------------------------------------


def _nodes(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in the data (mapping keys and list indices)."""
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return []
    out = []
    for k, v in items:
        out.append((*path, k))
        out.extend(_nodes(v, (*path, k)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def data_mutants(draw: st.DrawFn) -> tuple[Path, Any]:
    original = draw(st.sampled_from(SHIPPED))
    data = copy.deepcopy(DATA[original])
    for _ in range(draw(st.integers(1, 3))):
        nodes = _nodes(data)
        if not nodes:
            break
        path = draw(st.sampled_from(nodes))
        parent, last = _parent(data, path), path[-1]
        op = draw(st.sampled_from(["delete", "rename", "retype", "perturb", "text"]))
        if op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(TEXT, st.just(f"{last}x"), st.just(str(last)[:-1] or "k")))
            parent[new] = parent.pop(last)
        elif op == "retype":
            parent[last] = draw(VALUES)
        elif op == "perturb" and isinstance(parent[last], int | float):
            value = parent[last]
            parent[last] = draw(
                st.one_of(
                    st.just(-value),
                    st.just(value * 100),
                    st.just(value + 1),
                    st.just(0),
                    st.floats(allow_nan=True, allow_infinity=True),
                )
            )
        else:
            parent[last] = draw(TEXT)
    return original, data


def _dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


@FUZZ
@given(mutant=data_mutants())
def test_data_mutations_load_or_fail_cleanly(mutant: tuple[Path, Any], workdir: Path) -> None:
    original, data = mutant
    path = _write(workdir, original, _dump(data))
    _assert_loads_or_fails_cleanly(path)


# ---------------------------------------------------------------------------------------
# text-level mutations
# ---------------------------------------------------------------------------------------

KEY_LINE = re.compile(r"^(\s*-?\s*)([A-Za-z0-9_-]+):")


@st.composite
def text_mutants(draw: st.DrawFn) -> tuple[Path, str]:
    original = draw(st.sampled_from(SHIPPED))
    lines = TEXTS[original].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "tab", "rename", "value", "splice", "truncate", "dedent"]
            )
        )
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "tab":
            lines[i] = "\t" + line
        elif op == "rename" and (m := KEY_LINE.match(line)):
            new = draw(st.one_of(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), TEXT))
            lines[i] = m.group(1) + new + line[m.end(2) :]
        elif op == "value" and ":" in line:
            head = line.split(":", 1)[0]
            lines[i] = f"{head}: {draw(TEXT)}"
        elif op == "splice":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(TEXT) + line[at:]
        elif op == "truncate":
            at = draw(st.integers(0, len(line)))
            lines = [*lines[:i], line[:at]]
        elif op == "dedent":
            lines[i] = line.lstrip(" ")
    return original, "\n".join(lines) + "\n"


@FUZZ
@given(mutant=text_mutants())
def test_text_mutations_load_or_fail_cleanly(mutant: tuple[Path, str], workdir: Path) -> None:
    original, text = mutant
    path = _write(workdir, original, text)
    _assert_loads_or_fails_cleanly(path)


def test_unmutated_copies_load(workdir: Path) -> None:
    for original in SHIPPED:
        path = _write(workdir, original, TEXTS[original])
        assert check_files([path]) == []
