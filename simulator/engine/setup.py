"""From a validated scenario to a :class:`SimSpec`: everything fixed before paths are drawn.

Grids, meeting schedules, the market's move table (computed once per scenario),
belief updates on moves already observed, hedging schedules and per-component event and
drift inputs. Nothing here is random.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.config.loader import Loaded
from simulator.config.schema import (
    CURRENCIES,
    MONTHS,
    CutView,
    Event,
    FxSeasonal,
    MixtureComponent,
    Scenario,
)
from simulator.core import policy
from simulator.core.bonds import holding_coupon_dates
from simulator.core.expectations import TWO_YEAR_MONTHS, meeting_counts, months_inside
from simulator.core.strategies import EntrySchedule
from simulator.core.term_premium import seasonal_drift, spread_monthly_drift
from simulator.data.calendar import business_days, fomc_decisions, next_business_day
from simulator.model.draws import ParameterDraws

BLOCK_SIZE = 8192
DAYS_PER_YEAR = 365.25
# Component streams of a block (docs/engine.md), plus the parameter-draw index.
STREAM_POLICY, STREAM_INFLATION, STREAM_TP, STREAM_EVENTS, STREAM_MIXTURE, STREAM_PARAMS = range(6)
STREAM_LEVELS = 6  # random walks of the neutral rate and the term-premium mean
STREAM_FX = 7  # the FX legs' own shocks (drawn only when the scenario has an fx block)
FX_ORDER = CURRENCIES  # fx legs are simulated in this order (a subset of it)


class SetupError(ValueError):
    """A scenario that validates but cannot be simulated; carries a located message."""


@dataclass(frozen=True)
class EventSpec:
    """A term-premium event on the business-day index (0 = as-of)."""

    name: str
    probability: float
    onset_lo: int
    onset_hi: int
    size_pp: float
    half_life_bdays: float | None


@dataclass(frozen=True)
class ComponentSpec:
    """One mixture component (a plain scenario has one, of weight 1)."""

    name: str
    weight: float
    view_prior: policy.CutBeliefs
    view: policy.CutBeliefs
    events: tuple[EventSpec, ...]
    drift_pp: np.ndarray  # (G,) cumulative seasonal drift at grid dates
    neutral_shift_pp: float
    tp_mean_shift_pp: float
    inflation_gap_shift_pp: float


@dataclass
class SimSpec:
    """Everything the block simulator needs; built once per scenario."""

    name: str
    as_of: dt.date
    horizon: dt.date
    window_start: dt.date
    window_end: dt.date
    grid: np.ndarray  # (G,) datetime64[D], grid[0] = as-of
    grid_bday: np.ndarray  # (G,) business-day index from the as-of
    step_bdays: np.ndarray  # (G-1,) business days per step (>= 1)
    years_to_end: np.ndarray  # (G,) years from each grid date to the window end
    meeting_dates: np.ndarray  # (J,) remaining decision dates
    meeting_effective: np.ndarray  # (J,) next business day after each decision
    decide_at: np.ndarray  # (J,) grid index at which each remaining decision is known
    effective_at: np.ndarray  # (J,) grid index at which it changes the policy rate
    years_to_meeting: np.ndarray  # (G, J) effective date minus grid date, years
    all_meetings: np.ndarray  # (J_all,) all decision dates in the window
    observed_moves_cuts: tuple[int, ...]  # signed cuts at the window's decided meetings
    month_end_at: np.ndarray  # grid indices where the inflation gap steps
    market: policy.CutBeliefs
    market_table: policy.MoveTable
    components: tuple[ComponentSpec, ...]
    rate0_pp: float
    y10_0_pp: float
    gap0_pp: float
    levels: np.ndarray  # (L,)
    level_dir: np.ndarray  # (L,) -1 for a level below the start, +1 above
    observed_touched: np.ndarray  # (L,) bool
    read_at: np.ndarray  # (R,) grid indices recorded for strategies
    entries: tuple[EntrySchedule, ...]
    foreign_rate_pp: dict[Any, np.ndarray]  # currency -> (R,) foreign short rate at reads
    foreign_basis_pp: dict[Any, np.ndarray]  # currency -> (R,)
    foreign_cash_log: dict[Any, np.ndarray]  # currency -> (R,) log growth of cash from as-of
    bill_spread_pp: float
    draws: ParameterDraws
    paths: int
    seed: int
    grid_kind: str
    weekly: bool
    meeting_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    months_inside: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # the 2-year's c_i and H_in (24 monthly horizons), and its start close (None: the
    # snapshot has no 2y, and the 2y's term premium is taken as 0)
    meeting_counts2: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    months_inside2: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    y2_0_pp: float | None = None
    # FX legs (scenario ``fx:``), in FX_ORDER: currency names, as-of spots (foreign units
    # per USD) and the view's cumulative log drift at grid dates, (F, G), 0 at the as-of
    fx_currencies: tuple[str, ...] = ()
    fx_spot0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fx_drift: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    hist_dates: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    hist_y10: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    thin_paths: int = 200
    kernel: str = "compiled"  # "compiled" (numba) or "numpy" (the reference)
    # tables derived from the spec by the engine on first use (idempotent, so a race
    # between pool threads only computes one twice)
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_blocks(self) -> int:
        """Blocks of 8192 paths (the last may be partial)."""
        return -(-self.paths // BLOCK_SIZE)

    def block_paths(self, block: int) -> int:
        """Paths in block ``block``."""
        return min(BLOCK_SIZE, self.paths - block * BLOCK_SIZE)


def _d64(d: Any) -> np.datetime64:
    return np.datetime64(d, "D")


def _d64m(d: Any) -> np.datetime64:
    return np.datetime64(d, "M")


def _date(d: Any) -> dt.date:
    return dt.date.fromisoformat(str(_d64(d)))


def _years(a: np.ndarray | np.datetime64, b: np.ndarray | np.datetime64) -> np.ndarray:
    return np.asarray((np.asarray(b) - np.asarray(a)).astype("timedelta64[D]").astype(float)) / (
        DAYS_PER_YEAR
    )


def _first_at_or_after(grid: np.ndarray, d: np.datetime64) -> int:
    idx = int(np.searchsorted(grid, d, side="left"))
    return min(idx, len(grid) - 1)


def _beliefs(view: CutView, n_meetings: int, meetings: np.ndarray) -> policy.CutBeliefs:
    counts = np.array(sorted(view.cut_count), dtype=np.int64)
    probs = np.array([view.cut_count[int(k)] for k in counts], dtype=np.float64)
    weights = np.ones(n_meetings)
    lookup = {_d64(d): w for d, w in view.meeting_weights.items()}
    for i, m in enumerate(meetings):
        weights[i] = lookup.get(m, 1.0)
    return policy.CutBeliefs(
        counts=counts, probs=probs, weights=weights, max_per_meeting=view.max_moves_per_meeting
    )


def build_spec(
    loaded: Loaded[Scenario],
    draws: ParameterDraws,
    *,
    paths: int | None = None,
    seed: int | None = None,
    grid: str | None = None,
    kernel: str = "compiled",
    fx_seasonal: Mapping[Any, FxSeasonal] | None = None,
) -> SimSpec:
    """Build the simulation spec of a scenario.

    Parameters
    ----------
    loaded : Loaded[Scenario]
        The validated scenario (with positions, for located errors).
    draws : ParameterDraws
        Dynamics parameter draws (prior, calibrated or posterior).
    paths, seed, grid : optional overrides of the scenario's ``simulation`` block.
    kernel : "compiled" (numba, default) or "numpy" (the reference); same results to
        rounding (:mod:`simulator.engine.compiled`).
    fx_seasonal : the priors file's measured seasonal FX tables (``fx_seasonal``), read
        by an fx leg with ``seasonal_from_history: true``.

    Raises
    ------
    simulator.config.ConfigError
        Located at the scenario key that cannot be simulated.
    """
    sc = loaded.config
    paths = paths if paths is not None else sc.simulation.paths
    seed = seed if seed is not None else sc.simulation.seed
    grid_kind = grid or sc.simulation.grid
    as_of, horizon = sc.as_of, sc.horizon_date
    warnings: list[str] = []

    # --- meetings -----------------------------------------------------------------------
    meetings_all = [m for m in fomc_decisions(sc.window.start, sc.window.end)]
    all_dates = np.array([m.date for m in meetings_all], dtype="datetime64[D]")
    if any(m.assumed for m in meetings_all):
        warnings.append("FOMC dates past the published calendar follow an assumed cadence")
    meeting_set = {np.datetime64(d, "D") for d in all_dates}
    for block_name, block in (
        ("view", sc.view.meeting_weights),
        ("market", sc.market.meeting_weights),
    ):
        for d in block or {}:
            if _d64(d) not in meeting_set:
                listed = ", ".join(str(x) for x in all_dates)
                raise loaded.error(
                    (block_name, "meeting_weights", d),
                    f"{d} is not an FOMC decision date in the window; decision dates: {listed}",
                )
    decided = all_dates[all_dates <= _d64(as_of)]
    remaining = all_dates[all_dates > _d64(as_of)]
    observed = {_d64(m.date): m.move_bp for m in sc.observed.moves}
    for i, m in enumerate(sc.observed.moves):
        if _d64(m.date) not in meeting_set:
            raise loaded.error(
                ("observed", "moves", i, "date"), f"{m.date} is not an FOMC decision date"
            )
    missing = [str(d) for d in decided if d not in observed]
    if missing:
        raise loaded.error(
            ("observed", "moves"),
            f"decisions on {', '.join(missing)} are before as_of {as_of}: list each under "
            "observed.moves (move_bp: 0 for a hold), or run with --data",
        )
    observed_cuts = tuple(-observed[d] // 25 for d in decided)

    # --- grid ---------------------------------------------------------------------------
    bdays = business_days(as_of + dt.timedelta(days=1), horizon)
    if len(bdays) == 0:
        raise loaded.error(("horizon",), f"no business day between as_of {as_of} and {horizon}")
    full = np.concatenate([[_d64(as_of)], bdays])
    fmonths = full.astype("datetime64[M]")
    # month ends (last business days); the horizon is one only if the next business day
    # falls in another month
    last_is_end = _d64m(next_business_day(full[-1])) != fmonths[-1]
    fm_end = full[np.r_[fmonths[1:] != fmonths[:-1], last_is_end]]
    effective = np.array([next_business_day(d) for d in remaining], dtype="datetime64[D]")
    entries_dates, entry_months = _entry_dates(as_of, horizon)
    if grid_kind == "daily":
        grid_dates = full
    else:
        fridays = bdays[(bdays.astype("datetime64[D]").view("int64") - 1) % 7 == 0]
        extra = [*remaining, *effective, *fm_end, bdays[-1], *entries_dates]
        grid_dates = np.unique(
            np.concatenate([[_d64(as_of)], fridays, np.array(extra, dtype="datetime64[D]")])
        )
        grid_dates = grid_dates[(grid_dates >= _d64(as_of)) & (grid_dates <= bdays[-1])]
    grid_bday = np.searchsorted(full, grid_dates, side="left").astype(np.int64)
    step_bdays = np.diff(grid_bday)
    if np.any(step_bdays < 1):
        raise SetupError("internal: grid has non-increasing business-day steps")
    years_to_end = _years(grid_dates, _d64(sc.window.end))
    # A decision after the horizon is never seen (index len(grid), as for effective_at);
    # clamping it onto the last grid date would reveal it on the horizon day.
    decide_at = np.array(
        [
            _first_at_or_after(grid_dates, d) if d <= grid_dates[-1] else len(grid_dates)
            for d in remaining
        ],
        dtype=np.int64,
    )
    effective_at = np.array(
        [
            _first_at_or_after(grid_dates, d) if d <= grid_dates[-1] else len(grid_dates)
            for d in effective
        ],
        dtype=np.int64,
    )
    years_to_meeting = (
        _years(grid_dates[:, None], effective[None, :])
        if len(remaining)
        else np.zeros((len(grid_dates), 0))
    )
    month_end_at = np.array(
        sorted({_first_at_or_after(grid_dates, d) for d in fm_end if d > _d64(as_of)}),
        dtype=np.int64,
    )

    # --- beliefs ------------------------------------------------------------------------
    rate0 = sc.snapshot.target_range.midpoint_pp
    n_all = len(all_dates)
    components_src = sc.mixture or []
    comp_views: list[tuple[str, float, CutView, MixtureComponent | None]] = [
        (c.name, c.weight, c.view or sc.view, c) for c in components_src
    ] or [(sc.name, 1.0, sc.view, None)]
    rate_window_start = rate0 + 0.25 * sum(observed_cuts)
    view_priors, views = [], []
    for cname, _, view_cfg, _c in comp_views:
        vp = _beliefs(view_cfg, n_all, all_dates)
        vp, moved = policy.cap_counts(vp, rate_window_start)
        if moved > 1e-12:
            warnings.append(
                f"{cname}: {moved:.1%} of the cut-count probability exceeded what the meetings "
                "or the zero lower bound allow and was moved to the cap"
            )
        view_priors.append(vp)
        try:
            views.append(policy.update_on_observed(vp, observed_cuts))
        except ValueError as exc:
            raise loaded.error(("observed", "moves"), str(exc)) from None
    mk_cfg = sc.market
    if mk_cfg.from_futures is not None and mk_cfg.cut_count is None:
        # the strip is read by simulator.market.resolve_from_futures (api.load_scenario);
        # falling back to the view here would silently price the wrong market
        raise loaded.error(
            ("market", "from_futures"),
            "the futures strip was not read: load the scenario with api.load_scenario",
        )
    mk_view = CutView(
        cut_count=mk_cfg.cut_count or sc.view.cut_count,
        meeting_weights=mk_cfg.meeting_weights
        if mk_cfg.meeting_weights is not None
        else sc.view.meeting_weights,
        max_moves_per_meeting=max(c[2].max_moves_per_meeting for c in comp_views),
    )
    market_prior = _beliefs(mk_view, n_all, all_dates)
    market_prior, _ = policy.cap_counts(market_prior, rate_window_start)
    # the market must give positive mass to everything any component's view can do
    union = _union_view(view_priors)
    try:
        market_prior = policy.floor_market(market_prior, union)
        market = policy.update_on_observed(market_prior, observed_cuts)
    except ValueError as exc:
        raise loaded.error(("market",), str(exc)) from None
    market_table = policy.build_move_table(market)

    # --- reads and strategies -----------------------------------------------------------
    entries, read_dates = _entries(
        entries_dates, entry_months, horizon, sc.hedging.roll_months, grid_dates
    )
    read_at = np.array([_first_at_or_after(grid_dates, d) for d in read_dates], dtype=np.int64)
    foreign_rate, foreign_basis, foreign_cash = {}, {}, {}
    for cur in CURRENCIES:
        leg = sc.hedging.currencies[cur]
        foreign_rate[cur] = np.array([_rate_at(leg.short_rate_pp, d) for d in read_dates])
        foreign_basis[cur] = np.array([_rate_at(leg.basis_pp, d) for d in read_dates])
        foreign_cash[cur] = np.array(
            [_cash_log_growth(leg.short_rate_pp, as_of, _date(d)) for d in read_dates]
        )

    # --- components ---------------------------------------------------------------------
    month_bdays = _month_bday_counts(full)
    comps = []
    for (cname, weight, _view_cfg, c), vp, v in zip(comp_views, view_priors, views, strict=True):
        drift_cfg = (
            c.seasonal_drift_bp
            if c is not None and c.seasonal_drift_bp is not None
            else sc.seasonal_drift_bp
        )
        events_cfg = c.events if c is not None and c.events is not None else sc.events
        adj = c.adjustments if c is not None and c.adjustments is not None else sc.adjustments
        drift_vec = np.array([drift_cfg.get(m, 0.0) for m in MONTHS])  # type: ignore[call-overload]
        drift_full = seasonal_drift(full, drift_vec, month_bdays)
        comps.append(
            ComponentSpec(
                name=cname,
                weight=weight,
                view_prior=vp,
                view=v,
                events=tuple(_event_spec(e, full, as_of) for e in events_cfg),
                drift_pp=drift_full[grid_bday],
                neutral_shift_pp=adj.neutral_rate_shift_pp,
                tp_mean_shift_pp=adj.term_premium_mean_shift_pp,
                inflation_gap_shift_pp=adj.inflation_gap_shift_pp,
            )
        )

    y0 = sc.snapshot.y10_pp.value
    levels = np.array(sc.levels_pp, dtype=float)
    level_dir = np.where(levels <= y0, -1, 1)
    obs_touched = np.zeros(len(levels), dtype=bool)
    for close in sc.observed.y10_closes:
        obs_touched |= np.where(level_dir < 0, close.y10_pp <= levels, close.y10_pp >= levels)
    if sc.observed.core_pce:
        gap0 = sorted(sc.observed.core_pce, key=lambda p: p.month)[-1].core_pce_yoy_pp - 2.0
    else:
        gap0 = sc.snapshot.core_pce_yoy_pp.value - 2.0
    hist = sorted(sc.observed.y10_closes, key=lambda c: c.date)
    m_counts = np.stack(
        [
            meeting_counts(float(years_to_end[t]), years_to_meeting[t])
            for t in range(len(grid_dates))
        ]
    )
    m_inside = np.array([months_inside(float(x)) for x in years_to_end], dtype=np.int64)
    m_counts2 = np.stack(
        [
            meeting_counts(float(years_to_end[t]), years_to_meeting[t], TWO_YEAR_MONTHS)
            for t in range(len(grid_dates))
        ]
    )
    m_inside2 = np.array(
        [months_inside(float(x), TWO_YEAR_MONTHS) for x in years_to_end], dtype=np.int64
    )
    y2_snap = sc.snapshot.y2_pp
    fx_names, fx_spot0, fx_drift = _fx_legs(loaded, full, month_bdays, fx_seasonal or {})
    return SimSpec(
        name=sc.name,
        as_of=as_of,
        horizon=horizon,
        window_start=sc.window.start,
        window_end=sc.window.end,
        grid=grid_dates,
        grid_bday=grid_bday,
        step_bdays=step_bdays,
        years_to_end=years_to_end,
        meeting_dates=remaining,
        meeting_effective=effective,
        decide_at=decide_at,
        effective_at=effective_at,
        years_to_meeting=years_to_meeting,
        all_meetings=all_dates,
        observed_moves_cuts=observed_cuts,
        month_end_at=month_end_at,
        market=market,
        market_table=market_table,
        components=tuple(comps),
        rate0_pp=rate0,
        y10_0_pp=y0,
        gap0_pp=gap0,
        levels=levels,
        level_dir=level_dir,
        observed_touched=obs_touched,
        read_at=read_at,
        entries=entries,
        foreign_rate_pp=foreign_rate,
        foreign_basis_pp=foreign_basis,
        foreign_cash_log=foreign_cash,
        bill_spread_pp=sc.hedging.usd_bill_spread_pp,
        draws=draws,
        paths=paths,
        seed=seed,
        grid_kind=grid_kind,
        weekly=grid_kind == "weekly",
        kernel=kernel,
        hist_dates=np.array([c.date for c in hist], dtype="datetime64[D]"),
        hist_y10=np.array([c.y10_pp for c in hist], dtype=float),
        warnings=warnings,
        meeting_counts=m_counts,
        months_inside=m_inside,
        meeting_counts2=m_counts2,
        months_inside2=m_inside2,
        y2_0_pp=None if y2_snap is None else float(y2_snap.value),
        fx_currencies=fx_names,
        fx_spot0=fx_spot0,
        fx_drift=fx_drift[:, grid_bday],
    )


def _fx_legs(
    loaded: Loaded[Scenario],
    full: np.ndarray,
    month_bdays: np.ndarray,
    seasonal: Mapping[Any, FxSeasonal],
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The fx legs in FX_ORDER: names, as-of spots, cumulative log drift on business days.

    The view's drift (100 x log change per month) is spread evenly over each month's
    business days (:func:`simulator.core.term_premium.spread_monthly_drift`), so a whole
    month accrues exactly its drift and the as-of month only its remaining share.
    """
    fx = loaded.config.fx
    names = tuple(c for c in FX_ORDER if c in fx)
    months = [str(m) for m in full.astype("datetime64[M]")]
    calendar = full.astype("datetime64[M]").astype(np.int64) % 12
    rows = []
    for cur in names:
        view = fx[cur].view
        drift = view.drift_pct_per_month
        if view.seasonal_from_history:
            if cur not in seasonal:
                raise loaded.error(
                    ("fx", cur, "view", "seasonal_from_history"),
                    f"the priors file has no fx_seasonal.{cur} table (the measured mean change "
                    "by calendar month); add one, or give drift_pct_per_month",
                )
            table = seasonal[cur].mean_pct
            per_day = np.array([table.get(m, 0.0) for m in MONTHS])[calendar]  # type: ignore[call-overload]
        elif isinstance(drift, dict):
            per_day = np.array([drift.get(m, 0.0) for m in months])
        else:
            per_day = np.full(len(full), float(drift))
        rows.append(spread_monthly_drift(per_day, month_bdays))
    spot0 = np.array([fx[c].spot.value for c in names], dtype=np.float64)
    return names, spot0, np.array(rows, dtype=np.float64).reshape(len(names), len(full))


