"""Who shows up: absenteeism per agent and shift, and mass absences, drawn from named streams.

Each shift occurrence (group, shift row, day) has its own stream, so changing one row never changes
who is absent on another. A group with ``absenteeism: 0`` and no mass absence draws nothing: its run is
identical to a run without those keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.streams import stream


@dataclass(frozen=True)
class Attendance:
    """Who of the rostered agents works, per shift occurrence (group, row, day).

    ``present[key][k]``: the k-th rostered agent shows up; ``missing[key][k, w]``: that agent is away
    during the group's mass-absence window w.
    """

    present: dict[tuple[str, int, int], np.ndarray]
    missing: dict[tuple[str, int, int], np.ndarray]


def draw_attendance(sc: Scenario, replication: int, seed: int) -> Attendance:
    """Draw no-shows (probability ``absenteeism``) and mass-absence victims (probability ``share``)."""
    present, missing = {}, {}
    for name, group in sc.groups.items():
        shares = np.array([w.share for w in group.mass_absences])
        for occ in sc.shift_occurrences(name):
            key = (name, occ.row, occ.day)
            tags = (str(occ.row), str(occ.day))
            present[key] = (stream(seed, replication, name, "absenteeism", *tags).random(occ.count)
                            >= group.absenteeism if group.absenteeism else np.ones(occ.count, dtype=bool))
            missing[key] = (stream(seed, replication, name, "mass_absence", *tags).random((occ.count, shares.size))
                            < shares if shares.size else np.zeros((occ.count, 0), dtype=bool))
    return Attendance(present, missing)
