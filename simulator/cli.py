"""The ``macrosim`` command line: parse, call :mod:`simulator.api`, print, exit.

Exit codes: 0 ok, 2 bad input, 3 diagnostics failed under ``--strict``, 1 other.
No maths here. Heavy imports (PyMC, xarray, matplotlib) happen inside commands so that
``--help`` stays instant.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator import __version__
from simulator.config.errors import ConfigError

EXIT_OK, EXIT_OTHER, EXIT_BAD_INPUT, EXIT_DIAGNOSTICS = 0, 1, 2, 3

app = typer.Typer(
    name="macrosim",
    help=(
        "Probabilistic macro scenarios for US Treasury yields: P(10y touches a level) and "
        "the hedged return of buying the 10-year by entry month."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
_state = {"debug": False}


class BadInput(Exception):
    """A user error that is not a config file problem (exit 2, message only)."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"macrosim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logging.")
    ] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def check(
    files: Annotated[
        list[Path], typer.Argument(help="Priors and scenario YAML files to validate.")
    ],
) -> None:
    """Validate priors and scenario files: one line per problem, exit 0 or 2."""
    from simulator.config import check_files

    problems = check_files(files)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"ok: {len(files)} file(s) valid")


@app.command()
def schema() -> None:
    """Print the JSON Schema of priors and scenario files (for editors)."""
    from simulator.config import json_schema_text

    sys.stdout.write(json_schema_text())


def main() -> None:
    """Console entry point: map known errors to exit codes and one clean message."""
    try:
        code = app(standalone_mode=False)
    except ConfigError as exc:
        _fail(exc, EXIT_BAD_INPUT)
    except BadInput as exc:
        _fail(exc, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(EXIT_OTHER)
    except Exception as exc:
        # typer vendors click: recognise its usage errors by their interface
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            usage = any(c.__name__ == "UsageError" for c in type(exc).__mro__)
            sys.exit(EXIT_BAD_INPUT if usage else EXIT_OTHER)
        _fail(exc, EXIT_OTHER, prefix=f"error ({type(exc).__name__}): ")
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _fail(exc: BaseException, code: int, prefix: str = "") -> None:
    if _state["debug"]:
        import traceback

        traceback.print_exception(exc)
    typer.echo(f"{prefix}{exc}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
