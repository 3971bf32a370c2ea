"""Per-interval staffing requirements of a scenario, formula by formula.

Each interval is treated as a stationary queue with the interval's expected arrival rate (SIPP:
stationary independent period by period): the rate curve (profile, weekday factors, surges) with the
day-to-day factor at its mean of 1, and the contacts expected from orders, less the bot's expected
share. With ``lag=True`` an interval gets the rate of one mean handle time earlier (lagged SIPP, Green,
Kolesar & Whitt 2007), which follows surges better when handle times are long. Customers coming back
(``repeat``) add their expected contacts. Handle time and patience enter by their means (Erlang A takes
patience as exponential); retrials are not counted. Formulas cover
the chat and call queues with their own arrivals or contacts from orders; refund queues (back-office
work with deadlines in hours) and queues fed only by escalations keep the scenario's own groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.arrivals import bot_share
from sim.channels import channel_of
from sim.orders import expected_from_orders
from sim.rates import rate_curve
from sim.scenario import Scenario
from sim.staffing.formulas import ErlangA, ErlangC, daily_ratio, erlang_a_agents, erlang_c_agents, sqrt_agents

FORMULAS = ("daily_ratio", "erlang_c", "erlang_a", "sqrt")
SHIFT_HOURS = 8.0            # a working day, for the daily-ratio rules
PLANNED_OCCUPANCY = 0.85     # default productivity of the daily-ratio rule (see ``default_per_agent_per_day``)


@dataclass(frozen=True)
class QueueDemand:
    """What the formulas know of a queue: expected ``rate`` per interval (arrivals/s reaching agents),
    mean handle time ``aht`` and patience (s; None: nobody abandons), the SLA and chats per agent.
    """

    queue: str
    rate: np.ndarray
    aht: float
    patience: float | None
    within: float
    target: float
    concurrency: int


def covered_queues(sc: Scenario) -> list[str]:
    """The queues the formulas staff: chats and calls with their own arrivals or contacts from orders."""
    return [name for name, q in sc.queues.items()
            if channel_of(q).erlang and (q.arrivals is not None or q.from_orders)]


def concurrency_of(sc: Scenario, queue: str) -> int:
    """Chats per agent for ``queue``: that of the first group serving it (1 if none does)."""
    return next((g.concurrency for g in sc.groups.values() if queue in g.skills), 1)


def interval_rates(sc: Scenario, queue: str, lag: float = 0.0) -> np.ndarray:
    """Expected arrivals per second reaching agents in each interval, ``lag`` seconds earlier.

    Exact for the piecewise-constant rate curve (before the horizon its first rate is assumed), plus the
    contacts expected from orders (``sim.orders``), less the bot's share at the interval's middle, plus
    the customers coming back (``with_repeats``).
    """
    bounds = np.arange(sc.n_intervals + 1) * sc.interval - lag
    if not any(q.repeat is not None for q in sc.queues.values()):
        return first_contacts(sc, queue, bounds) / sc.interval
    return with_repeats(sc, bounds, {name: first_contacts(sc, name, bounds) for name in sc.queues})[queue] / sc.interval


def with_repeats(sc: Scenario, bounds: np.ndarray, first: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Expected contacts of every queue between consecutive ``bounds`` (s): the ``first`` contacts, plus
    the repeats they bring (``repeat``: probability × the contacts of the interval, spread by the repeat
    delay from its middle, into ``repeat.to``), and the repeats of those, until a round adds less than a
    millionth. Every contact counts as resolved (an upper bound where customers abandon or escalate) and
    service time is left out of the delay.
    """
    middles = (bounds[:-1] + bounds[1:]) / 2
    spread = {name: q.repeat.probability * np.diff(q.repeat.delay.cdf(bounds[None, :] - middles[:, None]), axis=1)
              for name, q in sc.queues.items() if q.repeat is not None}    # interval → later intervals
    total = {name: counts.copy() for name, counts in first.items()}
    wave = first
    for _ in range(100):
        later = {name: np.zeros(middles.size) for name in sc.queues}
        for name, moved in spread.items():
            if wave[name].any():
                later[sc.queues[name].repeat.to or name] += wave[name] @ moved
        for name in total:
            total[name] += later[name]
        wave = later
        if sum(v.sum() for v in later.values()) < 1e-6 * max(sum(v.sum() for v in total.values()), 1.0):
            break
    return total


def first_contacts(sc: Scenario, queue: str, bounds: np.ndarray) -> np.ndarray:
    """Expected contacts of ``queue`` between consecutive ``bounds`` (s) from its own arrivals and orders,
    less the bot's share (repeats aside).
    """
    expected = np.zeros(bounds.size - 1)
    if sc.queues[queue].arrivals is not None:
        curve = rate_curve(sc, queue)
        mid = (curve.edges[:-1] + curve.edges[1:]) / 2
        net = curve.rates * (1.0 - bot_share(sc, queue, mid))
        cumulative = np.concatenate([[0.0], np.cumsum(net * np.diff(curve.edges))])
        expected = np.diff(np.interp(bounds, curve.edges, cumulative)
                           + np.where(bounds < curve.edges[0], net[0] * (bounds - curve.edges[0]), 0.0))
    from_orders = expected_from_orders(sc, queue, bounds)
    return expected + from_orders * (1.0 - bot_share(sc, queue, (bounds[:-1] + bounds[1:]) / 2))


