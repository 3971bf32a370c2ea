"""PNG plots of a run: service level against target, volumes, occupancy by group."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

_PLOT_FILES = ("service_level.png", "volumes.png", "occupancy.png")


def _per_interval(stats: pd.DataFrame, by: str, kpi: str, statistic: str = "mean") -> pd.DataFrame:
    """A statistic across replications (``interval_stats`` or ``group_stats``), one column per queue or group."""
    return stats[stats["kpi"] == kpi].pivot(index="interval_start", columns=by, values=statistic)


def save_plots(results, directory: Path) -> list[Path]:
    """Write the standard plots of ``results`` into ``directory``; returns their paths."""
    sc = results.scenario
    queues = list(sc.queues)
    iv = results.interval_stats
    paths = []

    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 2.6 * len(queues)), sharex=True, squeeze=False)
    sl = _per_interval(iv, "queue", "service_level")
    low, high = (_per_interval(iv, "queue", "service_level", p) for p in ("p10", "p90"))
    for ax, q in zip(axes[:, 0], queues):
        ax.plot(sl.index, sl[q], lw=1.2, label="service level (mean)")
        if results.replications > 1:
            ax.fill_between(sl.index, low[q], high[q], alpha=0.25, label="p10-p90 over replications")
        ax.axhline(sc.queues[q].sla.target, color="crimson", ls="--", lw=1, label="target")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("SL")
        ax.set_title(f"{q}: answered within {sc.queues[q].sla.answer_within:g}s / offered", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, directory / _PLOT_FILES[0]))

    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 2.6 * len(queues)), sharex=True, squeeze=False)
    for ax, q in zip(axes[:, 0], queues):
        for column in ("offered", "answered", "abandoned"):
            series = _per_interval(iv, "queue", column)[q]
            ax.plot(series.index, series, lw=1.1, label=column)
        ax.set_ylabel(f"contacts / {sc.interval / 60:g} min")
        ax.set_title(q, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, directory / _PLOT_FILES[1]))

    gr = results.group_stats
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    occupancy = _per_interval(gr, "group", "occupancy")
    slots = _per_interval(gr, "group", "slot_utilisation")
    on_shift = _per_interval(gr, "group", "agents_on_shift")
    for g, group in sc.groups.items():
        line, = top.plot(occupancy.index, occupancy[g], lw=1.1, label=g)
        if group.concurrency > 1:
            top.plot(slots.index, slots[g], lw=1.0, ls="--", color=line.get_color(),
                     label=f"{g}: slot utilisation ({group.concurrency} slots)")
        bottom.plot(on_shift.index, on_shift[g], lw=1.1, label=g)
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("occupancy")
    top.set_title("Occupancy: busy / staffed agent-seconds (dashed: open chats / chat slots on duty)",
                  fontsize=10)
    bottom.set_ylabel("agents on shift (mean)")
    top.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    paths.append(_save(fig, directory / _PLOT_FILES[2]))
    return paths


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sweep_plot(table, parameters: list[str], path: Path) -> Path | None:
    """Probability of meeting the SLA over the horizon against each swept parameter, one line per queue."""
    ok = table[table["status"] == "ok"]
    if ok.empty or not parameters:
        return None
    fig, axes = plt.subplots(1, len(parameters), figsize=(5 * len(parameters), 3.6), squeeze=False)
    for ax, parameter in zip(axes[0], parameters):
        by = ok.groupby([parameter, "queue"])["p_meets_sl"].mean().unstack("queue")
        for queue in by.columns:
            ax.plot(by.index, by[queue], marker="o", lw=1.2, label=queue)
        ax.set_xlabel(parameter, fontsize=8)
        ax.set_ylabel("P(horizon SL meets target)")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def staffing_plots(report, directory: Path) -> list[Path]:
    """Per staffed queue: each formula's required agents (top) and the service level they attain (bottom);
    with the simulation-based requirement, its curve per group too.
    """
    paths = []
    iv = report.intervals
    for queue, part in iv.groupby("queue", sort=False):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
        for formula, rows in part.groupby("formula", sort=False):
            line, = top.step(rows["interval_start"], rows["agents"], where="post", lw=1.1, label=formula)
            bottom.plot(rows["interval_start"], rows["attained_sl"], lw=1.1, color=line.get_color(), label=formula)
        bottom.axhline(part["target"].iloc[0], color="crimson", ls="--", lw=1, label="target")
        top.set_ylabel("agents required")
        top.set_title(f"{queue}: requirement by formula{' (lagged one handle time)' if report.lag else ''}",
                      fontsize=10)
        bottom.set_ylabel("service level attained")
        bottom.set_ylim(-0.02, 1.02)
        bottom.set_title(f"simulated, mean of {report.replications} replications", fontsize=10)
        top.legend(fontsize=8, loc="upper left")
        bottom.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
        paths.append(_save(fig, directory / f"staffing_{queue}.png"))
    if report.simulated is not None:
        fig, ax = plt.subplots(figsize=(12, 3.5))
        for group, rows in report.simulated.agents.groupby("group", sort=False):
            ax.step(rows["interval_start"], rows["agents"], where="post", lw=1.1, label=group)
        ax.set_ylabel("agents on duty")
        ax.set_title("simulation-based requirement per group", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        paths.append(_save(fig, directory / "staffing_requirement.png"))
    return paths
