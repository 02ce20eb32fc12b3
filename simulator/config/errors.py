"""Configuration errors that name the file, line, column and key path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in a configuration file.

    ``line`` and ``column`` are 1-based; 0 means the position is unknown (for example a
    key that is missing, reported at its parent mapping).
    """

    file: str
    line: int
    column: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        key = f" {self.key_path}:" if self.key_path else ""
        return f"{where}:{key} {self.message}"


class ConfigError(Exception):
    """A configuration file (or several) is invalid. ``str()`` gives one line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def single(
        cls, file: str | Path, message: str, *, line: int = 0, column: int = 0, key_path: str = ""
    ) -> ConfigError:
        """Build an error with one problem."""
        return cls([Problem(str(file), line, column, key_path, message)])
