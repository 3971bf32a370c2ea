"""PNG plots in one style (``STYLE``, ``figure``): a run's service level against target, volumes with the
surges marked, occupancy by group, a day × interval heat map of service level, waits and contacts
waiting with their bands; a comparison's differences, sweeps, staffing and rosters.

Titles and labels say what each channel's service level counts (first response, answer, resolution);
queue and group names in Chinese render with the fonts of ``sim.fonts``.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.channels import channel_of  # noqa: E402
from sim.fonts import use_cjk_fonts  # noqa: E402
from sim.scenario.loading import short_path  # noqa: E402

use_cjk_fonts()

# One look for every plot of the package (runs, comparisons, sweeps, staffing, rosters, calibration): light
# grid, no top and right frame, small titles and legends; figures come from ``figure``.
STYLE = {"axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
         "ytick.labelsize": 8, "legend.fontsize": 8, "legend.framealpha": 0.8, "lines.linewidth": 1.1}
matplotlib.rcParams.update(STYLE)


# A run's plots: (file, title), in the order the results page shows them (``sim.html_report``).
RUN_PLOTS = {"heatmap": ("service_level_heatmap.png", "Service level by day and interval"),
             "service_level": ("service_level.png", "Service level by interval (band: p10-p90 over replications)"),
             "volumes": ("volumes.png", "Volumes"),
             "waits": ("waits.png", "Waits and contacts waiting (backlog)"),
             "occupancy": ("occupancy.png", "Occupancy and agents on shift by group")}


def figure(rows: int, columns: int = 1, height: float = 2.6, width: float = 12.0, dates: bool = False,
           **kwargs):
    """A figure of ``rows`` × ``columns`` axes (always a 2-D array), ``height`` inches a row; with ``dates``,
    time axes labelled concisely (day, then hours). ``kwargs`` go to ``plt.subplots`` (``sharex``).
    """
    fig, axes = plt.subplots(rows, columns, figsize=(width, height * rows), squeeze=False, **kwargs)
    if dates:
        for ax in axes.flat:
            locator = mdates.AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig, axes


def _per_interval(stats: pd.DataFrame, by: str, kpi: str, statistic: str = "mean") -> pd.DataFrame:
    """A statistic across replications (``interval_stats`` or ``group_stats``), one column per queue or group."""
    return stats[stats["kpi"] == kpi].pivot(index="interval_start", columns=by, values=statistic)


def with_traffic(results) -> list[str]:
    """The queues that had contacts in some interval (all of them if none had): a queue without traffic
    gets no empty panel.
    """
    offered = _per_interval(results.interval_stats, "queue", "offered")
    busy = [q for q in results.scenario.queues if offered[q].sum() > 0]
    return busy or list(results.scenario.queues)


def save_plots(results, directory: Path) -> list[Path]:
    """Write the standard plots of ``results`` into ``directory``; returns their paths."""
    sc = results.scenario
    queues = with_traffic(results)
    iv = results.interval_stats
    paths = []

    fig, axes = figure(len(queues), dates=True, sharex=True)
    sl = _per_interval(iv, "queue", "service_level")
    low, high = (_per_interval(iv, "queue", "service_level", p) for p in ("p10", "p90"))
    for ax, q in zip(axes[:, 0], queues):
        ax.plot(sl.index, sl[q], lw=1.2, label="service level (mean)")
        if results.replications > 1:
            ax.fill_between(sl.index, low[q], high[q], alpha=0.25, label="p10-p90 over replications")
        ax.axhline(sc.queues[q].sla.target, color="crimson", ls="--", lw=1, label="target")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("service level")
        ax.set_title(f"{q}: {channel_of(sc.queues[q]).sl_label(sc.queues[q])} / offered, by arrival interval")
        ax.legend(loc="lower left")
    paths.append(save_figure(fig, directory / RUN_PLOTS["service_level"][0]))

    fig, axes = figure(len(queues), dates=True, sharex=True)
    for ax, q in zip(axes[:, 0], queues):
        channel = channel_of(sc.queues[q])
        shown = {"offered": "offered", channel.served_column: channel.served, channel.left_column: channel.left}
        for column, label in shown.items():
            series = _per_interval(iv, "queue", column)[q]
            ax.plot(series.index, series, lw=1.1, label=label)
        surges = [s for s in sc.surges if s.queues is None or q in s.queues]
        for k, surge in enumerate(surges):     # a strip each along the top; a surge's colour is the same everywhere
            colour = f"C{3 + sc.surges.index(surge) % 7}"
            ax.axvspan(surge.start, surge.end, ymin=0.96 - 0.05 * k, ymax=1.0 - 0.05 * k, color=colour,
                       alpha=0.6, lw=0,
                       label=f"{surge.name} (x{surge.multiplier:g}{', decaying' if surge.shape == 'decay' else ''})")
        if surges:
            ax.set_ylim(top=ax.get_ylim()[1] * (1 + 0.07 * len(surges)))     # the strips above the lines
        ax.set_ylabel(f"{'items' if channel.on_resolution else 'contacts'} / {sc.interval / 60:g} min")
        ax.set_title(f"{q} ({sc.queues[q].channel}), by arrival interval")
        ax.legend(loc="upper left")
    paths.append(save_figure(fig, directory / RUN_PLOTS["volumes"][0]))

    gr = results.group_stats
    fig, axes = figure(2, height=3, dates=True, sharex=True)
    top, bottom = axes[:, 0]
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
    top.set_title("Occupancy: busy / staffed agent-seconds (dashed: open chats / chat slots on duty)")
    bottom.set_ylabel("agents on shift (mean)")
    top.legend(loc="lower left")
    paths.append(save_figure(fig, directory / RUN_PLOTS["occupancy"][0]))
    paths.append(heatmap(results, directory / RUN_PLOTS["heatmap"][0]))
    paths.append(waits(results, directory / RUN_PLOTS["waits"][0]))
    return paths


def waits(results, path: Path) -> Path:
    """Per queue (a row each): the mean wait of answered contacts (left) and the contacts waiting at each
    interval's start (right: refunds and tickets waiting are the backlog), means with p10-p90 bands over
    the replications; waits in the channel's unit.
    """
    sc = results.scenario
    iv = results.interval_stats
    queues = with_traffic(results)
    fig, axes = figure(len(queues), 2, height=2.4, dates=True, sharex=True)
    for (left, right), q in zip(axes, queues):
        for ax, kpi in ((left, "asa_s"), (right, "backlog")):
            mean, low, high = (_per_interval(iv, "queue", kpi, stat)[q] for stat in ("mean", "p10", "p90"))
            channel = channel_of(sc.queues[q])
            scale = channel.wait_unit if kpi == "asa_s" else 1.0
            label = f"mean wait of answered ({channel.wait_unit_name})" if kpi == "asa_s" \
                else "waiting at interval start"
            ax.plot(mean.index, mean / scale, lw=1.1, label="mean")
            if results.replications > 1:
                ax.fill_between(mean.index, low / scale, high / scale, alpha=0.25, label="p10-p90")
            ax.set_ylabel(label)
            ax.set_title(f"{q}: {label}")
        left.legend(loc="upper left")
    return save_figure(fig, path)


def heatmap(results, path: Path) -> Path:
    """Per queue, a day × time-of-day grid of the mean service level (red to yellow below the target,
    yellow to green above it; grey without traffic), so that the failing hours of the big day stand out.
    """
    sc = results.scenario
    sl = _per_interval(results.interval_stats, "queue", "service_level")
    times = pd.DatetimeIndex(sl.index)
    days = sorted(set(times.normalize()))
    columns = int(round(86400 / sc.interval))
    queues = with_traffic(results)
    fig, axes = figure(len(queues), height=0.45 * len(days) + 1.1)
    slot = ((times - times.normalize()).total_seconds() // sc.interval).astype(int)
    row = [days.index(d) for d in times.normalize()]
    for ax, q in zip(axes[:, 0], queues):
        grid = np.full((len(days), columns), np.nan)
        grid[row, slot] = sl[q].to_numpy(dtype=float)
        target = sc.queues[q].sla.target
        norm = matplotlib.colors.TwoSlopeNorm(vmin=0.0, vcenter=min(max(target, 0.01), 0.99), vmax=1.0)
        cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#dddddd")
        image = ax.imshow(grid, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest",
                          extent=(0, 24, len(days) - 0.5, -0.5))
        ax.set_yticks(range(len(days)), [f"{d:%a %m-%d}" for d in days], fontsize=8)
        ax.set_xticks(range(0, 25, 2))
        ax.set_xlabel("time of day (h)")
        ax.set_title(f"{q}: service level by interval (target {target:.0%}; grey: no traffic)")
        fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    return save_figure(fig, path)


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    """Save and close ``fig``; characters no font could draw are named once, not once per glyph and figure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
    plt.close(fig)
    missing = sorted({chr(int(m.group(1))) for w in caught if (m := _MISSING_GLYPH.search(str(w.message)))})
    if missing:
        print(f"warning: {path.name}: no font here draws {' '.join(missing)}; those characters show as boxes "
              "(install a CJK font such as Noto Sans CJK SC)", file=sys.stderr)
    return path


