"""What the market prices, from a fed funds futures strip: the ``market:`` block.

Composes the strip (:mod:`simulator.data.futures`), the FOMC calendar (a decision takes
effect the next business day) and the FedWatch arithmetic (:mod:`simulator.core.futures`)
into per-meeting probabilities, the cut-count distribution and fitted meeting weights.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.config import Loaded, Scenario
from simulator.core import futures as fw
from simulator.core.policy import CutBeliefs, cap_counts, move_probabilities, update_on_observed
from simulator.data.calendar import fomc_decisions, next_business_day
from simulator.data.futures import FuturesStrip, read_futures_csv
from simulator.data.loaders import DataError

__all__ = ["MarketPricing", "price_for_scenario", "price_market", "resolve_from_futures"]

#: Decimals of the cut-count probabilities written to YAML.
PROB_DECIMALS = 4


@dataclass(frozen=True)
class MarketPricing:
    """Per-meeting probabilities, the cut-count tree and the fitted ``market:`` block.

    Attributes
    ----------
    as_of : datetime.date
        Meetings after this date are priced.
    dates : list of datetime.date
        FOMC decision dates priced (after the as-of date).
    rate_before_pp, rate_after_pp : np.ndarray
        Expected EFFR just before and after each decision, %.
    moves : MeetingMoves
        Each meeting's two-point law of 25bp cuts.
    counts, probs : np.ndarray
        The tree's distribution of the net cut count over the priced meetings.
    target_mid_pp, spread_bp : float
        Target midpoint at the as-of date and the EFFR spread used.
    spread_source : str
        Where the spread came from.
    max_per_meeting : int
        ``M`` of the engine's placement model the weights were fitted for.
    cut_count : dict[int, float]
        The block's cut-count probabilities (rounded, summing to 1).
    meeting_weights : dict[datetime.date, float]
        The block's fitted weights (4 significant digits).
    misfit : float
        Largest absolute difference between the engine's per-meeting move probabilities
        (with the block as written) and the strip's.
    engine_moves : np.ndarray
        The engine's ``P(m_j = m)``, ``m = -M..M``, with the block as written, ``(J, 2M+1)``.
    """

    as_of: dt.date
    dates: list[dt.date]
    rate_before_pp: np.ndarray
    rate_after_pp: np.ndarray
    moves: fw.MeetingMoves
    counts: np.ndarray
    probs: np.ndarray
    target_mid_pp: float
    spread_bp: float
    spread_source: str
    max_per_meeting: int
    cut_count: dict[int, float]
    meeting_weights: dict[dt.date, float]
    misfit: float
    engine_moves: np.ndarray

    @property
    def move_probs(self) -> dict[str, np.ndarray]:
        """P(hike), P(hold), P(cut 25), P(cut 50+) per meeting."""
        return {
            "hike": self.moves.prob_at_most(-1),
            "hold": self.moves.prob(0),
            "cut 25": self.moves.prob(1),
            "cut 50+": self.moves.prob_at_least(2),
        }

    @property
    def fitted_p_cut(self) -> np.ndarray:
        """The engine's P(cut) per meeting with the block as written."""
        return self.engine_moves[:, self.max_per_meeting + 1 :].sum(axis=1)

    def table(self) -> str:
        """The per-meeting table and the cut-count line, as printed by ``macrosim market``."""
        probs = self.move_probs
        rows = [
            f"{'meeting':<12}{'P(hike)':>9}{'P(hold)':>9}{'P(cut 25)':>11}{'P(cut 50+)':>12}"
            f"{'E[EFFR] after':>15}"
        ]
        for j, d in enumerate(self.dates):
            cells = [probs[k][j] for k in ("hike", "hold", "cut 25", "cut 50+")]
            rows.append(
                f"{d.isoformat():<12}{cells[0]:>9.1%}{cells[1]:>9.1%}{cells[2]:>11.1%}"
                f"{cells[3]:>12.1%}{self.rate_after_pp[j]:>14.3f}%"
            )
        expected = float(self.counts @ self.probs)
        dist = ", ".join(
            f"{int(k)}: {p:.1%}" for k, p in zip(self.counts, self.probs, strict=True) if p >= 5e-4
        )
        rows.append(f"Net cuts by {self.dates[-1]}: {dist} (expected {expected:.2f})")
        return "\n".join(rows)

    def to_json(self) -> dict[str, Any]:
        """``{"meetings": [{date, p_cut, p_hold, p_hike, expected_rate_pp}], "cut_count"}``."""
        p_cut, p_hike = self.moves.prob_at_least(1), self.moves.prob_at_most(-1)
        meetings = [
            {
                "date": d.isoformat(),
                "p_cut": float(p_cut[j]),
                "p_hold": float(self.moves.prob(0)[j]),
                "p_hike": float(p_hike[j]),
                "expected_rate_pp": float(self.rate_after_pp[j]),
            }
            for j, d in enumerate(self.dates)
        ]
        cut_count = {str(int(k)): float(p) for k, p in zip(self.counts, self.probs, strict=True)}
        return {"meetings": meetings, "cut_count": cut_count}

    def market_block(self) -> dict[str, Any]:
        """The ``market:`` block: ``cut_count`` and ``meeting_weights``."""
        return {"cut_count": dict(self.cut_count), "meeting_weights": dict(self.meeting_weights)}