def _union_view(views: list[policy.CutBeliefs]) -> policy.CutBeliefs:
    if len(views) == 1:
        return views[0]
    counts = np.unique(np.concatenate([v.counts for v in views]))
    probs = np.full(len(counts), 1.0 / len(counts))
    weights = np.max(np.stack([v.weights for v in views]), axis=0)
    return policy.CutBeliefs(
        counts=counts,
        probs=probs,
        weights=weights,
        max_per_meeting=max(v.max_per_meeting for v in views),
    )


def _entry_dates(as_of: dt.date, horizon: dt.date) -> tuple[list[np.datetime64], list[str]]:
    """First business day of each month that starts on or after the as-of, before the horizon."""
    dates, months = [], []
    m = np.datetime64(as_of, "M")
    if np.datetime64(as_of, "D") > m.astype("datetime64[D]"):
        m = m + 1
    while True:
        days = business_days(m.astype("datetime64[D]"), (m + 1).astype("datetime64[D]") - 1)
        if len(days) == 0 or days[0] >= np.datetime64(horizon, "D"):
            break
        dates.append(days[0])
        months.append(str(m))
        m = m + 1
    return dates, months


def _entries(
    entry_dates: list[np.datetime64],
    months: list[str],
    horizon: dt.date,
    roll_months: int,
    grid: np.ndarray,
) -> tuple[tuple[EntrySchedule, ...], list[np.datetime64]]:
    hz = np.datetime64(horizon, "D")
    read: set[np.datetime64] = {grid[-1]}
    plans = []
    for e, month in zip(entry_dates, months, strict=True):
        starts = [e]
        k = 1
        while True:
            mm = np.datetime64(month, "M") + roll_months * k
            days = business_days(mm.astype("datetime64[D]"), (mm + 1).astype("datetime64[D]") - 1)
            if len(days) == 0 or days[0] >= hz:
                break
            starts.append(days[0])
            k += 1
        ends = [*starts[1:], grid[-1]]
        cds = holding_coupon_dates(e, grid[-1])
        cpn_grid = [grid[_first_at_or_after(grid, c)] for c in cds]
        read.update(starts)
        read.update(cpn_grid)
        plans.append((month, e, starts, ends, cds, cpn_grid))
    read_dates = sorted(read)
    pos = {d: i for i, d in enumerate(read_dates)}
    entries = tuple(
        EntrySchedule(
            month=month,
            entry_read=pos[e],
            roll_reads=tuple(pos[s] for s in starts),
            roll_starts=tuple(_date(s) for s in starts),
            roll_ends=tuple(_date(x) for x in ends),
            coupon_reads=tuple(pos[c] for c in cpn_grid),
            coupon_dates=tuple(_date(c) for c in cds),
            entry_date=_date(e),
        )
        for month, e, starts, ends, cds, cpn_grid in plans
    )
    return entries, read_dates


