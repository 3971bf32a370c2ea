"""Rate curves and Poisson arrivals against their definitions, with statistical tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from sim import arrivals
from sim.arrivals import (
    arrival_times,
    generate_demand,
    poisson_arrivals,
    poisson_arrivals_many,
    poisson_arrivals_numpy,
)
from sim.profiles import BUILTIN_PROFILES, shares_per_interval
from sim.rates import rate_curve
from sim.streams import stream
from tests.conftest import MIXED

ROOT = Path(__file__).resolve().parent.parent


def scenario(**changes):
    data = {**MIXED, **changes}
    return sim.load_scenario(data)


@pytest.mark.parametrize("name", list(BUILTIN_PROFILES))
def test_profiles_share_the_whole_day(name):
    for per_day in (24, 48, 96, 288):
        shares = shares_per_interval(BUILTIN_PROFILES[name], per_day)
        assert shares.size == per_day and shares.min() >= 0 and shares.sum() == pytest.approx(1.0)


def test_rate_curve_integrates_to_daily_volume_and_surges():
    sc = scenario(surges=[{"start": "2026-11-10T10:00", "end": "2026-11-10T12:00", "multiplier": 4},
                          {"start": "2026-11-10T20:00", "end": "2026-11-10T22:00", "multiplier": 3,
                           "shape": "decay", "queues": ["calls"]}])
    plain = scenario(surges=[])
    chat, chat0 = rate_curve(sc, "chat_a"), rate_curve(plain, "chat_a")
    assert chat0.expected() == pytest.approx(3000)
    at = lambda c, hour: c.rates[np.searchsorted(c.edges, hour * 3600, side="right") - 1]  # noqa: E731
    assert at(chat, 11) == pytest.approx(4 * at(chat0, 11))
    assert at(chat, 21) == pytest.approx(at(chat0, 21))                 # decay surge is calls only
    calls, calls0 = rate_curve(sc, "calls"), rate_curve(plain, "calls")
    ratio = [at(calls, h) / at(calls0, h) for h in (20.01, 21.0, 21.99)]
    assert ratio[0] == pytest.approx(3.0, abs=0.05) and ratio[1] == pytest.approx(2.0, abs=0.05)
    assert ratio[2] == pytest.approx(1.0, abs=0.05)


def test_weekday_factors_apply_per_calendar_day():
    data = {**MIXED, "horizon": "2d", "surges": []}   # Tuesday 10 and Wednesday 11 November
    data["queues"] = {**MIXED["queues"], "chat_b": {**MIXED["queues"]["chat_b"], "arrivals": {
        "daily_volume": 1000, "weekday_factors": [1, 1, 2, 1, 1, 1, 1]}}}
    curve = rate_curve(sim.load_scenario(data), "chat_b")
    day1 = curve.edges[:-1] < 86400
    widths = np.diff(curve.edges)
    assert np.sum((curve.rates * widths)[day1]) == pytest.approx(1000)
    assert np.sum((curve.rates * widths)[~day1]) == pytest.approx(2000)


@pytest.mark.parametrize("generator", [poisson_arrivals, poisson_arrivals_numpy])
def test_arrivals_are_poisson_with_the_curve(generator):
    """Counts per replication: mean Λ and variance Λ (99.9% bounds); times spread as the rate says."""
    curve = rate_curve(scenario(), "chat_a")
    counts, pooled = [], []
    for r in range(300):
        times = generator(curve, stream(1, r, "test"))
        assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < curve.edges[-1]
        counts.append(times.size)
        pooled.append(times)
    counts = np.array(counts)
    lam = curve.expected()
    z = (counts.mean() - lam) / np.sqrt(lam / counts.size)
    assert abs(z) < 3.3
    chi2 = (counts.size - 1) * counts.var(ddof=1) / lam      # dispersion test, chi² with n-1 df
    assert stats.chi2.ppf(0.0005, counts.size - 1) < chi2 < stats.chi2.ppf(0.9995, counts.size - 1)
    hourly = np.histogram(np.concatenate(pooled), bins=np.arange(25) * 3600.0)[0]
    cumulative = np.concatenate([[0.0], np.cumsum(curve.rates * np.diff(curve.edges))])
    expected = np.diff(np.interp(np.arange(25) * 3600.0, curve.edges, cumulative))
    assert stats.chisquare(hourly, expected / expected.sum() * hourly.sum()).pvalue > 0.001


def test_day_to_day_noise_gives_gamma_overdispersion():
    """Var N = Λ + Λ² cv² for a Gamma(1/cv², cv²) daily factor (Jongbloed & Koole)."""
    data = {**MIXED, "queues": {"q": {"channel": "call", "arrivals": {"daily_volume": 2000, "day_to_day_cv": 0.2},
                                      "handle_time": {"dist": "exponential", "mean": 60}}},
            "groups": {"g": {"skills": ["q"], "headcount": 1}}, "surges": []}
    sc = sim.load_scenario(data)
    counts = np.array([len(generate_demand(sc, r, 7)) for r in range(400)])
    expected_var = 2000 + 2000**2 * 0.04
    assert abs(counts.mean() - 2000) < 3.3 * np.sqrt(expected_var / counts.size)
    ratio = counts.var(ddof=1) / expected_var
    low, high = (stats.chi2.ppf(q, counts.size - 1) / (counts.size - 1) for q in (0.0005, 0.9995))
    assert low < ratio < high


def test_streams_are_named_not_positional():
    """Adding a queue leaves another queue's customers untouched; other seeds differ."""
    one = {**MIXED, "queues": {"calls": MIXED["queues"]["calls"]},
           "groups": {"phones": MIXED["groups"]["phones"]}, "surges": []}
    both = {**MIXED, "surges": []}
    d1 = generate_demand(sim.load_scenario(one), 0, 5)
    d2 = generate_demand(sim.load_scenario(both), 0, 5)
    calls = d2.queue == list(both["queues"]).index("calls")
    np.testing.assert_array_equal(d1.time, d2.time[calls])
    np.testing.assert_array_equal(d1.work, d2.work[calls])
    np.testing.assert_array_equal(d1.patience, d2.patience[calls])
    assert not np.array_equal(d1.time, generate_demand(sim.load_scenario(one), 1, 5).time)


