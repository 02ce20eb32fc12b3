"""Rolling-origin backtest of the monthly model against the month-end 10y close (issue #6).

Layering: this package sits beside :mod:`simulator.engine`, above :mod:`simulator.model`
and :mod:`simulator.core`. Importing it never imports PyMC; the NUTS refit mode imports
it inside :func:`simulator.backtest.run.run_backtest` only when asked for.
"""

from __future__ import annotations

from simulator.backtest.run import BacktestResult, ForecastOptions, run_backtest

__all__ = ["BacktestResult", "ForecastOptions", "run_backtest"]