_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from font")


def difference_plot_name(variant: str) -> str:
    """The file of a comparison's plot for ``variant``."""
    return f"{variant}_difference.png"


def difference_plot(intervals: pd.DataFrame, path: Path) -> Path:
    """Per queue (a row each): the service level of the variant minus the base's by interval, with the
    paired 95% CI as a band; intervals where the CI is above zero shaded green, below zero red.
    """
    sl = intervals[intervals["kpi"] == "service_level"].assign(
        interval_start=lambda f: pd.to_datetime(f["interval_start"]))
    queues = list(dict.fromkeys(sl["queue"]))
    fig, axes = figure(len(queues), dates=True, sharex=True)
    for ax, queue in zip(axes[:, 0], queues):
        rows = sl[sl["queue"] == queue]
        low, high = rows["difference"] - rows["paired_ci95"], rows["difference"] + rows["paired_ci95"]
        ax.fill_between(rows["interval_start"], low, high, alpha=0.25, step="post", label="paired 95% CI")
        ax.step(rows["interval_start"], rows["difference"], where="post", lw=1.1, label="variant − base")
        ax.axhline(0, color="black", lw=0.8)
        for mask, colour, label in ((low > 0, "green", "variant better"), (high < 0, "crimson", "variant worse")):
            ax.fill_between(rows["interval_start"], 0, 1, where=mask.to_numpy(), step="post", color=colour,
                            alpha=0.12, transform=ax.get_xaxis_transform(), label=label)
        ax.set_ylabel("service level difference")
        ax.set_title(f"{queue}: service level, variant − base, by arrival interval")
        ax.legend(loc="lower left")
    return save_figure(fig, path)


