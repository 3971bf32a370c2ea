"""The engine against queueing theory, with confidence intervals over independent replications.

Each replication starts empty; its first day is discarded as warm-up. The per-replication estimates are
independent, so a Student-t interval over them is a valid confidence interval for the steady-state
value; the test requires the formula's value inside the 99% interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.staffing import ErlangA, ErlangC
from tests.conftest import single_queue

pytestmark = pytest.mark.slow
WARMUP = pd.Timedelta("1D")


def per_replication(res: sim.Results) -> pd.DataFrame:
    """Steady-state estimates of each replication, from the interval table after the warm-up."""
    iv = res.intervals[res.intervals["interval_start"] >= res.intervals["interval_start"].min() + WARMUP]
    iv = iv.fillna({"mean_wait_s": 0.0})
    totals = iv.assign(wait_sum=iv["mean_wait_s"] * (iv["answered"] + iv["abandoned"]))
    g = totals.groupby("replication")[["offered", "answered", "abandoned", "queued",
                                       "answered_within_sl", "wait_sum"]].sum()
    return pd.DataFrame({
        "prob_wait": g["queued"] / g["offered"],
        "mean_wait": g["wait_sum"] / (g["answered"] + g["abandoned"]),
        "service_level": g["answered_within_sl"] / g["offered"],
        "prob_abandon": g["abandoned"] / g["offered"],
    })


def assert_in_ci(samples: pd.Series, expected: float, label: str) -> None:
    n = len(samples)
    mean = samples.mean()
    half = stats.t.ppf(0.995, n - 1) * samples.std(ddof=1) / np.sqrt(n)
    assert abs(mean - expected) <= half, f"{label}: theory {expected:.4f} outside {mean:.4f} ± {half:.4f}"


@pytest.mark.parametrize(("load", "days", "replications"), [(8.0, 4, 20), (9.5, 16, 20)])
def test_erlang_c(load, days, replications):
    sc = sim.load_scenario(single_queue(agents=10, aht=300, load=load, days=days))
    est = per_replication(sim.simulate(sc, replications=replications, seed=101))
    theory = ErlangC(rate=load / 300, aht=300, agents=10)
    assert_in_ci(est["prob_wait"], theory.prob_wait, "P(wait > 0)")
    assert_in_ci(est["mean_wait"], theory.mean_wait, "mean wait")
    assert_in_ci(est["service_level"], theory.service_level(20), "SL(20 s)")


@pytest.mark.parametrize(("load", "patience"), [(9.0, 600.0), (12.0, 300.0)])   # 12 Erlangs on 10 agents
def test_erlang_a(load, patience):
    sc = sim.load_scenario(single_queue(agents=10, aht=300, load=load, patience=patience, days=4))
    est = per_replication(sim.simulate(sc, replications=20, seed=202))
    theory = ErlangA(rate=load / 300, aht=300, agents=10, patience=patience)
    assert_in_ci(est["prob_abandon"], theory.prob_abandon, "P(abandon)")
    assert_in_ci(est["mean_wait"], theory.mean_wait, "mean wait")
    assert_in_ci(est["prob_wait"], theory.prob_wait, "P(wait > 0)")


def test_chat_concurrency_is_m_m_kc():
    """5 agents × 3 chat slots, no slowdown, behave as 15 servers (M/M/15)."""
    sc = sim.load_scenario(single_queue(channel="chat", agents=5, concurrency=3, aht=300, load=12.75,
                                        days=5, answer_within=30))
    est = per_replication(sim.simulate(sc, replications=20, seed=303))
    theory = ErlangC(rate=12.75 / 300, aht=300, agents=15)
    assert_in_ci(est["prob_wait"], theory.prob_wait, "P(wait > 0)")
    assert_in_ci(est["mean_wait"], theory.mean_wait, "mean wait")
    assert_in_ci(est["service_level"], theory.service_level(30), "SL(30 s)")


def test_formula_checks_can_fail():
    """The CI check rejects a value the simulation does not support (guards the guard)."""
    sc = sim.load_scenario(single_queue(agents=10, aht=300, load=8.0, days=3))
    est = per_replication(sim.simulate(sc, replications=10, seed=101))
    wrong = ErlangC(rate=8.0 / 300, aht=300, agents=9)   # one agent fewer
    with pytest.raises(AssertionError):
        assert_in_ci(est["mean_wait"], wrong.mean_wait, "mean wait")
