"""The simulation-based staffing requirement: the fewest agents per group and interval that meet each
queue's service-level target, found by simulating with common random numbers.

It follows the iterative staffing algorithm (Feldman, Mandelbaum, Massey & Whitt 2008): staff, simulate,
restaff every interval from what the simulation saw, until nothing changes. Here the rule works on the
target itself rather than on a delay probability:

- start from a formula's requirement (Erlang A with a one-handle-time lag by default), summed over the
  queues each group is primary for;
- simulate ``replications`` on one seed (every iteration sees the same customers); an interval of a
  queue *meets* when its mean service level over the replications reaches the target (or, with
  ``probability=p``, when at least a share p of replications reach it);
- until every interval meets, where a queue misses its primary group gets more agents (half the
  shortfall times its agents, at least one);
- then every interval of every group that is not known to be tight and where, by Erlang A, one agent
  fewer would still leave the simulated service level on target, gives up one agent at once. If some
  interval then misses, the step to blame is undone and becomes tight: only earlier steps can cause a
  miss (a backlog can last hours in a long busy period), so each miss blames the latest step at or
  before it, by a group serving the queue that missed if there is one. The other steps are tried
  again. Repeat until no interval can give up an agent; the last staffing that met everywhere is the
  requirement.

**What no staffing can do.** A conversation chat's first reply takes its own writing time: when that
alone misses the threshold more often than the target allows (``sim.ceilings``), the search refuses
at once, saying so. And it stops when ``STALL_ITERATIONS`` rounds of added agents have not cut the
intervals missing (``stopped`` says so).

**Sharing between groups.** Each chat or call queue with its own arrivals has one *primary* group, the
first group (in scenario order) serving it; only primary groups are adjusted, and a group is adjusted
when any of its primary queues misses. Secondary skills keep working as the scenario routes them, so
the requirement counts the help a multi-skilled group gives; groups primary for no such queue (refund
and escalation teams) keep their schedules. Adjusted groups keep their skills, chats per agent,
permission level and not-ready time, with nobody absent (the requirement is in agents present; the
staffing table shows the agents to roster for it); their shifts become blocks following the
requirement, at proficiency 1, without breaks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.ceilings import unattainable
from sim.runner import simulate
from sim.scenario import Scenario
from sim.staffing.requirements import covered_queues, erlang_service_level, queue_demand, requirements
from sim.staffing.roster import staffed_groups

STALL_ITERATIONS = 8        # the search stops when adding agents has not cut the intervals missing for this long


def primary_groups(sc: Scenario) -> dict[str, str]:
    """Queue → the first group (in scenario order) serving it, for the queues formulas staff."""
    return {q: next(name for name, g in sc.groups.items() if q in g.skills)
            for q in covered_queues(sc) if any(q in g.skills for g in sc.groups.values())}


@dataclass
class SimulatedRequirement:
    """The requirement per (interval_start, group) in ``agents`` and the iterations that found it.

    ``converged`` is False when ``max_iterations`` ran out, or when adding agents stopped cutting the
    intervals missing (``stopped`` says which); the last staffing meeting everywhere is kept, or the last
    one tried if none did. ``history``: one row per iteration with the agent-hours tried
    and the (interval, queue) pairs missing the target.
    """

    scenario: Scenario
    agents: pd.DataFrame
    converged: bool
    history: pd.DataFrame = field(repr=False)
    stopped: str = ""

    def curves(self) -> dict[str, np.ndarray]:
        return {g: part["agents"].to_numpy() for g, part in self.agents.groupby("group", sort=False)}

    def staffed(self) -> Scenario:
        """The scenario staffed with this requirement."""
        return staffed_groups(self.scenario, self.curves(), f"{self.scenario.name}_simulation")


def interval_levels(sc: Scenario, res, queues: list[str],
                    probability: float | None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per queue, each interval's mean service level over the replications (1 without traffic), the
    share of replications meeting the target, and how far the interval falls short of meeting (0 where it
    meets: its mean level reaches the target, or with ``probability`` p, a share p of replications do).
    """
    stats = res.interval_stats
    out = {}
    for q in queues:
        mine = stats[stats["queue"] == q]
        level = np.nan_to_num(mine[mine["kpi"] == "service_level"]["mean"].to_numpy(), nan=1.0)
        meets = mine[mine["kpi"] == "meets_sl"]["mean"].to_numpy()
        out[q] = (level, meets, _shortfall(sc, q, level, meets, probability))
    return out


