"""Staffing formulas: Erlang B, Erlang C (M/M/c), Erlang A (M/M/c+M), square-root staffing, and the
shops' daily-ratio rules.

Rates are per second and times in seconds. The queueing formulas assume a stationary system: Poisson
arrivals at a constant rate, exponential handle times, identical agents, first come first served.
Service level is the planners' convention, answered within the threshold over offered (abandoned
contacts count against it), as in the simulation's tables.

**Chat concurrency.** An agent serving up to ``concurrency`` chats at once is counted as that many
servers, each at the chat's handle time: the required agents are the required servers divided by the
concurrency, rounded up. That is exact for the simulator's chat model (open chats do not slow each other
down) up to the rounding; where multitasking stretches chats, it is optimistic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c with offered ``load`` (Erlangs), by the stable recursion.

    >>> round(erlang_b(3, 2.0), 6)   # (2³/3!) / (1 + 2 + 2 + 2³/3!)
    0.210526
    """
    if agents < 0 or load < 0:
        raise ValueError(f"agents and load must be >= 0, got {agents} and {load}")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


@dataclass(frozen=True)
class ErlangC:
    """M/M/c without abandonment: arrival ``rate`` (1/s), mean handle time ``aht`` (s), ``agents``.

    >>> q = ErlangC(rate=2 / 300, aht=300, agents=3)   # C = 4/9, E[W] = C / (3/300 - 2/300)
    >>> round(q.prob_wait, 4), round(q.mean_wait, 2), round(q.service_level(20), 4)
    (0.4444, 133.33, 0.5842)
    """

    rate: float
    aht: float
    agents: int

    def __post_init__(self):
        if self.load >= self.agents:
            raise ValueError(f"load {self.load:g} Erlangs needs more than {self.agents} agents")

    @property
    def load(self) -> float:
        """Offered load in Erlangs."""
        return self.rate * self.aht

    @property
    def prob_wait(self) -> float:
        """P(an arrival waits), the Erlang C formula."""
        b = erlang_b(self.agents, self.load)
        return b / (1.0 - self.load / self.agents * (1.0 - b))

    @property
    def _drain_rate(self) -> float:
        return self.agents / self.aht - self.rate

    @property
    def mean_wait(self) -> float:
        """Mean wait of all arrivals (s)."""
        return self.prob_wait / self._drain_rate

    def service_level(self, within: float) -> float:
        """P(wait <= ``within`` seconds)."""
        return 1.0 - self.prob_wait * math.exp(-self._drain_rate * within)

    @property
    def occupancy(self) -> float:
        """Share of agent time busy: load / agents."""
        return self.load / self.agents


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M: exponential patience of mean ``patience`` (s) on top of Erlang C's parameters.

    Solved exactly from the birth-death chain (truncated where the tail is below 1e-15); the service
    level follows a tagged arrival through the queue (see ``service_level``). As patience grows it tends
    to Erlang C.

    >>> q = ErlangA(rate=12 / 300, aht=300, agents=10, patience=300)   # overloaded by 20%
    >>> 0.1 < q.prob_abandon < 0.25
    True
    >>> c, a = ErlangC(rate=8 / 300, aht=300, agents=10), ErlangA(rate=8 / 300, aht=300, agents=10, patience=1e9)
    >>> round(a.service_level(20), 5) == round(c.service_level(20), 5)
    True
    """

    rate: float
    aht: float
    agents: int
    patience: float

    def _distribution(self) -> np.ndarray:
        mu, theta, c = 1.0 / self.aht, 1.0 / self.patience, self.agents
        log_p = [0.0]
        n = 0
        while True:
            n += 1
            death = min(n, c) * mu + max(n - c, 0) * theta
            log_p.append(log_p[-1] + math.log(self.rate / death))
            if n > c and log_p[-1] < max(log_p) - 35:
                break
        p = np.exp(np.array(log_p) - max(log_p))
        return p / p.sum()

    @property
    def prob_wait(self) -> float:
        """P(an arrival finds all agents busy) (PASTA)."""
        return float(self._distribution()[self.agents:].sum())

    @property
    def mean_queue(self) -> float:
        p = self._distribution()
        return float(np.sum(np.maximum(np.arange(p.size) - self.agents, 0) * p))

    @property
    def prob_abandon(self) -> float:
        """Share of arrivals that abandon: θ·E[queue] / λ."""
        return self.mean_queue / self.patience / self.rate

    @property
    def mean_wait(self) -> float:
        """Mean time in queue of all arrivals (served or abandoning), E[queue] / λ by Little's law."""
        return self.mean_queue / self.rate

    def service_level(self, within: float) -> float:
        """P(answered within ``within`` seconds): abandoned arrivals count against it.

        An arrival finding k customers queued ahead waits for k + 1 departures from the head of the
        queue; with j ahead the next one comes at rate c·μ + j·θ (a service ends or one of them
        abandons), while the arrival itself abandons at rate θ. The chance of being answered by
        ``within`` is computed for every k at once by uniformisation, then weighted by the
        probability (PASTA) of finding k ahead.
        """
        p = self._distribution()
        ahead = np.arange(p.size - self.agents)                          # customers queued ahead
        served_rate = self.agents / self.aht + ahead / self.patience     # rate of the next step forward
        theta = 1.0 / self.patience
        uniform = float(served_rate[-1] + theta)
        mass = uniform * within
        steps = int(mass + 10 * math.sqrt(mass) + 20)
        weights = stats.poisson.pmf(np.arange(steps + 1), mass)
        answered = np.zeros(ahead.size)            # P(answered within m uniformised steps | k ahead)
        by_time = weights[0] * answered
        move, stay = served_rate / uniform, 1.0 - (served_rate + theta) / uniform
        for m in range(1, steps + 1):
            answered = move * np.concatenate([[1.0], answered[:-1]]) + stay * answered
            by_time = by_time + weights[m] * answered
        return float(p[:self.agents].sum() + np.sum(p[self.agents:] * by_time))


