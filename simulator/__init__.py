"""macrosim: a probabilistic macro scenario simulator for US Treasury yields.

Layers (imports point down only): ``cli`` -> ``api`` -> ``report`` -> ``engine`` ->
``model`` -> ``core`` -> ``data`` -> ``config``. See ``docs/model.md``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("macrosim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
