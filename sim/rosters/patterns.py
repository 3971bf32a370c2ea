"""The candidate shifts of a roster: one per template, day, start time and placement of its breaks, with
what one agent on it costs and how much of each interval it spends on the floor. Times in seconds from
the scenario's start.

An agent counts towards the requirement of its group's first skill (its duty queue), for
``proficiency × (1 − absenteeism) × (1 − not-ready share)`` of an agent: the group's proficiency on that
queue times the template's, less the share expected absent (unplanned shrinkage) and the group's
``not_ready`` share of on-duty time (planned shrinkage: training, meetings; its mean over the hours).
Groups without templates keep their own shifts; what they put on the floor is counted the same way and
taken off the requirement.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from sim.costs import DAY, shift_cost
from sim.rosters.templates import RosterFile
from sim.scenario import Scenario
from sim.scenario.parts import on_days


@dataclass
class Patterns:
    """``table``: one row per candidate shift (``template``, ``group``, ``queue`` it counts for, ``day``
    index, ``start``, ``end``, ``breaks`` as (offset from the start, duration) pairs, ``cost`` of one
    agent, ``weight`` of one agent); ``cover``: patterns × intervals, the share of each interval an agent
    on it is on the floor.
    """

    table: pd.DataFrame
    cover: sparse.csr_matrix


def duty(sc: Scenario, group: str) -> str:
    """The queue a group's agents count for: its first skill."""
    return next(iter(sc.groups[group].skills))


def availability(group) -> float:
    """The share of a rostered agent's paid time on the floor: present, and not in planned not-ready time."""
    planned = group.not_ready.by_hour().mean() if group.not_ready is not None and group.not_ready.share else 0.0
    return (1 - group.absenteeism) * (1 - planned)


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
        queue = duty(sc, t.group)
        weight = group.skills[queue] * t.proficiency * availability(group)
        placements = list(itertools.product(*[np.arange(b.earliest, b.latest + 1, sc.interval) for b in t.breaks]))
        for day in range(sc.n_days):
            if not on_days(t.days, sc.day(day)):
                continue
            for time_of_day in t.starts:
                start = day * DAY + time_of_day - sc.start_offset
                if not 0 <= start < sc.horizon:
                    continue
                end = start + t.length
                paid = min(end, sc.horizon)                  # as roster_cost counts: the hours within the horizon
                cost = shift_cost(group.cost, start, paid, sc.start_offset) if group.cost is not None else 0.0
                for offsets in placements:
                    breaks = tuple((float(o), b.duration) for o, b in zip(offsets, t.breaks))
                    rows.append({"template": name, "group": t.group, "queue": queue, "day": day, "start": start,
                                 "end": end, "breaks": breaks, "cost": cost, "weight": weight})
                    shares.append(floor_share(sc, start, end, tuple((start + o, d) for o, d in breaks)))
    cover = sparse.csr_matrix(np.array(shares)) if shares else sparse.csr_matrix((0, sc.n_intervals))
    return Patterns(pd.DataFrame(rows), cover)


def fixed_floor(sc: Scenario, groups: list[str]) -> dict[str, np.ndarray]:
    """Per duty queue, the agents ``groups`` (keeping their own shifts) put on the floor in each interval,
    counted as roster agents are (proficiency, absenteeism).
    """
    out: dict[str, np.ndarray] = {}
    for name in groups:
        group, queue = sc.groups[name], duty(sc, name)
        floor = out.setdefault(queue, np.zeros(sc.n_intervals))
        for occ in sc.shift_occurrences(name):
            end = min(occ.end, sc.horizon + DAY)
            weight = group.skills[queue] * occ.proficiency * availability(group) * occ.count
            floor += weight * floor_share(sc, occ.start, end, occ.breaks)
    return out
