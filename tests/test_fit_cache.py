"""The fit cache's fast path: draws and diagnostics without ArviZ, only beside posterior.nc."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.model import cache


def test_fast_path_round_trip_requires_the_posterior(tmp_path: Path) -> None:
    key = "k" * 64
    rng = np.random.default_rng(0)
    values = {"neutral_rate_pp": rng.normal(3, 0.1, 40), "mean_reversion_per_year": rng.random(40)}
    diag = {"r_hat_max": 1.002, "ess_bulk_min": 900.0, "divergences": 0}
    cache.store_fast(key, values, diag, tmp_path)
    # without the posterior itself the entry is incomplete: no fast hit
    assert cache.load_fast(key, tmp_path) is None
    cache.posterior_file(key, tmp_path).write_bytes(b"stand-in for posterior.nc")
    loaded = cache.load_fast(key, tmp_path)
    assert loaded is not None
    got_values, got_diag = loaded
    assert got_diag == diag
    assert set(got_values) == set(values)
    for name, v in values.items():
        np.testing.assert_array_equal(got_values[name], v)
    # nothing half-written is left behind by the atomic writes
    assert not [
        p for p in cache.posterior_file(key, tmp_path).parent.iterdir() if p.name.startswith(".")
    ]


def test_cache_dir_is_platformdirs_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    from simulator.model.cache import cache_dir

    monkeypatch.delenv("MACROSIM_CACHE", raising=False)
    assert cache_dir() == Path(platformdirs.user_cache_dir("macrosim", appauthor=False))
    monkeypatch.setenv("MACROSIM_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
