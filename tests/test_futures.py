"""FedWatch arithmetic (core/futures.py): round trips, hand-computed strips, the tree and
the fitted meeting weights; the strip reader; the market pricing of a strip."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.core import futures as fw
from simulator.core.policy import CutBeliefs, move_probabilities
from simulator.data.calendar import fomc_decisions, next_business_day
from simulator.data.futures import FuturesStrip, read_futures_csv
from simulator.data.loaders import DataError
from simulator.market import price_market

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "scenarios" / "fed-funds-futures-2026-01-20.csv"
AS_OF = dt.date(2026, 1, 20)


def _layout_2026() -> tuple[list[tuple[int, int]], list[int], list[int], list[int]]:
    """Strip Jan 2026..Jan 2027 and the 2026 decisions after 2026-01-20 (shipped calendar)."""
    months = [(2026, m) for m in range(1, 13)] + [(2027, 1)]
    month, before = [], []
    for m in fomc_decisions("2026-01-21", "2026-12-31"):
        eff = dt.date.fromisoformat(str(next_business_day(m.date)))
        month.append(months.index((eff.year, eff.month)))
        before.append(eff.day - 1)
    days = [calendar.monthrange(y, m)[1] for y, m in months]
    return months, month, before, days


def _law(low: np.ndarray, p_up: np.ndarray) -> np.ndarray:
    """Expected cuts of two-point laws."""
    return low + p_up


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strip_from_a_known_tree_inverts_back_to_it(seed: int) -> None:
    # Closed form: prices from per-meeting laws {low, low + 1} and a known spread; the chain
    # must give back every p_up and low to rounding (1e-10), whichever anchor it uses.
    rng = np.random.default_rng(seed)
    _, month, before, days = _layout_2026()
    low = rng.integers(-1, 2, size=len(month))
    p_up = rng.uniform(0.05, 0.95, size=len(month))
    start = 3.625 + rng.uniform(-0.05, 0.10)
    rates = fw.monthly_average_rates(start, _law(low, p_up), month, before, days)
    b, a = fw.chain_meeting_rates(rates, days, month, before, start)
    moves = fw.meeting_moves(b, a)
    np.testing.assert_array_equal(moves.low, low)
    np.testing.assert_allclose(moves.p_up, p_up, atol=1e-10, rtol=0)
    expected_after = start - 0.25 * np.cumsum(_law(low, p_up))
    np.testing.assert_allclose(a, expected_after, atol=1e-10, rtol=0)


def test_hand_computed_two_meeting_strip() -> None:
    # Month 0 (30 days): decision effective on day 11 (10 days before), month 1 (31 days)
    # quiet, month 2 (31 days): effective on day 21 (20 days before), no month after.
    # Start 3.60; E[cuts] 0.4 then 1.2 -> after-rates 3.50 and 3.20.
    # Month 0 average: (10 * 3.60 + 20 * 3.50) / 30 = 3.5333..; month 1: 3.50;
    # month 2: (20 * 3.50 + 11 * 3.20) / 31 = 3.393548...
    rates = np.array([(36.0 + 70.0) / 30.0, 3.50, (70.0 + 35.2) / 31.0])
    b, a = fw.chain_meeting_rates(rates, [30, 31, 31], [0, 2], [10, 20], 9.99)
    # meeting 0 is anchored by quiet month 1 after it (start 9.99 is never used);
    # meeting 1 by quiet month 1 before it
    np.testing.assert_allclose(b, [3.60, 3.50], atol=1e-12)
    np.testing.assert_allclose(a, [3.50, 3.20], atol=1e-12)
    moves = fw.meeting_moves(b, a)
    assert moves.low.tolist() == [0, 1]
    np.testing.assert_allclose(moves.p_up, [0.4, 0.2], atol=1e-12)
    counts, probs = fw.cut_count_tree(moves)
    # P(1) = 0.6 * 0.8, P(2) = 0.4 * 0.8 + 0.6 * 0.2, P(3) = 0.4 * 0.2
    assert counts.tolist() == [1, 2, 3]
    np.testing.assert_allclose(probs, [0.48, 0.44, 0.08], atol=1e-12)


def test_chain_uses_the_start_rate_when_no_quiet_month_anchors() -> None:
    # two meeting months in a row, first of the strip: start anchors meeting 0
    rates = fw.monthly_average_rates(3.64, [0.5, 0.3], [0, 1], [15, 9], [31, 28])
    b, a = fw.chain_meeting_rates(rates, [31, 28], [0, 1], [15, 9], 3.64)
    np.testing.assert_allclose(b, [3.64, 3.64 - 0.125], atol=1e-12)
    np.testing.assert_allclose(a - b, [-0.125, -0.075], atol=1e-12)


def test_cut_count_tree_equals_enumerating_the_tree() -> None:
    rng = np.random.default_rng(5)
    moves = fw.MeetingMoves(low=np.array([0, 1, -1, 0]), p_up=rng.uniform(0, 1, 4))
    counts, probs = fw.cut_count_tree(moves)
    brute: dict[int, float] = {}
    for bits in np.ndindex(2, 2, 2, 2):
        up = np.array(bits)
        p = float(np.prod(np.where(up == 1, moves.p_up, 1 - moves.p_up)))
        k = int((moves.low + up).sum())
        brute[k] = brute.get(k, 0.0) + p
    assert counts.tolist() == sorted(brute)
    np.testing.assert_allclose(probs, [brute[int(k)] for k in counts], atol=1e-14)


def test_signed_move_table_lumps_moves_beyond_the_limit() -> None:
    moves = fw.MeetingMoves(low=np.array([1, -2, 0]), p_up=np.array([0.3, 0.5, 0.0]))
    table = fw.signed_move_table(moves, 1)  # columns hike, hold, cut
    np.testing.assert_allclose(table, [[0, 0, 1.0], [1.0, 0, 0], [0, 1.0, 0]])
    table2 = fw.signed_move_table(moves, 2)  # -2..2
    np.testing.assert_allclose(table2[0], [0, 0, 0, 0.7, 0.3])
    np.testing.assert_allclose(table2[1], [0.5, 0.5, 0, 0, 0])


@pytest.mark.parametrize("max_per_meeting", [1, 2])
def test_fitted_weights_reproduce_achievable_probabilities(max_per_meeting: int) -> None:
    # Targets made by the engine itself from known weights are reachable exactly.
    rng = np.random.default_rng(max_per_meeting)
    weights = rng.uniform(0.05, 1.0, 8)
    counts = np.arange(0, 6)
    probs = rng.dirichlet(np.ones(6))
    target = move_probabilities(CutBeliefs(counts, probs, weights, max_per_meeting))
    fitted, misfit = fw.fit_meeting_weights(counts, probs, target, max_per_meeting)
    again = move_probabilities(CutBeliefs(counts, probs, fitted, max_per_meeting))
    assert misfit < 1e-8
    np.testing.assert_allclose(again, target, atol=1e-8)
    np.testing.assert_allclose(fitted, weights / weights.max(), rtol=1e-5)


def test_meeting_moves_snaps_whole_steps() -> None:
    moves = fw.meeting_moves([3.64], [3.64 - 0.25 + 1e-15])
    assert moves.low.tolist() == [1] and moves.p_up.tolist() == [0.0]


def test_layout_refuses_two_decisions_in_one_month() -> None:
    with pytest.raises(ValueError, match="at most one decision per contract month"):
        fw.chain_meeting_rates([3.6, 3.5], [30, 31], [0, 0], [5, 20], 3.6)


# --------------------------------------------------------------------------- the strip


def test_example_strip_reads_and_prices_every_2026_meeting() -> None:
    strip = read_futures_csv(EXAMPLE)
    assert strip.months[0] == (2026, 1) and len(strip.months) == 13
    res = price_market(
        strip, AS_OF, spread_bp=1.5, spread_source="test", window_end=dt.date(2026, 12, 31)
    )
    assert [str(d) for d in res.dates] == [
        str(m.date) for m in fomc_decisions("2026-01-21", "2026-12-31")
    ]
    assert res.target_mid_pp == 3.625
    assert sum(res.cut_count.values()) == pytest.approx(1.0, abs=1e-12)
    # the written block reproduces the strip's per-meeting laws within the reported misfit
    k = np.array(sorted(res.cut_count))
    p = np.array([res.cut_count[int(c)] for c in k])
    w = np.array(list(res.meeting_weights.values()))
    engine = move_probabilities(CutBeliefs(k, p, w, 1))
    target = fw.signed_move_table(res.moves, 1)
    assert np.max(np.abs(engine - target)) == pytest.approx(res.misfit, abs=1e-15)
    assert res.misfit < 0.01


def test_json_has_exactly_the_documented_shape() -> None:
    res = price_market(read_futures_csv(EXAMPLE), AS_OF, spread_bp=1.5, spread_source="t")
    out = res.to_json()
    assert set(out) == {"meetings", "cut_count"}
    for row in out["meetings"]:
        assert set(row) == {"date", "p_cut", "p_hold", "p_hike", "expected_rate_pp"}
        assert row["p_cut"] + row["p_hold"] + row["p_hike"] == pytest.approx(1.0, abs=1e-12)
        dt.date.fromisoformat(row["date"])
    assert all(k.lstrip("-").isdigit() for k in out["cut_count"])
    assert sum(out["cut_count"].values()) == pytest.approx(1.0, abs=1e-12)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "strip.csv"
    path.write_text(text)
    return path


GOOD = "contract_month,price\n2026-01,96.36\n2026-02,96.37\n2026-03,96.39\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contract_month,price,volume\n2026-01,96.3,1\n", ":1: column 3 'volume': unknown column"),
        ("contract_month\n2026-01\n", ":1: missing column 'price'"),
        (GOOD + "2026-03,96.40\n", ":5: column 'contract_month': 2026-03 repeats line 4"),
        (GOOD + "2026-05,96.48\n", ":5: column 'contract_month': 2026-05 follows 2026-03"),
        (GOOD + "2026-04,100\n", ":5: column 'price': expected a price between 0 and 100"),
        (GOOD + "2026-04,0\n", ":5: column 'price': expected a price between 0 and 100"),
        (GOOD + "2026-04,abc\n", ":5: column 'price': expected a number, found 'abc'"),
        (GOOD + "2026-4,96.4\n", ":5: column 'contract_month': expected a month YYYY-MM"),
        (GOOD + "2026-04\n", ":5: expected 2 columns"),
        (GOOD + '2026-04,"96.4\n', ":5: malformed CSV"),
        ("", ": empty file"),
        ("contract_month,price\n", ":1: no contract rows"),
    ],
)
def test_bad_strips_name_file_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_futures_csv(path)
    assert str(info.value).startswith(f"{path}{message}")


def test_strip_not_covering_the_window_is_refused(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text().splitlines()
    path = _write(tmp_path, "\n".join(line for line in lines if not line.startswith("2026-12")))
    path.write_text("\n".join(line for line in lines if line[:7] not in ("2026-12", "2027-01")))
    strip = read_futures_csv(path)
    with pytest.raises(DataError, match=r"no contract for 2026-12, when the 2026-12-09 decision"):
        price_market(
            strip, AS_OF, spread_bp=1.5, spread_source="t", window_end=dt.date(2026, 12, 31)
        )


def test_strip_implying_a_negative_rate_is_refused(tmp_path: Path) -> None:
    text = "contract_month,price\n2026-02,96.37\n2026-03,99.9\n2026-04,99.95\n2026-05,99.99\n"
    strip = read_futures_csv(_write(tmp_path, text))
    with pytest.raises(DataError, match=r":3: column 'price': the strip implies an expected"):
        price_market(strip, dt.date(2026, 2, 10), spread_bp=1.5, spread_source="t")


def test_strip_index_and_labels() -> None:
    strip = read_futures_csv(EXAMPLE)
    assert strip.index_of(2027, 1) == 12 and strip.index_of(2027, 2) is None
    assert FuturesStrip.label(2026, 3) == "2026-03"


# --------------------------------------------------------------------------- scenarios


def _scenario(tmp_path: Path, market: str) -> Path:
    """A copy of the shipped baseline with its own market block, beside the example strip."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "priors").mkdir()
    for p in (REPO / "priors").glob("*.yaml"):
        (tmp_path / "priors" / p.name).write_text(p.read_text())
    (tmp_path / "scenarios" / EXAMPLE.name).write_text(EXAMPLE.read_text())
    text = (REPO / "scenarios" / "baseline.yaml").read_text()
    marker = "# market: omitted, so the market prices the view (no view-vs-market edge)."
    assert marker in text
    path = tmp_path / "scenarios" / "futures.yaml"
    path.write_text(text.replace(marker, market))
    return path