def sweep_plot(table, parameters: list[str], path: Path, targets: dict[str, float] | None = None) -> Path | None:
    """Per queue (a row each): the horizon service level with its 95% CI against the first swept parameter,
    with the target (left), and the probability of meeting the target (right); a line per combination of
    the other parameters (at most eight; beyond, their mean).
    """
    ok = table[table["status"] == "ok"]
    if ok.empty or not parameters:
        return None
    x, others = parameters[0], parameters[1:]
    combos = ok[others].drop_duplicates().to_dict("records") if others else [{}]
    if len(combos) > 8:
        combos, others = [{}], []
    queues = list(dict.fromkeys(ok["queue"]))
    fig, axes = figure(len(queues), 2, height=3.2)
    for (left, right), queue in zip(axes, queues):
        mine = ok[ok["queue"] == queue]
        for combo in combos:
            rows = mine[(mine[list(combo)] == pd.Series(combo)).all(axis=1)] if combo else mine
            rows = rows.groupby(x, sort=True)[["service_level", "service_level_ci95", "p_meets_sl"]].mean()
            label = ", ".join(f"{short_path(k)}={v}" for k, v in combo.items()) or None
            line, = left.plot(rows.index, rows["service_level"], marker="o", lw=1.2, label=label)
            left.fill_between(rows.index, rows["service_level"] - rows["service_level_ci95"],
                              rows["service_level"] + rows["service_level_ci95"], alpha=0.2, color=line.get_color())
            right.plot(rows.index, rows["p_meets_sl"], marker="o", lw=1.2, color=line.get_color(), label=label)
        if targets and queue in targets:
            left.axhline(targets[queue], color="crimson", ls="--", lw=1, label="target")
        left.set_title(f"{queue}: service level over the horizon (band: 95% CI)")
        right.set_title(f"{queue}: P(the horizon meets the target)")
        for ax in (left, right):
            ax.set_xlabel(short_path(x))
            ax.set_ylim(-0.02, 1.02)
        if others or targets:
            left.legend()
    return save_figure(fig, path)


