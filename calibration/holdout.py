"""Out-of-sample back-test: a calibrated scenario projected onto a history's dates, staffed as the history
was, simulated, and judged interval by interval against the history and two baselines.

Models compared, per queue and KPI (``offered, answered, abandon_rate, asa_s, service_level, handle_s``):

- ``simulation``: the scenario's mean over replications, with its p10-p90 band;
- ``last_week``: the history's own value in the same interval a week earlier (intervals without one, on
  a day before the log starts or without a record, are left out of its ``n``);
- ``erlang_a``: stationary Erlang A per interval with the interval's arrival rate (the scenario's, or the
  history's with ``volumes="history"``), its agents on duty, the scenario's mean handle time and mean
  patience; its ``asa_s`` is the mean wait of all arrivals, and its ``handle_s`` the scenario's mean.

Two modes: ``volumes="forecast"`` (the scenario's own volumes: the whole forecast is judged) and
``volumes="history"`` (each interval's expected arrivals are the history's first attempts, so the
service model is judged apart from the volume forecast). Intervals with no agent on duty are left out
unless ``all_intervals``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

import sim
from calibration.backtest import KPIS, BackTest, history_intervals, with_staffing
from calibration.duty import agents_on_duty
from calibration.logs import Log
from calibration.retrials import RetrialFit, first_attempts
from sim.channels import CHANNELS
from sim.files import read_yaml
from sim.staffing.formulas import ErlangA
from sim.staffing.roster import requirement_shifts

MODELS = ("simulation", "last_week", "erlang_a")


@dataclass
class HoldOut(BackTest):
    """``intervals``: per (interval_start, queue, kpi) the ``history``, each model's forecast (columns named
    by model), the simulation's ``p10``/``p90`` and ``agents`` on duty; ``errors``: per (queue, kpi, model)
    ``n, history_mean, forecast_mean, mae, bias, in_band``. Saved as ``BackTest`` is.
    """

    simulated: ClassVar[str] = "simulation"


def project(scenario: str | Path | dict, log: Log, volumes: str = "forecast") -> sim.Scenario:
    """The scenario on the history's days (whole days from its first to its last arrival), its groups
    replaced by the agents the history shows on duty, by skill set; with ``volumes="history"`` each
    queue's arrivals replay the history's first attempts (``arrivals.replay``; ``forecast``: their count
    per interval, for the Erlang A baseline).
    """
    data = dict(read_yaml(Path(scenario))) if not isinstance(scenario, dict) else dict(scenario)
    name = data.get("name", "the scenario") if isinstance(scenario, dict) else scenario
    label = f"{name} on the days of {log.path}"
    rows = log.rows[log.rows["queue"].isin(list(data["queues"]))]
    if rows.empty:
        raise ValueError(f"{log.path}: no contact of the scenario's queues ({', '.join(data['queues'])})")
    start = rows["arrival_time"].min().normalize()
    days = int((rows["arrival_time"].max().normalize() - start).days) + 1
    concurrency = {q: max([g.get("concurrency", 1) for g in data["groups"].values() if q in g["skills"]],
                          default=1) for q in data["queues"]}
    not_ready = {q: next((g["not_ready"] for g in data["groups"].values() if q in g["skills"] and g.get("not_ready")),
                         None) for q in data["queues"]}         # the agents' availability stays the scenario's
    data.update(start=start.isoformat(), horizon=f"{days}d", surges=[],
                groups={"history": {"skills": list(data["queues"]), "headcount": 0}})     # replaced below
    base = sim.load_scenario(data, label=label)
    if volumes == "history":
        queues = {}
        for name, queue in data["queues"].items():
            mine = rows[rows["queue"] == name]
            retrial = base.queues[name].retrial
            weights = (first_attempts(mine, RetrialFit(retrial.probability, retrial.delay.mean, 0))
                       if retrial is not None else np.ones(len(mine)))
            seconds = (mine["arrival_time"] - start).dt.total_seconds().to_numpy()
            slot = (seconds // base.interval).astype(int)
            counts = np.bincount(slot, weights, minlength=base.n_intervals)[:base.n_intervals]
            arrivals = {**queue.get("arrivals", {}), "forecast": np.round(counts, 3).tolist(), "day_to_day_cv": 0,
                        "replay": _kept(seconds, weights).tolist()}
            queues[name] = {**queue, "arrivals": arrivals} if "arrivals" in queue else queue
        data["queues"] = queues
    groups = {}
    for k, (skills, counts) in enumerate(agents_on_duty(rows, start, base.n_intervals, base.interval).items()):
        shifts = requirement_shifts(base, counts)
        chats = [concurrency[q] for q in skills if not CHANNELS[base.queues[q].channel].exclusive]
        groups[f"history_{k + 1}"] = {"skills": list(skills), "concurrency": max(chats, default=1),
                                      **({"shifts": shifts} if shifts else {"headcount": 0})}
        if not_ready[skills[0]] is not None:
            groups[f"history_{k + 1}"]["not_ready"] = not_ready[skills[0]]
    for q in base.queues:                            # a queue nobody answered still needs a group
        if not any(q in g["skills"] for g in groups.values()):
            groups[f"history_{q}"] = {"skills": [q], "headcount": 0}
    data["groups"] = groups
    return sim.load_scenario(data, label=label)


def _kept(seconds: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The arrival times (s) a replay keeps of contacts counting ``weights`` each as first attempts
    (``calibration.retrials.first_attempts``): in time order, a contact is kept where the running total of the
    weights passes a whole number, so that a weight of 1 is always kept, 0 never, and 0.9 nine times in ten.
    """
    order = np.argsort(seconds, kind="stable")
    total = np.cumsum(weights[order]) + 0.5
    kept = np.floor(total) > np.floor(np.concatenate([[0.5], total[:-1]]))
    return seconds[order][kept]