def test_scenario_from_futures_resolves_at_load_time(tmp_path: Path) -> None:
    from simulator import api

    path = _scenario(tmp_path, f"market: {{from_futures: {EXAMPLE.name}, futures_spread_bp: 1.5}}")
    sc = api.load_scenario(path)
    direct = price_market(
        read_futures_csv(EXAMPLE),
        AS_OF,
        spread_bp=1.5,
        spread_source="t",
        target_mid_pp=3.625,
        window_end=dt.date(2026, 12, 31),
    )
    market = sc.scenario.config.market
    assert market.cut_count == direct.cut_count
    assert market.meeting_weights == direct.meeting_weights
    assert sc.market_note is not None and EXAMPLE.name in sc.market_note
    lines = api.assumptions(sc, None)
    assert any(line.startswith(f"Market from the futures strip {EXAMPLE.name}") for line in lines)


@pytest.mark.parametrize(
    ("market", "message"),
    [
        ("market: {from_futures: nope.csv, futures_spread_bp: 1.5}", "futures file 'nope.csv' not"),
        (f"market: {{from_futures: {EXAMPLE.name}}}", "from_futures needs futures_spread_bp"),
        ("market: {futures_spread_bp: 1.5}", "futures_spread_bp is used only with from_futures"),
        (
            f"market: {{from_futures: {EXAMPLE.name}, futures_spread_bp: 1.5, "
            "cut_count: {0: 1.0}}",
            "give from_futures or cut_count, not both",
        ),
    ],
)
def test_scenario_market_source_errors_are_located(
    tmp_path: Path, market: str, message: str
) -> None:
    from simulator import api
    from simulator.config import ConfigError

    path = _scenario(tmp_path, market)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "market:" in t)
    with pytest.raises(ConfigError) as info:
        api.load_scenario(path)
    assert str(info.value).startswith(f"{path}:{line}:")
    assert message in str(info.value)


