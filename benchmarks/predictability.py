"""How much can any forecast of the month-end 10y beat the random walk? (issue #6)

Out-of-sample, on the origins of the backtest (2000-01..2024-12 month ends), with the
random walk's own Gaussian spread (RMS of the trailing 120 monthly changes x sqrt(h)):

1. spread variants: trailing 36/60/120 months, EWMA (lambda 0.97);
2. mean variants: the random walk plus an expanding-window OLS forecast of the h-month
   change from one predictor known at the origin (slope 10y-2y, 10y-policy, 2y-policy,
   ACM term premium, 12-month momentum, 10y minus its 60-month mean), fitted on
   1977..origin-h;
3. ACM reversion: the 10y minus (1 - phi^h) (ACM - its mean over the last L months, or
   since 1990).

Prints CRPS ratios to the random walk (< 1: better). The model's 12-month target in the
issue is 0.95.

    .venv/bin/python benchmarks/predictability.py [--data DIR]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scoringrules import crps_normal

from simulator.data.history import monthly_history
from simulator.data.loaders import load_series

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DATA", REPO.parent / "shared" / "data"))
HORIZONS = (1, 3, 6, 12)


def _history(data: Path) -> pd.DataFrame:
    last = pd.Timestamp(load_series("dgs10", data).dropna().index[-1])
    hist = monthly_history(data, last + pd.Timedelta(days=1), start="1962-01")
    y2 = load_series("dgs2", data).dropna()
    y2 = y2.groupby(pd.DatetimeIndex(y2.index).to_period("M")).last()
    hist["y2"] = y2.reindex(pd.DatetimeIndex(hist.index).to_period("M")).to_numpy()
    return hist


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    h = _history(args.data)
    y = h["y10"]
    dy = y.diff()
    origins = [h.index.get_loc(o) for o in h.loc["2000-01":"2024-12"].index]

    Spread = Callable[[np.ndarray], float]

    def score(hor: int, mean: Callable[[int], float], spread: Spread) -> float:
        out = []
        for i in origins:
            if i + hor >= len(y):
                continue
            past = dy.iloc[: i + 1].dropna().to_numpy()
            out.append(crps_normal(y.iloc[i + hor], mean(i), spread(past) * np.sqrt(hor)))
        return float(np.mean(out))

    def rms(n: int) -> Callable[[np.ndarray], float]:
        return lambda d: float(np.sqrt(np.mean(d[-n:] ** 2)))

    def ewma(d: np.ndarray) -> float:
        w = 0.97 ** np.arange(d.size)[::-1]
        return float(np.sqrt(np.sum(w * d**2) / np.sum(w)))

    predictors = {
        "slope 10y-2y": h.y10 - h.y2,
        "10y-policy": h.y10 - h.policy_rate,
        "2y-policy": h.y2 - h.policy_rate,
        "ACM level": h.acm_tp,
        "momentum 12m": h.y10 - h.y10.shift(12),
        "10y - 60m mean": h.y10 - h.y10.rolling(60).mean(),
    }
    for hor in HORIZONS:
        base = score(hor, lambda i: float(y.iloc[i]), rms(120))
        print(f"h={hor:2d}  random walk CRPS {base:.4f}")
        for name, spread in (("rms 36", rms(36)), ("rms 60", rms(60)), ("ewma .97", ewma)):
            r = score(hor, lambda i: float(y.iloc[i]), spread) / base
            print(f"      spread {name:16s} {r:.3f}")
        fwd = y.shift(-hor) - y
        for name, x in predictors.items():

            def ols(i: int, x: pd.Series = x, fwd: pd.Series = fwd, hor: int = hor) -> float:
                train = pd.concat([x, fwd], axis=1).iloc[: i + 1 - hor].dropna().loc["1977":]
                b = np.polyfit(train.iloc[:, 0], train.iloc[:, 1], 1)
                return float(y.iloc[i] + np.polyval(b, x.iloc[i]))

            print(f"      mean + {name:14s} {score(hor, ols, rms(120)) / base:.3f}")
        for window in (None, 60, 120):
            for phi in (0.97, 0.99):

                def rev(
                    i: int, window: int | None = window, phi: float = phi, hor: int = hor
                ) -> float:
                    a = h.acm_tp.iloc[: i + 1]
                    m = a.loc["1990":].mean() if window is None else a.iloc[-window:].mean()
                    return float(y.iloc[i] - (1 - phi**hor) * (a.iloc[-1] - m))

                mean_of = "1990+" if window is None else f"{window}m"
                label = f"ACM reversion phi {phi} to {mean_of} mean"
                print(f"      {label:31s} {score(hor, rev, rms(120)) / base:.3f}")


if __name__ == "__main__":
    main()