def queue_demand(sc: Scenario, queue: str, lag: bool = False) -> QueueDemand:
    q = sc.queues[queue]
    aht = q.handle_time.mean
    return QueueDemand(queue, interval_rates(sc, queue, aht if lag else 0.0), aht,
                       None if q.patience is None else q.patience.mean, q.sla.answer_within, q.sla.target,
                       concurrency_of(sc, queue))


def default_per_agent_per_day(d: QueueDemand) -> float:
    """Contacts one agent handles in a day when none is given: an 8-hour day at 85% occupancy, times the
    chats per agent, over the mean handle time.
    """
    return SHIFT_HOURS * 3600 * PLANNED_OCCUPANCY * d.concurrency / d.aht


def daily_ratio_agents(sc: Scenario, d: QueueDemand, per_agent_per_day: float) -> np.ndarray:
    """Agents on duty per interval by the shops' rule: head count = the day's contacts / contacts per agent
    per day; each works ``SHIFT_HOURS``, spread evenly over the intervals of the day with any arrivals.
    """
    day = sc.interval_days
    agents = np.zeros(sc.n_intervals)
    for d_index in np.unique(day):
        today = day == d_index
        open_now = today & (d.rate > 0)
        if open_now.any():
            head_count = daily_ratio(float(np.sum(d.rate[today]) * sc.interval), per_agent_per_day)
            agents[open_now] = head_count * SHIFT_HOURS * 3600 / (open_now.sum() * sc.interval)
    return np.ceil(agents - 1e-9).astype(int)


def _per_interval(d: QueueDemand, formula: str) -> np.ndarray:
    """Agents per interval by a queueing formula, each interval on its own (SIPP)."""
    agents_for = {
        "erlang_c": lambda rate: erlang_c_agents(rate, d.aht, d.within, d.target, d.concurrency),
        "erlang_a": lambda rate: erlang_a_agents(rate, d.aht, d.patience, d.within, d.target, d.concurrency),
        "sqrt": lambda rate: sqrt_agents(rate, d.aht, d.within, d.target, d.concurrency),
    }[formula]
    known: dict[float, int] = {}                  # flat stretches repeat the same rate
    for rate in d.rate:
        if rate not in known:
            known[rate] = agents_for(rate)
    return np.array([known[rate] for rate in d.rate])


def erlang_service_level(d: QueueDemand, rate: float, agents: int) -> float:
    """What stationary theory predicts for ``agents`` (Erlang A with patience, else Erlang C); 1 without traffic."""
    servers = agents * d.concurrency
    if rate <= 0:
        return 1.0
    if d.patience is not None:
        return ErlangA(rate, d.aht, servers, d.patience).service_level(d.within) if servers else 0.0
    return ErlangC(rate, d.aht, servers).service_level(d.within) if servers > rate * d.aht else 0.0


def requirements(sc: Scenario, formulas: tuple[str, ...] = FORMULAS, lag: bool = False,
                 per_agent_per_day: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per (formula, interval, queue): expected ``offered`` contacts, offered ``load`` (Erlangs),
    required ``agents`` and ``erlang_sl``, the service level stationary theory predicts for them.

    ``per_agent_per_day`` (by queue) feeds the daily-ratio rule; missing queues get
    ``default_per_agent_per_day``.
    """
    unknown = [f for f in formulas if f not in FORMULAS]
    if unknown:
        raise ValueError(f"unknown formula {unknown[0]!r}; choose from {', '.join(FORMULAS)}")
    starts = pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, unit="s")
    tables = []
    for queue in covered_queues(sc):
        d = queue_demand(sc, queue, lag)
        for formula in formulas:
            if formula == "daily_ratio":
                productivity = (per_agent_per_day or {}).get(queue) or default_per_agent_per_day(d)
                agents = daily_ratio_agents(sc, d, productivity)
            else:
                agents = _per_interval(d, formula)
            tables.append(pd.DataFrame({
                "formula": formula, "interval_start": starts, "queue": queue,
                "offered": d.rate * sc.interval, "load": d.rate * d.aht, "agents": agents,
                "erlang_sl": [erlang_service_level(d, r, int(n)) for r, n in zip(d.rate, agents)]}))
    return pd.concat(tables, ignore_index=True)


def agent_hours(agents: np.ndarray, interval: float) -> float:
    """Agent-hours of a per-interval staffing."""
    return float(np.sum(agents) * interval / 3600)

