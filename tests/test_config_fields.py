"""Every field of every shipped file, replaced by eight values or deleted: valid or located.

A deterministic sweep, next to the random one in ``test_config_fuzz.py``: each field path
(mapping keys and list items, recursively, leaves and containers) of each shipped priors,
scenario and sweep file gets each of ``{}``, ``[]``, ``null``, ``""``, a word, ``1e309``,
``-1`` and a 10 kB string, and is deleted (9 cases per path). The mutant is dumped from
ruamel's round-trip data, so its lines are real. Whatever comes out, ``check`` and the
library (what ``run`` and ``sweep`` load) accept it or raise :class:`ConfigError` whose
every problem names the mutant file, a line >= 1, a column >= 1 and a message.

The full sweep (890 paths: 868 in priors and scenarios, 22 in the sweep; 8,010 cases)
takes ~16 minutes on a loaded 2-core machine (8 of them the calibrated priors' 283
paths), so it is marked ``exhaustive`` and runs outside CI's tiers (``make
test-exhaustive``). The default tier runs one case per field name and file kind (113:
the first path carrying that name in the smallest file, the nine cases taken in turn).
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from simulator import api
from simulator.config import ConfigError, Problem, check_files, load_priors
from simulator.config.yamlio import Document
from simulator.config.yamlio import load_yaml as real_load_yaml
from simulator.sweep import iter_variant_scenarios

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "priors": sorted((REPO / "priors").glob("*.yaml")),
    "scenario": sorted((REPO / "scenarios").glob("*.yaml")),
    "sweep": sorted((REPO / "scenarios" / "sweeps").glob("*.yaml")),
}
# ruamel would write float("inf") as .inf: a placeholder puts the literal text in the file
_HUGE = "__fuzz_1e309__"
VALUES: dict[str, Any] = {
    "mapping": {},
    "list": [],
    "null": None,
    "empty": "",
    "word": "banana",
    "1e309": _HUGE,
    "minus-one": -1,
    "10kB": "x" * 10_240,
}
CASES = (*VALUES, "deleted")


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100_000  # a 10 kB string stays on one line
    return yaml


ORIGINALS = {f: _yaml().load(f.read_text(encoding="utf-8")) for fs in FILES.values() for f in fs}


def field_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path below ``node``, containers before their contents, in file order."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield (*path, key)
        yield from field_paths(value, (*path, key))


def field_name(root: Any, path: tuple[Any, ...]) -> str:
    """The schema field a path stands for: its key, or its container's name + [] / {}."""
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if isinstance(parent, list):
        return f"{field_name(root, path[:-1]) if len(path) > 1 else ''}[]"
    if isinstance(last, str) and not last[:1].isdigit():
        return last
    return f"{field_name(root, path[:-1]) if len(path) > 1 else ''}{{}}"  # a data key


def mutant_text(original: Path, path: tuple[Any, ...], case: str) -> str:
    """The original file with the value at ``path`` replaced (or deleted), as YAML text."""
    data = copy.deepcopy(ORIGINALS[original])
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if case == "deleted":
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(VALUES[case])
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue().replace(_HUGE, "1e309")


def all_cases() -> list[tuple[str, Path, tuple[Any, ...], str]]:
    """(file kind, file, key path, case) for every path of every shipped file."""
    return [
        (kind, f, p, case)
        for kind, files in FILES.items()
        for f in files
        for p in field_paths(ORIGINALS[f])
        for case in CASES
    ]


def stratified_cases() -> list[tuple[str, Path, tuple[Any, ...], str]]:
    """One case per (file kind, field name): its first path in the smallest file carrying
    it (cheapest to load), the cases taken in turn."""
    out = []
    for kind, files in FILES.items():
        seen: set[str] = set()
        for f in sorted(files, key=lambda f: f.stat().st_size):
            for p in field_paths(ORIGINALS[f]):
                name = field_name(ORIGINALS[f], p)
                if name not in seen:
                    seen.add(name)
                    out.append((kind, f, p, CASES[len(out) % len(CASES)]))
    return out


