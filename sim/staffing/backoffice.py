"""Back-office work sized: refund, escalation and ticket queues (deferred work, judged on a resolution
window or a first-reply deadline) and outbound call lists get a requirement per interval too. Times in
seconds.

- **Inflow**: what reaches each such queue per interval, measured by simulating the scenario as the
  staffing methods staff it (each queue its own group: who may resolve what decides what is escalated)
  with every group at ``AMPLE_AGENTS`` (nobody absent, no not-ready time), so that orders-driven requests
  and escalations arrive when the demand sends them, not when a short-staffed team gets to them (mean
  over the replications).
- **Deferred-work rule**: work is done within its window W (the queue's resolution target or reply
  deadline, or the platform's auto-approval deadline if sooner) when, at every interval, the agents on
  duty can work off what arrived over the W before it: agents = work arrived in the trailing window
  (offered × mean handle time) / (W × ``BACKOFFICE_OCCUPANCY``), rounded up. A call list: its offered are
  the attempts (retries included), each the agent time of an attempt of any outcome, W the time an entry
  can wait (its deadline, the campaign window, at most a day), worked only in the dialling hours: the
  work is done in the dialling seconds W holds (a 4-hour deadline: 4 hours; a day: the day's hours), and
  no agents are asked for outside them.
- **The shops' rule** beside it: ``refund_specialists`` (monthly requests / requests a specialist
  processes a day / processing cycle in days), with the horizon's inflow scaled to 30 days, a day of 8
  hours at the same occupancy, and the window as the cycle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.call_lists import dialling_seconds, is_open, mean_attempt_s, working_window
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
    """The time within which a queue's work must be done: its threshold, or the platform's deadline if sooner;
    for a call list, the time an entry can wait (``sim.call_lists.working_window``).
    """
    q = sc.queues[queue]
    if channel_of(q).dials:
        return working_window(sc, q)
    return min(q.sl_threshold(), q.deadline if q.deadline is not None else np.inf)


def work_per_item(sc: Scenario, queue: str) -> float:
    """An agent's mean seconds per item: the handle time, or for a call list one attempt (any outcome)."""
    q = sc.queues[queue]
    return mean_attempt_s(q) if channel_of(q).dials else q.handle_time.mean


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
        q = sc.queues[queue]
        aht, span = work_per_item(sc, queue), window(sc, queue)
        steps = max(1, int(np.ceil(span / sc.interval)))
        work = np.convolve(inflow * aht, np.ones(steps))[:inflow.size]          # trailing window's work (s)
        if channel_of(q).dials:            # a call list is worked in its dialling hours only
            hours = q.campaign.hours
            dialling = np.array([is_open(hours, k * sc.interval, sc.start_offset) for k in range(sc.n_intervals)])
            agents = np.where(dialling, np.ceil(work / (dialling_seconds(q, span) * BACKOFFICE_OCCUPANCY) - 1e-9), 0.0)
            specialists = np.nan                                            # the shops' refund rule: not for calls
        else:
            agents = np.ceil(work / (span * BACKOFFICE_OCCUPANCY) - 1e-9)
            per_day = SPECIALIST_DAY_S * BACKOFFICE_OCCUPANCY / aht
            monthly = inflow.sum() * MONTH_DAYS * 86400 / sc.horizon
            specialists = refund_specialists(monthly, per_day, span / 86400)
        tables.append(pd.DataFrame({"interval_start": starts, "queue": queue, "offered": inflow,
                                    "load": inflow * aht / sc.interval, "agents": agents,
                                    "specialists": specialists}))
    return pd.concat(tables, ignore_index=True)
