"""Retrials and balking against exact calculations, and their conservation laws."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import single_queue

PATIENCE, DELAY = 60.0, 240.0


def unattended(retry_probability: float, balk: float = 0.0, days: int = 1) -> sim.Scenario:
    """Calls nobody answers (headcount 0): every attempt abandons after exactly PATIENCE seconds."""
    data = single_queue(agents=0, rate_per_s=0.02, days=days)
    data["queues"]["q"]["patience"] = {"dist": "constant", "value": PATIENCE, "balk": balk}
    data["queues"]["q"]["retrial"] = {"probability": retry_probability,
                                      "delay": {"dist": "constant", "value": DELAY}}
    return sim.load_scenario(data)


def test_retrials_match_the_truncated_geometric_calculation():
    """Attempt k of a caller arriving at t0 comes at t0 + k(P + D) with probability p^k, if before the horizon.

    Expected retrials = Σ_callers Σ_{k=1..m} p^k and variance Σ (E[K²] − E[K]²) with E[K²] = Σ (2k−1) p^k,
    m = attempts that fit before the horizon; the count must be within 4 standard deviations.
    """
    p = 0.6
    sc = unattended(p)
    res = sim.simulate(sc, replications=5, seed=11, record_contacts=True)
    contacts = res.contacts
    first = contacts[contacts["attempt"] == 0]["arrival_s"].to_numpy()
    fits = np.floor((sc.horizon - first) / (PATIENCE + DELAY) - 1e-9).astype(int)
    mean = var = 0.0
    for m in fits:
        k = np.arange(1, m + 1)
        ek, ek2 = np.sum(p**k), np.sum((2 * k - 1) * p**k)
        mean += ek
        var += ek2 - ek**2
    retrials = (contacts["attempt"] > 0).sum()
    assert abs(retrials - mean) < 4 * np.sqrt(var), (retrials, mean, np.sqrt(var))
    assert res.intervals["retrials"].sum() == retrials


def test_retrial_times_follow_abandonment_plus_delay():
    res = sim.simulate(unattended(0.5), seed=3, record_contacts=True)
    c = res.contacts
    assert (c["outcome"] != "answered").all()
    # Every retrial arrives PATIENCE + DELAY after an earlier attempt of the same queue.
    earlier = np.sort(c["arrival_s"].to_numpy())
    for t in c.loc[c["attempt"] > 0, "arrival_s"]:
        gap = t - earlier[np.searchsorted(earlier, t - (PATIENCE + DELAY) - 1e-6)]
        assert gap == pytest.approx(PATIENCE + DELAY, abs=1e-6)


def test_attempts_are_conserved_per_interval():
    data = single_queue(agents=8, load=9, patience=120, days=2)
    data["queues"]["q"]["patience"]["balk"] = 0.2
    data["queues"]["q"]["retrial"] = {"probability": 0.5, "delay": {"dist": "exponential", "mean": 300}}
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=5, record_contacts=True)
    iv = res.intervals
    assert (iv["first_attempts"] + iv["retrials"] == iv["offered"]).all()
    assert (iv["offered"] == iv["answered"] + iv["abandoned"] + iv["waiting_at_end"]).all()
    assert iv["retrials"].sum() > 0 and iv["balked"].sum() > 0
    balked = res.contacts[res.contacts["balked"]]
    assert (balked["outcome"] == "abandoned").all() and (balked["wait_s"] == 0).all()
    assert len(res.contacts) == iv["offered"].sum()


def test_balking_share_matches_its_probability():
    """Nobody is ever free, so every arrival balks with probability 0.3 (99.9% binomial band)."""
    res = sim.simulate(unattended(0.0, balk=0.3, days=2), replications=3, seed=8)
    iv = res.intervals
    n, balked = iv["offered"].sum(), iv["balked"].sum()
    assert abs(balked / n - 0.3) < 3.3 * np.sqrt(0.3 * 0.7 / n)
    assert iv["retrials"].sum() == 0


def test_no_retrials_without_the_key():
    base = single_queue(agents=8, load=9, patience=120, days=1)
    with_zero = single_queue(agents=8, load=9, patience=120, days=1)
    with_zero["queues"]["q"]["retrial"] = {"probability": 0.0, "delay": {"dist": "constant", "value": 60}}
    a = sim.simulate(sim.load_scenario(base), seed=2).intervals
    b = sim.simulate(sim.load_scenario(with_zero), seed=2).intervals
    assert a.equals(b)