def _id(case: tuple[str, Path, tuple[Any, ...], str]) -> str:
    _, f, p, what = case
    return f"{f.name}:{'.'.join(map(str, p))}:{what}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of priors/ and scenarios/, so relative paths (priors, futures, base) resolve."""
    root = tmp_path_factory.mktemp("fields")
    shutil.copytree(REPO / "priors", root / "priors")
    shutil.copytree(REPO / "scenarios", root / "scenarios")
    return root


@pytest.fixture(autouse=True)
def memo_originals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each unchanged file (the priors a mutant scenario names) once per module.

    The pure-Python YAML parser takes ~0.3 s for the calibrated priors every scenario
    run loads; mutants (``mutant-*``) are always read afresh.
    """
    from simulator.config import loader

    def load_yaml(path: str | Path) -> Document:
        p = Path(path)
        if p.name.startswith("mutant-") or not p.is_file():
            return real_load_yaml(p)
        key = (p.resolve(), p.read_bytes())
        if key not in _MEMO:
            _MEMO[key] = real_load_yaml(p)
        return copy.deepcopy(_MEMO[key])

    monkeypatch.setattr(loader, "load_yaml", load_yaml)


_MEMO: dict[tuple[Path, bytes], Document] = {}


def write_mutant(workdir: Path, original: Path, text: str) -> Path:
    """The mutant beside its original's copy, under a name no loader looks for."""
    folder = workdir / original.relative_to(REPO).parent
    path = folder / f"mutant-{original.name}"
    path.write_text(text, encoding="utf-8")
    return path


def assert_located(problems: list[Problem], path: Path) -> None:
    """Every problem names the mutant file, a line and column >= 1 and a message."""
    assert problems
    for p in problems:
        assert p.file == str(path), p
        assert p.line >= 1 and p.column >= 1, p
        assert p.message.strip(), p


def load_as_run_does(kind: str, path: Path) -> None:
    """What ``run`` (``api.load_scenario``) or ``sweep`` loads before any simulation."""
    if kind == "priors":
        load_priors(path)
    elif kind == "scenario":
        api.load_scenario(path)
    else:
        list(iter_variant_scenarios(path))


def valid_or_located(kind: str, path: Path) -> list[Problem]:
    """Check and load ``path``: [] if valid, else the located problems (asserted clean)."""
    problems = check_files([path]) if kind != "sweep" else []
    if problems:
        assert_located(problems, path)
    try:
        load_as_run_does(kind, path)
    except ConfigError as exc:
        assert_located(exc.problems, path)
        # what check passes, run accepts: the library fails where check failed
        assert problems or kind == "sweep", exc
        return exc.problems
    assert not problems, problems
    return []


STRATIFIED = stratified_cases()


def test_stratified_subset_covers_every_field_name_and_case() -> None:
    for kind, files in FILES.items():
        names = {field_name(ORIGINALS[f], p) for f in files for p in field_paths(ORIGINALS[f])}
        assert {field_name(ORIGINALS[f], p) for k, f, p, _ in STRATIFIED if k == kind} == names
    assert {c for *_, c in STRATIFIED} == set(CASES)


@pytest.mark.parametrize("case", STRATIFIED, ids=_id)
def test_field_mutant_is_valid_or_located(
    case: tuple[str, Path, tuple[Any, ...], str], workdir: Path
) -> None:
    kind, original, path, what = case
    valid_or_located(kind, write_mutant(workdir, original, mutant_text(original, path, what)))


@pytest.mark.exhaustive  # ~7-16 min on 2 cores: outside CI's tiers, `make test-exhaustive`
@pytest.mark.parametrize("original", [f for fs in FILES.values() for f in fs], ids=lambda f: f.name)
def test_every_field_of_every_file_is_valid_or_located(original: Path, workdir: Path) -> None:
    kind = next(k for k, fs in FILES.items() if original in fs)
    escapes = []
    for _, _, path, what in (c for c in all_cases() if c[1] == original):
        text = mutant_text(original, path, what)
        try:
            valid_or_located(kind, write_mutant(workdir, original, text))
        except Exception as exc:  # every escape is listed, not only the first
            escapes.append(f"{'.'.join(map(str, path))} <- {what}: {exc!r}"[:300])
    assert not escapes, "\n".join(escapes)