def test_scenario_with_a_bad_strip_names_both_files(tmp_path: Path) -> None:
    from simulator import api
    from simulator.config import ConfigError

    path = _scenario(tmp_path, f"market: {{from_futures: {EXAMPLE.name}, futures_spread_bp: 1.5}}")
    strip = path.parent / EXAMPLE.name
    strip.write_text(strip.read_text().replace("2026-06,96.5275", "2026-06,100.5"))
    with pytest.raises(ConfigError) as info:
        api.load_scenario(path)
    text = str(info.value)
    assert text.startswith(f"{path}:") and "market.from_futures" in text
    assert f"{strip}:" in text and "column 'price'" in text


def test_engine_refuses_an_unresolved_strip(tmp_path: Path) -> None:
    from simulator import api
    from simulator.config import ConfigError
    from simulator.config.loader import load_scenario_file
    from simulator.engine.setup import build_spec

    path = _scenario(tmp_path, f"market: {{from_futures: {EXAMPLE.name}, futures_spread_bp: 1.5}}")
    raw, _ = load_scenario_file(path)
    draws = api.parameter_draws(api.load_scenario(path), 1)
    with pytest.raises(ConfigError, match="the futures strip was not read"):
        build_spec(raw, draws, paths=16)


def _baseline_in_february(moves: list[dict[str, object]]) -> Any:
    """The shipped baseline as of 2026-02-10, with these observed moves."""
    from simulator.config import Scenario
    from simulator.config.loader import load_scenario_file

    loaded, _ = load_scenario_file(REPO / "scenarios" / "baseline.yaml")
    data = loaded.config.model_dump()
    data["as_of"] = dt.date(2026, 2, 10)
    data["observed"]["moves"] = moves
    return Scenario.model_validate(data)


