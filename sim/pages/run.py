"""The page of a run: the verdict per queue, the tables by day, interval, call list, group and cost, and
the plots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import kpis
from sim.channels import CHANNELS
from sim.pages import cells
from sim.report import RUN_PLOTS


def verdict(summary: pd.DataFrame) -> dict:
    """Per queue: volume, service level with its CI against the target (coloured), P(meets), abandonment,
    ASA in its channel's unit; where the platform auto-approved refunds at their deadline, how many and
    their value.
    """
    columns = ["queue", "channel", "offered", "service level (95% CI)", "target", "P(meets target)",
               "abandoned", "ASA"]
    refunds = "auto_approved" in summary and summary["auto_approved"].fillna(0).gt(0).any()
    if refunds:
        columns += ["auto-approved", "auto-approved value"]
    rows = []
    for r in summary.itertuples():
        met = r.service_level >= r.sl_target if np.isfinite(r.service_level) else None
        row = [cells.cell(r.queue, r.queue), cells.cell(r.channel, r.channel),
               cells.cell(f"{r.offered:,.0f}", r.offered),
               cells.cell(cells.percent(r.service_level, r.service_level_ci95), r.service_level,
                          "" if met is None else "good" if met else "bad"),
               cells.cell(cells.percent(r.sl_target), r.sl_target),
               cells.cell(cells.percent(r.p_meets_sl), r.p_meets_sl),
               cells.cell(cells.percent(r.abandon_rate), r.abandon_rate),
               cells.cell(CHANNELS[r.channel].wait(r.asa_s) if np.isfinite(r.asa_s) else "–", r.asa_s)]
        if refunds:
            row += [cells.cell(f"{r.auto_approved:,.0f}", r.auto_approved, "bad" if r.auto_approved > 0 else ""),
                    cells.cell(f"¥{r.auto_approved_value:,.0f}", r.auto_approved_value)]
        rows.append(row)
    return cells.grid("verdict", "", columns, rows,
                      note="Service level with its 95% confidence interval over the replications; P(meets): the share "
                           "of replications whose horizon meets the target. Green: at or above the target; red: below "
                           "it. A service level judges what was decided by the end: contacts still open and not yet "
                           "past their threshold are left out (the days' table counts them).")


def groups(out: Path) -> dict:
    """Per group over the horizon (means over replications): agent-hours on duty, occupancy, overtime."""
    totals = cells.read(out / "group_totals.csv")
    hours = totals.assign(**{c.replace("_agent_s", "_h"): totals[c] / 3600 for c in totals if c.endswith("_agent_s")})
    hours["occupancy"] = hours["busy_h"] / hours["staffed_h"].where(hours["staffed_h"] > 0)
    return cells.table("groups", "Agents by group (mean over the replications)", hours, {
        "group": ("group", "{}"), "staffed_h": ("agent-hours on duty", "{:,.1f}"), "busy_h": ("busy (h)", "{:,.1f}"),
        "occupancy": ("occupancy", "{:.1%}"), "overtime_h": ("overtime (h)", "{:,.1f}"),
        "not_ready_h": ("not ready (h)", "{:,.1f}"), "answered": ("contacts answered", "{:,.0f}")},
        note="Overtime: agent-hours past the shift end finishing a contact; not ready: aux time.")


_AT_STAKE = ("gmv", "gmv_lost", "auto_approved_value", "recovered_value")     # per queue, where not nil


def money(summary: pd.DataFrame, costs: pd.DataFrame | None) -> dict | None:
    """The money of the run (means over the replications): what the priced groups cost, and per queue the
    sales won and lost by conversations, the refunds auto-approved, the balance recovered by call lists;
    None where there is none.
    """
    labels = {k.name: k.title for k in kpis.KPIS}
    rows = [] if costs is None else [("agents (all priced groups)", "cost", costs["cost"].sum())]
    for kpi in _AT_STAKE:
        if kpi in summary:
            rows += [(r["queue"], labels[kpi], r[kpi]) for r in summary.to_dict("records")
                     if np.isfinite(r[kpi]) and r[kpi] != 0]
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["where", "what", "value"])
    return cells.table("money", "Money (mean over the replications)", frame, {
        "where": ("queue or group", "{}"), "what": ("", "{}"), "value": ("yuan", "¥{:,.0f}")},
        note="Sales (GMV): orders expected from the conversations times the order value; sales lost: the orders a "
             "first reply at once would have won, lost to slow replies and departures.")


def conversations(summary: pd.DataFrame) -> dict | None:
    """Chats as conversations: messages, first and mean response, replies in time, silent departures and the
    conversion's orders and sales; None without such a queue.
    """
    rows = summary[summary["messages"].notna()] if "messages" in summary else summary.iloc[:0]
    if rows.empty:
        return None
    rows = rows.assign(per_chat=rows["messages"] / rows["answered"], in_time=rows["replied_within"] / rows["messages"])
    return cells.table("conversations", "Chats as conversations", rows, {
        "queue": ("queue", "{}"), "per_chat": ("messages per chat", "{:,.1f}"),
        "first_response_s": ("first response (s)", "{:,.1f}"), "first_response_p90_s": ("p90 (s)", "{:,.0f}"),
        "response_s": ("mean response (s)", "{:,.1f}"), "in_time": ("messages replied in time", "{:.1%}"),
        "silent_abandoned": ("left unseen", "{:,.0f}"), "orders": ("orders", "{:,.0f}"),
        "gmv": ("sales (GMV)", "¥{:,.0f}"), "gmv_lost": ("sales lost", "¥{:,.0f}")},
        note="The service level above counts first replies within the threshold (with sla.on: every_message, "
             "conversations whose every message was replied to in time).")


def sections(out: Path) -> list[dict]:
    summary = cells.read(out / "summary.csv")
    costs = cells.read(out / "costs.csv") if (out / "costs.csv").is_file() else None
    tables = [verdict(summary), money(summary, costs), conversations(summary)]
    if (out / "sla_probability.csv").is_file():
        tables.append(cells.table("days", "Service level by day", cells.read(out / "sla_probability.csv"), {
            "queue": ("queue", "{}"), "period": ("day", "{}"), "service_level": ("service level", "{:.1%}"),
            "sl_target": ("target", "{:.0%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
            "open_at_end": ("open at the end, not yet due", "{:,.0f}")},
            css={"service_level": cells.met("service_level", "sl_target")},
            note="Service level as everywhere: served within the threshold over the contacts judged, those still "
                 "open at the end and not yet past their threshold left out (counted beside it)."))
    if (out / "worst_intervals.csv").is_file():
        worst = cells.read(out / "worst_intervals.csv")
        tables.append(cells.table("worst", "Intervals least likely to meet their target", worst, {
            "interval_start": ("interval", "{}"), "queue": ("queue", "{}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
            "service_level": ("service level", "{:.1%}"), "sl_target": ("target", "{:.0%}"),
            "offered": ("offered (mean)", "{:,.1f}")}, css={"service_level": cells.met("service_level", "sl_target")}))
    lists = summary[summary["channel"].map(lambda c: CHANNELS[c].dials)]
    if not lists.empty:
        tables.append(cells.table("call_lists", "Outbound call lists", lists, {
            "queue": ("queue", "{}"), "first_attempts": ("customers on the list", "{:,.0f}"),
            "attempts": ("attempts", "{:,.0f}"), "service_level": ("answer rate", "{:.1%}"),
            "sl_target": ("target", "{:.0%}"), "reach_rate": ("customers reached", "{:.1%}"),
            "abandoned": ("expired undialled", "{:,.0f}"),
            "connected_per_hour": ("connected per agent-hour", "{:,.1f}"),
            "recovered_value": ("balance recovered", "{:,.0f}")},
            css={"service_level": cells.met("service_level", "sl_target")},
            note="Means over the replications. Answer rate: attempts that reached the customer over attempts dialled; "
                 "customers reached: in any of their attempts; balance recovered: the balance of the customers "
                 "reached times the share who pay."))
    if (out / "group_totals.csv").is_file():
        tables.append(groups(out))
    if costs is not None:
        costs = pd.concat([costs, pd.DataFrame([{"group": "all groups", "paid_hours": costs["paid_hours"].sum(),
                                                 "cost": costs["cost"].sum(), "cost_per_answered": np.nan}])],
                          ignore_index=True)
        tables.append(cells.table("costs", "Cost by group (mean over the replications)", costs, {
            "group": ("group", "{}"), "paid_hours": ("paid hours", "{:,.0f}"), "cost": ("cost", "{:,.0f}"),
            "cost_per_answered": ("cost per contact answered", "{:,.2f}")}, foot=1))
    plots = [p for name, title in RUN_PLOTS.values() for p in cells.plots(out, name, lambda _, t=title: t)]
    tables = [t for t in tables if t is not None]
    head = 1 + sum(t["id"] in ("money", "conversations") for t in tables)
    return [cells.section("Verdict", tables[:head]), cells.section("Tables", tables[head:]),
            cells.section("Plots", plots=plots,
                          note="" if plots else "No plots in this folder (written with --no-plots).")]