# ---------------------------------------------------------------------------------------
# "Did you mean": a one-letter typo of every key names the key
# ---------------------------------------------------------------------------------------


def typo(key: str) -> str:
    """``key`` with its letter nearest the middle changed (to 'x', or 'q' for an x)."""
    at = min((i for i, c in enumerate(key) if c.isalpha()), key=lambda i: abs(i - len(key) // 2))
    return key[:at] + ("x" if key[at] != "x" else "q") + key[at + 1 :]


def renamed_text(original: Path, path: tuple[Any, ...], new: str) -> str:
    """The original file with the key at ``path`` renamed to ``new``, in place."""
    data = copy.deepcopy(ORIGINALS[original])
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    at = list(parent).index(path[-1])
    parent.insert(at, new, parent.pop(path[-1]))
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def typo_cases() -> list[tuple[str, Path, tuple[Any, ...], str]]:
    """(kind, file, path, key) for each key name of each file kind (first, smallest file).

    Keys that are data, not names, are left out: dates, counts, YYYY-MM months, and the
    fit's ``diagnostics`` (free names: a typo there is a new statistic, not an error).
    """
    out = []
    for kind, files in FILES.items():
        seen: set[str] = set()
        for f in sorted(files, key=lambda f: f.stat().st_size):
            for p in field_paths(ORIGINALS[f]):
                parent = ORIGINALS[f]
                for part in p[:-1]:
                    parent = parent[part]
                key = p[-1]
                if not isinstance(parent, dict) or not isinstance(key, str):
                    continue
                if key[:1].isdigit() or "diagnostics" in p[:-1] or key in seen:
                    continue
                seen.add(key)
                out.append((kind, f, p, key))
    return out


TYPOS = typo_cases()
# the default tier: the first key at each depth of each file kind, and 'kind' and 'dist'
TYPOS_FAST = [
    c
    for i, c in enumerate(TYPOS)
    if c[3] in ("kind", "dist") or all((c[0], len(c[2])) != (d[0], len(d[2])) for d in TYPOS[:i])
]


def _typo_id(case: tuple[str, Path, tuple[Any, ...], str]) -> str:
    return f"{case[1].name}:{case[3]}"


@pytest.mark.parametrize("case", TYPOS_FAST, ids=_typo_id)
def test_misspelt_key_gets_did_you_mean(
    case: tuple[str, Path, tuple[Any, ...], str], workdir: Path
) -> None:
    assert_did_you_mean(*case, workdir)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in TYPOS if c not in TYPOS_FAST], ids=_typo_id)
def test_every_misspelt_key_gets_did_you_mean(
    case: tuple[str, Path, tuple[Any, ...], str], workdir: Path
) -> None:
    assert_did_you_mean(*case, workdir)


def assert_did_you_mean(
    kind: str, original: Path, path: tuple[Any, ...], key: str, workdir: Path
) -> None:
    """A typo of ``key`` at ``path`` fails with a suggestion naming ``key``."""
    mutant = write_mutant(workdir, original, renamed_text(original, path, typo(key)))
    problems = valid_or_located(kind, mutant)
    # a sweep's grid key is a scenario key path: the suggestion names the misspelt segment
    real = key.replace("]", ".").replace("[", ".").split(".")[-1] if kind == "sweep" else key
    hints = [p.message.partition("Did you mean")[2] for p in problems]
    assert any(repr(real) in h for h in hints), problems


# ---------------------------------------------------------------------------------------
# Through the CLI: `check` and `run` exit 2 with file:line:col, no traceback, no output
# ---------------------------------------------------------------------------------------