def _meetings(
    strip: FuturesStrip, as_of: dt.date, window_end: dt.date | None
) -> list[tuple[dt.date, dt.date]]:
    """(decision, effective date) of the meetings to price; refuse ones the strip misses."""
    last_y, last_m = strip.months[-1]
    strip_end = dt.date(last_y + last_m // 12, last_m % 12 + 1, 1) - dt.timedelta(days=1)
    end = window_end if window_end is not None else strip_end
    out = []
    for m in fomc_decisions(as_of + dt.timedelta(days=1), end):
        decision = dt.date.fromisoformat(str(m.date))
        effective = dt.date.fromisoformat(str(next_business_day(m.date)))
        if strip.index_of(effective.year, effective.month) is None:
            if window_end is None and effective > strip_end:
                break
            first = FuturesStrip.label(*strip.months[0])
            raise DataError(
                f"{strip.path}:{strip.lines[-1]}: column 'contract_month': no contract for "
                f"{FuturesStrip.label(effective.year, effective.month)}, when the {decision} "
                f"decision takes effect; the strip covers {first}.."
                f"{FuturesStrip.label(last_y, last_m)} and must cover every meeting up to "
                f"{end}"
            )
        out.append((decision, effective))
    if not out:
        raise DataError(f"{strip.path}: no FOMC decision after {as_of} falls in the strip's months")
    return out


def _chain(
    strip: FuturesStrip, meetings: list[tuple[dt.date, dt.date]], start_rate_pp: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected rates around each meeting, and each meeting's month index."""
    month = np.array([strip.index_of(e.year, e.month) for _, e in meetings], dtype=np.int64)
    days_before = np.array([e.day - 1 for _, e in meetings], dtype=np.int64)
    try:
        before, after = fw.chain_meeting_rates(
            strip.rates_pp, strip.days, month, days_before, start_rate_pp
        )
    except ValueError as exc:
        raise DataError(f"{strip.path}: {exc}") from None
    return before, after, month


def _check_nonnegative(
    strip: FuturesStrip,
    meetings: list[tuple[dt.date, dt.date]],
    month: np.ndarray,
    rates: tuple[np.ndarray, np.ndarray],
) -> None:
    """Refuse a strip that implies a negative expected rate around a meeting."""
    for side, values in zip(("before", "after"), rates, strict=True):
        bad = np.flatnonzero(values < 0.0)
        if bad.size:
            j = int(bad[0])
            raise DataError(
                f"{strip.where(int(month[j]))}: column 'price': the strip implies an expected "
                f"effective rate of {values[j]:.3f}% {side} the {meetings[j][0]} decision; "
                "expected a rate >= 0 (check the prices of this month and its neighbours)"
            )


def _rounded_counts(counts: np.ndarray, probs: np.ndarray) -> dict[int, float]:
    """Probabilities to ``PROB_DECIMALS`` decimals, zeros dropped, the largest absorbing
    the rounding so the block sums to 1."""
    rounded = {int(k): round(float(p), PROB_DECIMALS) for k, p in zip(counts, probs, strict=True)}
    kept = {k: p for k, p in rounded.items() if p > 0.0}
    top = max(kept, key=lambda k: kept[k])
    kept[top] = round(kept[top] + 1.0 - sum(kept.values()), PROB_DECIMALS + 6)
    return kept


def price_market(
    strip: FuturesStrip,
    as_of: dt.date,
    *,
    spread_bp: float,
    spread_source: str,
    target_mid_pp: float | None = None,
    window_end: dt.date | None = None,
    max_per_meeting: int = 1,
) -> MarketPricing:
    """Per-meeting probabilities, cut-count tree and fitted ``market:`` block from a strip.

    Parameters
    ----------
    strip : FuturesStrip
    as_of : datetime.date
        Meetings after this date are priced.
    spread_bp : float
        EFFR minus target midpoint, bp.
    spread_source : str
        Where the spread came from (reported).
    target_mid_pp : float, optional
        Target midpoint at the as-of date; default: the 25bp-grid midpoint nearest the
        strip's expected rate before the first meeting, less the spread.
    window_end : datetime.date, optional
        Price every meeting up to this date (the strip must cover them); default every
        meeting whose effective month the strip holds.
    max_per_meeting : int, default 1
        ``M`` of the engine's placement model (the scenario's ``max_moves_per_meeting``).

    Returns
    -------
    MarketPricing

    Raises
    ------
    DataError
        If the strip misses a meeting's month or implies a negative rate.
    """
    meetings = _meetings(strip, as_of, window_end)
    spread_pp = spread_bp / 100.0
    if target_mid_pp is None:
        first = strip.index_of(as_of.year, as_of.month)
        provisional = float(strip.rates_pp[first if first is not None else 0])
        before, _, _ = _chain(strip, meetings, provisional)
        target_mid_pp = round((float(before[0]) - spread_pp - 0.125) / 0.25) * 0.25 + 0.125
    before, after, month = _chain(strip, meetings, target_mid_pp + spread_pp)
    _check_nonnegative(strip, meetings, month, (before, after))
    moves = fw.meeting_moves(before, after)
    counts, probs = fw.cut_count_tree(moves)
    # the engine holds at most M moves a meeting and stops at the zero lower bound
    capped, _ = cap_counts(
        CutBeliefs(counts, probs, np.ones(len(meetings)), max_per_meeting), target_mid_pp
    )
    cut_count = _rounded_counts(capped.counts, capped.probs)
    target = fw.signed_move_table(moves, max_per_meeting)
    k = np.array(sorted(cut_count), dtype=np.int64)
    p = np.array([cut_count[int(c)] for c in k])
    weights, _ = fw.fit_meeting_weights(k, p, target, max_per_meeting)
    written = np.array([float(f"{w:.4g}") for w in weights])
    engine = move_probabilities(CutBeliefs(k, p, written, max_per_meeting))
    return MarketPricing(
        as_of=as_of,
        dates=[d for d, _ in meetings],
        rate_before_pp=before,
        rate_after_pp=after,
        moves=moves,
        counts=counts,
        probs=probs,
        target_mid_pp=float(target_mid_pp),
        spread_bp=float(spread_bp),
        spread_source=spread_source,
        max_per_meeting=max_per_meeting,
        cut_count=cut_count,
        meeting_weights={d: float(w) for (d, _), w in zip(meetings, written, strict=True)},
        misfit=float(np.max(np.abs(engine - target))),
        engine_moves=engine,
    )


def resolve_from_futures(loaded: Loaded[Scenario]) -> tuple[Loaded[Scenario], str | None]:
    """Replace ``market: {from_futures: ...}`` by the block the strip implies.

    Parameters
    ----------
    loaded : Loaded[Scenario]
        A validated scenario.

    Returns
    -------
    tuple[Loaded[Scenario], str | None]
        The scenario with ``market.cut_count`` and ``market.meeting_weights`` filled in
        (``from_futures`` kept, to say where they came from) and a sentence for the run's
        summary; the scenario unchanged and None without ``from_futures``.

    Raises
    ------
    ConfigError
        Located at ``market.from_futures``, with the CSV's own file:line in the message.
    """
    cfg = loaded.config
    mk = cfg.market
    if mk.from_futures is None or mk.futures_spread_bp is None:
        return loaded, None
    where = ("market", "from_futures")
    try:
        res = price_for_scenario(
            read_futures_csv(loaded.path.parent / mk.from_futures),
            cfg,
            spread_bp=mk.futures_spread_bp,
            spread_source="the scenario's futures_spread_bp",
        )
    except DataError as exc:
        raise loaded.error(where, str(exc)) from None
    market = mk.model_copy(update=res.market_block())
    resolved = Loaded(cfg.model_copy(update={"market": market}), loaded.doc)
    expected = sum(k * p for k, p in res.cut_count.items())
    note = (
        f"Market from the futures strip {mk.from_futures} (FedWatch method, spread "
        f"{res.spread_bp:+g}bp): {expected:.2f} cuts priced; fitted meeting weights reproduce "
        f"the per-meeting probabilities within {res.misfit:.2g}."
    )
    return resolved, note


def price_for_scenario(
    strip: FuturesStrip, cfg: Scenario, *, spread_bp: float, spread_source: str
) -> MarketPricing:
    """:func:`price_market` for a scenario's as-of date, target, window and ``M``.

    With decisions in the window on or before the as-of date (their moves listed under
    ``observed.moves``), the block covers the whole window and is chosen so that the
    engine's update on those moves gives back the strip's cut-count distribution.

    Raises
    ------
    DataError
        As :func:`price_market`, and if a decided meeting's move is not listed.
    """
    decided = [
        dt.date.fromisoformat(str(m.date)) for m in fomc_decisions(cfg.window.start, cfg.as_of)
    ]
    moves = {m.date: m.move_bp for m in cfg.observed.moves}
    missing = [str(d) for d in decided if d not in moves]
    if missing:
        raise DataError(
            f"{strip.path}: the scenario's window has decisions on {', '.join(missing)}, on or "
            f"before as_of {cfg.as_of}: list each under observed.moves (move_bp: 0 for a hold) "
            "so the market block can cover the whole window"
        )
    views = [cfg.view] + [c.view for c in cfg.mixture or [] if c.view is not None]
    res = price_market(
        strip,
        cfg.as_of,
        spread_bp=spread_bp,
        spread_source=spread_source,
        target_mid_pp=cfg.snapshot.target_range.midpoint_pp,
        window_end=cfg.window.end,
        max_per_meeting=max(v.max_moves_per_meeting for v in views),
    )
    if not decided:
        return res
    return _whole_window(res, decided, [-moves[d] // 25 for d in decided], strip)


def _whole_window(
    res: MarketPricing, decided: list[dt.date], history: list[int], strip: FuturesStrip
) -> MarketPricing:
    r"""The block over the whole window, whose update on the observed moves is ``res``'s.

    The engine's market prior covers every meeting of the window and is conditioned on the
    decided ones (:func:`~simulator.core.policy.update_on_observed`):
    ``P(K | h) \propto P(K) L(K)``. So the prior is ``P(K) \propto P_strip(K) / L(K)`` on
    the counts the history allows, with ``L`` read off the same update applied to a flat
    prior; decided meetings get weight 1 (any positive weight gives the same update).
    """
    observed = int(sum(history))
    remaining = np.array(sorted(res.cut_count), dtype=np.int64)
    counts = remaining + observed
    target = np.array([res.cut_count[int(k)] for k in remaining])
    weights = np.r_[np.ones(len(decided)), list(res.meeting_weights.values())]
    m_max = res.max_per_meeting
    try:
        flat = CutBeliefs(counts, np.full(counts.size, 1.0 / counts.size), weights, m_max)
        like = update_on_observed(flat, history)
    except ValueError as exc:
        raise DataError(f"{strip.path}: the observed moves {history} rule out {exc}") from None
    keep = np.isin(counts, like.counts)
    prior = target[keep] / like.probs[np.searchsorted(like.counts, counts[keep])]
    cut_count = _rounded_counts(counts[keep], prior / prior.sum())
    k = np.array(sorted(cut_count), dtype=np.int64)
    written = CutBeliefs(k, np.array([cut_count[int(c)] for c in k]), weights, m_max)
    engine = move_probabilities(update_on_observed(written, history))
    table = fw.signed_move_table(res.moves, m_max)
    return dataclasses.replace(
        res,
        cut_count=cut_count,
        meeting_weights={**dict.fromkeys(decided, 1.0), **res.meeting_weights},
        misfit=float(np.max(np.abs(engine - table))),
        engine_moves=engine,
    )


def _parse_as_of(text: str) -> dt.date:
    """``--as-of`` as a date."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"--as-of {text}: expected a date YYYY-MM-DD") from None


def price_strip_file(
    futures: Path,
    as_of: str,
    *,
    scenario: Path | None = None,
    spread_bp: float | None = None,
    data_dir: Path | None = None,
    out: Path | None = None,
) -> MarketPricing:
    """Everything ``macrosim market`` computes, from its arguments; nothing is written.

    The spread is ``spread_bp``, else DFF's from ``data_dir``, else the scenario's
    ``market.futures_spread_bp``. With a scenario its as-of date must equal ``as_of``.

    Raises
    ------
    DataError
        On a bad strip, option or data folder (exit 2).
    ConfigError
        On a bad scenario (exit 2).
    """
    from simulator.api import load_scenario
    from simulator.data.futures import effective_spread_bp

    day = _parse_as_of(as_of)
    if out is not None and scenario is None:
        raise DataError("--out writes a copy of --scenario: give --scenario too")
    if out is not None and out.exists():
        raise DataError(f"--out {out}: the file exists; choose a new name")
    if spread_bp is not None and data_dir is not None:
        raise DataError("give --spread-bp or --data, not both")
    cfg = load_scenario(scenario).scenario.config if scenario is not None else None
    if cfg is not None and cfg.as_of != day:
        raise DataError(f"--as-of {day} differs from the scenario's as_of {cfg.as_of}")
    strip = read_futures_csv(futures)
    if spread_bp is not None:
        spread, source = spread_bp, "--spread-bp"
    elif data_dir is not None:
        spread, source = effective_spread_bp(data_dir, day)
    elif cfg is not None and cfg.market.futures_spread_bp is not None:
        spread, source = cfg.market.futures_spread_bp, "the scenario's futures_spread_bp"
    else:
        raise DataError(
            "the effective rate's spread to the target midpoint is needed: give --spread-bp "
            "or --data DIR (20 business days of DFF)"
        )
    if cfg is not None:
        return price_for_scenario(strip, cfg, spread_bp=spread, spread_source=source)
    return price_market(strip, day, spread_bp=spread, spread_source=source)


def header_line(res: MarketPricing, futures: Path) -> str:
    """The first line of the printed report: file, target, spread and its source."""
    lo = res.target_mid_pp - 0.125
    return (
        f"{futures.name}: target {lo:.2f}-{lo + 0.25:.2f}% (midpoint {res.target_mid_pp:.3f}%), "
        f"effective-rate spread {res.spread_bp:+.1f}bp ({res.spread_source})"
    )


def _comment(res: MarketPricing, futures: Path) -> str:
    """Where a written block came from."""
    return (
        f"From {futures.name} by `macrosim market` (FedWatch method, spread "
        f"{res.spread_bp:+.1f}bp); fitted weights reproduce the per-meeting probabilities "
        f"within {res.misfit:.2g}."
    )


def block_yaml(res: MarketPricing) -> str:
    """The ``market:`` block as YAML text."""
    from simulator.config.yamlio import block_text

    return block_text("market", res.market_block())


def write_scenario_copy(scenario: Path, out: Path, res: MarketPricing, futures: Path) -> None:
    """Write ``out``: the scenario with this market block, comments kept; checked after.

    The ``priors`` path is rewritten relative to ``out``. A copy that does not validate
    is removed and its problems raised.
    """
    import os

    from simulator.config import ConfigError, check_files
    from simulator.config.yamlio import load_yaml, write_with_block

    named = str(load_yaml(scenario).data["priors"])
    priors = Path(os.path.relpath((scenario.parent / named).resolve(), out.parent.resolve()))
    write_with_block(
        scenario,
        out,
        "market",
        res.market_block(),
        comment=_comment(res, futures),
        updates={"priors": priors.as_posix()},
    )
    problems = check_files([out])
    if problems:
        out.unlink()
        raise ConfigError(problems)


def write_figure(res: MarketPricing, stem: Path, futures: Path) -> list[Path]:
    """Write the FedWatch-style figure to ``stem.png`` and ``stem.svg``."""
    from simulator import __version__
    from simulator.report.market import fedwatch_figure
    from simulator.report.style import fmt_date, save_figure

    fig = fedwatch_figure(
        res.dates,
        res.move_probs,
        res.fitted_p_cut,
        {int(k): float(p) for k, p in zip(res.counts, res.probs, strict=True)},
        subtitle=(
            f"Fed funds futures {futures.name}, meetings after {fmt_date(res.as_of)}; "
            f"spread {res.spread_bp:+.1f}bp. Diamonds: the engine's P(cut) with the fitted "
            "meeting weights."
        ),
        source=f"macrosim {__version__} market, FedWatch method",
    )
    return save_figure(fig, stem)
