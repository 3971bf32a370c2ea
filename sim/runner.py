"""Running replications of a scenario: one seed, named streams per replication."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from sim import metrics
from sim.arrivals import generate_demand
from sim.attendance import draw_attendance
from sim.engine import Model
from sim.results import Results
from sim.scenario import Scenario


def simulate(sc: Scenario, replications: int = 1, seed: int | None = None,
             record_contacts: bool = False,
             progress: Callable[[int], None] | None = None) -> Results:
    """Simulate ``replications`` independent replications of ``sc``.

    ``seed`` defaults to the scenario's; replication r draws from streams keyed (seed, r, name), so the
    same seed gives identical tables. ``record_contacts`` keeps one row per contact and the agents' spans
    (memory grows with contacts). ``progress(r)`` is called after each finished replication.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    seed = sc.seed if seed is None else seed
    began = time.perf_counter()
    tables: dict[str, list[pd.DataFrame]] = {
        "intervals": [], "groups": [], "totals": [], "contacts": [], "agents": []}
    events = 0
    for r in range(replications):
        out = Model(sc, generate_demand(sc, r, seed), draw_attendance(sc, r, seed)).run()
        events += out.events
        tables["intervals"].append(metrics.queue_intervals(sc, out, r))
        tables["groups"].append(metrics.group_intervals(sc, out, r))
        tables["totals"].append(metrics.queue_totals(sc, out, r))
        if record_contacts:
            tables["contacts"].append(metrics.contact_records(sc, out, r))
            tables["agents"].append(metrics.agent_spans(sc, out, r))
        if progress is not None:
            progress(r + 1)
    joined = {name: pd.concat(parts, ignore_index=True) if parts else None
              for name, parts in tables.items()}
    return Results(scenario=sc, seed=seed, replications=replications,
                   runtime_s=time.perf_counter() - began, events=events, **joined)
