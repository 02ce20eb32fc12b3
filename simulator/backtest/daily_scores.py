"""Scores of what users read, on daily closes: touch events and hold returns (docs/backtest.md).

For each origin (as-of ``t0``, the month's last business day) and horizon h:

- **touch**: the engine's P(the 10y closes at or beyond ``y0 + offset`` on some business
  day by the end of month t0 + h) for offsets -100, -50, +50bp (the scenario's levels),
  against the H.15 daily closes (:func:`simulator.backtest.outcomes.touch_outcomes`) and
  the random walk's closed-form touch probability with the BGK discrete-monitoring
  correction at the same trailing volatility;
- **returns**: the USD total return of a par 10-year bought at the origin close and held
  to the window's last close (:mod:`simulator.backtest.outcomes`): the engine's month-end
  10y paths through the bond maths, coupons reinvested at the origin's 3-month bill;
  realised from the daily closes with coupons reinvested at the realised bill; the random
  walk on the yield through the same maths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.backtest import scores as sc
from simulator.backtest.origin import OriginForecast
from simulator.backtest.outcomes import (
    hold_exit_date,
    model_hold_returns,
    realised_hold_return,
    rw_hold_returns,
    rw_touch_probability,
    touch_outcomes,
)
from simulator.backtest.scenario import TOUCH_OFFSETS_PP

__all__ = ["offset_key", "return_table", "score_daily", "touch_table"]


def offset_key(offset_pp: float) -> str:
    """backtest.json's key of a touch offset: "-100", "-50", "+50" (bp)."""
    return f"{round(100 * offset_pp):+d}".replace("+-", "-")


def touch_table(
    results: Sequence[OriginForecast], closes: pd.Series, horizons: Sequence[int]
) -> pd.DataFrame:
    """One row per (origin, offset, horizon): model and random-walk probabilities, outcome."""
    rows = []
    offsets = TOUCH_OFFSETS_PP
    for fc in results:
        assert fc.as_of is not None
        outcome = touch_outcomes(closes, fc.as_of, fc.y0, offsets, horizons)
        for j, h in enumerate(horizons):
            n_days = fc.month_end_bdays[h - 1]  # closes in the window (the daily grid's)
            for i, off in enumerate(offsets):
                rows.append(
                    {
                        "origin": f"{fc.origin:%Y-%m}",
                        "offset_bp": offset_key(off),
                        "horizon": h,
                        "prob": float(fc.touch[i, h - 1]),
                        "prob_rw": float(rw_touch_probability(fc.y0, fc.rw_sd, off, h, n_days)),
                        "outcome": float(outcome[i, j]),
                    }
                )
    return pd.DataFrame(rows)


def return_table(
    results: Sequence[OriginForecast],
    closes: pd.Series,
    bill: pd.Series,
    horizons: Sequence[int],
) -> tuple[pd.DataFrame, dict[int, tuple[list[np.ndarray], list[np.ndarray]]]]:
    """Realised hold returns per (origin, horizon), with the model's and the walk's samples.

    Returns the table (origin, horizon, realised, model median, random-walk median) and,
    per horizon, the lists of model and random-walk samples in the table's row order.
    """
    rows = []
    samples: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {h: ([], []) for h in horizons}
    for fc in results:
        assert fc.as_of is not None
        for h in horizons:
            exit_date = hold_exit_date(closes, fc.as_of, h)
            if exit_date is None:
                continue
            realised = realised_hold_return(closes, bill, fc.as_of, h)
            model = model_hold_returns(fc.y0, fc.paths[:, h - 1], fc.as_of, exit_date, fc.bill_pp)
            walk = rw_hold_returns(fc.y0, fc.rw_sd, h, fc.as_of, exit_date, fc.bill_pp)
            samples[h][0].append(model)
            samples[h][1].append(walk)
            rows.append(
                {
                    "origin": f"{fc.origin:%Y-%m}",
                    "horizon": h,
                    "realised": realised,
                    "median": float(np.median(model)),
                    "median_rw": float(np.median(walk)),
                }
            )
    return pd.DataFrame(
        rows, columns=["origin", "horizon", "realised", "median", "median_rw"]
    ), samples


def score_daily(
    touches: pd.DataFrame,
    returns: pd.DataFrame,
    samples: dict[int, tuple[list[np.ndarray], list[np.ndarray]]],
    horizons: Sequence[int],
) -> dict[str, Any]:
    """backtest.json's ``touch[offset][h]`` and ``returns[h]`` blocks."""
    touch: dict[str, Any] = {}
    for off in TOUCH_OFFSETS_PP:
        key = offset_key(off)
        touch[key] = {}
        for h in horizons:
            t = touches[(touches["offset_bp"] == key) & (touches["horizon"] == h)]
            s = sc.touch_scores(t["prob"], t["outcome"], t["prob_rw"], horizon=h)
            touch[key][str(h)] = s
    out_returns: dict[str, Any] = {}
    for h in horizons:
        r = returns[returns["horizon"] == h]
        model, walk = samples[h]
        out_returns[str(h)] = sc.return_scores(model, r["realised"].to_numpy(), walk, horizon=h)
    return {"touch": touch, "returns": out_returns}
