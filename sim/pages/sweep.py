"""The page of a sweep: the variants side by side (cost, service level per queue, every target met, the
cheapest that meets them all), every variant's queues in detail, and the response curves.
"""

from __future__ import annotations

from pathlib import Path

from sim import kpis
from sim.pages import cells
from sim.scenario.loading import short_path
from sim.verdicts import sweep_variants


def _variants(table, parameters: list[str]) -> dict | None:
    """One row per variant: its parameters, agent-hours, cost, service level per queue (coloured against
    the target), whether it meets every target; the cheapest that does is marked.
    """
    side = sweep_variants(table, parameters)
    if side.empty:
        return None
    targets = dict(zip(table["queue"], table["sl_target"])) if "sl_target" in table else {}
    columns = {"variant": ("variant", "{}"), **{p: (short_path(p), "{}") for p in parameters},
               "centre_agent_hours": ("agent-hours", "{:,.0f}")}
    if side["centre_cost"].notna().any():
        columns["centre_cost"] = ("cost", "¥{:,.0f}")
    css = {}
    for column in (c for c in side if c.startswith("sl:")):
        queue = column.removeprefix("sl:")
        columns[column] = (f"{queue}: service level", "{:.1%}")
        if queue in targets:
            css[column] = lambda r, c=column, t=targets[queue]: "" if r[c] != r[c] else "good" if r[c] >= t else "bad"
    side = side.assign(meets=side["every_target"].map({True: "yes", False: "no"}),
                       pick=side["cheapest"].map({True: "cheapest meeting every target", False: ""}))
    columns |= {"meets": ("every target met", "{}"), "pick": ("", "{}")}
    css |= {"meets": lambda r: "good" if r["every_target"] else "bad",
            "pick": lambda r: "good" if r["cheapest"] else ""}
    cheapest = side[side["cheapest"]]
    note = (f"Cheapest meeting every target: variant {cheapest['variant'].iloc[0]}." if len(cheapest) else
            "No variant meets every target.") + " Service levels over the horizon, green where they meet the target."
    return cells.table("variants", "Variants side by side", side, columns, css, note=note)


def sections(out: Path) -> list[dict]:
    table = cells.read(out / "sweep.csv")
    fixed = {"variant", "status", "error", "queue", "centre_agent_hours", "centre_cost", "sl_target", *kpis.swept()}
    parameters = [c for c in table.columns if c not in fixed]
    columns = {"variant": ("variant", "{}"), **{p: (short_path(p), "{}") for p in parameters},
               "status": ("status", "{}")}
    if "queue" in table:
        columns |= {"queue": ("queue", "{}"), "service_level": ("service level", "{:.1%}"),
                    "service_level_ci95": ("± 95% CI", "{:.1%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
                    "abandon_rate": ("abandoned", "{:.1%}")}
    failed = table[table["status"] != "ok"]
    note = f"{len(failed)} variant(s) failed: {failed['error'].iloc[0]}" if len(failed) else ""
    plots = (cells.plots(out, "sweep_sl.png", lambda _: "Service level and P(meets target) against the swept parameter")
             + cells.plots(out, "sweep_conversations.png", lambda _: "Conversations: response times and sales lost"))
    shown = {c: f for c, f in columns.items() if c in table}
    side = _variants(table, parameters) if "queue" in table else None
    return [cells.section("Verdict", [side] if side else [], note=note),
            cells.section("Variants in detail", [cells.table("sweep", "", table, shown)]),
            cells.section("Response curves", plots=plots)]
