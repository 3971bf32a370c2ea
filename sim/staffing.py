"""Queueing formulas: Erlang B, Erlang C (M/M/c) and Erlang A (M/M/c+M).

Rates are per second and times in seconds. All assume a stationary system: Poisson arrivals at a
constant rate, exponential handle times, identical agents, first come first served.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M: exponential patience of mean ``patience`` (s) on top of Erlang C's parameters.

    Solved exactly from the birth-death chain (truncated where the tail is below 1e-15).

    >>> q = ErlangA(rate=12 / 300, aht=300, agents=10, patience=300)   # overloaded by 20%
    >>> 0.1 < q.prob_abandon < 0.25
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
