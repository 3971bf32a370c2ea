"""The candidate shifts of a roster: one per template, day, start time and placement of its breaks, with
what one agent on it costs and how much of each interval it spends on the floor. Times in seconds from
the scenario's start.

An agent on a shift puts ``proficiency × (1 − absenteeism) × (1 − not-ready share)`` of an agent on the
floor: the template's proficiency, less the share expected absent (unplanned shrinkage) and the group's
``not_ready`` share of on-duty time (planned shrinkage: training, meetings; its mean over the hours);
the programme shares it among the group's skills (``sim.rosters.programme``). Groups without templates
keep their own shifts; what they put on the floor is counted the same way. A vendor's price per contact
enters the programme as an hourly price: the contacts its agent present answers in an hour on its first
skill at ``PRICED_OCCUPANCY``; its minimum and SLA penalty are billed on the simulated runs only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from sim.channels import channel_of
from sim.costs import DAY, shift_cost
from sim.rosters.templates import RosterFile
from sim.scenario import Scenario
from sim.scenario.staff import on_days
from sim.staffing.backoffice import work_per_item

PRICED_OCCUPANCY = 0.85       # a vendor's agent busy this share of its time, for its per-contact price


@dataclass
class Patterns:
    """``table``: one row per candidate shift (``template``, ``group``, ``day`` index, ``start``, ``end``,
    its worked ``parts`` (from, to; two for a split shift), ``breaks`` as
    (offset from the start, duration) pairs, ``cost`` of one agent, ``weight``: the agents on the floor
    one agent on it makes while working); ``cover``: patterns × intervals, the share of each interval an
    agent on it works.
    """

    table: pd.DataFrame
    cover: sparse.csr_matrix


def contacts_per_agent_second(sc: Scenario, group: str) -> float:
    """Contacts an agent of ``group`` present answers per second on its first skill, for pricing a
    vendor's contacts in the programme: ``PRICED_OCCUPANCY`` of its time busy, its chats at once (calls:
    one), over the queue's mean handle time divided by the group's proficiency on it.
    """
    queue, proficiency = next(iter(sc.groups[group].skills.items()))
    at_once = channel_of(sc.queues[queue]).at_once(sc.groups[group].concurrency)
    return PRICED_OCCUPANCY * at_once * proficiency / work_per_item(sc, queue)


def floor_share(sc: Scenario, start: float, end: float, breaks: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Per interval, the share of it spent on the floor by one agent working ``start``-``end`` with
    ``breaks`` (absolute start, duration).
    """
    edges = np.arange(sc.n_intervals + 1) * sc.interval
    share = np.zeros(sc.n_intervals)
    pieces, cursor = [], start
    for at, length in sorted(breaks):
        pieces.append((cursor, at))
        cursor = at + length
    pieces.append((cursor, end))
    for a, b in pieces:
        share += np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None)
    return share / sc.interval


def candidate_shifts(sc: Scenario, roster: RosterFile) -> Patterns:
    """Every candidate shift of the roster's templates that starts within the horizon."""
    rows, shares = [], []
    for name, t in roster.templates.items():
        group = sc.groups[t.group]
        weight = t.proficiency * group.availability
        per_hour_of_contacts = (group.cost.per_contact * contacts_per_agent_second(sc, t.group) * weight
                                if group.cost.per_contact else 0.0)
        placements = list(itertools.product(*[np.arange(b.earliest, b.latest + 1, sc.interval) for b in t.breaks]))
        for day in range(sc.n_days):
            if not on_days(t.days, sc.day(day)):
                continue
            for time_of_day in t.starts:
                start = day * DAY + time_of_day - sc.start_offset
                if not 0 <= start < sc.horizon:
                    continue
                parts = tuple((start + a, start + z) for a, z in t.parts)
                cost = 0.0
                for a, z in parts:                   # as roster_cost counts: the paid hours within the horizon
                    paid = min(z, sc.horizon)
                    if paid > a:
                        cost += shift_cost(group.cost, a, paid, sc.start_offset) + per_hour_of_contacts * (paid - a)
                for offsets in placements:
                    breaks = tuple((float(o), b.duration) for o, b in zip(offsets, t.breaks))
                    rows.append({"template": name, "group": t.group, "day": day, "start": start,
                                 "end": parts[-1][1], "parts": parts, "breaks": breaks, "cost": cost,
                                 "weight": weight})
                    shares.append(sum(floor_share(sc, a, z, tuple((start + o, d) for o, d in breaks
                                                                  if a <= start + o < z)) for a, z in parts))
    cover = sparse.csr_matrix(np.array(shares)) if shares else sparse.csr_matrix((0, sc.n_intervals))
    return Patterns(pd.DataFrame(rows), cover)


def fixed_floor(sc: Scenario, groups: list[str]) -> dict[str, np.ndarray]:
    """Per group of ``groups`` (keeping their own shifts), the agents it puts on the floor in each
    interval, counted as roster agents are (proficiency, absenteeism, planned shrinkage).
    """
    out: dict[str, np.ndarray] = {}
    for name in groups:
        group = sc.groups[name]
        floor = out.setdefault(name, np.zeros(sc.n_intervals))
        for occ in sc.shift_occurrences(name):
            end = min(occ.end, sc.horizon + DAY)
            weight = occ.proficiency * group.availability * occ.count
            floor += weight * floor_share(sc, occ.start, end, occ.breaks)
    return out
