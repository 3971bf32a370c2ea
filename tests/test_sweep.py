"""Sweeps: grids of variants, failures that do not stop the others, and resuming after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import grid, parse_axis, sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "normal_day.yaml"
AXES = ["groups.hotline_team.shifts.0.count=2:8:2", "queues.hotline.patience.mean=60,120"]


def test_axes_and_grids(tmp_path):
    assert parse_axis("a.b=1:2:0.5") == ("a.b", [1, 1.5, 2.0])
    assert parse_axis("a=x,y") == ("a", ["x", "y"])
    for bad in ("a", "a=", "a=5:1:1", "a=1:5:0"):
        with pytest.raises(ValueError):
            parse_axis(bad)
    assert len(grid(AXES)) == 8
    (tmp_path / "g.csv").write_text("groups.hotline_team.shifts.0.count,queues.hotline.sla.target\n4,0.8\n6,0.9\n")
    assert grid(grid_file=tmp_path / "g.csv") == [
        {"groups.hotline_team.shifts.0.count": 4, "queues.hotline.sla.target": 0.8},
        {"groups.hotline_team.shifts.0.count": 6, "queues.hotline.sla.target": 0.9}]


def test_sweep_table_and_a_failing_variant(tmp_path):
    variants = grid(AXES[:1]) + [{"groups.hotline_team.shifts.0.count": -3}]
    table = sweep(SCENARIO, variants, tmp_path, replications=2, workers=1)
    assert set(table["status"]) == {"ok", "error"}
    failed = table[table["status"] == "error"]
    assert "got -3" in failed["error"].item()
    ok = table[(table["status"] == "ok") & (table["queue"] == "hotline")]
    assert list(ok["groups.hotline_team.shifts.0.count"]) == [2, 4, 6, 8]
    assert ok["centre_agent_hours"].is_monotonic_increasing
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), table, check_dtype=False)
    assert (tmp_path / "sweep_sl.png").stat().st_size > 0


@pytest.mark.slow                  # starts and kills a process
def test_killed_sweep_resumes_to_the_same_table(tmp_path):
    args = [sys.executable, "run.py", "sweep", str(SCENARIO), *sum((["--set", a] for a in AXES), []),
            "-r", "2", "--workers", "1"]
    subprocess.run([*args, "--out", str(tmp_path / "whole")], cwd=ROOT, check=True, capture_output=True)
    killed = subprocess.Popen([*args, "--out", str(tmp_path / "part")], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = tmp_path / "part" / "variants"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(store.glob("*.csv"))) < 3:
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    done_before = len(list(store.glob("*.csv")))
    assert 3 <= done_before < 8 and not (tmp_path / "part" / "sweep.csv").exists()
    subprocess.run([*args, "--out", str(tmp_path / "part"), "--resume"], cwd=ROOT, check=True, capture_output=True)
    whole = pd.read_csv(tmp_path / "whole" / "sweep.csv")
    resumed = pd.read_csv(tmp_path / "part" / "sweep.csv")
    pd.testing.assert_frame_equal(whole, resumed)


def test_cli_sweep_errors(capsys):
    assert main(["sweep", str(SCENARIO)]) == 2
    assert "give one or more --set" in capsys.readouterr().err
    assert main(["sweep", str(SCENARIO), "--set", "a=5:1:1"]) == 2
    assert "START <= STOP" in capsys.readouterr().err


@pytest.mark.slow
def test_sweep_on_dask_equals_local(tmp_path):
    variants = grid(AXES[:1])[:2]
    local = sweep(SCENARIO, variants, tmp_path / "local", replications=2, workers=1)
    on_dask = sweep(SCENARIO, variants, tmp_path / "dask", replications=2, dask="local:2")
    pd.testing.assert_frame_equal(local, on_dask)


@pytest.mark.slow
def test_resume_does_not_reuse_results_of_another_run(tmp_path):
    variants = grid(AXES[:1])[:2]
    two = sweep(SCENARIO, variants, tmp_path, replications=2, workers=1)
    three = sweep(SCENARIO, variants, tmp_path, replications=3, workers=1, resume=True)
    fresh = sweep(SCENARIO, variants, tmp_path / "fresh", replications=3, workers=1)
    pd.testing.assert_frame_equal(three, fresh)
    assert not two.equals(three)
    with pytest.raises(ValueError):
        sweep(SCENARIO, [], tmp_path / "none")


def test_the_cheapest_variant_meeting_every_target_is_marked():
    """Per variant: cost and agent-hours, every target met or not; the cheapest meeting them all is the one
    marked (by cost where groups are priced, else by agent-hours), none where no variant meets them."""
    from sim.verdicts import sweep_variants

    rows = []
    for variant, (count, cost, a, b) in enumerate([(2, 100.0, 0.85, 0.70), (4, 120.0, 0.85, 0.82),
                                                    (6, 140.0, 0.90, 0.90), (3, 110.0, 0.79, 0.95)]):
        for queue, level in (("a", a), ("b", b)):
            rows.append({"variant": variant, "count": count, "status": "ok", "queue": queue, "service_level": level,
                         "sl_target": 0.8, "centre_agent_hours": 10.0 * count, "centre_cost": cost})
    table = pd.DataFrame(rows)
    side = sweep_variants(table, ["count"])
    assert side["every_target"].tolist() == [False, True, True, False]
    assert side.loc[side["cheapest"], "variant"].tolist() == [1]
    assert side["worst_queue"].tolist() == ["b", "b", "a", "a"]
    unpriced = sweep_variants(table.assign(centre_cost=np.nan, centre_agent_hours=[60, 60, 20, 20, 40, 40, 30, 30]),
                              ["count"])
    assert unpriced.loc[unpriced["cheapest"], "variant"].tolist() == [1]
    assert not sweep_variants(table.assign(sl_target=0.99), ["count"])["cheapest"].any()
