"""The page of a roster search: the verdict (its cost against the scenario's roster, the saving, whether
every interval meets, the check on fresh customers), the cost by group, the shifts found, the comparison,
the search and the coverage plots.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.pages import cells
from sim.pages.compare import differences


def _verdict(cost: pd.DataFrame, search: pd.DataFrame) -> dict:
    """What the roster costs against the scenario's own, the saving and whether it meets its targets."""
    before, after = cost["cost_scenario"].sum(), cost["cost_found"].sum()
    met = int(search["intervals_missing"].iloc[-1]) == 0
    saving = before - after
    rows = [["cost of the scenario's roster", f"¥{before:,.0f}", before, ""],
            ["cost of the roster found", f"¥{after:,.0f}", after, ""],
            ["saving", f"¥{saving:,.0f}" + (f" ({saving / before:.1%})" if before > 0 else ""), saving,
             "good" if saving > 0 else "bad" if saving < 0 else ""],
            ["paid hours, scenario's roster → found",
             f"{cost['paid_hours_scenario'].sum():,.0f} h → {cost['paid_hours_found'].sum():,.0f} h",
             cost["paid_hours_found"].sum(), ""],
            ["every interval meets its target", "yes" if met else "no: see the search and roster_intervals.csv",
             "yes" if met else "no", "good" if met else "bad"]]
    return cells.grid("roster-verdict", "", ["", "value"],
                      [[cells.cell(name, name), cells.cell(text, value, css)] for name, text, value, css in rows])


def _shifts(shifts: pd.DataFrame) -> dict:
    """The shifts found, by start: template, group, when, breaks, agents and what they cost."""
    shifts = shifts.sort_values(["start", "group"], kind="stable")
    return cells.table("roster-shifts", "Shifts found", shifts, {
        "start": ("start", "{}"), "end": ("end", "{}"), "group": ("group", "{}"), "template": ("template", "{}"),
        "breaks": ("breaks", "{}"), "split_gap": ("unpaid gap", "{}"), "agents": ("agents", "{:,}"),
        "programme_cost": ("cost", "¥{:,.0f}")},
        note="One row per shift worked; breaks as time/length. The cost is the programme's (a vendor's price per "
             "contact as its hourly equivalent).")


def sections(out: Path) -> list[dict]:
    cost = cells.read(out / "roster_cost.csv")
    search = cells.read(out / "roster_search.csv")
    verdict = [_verdict(cost, search)]
    if (out / "roster_fresh_check.csv").is_file():
        fresh = cells.read(out / "roster_fresh_check.csv")
        verdict.append(cells.table("fresh", "The roster found, checked on fresh customers", fresh, {
            "queue": ("queue", "{}"), "service_level": ("service level", "{:.1%}"), "target": ("target", "{:.0%}"),
            "share_meeting": ("intervals meeting", "{:.0%}"), "p_meets_sl": ("mean P(meets)", "{:.0%}"),
            "judged": ("searched for its target", "{}")}, css={"service_level": cells.met("service_level", "target")},
            note="Service level over the horizon, as a run's summary gives it; intervals meeting (back-office work: "
                 "by its day). A queue not searched for its target (a call list: its answer rate is the "
                 "customers' pickup) keeps the deferred-work rule's agents."))
    totals = pd.DataFrame([{"group": "all groups", **cost.drop(columns="group").sum()}])
    tables = [cells.table("roster-cost", "Paid hours and cost by group: the scenario's roster and the one found",
                          pd.concat([cost, totals], ignore_index=True), {
                              "group": ("group", "{}"), "paid_hours_scenario": ("paid hours, scenario", "{:,.0f}"),
                              "cost_scenario": ("cost, scenario", "{:,.0f}"),
                              "paid_hours_found": ("paid hours found", "{:,.0f}"),
                              "cost_found": ("cost found", "{:,.0f}")}, foot=1)]
    if (out / "roster_shifts.csv").is_file():
        tables.append(_shifts(cells.read(out / "roster_shifts.csv")))
    if (out / "roster_comparison.csv").is_file():
        tables.append(differences("roster-comparison", "The roster found (variant) against the scenario's own "
                                  "(base)", cells.read(out / "roster_comparison.csv")))
    tables.append(cells.table("roster-search", "Search: one row per iteration", search,
                              cells.columns(search, "{:,.6g}", ("gap",))))
    plots = cells.plots(out, "roster_*.png",
                        lambda stem: f"{stem.removeprefix('roster_')}: coverage and P(meets target)")
    return [cells.section("Verdict", verdict), cells.section("Roster", tables), cells.section("Coverage", plots=plots)]
