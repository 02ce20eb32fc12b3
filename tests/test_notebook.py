"""examples/quickstart.ipynb runs top to bottom (nbclient, a python3 kernel of this venv)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_quickstart_notebook_runs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" is ipykernel's own kernel spec (installed with it, in this environment's
    # prefix); jupyter_client starts it with this interpreter
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the cell's traceback, if a cell fails
    text = "\n".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
    )
    assert "P(10y touches 3.5%" in text
    assert "median 10y at year end" in text
    assert "overrides: events[3].size_bp" in text
    assert "more-cuts: P(touch 3.5%)" in text
