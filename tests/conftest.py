"""Shared test fixtures and paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The history folder (``$DATA``, default ``../shared/data``); skip if absent."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"history folder {DATA_DIR} not found (set DATA=...)")
    return DATA_DIR
