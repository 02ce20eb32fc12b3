"""Configuration: the pydantic schema of priors and scenario files, and located errors."""

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
