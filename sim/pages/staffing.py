"""The page of a staffing study: each method's requirement and the service level it attains."""

from __future__ import annotations

from pathlib import Path

from sim.pages import cells


def sections(out: Path) -> list[dict]:
    summary = cells.read(out / "staffing_summary.csv")
    tables = [cells.table("staffing", "Requirement by method and the service level it attains (simulated)", summary, {
        "formula": ("method", "{}"), "queue": ("queue", "{}"), "agent_hours": ("agent-hours required", "{:,.1f}"),
        "rostered_agent_hours": ("to roster", "{:,.1f}"), "formula_agent_hours": ("all queues", "{:,.1f}"),
        "service_level": ("service level", "{:.1%}"),
        "service_level_ci95": ("± 95% CI", "{:.1%}"), "target": ("target", "{:.0%}"),
        "intervals_meeting_sl": ("intervals meeting target", "{:.0%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
        "worst_day_p_meets_sl": ("P(worst day meets)", "{:.0%}")},
        css={"service_level": cells.met("service_level", "target")},
        note="Agent-hours required: on the floor for the queue; to roster: with the shrinkage of its group; all "
             "queues: the method's total. Service level: simulated with the requirement on the floor.")]
    if (out / "staffing_search.csv").is_file():
        tables.append(cells.table("search", "Simulation-based search", cells.read(out / "staffing_search.csv"), {
            "iteration": ("iteration", "{}"), "agent_hours": ("agent-hours", "{:,.1f}"),
            "intervals_missing": ("intervals below target", "{:,}")}))
    if (out / "staffing_backoffice.csv").is_file():
        backoffice = cells.read(out / "staffing_backoffice.csv")
        tables.append(cells.table("backoffice", "Back-office work (deferred)", backoffice,
                                  cells.columns(backoffice, "{:,.1f}")))
    plots = cells.plots(out, "staffing_*.png", lambda stem: "Simulation-based requirement per group"
                   if stem == "staffing_requirement" else f"{stem.removeprefix('staffing_')}: requirement by method "
                   "and the service level it attains")
    return [cells.section("Methods", tables), cells.section("Plots", plots=plots)]
