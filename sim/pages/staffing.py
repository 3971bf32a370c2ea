"""The page of a staffing study: each method's requirement and the service level it attains."""

from __future__ import annotations

from pathlib import Path

from sim.pages import cells

# The study's shares of success per method and queue, with the same words on the terminal and the page.
SHARES = {"intervals_mean_meets": "intervals whose mean meets the target",
          "intervals_not_below": "intervals not below the target (CI)", "p_meets_sl": "P(the horizon meets)",
          "worst_day_p_meets_sl": "P(the worst day meets)"}


def sections(out: Path) -> list[dict]:
    summary = cells.read(out / "staffing_summary.csv")
    tables = [cells.table("staffing", "Requirement by method and the service level it attains (simulated)", summary, {
        "formula": ("method", "{}"), "queue": ("queue", "{}"), "agent_hours": ("agent-hours required", "{:,.1f}"),
        "rostered_agent_hours": ("to roster", "{:,.1f}"), "formula_agent_hours": ("all queues", "{:,.1f}"),
        "service_level": ("service level", "{:.1%}"),
        "service_level_ci95": ("± 95% CI", "{:.1%}"), "target": ("target", "{:.0%}"),
        **{column: (label, "{:.0%}") for column, label in SHARES.items()}},
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
                        if stem == "staffing_requirement" else f"{stem.removeprefix('staffing_')}: requirement by "
                        "method and the service level it attains")
    return [cells.section("Methods", tables), cells.section("Plots", plots=plots)]