def holdout(scenario: str | Path | dict, log: Log, replications: int = 20, seed: int | None = None,
            staffing: pd.DataFrame | None = None, volumes: str = "forecast", all_intervals: bool = False,
            since: pd.Timestamp | None = None, workers: int | None = None, dask=None) -> HoldOut:
    """Back-test ``scenario`` out of sample on the history ``log`` (see the module's docstring): the days
    from ``since`` (default: all of the log's) are judged; earlier days feed only the ``last_week`` baseline.
    """
    judged = log if since is None else Log(log.path, log.rows[log.rows["arrival_time"] >= since], log.bad, log.notes)
    if since is not None and judged.rows.empty and not log.rows.empty:
        raise ValueError(f"--from {since.date()}: the history ends on {log.rows['arrival_time'].max().date()}; "
                         f"nothing is left to judge")
    sc = project(scenario, judged, volumes)
    if staffing is not None:
        sc = with_staffing(sc, staffing)
    history = history_intervals(judged.rows, sc)
    before = _earlier_weeks(log.rows, sc)
    stats = sim.simulate(sc, replications=replications, seed=seed, workers=workers, dask=dask).interval_stats
    stats = stats[stats["kpi"].isin(KPIS)].pivot_table(index=["interval_start", "queue", "kpi"],
                                                       values=["mean", "p10", "p90"]).reset_index()
    long = history.melt(id_vars=["interval_start", "queue"], value_vars=list(KPIS), var_name="kpi",
                        value_name="history")
    both = long.merge(stats.rename(columns={"mean": "simulation"}), on=["interval_start", "queue", "kpi"],
                      how="left")
    known = long if before is None else pd.concat([before, long])
    both = both.merge(_last_week(known), on=["interval_start", "queue", "kpi"], how="left")
    both = both.merge(_erlang_a(sc), on=["interval_start", "queue", "kpi"], how="left")
    agents = on_duty(sc)
    both = both.merge(agents, on=["interval_start", "queue"], how="left")
    if not all_intervals:
        both = both[both["agents"] > 0]
    errors = _errors(both)
    order = {q: k for k, q in enumerate(sc.queues)}
    errors = errors.sort_values(["queue", "kpi"], key=lambda c: c.map(order) if c.name == "queue"
                                else c.map(KPIS.index), kind="stable").reset_index(drop=True)
    return HoldOut(both.reset_index(drop=True), errors, replications)


