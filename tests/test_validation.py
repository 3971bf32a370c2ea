"""The engine against queueing theory, with confidence intervals over independent replications.

Each replication starts empty; its first day is discarded as warm-up. The per-replication estimates are
independent, so a Student-t interval over them is a valid confidence interval for the steady-state
value; each test requires the formula's value inside the 99% interval.

``python -m tests.test_validation`` prints the table of docs/validation.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.staffing import ErlangA, ErlangC
from tests.conftest import single_queue

pytestmark = pytest.mark.slow
WARMUP = pd.Timedelta("1D")


@dataclass(frozen=True)
class Case:
    """A scenario, the formula it must match, and the KPIs compared."""

    name: str
    scenario: dict
    theory: dict          # KPI name -> value from the formula
    replications: int = 40
    seed: int = 101


def _erlang_c(load: float, days: int) -> Case:
    q = ErlangC(rate=load / 300, aht=300, agents=10)
    return Case(f"Erlang C, 10 agents, load {load / 10:.2f}",
                single_queue(agents=10, aht=300, load=load, days=days),
                {"prob_wait": q.prob_wait, "mean_wait": q.mean_wait, "service_level": q.service_level(20)})


def _erlang_a(load: float, patience: float) -> Case:
    q = ErlangA(rate=load / 300, aht=300, agents=10, patience=patience)
    return Case(f"Erlang A, 10 agents, load {load / 10:.2f}, patience {patience:g} s",
                single_queue(agents=10, aht=300, load=load, patience=patience, days=4),
                {"prob_abandon": q.prob_abandon, "mean_wait": q.mean_wait, "prob_wait": q.prob_wait,
                 "service_level": q.service_level(20)}, seed=202)


def _chat() -> Case:
    q = ErlangC(rate=12.75 / 300, aht=300, agents=15)
    return Case("chat, 5 agents x 3 slots = M/M/15, load 0.85",
                single_queue(channel="chat", agents=5, concurrency=3, aht=300, load=12.75, days=5, answer_within=30),
                {"prob_wait": q.prob_wait, "mean_wait": q.mean_wait, "service_level": q.service_level(30)}, seed=303)


def _ticket() -> Case:
    q = ErlangC(rate=9.0 / 300, aht=300, agents=10)
    return Case("ticket, 10 agents, load 0.90, reply deadline 60 s = M/M/10",
                single_queue(channel="ticket", agents=10, aht=300, load=9.0, days=6, answer_within=60),
                {"prob_wait": q.prob_wait, "mean_wait": q.mean_wait, "service_level": q.service_level(60),
                 "late": 1 - q.service_level(60)}, seed=505)


CASES = [_erlang_c(8.0, 4), _erlang_c(9.5, 16), _erlang_a(9.0, 600.0), _erlang_a(12.0, 300.0), _chat(), _ticket()]


def per_replication(res: sim.Results) -> pd.DataFrame:
    """Steady-state estimates of each replication, from the interval table after the warm-up."""
    iv = res.intervals[res.intervals["interval_start"] >= res.intervals["interval_start"].min() + WARMUP]
    iv = iv.fillna({"mean_wait_s": 0.0})
    totals = iv.assign(wait_sum=iv["mean_wait_s"] * (iv["answered"] + iv["abandoned"]))
    g = totals.groupby("replication")[["offered", "answered", "abandoned", "queued",
                                       "answered_within_sl", "wait_sum", "late"]].sum()
    return pd.DataFrame({
        "prob_wait": g["queued"] / g["offered"],
        "mean_wait": g["wait_sum"] / (g["answered"] + g["abandoned"]),
        "service_level": g["answered_within_sl"] / g["offered"],
        "prob_abandon": g["abandoned"] / g["offered"],
        "late": g["late"] / g["offered"],
    })


def ci99(samples: pd.Series) -> tuple[float, float]:
    """Mean and half-width of the 99% Student-t confidence interval."""
    n = len(samples)
    return samples.mean(), stats.t.ppf(0.995, n - 1) * samples.std(ddof=1) / np.sqrt(n)


def assert_in_ci(samples: pd.Series, expected: float, label: str) -> None:
    mean, half = ci99(samples)
    assert abs(mean - expected) <= half, f"{label}: theory {expected:.4f} outside {mean:.4f} ± {half:.4f}"


def estimates(case: Case) -> pd.DataFrame:
    return per_replication(sim.simulate(sim.load_scenario(case.scenario), replications=case.replications,
                                        seed=case.seed))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_against_theory(case):
    est = estimates(case)
    for kpi, value in case.theory.items():
        assert_in_ci(est[kpi], value, f"{case.name}: {kpi}")


def test_formula_checks_can_fail():
    """The CI check rejects a value the simulation does not support (guards the guard)."""
    est = estimates(Case("9 agents", single_queue(agents=10, aht=300, load=8.0, days=3), {}, replications=10))
    wrong = ErlangC(rate=8.0 / 300, aht=300, agents=9)   # one agent fewer
    with pytest.raises(AssertionError):
        assert_in_ci(est["mean_wait"], wrong.mean_wait, "mean wait")


if __name__ == "__main__":
    print("| case | KPI | theory | simulation (mean ± 99% CI half-width) | relative error |")
    print("| --- | --- | --- | --- | --- |")
    for case in CASES:
        est = estimates(case)
        for kpi, value in case.theory.items():
            mean, half = ci99(est[kpi])
            print(f"| {case.name} | {kpi} | {value:.4f} | {mean:.4f} ± {half:.4f} | {(mean - value) / value:+.2%} |")


def test_confidence_intervals_cover_the_formula():
    """Over 100 independent batches of 10 replications (Erlang C, load 0.8), the 95% CI of the mean wait
    covers the formula's value in 90-99% of batches."""
    sc = sim.load_scenario(single_queue(agents=10, aht=300, load=8.0, days=2))
    est = per_replication(sim.simulate(sc, replications=1000, seed=404, workers=2))["mean_wait"].to_numpy()
    theory = ErlangC(rate=8.0 / 300, aht=300, agents=10).mean_wait
    batches = est.reshape(100, 10)
    half = stats.t.ppf(0.975, 9) * batches.std(axis=1, ddof=1) / np.sqrt(10)
    coverage = np.mean(np.abs(batches.mean(axis=1) - theory) <= half)
    assert 0.90 <= coverage <= 0.99, coverage


