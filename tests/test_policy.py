"""Tests for simulator.core.policy: exact placement, Bayes updates and the move table.

Reference values come from brute-force enumeration of every placement with
itertools.product (independent of the dynamic programming under test) or from closed forms
worked out in comments.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.policy import (
    CutBeliefs,
    build_move_table,
    cap_counts,
    count_distribution,
    floor_market,
    move_probabilities,
    placement_norms,
    sample_placements,
    update_on_observed,
)

# --------------------------------------------------------------------------- brute force


def brute_norms(weights: np.ndarray, max_pm: int, n: int) -> float:
    """Sum over all placements of n moves on the meetings of prod w^m."""
    total = 0.0
    for m in itertools.product(range(max_pm + 1), repeat=len(weights)):
        if sum(m) == n:
            total += math.prod(float(w) ** k for w, k in zip(weights, m, strict=True))
    return total


def brute_paths(beliefs: CutBeliefs) -> list[tuple[int, tuple[int, ...], float]]:
    """Every (K, signed placement, probability) with positive probability."""
    out = []
    w = beliefs.weights
    for k, p in zip(beliefs.counts.tolist(), beliefs.probs.tolist(), strict=True):
        if p == 0.0:
            continue
        n = k - beliefs.observed_cuts
        sign = 1 if n >= 0 else -1
        placements = [
            m
            for m in itertools.product(range(beliefs.max_per_meeting + 1), repeat=w.size)
            if sum(m) == abs(n)
        ]
        raw = [math.prod(float(wi) ** mi for wi, mi in zip(w, m, strict=True)) for m in placements]
        z = sum(raw)
        for m, r in zip(placements, raw, strict=True):
            if r > 0.0:
                out.append((k, tuple(sign * mi for mi in m), p * r / z))
    return out


def mixed_beliefs(seed: int, max_pm: int = 2) -> CutBeliefs:
    """Counts of both signs, random probabilities and weights with a zero-weight meeting."""
    rng = np.random.default_rng(seed)
    counts = np.arange(-2, 4)
    probs = rng.dirichlet(np.ones(counts.size))
    weights = rng.uniform(0.2, 2.0, size=5)
    weights[2] = 0.0
    return CutBeliefs(counts, probs, weights, max_per_meeting=max_pm)


UNIFORM_0_4 = CutBeliefs(np.arange(0, 5), np.full(5, 0.2), np.ones(8))

# ------------------------------------------------------------------------ CutBeliefs


def test_beliefs_store_readonly_normalised_copies() -> None:
    probs = np.array([0.33, 0.33, 0.34])
    b = CutBeliefs(np.array([0, 1, 2]), probs, np.ones(3))
    assert b.probs.sum() == pytest.approx(1.0, abs=1e-15)
    assert not b.probs.flags.writeable and not b.counts.flags.writeable
    assert b.counts.dtype == np.int64
    assert b.capacity == 3 and b.n_meetings == 3
    probs[0] = 0.9  # the caller's array is not shared
    assert b.probs[0] == pytest.approx(0.33)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": [2, 1]}, "strictly ascending"),
        ({"counts": [0.5, 1.0]}, "must hold integers"),
        ({"counts": []}, "at least one"),
        ({"probs": [0.5, 0.6]}, "must sum to 1"),
        ({"probs": [1.2, -0.2]}, ">= 0"),
        ({"probs": [1.0]}, "one entry per count"),
        ({"weights": [1.0, -1.0]}, "weights must be >= 0"),
        ({"weights": [[1.0]]}, "1-D"),
        ({"max_per_meeting": 0}, "max_per_meeting must be >= 1"),
        ({"max_per_meeting": True}, "max_per_meeting must be an integer"),
        ({"observed_cuts": 2}, "K >= observed_cuts"),
        ({"observed_cuts": -1}, "K <= observed_cuts"),
    ],
)
def test_beliefs_validation_errors(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"counts": [0, 1], "probs": [0.5, 0.5], "weights": [1.0, 1.0]}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        CutBeliefs(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ placement norms Z


@pytest.mark.parametrize("max_pm", [1, 2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_placement_norms_match_enumeration(max_pm: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.0, 2.5, size=5)
    weights[rng.integers(5)] = 0.0
    n_max = max_pm * 5 + 1  # one past capacity: must be exactly zero
    z = placement_norms(weights, max_pm, n_max)
    assert z.shape == (6, n_max + 1)
    for j in range(6):
        for n in range(n_max + 1):
            expected = brute_norms(weights[j:], max_pm, n)
            assert z[j, n] == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_placement_norms_closed_forms() -> None:
    # Unit weights, one move per meeting: Z_0(n) = C(J, n); with w = 2: C(J, n) 2^n.
    z = placement_norms(np.ones(8), 1, 9)
    assert z[0].tolist() == [math.comb(8, n) for n in range(10)]
    z2 = placement_norms(np.full(4, 2.0), 1, 4)
    assert z2[0].tolist() == [math.comb(4, n) * 2.0**n for n in range(5)]
    # Z_J(n) = [n = 0] and zero weights hold nothing (0^0 = 1).
    assert placement_norms([0.0, 0.0], 2, 3)[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert placement_norms([0.0, 0.0], 2, 3)[:, 1:].sum() == 0.0
    assert placement_norms([], 1, 2).tolist() == [[1.0, 0.0, 0.0]]


@settings(max_examples=60, deadline=None, database=None)
@given(
    weights=st.lists(
        st.one_of(st.just(0.0), st.floats(0.05, 3.0, allow_nan=False)), min_size=0, max_size=5
    ),
    max_pm=st.integers(1, 3),
    n_max=st.integers(0, 7),
)
def test_placement_norms_property(weights: list[float], max_pm: int, n_max: int) -> None:
    z = placement_norms(np.array(weights), max_pm, n_max)
    for j in range(len(weights) + 1):
        for n in range(n_max + 1):
            expected = brute_norms(np.array(weights[j:]), max_pm, n)
            assert z[j, n] == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_placement_norms_bad_input() -> None:
    with pytest.raises(ValueError, match="n_max"):
        placement_norms([1.0], 1, -1)
    with pytest.raises(ValueError, match="finite"):
        placement_norms([np.nan], 1, 1)


# ------------------------------------------------------------------ move probabilities


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("max_pm", [1, 2])
def test_move_probabilities_match_enumeration(seed: int, max_pm: int) -> None:
    beliefs = mixed_beliefs(seed, max_pm)
    probs = move_probabilities(beliefs)
    expected = np.zeros_like(probs)
    for _, path, p in brute_paths(beliefs):
        for j, m in enumerate(path):
            expected[j, m + max_pm] += p
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-13)
    # Zero weight: never moves (1 up to the rounding of sum P(K)).
    np.testing.assert_allclose(probs[2], np.eye(2 * max_pm + 1)[max_pm], rtol=0, atol=1e-15)


def test_count_distribution_grid() -> None:
    b = CutBeliefs(np.array([1, 3]), np.array([0.4, 0.6]), np.ones(4))
    grid, p = count_distribution(b, np.arange(-1, 5))
    assert grid.tolist() == [-1, 0, 1, 2, 3, 4]
    assert p.tolist() == [0.0, 0.0, 0.4, 0.0, 0.6, 0.0]
    with pytest.raises(ValueError, match=r"counts \[3\] have positive probability"):
        count_distribution(b, [0, 1, 2])


# ---------------------------------------------------------------------- sampling


def test_sample_placements_hand_made_shocks() -> None:
    # K = 2 for sure, 4 meetings, one move each: u = 0 takes the fewest moves now, so the
    # cuts land at the last two meetings; u close to 1 takes the most, the first two.
    b = CutBeliefs(np.array([2]), np.array([1.0]), np.ones(4))
    late = sample_placements(b, np.zeros(1), np.zeros((1, 4)))
    early = sample_placements(b, np.zeros(1), np.full((1, 4), 1.0 - 1e-12))
    assert late.tolist() == [[0, 0, 1, 1]]
    assert early.tolist() == [[1, 1, 0, 0]]
    # Hikes come out negative; the inverse CDF skips zero-probability counts at both ends.
    h = CutBeliefs(np.array([-3, -2, 0, 1]), np.array([0.0, 1.0, 0.0, 0.0]), np.ones(3))
    paths = sample_placements(h, np.array([0.0, 1.0 - 1e-16]), np.zeros((2, 3)))
    assert paths.tolist() == [[0, -1, -1], [0, -1, -1]]


def test_sample_placements_frequencies_match_move_probabilities() -> None:
    beliefs = mixed_beliefs(5, max_pm=2)
    n = 200_000
    rng = np.random.default_rng(20260115)
    paths = sample_placements(beliefs, rng.random(n), rng.random((n, beliefs.n_meetings)))

    # Structural: one sign per path, at most M per meeting, nothing at the zero weight.
    assert np.all(np.abs(paths) <= 2)
    assert not np.any((paths > 0).any(axis=1) & (paths < 0).any(axis=1))
    assert np.all(paths[:, 2] == 0)

    # Each cell is a Bernoulli frequency: SE = sqrt(p (1 - p) / n); with n = 200k and
    # p = 0.1 that is ~6.7e-4. Tolerance 4 SE per cell (two-sided 6e-5 false-alarm rate
    # per cell, ~3e-3 over the ~40 cells here), plus 1e-12 for the exact-0/1 cells.
    expected = move_probabilities(beliefs)
    for c, m in enumerate(range(-2, 3)):
        freq = (paths == m).mean(axis=0)
        se = np.sqrt(expected[:, c] * (1.0 - expected[:, c]) / n)
        assert np.all(np.abs(freq - expected[:, c]) <= 4.0 * se + 1e-12), (m, freq)

    # Row sums recover K exactly; the K frequencies sit within 4 SE of P(K).
    k_freq = np.array([(paths.sum(axis=1) == k).mean() for k in beliefs.counts])
    se_k = np.sqrt(beliefs.probs * (1.0 - beliefs.probs) / n)
    assert np.all(np.abs(k_freq - beliefs.probs) <= 4.0 * se_k)


def test_sample_placements_place_remaining_after_observed() -> None:
    post = update_on_observed(UNIFORM_0_4, [1, 1])
    rng = np.random.default_rng(11)
    paths = sample_placements(post, rng.random(1000), rng.random((1000, 6)))
    assert paths.shape == (1000, 6)
    # Remaining cuts n = K - 2 in {0, 1, 2}.
    assert set(paths.sum(axis=1).tolist()) <= {0, 1, 2}


def test_sample_placements_errors() -> None:
    b = UNIFORM_0_4
    with pytest.raises(ValueError, match=r"u_place must have shape \(n_paths, J\) = \(3, 8\)"):
        sample_placements(b, np.zeros(3), np.zeros((3, 7)))
    with pytest.raises(ValueError, match=r"uniforms in \[0, 1\)"):
        sample_placements(b, np.ones(1), np.zeros((1, 8)))
    infeasible = CutBeliefs(np.array([0, 3]), np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"K=3 .* needs 3 moves .* hold at most 1.*cap_counts"):
        sample_placements(infeasible, np.zeros(1), np.zeros((1, 2)))


# ------------------------------------------------------------------- Bayes updates


def brute_posterior(beliefs: CutBeliefs, history: tuple[int, ...]) -> dict[int, float]:
    """P(K | first meetings' moves) by summing the placements that match the history."""
    mass: dict[int, float] = defaultdict(float)
    for k, path, p in brute_paths(beliefs):
        if path[: len(history)] == history:
            mass[k] += p
    total = sum(mass.values())
    return {k: v / total for k, v in mass.items()}


def test_two_observed_cuts_shift_cut_count() -> None:
    # Prior K uniform on 0..4, eight meetings, unit weights, one move per meeting. Given K,
    # P(cuts at the first two meetings | K) = K (K - 1) / (8 * 7), so the posterior is
    # proportional to 0, 0, 2, 6, 12: K = 2, 3, 4 get 0.1, 0.3, 0.6 and K < 2 nothing.
    post = update_on_observed(UNIFORM_0_4, [1, 1])
    assert post.counts.tolist() == [2, 3, 4]
    np.testing.assert_allclose(post.probs, [0.1, 0.3, 0.6], rtol=0, atol=1e-14)
    brute = brute_posterior(UNIFORM_0_4, (1, 1))
    assert brute.keys() == {2, 3, 4}
    np.testing.assert_allclose(post.probs, [brute[k] for k in (2, 3, 4)], atol=1e-14)
    assert post.observed_cuts == 2 and post.n_meetings == 6
    assert post.expected_count == pytest.approx(3.5, abs=1e-14)
    # No move at the first two meetings pushes K down instead: weights C(6, K) / C(8, K).
    quiet = update_on_observed(UNIFORM_0_4, [0, 0])
    w = np.array([math.comb(6, k) / math.comb(8, k) for k in range(5)])
    np.testing.assert_allclose(quiet.probs, w / w.sum(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_update_on_observed_matches_brute_force(seed: int) -> None:
    beliefs = mixed_beliefs(seed, max_pm=2)
    rng = np.random.default_rng(seed)
    paths = brute_paths(beliefs)
    for _ in range(6):
        # A history with positive probability: the prefix of a random possible path.
        _, path, _ = paths[rng.integers(len(paths))]
        j = int(rng.integers(0, beliefs.n_meetings + 1))
        history = path[:j]
        post = update_on_observed(beliefs, list(history))
        brute = brute_posterior(beliefs, history)
        got = dict(zip(post.counts.tolist(), post.probs.tolist(), strict=True))
        for k in set(got) | set(brute):
            assert got.get(k, 0.0) == pytest.approx(brute.get(k, 0.0), abs=1e-13)
        assert set(k for k, v in got.items() if v > 0) == set(brute)
        assert post.observed_cuts == sum(history)
        np.testing.assert_array_equal(post.weights, beliefs.weights[j:])


def test_update_in_two_steps_equals_one() -> None:
    beliefs = mixed_beliefs(9, max_pm=2)
    once = update_on_observed(beliefs, [0, 2, 0])
    twice = update_on_observed(update_on_observed(beliefs, [0]), [2, 0])
    np.testing.assert_array_equal(once.counts, twice.counts)
    np.testing.assert_allclose(once.probs, twice.probs, rtol=0, atol=1e-14)
    assert once.observed_cuts == twice.observed_cuts == 2


def test_update_on_nothing_is_identity() -> None:
    post = update_on_observed(UNIFORM_0_4, [])
    np.testing.assert_array_equal(post.counts, UNIFORM_0_4.counts)
    np.testing.assert_allclose(post.probs, UNIFORM_0_4.probs, atol=1e-15)


def test_update_rejects_a_cut_when_only_hikes_are_believed() -> None:
    hikes = CutBeliefs(np.array([-2, -1]), np.array([0.5, 0.5]), np.ones(4))
    with pytest.raises(ValueError) as info:
        update_on_observed(hikes, [0, 1])
    text = str(info.value)
    assert "observed +1 cuts at meeting 1 has zero probability" in text
    assert "allow signed cuts [-1, 0] at meeting 1" in text
    assert "counts K with P > 0: [-2, -1]" in text


def test_update_rejects_moves_at_zero_weight_and_mixed_signs() -> None:
    b = CutBeliefs(np.arange(0, 3), np.full(3, 1 / 3), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=r"meeting 1 .* allow signed cuts \[0\] at meeting 1"):
        update_on_observed(b, [0, 1])
    mixed = CutBeliefs(np.arange(-2, 3), np.full(5, 0.2), np.ones(4))
    with pytest.raises(ValueError, match=r"-1 cuts at meeting 1 .* allow signed cuts \[0, 1\]"):
        update_on_observed(mixed, [1, -1])
    with pytest.raises(
        ValueError, match=r"\+2 cuts at meeting 0 .* allow signed cuts \[-1, 0, 1\]"
    ):
        update_on_observed(mixed, [2])
    with pytest.raises(ValueError, match="cover only 4"):
        update_on_observed(mixed, [0] * 5)
    # Everything observed: only K = s survives, with no meetings left.
    done = update_on_observed(mixed, [1, 0, 1, 0])
    assert done.counts.tolist() == [2] and done.n_meetings == 0


# ---------------------------------------------------------------------- move table


@pytest.mark.parametrize(("seed", "max_pm"), [(10, 1), (11, 2), (12, 2)])
def test_move_table_matches_brute_force_conditionals(seed: int, max_pm: int) -> None:
    beliefs = mixed_beliefs(seed, max_pm)
    table = build_move_table(beliefs)
    n_meet = beliefs.n_meetings
    paths = brute_paths(beliefs)
    # Condition on every possible prefix (not just its total): the table must agree,
    # which also checks that the running total is a sufficient state.
    prefixes = {path[:j] for _, path, _ in paths for j in range(n_meet + 1)}
    state_mass: dict[tuple[int, int], float] = defaultdict(float)
    for _, path, p in paths:
        for j in range(n_meet + 1):
            state_mass[(j, sum(path[:j]))] += p
    for prefix in prefixes:
        j, s = len(prefix), sum(prefix)
        matching = [(k, path, p) for k, path, p in paths if path[:j] == prefix]
        total = sum(p for _, _, p in matching)
        mean = np.zeros(n_meet)
        for _, path, p in matching:
            mean += p * np.array(path, dtype=float) / total
        mean[:j] = 0.0  # the table reports moves still to come only
        np.testing.assert_allclose(table.expected_cuts[j, s + table.s_offset], mean, atol=1e-13)
        post = np.zeros(beliefs.counts.size)
        for k, _, p in matching:
            post[int(np.searchsorted(beliefs.counts, k))] += p / total
        np.testing.assert_allclose(table.count_probs[j, s + table.s_offset], post, atol=1e-13)
    # State probabilities and reachability.
    for (j, s), mass in state_mass.items():
        assert table.state_probs[j, s + table.s_offset] == pytest.approx(mass, abs=1e-13)
    reachable = {(j, s) for j, s in state_mass}
    for j in range(n_meet + 1):
        assert table.state_probs[j].sum() == pytest.approx(1.0, abs=1e-13)
        for s_idx in range(2 * table.s_offset + 1):
            s = s_idx - table.s_offset
            assert np.isnan(table.expected_cuts[j, s_idx, 0]) == ((j, s) not in reachable)


@pytest.mark.parametrize(("seed", "max_pm"), [(13, 1), (14, 2)])
def test_move_table_tower_property(seed: int, max_pm: int) -> None:
    # Martingale: E over the next move of the expected total remaining cuts equals the
    # current expectation, and likewise for P(K | state); exact up to rounding.
    beliefs = mixed_beliefs(seed, max_pm)
    table = build_move_table(beliefs)
    off = table.s_offset
    for j in range(beliefs.n_meetings):
        for s_idx in np.flatnonzero(table.state_probs[j] > 0):
            nxt = table.next_move_probs[j, s_idx]
            assert nxt.sum() == pytest.approx(1.0, abs=1e-12)
            now = table.expected_cuts[j, s_idx, j:].sum()
            after = 0.0
            post_after = np.zeros(beliefs.counts.size)
            for c, m in enumerate(range(-max_pm, max_pm + 1)):
                if nxt[c] == 0.0:
                    continue
                after += nxt[c] * (m + table.expected_cuts[j + 1, s_idx + m, j + 1 :].sum())
                post_after += nxt[c] * table.count_probs[j + 1, s_idx + m]
            assert after == pytest.approx(now, abs=1e-12)
            np.testing.assert_allclose(post_after, table.count_probs[j, s_idx], atol=1e-12)
            # State probabilities propagate through the transition law too.
            for c, m in enumerate(range(-max_pm, max_pm + 1)):
                if 0 <= s_idx + m <= 2 * off and nxt[c] > 0:
                    assert table.state_probs[j + 1, s_idx + m] > 0.0


def test_move_table_first_row_matches_move_probabilities() -> None:
    beliefs = mixed_beliefs(15, max_pm=2)
    table = build_move_table(beliefs)
    probs = move_probabilities(beliefs)
    np.testing.assert_allclose(
        table.expected_cuts[0, table.s_offset], probs @ np.arange(-2, 3), atol=1e-13
    )
    np.testing.assert_allclose(table.next_move_probs[0, table.s_offset], probs[0], atol=1e-13)


def test_expected_remaining_lookup() -> None:
    table = build_move_table(UNIFORM_0_4)
    j = np.array([0, 2, 2, 8])
    s = np.array([0, 2, 0, 3])
    out = table.expected_remaining(j, s)
    assert out.shape == (4, 8)
    np.testing.assert_array_equal(out, table.expected_cuts[j, s + table.s_offset])
    # After cuts at Jan and Mar, E[K] = 3.5 (see above): 1.5 more over six meetings.
    np.testing.assert_allclose(out[1], [0, 0] + [1.5 / 6] * 6, atol=1e-14)
    assert np.all(out[3] == 0.0)  # nothing left after the last meeting
    np.testing.assert_allclose(table.count_posterior([2], [2])[0], [0, 0, 0.1, 0.3, 0.6])
    with pytest.raises(ValueError, match=r"state \(j=1, s=-1\) has probability zero"):
        table.expected_remaining([0, 1], [0, -1])
    with pytest.raises(ValueError, match=r"state \(j=1, s=2\) has probability zero"):
        table.expected_remaining([1], [2])  # two cuts at one meeting, max is one
    with pytest.raises(ValueError, match=r"j must lie in 0\.\.8"):
        table.expected_remaining([9], [0])


def test_move_table_after_observed_cuts() -> None:
    post = update_on_observed(UNIFORM_0_4, [1, 1])
    table = build_move_table(post)
    assert table.observed_cuts == 2 and table.n_meetings == 6
    np.testing.assert_allclose(table.expected_cuts[0, table.s_offset].sum(), 1.5, atol=1e-14)


# ---------------------------------------------------------------------- caps


def test_cap_counts_meeting_capacity() -> None:
    # Three meetings, one with weight zero, one move each: at most 2 cuts or 2 hikes.
    b = CutBeliefs(np.arange(-4, 5), np.full(9, 1 / 9), np.array([1.0, 0.0, 2.0]))
    capped, moved = cap_counts(b, rate_now_pp=3.625)
    assert capped.counts.tolist() == [-2, -1, 0, 1, 2]
    np.testing.assert_allclose(capped.probs, [3 / 9, 1 / 9, 1 / 9, 1 / 9, 3 / 9], atol=1e-15)
    assert moved == pytest.approx(4 / 9, abs=1e-15)
    build_move_table(capped)  # now feasible


def test_cap_counts_zero_lower_bound() -> None:
    # Midpoint 0.625: two cuts reach 0.125 (range 0-0.25), the lowest; a third would not fit.
    b = CutBeliefs(np.array([1, 3, 5]), np.array([0.2, 0.3, 0.5]), np.ones(8))
    capped, moved = cap_counts(b, rate_now_pp=0.625)
    assert capped.counts.tolist() == [1, 2]
    np.testing.assert_allclose(capped.probs, [0.2, 0.8])
    assert moved == pytest.approx(0.8)
    # Already at the floor: no cuts, hikes untouched; rounding of the rate is tolerated.
    at_floor, _ = cap_counts(CutBeliefs(np.array([-1, 1]), np.array([0.5, 0.5]), np.ones(2)), 0.125)
    assert at_floor.counts.tolist() == [-1, 0]
    assert cap_counts(b, rate_now_pp=0.1 + 0.2 + 0.325)[0].counts.tolist() == [1, 2]


def test_cap_counts_noop_and_observed() -> None:
    same, moved = cap_counts(UNIFORM_0_4, rate_now_pp=3.625)
    assert moved == 0.0
    np.testing.assert_array_equal(same.counts, UNIFORM_0_4.counts)
    # After two observed cuts the rate is 3.125 and six meetings remain: K - 2 <= 6.
    b = CutBeliefs(np.array([2, 6, 9]), np.array([0.3, 0.3, 0.4]), np.ones(6), observed_cuts=2)
    capped, moved = cap_counts(b, rate_now_pp=3.125)
    assert capped.counts.tolist() == [2, 6, 8]
    assert moved == pytest.approx(0.4)
    with pytest.raises(ValueError, match="step_pp"):
        cap_counts(b, 3.0, step_pp=0.0)


# ---------------------------------------------------------------------- market floor


def test_floor_market_covers_the_view() -> None:
    view = CutBeliefs(
        np.array([2, 3, 4]), np.array([0.2, 0.5, 0.3]), np.array([1.0, 1.0, 0.5, 1.0, 1.0])
    )
    market = CutBeliefs(
        np.array([0, 1, 2]), np.array([0.5, 0.3, 0.2]), np.array([1.0, 0.0, 1.0, 2.0, 0.0])
    )
    floored = floor_market(market, view, floor=1e-4)
    assert floored.counts.tolist() == [0, 1, 2, 3, 4]
    assert floored.probs.sum() == pytest.approx(1.0, abs=1e-15)
    assert np.all(floored.probs[2:] >= 1e-4 * (1 - 1e-12))
    # Counts 3 and 4 pinned at the floor exactly; the market's ratios survive elsewhere.
    np.testing.assert_allclose(floored.probs[3:], 1e-4, rtol=1e-12)
    np.testing.assert_allclose(floored.probs[:3] / floored.probs[0], [1.0, 0.6, 0.4], rtol=1e-12)
    # Weight floor = 1e-4 x the market's largest weight (2.0) where the view can move.
    np.testing.assert_allclose(floored.weights, [1.0, 2e-4, 1.0, 2.0, 2e-4])
    # Every state a view path can reach is defined under the floored market.
    view_table = build_move_table(view)
    market_table = build_move_table(floored)
    j, s = np.nonzero(view_table.state_probs > 0)
    s = s - view_table.s_offset
    out = market_table.expected_remaining(j, s)
    assert np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="floor_market"):
        build_move_table(market).expected_remaining(j, s)


def test_floor_market_equal_to_view_changes_nothing() -> None:
    view = mixed_beliefs(16, max_pm=2)
    assert view.probs.min() > 1e-4  # so no count needs raising
    floored = floor_market(view, view)
    np.testing.assert_array_equal(floored.counts, view.counts)
    np.testing.assert_allclose(floored.probs, view.probs, rtol=1e-12)
    np.testing.assert_array_equal(floored.weights, view.weights)


def test_floor_market_small_market_mass_is_raised_exactly() -> None:
    view = CutBeliefs(np.array([0, 1]), np.array([0.5, 0.5]), np.ones(2))
    market = CutBeliefs(np.array([0, 1]), np.array([1.0 - 1e-6, 1e-6]), np.ones(2))
    floored = floor_market(market, view, floor=1e-3)
    np.testing.assert_allclose(floored.probs, [0.999, 0.001], rtol=1e-12)


def test_floor_market_errors() -> None:
    view = CutBeliefs(np.array([0, 1]), np.array([0.5, 0.5]), np.ones(2), max_per_meeting=2)
    with pytest.raises(ValueError, match="view allows 2 moves per meeting but the market only 1"):
        floor_market(CutBeliefs(np.array([0]), np.array([1.0]), np.ones(2)), view)
    with pytest.raises(ValueError, match="same meetings"):
        floor_market(CutBeliefs(np.array([0]), np.array([1.0]), np.ones(3), 2), view)
    with pytest.raises(ValueError, match="floor must be > 0"):
        floor_market(view, view, floor=0.0)
    with pytest.raises(ValueError, match="exceeds 1"):
        floor_market(view, view, floor=0.6)
