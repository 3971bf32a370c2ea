"""The page of a sweep: the variants and the response curves."""

from __future__ import annotations

from pathlib import Path

from sim import kpis
from sim.pages import cells


def sections(out: Path) -> list[dict]:
    table = cells.read(out / "sweep.csv")
    fixed = {"variant", "status", "error", "queue", "centre_agent_hours", *kpis.swept()}
    parameters = [c for c in table.columns if c not in fixed]
    columns = {"variant": ("variant", "{}"), **{p: (p, "{}") for p in parameters}, "status": ("status", "{}")}
    if "queue" in table:
        columns |= {"queue": ("queue", "{}"), "service_level": ("service level", "{:.1%}"),
                    "service_level_ci95": ("± 95% CI", "{:.1%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
                    "abandon_rate": ("abandoned", "{:.1%}"), "centre_agent_hours": ("centre agent-hours", "{:,.0f}")}
    failed = table[table["status"] != "ok"]
    note = f"{len(failed)} variant(s) failed: {failed['error'].iloc[0]}" if len(failed) else ""
    plots = (cells.plots(out, "sweep_sl.png", lambda _: "Service level and P(meets target) against the swept parameter")
             + cells.plots(out, "sweep_conversations.png", lambda _: "Conversations: response times and sales lost"))
    shown = {c: f for c, f in columns.items() if c in table}
    return [cells.section("Variants", [cells.table("sweep", "", table, shown)],
                     note=note), cells.section("Response curves", plots=plots)]
