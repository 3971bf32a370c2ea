"""Staffing formulas against published values, independent computations and their limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from sim.staffing import (
    ErlangA,
    ErlangC,
    agents_for_orders,
    daily_ratio,
    erlang_a_agents,
    erlang_b,
    erlang_c_agents,
    refund_specialists,
    sqrt_agents,
)


def erlang_b_closed_form(c: int, load: float) -> float:
    terms = [load**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_c_in_logs(c: int, load: float) -> float:
    """P(wait) from the textbook sum, in log space so that hundreds of agents do not overflow."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(c)]
    last = c * math.log(load) - math.lgamma(c + 1) + math.log(c / (c - load))
    top = max(*logs, last)
    return math.exp(last - top) / (sum(math.exp(x - top) for x in logs) + math.exp(last - top))


@pytest.mark.parametrize("c", range(0, 11))
@pytest.mark.parametrize("load", [0.1, 1.0, 4.5, 9.9])
def test_erlang_b_recursion_equals_the_closed_form(c, load):
    assert erlang_b(c, load) == pytest.approx(erlang_b_closed_form(c, load), rel=1e-12)


@pytest.mark.parametrize("c,load,published", [(12, 10.0, 0.4494), (11, 10.0, 0.6821)])
def test_erlang_c_against_published_tables(c, load, published):
    assert ErlangC(rate=load / 300, aht=300, agents=c).prob_wait == pytest.approx(published, abs=5e-5)


def test_the_classic_half_hour_example():
    """100 calls in 30 minutes, 180 s handle time, 80/20: 14 agents at 88.8% (13 give 79.6%)."""
    assert erlang_c_agents(rate=100 / 1800, aht=180, within=20, target=0.8) == 14
    assert ErlangC(rate=100 / 1800, aht=180, agents=14).service_level(20) == pytest.approx(0.888, abs=5e-4)


@pytest.mark.parametrize("c,load", [(30, 25.0), (120, 110.0), (300, 290.0), (600, 580.0), (1000, 990.0)])
def test_erlang_c_is_stable_for_hundreds_of_agents(c, load):
    assert ErlangC(rate=load / 300, aht=300, agents=c).prob_wait == pytest.approx(erlang_c_in_logs(c, load),
                                                                                  rel=1e-9)


@pytest.mark.parametrize("c,load", [(10, 8.0), (50, 47.0), (300, 290.0)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(c, load):
    erlang_c = ErlangC(rate=load / 300, aht=300, agents=c)
    previous = math.inf
    for patience in (1e3, 1e5, 1e7, 1e9):
        a = ErlangA(rate=load / 300, aht=300, agents=c, patience=patience)
        gap = abs(a.service_level(20) - erlang_c.service_level(20))
        assert gap <= previous
        previous = gap
    assert a.prob_wait == pytest.approx(erlang_c.prob_wait, rel=1e-5)
    assert a.mean_wait == pytest.approx(erlang_c.mean_wait, rel=1e-4)
    assert a.service_level(20) == pytest.approx(erlang_c.service_level(20), abs=1e-5)
    assert a.prob_abandon < 1e-4


def tagged_customer_service_level(c: int, rate: float, aht: float, patience: float, within: float) -> float:
    """Erlang A's service level by a different route: the matrix exponential of the tagged arrival's chain."""
    a = ErlangA(rate, aht, c, patience)
    p = a._distribution()
    k_max = p.size - c
    # states: 0..k_max-1 = customers ahead, k_max = answered, k_max + 1 = abandoned
    q = np.zeros((k_max + 2, k_max + 2))
    for k in range(k_max):
        forward = c / aht + k / patience
        q[k, k - 1 if k > 0 else k_max] += forward
        q[k, k_max + 1] += 1 / patience
        q[k, k] = -(forward + 1 / patience)
    answered = linalg.expm(q * within)[:k_max, k_max]
    return float(p[:c].sum() + np.sum(p[c:] * answered))


@pytest.mark.parametrize("c,load,patience,within", [(5, 4.5, 100.0, 20.0), (10, 12.0, 300.0, 20.0),
                                                     (20, 18.0, 60.0, 60.0), (8, 6.0, 30.0, 0.0)])
def test_erlang_a_service_level_by_two_methods(c, load, patience, within):
    a = ErlangA(rate=load / 300, aht=300, agents=c, patience=patience)
    assert a.service_level(within) == pytest.approx(
        tagged_customer_service_level(c, load / 300, 300, patience, within), abs=1e-9)
    if within == 0:
        assert a.service_level(0) == pytest.approx(1 - a.prob_wait)


@pytest.mark.parametrize("load", [20.0, 50.0, 100.0, 200.0, 500.0])
@pytest.mark.parametrize("target,within", [(0.8, 20.0), (0.9, 10.0)])
def test_square_root_staffing_is_within_one_agent_of_erlang_c(load, target, within):
    """The QED approximation gets better with size; for these loads it is within one agent."""
    rate = load / 300
    assert abs(sqrt_agents(rate, 300, within, target) - erlang_c_agents(rate, 300, within, target)) <= 1


@settings(max_examples=60, deadline=None)
@given(load=st.floats(0.2, 150), aht=st.floats(30, 900), target=st.floats(0.5, 0.95), within=st.floats(0, 120),
       patience=st.one_of(st.none(), st.floats(20, 2000)), concurrency=st.integers(1, 5))
def test_requirements_are_the_fewest_agents_meeting_the_target(load, aht, target, within, patience, concurrency):
    rate = load / aht
    n = erlang_a_agents(rate, aht, patience, within, target, concurrency)
    servers = n * concurrency

    def level(k: int) -> float:
        if patience is None:
            return ErlangC(rate, aht, k).service_level(within) if k > load else 0.0
        return ErlangA(rate, aht, k, patience).service_level(within)

    assert level(servers) >= target
    assert servers - concurrency < 1 or level(servers - concurrency) < target


def test_the_shops_rules_by_hand():
    """The shops' rules as written (docs/domain.md): 3,000 inquiries / 150 per agent = 20 agents; 9,000
    refunds a month / 50 per specialist per day / 3-day cycle = 60 specialists; +1 agent per 1,000 more orders."""
    assert daily_ratio(3000, 150) == 20
    assert refund_specialists(9000, 50, 3) == 60
    assert agents_for_orders(base_agents=20, base_orders=5000, orders=12500) == 27.5
