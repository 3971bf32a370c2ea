"""Results of a run: tables, a summary with confidence intervals, and a self-explaining folder."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim import kpis
from sim.costs import replication_costs
from sim.outputs import write_csv
from sim.scenario import Scenario, dump_scenario
from sim.statistics import cell_stats, ci95_halfwidth, long_table
from sim.store import TableStore
from sim.version import VERSION
from sim.workbook import write_workbook

_ADDITIVE_GROUP_KPIS = tuple(name for name, k in kpis.of_table("groups").items() if k.aggregate == "count")


def _meets_sl(block: np.ndarray, kpis: list[str]) -> np.ndarray:
    """1 where an interval reached its service-level target or had nothing to judge it by (no traffic, or
    every contact still open at the horizon within its threshold), else 0.
    """
    level, target, offered = (block[..., kpis.index(k)] for k in ("service_level", "sl_target", "offered"))
    return ((level >= target) | (offered == 0) | np.isnan(level)).astype(float)


@dataclass
class Results:
    """Tables of a run (see docs/kpis.md for every column).

    ``intervals``: one row per (replication, interval_start, queue); ``groups``: one row per
    (replication, interval_start, group); ``totals``: one row per (replication, queue) over the horizon;
    ``contacts`` and ``agents``: per-contact records and agent spans when asked for.
    The tables of all replications stay on disk (``interval_store``, ``group_store``, ``totals_store``)
    and the statistics read them a block at a time, so memory does not grow with replications;
    ``intervals``, ``groups`` and ``totals`` load them whole when asked for (``totals`` is small).
    """

    scenario: Scenario
    seed: int
    replications: int
    runtime_s: float
    events: int
    interval_store: TableStore
    group_store: TableStore
    totals_store: TableStore
    contacts: pd.DataFrame | None = None
    agents: pd.DataFrame | None = None
    classes: pd.DataFrame | None = None     # per (replication, queue, customer class), when a queue has classes
    workdir: Path | None = None             # the stores' temporary folder, removed with the results
    command: list[str] | None = None        # the command line that ran it (default: this process's)

    @cached_property
    def intervals(self) -> pd.DataFrame:
        return self.interval_store.frame()

    @cached_property
    def groups(self) -> pd.DataFrame:
        return self.group_store.frame()

    @cached_property
    def totals(self) -> pd.DataFrame:
        return self.totals_store.frame()

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per queue over the horizon: means across replications with 95% CI half-widths."""
        by_queue = self.totals.groupby("queue", sort=False)
        table = by_queue[kpis.summary_counts()].mean()
        for kpi in kpis.summary_rates():
            table[kpi] = by_queue[kpi].mean()
            table[f"{kpi}_ci95"] = by_queue[kpi].agg(ci95_halfwidth)
        table["max_wait_s"] = by_queue["max_wait_s"].max()
        table["sl_target"] = [self.scenario.queues[q].sla.target for q in table.index]
        sums = self._sla_sums
        with np.errstate(invalid="ignore"):
            share = sums["intervals_met"] / sums["intervals_with_traffic"]
        table["intervals_meeting_sl"] = [share[list(self.scenario.queues).index(q)] for q in table.index]
        horizon = self.sla_probability[self.sla_probability["period"] == "horizon"].set_index("queue")
        table["p_meets_sl"] = horizon["p_meets_sl"].reindex(table.index)
        table.insert(0, "channel", [self.scenario.queues[q].channel for q in table.index])
        table.insert(1, "replications", self.replications)
        return table.reset_index()

    @cached_property
    def class_summary(self) -> pd.DataFrame | None:
        """Per (queue, customer class): mean offered and answered, and the horizon rates with 95% CIs
        (None without customer classes).
        """
        if self.classes is None:
            return None
        by_class = self.classes.groupby(["queue", "customer_class"], sort=False)
        table = by_class[["offered", "answered", "abandoned"]].mean()
        for kpi in ("service_level", "abandon_rate", "asa_s", "mean_wait_s"):
            table[kpi] = by_class[kpi].mean()
            table[f"{kpi}_ci95"] = by_class[kpi].agg(ci95_halfwidth)
        return table.reset_index()

    def _cell_table(self, store: TableStore, kpis: list[str], with_meets_sl: bool = False) -> pd.DataFrame:
        """Per store row (interval and queue or group) and KPI: ``cell_stats`` across replications."""
        names = [*kpis, "meets_sl"] if with_meets_sl else kpis
        parts = []
        for rows, block in store.blocks(kpis):
            if with_meets_sl:
                block = np.concatenate([block, _meets_sl(block, kpis)[..., None]], axis=2)
            stats = cell_stats(block)                   # rows x kpi
            parts.append(long_table(store.keys.iloc[rows], names,
                                    {s: stats[s] for s in ("mean", "sd", "ci95", "p10", "p50", "p90")}))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def interval_stats(self) -> pd.DataFrame:
        """Per (interval_start, queue, kpi): mean, sd, 95% CI half-width, p10, p50, p90 across replications.

        The KPI ``meets_sl`` is 1 when the interval reached its service-level target (or had no traffic),
        so its ``mean`` is the probability that the interval meets its SLA.
        """
        store = self.interval_store
        table = self._cell_table(store, [c for c in store.columns if c != "sl_target"] + ["sl_target"], True)
        return table[table["kpi"] != "sl_target"].reset_index(drop=True)

    @cached_property
    def group_stats(self) -> pd.DataFrame:
        """Per (interval_start, group, kpi): mean, sd, 95% CI half-width, p10, p50, p90 across replications."""
        return self._cell_table(self.group_store, self.group_store.columns)

    @cached_property
    def group_totals(self) -> pd.DataFrame:
        """Per group, the mean over replications of each additive column summed over the horizon
        (agent-seconds staffed, busy, in contact, on overtime; contacts answered).
        """
        stats = self.group_stats[self.group_stats["kpi"].isin(_ADDITIVE_GROUP_KPIS)]
        return stats.pivot_table(index="group", columns="kpi", values="mean", aggfunc="sum", sort=False)[
            list(_ADDITIVE_GROUP_KPIS)].rename_axis(columns=None)

    @cached_property
    def _sla_sums(self) -> dict[str, np.ndarray]:
        """Served within the threshold and judged (``judged``: offered less those still open at the horizon
        within it) per (replication, queue, day), and intervals meeting SL per queue.

        ``within``/``judged``/``offered`` have shape (replications, queues, days); ``intervals_with_traffic``
        and ``intervals_met`` count (replication, interval) pairs with traffic, per queue.
        """
        store, queues = self.interval_store, list(self.scenario.queues)
        queue_of = store.keys["queue"].map(queues.index).to_numpy()
        day_of = ((store.keys["interval_start"] - pd.Timestamp(self.scenario.day(0))).dt.days).to_numpy()
        shape = (self.replications, len(queues), self.scenario.n_days)
        sums = {"within": np.zeros(shape), "offered": np.zeros(shape), "judged": np.zeros(shape),
                "intervals_with_traffic": np.zeros(len(queues)), "intervals_met": np.zeros(len(queues))}
        kpis = ["answered_within_sl", "offered", "service_level", "sl_target", "judged"]
        for rows, block in store.blocks(kpis):
            met, traffic = _meets_sl(block, kpis), (block[..., 1] > 0) & ~np.isnan(block[..., 2])
            for i, (q, d) in enumerate(zip(queue_of[rows], day_of[rows])):
                sums["within"][:, q, d] += block[:, i, 0]
                sums["offered"][:, q, d] += block[:, i, 1]
                sums["judged"][:, q, d] += block[:, i, 4]
                sums["intervals_with_traffic"][q] += traffic[:, i].sum()
                sums["intervals_met"][q] += (met[:, i] * traffic[:, i]).sum()
        return sums

    @cached_property
    def sla_probability(self) -> pd.DataFrame:
        """Per queue and day (and ``horizon``): mean service level and the share of replications meeting it.

        A period's service level is defined as every interval's (docs/kpis.md): served within the threshold
        over the contacts judged (those still open at the horizon within their threshold left out), so the
        horizon's is the summary's. ``open_at_end``: the mean of those left out.
        """
        sums, rows = self._sla_sums, []
        periods = [(str(self.scenario.day(d)), slice(d, d + 1)) for d in range(self.scenario.n_days)]
        for period, days in [*periods, ("horizon", slice(None))]:
            within, judged = sums["within"][:, :, days].sum(axis=2), sums["judged"][:, :, days].sum(axis=2)
            pending = sums["offered"][:, :, days].sum(axis=2) - judged
            with np.errstate(invalid="ignore", divide="ignore"):
                level = within / judged                              # replication x queue
            for q, (name, queue) in enumerate(self.scenario.queues.items()):
                met = (level[:, q] >= queue.sla.target) | (judged[:, q] == 0)
                rows.append({"queue": name, "period": period, "service_level": np.nanmean(level[:, q])
                             if np.any(judged[:, q] > 0) else np.nan,
                             "sl_target": queue.sla.target, "p_meets_sl": met.mean(),
                             "open_at_end": pending[:, q].mean()})
        return pd.DataFrame(rows)

    def worst_intervals(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` intervals least likely to meet their service-level target, with contacts to judge:
        interval_start, queue, p_meets_sl (share of replications meeting it), mean service level, target and
        mean offered; the lowest probability first (ties: the lowest service level, then the most contacts
        offered, so the busiest of many failing intervals come first).
        """
        stats = self.interval_stats
        kpis = ["meets_sl", "service_level", "offered"]
        wide = stats[stats["kpi"].isin(kpis)].pivot_table(
            index=["interval_start", "queue"], columns="kpi", values="mean", sort=False, dropna=False
        ).reindex(columns=kpis).reset_index()
        wide = wide[(wide["offered"] > 0) & wide["service_level"].notna()].rename(columns={"meets_sl": "p_meets_sl"})
        wide["sl_target"] = wide["queue"].map({q: spec.sla.target for q, spec in self.scenario.queues.items()})
        wide = wide.assign(busy=-wide["offered"]).sort_values(["p_meets_sl", "service_level", "busy"],
                                                              kind="stable").head(n)
        return wide[["interval_start", "queue", "p_meets_sl", "service_level", "sl_target", "offered"]].reset_index(
            drop=True).rename_axis(columns=None)

    @cached_property
    def replication_costs(self) -> pd.DataFrame | None:
        """Per replication and group with a ``cost``: what it bills (``sim.costs.replication_costs``); None
        without costs.
        """
        if all(g.cost is None for g in self.scenario.groups.values()):
            return None
        answered = self.groups.groupby(["replication", "group"], as_index=False)["answered"].sum()
        return replication_costs(self.scenario, answered, self.totals[["replication", "queue", "service_level"]])

    @cached_property
    def costs(self) -> pd.DataFrame | None:
        """Per group with a ``cost``: its roster's paid hours and their cost, contacts answered, a vendor's
        per-contact price, minimum commitment and SLA penalty, the cost in all and per contact answered
        (means over replications); None without costs.
        """
        per = self.replication_costs
        if per is None:
            return None
        table = per.drop(columns="replication").groupby("group", sort=False).mean().reset_index()
        table["cost_per_answered"] = (table["cost"] / table["answered"]).where(table["answered"] > 0)
        return table

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's small tables by name, as ``save`` writes them and a workbook shows them."""
        tables = {"summary": self.summary, "days": self.sla_probability, "worst_intervals": self.worst_intervals(),
                  "group_totals": self.group_totals.reset_index()}
        if self.costs is not None:
            tables["costs"] = self.costs
        if self.class_summary is not None:
            tables["class_summary"] = self.class_summary
        return tables

    def save(self, directory: str | Path, plots: bool = True, excel: bool = False) -> Path:
        """Write CSV tables, the resolved scenario, a manifest and (by default) PNG plots to ``directory``;
        with ``excel``, also ``results.xlsx`` (the small tables and per-interval means, one sheet each).
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.interval_store.to_csv(out / "intervals.csv")
        self.group_store.to_csv(out / "groups.csv")
        write_csv(self.summary, out / "summary.csv")
        write_csv(self.interval_stats, out / "interval_stats.csv")
        write_csv(self.group_stats, out / "group_stats.csv")
        write_csv(self.sla_probability, out / "sla_probability.csv")
        write_csv(self.worst_intervals(), out / "worst_intervals.csv")
        write_csv(self.group_totals.reset_index(), out / "group_totals.csv")
        if self.class_summary is not None:
            write_csv(self.class_summary, out / "class_summary.csv")
        if self.costs is not None:
            write_csv(self.costs, out / "costs.csv")
        for name in ("contacts", "agents"):
            table = getattr(self, name)
            if table is not None:
                write_csv(table, out / f"{name}.csv")
        with open(out / "scenario.yaml", "w", encoding="utf-8") as f:
            yaml.safe_dump(dump_scenario(self.scenario), f, allow_unicode=True, sort_keys=False)
        (out / "manifest.json").write_text(json.dumps(self.manifest(), indent=2, ensure_ascii=False),
                                           encoding="utf-8")
        if excel:
            means = {"interval_means": _means(self.interval_stats, "queue"),
                     "group_means": _means(self.group_stats, "group")}
            write_workbook(out / "results.xlsx", {**self.tables(), **means}, in_chinese=self.scenario.chinese)
        if plots:
            from sim import report
            report.save_plots(self, out)
        return out

    def manifest(self) -> dict:
        """What produced these results: the scenario's file and overrides, seed, replications, versions, git
        commit, the command line and runtime.
        """
        return {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario.source,
            "scenario_sha256": _sha256(self.scenario.source),
            "overrides": self.scenario.overrides,
            "seed": self.seed,
            "replications": self.replications,
            "version": VERSION,
            "git_commit": _git_commit(),
            "command": self.command or sys.argv,
            "runtime_s": round(self.runtime_s, 3),
            "simpy_events": self.events,
            "python": platform.python_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def _means(stats: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per (interval_start, queue or group): the mean over replications of each KPI, a column each."""
    return stats.pivot_table(index=["interval_start", by], columns="kpi", values="mean", sort=False).reset_index(
        ).rename_axis(columns=None)


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")
