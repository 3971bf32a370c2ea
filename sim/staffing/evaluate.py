"""Formulas' staffing simulated: the required agents per interval become a roster, and the simulation
says what service level they attain. ``simulation`` (``sim.staffing.iterative``) is evaluated beside
them: searched on its own seed (``seed + 1``), then simulated on ``seed`` like the formulas, so its
attainment is measured on customers it was not tuned on.

For each formula, every staffed queue gets its own group of agents (its chats per agent, the permission
level of the first group serving it, nobody absent) whose head count follows the requirement interval
by interval (``sim.staffing.roster``); back-office queues (refunds, escalations, tickets) follow the
deferred-work rule (``sim.staffing.backoffice``), the same under every method. The scenario's own
groups keep only the queues nothing staffs. All formulas run on the same seed, so they face the same
customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs import write_csv
from sim.runner import simulate
from sim.scenario import Scenario
from sim.staffing.backoffice import SPECIALIST_DAY_S, backoffice_requirements
from sim.staffing.iterative import primary_groups, simulation_requirement
from sim.staffing.requirements import FORMULAS, covered_queues, requirements
from sim.staffing.roster import staffed_scenario
from sim.units import format_span

METHODS = (*FORMULAS, "simulation")
SEARCH_ROUNDS = 60      # the simulation-based search's rounds at most


def simulations_at_most(formulas: tuple[str, ...]) -> int:
    """The simulations ``evaluate`` runs at most: the back-office inflow, one per method, and the
    simulation-based search's rounds.
    """
    return 1 + len(formulas) + (SEARCH_ROUNDS if "simulation" in formulas else 0)


@dataclass
class StaffingReport:
    """Formulas' requirements against simulated attainment.

    ``intervals``: one row per (formula, interval_start, queue): expected ``offered``, ``load``, required
    ``agents``, ``erlang_sl`` (stationary theory's prediction), ``target``, simulated ``attained_sl``
    (mean over replications) with ``attained_sl_ci95`` and ``p_meets_sl`` (share of replications meeting
    the target). ``summary``: one row per (formula, queue): ``agent_hours`` (present, as simulated),
    ``rostered_agent_hours`` (to roster for them: ``rostered_share``), ``service_level`` and
    ``p_meets_sl`` over the horizon, ``intervals_meeting_sl`` (share of intervals with traffic, over
    replications, meeting the target), ``worst_day_p_meets_sl``. ``days``: P(the day meets the target)
    per (formula, queue, day).
    """

    scenario: Scenario
    replications: int
    seed: int
    lag: bool
    intervals: pd.DataFrame
    summary: pd.DataFrame
    days: pd.DataFrame
    simulated: Any = None          # the ``SimulatedRequirement`` when ``simulation`` was evaluated
    backoffice: pd.DataFrame | None = None    # the back-office requirement (``sim.staffing.backoffice``)

    def specialists(self) -> pd.DataFrame:
        """Per back-office queue: agent-hours by the deferred-work rule and the shops' refund-specialist
        rule's head count (and its agent-hours at 8 hours a day).
        """
        if self.backoffice is None or self.backoffice.empty:
            return pd.DataFrame(columns=["queue", "rule_agent_hours", "specialists", "specialist_hours"])
        by = self.backoffice.groupby("queue", sort=False)
        days = self.scenario.horizon / 86400
        return pd.DataFrame({"rule_agent_hours": by["agents"].sum() * self.scenario.interval / 3600,
                             "specialists": by["specialists"].first()}).assign(
            specialist_hours=lambda t: t["specialists"] * SPECIALIST_DAY_S / 3600 * days).reset_index()

    def caveats(self) -> list[str]:
        """What to read the report with: a simulation-based search that stopped short of converging."""
        if self.simulated is None or self.simulated.converged:
            return []
        return [f"simulation: the search stopped {self.simulated.stopped}; the requirement is the last staffing that "
                "met everywhere (or the last tried if none did)"]

    def worst(self) -> list[str]:
        """Per formula and queue, the run of consecutive intervals below target with the lowest attainment."""
        lines = []
        for (formula, queue), part in self.intervals.groupby(["formula", "queue"], sort=False):
            below = ((part["attained_sl"] < part["target"]) & (part["offered"] > 0)).to_numpy()
            if not below.any():
                continue
            run_id = np.cumsum(np.concatenate([[True], below[1:] != below[:-1]]))
            runs = part[below].groupby(run_id[below])
            worst = min(runs, key=lambda item: item[1]["attained_sl"].mean())[1]
            first, last = worst["interval_start"].iloc[0], worst["interval_start"].iloc[-1]
            end = last + pd.Timedelta(seconds=self.scenario.interval)
            lines.append(f"{formula}: {queue} {format_span(first, end)} attains "
                         f"{worst['attained_sl'].mean():.0%} vs {worst['target'].iloc[0]:.0%}")
        return lines

    def save(self, directory: str | Path, plots: bool = True) -> Path:
        """Write ``staffing_intervals.csv``, ``staffing_summary.csv``, ``staffing_days.csv``, with ``simulation``
        ``staffing_requirement.csv`` (per group) and ``staffing_search.csv`` (iterations), and a plot per queue.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(self.intervals, out / "staffing_intervals.csv")
        write_csv(self.summary, out / "staffing_summary.csv")
        write_csv(self.days, out / "staffing_days.csv")
        if self.backoffice is not None and not self.backoffice.empty:
            write_csv(self.specialists(), out / "staffing_backoffice.csv")
        if self.simulated is not None:
            write_csv(self.simulated.agents, out / "staffing_requirement.csv")
            write_csv(self.simulated.history, out / "staffing_search.csv")
        if plots:
            from sim import report
            report.staffing_plots(self, out)
        return out


def _formula_staffing(sc: Scenario, need: pd.DataFrame, formula: str, backoffice: pd.DataFrame):
    """A formula's rows of ``need`` (and the back-office rows), its staffed scenario, agent-hours per
    queue and in all.
    """
    mine = need[need["formula"] == formula]
    if not backoffice.empty:
        mine = pd.concat([mine, _backoffice_rows(backoffice, formula)], ignore_index=True)
    agents = {q: part["agents"].to_numpy() for q, part in mine.groupby("queue", sort=False)}
    hours = {q: float(a.sum() * sc.interval / 3600) for q, a in agents.items()}
    return mine, staffed_scenario(sc, agents, f"{sc.name}_{formula}"), hours, sum(hours.values())


def _simulated_staffing(sc: Scenario, need: pd.DataFrame, found, backoffice: pd.DataFrame):
    """The same for the simulation-based requirement: a queue's agents are its primary group's; the
    back-office queues are staffed as for the formulas.
    """
    curves, owner = found.curves(), primary_groups(sc)
    template = need[need["formula"] == need["formula"].iloc[0]]             # one block of rows per queue
    mine = template.assign(formula="simulation", erlang_sl=np.nan)
    mine["agents"] = np.concatenate([curves[owner[q]] for q in template["queue"].unique()])
    hours = {q: float(curves[owner[q]].sum() * sc.interval / 3600) for q in owner}
    total = float(sum(c.sum() for c in curves.values()) * sc.interval / 3600)
    staffed = found.staffed()
    if not backoffice.empty:
        extra = _backoffice_rows(backoffice, "simulation")
        agents = {q: part["agents"].to_numpy() for q, part in extra.groupby("queue", sort=False)}
        hours |= {q: float(a.sum() * sc.interval / 3600) for q, a in agents.items()}
        total += sum(hours[q] for q in agents)
        staffed = staffed_scenario(staffed, agents, staffed.name)
        mine = pd.concat([mine, extra], ignore_index=True)
    return mine, staffed, hours, total


def _backoffice_rows(backoffice: pd.DataFrame, formula: str) -> pd.DataFrame:
    """The back-office requirement (``sim.staffing.backoffice``) as a method's rows of the intervals table."""
    return backoffice.drop(columns="specialists").assign(formula=formula, erlang_sl=np.nan)


def rostered_share(sc: Scenario, queue: str, formula: str) -> float:
    """The agents present per agent rostered for ``queue`` under ``formula``: its first group's
    ``availability`` (absence and planned not-ready time); for ``simulation``, whose staffing keeps the
    group's not-ready time, absence only.
    """
    group = next(g for g in sc.groups.values() if queue in g.skills)
    return 1 - group.absenteeism if formula == "simulation" else group.availability


def _summary_rows(sc: Scenario, res, formula: str, attained: pd.DataFrame, hours: dict[str, float],
                  total: float) -> list[dict]:
    run, by_day = res.summary.set_index("queue"), res.sla_probability
    rostered = {q: hours[q] / rostered_share(sc, q, formula) for q in hours}
    rows = []
    for queue in hours:
        daily = by_day[(by_day["queue"] == queue) & (by_day["period"] != "horizon")]
        traffic = attained[(attained["queue"] == queue) & (attained["offered"] > 0)]
        target = sc.queues[queue].sla.target
        rows.append({"formula": formula, "queue": queue, "agent_hours": hours[queue],
                     "rostered_agent_hours": rostered[queue], "formula_agent_hours": total,
                     "formula_rostered_agent_hours": sum(rostered.values()),
                     "service_level": run.loc[queue, "service_level"],
                     "service_level_ci95": run.loc[queue, "service_level_ci95"], "target": target,
                     "intervals_meeting_sl": run.loc[queue, "intervals_meeting_sl"],
                     "intervals_mean_meets": float(np.mean(traffic["attained_sl"] >= target)),
                     "intervals_not_below": float(np.mean(traffic["attained_sl"] + traffic["attained_sl_ci95"]
                                                          >= target)),
                     "p_meets_sl": run.loc[queue, "p_meets_sl"], "worst_day_p_meets_sl": daily["p_meets_sl"].min()})
    return rows


def evaluate(sc: Scenario, formulas: tuple[str, ...] = METHODS, replications: int = 10, seed: int | None = None,
             lag: bool = False, per_agent_per_day: dict[str, float] | None = None, probability: float | None = None,
             workers: int | None = None, dask: Any = None,
             progress: Callable[[int, str], None] | None = None) -> StaffingReport:
    """Each formula's per-interval requirement (``requirements``), and with ``simulation`` the simulation-based
    one (``probability`` as in ``simulation_requirement``), staffed and simulated ``replications`` times on
    the same ``seed``. ``progress(simulations done, what is running)`` follows the work: at most
    ``simulations_at_most(formulas)`` simulations of ``replications`` each.
    """
    unknown = [f for f in formulas if f not in METHODS]
    if unknown:
        raise ValueError(f"unknown formula {unknown[0]!r}; choose from {', '.join(METHODS)}")
    seed = sc.seed if seed is None else seed
    if not covered_queues(sc):
        raise ValueError(f"{sc.name}: no chat or call queue with its own arrivals to staff")
    # the simulation's rows borrow their expected offered contacts and load from a formula's
    need = requirements(sc, tuple(f for f in formulas if f != "simulation") or ("erlang_a",), lag, per_agent_per_day)
    done = 0

    def tell(what: str, extra: int = 0) -> None:
        if progress is not None:
            progress(done + extra, what)

    tell("back-office work")
    backoffice = backoffice_requirements(sc, replications, seed + 2, workers=workers, dask=dask)
    done += 1
    targets = {q: spec.sla.target for q, spec in sc.queues.items()}
    need["target"] = need["queue"].map(targets)
    backoffice["target"] = backoffice["queue"].map(targets)
    intervals, summary, days, found = [], [], [], None
    for formula in formulas:
        tell(formula)
        if formula == "simulation":
            found = simulation_requirement(sc, replications, seed + 1, probability, max_iterations=SEARCH_ROUNDS,
                                           workers=workers, dask=dask, progress=lambda i, missing: tell(
                                               f"simulation, round {i + 1} of at most {SEARCH_ROUNDS}, {missing:,} "
                                               "intervals missing", i + 1))
            done += len(found.history)
            tell("simulation, checked on other customers")
            mine, staffed, hours, total = _simulated_staffing(sc, need, found, backoffice)
        else:
            mine, staffed, hours, total = _formula_staffing(sc, need, formula, backoffice)
        res = simulate(staffed, replications=replications, seed=seed, workers=workers, dask=dask)
        stats = res.interval_stats.set_index(["interval_start", "queue", "kpi"])
        key = pd.MultiIndex.from_frame(mine[["interval_start", "queue"]])
        level = stats.xs("service_level", level="kpi").reindex(key)
        attained = mine.assign(attained_sl=level["mean"].to_numpy(), attained_sl_ci95=level["ci95"].to_numpy(),
                               p_meets_sl=stats.xs("meets_sl", level="kpi").reindex(key)["mean"].to_numpy())
        intervals.append(attained)
        summary.extend(_summary_rows(sc, res, formula, attained, hours, total))
        by_day = res.sla_probability
        days.append(by_day[(by_day["period"] != "horizon") & by_day["queue"].isin(hours)].assign(formula=formula)[
            ["formula", "queue", "period", "service_level", "p_meets_sl"]])
        done += 1
    tell("done")
    return StaffingReport(sc, replications, seed, lag, pd.concat(intervals, ignore_index=True),
                          pd.DataFrame(summary), pd.concat(days, ignore_index=True), found, backoffice)
