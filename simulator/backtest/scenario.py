"""A backtest origin as a scenario file: what a strategist would have written that day.

At each origin the backtest writes a real scenario (``scenario.yaml``) and the origin's
posterior in the calibrated-priors format (``priors.yaml``), then runs them through
:func:`simulator.api.run`, the entry point of ``macrosim run``. So the backtest scores the
engine users run, and any kept origin reruns offline with ``macrosim run
origins/<YYYY-MM>/scenario.yaml`` to the same numbers.

The scenario (docs/backtest.md, "The model being tested"):

- ``as_of``: the origin month's last business day (its Treasury close is public that
  afternoon); the window runs from the next day to the end of the twelfth month after;
- ``snapshot``: the 10y close, the policy rate (target range, or the effective rate
  +-12.5bp before the range existed in December 2008), the last core PCE print and ACM
  term premium public on the as-of, from the data folder;
- ``view``: the mechanical cut-count beliefs (:mod:`simulator.backtest.beliefs`), equal
  meeting weights, at most three moves a meeting; ``market`` omitted, so the market prices
  the view; no events, no drift;
- ``hedging``: the USD bill spread at the as-of (3-month bill minus the policy rate);
- ``levels_pp``: the origin close -100bp, -50bp and +50bp (the scored touch events);
- ``simulation``: daily grid, the paths and the origin's seed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.core.policy import CutBeliefs

__all__ = ["TOUCH_OFFSETS_PP", "OriginSnapshot", "origin_scenario_text", "touch_levels"]

TOUCH_OFFSETS_PP: tuple[float, ...] = (-1.0, -0.5, 0.5)
"""The scored touch events: the origin close plus these offsets, in pp."""

PRE_RANGE_HALF_WIDTH_PP = 0.125
"""Half-width given to the single pre-2008 target (the effective rate) to form a range."""


@dataclass(frozen=True)
class OriginSnapshot:
    """The market at an origin's as-of date, as public then (rates in %)."""

    as_of: pd.Timestamp
    y10: float
    y10_date: pd.Timestamp
    y2: float | None
    y2_date: pd.Timestamp | None
    target_lower: float
    target_upper: float
    target_date: pd.Timestamp
    target_source: str
    core_pce_yoy: float
    core_pce_month: str
    acm_tp: float | None
    acm_tp_date: pd.Timestamp | None
    bill_spread_pp: float

    @property
    def policy_rate(self) -> float:
        """Target-range midpoint, %."""
        return 0.5 * (self.target_lower + self.target_upper)


def touch_levels(y0: float, offsets: Sequence[float] = TOUCH_OFFSETS_PP) -> list[float]:
    """The scenario's levels of interest: the origin close plus each offset, %."""
    return [round(y0 + o, 6) for o in offsets]


def _num(x: float) -> str:
    """A float written so that YAML reads back the same float (repr round-trips)."""
    return repr(float(x))


def _sourced(value: float, source: str, date: pd.Timestamp | str) -> str:
    day = pd.Timestamp(date).date().isoformat() if not isinstance(date, str) else date
    return f"{{value: {_num(value)}, source: {json.dumps(source)}, date: {day}}}"


def _window(as_of: pd.Timestamp, months: int) -> tuple[str, str]:
    end = (as_of.to_period("M") + months).to_timestamp(how="end").normalize()
    return (as_of + pd.Timedelta(days=1)).date().isoformat(), end.date().isoformat()


def origin_scenario_text(
    snap: OriginSnapshot,
    beliefs: CutBeliefs,
    *,
    name: str,
    paths: int,
    seed: int,
    months: int = 12,
    priors_file: str = "priors.yaml",
    note: str = "",
) -> str:
    """The scenario YAML of one origin (module docstring); it validates as written.

    Parameters
    ----------
    snap : OriginSnapshot
    beliefs : CutBeliefs
        The mechanical beliefs: counts, probabilities and ``max_per_meeting`` are used
        (weights are equal, the schema's default).
    name : str
        Scenario name (``origin-YYYY-MM``).
    paths, seed : int
        The ``simulation`` block: a rerun of the file reproduces the kept run.
    months : int
        Window length after the as-of month.
    priors_file : str
        The priors file, relative to the scenario file.
    note : str
        Extra text for the description (e.g. the belief rule's expected change).
    """
    start, end = _window(snap.as_of, months)
    as_of = snap.as_of.date().isoformat()
    counts = {int(k): float(p) for k, p in zip(beliefs.counts, beliefs.probs, strict=True)}
    cut_count = ", ".join(f"{k}: {_num(p)}" for k, p in counts.items() if p > 0.0)
    lines = [
        "kind: scenario",
        f"name: {name}",
        "description: "
        + json.dumps(
            f"Backtest origin {snap.as_of:%Y-%m} (as of {as_of}): mechanical cut-count "
            f"beliefs as view = market, no events. {note}".strip()
        ),
        f"as_of: {as_of}",
        f"window: {{start: {start}, end: {end}}}",
        f"priors: {priors_file}",
        "snapshot:",
        "  y10_pp: " + _sourced(snap.y10, "DGS10 close (Treasury par curve)", snap.y10_date),
    ]
    if snap.y2 is not None and snap.y2_date is not None:
        lines.append(
            "  y2_pp: " + _sourced(snap.y2, "DGS2 close (Treasury par curve)", snap.y2_date)
        )
    lines += [
        "  target_range:",
        f"    lower_pp: {_num(snap.target_lower)}",
        f"    upper_pp: {_num(snap.target_upper)}",
        f"    source: {json.dumps(snap.target_source)}",
        f"    date: {snap.target_date.date().isoformat()}",
        "  core_pce_yoy_pp: "
        + _sourced(snap.core_pce_yoy, "BEA core PCE y/y, last public print", _month_end(snap)),
    ]
    if snap.acm_tp is not None and snap.acm_tp_date is not None:
        lines.append(
            "  term_premium_pp: " + _sourced(snap.acm_tp, "NY Fed ACM ACMTP10", snap.acm_tp_date)
        )
    lines += [
        "view:",
        f"  cut_count: {{{cut_count}}}",
        f"  max_moves_per_meeting: {int(beliefs.max_per_meeting)}",
        "hedging:",
        f"  usd_bill_spread_pp: {_num(np.clip(snap.bill_spread_pp, -2.0, 2.0))}",
        "levels_pp: [" + ", ".join(_num(v) for v in touch_levels(snap.y10)) + "]",
        f"simulation: {{grid: daily, paths: {int(paths)}, seed: {int(seed)}}}",
    ]
    return "\n".join(lines) + "\n"


def _month_end(snap: OriginSnapshot) -> str:
    return pd.Period(snap.core_pce_month, "M").to_timestamp(how="end").date().isoformat()
