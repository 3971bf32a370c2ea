"""Malformed scenarios: every problem reported as `FILE: key.path: message, got VALUE`, exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = sorted((ROOT / "tests" / "bad_scenarios").glob("*.yaml"))


def expected_lines(path: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in path.read_text().splitlines()
            if line.startswith("# expect: ")]


def test_there_are_enough_bad_files():
    assert len(BAD) >= 12


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scenario_message(path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    relative = path.relative_to(ROOT)
    assert main(["check", str(relative)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{relative}: {line}" for line in expected_lines(path)]


@pytest.mark.slow
def test_cli_exit_code_without_traceback():
    bad = BAD[0].relative_to(ROOT)
    for args in (["check", str(bad)], ["run", str(bad)], [str(bad)], ["run", "no/such/file.yaml"]):
        proc = subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.strip()


def test_bad_override_is_reported():
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(ROOT / "scenarios" / "normal_day.yaml",
                          overrides={"groups.presales.shifts.9.count": 3, "groups.presale.headcount": 1})
    assert "groups.presales.shifts.9.count: no list item '9' (the list has 4), got 3" in str(err.value)
    assert "no key 'presale' (did you mean 'presales'?)" in str(err.value)


def test_bad_cli_override_value(capsys):
    assert main(["check", str(ROOT / "scenarios" / "normal_day.yaml"),
                 "--set", "queues.hotline.sla.target=1.5"]) == 2
    assert "queues.hotline.sla.target: input should be less than or equal to 1, got 1.5" in capsys.readouterr().err


def test_roster_errors_name_the_line(tmp_path):
    (tmp_path / "roster.csv").write_text("start,end,count\n08:00,17:00,5\n09:00,18:00,-2\n")
    data = sim.scenario.read_yaml(ROOT / "scenarios" / "normal_day.yaml")
    data["groups"]["hotline_team"] = {"skills": ["hotline"], "roster": "roster.csv"}
    path = tmp_path / "s.yaml"
    import yaml
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(path)
    assert "roster.csv line 3: count: input should be greater than or equal to 0, got '-2'" in str(err.value)


def test_unreadable_inputs_and_outputs(tmp_path, capsys):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: \xff\xfe\n")
    assert main(["check", str(latin)]) == 2
    assert capsys.readouterr().err.strip() == f"{latin}: not UTF-8 text (byte 6); save the file as UTF-8"
    normal = str(ROOT / "scenarios" / "normal_day.yaml")
    assert main(["check", normal, "--set", "queues.hotline.sla.target=["]) == 2
    assert "--set queues.hotline.sla.target: value is not valid YAML, got '['" in capsys.readouterr().err
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["run", normal, "--out", str(blocker), "--no-plots"]) == 2
    assert capsys.readouterr().err == f"--out {blocker}: is a file; give a folder\n"
    assert main(["run", normal, "-r", "1", "--out", str(blocker / "below"), "--no-plots"]) == 2
    assert f"--out {blocker / 'below'}: cannot write there" in capsys.readouterr().err
