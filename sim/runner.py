"""Running replications of a scenario: one seed, named streams per replication, local processes.

Replication r draws only from streams keyed (seed, r, name), so its tables do not depend on which
process ran it or in what order: results are identical whatever the number of workers. Only the
replication's tables travel back from a worker, never per-contact state (unless contacts are asked for).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

import pandas as pd

from sim import metrics
from sim.arrivals import generate_demand
from sim.attendance import draw_attendance
from sim.engine import Model
from sim.results import Results
from sim.scenario import Scenario

TABLES = ("intervals", "groups", "totals", "contacts", "agents")


def replicate(sc: Scenario, replication: int, seed: int, record_contacts: bool = False) -> dict:
    """Tables of one replication (``contacts`` and ``agents`` only when asked for) and its event count."""
    out = Model(sc, generate_demand(sc, replication, seed), draw_attendance(sc, replication, seed)).run()
    tables = {"intervals": metrics.queue_intervals(sc, out, replication),
              "groups": metrics.group_intervals(sc, out, replication),
              "totals": metrics.queue_totals(sc, out, replication),
              "events": out.events}
    if record_contacts:
        tables["contacts"] = metrics.contact_records(sc, out, replication)
        tables["agents"] = metrics.agent_spans(sc, out, replication)
    return tables


@contextmanager
def dask_client(target: Any) -> Iterator[Any]:
    """A Dask client for ``target``.

    ``"local:N"`` starts a local cluster of N single-threaded worker processes, ``"tcp://host:8786"``
    connects to a running scheduler, and a ``distributed.Client`` is used as it is.
    """
    if not isinstance(target, str):
        yield target
        return
    from distributed import Client, LocalCluster

    if target.startswith("local:"):
        n = int(target.removeprefix("local:"))
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client
    else:
        with Client(target, timeout="20s") as client:
            yield client


def _finished(sc: Scenario, replications: int, seed: int, workers: int, dask: Any,
              record_contacts: bool) -> Iterator[tuple[int, dict]]:
    """Yield (replication, tables) as replications finish: on Dask, in local processes, or here."""
    if dask is not None:
        from distributed import as_completed as dask_completed

        with dask_client(dask) as client:
            futures = {client.submit(replicate, sc, r, seed, record_contacts, pure=False): r
                       for r in range(replications)}
            for future in dask_completed(futures):
                yield futures[future], future.result()
    elif workers == 1:
        for r in range(replications):
            yield r, replicate(sc, r, seed, record_contacts)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(replicate, sc, r, seed, record_contacts): r for r in range(replications)}
            for future in as_completed(futures):
                yield futures[future], future.result()


def simulate(sc: Scenario, replications: int = 1, seed: int | None = None, workers: int | None = None,
             dask: Any = None, record_contacts: bool = False,
             progress: Callable[[int], None] | None = None) -> Results:
    """Simulate ``replications`` independent replications of ``sc``.

    ``seed`` defaults to the scenario's. ``workers``: processes to use (default: all cores, at most one
    per replication; 1 runs in this process). ``dask``: run the replications on a Dask cluster instead
    (``"local:N"``, a scheduler address or a ``distributed.Client``). The same seed gives identical
    tables whatever the executor and the number of workers.
    ``record_contacts`` keeps one row per contact and the agents' spans (memory grows with contacts).
    ``progress(done)`` is called after each finished replication.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    seed = sc.seed if seed is None else seed
    workers = min(replications, workers or os.cpu_count() or 1)
    began = time.perf_counter()
    done: dict[int, dict] = {}
    for r, tables in _finished(sc, replications, seed, workers, dask, record_contacts):
        done[r] = tables
        if progress is not None:
            progress(len(done))
    ordered = [done[r] for r in range(replications)]          # replication order, whatever finished first
    joined = {name: pd.concat([t[name] for t in ordered], ignore_index=True) if name in ordered[0] else None
              for name in TABLES}
    return Results(scenario=sc, seed=seed, replications=replications, runtime_s=time.perf_counter() - began,
                   events=sum(t["events"] for t in ordered), **joined)
