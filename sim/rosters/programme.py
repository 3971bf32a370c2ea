"""The integer programme of a roster: how many agents work each candidate shift (``Patterns``) so that
every queue's requirement is on the floor in every interval, each template's agents per day stay within
its ``min`` and ``max``, at least cost. HiGHS through ``scipy.optimize.milp``.

Multi-skilled groups: the agents a group has on the floor in an interval (its shifts', and those of
groups keeping their own, ``kept``) are shared among its skills by continuous allocation variables
(agents of group g on queue q in interval i), and a queue's requirement is met by its groups' allocations
times their proficiency on it; so which group takes which shifts is the programme's choice, not a rule.
With ``staff`` rules, also how many people work each weekly tour (a set of weekdays): no more than the
group's ``heads``, and on every day no more shifts than people whose tour works it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from sim.rosters.patterns import Patterns
from sim.rosters.templates import RosterFile
from sim.scenario import Scenario

TIME_LIMIT_S = 20.0           # per solve; the gap reached is reported
MIP_GAP = 0.01                # the relative optimality gap HiGHS stops at (1%: seconds; 0.5% takes minutes)


class RosterInfeasible(ValueError):
    """No roster of the templates covers the requirement; the message says where and why."""


@dataclass
class Solution:
    """Agents per candidate shift (``counts``), their ``cost``, the relative ``gap`` HiGHS proved, and the
    ``allocation`` it plans: per interval index, group and queue, the group's agents on the floor
    serving the queue (the least that covers every requirement), their ``proficiency`` there, and
    ``on_floor``, all the group's agents on the floor then.
    """

    counts: np.ndarray
    cost: float
    gap: float
    allocation: pd.DataFrame


def _at(sc: Scenario, i: int) -> str:
    start = pd.Timestamp(sc.start) + pd.Timedelta(seconds=i * sc.interval)
    return f"{start:%Y-%m-%d %H:%M}-{start + pd.Timedelta(seconds=sc.interval):%H:%M}"


def _spans(sc: Scenario, intervals: np.ndarray, shown: int = 4) -> str:
    """Runs of consecutive intervals as 'YYYY-MM-DD HH:MM-HH:MM' spans, the first ``shown`` of them."""
    runs = np.split(intervals, np.flatnonzero(np.diff(intervals) > 1) + 1) if intervals.size else []
    texts = []
    for run in runs[:shown]:
        first, last = _at(sc, int(run[0])), _at(sc, int(run[-1]))
        texts.append(first if run.size == 1 else f"{first[:-6]}-{last[-5:]}" if first[:10] == last[:10]
                     else f"{first[:-6]} to {last[:10]} {last[-5:]}")
    return ", ".join(texts) + (f" and {len(runs) - shown} more" if len(runs) > shown else "")


def _template_days(patterns: Patterns, roster: RosterFile) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Rows summing each (template, day)'s agents, with their min and max."""
    keys = patterns.table[["template", "day"]].apply(tuple, axis=1)
    unique = list(dict.fromkeys(keys))
    index = {k: r for r, k in enumerate(unique)}
    rows = sparse.csr_matrix((np.ones(len(keys)), ([index[k] for k in keys], np.arange(len(keys)))),
                             shape=(len(unique), len(keys)))
    low = np.array([roster.templates[t].min for t, _ in unique], dtype=float)
    high = np.array([roster.templates[t].max if roster.templates[t].max is not None else np.inf for t, _ in unique])
    return rows, low, high


@dataclass
class _Floor:
    """Per group: ``supply`` (intervals × candidate shifts: the agents on the floor one agent on each of
    the group's shifts makes) and ``kept`` (per interval, what its own shifts put there).
    """

    supply: dict[str, sparse.csr_matrix]
    kept: dict[str, np.ndarray]
    shifts: int

    @classmethod
    def of(cls, sc: Scenario, patterns: Patterns, kept: dict[str, np.ndarray]) -> _Floor:
        table, shifts = patterns.table, len(patterns.table)
        groups = list(dict.fromkeys([*table.get("group", []), *kept]))
        all_shifts = patterns.cover.T.multiply(table["weight"].to_numpy()).tocsr() if shifts \
            else sparse.csr_matrix((sc.n_intervals, 0))
        supply = {}
        for g in groups:
            mine = all_shifts.multiply((table["group"] == g).to_numpy(dtype=float)).tocsr() if shifts \
                else all_shifts
            mine.eliminate_zeros()
            supply[g] = mine
        return cls(supply, {g: kept.get(g, np.zeros(sc.n_intervals)) for g in groups}, shifts)

    def reach(self, group: str, agents: np.ndarray | None = None) -> np.ndarray:
        """The group's agents on the floor per interval with ``agents`` on each candidate shift (None: one
        on each).
        """
        if agents is None:
            return np.asarray(self.supply[group].sum(axis=1)).ravel() + self.kept[group]
        return self.supply[group] @ agents + self.kept[group]


