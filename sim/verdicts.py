"""How a planner reads a paired difference (``sim.comparison``): each KPI by its label, in its unit (shares
in percent and their differences in points, waits in the channel's unit, money in yuan), and a verdict:
better, worse, or not told apart (the paired 95% CI holds zero); a service level that got better but
still misses its target says so. And a sweep's variants side by side: what each costs, whether it meets
every target, and the cheapest that does. The terminal and the results pages both read these.
"""

from __future__ import annotations

import math

import pandas as pd

from sim import kpis
from sim.channels import CHANNELS

ALL_GROUPS = "all groups"                  # the row of a comparison's costs adding up every group
BETTER, WORSE, SAME, UNCHANGED = "better", "worse", "not told apart", "the same"
SHORT = "better, still below target"
COSTS = {k.name: k for k in (
    kpis.Kpi("paid_hours", "h", "groups", "count", "paid hours of the group's roster", compared="{:,.0f} h"),
    kpis.Kpi("cost", "currency", "groups", "count", "what the group bills", compared="{:,.0f}", better="lower"))}


def verdict(way: str | None, difference: float, ci: float, variant: float | None = None,
            target: float | None = None) -> str:
    """``better``, ``worse`` or ``not told apart`` for a difference whose improving direction is ``way``
    (``higher`` or ``lower``; None: no verdict, ''), ``the same`` where it is nil in every replication; a
    ``variant`` level still below its ``target`` that got better reads ``better, still below target``.
    """
    if way is None or not math.isfinite(difference):
        return ""
    if difference == 0 and ci == 0:
        return UNCHANGED
    if not abs(difference) > (ci if math.isfinite(ci) else 0.0):
        return SAME
    if (difference > 0) != (way == "higher"):
        return WORSE
    return SHORT if target is not None and variant is not None and variant < target else BETTER


def _row(where: str, kpi: kpis.Kpi, r: dict, channel=None, target: float | None = None) -> dict:
    def spread(ci: float) -> str:
        return kpi.text(ci, channel, difference=True).lstrip("+")

    difference = kpi.text(r["difference"], channel, difference=True)
    return {"where": where, "label": kpi.title, "kpi": kpi.name, "base": kpi.text(r["base"], channel),
            "variant": kpi.text(r["variant"], channel),
            "difference": difference + (f" ± {spread(r['paired_ci95'])}" if math.isfinite(r["paired_ci95"]) else ""),
            "unpaired": f"± {spread(r['unpaired_ci95'])}", "values": r,
            "verdict": verdict(kpi.better, r["difference"], r["paired_ci95"], r["variant"], target),
            "meets": None if target is None else (r["base"] >= target, r["variant"] >= target)}


def difference_rows(totals, costs=None) -> list[dict]:
    """The rows a comparison shows: per queue each compared KPI with values on either side (the totals'
    ``channel`` and ``sl_target`` columns give units and targets), then per priced group its paid hours and
    cost (``costs``). Each row: ``where`` (queue or group), ``label``, ``kpi``, ``base``, ``variant``,
    ``difference`` and ``unpaired`` as text, the numbers (``values``), ``verdict``, and for service levels
    whether each side ``meets`` its target. A KPI or a group's cost the same on both sides in every
    replication is left out, but for service levels, money at stake and the total cost.
    """
    registry = {k.name: k for k in kpis.KPIS if k.compared}
    rows = []
    for r in totals.to_dict("records"):
        kpi = registry.get(r["kpi"])
        if kpi is None or not (math.isfinite(r["base"]) or math.isfinite(r["variant"])):
            continue
        target = r.get("sl_target") if kpi.name == "service_level" else None
        if target is not None or not _unchanged(r) or (kpi.unit == "currency" and r["base"] != 0):
            rows.append(_row(r["queue"], kpi, r, CHANNELS.get(r.get("channel")), target))
    rows += [_row(r["group"], COSTS[r["kpi"]], r) for r in ([] if costs is None else costs.to_dict("records"))
             if r["group"] == ALL_GROUPS or not _unchanged(r)]
    return rows


def _unchanged(r: dict) -> bool:
    """The same on both sides in every replication (shown only where it is the verdict: service levels and
    the total cost).
    """
    return r["difference"] == 0 and r["paired_ci95"] == 0


def sweep_variants(table, parameters: list[str]):
    """One row per finished variant of a sweep (``sim.sweep``): its ``parameters``, ``centre_agent_hours``,
    ``centre_cost``, per queue its service level (``sl:<queue>``), whether ``every_target`` is met (each
    queue's horizon service level at or above its target), the ``worst_queue`` (furthest below, or
    nearest above, its target) and ``cheapest``: the variant meeting every target at the least cost
    (agent-hours where no group is priced; ties: the first).
    """
    ok = table[table["status"] == "ok"]
    if ok.empty:
        return pd.DataFrame()
    margin = ok["service_level"] - ok["sl_target"]
    per = ok.assign(margin=margin.fillna(0.0))
    rows = []
    for variant, part in per.groupby("variant", sort=True):
        first = part.iloc[0]
        worst = part.loc[part["margin"].idxmin()]
        rows.append({"variant": variant, **{p: first[p] for p in parameters},
                     "centre_agent_hours": first["centre_agent_hours"], "centre_cost": first.get("centre_cost"),
                     **{f"sl:{q}": v for q, v in zip(part["queue"], part["service_level"])},
                     "every_target": bool((part["margin"] >= 0).all()), "worst_queue": worst["queue"]})
    out = pd.DataFrame(rows)
    price = out["centre_cost"] if out["centre_cost"].notna().any() else out["centre_agent_hours"]
    meeting = price.where(out["every_target"])
    out["cheapest"] = False
    if meeting.notna().any():
        out.loc[meeting.idxmin(), "cheapest"] = True
    return out