# Failing mutants, one per error kind the stratified cases above produce (message shapes
# from the loader: wrong type, bound, missing key, unknown distribution, a file name, ...),
# then one more per shipped file. (file, dotted key path, case); digits are list indices.
CLI_SAMPLE = [
    ("calibrated-2026-01-20.yaml", "joint.parameters.0", "deleted"),  # vector length
    ("calibrated-2026-01-20.yaml", "calibrated.as_of", "1e309"),  # a date
    ("default.yaml", "parameters.inflation_persistence.alpha", "1e309"),  # finite
    ("calibrated-2026-01-20.yaml", "joint.mean", "mapping"),  # a list
    ("jgb-spillover.yaml", "hedging.currencies.JPY.basis_pp", "null"),  # union
    ("default.yaml", "parameters", "null"),  # a mapping
    ("default.yaml", "parameters.inflation_persistence.beta", "minus-one"),  # > bound
    ("jgb-spillover.yaml", "hedging.roll_months", "minus-one"),  # >= bound
    ("default.yaml", "parameters.inflation_loading.mu", "list"),  # a number
    ("baseline.yaml", "view.max_moves_per_meeting", "null"),  # a whole number
    ("default.yaml", "kind", "mapping"),  # the file kind
    ("calibrated-2026-01-20.yaml", "calibrated.fit_start", "minus-one"),  # text
    ("default.yaml", "parameters.inflation_loading", "mapping"),  # missing dist
    ("default.yaml", "parameters.inflation_shock_pp.sigma", "deleted"),  # missing key
    ("baseline.yaml", "priors", "empty"),  # priors file not found
    ("baseline.yaml", "priors", "10kB"),  # not a file name (was an OSError)
    ("baseline.yaml", "view.cut_count.0", "deleted"),  # probabilities sum
    ("jgb-spillover.yaml", "hedging.currencies.JPY.short_rate_pp", "mapping"),  # was IndexError
    ("default.yaml", "parameters.inflation_persistence.dist", "word"),  # distribution name
    ("baseline.yaml", "description", "empty"),  # non-empty text
    ("baseline.yaml", "name", "10kB"),  # a folder name (was valid; failed writing the run)
    ("fed-independence-shock.yaml", "events.0.size_bp", "word"),
    ("hawkish-hold.yaml", "snapshot.y10_pp.date", "minus-one"),
    ("recession-risk.yaml", "mixture.0.weight", "1e309"),
    ("recession.yaml", "as_of", "deleted"),
    ("research-view.yaml", "seasonal_drift_bp.jan", "10kB"),
]


def parse_path(root: Any, dotted: str) -> tuple[Any, ...]:
    """A dotted key path of CLI_SAMPLE as keys of ``root`` (digits: a list index)."""
    out: list[Any] = []
    node = root
    for part in dotted.split("."):
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, dict) and key not in node and part.isdigit():
            key = int(part)
        out.append(key)
        node = node[key]
    return tuple(out)


def _original(name: str) -> Path:
    return next(f for fs in FILES.values() for f in fs if f.name == name)


def _run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """The console entry point in-process (it maps ConfigError to exit 2)."""
    from simulator.cli import main

    monkeypatch.setattr(sys, "argv", ["macrosim", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


@pytest.mark.parametrize("case", CLI_SAMPLE, ids=lambda c: ":".join(c))
def test_check_and_run_exit_2_located_and_write_nothing(
    case: tuple[str, str, str],
    workdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, dotted, what = case
    original = _original(name)
    mutant = write_mutant(
        workdir, original, mutant_text(original, parse_path(ORIGINALS[original], dotted), what)
    )
    target, named = mutant, mutant
    if original in FILES["priors"]:  # run a copy of the baseline that names the mutant
        text = (REPO / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
        text = text.replace("priors: ../priors/default.yaml", f"priors: ../priors/{mutant.name}")
        target = workdir / "scenarios" / "mutant-run.yaml"
        target.write_text(text, encoding="utf-8")
        named = target.parent / ".." / "priors" / mutant.name  # as the scenario names it
    out = tmp_path / "out"
    for argv, file in (
        (["check", str(mutant)], mutant),
        (["run", str(target), "--out", str(out), "--quiet"], named),
    ):
        code = _run_main(argv, monkeypatch)
        said = capsys.readouterr()
        assert code == 2, (argv, said)
        located = re.compile(rf"^{re.escape(str(file))}:[1-9]\d*:[1-9]\d*: \S", re.MULTILINE)
        assert located.search(said.err), (argv, said.err[:500])
        assert "Traceback" not in said.err + said.out
    assert not out.exists()