def _earlier_weeks(rows: pd.DataFrame, sc: sim.Scenario) -> pd.DataFrame | None:
    """The history's KPIs in the week before the judged days (for ``last_week``), in long form; only the
    days the history covers (a day before the log starts, or an outage day without a record, is unknown,
    not a day without contacts).
    """
    week = pd.Timedelta(days=7)
    start = pd.Timestamp(sc.start) - week
    earlier = rows[(rows["arrival_time"] >= start) & (rows["arrival_time"] < pd.Timestamp(sc.start))]
    if earlier.empty:
        return None
    shifted = sc.model_copy(update={"start": sc.start - week.to_pytimedelta(), "horizon": 7 * 86400.0})
    long = history_intervals(earlier, shifted).melt(id_vars=["interval_start", "queue"], value_vars=list(KPIS),
                                                    var_name="kpi", value_name="history")
    return long[long["interval_start"].dt.normalize().isin(set(earlier["arrival_time"].dt.normalize()))]


def _last_week(long: pd.DataFrame) -> pd.DataFrame:
    earlier = long.assign(interval_start=long["interval_start"] + pd.Timedelta(days=7))
    return earlier.rename(columns={"history": "last_week"})


def on_duty(sc: sim.Scenario) -> pd.DataFrame:
    """Agents on duty per interval and queue (of the groups serving it), from the roster."""
    starts = pd.date_range(sc.start, periods=sc.n_intervals, freq=pd.Timedelta(seconds=sc.interval))
    scheduled = sc.scheduled_agents()
    on = {q: sum((scheduled[g] for g, group in sc.groups.items() if q in group.skills), np.zeros(sc.n_intervals))
          for q in sc.queues}
    return pd.concat([pd.DataFrame({"interval_start": starts, "queue": q, "agents": n}) for q, n in on.items()])


def _erlang_a(sc: sim.Scenario) -> pd.DataFrame:
    """Stationary Erlang A per interval: offered, answered, abandon_rate, asa_s, service_level, handle_s."""
    from sim.rates import rate_curve

    agents = on_duty(sc)
    rows = []
    for q, spec in sc.queues.items():
        if spec.arrivals is None or not CHANNELS[spec.channel].erlang:
            continue
        curve = rate_curve(sc, q)
        offered = np.diff(np.interp(np.arange(sc.n_intervals + 1) * sc.interval, curve.edges,
                                    np.concatenate([[0.0], np.cumsum(curve.rates * np.diff(curve.edges))])))
        staff = agents[agents["queue"] == q]
        patience = spec.patience.mean if spec.patience is not None else 1e9
        for (start, n), volume in zip(staff[["interval_start", "agents"]].itertuples(index=False), offered):
            c = int(n)
            if volume <= 0 or c <= 0:
                continue
            model = ErlangA(rate=volume / sc.interval, aht=spec.handle_time.mean, agents=c, patience=patience)
            abandon = model.prob_abandon
            values = {"offered": volume, "answered": volume * (1 - abandon), "abandon_rate": abandon,
                      "asa_s": model.mean_wait, "service_level": model.service_level(spec.sla.answer_within),
                      "handle_s": spec.handle_time.mean}
            rows.extend({"interval_start": start, "queue": q, "kpi": k, "erlang_a": v} for k, v in values.items())
    return pd.DataFrame(rows, columns=["interval_start", "queue", "kpi", "erlang_a"])


def _errors(both: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (queue, kpi), part in both.groupby(["queue", "kpi"], sort=False):
        for model in MODELS:
            pair = part.dropna(subset=["history", model])
            if pair.empty:
                continue
            error = pair[model] - pair["history"]
            in_band = (float(np.mean((pair["history"] >= pair["p10"]) & (pair["history"] <= pair["p90"])))
                       if model == "simulation" else np.nan)
            rows.append({"queue": queue, "kpi": kpi, "model": model, "n": len(pair),
                         "history_mean": pair["history"].mean(), "forecast_mean": pair[model].mean(),
                         "mae": error.abs().mean(), "bias": error.mean(), "in_band": in_band})
    return pd.DataFrame(rows, columns=["queue", "kpi", "model", "n", "history_mean", "forecast_mean", "mae", "bias",
                                       "in_band"])