def solve(sc: Scenario, patterns: Patterns, roster: RosterFile, need: dict[str, np.ndarray],
          kept: dict[str, np.ndarray] | None = None, time_limit: float = TIME_LIMIT_S,
          gap: float = MIP_GAP) -> Solution:
    """The least-cost agents per candidate shift with ``need[queue]`` agents (fractional allowed) on the
    floor in each interval, ``kept[group]`` on the floor from groups keeping their own shifts, within a
    relative ``gap`` of the optimum (0: the optimum) or what ``time_limit`` (s) allows;
    ``RosterInfeasible`` names the intervals no roster can cover.
    """
    floor = _Floor.of(sc, patterns, kept or {})
    shared = [g for g in floor.supply if sum(q in need for q in sc.groups[g].skills) > 1]
    present = {g: floor.reach(g) > 0 for g in floor.supply}
    keys, alone, cover_rows, problems = [], [], {}, []
    for queue, required in need.items():
        doing = [g for g in floor.supply if queue in sc.groups[g].skills]
        rows = np.flatnonzero(required > 1e-9)
        uncovered = np.array([i for i in rows if not any(present[g][i] for g in doing)], dtype=int)
        if uncovered.size:
            problems.append(f"{queue} needs up to {required[uncovered].max():.1f} agents on the floor in "
                            f"{uncovered.size} intervals no template of a group doing it covers: "
                            f"{_spans(sc, uncovered)}")
        for i in rows:
            cover_rows[(queue, int(i))] = len(cover_rows)
            keys += [(g, queue, int(i)) for g in doing if g in shared and present[g][i]]
            alone += [(g, queue, int(i)) for g in doing if g not in shared and present[g][i]]
    if problems:
        raise RosterInfeasible("\n".join(problems))
    shifts = floor.shifts
    direct, lower = _single_skilled(sc, floor, shared, cover_rows, need)
    cover, capacity, floor_rows, floor_limit = _allocation(sc, floor, keys, cover_rows)
    per_day, low, high = _template_days(patterns, roster)
    people, heads, days = _staff_rows(sc, patterns, roster)
    tours, allocated = people.shape[1], len(keys)

    def row(shift_part=None, tour_part=None, allocation_part=None):
        """One block of constraint rows over the variables (shifts, tours, allocations); None: zeros."""
        parts = [shift_part, tour_part, allocation_part]
        n = next(p.shape[0] for p in parts if p is not None)
        return sparse.hstack([p if p is not None else sparse.csr_matrix((n, w))
                              for p, w in zip(parts, (shifts, tours, allocated))])

    constraints = [optimize.LinearConstraint(row(direct, None, cover), lower, np.inf),
                   optimize.LinearConstraint(row(per_day), low, high)]
    if allocated:
        constraints.append(optimize.LinearConstraint(row(-floor_rows, None, capacity), -np.inf, floor_limit))
    if tours:
        constraints += [optimize.LinearConstraint(row(tour_part=heads), -np.inf,
                                                  np.array([roster.staff[g].heads for g in roster.staff])),
                        optimize.LinearConstraint(row(days, -people), -np.inf, 0)]
    cost = np.concatenate([patterns.table["cost"].to_numpy() if shifts else np.zeros(0), np.zeros(tours + allocated)])
    integrality = np.concatenate([np.ones(shifts + tours), np.zeros(allocated)])
    result = optimize.milp(cost, constraints=constraints, integrality=integrality, bounds=optimize.Bounds(0, np.inf),
                           options={"time_limit": time_limit, "mip_rel_gap": gap})
    if result.x is None:
        raise RosterInfeasible(_why(sc, patterns, roster, floor, need, result.message))
    counts = np.round(result.x[:shifts]).astype(int)
    planned = result.x[shifts + tours:]
    if allocated:                 # the least agent-time covering every requirement, with these shifts
        least = optimize.linprog(np.ones(allocated), A_ub=sparse.vstack([-cover, capacity]).tocsc(),
                                 b_ub=np.concatenate([direct @ counts - lower, floor_limit + floor_rows @ counts]),
                                 bounds=(0, None), method="highs")
        planned = least.x if least.x is not None else planned
    allocation = pd.DataFrame([*(k + (z,) for k, z in zip(keys, planned)), *(k + (np.nan,) for k in alone)],
                              columns=["group", "queue", "interval", "agents"]).astype({"interval": int})
    on_floor = {g: floor.reach(g, counts) for g in floor.supply}
    allocation["on_floor"] = [on_floor[g][i] for g, i in zip(allocation["group"], allocation["interval"])]
    allocation["agents"] = allocation["agents"].fillna(allocation["on_floor"])   # a group doing one queue: all
    allocation["proficiency"] = [sc.groups[g].skills[q] for g, q in zip(allocation["group"], allocation["queue"])]
    return Solution(counts, float(patterns.table["cost"].to_numpy() @ counts) if shifts else 0.0,
                    float(getattr(result, "mip_gap", 0.0) or 0.0), allocation)