def _rate_at(value: float | dict[str, float], d: np.datetime64) -> float:
    if isinstance(value, int | float):
        return float(value)
    month = str(_d64m(d))
    keys = sorted(value)
    usable = [k for k in keys if k <= month]
    return float(value[usable[-1]] if usable else value[keys[0]])


def _cash_log_growth(value: float | dict[str, float], start: dt.date, end: dt.date) -> float:
    """log growth of foreign cash from start to end, ACT/365.25 continuous accrual."""
    if end <= start:
        return 0.0
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    rates = (
        np.array([_rate_at(value, d) for d in days])
        if isinstance(value, dict)
        else np.full(len(days), float(value))
    )
    return float(np.sum(rates) / 100.0 / DAYS_PER_YEAR)


def _month_bday_counts(full: np.ndarray) -> np.ndarray:
    months = full.astype("datetime64[M]")
    out = np.empty(len(full), dtype=np.int64)
    for m in np.unique(months):
        n = len(business_days(m.astype("datetime64[D]"), (m + 1).astype("datetime64[D]") - 1))
        out[months == m] = max(n, 1)
    return out


def _event_spec(e: Event, full: np.ndarray, as_of: dt.date) -> EventSpec:
    lo_d = max(np.datetime64(e.start, "D"), np.datetime64(as_of, "D") + 1)
    lo = int(np.searchsorted(full, lo_d, side="left"))
    hi = int(np.searchsorted(full, np.datetime64(e.end, "D"), side="right")) - 1
    lo = max(lo, 1)
    hi = min(hi, len(full) - 1)
    if hi < lo:
        hi = lo
    return EventSpec(
        name=e.name,
        probability=e.probability,
        onset_lo=lo,
        onset_hi=hi,
        size_pp=e.size_bp / 100.0,
        half_life_bdays=e.half_life_bdays,
    )
