"""Paired comparison of scenario variants on common random numbers.

Variants run with the same seed see the same customers (arrival times, handle-time draws, patience) and
the same absences, so replication r of the base and of a variant differ only by the change made. The
paired confidence interval of a difference uses the per-replication differences; the unpaired one,
shown beside it, is what independent runs would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.results import Results, t_halfwidth
from sim.runner import simulate
from sim.scenario import Scenario, ScenarioError

KEYS = ("replication", "interval_start", "queue")


@dataclass
class Comparison:
    """Base and variant results with paired differences (variant − base).

    ``intervals``: one row per (interval_start, queue, kpi); ``totals``: one row per (queue, kpi) over the
    horizon. Columns: ``base``, ``variant`` (means), ``difference`` (mean of paired differences),
    ``paired_ci95`` and ``unpaired_ci95`` (95% half-widths).
    """

    base: Results
    variant: Results
    intervals: pd.DataFrame
    totals: pd.DataFrame


def _differences(a: pd.DataFrame, b: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    kpis = [c for c in a.columns if c not in (*KEYS, "channel", "sl_target") and pd.api.types.is_numeric_dtype(a[c])]
    long_a = a.melt(id_vars=["replication", *by], value_vars=kpis, var_name="kpi", value_name="base")
    long_b = b.melt(id_vars=["replication", *by], value_vars=kpis, var_name="kpi", value_name="variant")
    both = long_a.merge(long_b, on=["replication", *by, "kpi"])
    both["difference"] = both["variant"] - both["base"]
    g = both.groupby([*by, "kpi"], sort=False)
    n = g["difference"].count()
    out = pd.DataFrame({"base": g["base"].mean(), "variant": g["variant"].mean(),
                        "difference": g["difference"].mean()})
    out["paired_ci95"] = t_halfwidth(g["difference"].std() / np.sqrt(n), n)
    unpaired = np.sqrt(g["base"].var() / g["base"].count() + g["variant"].var() / g["variant"].count())
    out["unpaired_ci95"] = t_halfwidth(unpaired, n)
    return out.reset_index()


def compare(base: Scenario, variant: Scenario, replications: int = 10, seed: int | None = None,
            workers: int | None = None, dask: Any = None) -> Comparison:
    """Simulate both scenarios on the same seed and replications and pair their results.

    ``workers`` and ``dask`` choose the executor as in ``simulate``.
    """
    problems = [f"{variant.name}: {key} differs from {base.name}'s"
                for key in ("start", "horizon", "interval") if getattr(base, key) != getattr(variant, key)]
    if list(base.queues) != list(variant.queues):
        problems.append(f"{variant.name}: queues {list(variant.queues)} differ from {base.name}'s {list(base.queues)}")
    if problems:
        raise ScenarioError(problems)
    seed = base.seed if seed is None else seed
    a = simulate(base, replications=replications, seed=seed, workers=workers, dask=dask)
    b = simulate(variant, replications=replications, seed=seed, workers=workers, dask=dask)
    return Comparison(a, b, _differences(a.intervals, b.intervals, ["interval_start", "queue"]),
                      _differences(a.totals, b.totals, ["queue"]))
