"""What one replication of a scenario costs before it runs: contacts, agent shifts, intervals and memory.

A replication holds every contact, every agent shift and a row per interval and queue or group in
memory until its tables are computed. ``estimate`` counts them from the scenario alone (expected
arrivals from the rate curves, retrials and escalations at their most) and prices them with costs
measured on this engine (docs/performance.md). ``problems`` refuses a run that would not fit in the
memory limit, naming the scenario key that drives the cost; ``notes`` warns of runs that are large but fit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.channels import channel_of
from sim.files import show
from sim.orders import expected_from_source
from sim.rates import planned, rate_curve
from sim.scenario import ORDERS, Scenario

BYTES_PER_CONTACT = 400         # measured 190-340 B (engine arrays, tables' temporaries)
BYTES_PER_AGENT_SHIFT = 3000    # measured 1.2-2.8 KB (agent object, its shift, break and overtime events)
BYTES_PER_ORDER = 40           # its time, and per source a draw and a mask (counted, not measured)
BYTES_PER_DRAW = 40             # a contact drawn from an order, inside the horizon or not (its time, delay, mask)
BYTES_PER_CELL = 7000           # per interval and queue or group, the statistics tables included: 5.5-7.5 KB
PROCESS_BYTES = 300 * 2**20     # a worker process with NumPy, pandas, SimPy and Numba loaded
LARGE_BYTES = 2**30             # above this per replication, a run prints a note
# Seconds of one replication per item (measured on this engine, docs/performance.md; conservative).
SECONDS_PER_CONTACT = 2e-5      # 5-20 µs; a conversation of several messages up to about 50 µs
SECONDS_PER_AGENT_SHIFT = 4e-5  # 32 µs
SECONDS_PER_CELL = 4e-5         # 35 µs
SECONDS_PER_DRAW = 1e-7
LONG_S = 300.0                  # above this per replication, a run prints a note


def physical_memory() -> float:
    """Bytes of memory this machine (or its container's limit, when lower) offers; 8 GiB if unknown."""
    try:
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = 8.0 * 2**30
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            total = min(total, float(limit))
    return total


def default_memory_limit() -> float:
    """The memory a run may use by default: 80% of ``physical_memory()``."""
    return 0.8 * physical_memory()


def gigabytes(n_bytes: float) -> str:
    """'1.5 GB', '40 MB' or '3e+302 GB' (powers of 1024)."""
    if not math.isfinite(n_bytes) or n_bytes >= 1e6 * 2**30:
        return f"{n_bytes / 2**30:.1e} GB"
    return f"{n_bytes / 2**30:,.1f} GB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MB"


@dataclass
class Driver:
    """What one scenario key brings to a replication: ``count`` of ``noun`` costing ``bytes``; its ``value``."""

    count: float
    noun: str
    bytes: float
    value: object


@dataclass
class Workload:
    """Expected ``contacts``, ``agent_shifts`` and interval ``cells`` of one replication, and its memory.

    ``drivers`` maps the scenario key paths behind the cost to what each brings, the costliest first.
    """

    contacts: float = 0.0
    orders: float = 0.0
    draws: float = 0.0
    agent_shifts: float = 0.0
    cells: int = 0
    drivers: dict[str, Driver] = field(default_factory=dict)

    @property
    def memory(self) -> float:
        """Bytes one replication needs, its process included."""
        return (PROCESS_BYTES + self.contacts * BYTES_PER_CONTACT + self.orders * BYTES_PER_ORDER
                + self.draws * BYTES_PER_DRAW + self.agent_shifts * BYTES_PER_AGENT_SHIFT
                + self.cells * BYTES_PER_CELL)

    @property
    def seconds(self) -> float:
        """Seconds one replication takes on one core of this machine (an estimate: within a factor of two)."""
        return (self.contacts * SECONDS_PER_CONTACT + self.agent_shifts * SECONDS_PER_AGENT_SHIFT
                + self.cells * SECONDS_PER_CELL + (self.draws + self.orders) * SECONDS_PER_DRAW)

    def describe(self) -> str:
        return (f"about {_count(self.contacts)} contacts, {_count(self.agent_shifts)} agent shifts and "
                f"{self.cells:,} interval rows per replication, {gigabytes(self.memory)} of memory and "
                f"{duration(self.seconds)} of one core")

    def problems(self, parallel: int = 1, max_memory: float | None = None) -> list[str]:
        """Why ``parallel`` replications at once would not fit in ``max_memory`` bytes (default: 80% of this
        machine's): one line naming the key that drives the cost; empty when they fit.
        """
        limit = default_memory_limit() if max_memory is None else max_memory
        need = self.memory * parallel
        if need <= limit:
            return []
        key, top = max(self.drivers.items(), key=lambda item: item[1].bytes)
        at_once = f" ({parallel} replications at once)" if parallel > 1 else ""
        return [f"{key}: about {_count(top.count)} {top.noun} per replication need about {gigabytes(need)} of "
                f"memory{at_once}, more than the {gigabytes(limit)} allowed (--max-memory), got {show(top.value)}"]

    def notes(self, parallel: int = 1) -> list[str]:
        """A line when a replication is large (over 1 GB, or over 5 minutes): what it holds and what the run
        will use.
        """
        if self.memory < LARGE_BYTES and self.seconds < LONG_S:
            return []
        together = f"; {parallel} at once use about {gigabytes(self.memory * parallel)}" if parallel > 1 else ""
        return [f"large run: {self.describe()}{together}"]

    def add(self, key: str, count: float, noun: str, unit_bytes: float, value: object, extra: float = 0.0) -> None:
        """``key`` brings ``count`` more ``noun`` of ``unit_bytes`` each, and ``extra`` bytes besides."""
        old = self.drivers.get(key)
        spent = count * unit_bytes + extra
        if old is not None:
            count, spent = count + old.count, spent + old.bytes
        self.drivers[key] = Driver(count, noun, spent, value)


def duration(seconds: float) -> str:
    """'about 3 s', '12 min', '2.5 h', '4 days' (as a planner reads a wait for a run)."""
    if not math.isfinite(seconds) or seconds >= 1e9:
        return f"{seconds / 86400:.1e} days"
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.1f} {unit}" if unit == "h" else f"{seconds / size:,.0f} {unit}"
    return f"{max(seconds, 1):,.0f} s"


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e9 else f"{n:.1e}"