def day_levels(sc: Scenario, res, queues: list[str],
               probability: float | None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """As ``interval_levels``, each interval carrying its calendar day's figures: back-office work is
    judged on the day (its deadline binds every request; an interval's few requests, whose own handle
    times may exceed the window, are too few to judge).
    """
    days = res.sla_probability.set_index(["queue", "period"])
    out = {}
    for q in queues:
        rows = days.loc[[(q, str(sc.day(int(d)))) for d in sc.interval_days]]
        level = np.nan_to_num(rows["service_level"].to_numpy(dtype=float), nan=1.0)
        meets = rows["p_meets_sl"].to_numpy(dtype=float)
        out[q] = (level, meets, _shortfall(sc, q, level, meets, probability))
    return out


def stalled(history: list[dict]) -> int | None:
    """The fewest ``intervals_missing`` before the last ``STALL_ITERATIONS`` rounds of ``history`` when
    none of those rounds went below it (the search has stalled); else None.
    """
    fewest = min((h["intervals_missing"] for h in history[:-STALL_ITERATIONS]), default=None)
    recent = min((h["intervals_missing"] for h in history[-STALL_ITERATIONS:]), default=None)
    return fewest if fewest is not None and recent >= fewest else None


def _shortfall(sc: Scenario, queue: str, level: np.ndarray, meets: np.ndarray,
               probability: float | None) -> np.ndarray:
    """How far each level (or, with ``probability`` p, each share of replications meeting) is below target."""
    return (np.maximum(sc.queues[queue].sla.target - level, 0.0) if probability is None
            else np.maximum(probability - meets, 0.0))


def simulation_requirement(sc: Scenario, replications: int = 10, seed: int | None = None,
                           probability: float | None = None, start: str = "erlang_a", lag: bool = True,
                           max_iterations: int = 60, workers: int | None = None, dask: Any = None,
                           progress: Callable[[int, int], None] | None = None) -> SimulatedRequirement:
    """Search the fewest agents per primary group and interval meeting every queue's target (see the module).

    ``progress(iteration, intervals missing)`` follows the search.
    """
    if probability is not None and not 0 < probability <= 1:
        raise ValueError(f"probability must be in (0, 1], got {probability}")
    problems = unattainable(sc, covered_queues(sc))
    if problems:
        raise ValueError("; ".join(problems.values()))
    seed = sc.seed if seed is None else seed
    primary = primary_groups(sc)
    if not primary:
        raise ValueError(f"{sc.name}: no chat or call queue with its own arrivals to staff")
    owned = {g: [q for q, owner in primary.items() if owner == g] for g in dict.fromkeys(primary.values())}
    first = requirements(sc, (start,), lag=lag)
    agents = {g: sum(first[first["queue"] == q]["agents"].to_numpy() for q in qs).astype(int)
              for g, qs in owned.items()}
    demand = {q: queue_demand(sc, q) for q in primary}

    @functools.cache
    def erlang_level(q: str, i: int, servers: int) -> float:
        d = demand[q]
        return erlang_service_level(d, float(d.rate[i]), servers // d.concurrency) if servers > 0 else 0.0

    def one_less_still_meets(g: str, levels: dict[str, np.ndarray]) -> np.ndarray:
        """Intervals where, by Erlang A, one agent fewer would still leave the simulated level on target."""
        ok = np.ones(sc.n_intervals, dtype=bool)
        concurrency = sc.groups[g].concurrency
        for q in owned[g]:
            servers = best[g] * concurrency
            drop = np.array([erlang_level(q, i, n) - erlang_level(q, i, max(n - concurrency, 0))
                             for i, n in enumerate(servers)])
            ok &= levels[q] - drop >= sc.queues[q].sla.target
        return ok

    serving = {q: [g for g in owned if q in sc.groups[g].skills] for q in primary}
    tight: set[tuple[str, int]] = set()
    to_try: list[list[tuple[str, int]]] = []            # sets of (group, interval) steps down, last tried first
    best, best_levels, history, converged, stopped = None, None, [], False, "at the iteration limit"
    for iteration in range(max_iterations):
        res = simulate(staffed_groups(sc, agents, f"{sc.name}_search"), replications=replications, seed=seed,
                       workers=workers, dask=dask)
        found = interval_levels(sc, res, list(primary), probability)
        levels, short = {q: f[0] for q, f in found.items()}, {q: f[2] for q, f in found.items()}
        missing = sum(int(np.count_nonzero(m)) for m in short.values())
        history.append({"iteration": iteration, "agent_hours": sum(a.sum() for a in agents.values()) * sc.interval
                        / 3600, "intervals_missing": missing})
        if progress is not None:
            progress(iteration, missing)
        if missing and best is None:                     # not feasible yet: add agents where short
            fewest = stalled(history)
            if fewest is not None:
                stopped = (f"with no progress: {STALL_ITERATIONS} rounds of added agents left {missing} (interval, "
                           f"queue) pairs missing, no fewer than the {fewest} before")
                break
            for g, qs in owned.items():
                shortfall = np.max([short[q] for q in qs], axis=0)
                step = np.maximum(1, np.ceil(shortfall * agents[g] / 2)).astype(int)
                agents[g] = agents[g] + np.where(shortfall > 0, step, 0)
            continue
        if missing:                                      # the steps just tried went too far
            steps = to_try.pop()
            blamed = set()
            for q, shortfall in short.items():         # only earlier steps can cause a miss: blame the latest
                for m in np.flatnonzero(shortfall > 0):
                    before = [(g, j) for g, j in steps if j <= m]
                    closest = [(g, j) for g, j in before if g in serving[q]] or before
                    if closest:
                        blamed.add(max(closest, key=lambda step: step[1]))
            if blamed:
                tight.update(blamed)
                rest = [step for step in steps if step not in blamed]
            elif len(steps) == 1:
                tight.update(steps)
                rest = []
            else:                                        # no step to blame: try each half on its own
                to_try.append(steps[len(steps) // 2:])
                rest = steps[:len(steps) // 2]
            if rest:
                to_try.append(rest)
        else:
            best, best_levels = {g: a.copy() for g, a in agents.items()}, levels
            to_try.clear()
        if not to_try:
            candidates = [(g, int(i)) for g in owned
                          for i in np.flatnonzero((best[g] > 0) & one_less_still_meets(g, best_levels))
                          if (g, int(i)) not in tight]
            if not candidates:
                converged = True
                break
            to_try.append(candidates)
        agents = {g: a.copy() for g, a in best.items()}
        for g, i in to_try[-1]:
            agents[g][i] -= 1
    final = best if best is not None else agents
    starts = pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, unit="s")
    table = pd.concat([pd.DataFrame({"interval_start": starts, "group": g, "agents": a}) for g, a in final.items()],
                      ignore_index=True)
    return SimulatedRequirement(sc, table, converged, pd.DataFrame(history), "" if converged else stopped)


