"""Requirement curves turned into scenarios: per-interval head counts become shift blocks.

Each level of a requirement curve becomes a shift block (at most 24 hours), so an agent stays on while
the requirement holds instead of being swapped at every interval boundary, and finishes the contact in
hand when the block ends. Blocks have proficiency 1 and no breaks.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np

from sim.scenario import Scenario, dump_scenario, load_scenario


def requirement_shifts(sc: Scenario, agents: np.ndarray) -> list[dict]:
    """Shift rows (scenario data) putting ``agents[i]`` agents on duty in interval i, blocks of at most 24 h."""
    blocks: Counter[tuple[int, int]] = Counter()
    for level in range(1, int(agents.max(initial=0)) + 1):
        changes = np.flatnonzero(np.diff(np.concatenate([[0], (agents >= level).astype(int), [0]])))
        for first, stop in zip(changes[::2], changes[1::2]):
            for piece in range(first, stop, sc.intervals_per_day):
                blocks[(piece, min(piece + sc.intervals_per_day, stop))] += 1
    rows = []
    for (first, stop), count in sorted(blocks.items()):
        begin, end = (sc.start + timedelta(seconds=i * sc.interval) for i in (first, stop))
        rows.append({"start": begin.strftime("%H:%M:%S"), "end": end.strftime("%H:%M:%S"), "count": count,
                     "days": [begin.date().isoformat()]})
    return rows


def staffed_scenario(sc: Scenario, agents: dict[str, np.ndarray], name: str) -> Scenario:
    """``sc`` with each queue in ``agents`` served by its own group following its per-interval requirement."""
    data = dump_scenario(sc)
    data["name"] = name
    groups = {}
    for group_name, group in data["groups"].items():
        skills = {q: p for q, p in group["skills"].items() if q not in agents}
        if skills:
            groups[group_name] = {**group, "skills": skills}
    for queue, need in agents.items():
        serving = next((g for g in sc.groups.values() if queue in g.skills), None)
        staff = {"skills": [queue], "concurrency": serving.concurrency if serving else 1}
        if serving is not None and serving.level is not None:
            staff["level"] = serving.level
        rows = requirement_shifts(sc, need)
        staff.update({"shifts": rows} if rows else {"headcount": 0})
        groups[f"{queue}_staff"] = staff
    data["groups"] = groups
    return load_scenario(data)


def staffed_groups(sc: Scenario, agents: dict[str, np.ndarray], name: str) -> Scenario:
    """``sc`` with each group in ``agents`` on duty per interval as given, nobody absent (other groups unchanged)."""
    data = dump_scenario(sc)
    data["name"] = name
    for group, need in agents.items():
        spec = {k: v for k, v in data["groups"][group].items()
                if k not in ("shifts", "headcount", "absenteeism", "mass_absences")}
        rows = requirement_shifts(sc, need)
        data["groups"][group] = {**spec, **({"shifts": rows} if rows else {"headcount": 0})}
    return load_scenario(data)
