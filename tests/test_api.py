"""Public API, output tables, results folder and command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.units import parse_duration, parse_time_of_day

ROOT = Path(__file__).resolve().parent.parent
INTERVAL_COLUMNS = ["replication", "interval_start", "queue", "channel", "offered", "answered", "abandoned",
                    "answered_within_sl", "abandoned_within_sl", "service_level", "abandon_rate", "asa_s",
                    "mean_wait_s", "max_wait_s", "max_queue_len"]
GROUP_COLUMNS = ["replication", "interval_start", "group", "agents_on_shift", "busy_agent_s", "occupancy"]


def test_public_api():
    assert sim.__all__ == ["Comparison", "Results", "Scenario", "ScenarioError", "compare", "load_scenario",
                           "simulate"]


@pytest.mark.parametrize(("text", "seconds"), [(90, 90), ("90", 90), ("90s", 90), ("15min", 900),
                                               ("2h", 7200), ("3d", 259200), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_time_of_day_and_yaml_sexagesimal():
    assert parse_time_of_day("08:30") == 30600 and parse_time_of_day(960) == 57600   # YAML reads 16:00 as 960
    with pytest.raises(ValueError):
        parse_time_of_day("8h")


@pytest.fixture(scope="module")
def normal_day():
    return sim.load_scenario(ROOT / "scenarios" / "normal_day.yaml")


@pytest.fixture(scope="module")
def two_replications(normal_day):
    return sim.simulate(normal_day, replications=2, seed=3)


def test_tables_have_the_documented_columns(two_replications, normal_day):
    res = two_replications
    assert INTERVAL_COLUMNS == [c for c in res.intervals.columns if c in INTERVAL_COLUMNS]
    assert set(GROUP_COLUMNS) <= set(res.groups.columns)
    assert len(res.intervals) == 2 * normal_day.n_intervals * len(normal_day.queues)
    assert len(res.groups) == 2 * normal_day.n_intervals * len(normal_day.groups)
    summary = res.summary.set_index("queue")
    assert list(summary.index) == list(normal_day.queues)
    assert summary["service_level_ci95"].notna().all()
    occupancy = res.groups["occupancy"].dropna()
    assert ((occupancy >= 0) & (occupancy <= 1 + 1e-9)).all()


def test_replications_differ_and_seed_reproduces(two_replications, normal_day):
    iv = two_replications.intervals
    assert not iv[iv.replication == 0]["offered"].equals(iv[iv.replication == 1]["offered"])
    again = sim.simulate(normal_day, replications=2, seed=3)
    pd.testing.assert_frame_equal(two_replications.intervals, again.intervals)
    pd.testing.assert_frame_equal(two_replications.summary, again.summary)


def test_save_writes_a_self_explaining_folder(two_replications, tmp_path):
    out = two_replications.save(tmp_path / "run")
    for name in ("intervals.csv", "groups.csv", "summary.csv", "interval_stats.csv", "group_stats.csv",
                 "sla_probability.csv",
                 "scenario.yaml", "manifest.json",
                 "service_level.png", "volumes.png", "occupancy.png"):
        assert (out / name).stat().st_size > 0, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["replications"] == 2
    assert {"version", "git_commit", "runtime_s", "simpy_events"} <= set(manifest)
    # The resolved scenario reproduces the run.
    rerun = sim.simulate(sim.load_scenario(out / "scenario.yaml"), replications=2, seed=3)
    pd.testing.assert_frame_equal(rerun.intervals, two_replications.intervals)


def test_roster_and_profile_csv_equal_their_inline_forms(tmp_path, normal_day):
    data = sim.scenario.read_yaml(ROOT / "scenarios" / "normal_day.yaml")
    rows = ["start,end,count,breaks"]
    for s in data["groups"]["hotline_team"]["shifts"]:
        breaks = ";".join(f"{b['at']}/{b['duration']}" for b in s.get("breaks", []))
        rows.append(f"{s['start']},{s['end']},{s['count']},{breaks}")
    (tmp_path / "hotline.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "calls.csv").write_text("hour,weight\n" + "\n".join(
        f"{h},{w}" for h, w in enumerate(sim.profiles.BUILTIN_PROFILES["ecommerce_call"])) + "\n")
    data["groups"]["hotline_team"] = {"skills": ["hotline"], "roster": "hotline.csv"}
    data["queues"]["hotline"]["arrivals"]["profile"] = "calls.csv"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    from_csv = sim.load_scenario(tmp_path / "s.yaml")
    assert from_csv == normal_day
    pd.testing.assert_frame_equal(sim.simulate(from_csv).intervals, sim.simulate(normal_day).intervals)


def test_overrides_by_dotted_path(normal_day):
    sc = sim.load_scenario(ROOT / "scenarios" / "normal_day.yaml",
                           overrides={"groups.presales.shifts.0.count": 30, "queues.hotline.sla.target": 0.9})
    assert sc.groups["presales"].shifts[0].count == 30 and sc.queues["hotline"].sla.target == 0.9
    assert normal_day.groups["presales"].shifts[0].count == 6


def test_chinese_names(tmp_path):
    data = sim.scenario.read_yaml(ROOT / "tests" / "bad_scenarios" / "negative_volume.yaml")
    data["queues"] = {"售前咨询": {**data["queues"]["hotline"], "arrivals": {"daily_volume": 500}}}
    data["groups"]["team"]["skills"] = ["售前咨询"]
    res = sim.simulate(sim.load_scenario(data))
    assert res.summary["queue"].tolist() == ["售前咨询"]
    res.save(tmp_path, plots=False)
    assert "售前咨询" in (tmp_path / "scenario.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_run_writes_results_and_prints_a_summary(tmp_path):
    proc = subprocess.run([sys.executable, "run.py", "run", "scenarios/normal_day.yaml", "-r", "2",
                           "--seed", "4", "--out", str(tmp_path), "--contacts"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "presales_chat" in proc.stdout and "service level" in proc.stdout
    assert {"intervals.csv", "contacts.csv", "agents.csv", "manifest.json"} <= {p.name for p in tmp_path.iterdir()}
    check = subprocess.run([sys.executable, "run.py", "check", "scenarios/double11.yaml"],
                           cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0 and "OK" in check.stdout
