"""The roster search: the integer programme closed by simulation (in the spirit of Atlason, Epelman &
Henderson 2004 and Cezik & L'Ecuyer 2008, with the cut replaced by a raised requirement).

1. The requirement of each queue a template group serves starts from Erlang A with a one-handle-time
   lag; of back-office work (refunds, escalations, tickets), from the deferred-work rule
   (``sim.staffing.backoffice``).
2. The programme (``programme.solve``) chooses the least-cost shifts covering it, sharing multi-skilled
   groups' agents (and those of groups keeping their own shifts) among their queues.
3. The roster is simulated (``replications`` on one seed: every iteration sees the same customers).
   Where a queue's interval misses (its mean service level over the replications is below target;
   with ``probability`` p, fewer than a share p of replications reach it) the requirement there is raised
   by half the shortfall times the agents required, at least one, and the programme solved again.
   Back-office work is judged on the day (``day_levels``): where a day misses, all its intervals are raised.
   A call list keeps the deferred-work rule's requirement: its service level, the answer rate, is the
   customers' pickup, which no staffing changes (``Channel.staffing_moves_sl``), so it is never raised.
4. Until every interval meets, ``max_iterations`` is reached, or the search has ``stalled`` (8 rounds
   have not cut the intervals missing); the result says whether every interval meets, with the programme's gap.
   The final roster is then simulated on fresh customers (another seed) and compared, on common random
   numbers, with the scenario's own roster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.ceilings import unattainable
from sim.channels import channel_of
from sim.comparison import Comparison, compare
from sim.costs import roster_cost
from sim.outputs import write_csv
from sim.rosters.patterns import Patterns, candidate_shifts, fixed_floor
from sim.rosters.programme import RosterInfeasible, Solution, solve
from sim.rosters.templates import RosterFile
from sim.runner import simulate
from sim.scenario import Scenario, dump_scenario, load_scenario
from sim.staffing.backoffice import backoffice_queues, backoffice_requirements
from sim.staffing.iterative import day_levels, interval_levels, stalled
from sim.staffing.requirements import covered_queues, requirements
from sim.units import format_duration, format_time_of_day

FRESH_SEED_OFFSET = 1000      # the check on fresh customers uses seed + this


@dataclass
class RosterSearch:
    """The search's outcome: the ``roster`` (scenario with the chosen shifts), its ``solution`` among the
    ``patterns``, whether every interval ``met`` its target, one ``history`` row per iteration, the
    requirement found (``need``, per queue), ``intervals`` (per interval and queue: whether the search
    ``judged`` it by its target, need, agents planned on it, service level, P(meets); back-office work's
    by its day), the ``fresh`` check (per queue on fresh customers: intervals meeting, the mean P(meets)
    over them, the horizon's service level as a run's summary shows it, the target) and the
    ``comparison`` with the scenario's own roster (``base``).
    """

    base: Scenario
    roster: Scenario
    patterns: Patterns
    solution: Solution
    met: bool
    history: pd.DataFrame
    need: dict[str, np.ndarray]
    intervals: pd.DataFrame
    fresh: pd.DataFrame
    comparison: Comparison | None = field(default=None, repr=False)
    simulations: int = 0

    def caveats(self) -> list[str]:
        """What to read the roster with: intervals still missing when the search stopped, call lists whose
        answer rate the search left alone.
        """
        lines = [f"{row.queue}: the answer rate is the customers' pickup, which no roster changes; the call list "
                 "keeps the deferred-work rule's agents (dialled within its window)"
                 for row in self.fresh.itertuples() if not row.judged]
        if not self.met:
            lines.append(f"the search stopped after {len(self.history)} iterations with intervals still missing "
                         "their target (see roster_intervals.csv); raise --max-iterations or widen the templates")
        return lines

    def shifts(self) -> pd.DataFrame:
        """One row per shift worked: template, group, day, start, end, breaks, agents and their cost in the
        programme (a vendor's price per contact as its hourly equivalent).
        """
        t = self.patterns.table.assign(agents=self.solution.counts)
        t = t[t["agents"] > 0]
        start = pd.Timestamp(self.base.start)
        return pd.DataFrame({
            "template": t["template"], "group": t["group"],
            "start": [start + timedelta(seconds=s) for s in t["start"]],
            "end": [start + timedelta(seconds=e) for e in t["end"]],
            "split_gap": [" ".join(f"{format_time_of_day((self.base.start_offset + z) % 86400)}-"
                                   f"{format_time_of_day((self.base.start_offset + a) % 86400)}"
                                   for (_, z), (a, _) in zip(p[:-1], p[1:])) for p in t["parts"]],
            "breaks": [" ".join(f"{format_time_of_day((self.base.start_offset + s + o) % 86400)}/"
                                f"{format_duration(d)}" for o, d in b) for s, b in zip(t["start"], t["breaks"])],
            "agents": t["agents"], "programme_cost": t["cost"] * t["agents"]}).reset_index(drop=True)

    def allocation(self) -> pd.DataFrame:
        """Per interval, group and queue, the group's agents on the floor the programme plans on the queue
        (``planned``), their proficiency on it, and all the group's agents on the floor (``on_floor``;
        after absence, planned shrinkage and the templates' proficiency).
        """
        a = self.solution.allocation
        return pd.DataFrame({"interval_start": pd.Timestamp(self.base.start)
                             + pd.to_timedelta(a["interval"] * self.base.interval, "s"),
                             "group": a["group"], "queue": a["queue"], "planned": a["agents"],
                             "proficiency": a["proficiency"], "on_floor": a["on_floor"]}
                            ).sort_values(["interval_start", "group"], kind="stable")

    def costs(self) -> pd.DataFrame:
        """Per group: paid hours and cost of the scenario's roster and of the one found; with the
        comparison, as its runs bill them (a vendor's contacts, minimum and penalty included:
        ``sim.costs.replication_costs``), else the hours alone.
        """
        if self.comparison is not None:
            base, found = (r.costs[["group", "paid_hours", "cost"]]
                           for r in (self.comparison.base, self.comparison.variant))
        else:
            base, found = roster_cost(self.base), roster_cost(self.roster)
        return base.merge(found, on="group", how="outer", suffixes=("_scenario", "_found")).fillna(
            {"paid_hours_scenario": 0.0, "cost_scenario": 0.0})

    def save(self, directory: str | Path, plots: bool = True) -> Path:
        """Write the roster (``roster.yaml``: the scenario with it; ``roster_<group>.csv`` per group, for
        a group's ``roster:`` key) and the tables and plots of the search.
        """
        import yaml

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "roster.yaml", "w", encoding="utf-8") as f:
            f.write(f"# {self.base.name}: the least-cost roster found by `run.py roster` "
                    f"({'every interval meets its target' if self.met else 'NOT every interval meets its target'})\n")
            yaml.safe_dump(dump_scenario(self.roster), f, allow_unicode=True, sort_keys=False)
        for group in self.patterns.table["group"].unique():
            write_csv(_roster_rows(self.roster, group), out / f"roster_{group}.csv")
        write_csv(self.shifts(), out / "roster_shifts.csv")
        write_csv(self.costs(), out / "roster_cost.csv")
        write_csv(self.history, out / "roster_search.csv")
        write_csv(self.intervals, out / "roster_intervals.csv")
        write_csv(self.allocation(), out / "roster_allocation.csv")
        write_csv(self.fresh, out / "roster_fresh_check.csv")
        if self.comparison is not None:
            write_csv(self.comparison.totals, out / "roster_comparison.csv")
        if plots:
            from sim.report import roster_plots
            roster_plots(self, out)
        return out


def _roster_rows(sc: Scenario, group: str) -> pd.DataFrame:
    """A group's shifts as a roster CSV (start, end, count, days, breaks)."""
    rows = [{"start": format_time_of_day(s.start), "end": format_time_of_day(s.end), "count": s.count,
             "days": ";".join(str(d) for d in s.days or ()),
             "breaks": ";".join(f"{format_time_of_day(b.at)}/{format_duration(b.duration)}" for b in s.breaks)}
            for s in sc.groups[group].shifts or ()]
    return pd.DataFrame(rows, columns=["start", "end", "count", "days", "breaks"])


def rostered(sc: Scenario, patterns: Patterns, counts: np.ndarray, name: str) -> Scenario:
    """``sc`` with each template group working the shifts chosen (``counts`` per candidate shift)."""
    data = dump_scenario(sc)
    data["name"] = name
    shifts: dict[str, list[dict[str, Any]]] = {g: [] for g in patterns.table["group"].unique()}
    for row, count in zip(patterns.table.itertuples(), counts):
        if count <= 0:
            continue
        for a, z in row.parts:                        # a split shift: a row per worked stretch, same agents
            begins, ends = sc.start_offset + a, sc.start_offset + z
            shifts[row.group].append({
                "start": format_time_of_day(begins % 86400), "end": format_time_of_day(ends % 86400),
                "count": int(count), "days": [sc.day(int(begins // 86400)).isoformat()],
                "breaks": [{"at": format_time_of_day((sc.start_offset + row.start + o) % 86400), "duration": d}
                           for o, d in row.breaks if a <= row.start + o < z]})
    for group, rows in shifts.items():
        spec = {k: v for k, v in data["groups"][group].items() if k not in ("shifts", "headcount", "roster")}
        data["groups"][group] = {**spec, **({"shifts": rows} if rows else {"headcount": 0})}
    return load_scenario(data, label=name)


def search_roster(sc: Scenario, roster: RosterFile, replications: int = 10, seed: int | None = None,
                  probability: float | None = None, max_iterations: int = 25, compare_with_scenario: bool = True,
                  workers: int | None = None, dask: Any = None,
                  progress: Callable[[int, int, float], None] | None = None) -> RosterSearch:
    """Search the least-cost roster of ``roster``'s templates meeting every queue's target (see the
    module); ``sc`` already holds the roster file's groups (``read_templates``). ``progress(iteration,
    intervals missing, cost)`` follows it. A target no staffing can meet (``sim.ceilings``) is a
    ``RosterInfeasible`` at once.
    """
    seed = sc.seed if seed is None else seed
    patterns = candidate_shifts(sc, roster)
    template_groups = list(dict.fromkeys(r.group for r in roster.templates.values()))
    served = list(dict.fromkeys(q for g in template_groups for q in sc.groups[g].skills))
    contacts = [q for q in served if q in covered_queues(sc)]
    deferred = [q for q in served if q in backoffice_queues(sc)]
    hopeless = unattainable(sc, [q for q in contacts + deferred if channel_of(sc.queues[q]).staffing_moves_sl])
    if hopeless:
        raise RosterInfeasible("\n".join(hopeless.values()))
    kept = fixed_floor(sc, [g for g in sc.groups if g not in template_groups
                            and any(q in sc.groups[g].skills for q in contacts + deferred)])
    first = requirements(sc, ("erlang_a",), lag=True) if contacts else None
    need = {q: first[first["queue"] == q]["agents"].to_numpy(dtype=float) for q in contacts}
    history, met, simulations = [], False, 0
    if deferred:
        work = backoffice_requirements(sc, replications=replications, seed=seed, workers=workers, dask=dask)
        need |= {q: work[work["queue"] == q]["agents"].to_numpy(dtype=float) for q in deferred}
        simulations += replications

    judged = [*contacts, *(q for q in deferred if channel_of(sc.queues[q]).staffing_moves_sl)]  # no answer rate

    def levels_of(res) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return interval_levels(sc, res, contacts, probability) | day_levels(sc, res, deferred, probability)

    for iteration in range(max_iterations):
        solution = solve(sc, patterns, roster, need, kept)
        candidate = rostered(sc, patterns, solution.counts, f"{sc.name}_roster")
        res = simulate(candidate, replications=replications, seed=seed, workers=workers, dask=dask)
        simulations += replications
        levels = levels_of(res)
        missing = sum(int(np.count_nonzero(levels[q][2])) for q in judged)
        history.append({"iteration": iteration, "cost": solution.cost, "gap": solution.gap,
                        "agents": int(solution.counts.sum()), "intervals_missing": missing})
        if progress is not None:
            progress(iteration, missing, solution.cost)
        if not missing:
            met = True
            break
        if stalled(history) is not None:
            break                     # raising has not cut the misses for a while: more would only cost
        for q in judged:
            short = levels[q][2]
            need[q] = need[q] + np.where(short > 0, np.maximum(1.0, np.ceil(short * need[q] / 2)), 0.0)
    intervals = []
    plan = solution.allocation
    for q, (level, meets, short) in levels.items():
        mine = plan[plan["queue"] == q]
        planned = np.bincount(mine["interval"], mine["agents"] * mine["proficiency"], minlength=sc.n_intervals)
        intervals.append(pd.DataFrame({
            "interval_start": pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, "s"),
            "queue": q, "judged": q in judged, "need": need[q], "planned": planned,
            "service_level": level, "p_meets_sl": meets, "meets": short == 0}))
    check = simulate(candidate, replications=replications, seed=seed + FRESH_SEED_OFFSET, workers=workers, dask=dask)
    simulations += replications
    horizon = check.summary.set_index("queue")
    fresh = pd.DataFrame([{"queue": q, "judged": q in judged, "intervals": level.size,
                           "meeting": int(np.count_nonzero(short == 0)), "share_meeting": float(np.mean(short == 0)),
                           "p_meets_sl": float(np.mean(meets)), "service_level": horizon.loc[q, "service_level"],
                           "target": sc.queues[q].sla.target}
                          for q, (level, meets, short) in levels_of(check).items()])
    comparison = None
    if compare_with_scenario:
        comparison = compare(sc, candidate, replications=replications, seed=seed, workers=workers, dask=dask)
        simulations += 2 * replications
    return RosterSearch(sc, candidate, patterns, solution, met, pd.DataFrame(history), need,
                        pd.concat(intervals, ignore_index=True), fresh, comparison, simulations)