@pytest.mark.parametrize("jan_move_bp", [0, -25])
def test_window_with_decided_meetings_updates_back_to_the_strip(jan_move_bp: int) -> None:
    # as of 2026-02-10 the January decision is history: the block covers the whole window
    # and the engine's update on the observed move must give back the strip's tree for the
    # remaining meetings (shifted by the observed cuts), up to the block's 4-decimal rounding
    from simulator.core.policy import update_on_observed
    from simulator.market import price_for_scenario

    cfg = _baseline_in_february([{"date": dt.date(2026, 1, 28), "move_bp": jan_move_bp}])
    strip = read_futures_csv(EXAMPLE)
    res = price_for_scenario(strip, cfg, spread_bp=1.5, spread_source="t")
    assert len(res.dates) == 7 and next(iter(res.meeting_weights)) == dt.date(2026, 1, 28)
    k = np.array(sorted(res.cut_count))
    p = np.array([res.cut_count[int(c)] for c in k])
    w = np.array(list(res.meeting_weights.values()))
    observed = -jan_move_bp // 25
    post = update_on_observed(CutBeliefs(k, p, w, 1), [observed])
    tree = dict(zip((res.counts + observed).tolist(), res.probs.tolist(), strict=True))
    got = dict(zip(post.counts.tolist(), post.probs.tolist(), strict=True))
    for count, prob in tree.items():
        assert got.get(count, 0.0) == pytest.approx(prob, abs=5e-4), count
    engine = move_probabilities(post)
    assert np.max(np.abs(engine - fw.signed_move_table(res.moves, 1))) == pytest.approx(
        res.misfit, abs=1e-15
    )
    assert res.misfit < 1e-3


def test_window_with_an_unlisted_decided_meeting_is_refused() -> None:
    from simulator.market import price_for_scenario

    cfg = _baseline_in_february([])
    with pytest.raises(DataError, match="decisions on 2026-01-28, on or before as_of"):
        price_for_scenario(read_futures_csv(EXAMPLE), cfg, spread_bp=1.5, spread_source="t")
