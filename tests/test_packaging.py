"""Every third-party module the package imports is a declared dependency.

A module imported by ``simulator/`` but installed only as someone else's dependency
(pytensor through pymc, annotated-types through pydantic) works until that someone
changes; so each import must map, through the installed distributions' own file lists,
to a requirement in pyproject.toml (core or an extra).
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imported_top_modules() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "simulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "simulator"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {_norm(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in reqs}


def test_every_import_is_a_declared_dependency() -> None:
    owners = md.packages_distributions()
    declared = _declared()
    undeclared = {
        mod: owners.get(mod, ["<not installed>"])
        for mod in sorted(_imported_top_modules())
        if not declared & {_norm(d) for d in owners.get(mod, [])}
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
