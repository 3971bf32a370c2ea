"""Paired comparison of scenario variants on common random numbers.

Variants run with the same seed see the same customers (arrival times, handle-time draws, patience) and
the same absences, so replication r of the base and of a variant differ only by the change made. The
paired confidence interval of a difference uses the per-replication differences; the unpaired one,
shown beside it, is what independent runs would give.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.results import Results
from sim.runner import simulate
from sim.scenario import Scenario, ScenarioError
from sim.statistics import long_table, t_halfwidth
from sim.verdicts import ALL_GROUPS


@dataclass
class Comparison:
    """Base and variant results with paired differences (variant − base).

    ``intervals``: one row per (interval_start, queue, kpi); ``totals``: one row per (queue, kpi) over the
    horizon, with the queue's ``channel`` and ``sl_target``; ``costs``: one row per (group, kpi) for
    ``paid_hours`` and ``cost``, each priced group's and ``all groups`` (None when neither side prices its
    groups). Columns: ``base``, ``variant`` (means),
    ``difference`` (mean of paired differences), ``paired_ci95`` and ``unpaired_ci95`` (95% half-widths).
    """

    base: Results
    variant: Results
    intervals: pd.DataFrame
    totals: pd.DataFrame
    costs: pd.DataFrame | None = None


def _paired(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Means of ``a`` (base) and ``b`` (variant) over replications (axis 0) and of their paired differences,
    with paired and unpaired 95% half-widths; NaN values are left out.
    """
    d = b - a
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)                  # all-NaN cells stay NaN
        n, n_a, n_b = (np.sum(~np.isnan(x), axis=0) for x in (d, a, b))
        unpaired = np.sqrt(np.nanvar(a, axis=0, ddof=1) / n_a + np.nanvar(b, axis=0, ddof=1) / n_b)
        return {"base": np.nanmean(a, axis=0), "variant": np.nanmean(b, axis=0), "difference": np.nanmean(d, axis=0),
                "paired_ci95": t_halfwidth(np.nanstd(d, axis=0, ddof=1) / np.sqrt(n), n),
                "unpaired_ci95": t_halfwidth(unpaired, n)}


def _interval_differences(a: Results, b: Results) -> pd.DataFrame:
    """Paired differences per (interval_start, queue, kpi), read a block of intervals at a time."""
    kpis = [c for c in a.interval_store.columns if c != "sl_target"]
    keys = a.interval_store.keys[["interval_start", "queue"]]
    parts = [long_table(keys.iloc[rows], kpis, _paired(block_a, block_b))
             for (rows, block_a), (_, block_b) in zip(a.interval_store.blocks(kpis), b.interval_store.blocks(kpis))]
    return pd.concat(parts, ignore_index=True)


def _total_differences(a: Results, b: Results) -> pd.DataFrame:
    """Paired differences per (queue, kpi) over the horizon."""
    kpis = [c for c in a.totals.columns if c != "replication" and pd.api.types.is_numeric_dtype(a.totals[c])]
    queues = len(a.scenario.queues)

    def cube(res: Results) -> np.ndarray:
        return res.totals[kpis].to_numpy(dtype=float).reshape(res.replications, queues, len(kpis))

    table = long_table(a.totals[["queue"]].iloc[:queues], kpis, _paired(cube(a), cube(b)))
    spec = a.scenario.queues
    return table.assign(channel=table["queue"].map(lambda q: spec[q].channel),
                        sl_target=table["queue"].map(lambda q: spec[q].sla.target))


def _cost_differences(a: Results, b: Results) -> pd.DataFrame | None:
    """Paired differences of what each priced group bills (``paid_hours``, ``cost``) and of the total; a
    group one side does not have (or does not price) costs 0 there.
    """
    sides = [res.replication_costs for res in (a, b)]
    if all(per is None for per in sides):
        return None
    groups = list(dict.fromkeys(g for per in sides if per is not None for g in per["group"]))
    rows = []
    for kpi in ("paid_hours", "cost"):
        cubes = []
        for res, per in zip((a, b), sides):
            table = (per.pivot_table(index="replication", columns="group", values=kpi, aggfunc="sum")
                     if per is not None else pd.DataFrame())
            table = table.reindex(index=range(res.replications), columns=groups).fillna(0.0)
            cubes.append(np.column_stack([table.to_numpy(dtype=float), table.sum(axis=1).to_numpy()]))
        paired = _paired(*cubes)
        rows.append(pd.DataFrame({"group": [*groups, ALL_GROUPS], "kpi": kpi, **paired}))
    return pd.concat(rows, ignore_index=True)


def compare(base: Scenario, variant: Scenario, replications: int = 10, seed: int | None = None,
            workers: int | None = None, dask: Any = None, max_memory: float | None = None) -> Comparison:
    """Simulate both scenarios on the same seed and replications and pair their results.

    ``workers``, ``dask`` and ``max_memory`` are as in ``simulate``.
    """
    problems = [f"{variant.name}: {key} differs from {base.name}'s"
                for key in ("start", "horizon", "interval") if getattr(base, key) != getattr(variant, key)]
    if list(base.queues) != list(variant.queues):
        problems.append(f"{variant.name}: queues {list(variant.queues)} differ from {base.name}'s {list(base.queues)}")
    if problems:
        raise ScenarioError(problems)
    seed = base.seed if seed is None else seed
    a = simulate(base, replications=replications, seed=seed, workers=workers, dask=dask, max_memory=max_memory)
    b = simulate(variant, replications=replications, seed=seed, workers=workers, dask=dask, max_memory=max_memory)
    return Comparison(a, b, _interval_differences(a, b), _total_differences(a, b), _cost_differences(a, b))
