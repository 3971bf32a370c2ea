"""The command line as a new planner meets it: help, defaults, progress in logs, interrupts, schema."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
NORMAL_DAY = str(ROOT / "scenarios" / "normal_day.yaml")


def test_help_shows_defaults_and_describes_every_option(capsys):
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    assert "(default: 10)" in text and "replications of the horizon" in text
    assert "--max-memory" in text and "--overwrite" in text and "--excel" in text


def test_a_plain_run_has_confidence_intervals(tmp_path, capsys):
    """Ten replications by default: a service level with a CI, and P(SLA) strictly between 0 and 1 possible."""
    assert main(["run", NORMAL_DAY, "--no-plots", "--out", str(tmp_path / "r")]) == 0
    summary = __import__("pandas").read_csv(tmp_path / "r" / "summary.csv", encoding="utf-8-sig")
    assert (summary["replications"] == 10).all() and summary["service_level_ci95"].notna().all()


def test_progress_goes_to_logs_when_not_on_a_terminal(tmp_path, capsys):
    assert main(["run", NORMAL_DAY, "-r", "4", "--workers", "1", "--no-plots", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("simulating normal_day: 1/4 replications")
    assert err[-1].startswith("simulating normal_day: 4/4 replications")


@pytest.mark.parametrize(("args", "message"), [
    (["run", NORMAL_DAY, "--seed", "-1"], "argument --seed: must be a whole number >= 0, got '-1'"),
    (["run", NORMAL_DAY, "-r", "0"], "argument -r/--replications: must be a whole number >= 1, got '0'"),
    (["sweep", NORMAL_DAY, "--set", "seed=[,2"], "sweep: seed: not a valid YAML value, got '['"),
    (["sweep", NORMAL_DAY, "--set", "seed=0:1.0e+12:1.0"], "sweep: seed: 0:1.0e+12:1.0 makes 1,000,000,000,001 "
                                                          "variants, more than 10,000; use a larger step"),
    (["sweep", NORMAL_DAY, "--set", "seed=1:11:1", "--set", "groups.night.shifts.0.count=1:10:1",
      "--set", "groups.night.shifts.1.count=1:100:1"], "sweep: the axes make 11,000 variants, more than 10,000"),
])
def test_command_line_mistakes_are_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                  # were a mistake missed, its results would land here
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_a_bad_grid_file_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grid = tmp_path / "grid.yaml"
    grid.write_text("- {a: [\n")
    assert main(["sweep", NORMAL_DAY, "--grid", str(grid)]) == 2
    assert capsys.readouterr().err.startswith(f"sweep: {grid}: line 2: invalid YAML")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_progress(proc: subprocess.Popen) -> list[str]:
    lines = []
    while not any("replications" in line for line in lines):
        line = proc.stderr.readline()
        assert line, "the run ended before making progress"
        lines.append(line)
    return lines


def _alive(pids: list[str]) -> list[str]:
    def running(pid: str) -> bool:
        try:
            return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
    return [pid for pid in pids if running(pid)]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_during_a_parallel_run_ends_cleanly(tmp_path):
    """Ctrl-C reaches the whole process group: no traceback from the parent or its workers, exit 130, nothing
    half-written, the workers gone."""
    proc = _start(["run", str(ROOT / "scenarios" / "double11.yaml"), "-r", "200", "--workers", "2", "--no-plots",
                   "--out", "out"], tmp_path)
    _wait_for_progress(proc)
    workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted: nothing was written" in err
    assert list(tmp_path.iterdir()) == []
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(workers)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_do_not_outlive_a_killed_parent(tmp_path):
    """kill -9 of the parent: its workers notice within a second or two and exit (they ran on for minutes)."""
    proc = _start(["run", str(ROOT / "scenarios" / "double11.yaml"), "-r", "200", "--workers", "2", "--no-plots",
                   "--out", "out"], tmp_path)
    _wait_for_progress(proc)
    workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert workers
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(workers)


def _as_an_editor_reads(path: Path):
    """YAML as editors read it for a JSON Schema: dates and times stay text."""
    class Loader(yaml.SafeLoader):
        pass
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


def test_the_json_schema_accepts_the_examples_and_catches_a_typo(tmp_path, capsys):
    assert main(["schema", "--out", str(tmp_path / "scenario.schema.json")]) == 0
    schema = json.loads((tmp_path / "scenario.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    examples = [*sorted((ROOT / "scenarios").glob("*.yaml")), ROOT / "calibration" / "examples" / "shop.yaml"]
    for path in examples:
        assert list(validator.iter_errors(_as_an_editor_reads(path))) == [], path
    data = _as_an_editor_reads(examples[0])
    next(iter(data["groups"].values()))["headcont"] = 3
    assert ["Additional properties are not allowed ('headcont' was unexpected)"] == [
        e.message for e in validator.iter_errors(data)]


def test_terminal_tables_never_split_a_number_or_a_word(tmp_path, capsys, monkeypatch):
    """At 60 columns in a log, the groups' costs and the summary's figures are printed whole (the table is
    as wide as it needs), where rich used to fold '¥135,320' over two lines; nothing reads 'nan' or '-0'."""
    import re

    monkeypatch.setenv("COLUMNS", "60")
    assert main(["run", str(ROOT / "scenarios" / "double11_plan.yaml"), "-r", "2", "--workers", "1", "--no-plots",
                 "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    costs = re.findall(r"¥[\d,]+", out)
    summary = pd.read_csv(tmp_path / "r" / "costs.csv", encoding="utf-8-sig")
    assert f"¥{summary['cost'].sum():,.0f}" in costs
    assert all(f"¥{c:,.0f}" in costs for c in summary["cost"])
    assert "nan" not in out and not re.search(r"(?<![\w.])-0(\.0+)?(?![\d.])", out)
    assert max(len(line) for line in out.splitlines()) > 60           # wider than the screen, not folded
