"""Run folders: built as ROOT/<name>/.<run-id>.partial, renamed at the end, never overwritten.

On an error or Ctrl-C the partial folder (and a scenario folder left empty) is removed,
so a run folder either is complete or does not exist.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def new_run_id(seed: int, now: dt.datetime | None = None) -> str:
    """A sortable id: UTC time to the second plus the seed."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-s{seed}"


@contextmanager
def run_folder(root: Path, name: str, run_id: str) -> Iterator[Path]:
    """Yield a partial folder; on success rename it to ROOT/name/run-id (a fresh name).

    Raises
    ------
    FileExistsError
        Never silently: if the final name exists a suffix is added instead.
    """
    parent = Path(root) / name
    created_parent = not parent.exists()
    parent.mkdir(parents=True, exist_ok=True)
    partial = parent / f".{run_id}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        if created_parent and parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
        raise
    final = parent / run_id
    k = 1
    while final.exists():
        final = parent / f"{run_id}-{k}"
        k += 1
    os.replace(partial, final)
    _last_final[str(partial)] = final


_last_final: dict[str, Path] = {}


def final_path(partial: Path) -> Path:
    """Where a partial folder ended up after :func:`run_folder` closed."""
    return _last_final[str(partial)]
