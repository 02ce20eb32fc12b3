"""CSV tables of a run, for spreadsheets: entry returns, touch curves, cuts, moves, fan.

All files are plain CSV with a header row, ``.`` decimals, ISO dates, and the same
units as ``results.nc`` (yields and rates in %, probabilities and returns as fractions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from simulator.report.summary import hedged_entry_returns

__all__ = ["TABLES", "write_tables"]

#: File names written by :func:`write_tables`.
TABLES = (
    "entry_returns.csv",
    "p_touch.csv",
    "cut_counts.csv",
    "move_probabilities.csv",
    "fan.csv",
)


def _iso(values: np.ndarray) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in pd.DatetimeIndex(values)]


def _entry_returns(ds: xr.Dataset) -> pd.DataFrame:
    """Long: currency, entry_month, stat, value."""
    da = hedged_entry_returns(ds).transpose("currency", "entry_month", "stat")
    idx = pd.MultiIndex.from_product(
        [[str(v) for v in da[d].values] for d in da.dims], names=list(da.dims)
    )
    return pd.DataFrame({"value": da.values.ravel()}, index=idx).reset_index()


def _p_touch(ds: xr.Dataset) -> pd.DataFrame:
    """Long: level, date, p_touch, p_touch_se."""
    rows = []
    dates = _iso(ds["date"].values)
    for i, lev in enumerate(ds["level"].values):
        rows.append(
            pd.DataFrame(
                {
                    "level": float(lev),
                    "date": dates,
                    "p_touch": ds["p_touch"].isel(level=i).values,
                    "p_touch_se": ds["p_touch_se"].isel(level=i).values,
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["level", "date", "p_touch", "p_touch_se"])
    return pd.concat(rows, ignore_index=True)


def _cut_counts(ds: xr.Dataset) -> pd.DataFrame:
    """Wide by cut_count: P under each belief, share of paths, P(touch | count) per level."""
    df = pd.DataFrame({"cut_count": ds["cut_count"].values.astype(int)})
    for b in ds["belief"].values:
        df[str(b)] = ds["cut_count_prob"].sel(belief=b).values
    if "cut_count_paths" in ds:
        df["share_of_paths"] = ds["cut_count_paths"].values
    if "p_touch_by_cuts" in ds:
        for i, lev in enumerate(ds["level"].values):
            df[f"p_touch_{float(lev):g}"] = ds["p_touch_by_cuts"].isel(level=i).values
    return df


def _moves(ds: xr.Dataset) -> pd.DataFrame:
    """Long: meeting, move_bp, view, market."""
    meetings = _iso(ds["meeting"].values)
    moves = ds["move_bp"].values.astype(int)
    df = pd.DataFrame(
        {
            "meeting": np.repeat(meetings, len(moves)),
            "move_bp": np.tile(moves, len(meetings)),
            "view": ds["move_prob"].transpose("meeting", "move_bp").values.ravel(),
        }
    )
    if "market_move_prob" in ds:
        df["market"] = ds["market_move_prob"].transpose("meeting", "move_bp").values.ravel()
    return df


def _fan(ds: xr.Dataset) -> pd.DataFrame:
    """Wide by date: 10y quantiles ``q0.05`` ... and the mean, in %."""
    df = pd.DataFrame({"date": _iso(ds["date"].values)})
    y = ds["y10"].transpose("date", "quantile")
    for j, q in enumerate(ds["quantile"].values):
        df[f"q{float(q):g}"] = y.values[:, j]
    df["mean"] = ds["y10_mean"].values
    return df


def write_tables(ds: xr.Dataset, folder: str | Path) -> list[Path]:
    """Write the run's CSV tables into ``folder`` (created if needed); return the paths.

    Files: ``entry_returns.csv`` (long: currency, entry_month, stat, value; returns as
    fractions, ``breakeven_yield`` in %), ``p_touch.csv`` (level, date, p_touch,
    p_touch_se), ``cut_counts.csv`` (cut_count, one column per belief, share_of_paths,
    p_touch_<level>), ``move_probabilities.csv`` (meeting, move_bp, view, market) and
    ``fan.csv`` (date, one column per 10y quantile, mean; in %).

    Examples
    --------
    >>> paths = write_tables(ds, "outputs/baseline/run")  # doctest: +SKIP
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "entry_returns.csv": _entry_returns(ds),
        "p_touch.csv": _p_touch(ds),
        "cut_counts.csv": _cut_counts(ds),
        "move_probabilities.csv": _moves(ds),
        "fan.csv": _fan(ds),
    }
    out = []
    for name, df in frames.items():
        path = folder / name
        df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
        out.append(path)
    return out
