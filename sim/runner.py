"""Running replications of a scenario: one seed, named streams per replication, local processes.

Replication r draws only from streams keyed (seed, r, name), so its tables do not depend on which
process ran it or in what order: results are identical whatever the number of workers. Only the
replication's tables travel back from a worker, never per-contact state (unless contacts are asked for).
Its per-interval tables go straight to disk (``sim.store``), so the run's memory does not grow with
its replications.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import metrics, workload
from sim.arrivals import arrival_times, generate_demand
from sim.attendance import draw_attendance
from sim.engine import Model
from sim.errors import ScenarioError
from sim.outputs import OutputError, private_folder, remove_stale
from sim.results import Results
from sim.scenario import Scenario
from sim.store import TableStore

CHUNK = 8  # most replications per task: their arrival times come from one Numba call


def replicate(sc: Scenario, replication: int, seed: int, record_contacts: bool = False,
              times: dict[str, np.ndarray] | None = None) -> dict:
    """Tables of one replication (``contacts`` and ``agents`` only when asked for) and its event count.

    ``times``: its arrival times (``sim.arrivals.arrival_times``) when already generated.
    """
    demand = generate_demand(sc, replication, seed, times)
    out = Model(sc, demand, draw_attendance(sc, replication, seed)).run()
    per = metrics.conversation_values(sc, out.contacts, out.messages)     # once, for every table
    tables = {"intervals": metrics.queue_intervals(sc, out, replication, per),
              "groups": metrics.group_intervals(sc, out, replication),
              "totals": metrics.queue_totals(sc, out, replication, per),
              "events": out.events}
    if any(q.classes for q in sc.queues.values()):
        tables["classes"] = metrics.class_totals(sc, out, replication, per)
    if record_contacts:
        tables["contacts"] = metrics.contact_records(sc, out, replication)
        tables["agents"] = metrics.agent_spans(sc, out, replication)
    return tables


def replicate_many(sc: Scenario, replications: list[int], seed: int,
                   record_contacts: bool = False) -> Iterator[tuple[int, dict]]:
    """Yield (replication, tables) for each of ``replications``, their arrival times drawn in one Numba call."""
    for r, times in zip(replications, arrival_times(sc, replications, seed)):
        yield r, replicate(sc, r, seed, record_contacts, times)


def _replicate_list(sc: Scenario, replications: list[int], seed: int, record_contacts: bool) -> list[tuple[int, dict]]:
    """``replicate_many`` as one task for a Dask worker."""
    return list(replicate_many(sc, replications, seed, record_contacts))


def _chunks(replications: int, workers: int) -> list[list[int]]:
    """Replications split into tasks: at most ``CHUNK`` each, and about eight tasks per worker or more
    (so that no worker idles long at the end of the run).
    """
    size = max(1, min(CHUNK, math.ceil(replications / (8 * workers))))
    return [list(range(first, min(first + size, replications))) for first in range(0, replications, size)]


WORKDIR_PREFIX = "sim-"          # a run's temporary folders: sim-<pid>-..., in the temporary folder (TMPDIR)


def make_workdir(purpose: str = "") -> Path:
    """A temporary folder for this process's tables (``sim-<pid>-...``, so that one a killed run left is
    known as stale: ``sim.outputs.remove_stale``).
    """
    return private_folder(Path(tempfile.gettempdir()), WORKDIR_PREFIX + (f"{purpose}-" if purpose else ""))


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
        # Errors of replications come back through their futures; the cluster's own logs would only add
        # the connection errors its processes log while shutting down.
        scratch = make_workdir("dask")                 # removed here, or as stale after a kill -9
        try:
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=logging.CRITICAL, local_directory=str(scratch)) as cluster, \
                    Client(cluster) as client:
                yield client
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    else:
        with Client(target, timeout="20s") as client:
            yield client


def _finished(sc: Scenario, replications: int, seed: int, workers: int, dask: Any,
              record_contacts: bool, handover: Path) -> Iterator[tuple[int, dict]]:
    """Yield (replication, tables) as replications finish: on Dask, in local processes (their tables
    handed over through files in ``handover``), or here.
    """
    if dask is not None:
        from distributed import as_completed as dask_completed

        with dask_client(dask) as client:
            workers = max(1, len(client.scheduler_info()["workers"]))
            futures = {client.submit(_replicate_list, sc, chunk, seed, record_contacts, pure=False): chunk
                       for chunk in _chunks(replications, workers)}
            for future in dask_completed(futures):
                futures.pop(future)                          # drop each future once read
                yield from future.result()
    elif workers == 1:
        for chunk in _chunks(replications, workers):
            yield from replicate_many(sc, chunk, seed, record_contacts)
    else:
        yield from _in_processes(sc, replications, seed, workers, record_contacts, handover)


def _in_processes(sc: Scenario, replications: int, seed: int, workers: int, record_contacts: bool,
                  handover: Path) -> Iterator[tuple[int, dict]]:
    """Yield (replication, tables) as worker processes finish them. Each task writes its tables to a file
    in ``handover`` and sends back only its name: a message that short is one write to the result pipe,
    which a worker stopped mid-run cannot leave half-sent (the pool would wait for the rest forever).
    """
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_replicate_to_file, sc, chunk, seed, record_contacts, handover): chunk
                   for chunk in _chunks(replications, workers)}
        for future in as_completed(futures):
            futures.pop(future)                          # drop each future once read
            path = Path(future.result())
            with path.open("rb") as file:
                finished = pickle.load(file)
            path.unlink()
            yield from finished
    except BaseException:            # interrupted, or the caller stopped reading: stop the workers now
        processes = set(multiprocessing.active_children()) - before
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _replicate_to_file(sc: Scenario, replications: list[int], seed: int, record_contacts: bool,
                       folder: Path) -> str:
    """``replicate_many`` as one task for a worker process: its tables pickled to a new file in ``folder``;
    the file's name.
    """
    with tempfile.NamedTemporaryFile("wb", dir=folder, prefix="tables-", suffix=".pickle", delete=False) as file:
        pickle.dump(list(replicate_many(sc, replications, seed, record_contacts)), file,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return file.name


def _worker_setup(parent: int) -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the run, and exit if the parent dies
    (after ``kill -9``, say), instead of simulating for nobody.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()


def _exit_without(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _check_disk(sc: Scenario, replications: int, directory: str) -> None:
    """Raise ``OutputError`` if the temporary tables of the run would not fit on the disk of ``directory``."""
    columns = 32 * len(sc.queues) + 12 * len(sc.groups)           # numeric columns per interval, rounded up
    need = 8 * replications * (sc.n_intervals * columns + 64 * len(sc.queues))
    free = shutil.disk_usage(directory).free
    if need > free:
        raise OutputError(f"{directory}: the run's tables need about {need / 2**20:,.0f} MB of temporary space, "
                          f"{free / 2**20:,.0f} MB are free; free some, or set TMPDIR to a larger disk")


def simulate(sc: Scenario, replications: int = 1, seed: int | None = None, workers: int | None = None,
             dask: Any = None, record_contacts: bool = False,
             progress: Callable[[int], None] | None = None, max_memory: float | None = None) -> Results:
    """Simulate ``replications`` independent replications of ``sc``.

    ``seed`` defaults to the scenario's. ``workers``: processes to use (default: all cores, at most one
    per replication; 1 runs in this process). ``dask``: run the replications on a Dask cluster instead
    (``"local:N"``, a scheduler address or a ``distributed.Client``). The same seed gives identical
    tables whatever the executor and the number of workers.
    ``record_contacts`` keeps one row per contact and the agents' spans (memory grows with contacts).
    ``progress(done)`` is called after each finished replication. A scenario whose replications would
    not fit in ``max_memory`` bytes (default: 80% of this machine's; ``sim.workload``) raises
    ``ScenarioError`` before anything runs.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    seed = sc.seed if seed is None else seed
    workers = min(replications, workers or os.cpu_count() or 1)
    too_big = workload.estimate(sc).problems(1 if dask is not None else workers, max_memory)
    if too_big:
        raise ScenarioError([f"{sc.source}: {line}" for line in too_big])
    began = time.perf_counter()
    _check_disk(sc, replications, tempfile.gettempdir())
    remove_stale(Path(tempfile.gettempdir()), WORKDIR_PREFIX)
    workdir = make_workdir()
    stores = {name: TableStore(workdir / f"{name}.npy", replications) for name in ("intervals", "groups", "totals")}
    kept: dict[str, dict[int, pd.DataFrame]] = {name: {} for name in ("contacts", "agents", "classes")}
    events = done = 0
    try:
        for r, tables in _finished(sc, replications, seed, workers, dask, record_contacts, workdir):
            for name, store in stores.items():
                try:
                    store.write(r, tables[name])
                except OSError as exc:
                    raise OutputError(f"{workdir}: cannot keep the run's tables: {exc.strerror or exc}; free "
                                      "space there, or set TMPDIR to a larger disk") from None
            for name, parts in kept.items():
                if name in tables:
                    parts[r] = tables[name]
            events += tables["events"]
            done += 1
            if progress is not None:
                progress(done)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    joined = {name: pd.concat([parts[r] for r in range(replications)], ignore_index=True) if parts else None
              for name, parts in kept.items()}         # replication order, whatever finished first
    results = Results(scenario=sc, seed=seed, replications=replications, runtime_s=time.perf_counter() - began,
                      events=events, interval_store=stores["intervals"], group_store=stores["groups"],
                      totals_store=stores["totals"], workdir=workdir, **joined)
    weakref.finalize(results, shutil.rmtree, workdir, True)     # the tables live as long as the results
    return results
