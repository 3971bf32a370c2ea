"""Back-test: the calibrated scenario, simulated with the historical staffing, against the history.

Per interval and queue, the history's offered, answered, abandonment rate, ASA and service level (the
simulator's definitions, docs/kpis.md) beside the simulation's mean and p10-p90 band over replications.
Per queue and KPI: mean absolute error, bias (simulated − history), relative MAE, and the share of
intervals whose history falls inside the simulated p10-p90 band (about 80% when the model is right:
the history is one more draw from the same process).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.outputs import write_csv
from sim.staffing.roster import staffed_scenario

KPIS = ("offered", "answered", "abandon_rate", "asa_s", "service_level")


def history_intervals(rows: pd.DataFrame, sc: sim.Scenario) -> pd.DataFrame:
    """The log's KPIs per (interval_start, queue), every interval of ``sc``'s horizon."""
    start = pd.Timestamp(sc.start)
    slot = ((rows["arrival_time"] - start).dt.total_seconds() // sc.interval).astype(int)
    rows = rows.assign(slot=slot)[(slot >= 0) & (slot < sc.n_intervals)]
    wait = (rows["answer_time"] - rows["arrival_time"]).dt.total_seconds()
    threshold = rows["queue"].map({q: spec.sla.answer_within for q, spec in sc.queues.items()})
    rows = rows.assign(answered=rows["answer_time"].notna(), abandoned=rows["abandon_time"].notna(),
                       wait=wait, within=rows["answer_time"].notna() & (wait <= threshold))
    g = rows.groupby(["queue", "slot"])
    table = pd.DataFrame({"offered": g.size(), "answered": g["answered"].sum(), "abandoned": g["abandoned"].sum(),
                          "wait_sum": g["wait"].sum(), "within": g["within"].sum()})
    full = pd.MultiIndex.from_product([list(sc.queues), range(sc.n_intervals)], names=["queue", "slot"])
    table = table.reindex(full, fill_value=0).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["abandon_rate"] = table["abandoned"] / table["offered"]
        table["asa_s"] = table["wait_sum"] / table["answered"]
        table["service_level"] = table["within"] / table["offered"]
    table["interval_start"] = start + pd.to_timedelta(table["slot"] * sc.interval, unit="s")
    return table[["interval_start", "queue", *KPIS]]


def read_staffing(path: str | Path) -> pd.DataFrame:
    """A staffing log: ``interval_start``, ``queue``, ``agents`` (on duty for that queue, a whole number >= 0).

    Raises ``ValueError`` naming the file and the first bad line.
    """
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    missing = {"interval_start", "queue", "agents"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                         f"expected interval_start, queue, agents")
    starts = pd.to_datetime(table["interval_start"], errors="coerce", format="mixed")
    agents = pd.to_numeric(table["agents"], errors="coerce")
    bad = starts.isna() | agents.isna() | (agents < 0) | (agents != agents.round())
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise ValueError(f"{path} line {line}: needs a date-time interval_start and a whole number of agents >= 0, "
                         f"got {table['interval_start'].iloc[line - 2]!r}, {table['agents'].iloc[line - 2]!r}")
    return table.assign(interval_start=starts, agents=agents.astype(int))


def with_staffing(sc: sim.Scenario, staffing: pd.DataFrame) -> sim.Scenario:
    """``sc`` staffed per queue as the staffing log says (one group per queue)."""
    starts = pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, unit="s")
    agents = {q: part.set_index("interval_start")["agents"].reindex(starts, fill_value=0).to_numpy(dtype=int)
              for q, part in staffing.groupby("queue") if q in sc.queues}
    return staffed_scenario(sc, agents, sc.name)


@dataclass
class BackTest:
    """``intervals``: per (interval_start, queue, kpi) the ``history``, the simulated ``mean``, ``p10``,
    ``p90`` and ``error`` (mean − history); ``errors``: per (queue, kpi) ``history_mean``, ``mae``,
    ``bias``, ``relative_mae`` and ``band_coverage`` (share of intervals with history in p10-p90).
    """

    intervals: pd.DataFrame
    errors: pd.DataFrame
    replications: int

    def save(self, directory: str | Path, plots: bool = True) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(self.intervals, out / "backtest_intervals.csv")
        write_csv(self.errors, out / "backtest_errors.csv")
        if plots:
            from calibration.report import backtest_plots
            backtest_plots(self, out)
        return out


def backtest(calibration, replications: int = 20, seed: int | None = None,
             staffing: pd.DataFrame | None = None, workers: int | None = None) -> BackTest:
    """Simulate the calibrated scenario (agents from the log, or ``staffing``) and compare with the log."""
    sc = sim.load_scenario(calibration.scenario)
    if staffing is not None:
        sc = with_staffing(sc, staffing)
    history = history_intervals(calibration.log.rows, sc).melt(
        id_vars=["interval_start", "queue"], value_vars=list(KPIS), var_name="kpi", value_name="history")
    stats = sim.simulate(sc, replications=replications, seed=seed, workers=workers).interval_stats
    both = history.merge(stats[stats["kpi"].isin(KPIS)][["interval_start", "queue", "kpi", "mean", "p10", "p90"]],
                         on=["interval_start", "queue", "kpi"], how="left")
    both["error"] = both["mean"] - both["history"]
    rows = []
    for (queue, kpi), part in both.dropna(subset=["history", "mean"]).groupby(["queue", "kpi"], sort=False):
        history_mean = part["history"].mean()
        mae = part["error"].abs().mean()
        rows.append({"queue": queue, "kpi": kpi, "intervals": len(part), "history_mean": history_mean,
                     "simulated_mean": part["mean"].mean(), "mae": mae, "bias": part["error"].mean(),
                     "relative_mae": mae / history_mean if history_mean else np.nan,
                     "band_coverage": float(np.mean((part["history"] >= part["p10"])
                                                    & (part["history"] <= part["p90"])))})
    return BackTest(both, pd.DataFrame(rows), replications)
