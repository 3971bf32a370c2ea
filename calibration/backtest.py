"""Back-test: the calibrated scenario, simulated with the historical staffing, against the history.

Per interval and queue, the history's KPIs marked ``history`` in ``sim.kpis`` (offered, answered,
abandonment rate, ASA, service level; with a chat message log read as the contacts, the conversation
measures too: messages, first and average response), computed by the simulator's own code from the log's
contacts, beside the simulation's mean and p10-p90 band over replications. Such a log shows a chat's first
reply, not when it got its slot: ASA and handle time are not compared for its conversation queues.
Per queue and KPI: mean absolute error, bias (simulated − history), relative MAE, and the share of
intervals whose history falls inside the simulated p10-p90 band (about 80% when the model is right:
the history is one more draw from the same process).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

import sim
from calibration.conversations import rounds_of
from sim import kpis, metrics
from sim.contacts import ABANDONED, ANSWERED, WAITING, Contacts
from sim.outputs import write_csv
from sim.records import Messages
from sim.staffing.roster import staffed_scenario

KPIS = tuple(kpis.history())


def history_intervals(rows: pd.DataFrame, sc: sim.Scenario, messages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The log's KPIs per (interval_start, queue), every interval of ``sc``'s horizon, computed by the
    simulator's own definitions (``sim.metrics.queue_kpis``) from the log's contacts: a contact answered
    or abandoned after the horizon is still waiting at it, as in a simulation. ``messages``: the message
    log the contacts were read from (their ``conversation`` column), for the conversation measures.
    """
    start = pd.Timestamp(sc.start)
    arrival = (rows["arrival_time"] - start).dt.total_seconds().to_numpy()
    rows = rows[(arrival >= 0) & (arrival < sc.horizon) & rows["queue"].isin(list(sc.queues)).to_numpy()]
    arrival = (rows["arrival_time"] - start).dt.total_seconds().to_numpy()
    answer = (rows["answer_time"] - start).dt.total_seconds().to_numpy()
    leave = (rows["abandon_time"] - start).dt.total_seconds().to_numpy()
    answered, abandoned = answer < sc.horizon, leave < sc.horizon            # NaN compares False
    outcome = np.where(answered, ANSWERED, np.where(abandoned, ABANDONED, WAITING))
    wait = np.where(answered, answer, np.where(abandoned, leave, sc.horizon)) - arrival
    end = np.where(answered, answer + rows["handle_s"].to_numpy(dtype=float), np.nan)
    queue = rows["queue"].map(list(sc.queues).index).to_numpy()
    contacts = Contacts.of(len(rows), time=arrival, queue=queue, outcome=outcome, wait=wait, end=end)
    nq, n = len(sc.queues), sc.n_intervals
    slot = np.minimum((arrival // sc.interval).astype(np.int64), n - 1)
    said = _messages(rows, messages, start, sc.horizon) if messages is not None else None
    table = metrics.queue_kpis(sc, contacts, metrics.final_end(contacts), slot * nq + queue, n * nq,
                               metrics.conversation_values(sc, contacts, said))
    return pd.DataFrame({"interval_start": np.repeat(metrics.interval_starts(sc), nq),
                         "queue": np.tile(list(sc.queues), n), **{kpi: table[kpi] for kpi in KPIS}})


def _messages(rows: pd.DataFrame, messages: pd.DataFrame, start: pd.Timestamp, horizon: float) -> Messages:
    """The rounds of the message log as the engine's ``Messages`` of the contacts ``rows`` (by position):
    sent and replied in s from ``start`` (a reply after the ``horizon``: none yet). Silent abandonment is
    not in a log.
    """
    rounds, _ = rounds_of(messages)
    position = pd.Series(np.arange(len(rows)), index=rows["conversation"].to_numpy())
    rounds = rounds[rounds["conversation"].isin(position.index)]
    sent = (rounds["sent"] - start).dt.total_seconds().to_numpy()
    replied = (rounds["replied"] - start).dt.total_seconds().to_numpy()
    keep = sent < horizon
    return Messages(position.reindex(rounds["conversation"]).to_numpy()[keep], sent[keep],
                    np.where(replied < horizon, replied, np.nan)[keep], np.zeros(int(keep.sum()), dtype=bool))


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
    simulated: ClassVar[str] = "mean"           # the column of ``intervals`` holding the simulated mean

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
             staffing: pd.DataFrame | None = None, workers: int | None = None, dask=None,
             max_memory: float | None = None) -> BackTest:
    """Simulate the calibrated scenario (agents from the log, or ``staffing``) and compare with the log;
    ``seed``, ``workers``, ``dask`` and ``max_memory`` are as in ``sim.simulate``.
    """
    sc = sim.load_scenario(calibration.scenario)
    if staffing is not None:
        sc = with_staffing(sc, staffing)
    derived = calibration.conversations and not calibration.separate_messages
    messages = calibration.messages.rows if derived else None
    history = history_intervals(calibration.log.rows, sc, messages).melt(
        id_vars=["interval_start", "queue"], value_vars=list(KPIS), var_name="kpi", value_name="history")
    stats = sim.simulate(sc, replications=replications, seed=seed, workers=workers, dask=dask,
                         max_memory=max_memory).interval_stats
    both = history.merge(stats[stats["kpi"].isin(KPIS)][["interval_start", "queue", "kpi", "mean", "p10", "p90"]],
                         on=["interval_start", "queue", "kpi"], how="left")
    if derived:                                # the log's "answer" is the first reply: not a slot's wait
        unlike = both["queue"].isin(list(calibration.conversations)) & both["kpi"].isin(["asa_s", "handle_s"])
        both = both[~unlike].reset_index(drop=True)
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
