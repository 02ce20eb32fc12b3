"""Draw the package's import graph from the code, into docs/architecture.md.

Usage: ``python docs/architecture_graph.py`` rewrites the block between the markers in
docs/architecture.md; ``--check`` exits 1 if the block is stale (tests/test_docs.py runs
it). Every ``import`` counts, also those inside functions: a lazy import is still a
dependency. An edge ``a --> b`` means some module of ``simulator.a`` imports from
``simulator.b``; edges that close a cycle are drawn dotted and listed under the diagram.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
BEGIN, END = "<!-- import-graph:begin -->", "<!-- import-graph:end -->"


def _unit(path: Path) -> str:
    rel = path.relative_to(REPO / "simulator").with_suffix("")
    return rel.parts[0]


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "simulator":
            return [f"simulator.{a.name}" for a in node.names]
        return [node.module]
    return []


def import_edges() -> dict[str, set[str]]:
    """``{package: {packages it imports}}`` over ``simulator/`` (top-level units)."""
    units = {_unit(p) for p in (REPO / "simulator").rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in sorted((REPO / "simulator").rglob("*.py")):
        src = _unit(path)
        if src in ("__init__", "__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for mod in _targets(node):
                parts = mod.split(".")
                if parts[0] == "simulator" and len(parts) > 1 and parts[1] in units - {src}:
                    edges.setdefault(src, set()).add(parts[1])
    return edges


def cycle_edges(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Edges ``(a, b)`` where ``b`` also reaches ``a``."""

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
        return False

    return {(a, b) for a, bs in edges.items() for b in bs if reaches(b, a)}


def render(edges: dict[str, set[str]]) -> str:
    cyc = cycle_edges(edges)
    lines = [BEGIN, "```mermaid", "flowchart TD"]
    for a in sorted(edges):
        for b in sorted(edges[a]):
            lines.append(f"    {a} {'-.->' if (a, b) in cyc else '-->'} {b}")
    lines.append("```")
    if cyc:
        pairs = ", ".join(f"`{a}` -> `{b}`" for a, b in sorted(cyc))
        lines.append(f"\nImports in a cycle (dotted; to be removed): {pairs}.")
    else:
        lines.append("\nNo import cycles.")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + render(import_edges()) + tail
    if "--check" in argv:
        return 0 if new == text else 1
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