def test_batched_arrivals_do_not_depend_on_the_batch():
    """One Numba call for many replications gives each replication the times it gets alone."""
    sc = sim.load_scenario(ROOT / "scenarios" / "double11_refunds.yaml")
    alone = [arrival_times(sc, [r], 9)[0] for r in range(6)]
    names = {sim.scenario.ORDERS, *[q for q, spec in sc.queues.items() if spec.arrivals is not None]}
    batches = {(0, 1, 2, 3, 4, 5): arrival_times(sc, list(range(6)), 9),
               (5, 0, 3): arrival_times(sc, [5, 0, 3], 9)}
    for replications, batch in batches.items():
        for r, mine in zip(replications, batch):
            assert mine.keys() == names
            for name in mine:
                np.testing.assert_array_equal(mine[name], alone[r][name])


def test_an_item_out_of_room_is_drawn_again_from_the_same_state(monkeypatch):
    curves = [rate_curve(scenario(), name) for name in ("chat_a", "calls")] * 3
    expected = poisson_arrivals_many(curves, [stream(2, i, "x") for i in range(6)])
    monkeypatch.setattr(arrivals, "ROOM_SDS", -4.0)          # too little room for most items
    again = poisson_arrivals_many(curves, [stream(2, i, "x") for i in range(6)])
    for mine, theirs in zip(again, expected):
        np.testing.assert_array_equal(mine, theirs)


def test_a_weekday_profile_shapes_only_its_own_days():
    """Saturday's own profile (all of its volume 10:00-14:00) leaves the other days and every day's volume alone."""
    data = {**MIXED, "horizon": "7d", "surges": []}
    data["queues"] = {**MIXED["queues"], "calls": {**MIXED["queues"]["calls"], "arrivals": {
        "daily_volume": 800, "profile": "ecommerce_call", "weekday_profiles": {"Sat": [0] * 10 + [1] * 4 + [0] * 10}}}}
    sc, plain = sim.load_scenario(data), sim.load_scenario({**data, "queues": {**data["queues"], "calls": {
        **data["queues"]["calls"], "arrivals": {"daily_volume": 800, "profile": "ecommerce_call"}}}})
    with_sat, without = rate_curve(sc, "calls"), rate_curve(plain, "calls")
    for day in range(7):
        lo, hi = day * 86400, (day + 1) * 86400
        mine = (with_sat.edges[:-1] >= lo) & (with_sat.edges[:-1] < hi)
        volume = np.sum((with_sat.rates * np.diff(with_sat.edges))[mine])
        assert volume == pytest.approx(800)
        if sc.day(day).weekday() == 5:
            hours = (with_sat.edges[:-1][mine] - lo) / 3600
            assert np.all(with_sat.rates[mine][(hours < 10) | (hours >= 14)] == 0)
        else:
            np.testing.assert_allclose(with_sat.rates[mine], without.rates[mine])
