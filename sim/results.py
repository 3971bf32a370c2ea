"""Results of a run: tables, a summary with confidence intervals, and a self-explaining folder."""

from __future__ import annotations

import json
import platform
import subprocess
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim.scenario import Scenario, dump_scenario

_SUMMARY_KPIS = ("service_level", "abandon_rate", "asa_s", "mean_wait_s", "resolution_mean_s", "resolution_p90_s",
                 "escalation_rate", "first_contact_resolution")


def t_halfwidth(standard_error, n):
    """95% Student-t half-width for ``n`` values with the given standard error (NaN where n < 2).

    Works on scalars and arrays alike.
    """
    n = np.asarray(n)
    return np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * standard_error, np.nan)


def ci95_halfwidth(values: pd.Series) -> float:
    """Half-width of the 95% Student-t confidence interval of the mean (NaN for fewer than 2 values)."""
    values = values.dropna()
    return float(t_halfwidth(values.std(ddof=1) / np.sqrt(max(len(values), 1)), len(values)))


@dataclass
class Results:
    """Tables of a run (see docs/kpis.md for every column).

    ``intervals``: one row per (replication, interval_start, queue); ``groups``: one row per
    (replication, interval_start, group); ``totals``: one row per (replication, queue) over the horizon;
    ``contacts`` and ``agents``: per-contact records and agent spans when asked for.
    """

    scenario: Scenario
    seed: int
    replications: int
    runtime_s: float
    events: int
    intervals: pd.DataFrame
    groups: pd.DataFrame
    totals: pd.DataFrame
    contacts: pd.DataFrame | None = None
    agents: pd.DataFrame | None = None

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per queue over the horizon: means across replications with 95% CI half-widths."""
        by_queue = self.totals.groupby("queue", sort=False)
        table = by_queue[["offered", "first_attempts", "retrials", "answered", "abandoned", "balked",
                          "deflected", "resolved", "escalated", "auto_approved", "auto_approved_value"]].mean()
        for kpi in _SUMMARY_KPIS:
            table[kpi] = by_queue[kpi].mean()
            table[f"{kpi}_ci95"] = by_queue[kpi].agg(ci95_halfwidth)
        table["max_wait_s"] = by_queue["max_wait_s"].max()
        table["sl_target"] = [self.scenario.queues[q].sla.target for q in table.index]
        with_traffic = self.intervals[self.intervals["offered"] > 0]
        met = with_traffic["service_level"] >= with_traffic["sl_target"]
        table["intervals_meeting_sl"] = met.groupby(with_traffic["queue"]).mean().reindex(table.index)
        horizon = self.sla_probability[self.sla_probability["period"] == "horizon"].set_index("queue")
        table["p_meets_sl"] = horizon["p_meets_sl"].reindex(table.index)
        table.insert(0, "channel", [self.scenario.queues[q].channel for q in table.index])
        table.insert(1, "replications", self.replications)
        return table.reset_index()

    @cached_property
    def interval_stats(self) -> pd.DataFrame:
        """Per (interval_start, queue, kpi): mean, sd, 95% CI half-width, p10, p50, p90 across replications.

        The KPI ``meets_sl`` is 1 when the interval reached its service-level target (or had no traffic),
        so its ``mean`` is the probability that the interval meets its SLA.
        """
        iv = self.intervals
        kpis = [c for c in iv.columns if c not in ("replication", "interval_start", "queue", "channel", "sl_target")]
        meets = ((iv["service_level"] >= iv["sl_target"]) | (iv["offered"] == 0)).astype(float)
        values = np.column_stack([iv[kpis].to_numpy(dtype=float), meets.to_numpy()])
        cells = len(iv) // self.replications
        cube = values.reshape(self.replications, cells, len(kpis) + 1)      # replication x (interval, queue) x kpi
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)                 # all-NaN cells stay NaN
            n = np.sum(~np.isnan(cube), axis=0)
            mean, sd = np.nanmean(cube, axis=0), np.nanstd(cube, axis=0, ddof=1)
            ci95 = t_halfwidth(sd / np.sqrt(np.maximum(n, 1)), n)
            p10, p50, p90 = np.nanpercentile(cube, [10, 50, 90], axis=0)
        first = iv.iloc[:cells]
        names = [*kpis, "meets_sl"]
        return pd.DataFrame({
            "interval_start": np.repeat(first["interval_start"].to_numpy(), len(names)),
            "queue": np.repeat(first["queue"].to_numpy(), len(names)),
            "kpi": np.tile(names, cells),
            "mean": mean.reshape(-1), "sd": sd.reshape(-1), "ci95": ci95.reshape(-1),
            "p10": p10.reshape(-1), "p50": p50.reshape(-1), "p90": p90.reshape(-1),
        })

    @cached_property
    def sla_probability(self) -> pd.DataFrame:
        """Per queue and day (and ``horizon``): mean service level and the share of replications meeting it.

        A period's service level is its answered (refunds: resolved) within the threshold over offered.
        """
        iv = self.intervals.assign(period=self.intervals["interval_start"].dt.date.astype(str))
        rows = []
        for period, part in [*iv.groupby("period", sort=True), ("horizon", iv)]:
            sums = part.groupby(["queue", "replication"], sort=False)[["answered_within_sl", "offered"]].sum()
            level = sums["answered_within_sl"] / sums["offered"]
            target = level.index.get_level_values("queue").map(lambda q: self.scenario.queues[q].sla.target)
            met = (level >= np.asarray(target)) | (sums["offered"] == 0)
            by_queue = pd.DataFrame({"level": level, "met": met}).groupby(level="queue", sort=False)
            for queue, grp in by_queue:
                rows.append({"queue": queue, "period": period, "service_level": grp["level"].mean(),
                             "sl_target": self.scenario.queues[queue].sla.target,
                             "p_meets_sl": grp["met"].mean()})
        return pd.DataFrame(rows)

    def save(self, directory: str | Path, plots: bool = True) -> Path:
        """Write CSV tables, the resolved scenario, a manifest and (by default) PNG plots to ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.intervals.to_csv(out / "intervals.csv", index=False)
        self.groups.to_csv(out / "groups.csv", index=False)
        self.summary.to_csv(out / "summary.csv", index=False)
        self.interval_stats.to_csv(out / "interval_stats.csv", index=False)
        self.sla_probability.to_csv(out / "sla_probability.csv", index=False)
        for name in ("contacts", "agents"):
            table = getattr(self, name)
            if table is not None:
                table.to_csv(out / f"{name}.csv", index=False)
        with open(out / "scenario.yaml", "w", encoding="utf-8") as f:
            yaml.safe_dump(dump_scenario(self.scenario), f, allow_unicode=True, sort_keys=False)
        (out / "manifest.json").write_text(json.dumps(self.manifest(), indent=2), encoding="utf-8")
        if plots:
            from sim import report
            report.save_plots(self, out)
        return out

    def manifest(self) -> dict:
        """What produced these results: seed, replications, versions, git commit and runtime."""
        from sim import __version__
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "version": __version__,
            "git_commit": _git_commit(),
            "runtime_s": round(self.runtime_s, 3),
            "simpy_events": self.events,
            "python": platform.python_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }


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
