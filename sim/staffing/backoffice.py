"""Back-office work sized: refund, escalation and ticket queues (deferred work, judged on a resolution
window or a first-reply deadline) get a requirement per interval too. Times in seconds.

- **Inflow**: what reaches each such queue per interval, measured by simulating the scenario as the
  staffing methods staff it (each queue its own group: who may resolve what decides what is escalated)
  with every group at ``AMPLE_AGENTS`` (nobody absent, no not-ready time), so that orders-driven requests
  and escalations arrive when the demand sends them, not when a short-staffed team gets to them (mean
  over the replications).
- **Deferred-work rule**: work is done within its window W (the queue's resolution target or reply
  deadline, or the platform's auto-approval deadline if sooner) when, at every interval, the agents on
  duty can work off what arrived over the W before it: agents = work arrived in the trailing window
  (offered × mean handle time) / (W × ``BACKOFFICE_OCCUPANCY``), rounded up.
- **The shops' rule** beside it: ``refund_specialists`` (monthly requests / requests a specialist
  processes a day / processing cycle in days), with the horizon's inflow scaled to 30 days, a day of 8
  hours at the same occupancy, and the window as the cycle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.channels import channel_of
from sim.runner import simulate
from sim.scenario import Scenario, dump_scenario, load_scenario
from sim.staffing.formulas import refund_specialists
from sim.staffing.requirements import covered_queues
from sim.staffing.roster import staffed_scenario

AMPLE_AGENTS = 200                # per group, when measuring the inflow
BACKOFFICE_OCCUPANCY = 0.9        # deferred work keeps its agents this busy
SPECIALIST_DAY_S = 8 * 3600.0     # a specialist's working day in the shops' rule
MONTH_DAYS = 30.0


def backoffice_queues(sc: Scenario) -> list[str]:
    """The queues of deferred work (no Erlang formula) some group serves."""
    return [name for name, q in sc.queues.items() if name not in covered_queues(sc) and not channel_of(q).erlang
            and any(name in g.skills for g in sc.groups.values())]


def window(sc: Scenario, queue: str) -> float:
    """The time within which a queue's work must be done: its threshold, or the platform's deadline if sooner."""
    q = sc.queues[queue]
    return min(q.sl_threshold(), q.deadline if q.deadline is not None else np.inf)


def ample(sc: Scenario) -> Scenario:
    """``sc`` as the staffing methods staff it (each staffed queue its own group, with the permission
    level of the first group serving it: who may resolve what decides what is escalated), with
    ``AMPLE_AGENTS`` in every group all horizon, nobody absent, no not-ready time.
    """
    queues = [*covered_queues(sc), *backoffice_queues(sc)]
    data = dump_scenario(staffed_scenario(sc, {q: np.full(sc.n_intervals, AMPLE_AGENTS) for q in queues}, sc.name))
    for name, group in data["groups"].items():
        data["groups"][name] = {**{k: v for k, v in group.items() if k not in (
            "shifts", "headcount", "absenteeism", "mass_absences", "not_ready", "reserve")}, "headcount": AMPLE_AGENTS}
    return load_scenario(data, label=f"{sc.name} with ample agents")


def backoffice_requirements(sc: Scenario, replications: int = 5, seed: int | None = None, workers: int | None = None,
                            dask: Any = None) -> pd.DataFrame:
    """One row per (interval_start, queue) of back-office work: ``offered`` (the inflow measured),
    ``load`` (Erlangs of work), required ``agents`` by the deferred-work rule, and, the same on every
    row of a queue, ``specialists`` by the shops' rule. Empty without such queues.
    """
    queues = backoffice_queues(sc)
    if not queues:
        return pd.DataFrame(columns=["interval_start", "queue", "offered", "load", "agents", "specialists"])
    stats = simulate(ample(sc), replications=replications, seed=sc.seed if seed is None else seed,
                     workers=workers, dask=dask).interval_stats
    offered = stats[stats["kpi"] == "offered"]
    starts = pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, unit="s")
    tables = []
    for queue in queues:
        inflow = offered[offered["queue"] == queue]["mean"].to_numpy(dtype=float)
        aht = sc.queues[queue].handle_time.mean
        span = window(sc, queue)
        steps = max(1, int(np.ceil(span / sc.interval)))
        work = np.convolve(inflow * aht, np.ones(steps))[:inflow.size]          # trailing window's work (s)
        agents = np.ceil(work / (span * BACKOFFICE_OCCUPANCY) - 1e-9)
        per_day = SPECIALIST_DAY_S * BACKOFFICE_OCCUPANCY / aht
        monthly = inflow.sum() * MONTH_DAYS * 86400 / sc.horizon
        tables.append(pd.DataFrame({"interval_start": starts, "queue": queue, "offered": inflow,
                                    "load": inflow * aht / sc.interval, "agents": agents,
                                    "specialists": refund_specialists(monthly, per_day, span / 86400)}))
    return pd.concat(tables, ignore_index=True)