def required_agents(service_level: Callable[[int], float], target: float, start: int = 1) -> int:
    """Fewest agents n >= 1 with ``service_level(n)`` >= ``target``, searched outwards from ``start``.

    ``service_level`` must not fall when agents are added (true of every formula here).

    >>> required_agents(lambda n: n / 100, 0.37, start=90)
    37
    """
    def meets(n: int) -> bool:
        return n >= 1 and service_level(n) >= target

    hi, step = max(1, start), 1
    while not meets(hi):                         # gallop up to a staffing that meets the target
        hi, step = hi + step, 2 * step
    lo, step = hi - 1, 1
    while meets(lo):                             # gallop down to one that does not (0 never does)
        hi, lo, step = lo, max(lo - step, 0), 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        hi, lo = (mid, lo) if meets(mid) else (hi, mid)
    return hi


def erlang_c_agents(rate: float, aht: float, within: float, target: float, concurrency: int = 1) -> int:
    """Agents for P(wait <= ``within``) >= ``target`` by Erlang C, with ``concurrency`` chats per agent.

    >>> erlang_c_agents(rate=100 / 1800, aht=180, within=20, target=0.8)   # the classic 100 calls per half hour
    14
    >>> erlang_c_agents(rate=100 / 1800, aht=180, within=20, target=0.8, concurrency=3)
    5
    """
    if rate <= 0:
        return 0
    load = rate * aht

    def level(n: int) -> float:
        return ErlangC(rate, aht, n).service_level(within) if n > load else 0.0

    return math.ceil(required_agents(level, target, math.floor(load) + 1) / concurrency)


def erlang_a_agents(rate: float, aht: float, patience: float | None, within: float, target: float,
                    concurrency: int = 1) -> int:
    """Agents for answered within ``within`` / offered >= ``target`` by Erlang A (exponential patience of
    mean ``patience`` s; None: Erlang C). Servers may fall short of the load: abandonment keeps the queue stable.

    >>> erlang_a_agents(rate=100 / 1800, aht=180, patience=120, within=20, target=0.8)
    12
    """
    if patience is None:
        return erlang_c_agents(rate, aht, within, target, concurrency)
    if rate <= 0:
        return 0
    servers = required_agents(lambda n: ErlangA(rate, aht, n, patience).service_level(within), target,
                              math.floor(rate * aht) + 1)
    return math.ceil(servers / concurrency)


def halfin_whitt_prob_wait(beta: float) -> float:
    """P(wait) of square-root staffing n = R + β√R in the QED regime (Halfin & Whitt 1981).

    >>> round(halfin_whitt_prob_wait(0.0), 3), round(halfin_whitt_prob_wait(1.0), 4)
    (1.0, 0.2234)
    """
    return float(1.0 / (1.0 + beta * stats.norm.cdf(beta) / stats.norm.pdf(beta)))


def sqrt_agents(rate: float, aht: float, within: float, target: float, concurrency: int = 1) -> int:
    """Square-root staffing n = ⌈R + β√R⌉ for offered load R = λ·AHT, with β from the QED relation.

    In the QED regime P(wait) ≈ α(β) (``halfin_whitt_prob_wait``) and waits drain at rate (n − R)/AHT =
    β√R/AHT, so the service level is about 1 − α(β)·exp(−β√R·within/AHT); β is the smallest value
    meeting ``target``.

    >>> sqrt_agents(rate=100 / 1800, aht=180, within=20, target=0.8)
    13
    """
    if rate <= 0:
        return 0
    load = rate * aht
    root = math.sqrt(load)

    def shortfall(beta: float) -> float:
        return 1.0 - halfin_whitt_prob_wait(beta) * math.exp(-beta * root * within / aht) - target

    beta = optimize.brentq(shortfall, 1e-9, 10.0) if shortfall(1e-9) < 0 else 0.0
    return math.ceil(math.ceil(load + beta * root - 1e-9) / concurrency)


def daily_ratio(daily_volume: float, per_agent_per_day: float) -> float:
    """The shops' rule: agents = daily inquiries / inquiries one agent handles per day (a head count).

    >>> daily_ratio(3000, 150)     # 3,000 inquiries a day, 150 per agent per day
    20.0
    """
    return daily_volume / per_agent_per_day


def refund_specialists(monthly_refunds: float, per_specialist_per_day: float, cycle_days: float) -> float:
    """The shops' rule as the service guide writes it: monthly refunds / refunds one specialist processes
    per day / refund processing cycle (days).

    >>> refund_specialists(9000, 50, 3)
    60.0
    """
    return monthly_refunds / per_specialist_per_day / cycle_days


def agents_for_orders(base_agents: float, base_orders: float, orders: float, per_orders: float = 1000) -> float:
    """Rule of thumb: one more agent for every ``per_orders`` more orders than the base.

    >>> agents_for_orders(base_agents=20, base_orders=5000, orders=12500)
    27.5
    """
    return base_agents + (orders - base_orders) / per_orders