def _single_skilled(sc: Scenario, floor: _Floor, shared: list[str], cover_rows: dict[tuple[str, int], int],
                    need: dict[str, np.ndarray]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Per (queue, interval) needing agents: the agents on the floor one agent on each candidate shift of a
    group doing only that queue makes there, times its proficiency (``direct``), and the requirement less
    what such groups keeping their own shifts put there (``lower``).
    """
    blocks, lower = [], []
    for queue, required in need.items():
        rows = [i for q, i in cover_rows if q == queue]
        alone = [g for g in floor.supply if g not in shared and queue in sc.groups[g].skills]
        supply = sum((sc.groups[g].skills[queue] * floor.supply[g] for g in alone),
                     sparse.csr_matrix((sc.n_intervals, floor.shifts)))
        given = sum((sc.groups[g].skills[queue] * floor.kept[g] for g in alone), np.zeros(sc.n_intervals))
        blocks.append(supply.tocsr()[rows])
        lower.append(required[rows] - given[rows])
    return sparse.vstack(blocks).tocsr(), np.concatenate(lower)


def _allocation(sc: Scenario, floor: _Floor, keys: list[tuple[str, str, int]],
                cover_rows: dict[tuple[str, int], int]) -> tuple:
    """The allocation variables' rows, for groups doing several queues: ``cover`` (per (queue, interval)
    needing agents: each group's agents on it times its proficiency) and ``capacity`` (per (group,
    interval): the agents it shares out, at most its shifts' agents on the floor ``floor_rows`` @ counts
    plus ``floor_limit``, what its own shifts put there).
    """
    capacity_rows = {k: r for r, k in enumerate(dict.fromkeys((g, i) for g, _, i in keys))}
    cover = sparse.csr_matrix((np.array([sc.groups[g].skills[q] for g, q, _ in keys], dtype=float),
                               ([cover_rows[(q, i)] for _, q, i in keys], np.arange(len(keys)))),
                              shape=(len(cover_rows), len(keys)))
    capacity = sparse.csr_matrix((np.ones(len(keys)), ([capacity_rows[(g, i)] for g, _, i in keys],
                                                       np.arange(len(keys)))), shape=(len(capacity_rows), len(keys)))
    floor_rows = sparse.vstack([floor.supply[g][[i]] for g, i in capacity_rows]).tocsr() if capacity_rows \
        else sparse.csr_matrix((0, floor.shifts))
    floor_limit = np.array([floor.kept[g][i] for g, i in capacity_rows])
    return cover, capacity, floor_rows, floor_limit


def _staff_rows(sc: Scenario, patterns: Patterns, roster: RosterFile) -> tuple[sparse.csr_matrix, ...]:
    """For the ``staff`` rules, with one variable per (group, weekly tour) after the shifts': ``people``
    (rows (group, day) × tours: the people whose tour works that day), ``heads`` (rows group × tours:
    everyone) and ``days`` (rows (group, day) × shifts: the shifts starting that day).
    """
    tours = [(g, tour) for g, staff in roster.staff.items() for tour in staff.tours()]
    keys = [(g, d) for g in roster.staff for d in range(sc.n_days)]
    people = sparse.lil_matrix((len(keys), len(tours)))
    heads = sparse.lil_matrix((len(roster.staff), len(tours)))
    for j, (g, tour) in enumerate(tours):
        heads[list(roster.staff).index(g), j] = 1
        for r, (group, d) in enumerate(keys):
            if group == g and sc.day(d).weekday() in tour:
                people[r, j] = 1
    days = sparse.lil_matrix((len(keys), len(patterns.table)))
    index = {k: r for r, k in enumerate(keys)}
    for i, (g, d) in enumerate(zip(patterns.table["group"], patterns.table["day"])):
        if (g, d) in index:
            days[index[(g, d)], i] = 1
    return people.tocsr(), heads.tocsr(), days.tocsr()


def _why(sc: Scenario, patterns: Patterns, roster: RosterFile, floor: _Floor, need: dict[str, np.ndarray],
         message: str) -> str:
    """Where the templates' ``max`` agents cannot reach the requirement, interval by interval."""
    table = patterns.table
    cap = table["template"].map(lambda t: roster.templates[t].max if roster.templates[t].max is not None
                                else np.inf).to_numpy(dtype=float)
    lines = []
    for queue, required in need.items():
        reach = sum(sc.groups[g].skills[queue] * floor.reach(g, cap) for g in floor.supply
                    if queue in sc.groups[g].skills)
        short = np.flatnonzero(required > reach + 1e-9)
        if short.size:
            worst = short[np.argmax(required[short] - reach[short])]
            lines.append(f"{queue} needs more agents on the floor than its templates' max agents give in "
                         f"{short.size} intervals (at {_at(sc, worst)}: {required[worst]:.1f} needed, at most "
                         f"{reach[worst]:.1f}): {_spans(sc, short)}")
    rules = [f"{g}: at most {staff.heads} people, {staff.days_on} days a week each"
             + (f", never on {', '.join(staff.days_off)}" if staff.days_off else "")
             for g, staff in roster.staff.items()]
    if rules and not lines:
        lines.append("the staff rules leave too few people for the shifts the requirement needs ("
                     + "; ".join(rules) + ")")
    if not lines:
        lines.append("the groups doing several queues cannot cover all of them at once within the templates' "
                     f"max agents ({message})")
    return "\n".join(lines)
