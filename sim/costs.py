"""What agents cost (``Group.cost``): paid hours at the group's rate, a night premium on the hours in its
window, overtime beyond a shift's paid length; for a run, also an outsourced vendor's price per contact,
its minimum commitment and its SLA penalty. Times in seconds from the scenario's start; money in the
scenario's currency.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.scenario.staff import Cost

DAY = 86400.0
HOUR = 3600.0


def night_seconds(start: float, end: float, night_start: float, night_end: float, start_offset: float) -> float:
    """Seconds of ``[start, end)`` inside the daily window ``night_start``-``night_end`` (times of day, an
    end before the start crossing midnight); ``start_offset``: the scenario start's time of day.
    """
    length = (night_end - night_start) % DAY or DAY
    inside = 0.0
    for day in range(math.floor((start + start_offset) / DAY) - 1, math.ceil((end + start_offset) / DAY) + 1):
        opens = day * DAY + night_start - start_offset
        inside += max(0.0, min(end, opens + length) - max(start, opens))
    return inside


def shift_cost(cost: Cost, start: float, end: float, start_offset: float) -> float:
    """What one agent's shift from ``start`` to ``end`` costs (breaks paid)."""
    total = cost.per_hour * (end - start) / HOUR
    if cost.night is not None:
        night = night_seconds(start, end, cost.night.start, cost.night.end, start_offset)
        total += cost.per_hour * (cost.night.factor - 1) * night / HOUR
    if cost.overtime is not None:
        total += cost.per_hour * (cost.overtime.factor - 1) * max(0.0, end - start - cost.overtime.after) / HOUR
    return total


def roster_cost(sc: Scenario) -> pd.DataFrame:
    """Per group: its agents' paid hours within the horizon and what they cost (NaN without a ``cost``);
    a shift crossing the horizon's edge counts its part inside.
    """
    rows = []
    for name, group in sc.groups.items():
        hours, money = 0.0, 0.0
        for occ in sc.shift_occurrences(name):
            start, end = max(occ.start, 0.0), min(occ.end, sc.horizon)
            hours += occ.count * (end - start) / HOUR
            if group.cost is not None:
                money += occ.count * shift_cost(group.cost, start, end, sc.start_offset)
        rows.append({"group": name, "paid_hours": hours, "cost": money if group.cost is not None else np.nan})
    return pd.DataFrame(rows)


def replication_costs(sc: Scenario, answered: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame | None:
    """Per replication and priced group of a run: ``paid_hours`` and ``hours_cost`` (``roster_cost``), the
    contacts ``answered``, their ``contact_cost`` (``per_contact``), the ``minimum_topup`` bringing the
    bill up to the vendor's ``minimum``, the ``penalty`` for its first skill's service level below target
    (``sla_penalty`` per percentage point) and the ``cost`` in all. A group with no paid hours (a vendor
    not engaged) owes no minimum and no penalty. ``answered``: per replication and group; ``levels``: per
    replication and queue (``service_level``). None without priced groups.
    """
    hours = roster_cost(sc).set_index("group")
    parts = []
    for name, group in sc.groups.items():
        cost = group.cost
        if cost is None:
            continue
        mine = answered[answered["group"] == name].set_index("replication")["answered"]
        queue = next(iter(group.skills))
        level = levels[levels["queue"] == queue].set_index("replication")["service_level"].reindex(mine.index)
        contacts = cost.per_contact * mine
        bill = hours.loc[name, "cost"] + contacts
        engaged = hours.loc[name, "paid_hours"] > 0            # a vendor with nobody on is not billed at all
        topup = np.maximum(cost.minimum - bill, 0.0) * engaged
        short = np.maximum(sc.queues[queue].sla.target - level.fillna(1.0), 0.0) * 100
        penalty = cost.sla_penalty * short * engaged
        parts.append(pd.DataFrame({"replication": mine.index, "group": name,
                                   "paid_hours": hours.loc[name, "paid_hours"], "hours_cost": hours.loc[name, "cost"],
                                   "answered": mine.to_numpy(dtype=float), "contact_cost": contacts.to_numpy(),
                                   "minimum_topup": topup.to_numpy(), "penalty": penalty.to_numpy(),
                                   "cost": (bill + topup + penalty).to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else None
