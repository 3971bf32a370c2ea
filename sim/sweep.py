"""Parameter sweeps: a grid of scenario variants, each simulated with replications, into one tidy table.

Axes are dotted scenario paths with a range ``20:40:5`` (inclusive) or a list ``10,15,20``; a grid file
(CSV or YAML list of mappings, one variant per row) is the alternative. Every finished variant is
written to ``<out>/variants/`` at once (atomically), so a sweep interrupted by Ctrl-C or ``kill -9`` and
restarted with ``resume=True`` skips what is done and ends with the same tables. A variant is only reused
when its overrides, replications, seed and base scenario file are all unchanged. A variant that fails
(say an invalid override) is recorded with its message and does not stop the others.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import kpis
from sim.files import read_yaml
from sim.outputs import OutputError, read_csv, write_csv
from sim.runner import dask_client, simulate
from sim.scenario import ScenarioError, load_scenario

MAX_VARIANTS = 10_000


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """``path=20:40:5`` (inclusive range) or ``path=10,15,20`` (list; values read as YAML) → (path, values).

    >>> parse_axis("groups.presales.shifts.0.count=20:30:5")
    ('groups.presales.shifts.0.count', [20, 25, 30])
    >>> parse_axis("surges.0.multiplier=10,15.5")
    ('surges.0.multiplier', [10, 15.5])
    """
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise ValueError(f"expected PATH=START:STOP:STEP or PATH=V1,V2,..., got {text!r}")
    if spec.count(":") == 2 and "," not in spec:
        start, stop, step = (_value(path, part) for part in spec.split(":"))
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
                      for v in (start, stop, step))
        if not numbers or step <= 0 or stop < start:
            raise ValueError(f"{path}: a range needs numbers START <= STOP and STEP > 0, got {spec!r}")
        count = int(np.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_VARIANTS:
            raise ValueError(f"{path}: {spec} makes {count:,} variants, more than {MAX_VARIANTS:,}; use a larger step")
        values = [start + k * step for k in range(count)]
        return path.strip(), [int(v) if all(isinstance(x, int) for x in (start, step)) else v for v in values]
    return path.strip(), [_value(path, v) for v in spec.split(",")]


def _value(path: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValueError(f"{path}: not a valid YAML value, got {text!r}") from None


def grid(axes: list[str] | None = None, grid_file: str | Path | None = None) -> list[dict[str, Any]]:
    """Variants as override mappings: the cartesian product of ``axes``, or the rows of ``grid_file``."""
    if grid_file is not None:
        path = Path(grid_file)
        try:
            rows = (pd.read_csv(path, encoding="utf-8-sig").to_dict("records") if path.suffix.lower() == ".csv"
                    else read_yaml(path))
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ValueError(f"{path}: cannot read the grid: {exc}") from None
        except ScenarioError as exc:
            raise ValueError(str(exc)) from None
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: expected a list of mappings (one variant per row)")
        if len(rows) > MAX_VARIANTS:
            raise ValueError(f"{path}: {len(rows):,} variants, more than {MAX_VARIANTS:,}")
        return [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in rows]
    parsed = [parse_axis(a) for a in axes or []]
    count = int(np.prod([len(values) for _, values in parsed], dtype=float))
    if count > MAX_VARIANTS:
        raise ValueError(f"the axes make {count:,} variants, more than {MAX_VARIANTS:,}")
    return [dict(zip([p for p, _ in parsed], combo)) for combo in itertools.product(*[v for _, v in parsed])]


def variant_id(overrides: dict[str, Any], run: dict[str, Any]) -> str:
    """A stable name for a variant's result: its overrides and what else decides it (``run``)."""
    text = json.dumps({"overrides": overrides, **run}, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _fingerprint(source) -> str:
    """The base scenario's content (the YAML file's bytes, or the dict), so a changed file is not resumed."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else json.dumps(
        source, sort_keys=True, default=str).encode()
    return hashlib.sha1(data).hexdigest()


def _write_atomically(path: Path, frame: pd.DataFrame) -> None:
    """``frame`` to ``path`` whole or not at all; a disk that cannot take it is an ``OutputError`` naming the
    file, and leaves no part of it behind.
    """
    tmp = path.with_suffix(".tmp")
    try:
        write_csv(frame, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write the variant's results: {exc.strerror or exc}; the variants "
                          f"finished so far are kept in {path.parent} (rerun with --resume)") from None


def run_variant(source, overrides: dict[str, Any], replications: int, seed: int | None,
                workers: int | None, dask: Any = None, max_memory: float | None = None) -> pd.DataFrame:
    """One row per queue: the variant's parameters and its horizon KPIs, or its error.

    ``centre_agent_hours`` is the whole centre's staffed agent-hours (every group) and ``centre_cost`` what
    its priced groups bill (NaN without prices), the same on every queue's row of a variant; ``sl_target``
    the queue's target.
    """
    try:
        sc = load_scenario(source, overrides=overrides)
        res = simulate(sc, replications=replications, seed=seed, workers=workers, dask=dask, max_memory=max_memory)
    except ScenarioError as exc:
        return pd.DataFrame([{**overrides, "status": "error", "error": " | ".join(exc.problems)}])
    summary = res.summary.set_index("queue")
    hours = res.group_totals["staffed_agent_s"].sum() / 3600
    cost = res.costs["cost"].sum() if res.costs is not None else np.nan
    rows = [{**overrides, "status": "ok", "error": "", "queue": queue, "centre_agent_hours": hours,
             "centre_cost": cost, "sl_target": sc.queues[queue].sla.target,
             **{k: summary.loc[queue, k] for k in kpis.swept() if k in summary.columns}}
            for queue in summary.index]
    return pd.DataFrame(rows)


def sweep(source, variants: list[dict[str, Any]], out: str | Path, replications: int = 10, seed: int | None = None,
          workers: int | None = None, dask: Any = None, resume: bool = False,
          progress: Callable[[int, int], None] | None = None, plots: bool = True,
          max_memory: float | None = None) -> pd.DataFrame:
    """Simulate every variant of ``source`` (a path or a dict) and return the tidy table (also written).

    Writes ``sweep.csv``, ``sweep.parquet`` and (``plots``) ``sweep_sl.png`` (and with conversation chats
    ``sweep_conversations.png``) to ``out``; finished variants
    are kept in ``out/variants/`` as they complete. ``progress(done, total)`` follows the variants.
    """
    if not variants:
        raise ValueError("a sweep needs at least one variant")
    out = Path(out)
    run = {"replications": replications, "seed": seed, "scenario": _fingerprint(source)}
    store = out / "variants"
    store.mkdir(parents=True, exist_ok=True)
    if not resume:
        for old in store.glob("*.csv"):
            old.unlink()
    parts = []
    with dask_client(dask) if dask is not None else nullcontext() as client:    # one cluster for all variants
        for k, overrides in enumerate(variants):
            path = store / f"{variant_id(overrides, run)}.csv"
            if not (resume and path.exists()):
                _write_atomically(path, run_variant(source, overrides, replications, seed, workers, client,
                                                    max_memory))
            parts.append(read_csv(path, keep_default_na=False, na_values=[""])
                         .assign(variant=k))
            if progress is not None:
                progress(k + 1, len(variants))
    table = pd.concat(parts, ignore_index=True)
    table = table[["variant", *[c for c in table.columns if c != "variant"]]]
    write_csv(table, out / "sweep.csv")
    table.to_parquet(out / "sweep.parquet", index=False)
    if plots:
        from sim import report
        targets = {q: spec.sla.target for q, spec in load_scenario(source).queues.items()}
        report.sweep_plot(table, list(variants[0]), out / "sweep_sl.png", targets)
        report.conversation_sweep_plot(table, list(variants[0]), out / "sweep_conversations.png")
    return table