def estimate(sc: Scenario) -> Workload:
    """The workload of one replication of ``sc`` (expected values; retrials and escalations at their most)."""
    work = Workload(cells=sc.n_intervals * (len(sc.queues) + len(sc.groups)))
    key, value = ("interval", sc.interval) if sc.interval < 60 else ("horizon", sc.horizon)
    work.add(key, sc.n_intervals, "intervals", BYTES_PER_CELL * (len(sc.queues) + len(sc.groups)), value)
    if work.cells * BYTES_PER_CELL > 2**36:
        return work                                # the rate curves alone would not fit: stop here
    with np.errstate(all="ignore"):
        work.orders = _expected(sc, ORDERS, work) if sc.orders is not None else 0.0
        per_queue = {}
        for name, q in sc.queues.items():
            per_queue[name] = _expected(sc, name, work) if q.arrivals is not None else 0.0
            since = -np.inf if channel_of(q).dials else 0.0      # a call list takes earlier orders at its start
            for k, source in enumerate(q.from_orders):      # every order's contacts are drawn, then kept or not
                before, expected, after = expected_from_source(sc, source, np.array([-np.inf, since, sc.horizon,
                                                                                     np.inf]))
                drawn = before + expected + after
                per_queue[name] += expected
                work.draws += drawn
                work.add(f"queues.{name}.from_orders.{k}.rate", drawn, "contacts drawn from orders (inside the "
                          "horizon or not)", BYTES_PER_DRAW, source.rate, extra=expected * BYTES_PER_CONTACT)
            if q.backlog is not None:
                carried = q.backlog.count if q.backlog.ages is None else len(q.backlog.ages)
                per_queue[name] += carried
                work.add(f"queues.{name}.backlog", carried, "items waiting at the start", BYTES_PER_CONTACT,
                          carried)
            if q.retrial is not None:
                retrials = per_queue[name] * q.retrial.probability / (1 - q.retrial.probability)
                per_queue[name] += retrials
                work.add(f"queues.{name}.retrial.probability", retrials, "retrials", BYTES_PER_CONTACT,
                          q.retrial.probability)
            if q.repeat is not None:              # customers coming back, again and again at most
                again = per_queue[name] * q.repeat.probability / (1 - q.repeat.probability)
                per_queue[name] += again
                work.add(f"queues.{name}.repeat.probability", again, "repeats", BYTES_PER_CONTACT,
                          q.repeat.probability)
        for name, q in sc.queues.items():         # every escalation is one more contact, at most
            escalated = per_queue[name] * len(q.escalate_to)
            per_queue[name] += escalated
            work.add(f"queues.{name}.escalate_to", escalated, "escalations", BYTES_PER_CONTACT, q.escalate_to)
        for name, q in sc.queues.items():         # call lists: call-backs, then every attempt at most
            if q.after_resolution is not None:
                called = q.after_resolution.share * sum(per_queue[source] for source in q.after_resolution.queues)
                per_queue[name] += called
                work.add(f"queues.{name}.after_resolution.share", called, "call-back entries", BYTES_PER_CONTACT,
                          q.after_resolution.share)
            if channel_of(q).dials and q.attempts > 1:
                again = per_queue[name] * (q.attempts - 1)
                per_queue[name] += again
                work.add(f"queues.{name}.attempts", again, "further attempts", BYTES_PER_CONTACT, q.attempts)
    work.contacts = float(sum(per_queue.values()))
    for gname, group in sc.groups.items():
        if group.shifts is None:
            work.agent_shifts += group.headcount
            work.add(f"groups.{gname}.headcount", group.headcount, "agents", BYTES_PER_AGENT_SHIFT, group.headcount)
            continue
        occurrences = np.bincount([occ.row for occ in sc.shift_occurrences(gname)], minlength=len(group.shifts))
        for row, shift in enumerate(group.shifts):
            n = float(occurrences[row]) * shift.count
            work.agent_shifts += n
            work.add(f"groups.{gname}.shifts.{row}.count", n, "agent shifts", BYTES_PER_AGENT_SHIFT, shift.count)
    return work


def _expected(sc: Scenario, name: str, work: Workload) -> float:
    """Expected arrivals of a queue (or ``ORDERS``); the cost goes to its volume or to the surge that drives it."""
    total = rate_curve(sc, name).expected()
    if planned(sc, name):
        key, value = "orders.plan.days", max(sc.orders.plan.days.values())
    else:
        key = "orders.arrivals.daily_volume" if name == ORDERS else f"queues.{name}.arrivals.daily_volume"
        value = (sc.orders.arrivals if name == ORDERS else sc.queues[name].arrivals).daily_volume
    noun, unit_bytes = ("orders", BYTES_PER_ORDER) if name == ORDERS else ("contacts", BYTES_PER_CONTACT)
    calm = rate_curve(sc.model_copy(update={"surges": ()}), name).expected()
    surges = [(i, s) for i, s in enumerate(sc.surges) if s.queues is None or name in s.queues]
    if surges and not total <= 2 * calm:            # also when the total overflowed
        i, surge = max(surges, key=lambda item: item[1].multiplier)
        work.add(f"surges.{i}.multiplier", total, noun, unit_bytes, surge.multiplier)
    else:
        work.add(key, total, noun, unit_bytes, value)
    return total
