"""How much the 10-year moves with the policy path: daily-change slopes on FOMC days.

Usage::

    .venv/bin/python benchmarks/passthrough.py [--data ../shared/data] [--calibrate]

**Data.** From the H.15 daily closes (DGS10, DGS2, DGS3MO) and the FOMC decision dates:
OLS of the 10y's one-day change on the 2y's (and on the 3-month bill's) on decision days,
with a Newey-West (HAC, 1 lag) 90% interval, for 2015-2025 and by sub-period, and on all
days for comparison. A change is the decision day's close minus the previous close.

**Model.** The engine on the baseline scenario (its priors, one block of 8192 paths, every
path kept): on each 2026 decision day, the 10y's one-day change and the 2y's over paths,
pooled over the meetings; OLS slope with its standard error. ``--calibrate`` repeats this
with the policy-news loading lambda (``neutral_rate_news_loading``) fixed on a grid and
solves slope(lambda) = the data's slope and its interval's ends (linear interpolation),
the calibration behind the priors files' lambda (docs/model.md, "Policy news"). Last line::

    passthrough: data=<slope on decision days, 2015-2025> ci_lo=<> ci_hi=<> model=<>
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulator import api
from simulator.data.loaders import load_series
from simulator.model.draws import ParameterDraws

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "baseline.yaml"
LOADING = "neutral_rate_news_loading"
LAMBDA_GRID = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
MODEL_PATHS = 8192  # one block, every path kept as a sample path
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


def decision_day_changes(
    lam: float | None, *, paths: int = MODEL_PATHS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's one-day changes of the 10y and the 2y on each remaining decision day.

    ``lam`` fixes the policy-news loading on every parameter draw (None: the priors').
    Returns two arrays (paths x meetings), pp.
    """
    sc = api.load_scenario(SCENARIO)
    draws = api.parameter_draws(sc, seed)
    if lam is not None:
        values = dict(draws.values)
        values[LOADING] = np.full(draws.n, float(lam))
        draws = ParameterDraws(values=values, source=draws.source, meta=draws.meta)
    ds = api.run(sc, paths=paths, seed=seed, draws=draws, sample_paths=paths).dataset
    dates = ds["date"].values
    decided = [d for d in ds["meeting"].values if dates[0] < d <= dates[-1]]
    at = np.searchsorted(dates, np.array(decided, dtype=dates.dtype))
    y10, y2 = ds["y10_paths"].values, ds["y2_paths"].values
    return y10[:, at] - y10[:, at - 1], y2[:, at] - y2[:, at - 1]


def model_slope(lam: float | None, **kw: int) -> tuple[float, float]:
    """Pooled OLS slope of the 10y's decision-day change on the 2y's, and its s.e."""
    d10, d2 = decision_day_changes(lam, **kw)
    b, se, _ = hac_slope(d2.ravel(), d10.ravel(), lags=0)
    return b, se


def calibrate(targets: dict[str, float]) -> dict[str, float]:
    """lambda at which the model's slope equals each target (linear interpolation)."""
    slopes = []
    print(f"{'lambda':>8}{'model slope':>13}{'s.e.':>8}")
    for lam in LAMBDA_GRID:
        b, se = model_slope(lam)
        slopes.append(b)
        print(f"{lam:>8.2f}{b:>13.3f}{se:>8.3f}")
    grid, fitted = np.array(LAMBDA_GRID), np.array(slopes)
    if np.any(np.diff(fitted) <= 0):
        raise SystemExit("the model's slope does not rise with lambda: no calibration")
    out = {
        k: float(np.interp(v, fitted, grid, left=np.nan, right=np.nan)) for k, v in targets.items()
    }
    print("lambda matching: " + ", ".join(f"{k} {v:.3f}" for k, v in out.items()))
    return out


def data_table(data: Path) -> tuple[float, float, float]:
    """Print the data's slopes; return the 2015-2025 decision-day slope and its 90% CI."""
    changes = daily_changes(data)
    decisions = pd.DatetimeIndex(load_series("fomc", data).index)
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
    return headline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--calibrate", action="store_true", help="solve for lambda on a grid")
    args = ap.parse_args()
    data, lo, hi = data_table(args.data)
    if args.calibrate:
        calibrate({"data": data, "ci_lo": lo, "ci_hi": hi})
    b, se = model_slope(None)
    print(f"model (baseline, priors' lambda): slope {b:.3f} (s.e. {se:.3f})")
    print(f"passthrough: data={data:.2f} ci_lo={lo:.2f} ci_hi={hi:.2f} model={b:.2f}")


if __name__ == "__main__":
    main()