def conversation_sweep_plot(table, parameters: list[str], path: Path) -> Path | None:
    """Per conversation chat queue (a row each), against the first swept parameter: the mean first
    response and mean response time (left) and, with a conversion, the sales lost, else the abandonment
    rate (right); means over the other parameters. None without a conversation queue.
    """
    ok = table[(table["status"] == "ok") & table["first_response_s"].notna()] if "first_response_s" in table else []
    if len(ok) == 0 or not parameters:
        return None
    x = parameters[0]
    queues = list(dict.fromkeys(ok["queue"]))
    fig, axes = figure(len(queues), 2, height=3.2)
    for (left, right), queue in zip(axes, queues):
        rows = ok[ok["queue"] == queue].groupby(x, sort=True)[
            ["first_response_s", "response_s", "gmv_lost", "abandon_rate"]].mean()
        left.plot(rows.index, rows["first_response_s"], marker="o", lw=1.2, label="first response")
        left.plot(rows.index, rows["response_s"], marker="s", lw=1.2, label="mean response (every message)")
        left.set_ylabel("s")
        left.set_title(f"{queue}: response times")
        left.legend()
        lost = rows["gmv_lost"].notna().any()
        right.plot(rows.index, rows["gmv_lost"] if lost else rows["abandon_rate"], marker="o", lw=1.2,
                   color="crimson")
        right.set_title(f"{queue}: {'sales lost to waiting' if lost else 'abandonment rate'}")
        for ax in (left, right):
            ax.set_xlabel(short_path(x))
    return save_figure(fig, path)


def staffing_plots(report, directory: Path) -> list[Path]:
    """Per staffed queue: each formula's required agents (top) and the service level they attain (bottom);
    with the simulation-based requirement, its curve per group too.
    """
    paths = []
    iv = report.intervals
    for queue, part in iv.groupby("queue", sort=False):
        fig, axes = figure(2, height=3, dates=True, sharex=True)
        top, bottom = axes[:, 0]
        for formula, rows in part.groupby("formula", sort=False):
            line, = top.step(rows["interval_start"], rows["agents"], where="post", lw=1.1, label=formula)
            bottom.plot(rows["interval_start"], rows["attained_sl"], lw=1.1, color=line.get_color(), label=formula)
        bottom.axhline(part["target"].iloc[0], color="crimson", ls="--", lw=1, label="target")
        top.set_ylabel("agents required")
        top.set_title(f"{queue}: requirement by formula{' (lagged one handle time)' if report.lag else ''}")
        bottom.set_ylabel("service level attained")
        bottom.set_ylim(-0.02, 1.02)
        bottom.set_title(f"simulated, mean of {report.replications} replications")
        top.legend(loc="upper left")
        bottom.legend(loc="lower left")
        paths.append(save_figure(fig, directory / f"staffing_{queue}.png"))
    if report.simulated is not None:
        fig, axes = figure(1, height=3.5, dates=True)
        ax = axes[0, 0]
        for group, rows in report.simulated.agents.groupby("group", sort=False):
            ax.step(rows["interval_start"], rows["agents"], where="post", lw=1.1, label=group)
        ax.set_ylabel("agents on duty")
        ax.set_title("simulation-based requirement per group")
        ax.legend(loc="upper left")
        paths.append(save_figure(fig, directory / "staffing_requirement.png"))
    return paths


def roster_plots(search, directory: Path) -> list[Path]:
    """Per queue of a roster search, ``roster_<queue>.png``: the requirement found against the agents the
    roster plans on the queue, stacked by group (times its proficiency there), and each interval's
    P(meeting the target) with the mean service level against the target.
    """
    paths = []
    plan = search.allocation()
    for queue, part in search.intervals.groupby("queue", sort=False):
        fig, axes = figure(2, height=3, dates=True, sharex=True)
        cover, level = axes[:, 0]
        mine = plan[plan["queue"] == queue]
        by_group = (mine.assign(planned=mine["planned"] * mine["proficiency"])
                    .pivot_table(index="interval_start", columns="group", values="planned", aggfunc="sum")
                    .reindex(part["interval_start"]).fillna(0.0))
        cover.stackplot(by_group.index, by_group.to_numpy().T, labels=list(by_group.columns), step="post",
                        alpha=0.5)
        cover.step(part["interval_start"], part["need"], where="post", color="black", lw=1,
                   label="requirement found (agents on the floor)")
        cover.set_ylabel("agents")
        cover.set_title(f"{queue}: roster coverage")
        cover.legend(loc="upper left")
        level.step(part["interval_start"], part["p_meets_sl"], where="post", lw=1, label="P(interval meets its SLA)")
        level.step(part["interval_start"], part["service_level"], where="post", lw=1,
                   label="service level (mean over replications)")
        level.axhline(search.base.queues[queue].sla.target, color="red", ls="--", lw=1, label="target")
        level.set_ylim(0, 1.02)
        level.legend(loc="lower left")
        paths.append(save_figure(fig, directory / f"roster_{queue}.png", dpi=100))
    return paths
