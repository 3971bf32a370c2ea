"""Mutants of the example scenarios and malformed contact logs: every command either works or exits 2 with
one line per problem naming the file (and, for scenarios, the key path); never a traceback, never a hang.

Mutations: wrong types, flipped signs, values scaled by up to 1e300, special floats, impossible dates,
deleted, renamed and duplicated keys. Runs use ``--max-memory 1G`` so that what fits also finishes fast.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from calibration import synthetic_log
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {name: yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
            for name in ("normal_day", "double11", "double11_refunds")}
SECONDS_ALLOWED = 60.0
# CI replays the same 120 mutants each time; FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 searches afresh.
fuzz = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")), deadline=None,
                derandomize=not os.environ.get("FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])  # capsys is read after each command


def _slots(node, path=()):
    """Every (container, key, path) of a parsed scenario, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield node, key, (*path, str(key))
        yield from _slots(value, (*path, str(key)))


WRONG = ["abc", [1, 2], {"x": 1}, None, True, [["hotline"]], "", "9999-12-31", "2026-02-30", "25:61", 10**30, -0.0,
         1e308, "1e400", "10min", "售前", {"dist": "lognormal"}, [], {}, "../../etc"]
SCALES = [-1.0, 0.0, 1e-9, 1e-3, 1e3, 1e6, 1e12, 1e300]


def _mutate(doc: dict, data) -> None:
    container, key, _ = data.draw(st.sampled_from(list(_slots(doc))))
    kind = data.draw(st.sampled_from(["wrong", "scale", "special", "delete", "rename", "duplicate", "key"]))
    value = container[key]
    if kind == "wrong":
        container[key] = copy.deepcopy(data.draw(st.sampled_from(WRONG)))
    elif kind == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
        scaled = value * data.draw(st.sampled_from(SCALES))
        container[key] = int(scaled) if isinstance(value, int) and abs(scaled) < 2**62 else scaled
    elif kind == "special":
        container[key] = data.draw(st.sampled_from([math.nan, math.inf, -math.inf, 2**70]))
    elif kind == "delete":
        del container[key]
    elif kind == "rename" and isinstance(container, dict):
        container[f"{key}x"] = container.pop(key)
    elif kind == "duplicate" and isinstance(container, list):
        container.append(copy.deepcopy(value))
    elif kind == "duplicate":
        container[f"{key}_copy"] = copy.deepcopy(value)
    elif kind == "key" and isinstance(container, dict):
        container[data.draw(st.sampled_from([5, 2.5, "a.b", "售 前", " x"]))] = container.pop(key)


def _expect_clean(code: int, err: str, path: Path, seconds: float) -> None:
    assert seconds < SECONDS_ALLOWED, f"took {seconds:.0f} s"
    assert code in (0, 2), err
    assert "Traceback" not in err
    problems = [line for line in err.splitlines() if line and not line.startswith(("warning: ", "simulating "))]
    if code == 2:
        assert problems, "exit 2 without a message"
        for line in problems:
            assert line.startswith(f"{path}: ") and len(line) < 400, line


@pytest.mark.slow
@fuzz
@given(data=st.data())
def test_scenario_mutants_are_checked_and_run_or_refused(data, capsys):
    name = data.draw(st.sampled_from(sorted(EXAMPLES)))
    doc = copy.deepcopy(EXAMPLES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        began = time.perf_counter()
        code = main(["check", str(path)])
        _expect_clean(code, capsys.readouterr().err, path, time.perf_counter() - began)
        if code == 0:
            began = time.perf_counter()
            code = main(["run", str(path), "-r", "1", "--workers", "1", "--no-plots", "--max-memory", "1G",
                         "--out", str(Path(folder) / "out")])
            _expect_clean(code, capsys.readouterr().err, path, time.perf_counter() - began)


def _valid_log() -> pd.DataFrame:
    sc = sim.load_scenario(ROOT / "calibration" / "examples" / "shop.yaml", overrides={"horizon": "2d"})
    return synthetic_log(sc, seed=3).head(400).astype(str).replace({"NaT": "", "nan": ""})


VALID_LOG = _valid_log()
CELLS = ["", "garbage", "-5", "1e300", "nan", "1900-01-01 00:00:00", "2200-12-31 23:59:59",
         "2026-09-07T10:00:00+08:00", "2026-09-07T10:00:00Z", "2026-02-30 10:00:00", "售前", "fax", "../x", "0",
         "10:00", "\x00"]


@pytest.mark.slow
@fuzz
@given(data=st.data())
def test_malformed_logs_are_calibrated_or_refused(data, capsys):
    log = VALID_LOG.copy()
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["cell", "column", "drop", "rows", "rename", "zone"]))
        column = data.draw(st.sampled_from(list(log.columns)))
        if kind == "cell" and len(log):
            rows = data.draw(st.lists(st.integers(0, len(log) - 1), min_size=1, max_size=30))
            log.loc[log.index[rows], column] = data.draw(st.sampled_from(CELLS))
        elif kind == "column":
            log[column] = data.draw(st.sampled_from(CELLS))
        elif kind == "drop":
            log = log.drop(columns=[column])
        elif kind == "rows":
            log = log.head(data.draw(st.integers(0, 3)))
        elif kind == "rename":
            log = log.rename(columns={column: data.draw(st.sampled_from(["x", "arrival_time", "queue", "队列"]))})
        elif kind == "zone" and column.endswith("_time"):
            log[column] = log[column].where(log[column] == "", log[column] + data.draw(st.sampled_from(
                ["+08:00", "Z", "-05:00"])))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        log.to_csv(path, index=False)
        out = Path(folder) / "cal.yaml"
        began = time.perf_counter()
        code = main(["calibrate", str(path), "--out", str(out), "--no-plots"])
        err = capsys.readouterr().err
        assert time.perf_counter() - began < SECONDS_ALLOWED
        assert code in (0, 2) and "Traceback" not in err, err
        problems = [line for line in err.splitlines() if line and not line.startswith("warning: ")]
        if code == 2:
            assert problems and all(line.startswith((f"{path}", "--")) for line in problems), err
            assert not out.exists()
        else:
            assert main(["check", str(out)]) == 0, capsys.readouterr().err
            capsys.readouterr()
