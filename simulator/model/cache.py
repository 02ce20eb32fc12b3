"""On-disk cache of posterior fits, keyed by everything that determines the posterior.

``$MACROSIM_CACHE`` (default: platformdirs' user cache directory for ``macrosim``, e.g.
``~/.cache/macrosim`` on Linux, ``~/Library/Caches/macrosim`` on macOS) holds
``fits/<key>/posterior.nc``.
The key is the sha256 of a canonical JSON document: the model version, the priors'
canonical JSON, the history's content, the fit window, the sampler settings and the
versions of pymc, pytensor, nutpie and numpy. The sampler's seed is derived from the key,
so a cached fit and a fresh one are the same posterior.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.config.schema import ENGINE_ONLY_BLOCKS, ENGINE_ONLY_PARAMETERS, PriorsFile

if TYPE_CHECKING:
    import arviz

__all__ = [
    "KEY_PACKAGES",
    "cache_dir",
    "fit_key",
    "history_sha256",
    "load_posterior",
    "package_versions",
    "priors_json",
    "store_posterior",
]

logger = logging.getLogger(__name__)

KEY_PACKAGES = ("pymc", "pytensor", "nutpie", "numpy")
POSTERIOR_FILE = "posterior.nc"


def cache_dir() -> Path:
    """The cache root: ``$MACROSIM_CACHE``, else platformdirs' user cache dir for macrosim."""
    env = os.environ.get("MACROSIM_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("macrosim", appauthor=False))


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape a posterior."""
    return {name: metadata.version(name) for name in KEY_PACKAGES}


def priors_json(priors: PriorsFile) -> str:
    """The priors' canonical JSON (sorted keys, no whitespace): comments do not count."""
    return json.dumps(priors.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def history_sha256(history: pd.DataFrame) -> str:
    """sha256 of a history's content: dates, column names and float64 values (NaN-exact).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"y10": [4.0]}, index=pd.DatetimeIndex(["2025-12-31"]))
    >>> len(history_sha256(h))
    64
    """
    digest = hashlib.sha256()
    index = pd.DatetimeIndex(history.index).as_unit("ns")
    digest.update(np.ascontiguousarray(index.asi8, dtype="<i8").tobytes())
    for column in history.columns:
        digest.update(str(column).encode())
        values = np.ascontiguousarray(history[column].to_numpy(dtype=np.float64), dtype="<f8")
        # one NaN bit pattern, so NaNs from different sources hash alike
        values = np.where(np.isnan(values), np.nan, values)
        digest.update(values.tobytes())
    return digest.hexdigest()


def _fitted_priors(priors: PriorsFile) -> dict:
    """The priors' JSON without what the fit does not see (the engine-only parameters and
    the FX seasonal tables): they neither change a fit's key (its seed) nor invalidate the
    fits cached before them."""
    document = json.loads(priors_json(priors))
    for name in ENGINE_ONLY_PARAMETERS:
        document["parameters"].pop(name, None)
    for key in ENGINE_ONLY_BLOCKS:
        document.pop(key, None)
    return document


def fit_key(
    *,
    model_version: str,
    priors: PriorsFile,
    history: pd.DataFrame,
    fit_start: str,
    fit_end: str,
    sampler: str,
    chains: int,
    draws: int,
    tune: int,
    versions: dict[str, str] | None = None,
) -> str:
    """The cache key of a fit: sha256 hex of the canonical JSON of all its inputs.

    Parameters
    ----------
    model_version : str
        :data:`simulator.model.statespace.MODEL_VERSION`.
    priors : PriorsFile
    history : pandas.DataFrame
        The monthly history as passed to the fit (already filtered for the as-of date).
    fit_start, fit_end : str
        The fit window, YYYY-MM.
    sampler : str
    chains, draws, tune : int
    versions : dict, optional
        Package versions (default: :func:`package_versions`).

    Returns
    -------
    str
        64 hex digits.
    """
    document = {
        "model_version": model_version,
        "priors": _fitted_priors(priors),
        "history_sha256": history_sha256(history),
        "fit_window": [fit_start, fit_end],
        "sampler": sampler,
        "chains": int(chains),
        "draws": int(draws),
        "tune": int(tune),
        "versions": versions if versions is not None else package_versions(),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


DRAWS_FILE = "draws.npz"
DIAGNOSTICS_FILE = "diagnostics.json"


def _entry(key: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "fits" / key


def load_posterior(key: str, root: Path | None = None) -> arviz.InferenceData | None:
    """The cached posterior for ``key``, or None when there is none."""
    path = _entry(key, root) / POSTERIOR_FILE
    if not path.is_file():
        return None
    import arviz as az

    logger.info("fit cache hit: %s", path)
    idata = az.from_netcdf(path, engine="h5netcdf")
    idata.load()
    return idata


def posterior_file(key: str, root: Path | None = None) -> Path:
    """Where the cached ``posterior.nc`` of ``key`` lives (it may not exist)."""
    return _entry(key, root) / POSTERIOR_FILE


def load_fast(key: str, root: Path | None = None) -> tuple[dict[str, np.ndarray], dict] | None:
    """The cached draws and diagnostics of ``key`` without ArviZ or PyMC, or None.

    A cached run needs only these (the engine's draws, summary.json's diagnostics), so it
    never imports the Bayesian stack; ``posterior.nc`` is copied into the run folder.
    """
    folder = _entry(key, root)
    draws_path, diag_path = folder / DRAWS_FILE, folder / DIAGNOSTICS_FILE
    if not (draws_path.is_file() and diag_path.is_file() and (folder / POSTERIOR_FILE).is_file()):
        return None
    with np.load(draws_path) as npz:
        values = {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}
    diag = json.loads(diag_path.read_text())
    logger.info("fit cache hit (fast path): %s", folder)
    return values, diag


def _write_atomic(folder: Path, name: str, write: Any) -> Path:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        final = folder / name
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return final


def store_fast(
    key: str, values: dict[str, np.ndarray], diagnostics: dict, root: Path | None = None
) -> None:
    """Write the draws (``draws.npz``) and diagnostics (``diagnostics.json``) of ``key``."""
    folder = _entry(key, root)
    folder.mkdir(parents=True, exist_ok=True)

    def _npz(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, **values)  # type: ignore[arg-type]

    _write_atomic(folder, DRAWS_FILE, _npz)
    _write_atomic(
        folder, DIAGNOSTICS_FILE, lambda tmp: tmp.write_text(json.dumps(diagnostics, indent=2))
    )


def store_posterior(key: str, idata: arviz.InferenceData, root: Path | None = None) -> Path:
    """Write ``posterior.nc`` for ``key`` atomically (a temporary file, then a rename)."""
    folder = _entry(key, root)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / POSTERIOR_FILE
    fd, tmp_name = tempfile.mkstemp(prefix=".posterior-", suffix=".nc.tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        idata.to_netcdf(str(tmp), engine="h5netcdf")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    logger.info("fit cached: %s", final)
    return final
