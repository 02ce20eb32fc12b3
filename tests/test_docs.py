"""The docs that are drawn from the code stay in step with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_architecture_import_graph_is_current() -> None:
    script = REPO / "docs" / "architecture_graph.py"
    res = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert res.returncode == 0, f"docs/architecture.md is stale: run python {script.name}"


def test_import_graph_sees_lazy_imports() -> None:
    """An import inside a function is an edge too (the graph is not only module tops)."""
    sys.path.insert(0, str(REPO / "docs"))
    try:
        import architecture_graph as graph
    finally:
        sys.path.pop(0)
    edges = graph.import_edges()
    # cli imports api only inside its commands (to keep --help fast)
    assert "api" in edges["cli"]
    assert graph.cycle_edges({"a": {"b"}, "b": {"a", "c"}, "c": set()}) == {("a", "b"), ("b", "a")}
