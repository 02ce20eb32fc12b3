"""How much the 10-year moves with the policy path: daily-change slopes on FOMC days.

Usage::

    .venv/bin/python benchmarks/passthrough.py [--data ../shared/data]

From the H.15 daily closes (DGS10, DGS2, DGS3MO) and the FOMC decision dates: OLS of the
10y's one-day change on the 2y's (and on the 3-month bill's) on decision days, with a
Newey-West (HAC, 1 lag) 90% interval, for 2015-2025 and by sub-period, and on all days
for comparison. A change is the decision day's close minus the previous close. Last
line::

    passthrough: data=<slope on decision days, 2015-2025> ci_lo=<> ci_hi=<> model=<>

The model's own slope needs a simulated 2-year, which the engine does not produce yet
(the fit of the 2-year is the open part of the policy-channel work), so ``model`` prints
``n/a`` rather than a number that would not be the model's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulator.data.loaders import load_series

REPO = Path(__file__).resolve().parents[1]
PERIODS = (
    ("2015-2025", "2015-01-01", "2025-12-31"),
    ("2015-2019", "2015-01-01", "2019-12-31"),
    ("2020-2025", "2020-01-01", "2025-12-31"),
)


def hac_slope(x: np.ndarray, y: np.ndarray, lags: int = 1) -> tuple[float, float, int]:
    """OLS slope of y on x (with intercept) and its Newey-West standard error."""
    design = np.column_stack([np.ones_like(x), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    u = y - design @ beta
    bread = np.linalg.inv(design.T @ design)
    scores = design * u[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        cross = scores[lag:].T @ scores[:-lag]
        meat += w * (cross + cross.T)
    cov = bread @ meat @ bread
    return float(beta[1]), float(np.sqrt(cov[1, 1])), x.size


def daily_changes(data: Path) -> pd.DataFrame:
    """One-day changes of the three closes on days all three are published."""
    closes = pd.concat([load_series(n, data) for n in ("dgs10", "dgs2", "dgs3mo")], axis=1)
    return closes.dropna().diff().dropna()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    changes = daily_changes(args.data)
    decisions = pd.DatetimeIndex(load_series("fomc", args.data).index)
    z = stats.norm.ppf(0.95)
    headline = (np.nan, np.nan, np.nan)
    print(f"{'sample':<24}{'regressor':<10}{'n':>5}{'slope':>8}{'90% HAC interval':>22}")
    for label, lo, hi in PERIODS:
        window = changes.loc[lo:hi]
        for name, rows in (
            ("FOMC days", window.loc[window.index.isin(decisions)]),
            ("all days", window),
        ):
            for reg in ("dgs2", "dgs3mo"):
                b, se, n = hac_slope(rows[reg].to_numpy(), rows["dgs10"].to_numpy())
                print(
                    f"{label + ' ' + name:<24}{reg:<10}{n:>5}{b:>8.2f}"
                    f"   [{b - z * se:5.2f}, {b + z * se:5.2f}]"
                )
                if (label, name, reg) == ("2015-2025", "FOMC days", "dgs2"):
                    headline = (b, b - z * se, b + z * se)
    print(
        f"passthrough: data={headline[0]:.2f} ci_lo={headline[1]:.2f} "
        f"ci_hi={headline[2]:.2f} model=n/a"
    )


if __name__ == "__main__":
    main()
