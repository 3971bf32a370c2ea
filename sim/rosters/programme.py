"""The integer programme of a roster: how many agents work each candidate shift (``Patterns``) so that
every duty queue's requirement is on the floor in every interval, each template's agents per day stay
within its ``min`` and ``max``, at least cost. With ``staff`` rules, also how many people work each
weekly tour (a set of weekdays): no more than the group's ``heads``, and on every day no more shifts than
people whose tour works it. HiGHS through ``scipy.optimize.milp``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from sim.rosters.patterns import Patterns
from sim.rosters.templates import RosterFile
from sim.scenario import Scenario

TIME_LIMIT_S = 60.0           # per solve; the gap reached is reported
MIP_GAP = 0.005               # the relative optimality gap HiGHS stops at (0.5%: seconds, not minutes)


class RosterInfeasible(ValueError):
    """No roster of the templates covers the requirement; the message says where and why."""


@dataclass
class Solution:
    """Agents per candidate shift (``counts``), their ``cost``, and the relative ``gap`` HiGHS proved."""

    counts: np.ndarray
    cost: float
    gap: float


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


def solve(sc: Scenario, patterns: Patterns, roster: RosterFile, need: dict[str, np.ndarray],
          time_limit: float = TIME_LIMIT_S, gap: float = MIP_GAP) -> Solution:
    """The least-cost agents per candidate shift with ``need[queue]`` agents (fractional allowed) on the
    floor in each interval, within a relative ``gap`` of the optimum (0: the optimum) or what
    ``time_limit`` (s) allows; ``RosterInfeasible`` names the intervals no roster can cover.
    """
    table = patterns.table
    blocks, lower, problems = [], [], []
    for queue, required in need.items():
        mine = (table["queue"] == queue).to_numpy() if len(table) else np.zeros(0, dtype=bool)
        rows = np.flatnonzero(required > 1e-9)
        cover = patterns.cover[mine][:, rows].T.multiply(table["weight"].to_numpy()[mine]).tocsr() if mine.any() \
            else sparse.csr_matrix((rows.size, 0))
        uncovered = rows[np.asarray(cover.sum(axis=1)).ravel() == 0] if mine.any() else rows
        if uncovered.size:
            problems.append(f"{queue} needs up to {required[uncovered].max():.1f} agents on the floor in "
                            f"{uncovered.size} intervals no template of a group doing it covers (a group does "
                            f"its first skill): {_spans(sc, uncovered)}")
        full = sparse.lil_matrix((rows.size, len(table)))
        full[:, np.flatnonzero(mine)] = cover
        blocks.append(full.tocsr())
        lower.append(required[rows])
    if problems:
        raise RosterInfeasible("\n".join(problems))
    per_day, low, high = _template_days(patterns, roster)
    people, heads, days = _staff_rows(sc, patterns, roster)
    shifts, tours = len(table), people.shape[1]
    cover = sparse.vstack(blocks)
    constraints = [optimize.LinearConstraint(sparse.hstack([cover, sparse.csr_matrix((cover.shape[0], tours))]),
                                             np.concatenate(lower), np.inf),
                   optimize.LinearConstraint(sparse.hstack([per_day, sparse.csr_matrix((per_day.shape[0], tours))]),
                                             low, high)]
    if tours:
        constraints += [optimize.LinearConstraint(sparse.hstack([sparse.csr_matrix((heads.shape[0], shifts)), heads]),
                                                  -np.inf, np.array([roster.staff[g].heads for g in roster.staff])),
                        optimize.LinearConstraint(sparse.hstack([days, -people]), -np.inf, 0)]
    cost = np.concatenate([table["cost"].to_numpy(), np.zeros(tours)])
    result = optimize.milp(cost, constraints=constraints, integrality=np.ones(shifts + tours),
                           bounds=optimize.Bounds(0, np.inf),
                           options={"time_limit": time_limit, "mip_rel_gap": gap})
    if result.x is None:
        raise RosterInfeasible(_why(sc, patterns, roster, need, result.message))
    counts = np.round(result.x[:shifts]).astype(int)
    return Solution(counts, float(table["cost"].to_numpy() @ counts), float(getattr(result, "mip_gap", 0.0) or 0.0))


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


def _why(sc: Scenario, patterns: Patterns, roster: RosterFile, need: dict[str, np.ndarray], message: str) -> str:
    """Where the templates' ``max`` agents cannot reach the requirement, interval by interval."""
    table = patterns.table
    cap = table["template"].map(lambda t: roster.templates[t].max if roster.templates[t].max is not None
                                else np.inf).to_numpy(dtype=float)
    lines = []
    for queue, required in need.items():
        mine = (table["queue"] == queue).to_numpy()
        most = patterns.cover[mine].T.multiply(table["weight"].to_numpy()[mine] * cap[mine]).tocsr()
        reach = np.asarray(most.sum(axis=1)).ravel()
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
    return "\n".join(lines) or f"no roster of the templates meets every rule ({message})"
