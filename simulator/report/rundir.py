"""Run folders: built as ROOT/<name>/.<run-id>.partial, renamed at the end, never overwritten.

On an error or Ctrl-C the partial folder (and a scenario folder left empty) is removed,
so a run folder either is complete or does not exist.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path


def new_run_id(seed: int, now: dt.datetime | None = None) -> str:
    """A sortable id: UTC time to the second plus the seed."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-s{seed}"


class run_folder:
    """A run folder built as ROOT/name/.<run-id>.partial and renamed on success.

    ``with`` yields the partial folder to write into. On success it is renamed to
    ROOT/name/<run-id> (a suffix is added rather than overwrite an existing folder) and
    :attr:`final` says where; on an error or Ctrl-C the partial folder, and the ``name``
    folder if this run created it and left it empty, are removed and the error propagates.

    Examples
    --------
    >>> import tempfile
    >>> rf = run_folder(Path(tempfile.mkdtemp()), "demo", "r1")
    >>> with rf as folder:
    ...     _ = (folder / "a.txt").write_text("x")
    >>> rf.final.name
    'r1'
    """

    def __init__(self, root: str | Path, name: str, run_id: str) -> None:
        self.parent = Path(root) / name
        self.run_id = run_id
        self.partial = self.parent / f".{run_id}.partial"
        self._final: Path | None = None
        self._created_parent = False

    def __enter__(self) -> Path:
        self._created_parent = not self.parent.exists()
        self.parent.mkdir(parents=True, exist_ok=True)
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir()
        return self.partial

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            shutil.rmtree(self.partial, ignore_errors=True)
            if self._created_parent and self.parent.exists() and not any(self.parent.iterdir()):
                self.parent.rmdir()
            return
        final = self.parent / self.run_id
        k = 1
        while final.exists():
            final = self.parent / f"{self.run_id}-{k}"
            k += 1
        os.replace(self.partial, final)
        self._final = final

    @property
    def final(self) -> Path:
        """Where the folder ended up (after a successful ``with``)."""
        if self._final is None:
            raise RuntimeError("the run folder is not complete")
        return self._final
