"""macrosim: a probabilistic macro scenario simulator for US Treasury yields.

Layers (imports point down only): ``cli`` -> ``api`` -> ``report`` -> ``engine`` ->
``model`` -> ``core`` -> ``data`` -> ``config``. See ``docs/model.md``.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # the version is read on first use: importlib.metadata costs ~50 ms at startup
    if name != "__version__":
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("macrosim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