WRAPPED = [({"dist": "lognormal", "mean": 200, "cv": 0.8}, {"dist": "constant", "value": 100}),
           ({"dist": "exponential", "mean": 240}, {"dist": "gamma", "mean": 60, "cv": 0.5})]


@pytest.mark.parametrize("talk,wrap", WRAPPED)
def test_wrap_up_holds_the_agent_erlang_b(talk, wrap):
    """Callers who find every agent busy (talking or wrapping up) leave at once: an M/G/c/c loss system,
    whose blocking probability is Erlang B of the load lambda * (talk + wrap-up), whatever their
    distributions (insensitivity). 10 agents, 8 Erlangs of talk and wrap-up together."""
    from sim.staffing.formulas import erlang_b

    data = single_queue(agents=10, aht=300, load=8.0, days=3, handle=talk, patience=1e9)
    data["queues"]["q"]["patience"]["balk"] = 1.0
    data["queues"]["q"]["wrap_up"] = wrap
    res = sim.simulate(sim.load_scenario(data), replications=30, seed=606)
    iv = res.intervals[res.intervals["interval_start"] >= res.intervals["interval_start"].min() + WARMUP]
    g = iv.groupby("replication")[["balked", "offered"]].sum()
    assert_in_ci(g["balked"] / g["offered"], erlang_b(10, 8.0), "Erlang B with wrap-up")


def test_pauses_after_contacts_hold_the_agent_erlang_b():
    """``not_ready.after_contact`` with ``when: due``: after each call the agent is away with probability
    0.4 for an exponential 5 minutes, so a call holds its agent for talk plus that pause. Callers who find
    every agent busy or away leave at once: Erlang B of lambda * (talk + 0.4 * 300 s), by insensitivity.
    10 agents, 8 Erlangs of talk and pauses together."""
    from sim.staffing.formulas import erlang_b

    data = single_queue(agents=10, aht=180, load=8.0 * 180 / 300, days=3, patience=1e9)
    data["queues"]["q"]["patience"]["balk"] = 1.0
    data["groups"]["team"]["not_ready"] = {"after_contact": 0.4, "mean": 300}
    res = sim.simulate(sim.load_scenario(data), replications=30, seed=707)
    iv = res.intervals[res.intervals["interval_start"] >= res.intervals["interval_start"].min() + WARMUP]
    g = iv.groupby("replication")[["balked", "offered"]].sum()
    assert_in_ci(g["balked"] / g["offered"], erlang_b(10, 8.0), "Erlang B with pauses after contacts")
