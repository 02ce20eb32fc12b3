"""Configuration: the pydantic schema of priors and scenario files, and located errors.

The names below load on first use (PEP 562), so importing :mod:`simulator.config.errors`
(as the CLI does for ``macrosim --help``) does not build the pydantic schema.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.config.errors import ConfigError, Problem
    from simulator.config.loader import (
        Loaded,
        check_files,
        json_schema,
        json_schema_text,
        load_priors,
        load_scenario_file,
    )
    from simulator.config.schema import PARAMETERS, PriorsFile, Scenario

_WHERE = {
    "ConfigError": "errors",
    "Problem": "errors",
    "Loaded": "loader",
    "check_files": "loader",
    "json_schema": "loader",
    "json_schema_text": "loader",
    "load_priors": "loader",
    "load_scenario_file": "loader",
    "PARAMETERS": "schema",
    "PriorsFile": "schema",
    "Scenario": "schema",
}

__all__ = [
    "PARAMETERS",
    "ConfigError",
    "Loaded",
    "PriorsFile",
    "Problem",
    "Scenario",
    "check_files",
    "json_schema",
    "json_schema_text",
    "load_priors",
    "load_scenario_file",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'simulator.config' has no attribute {name!r}")
    value = getattr(import_module(f"simulator.config.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
