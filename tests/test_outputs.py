"""Nothing lost, nothing overwritten without asking, nothing half-written; files Excel reads right."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.outputs import OutputError, choose, staged, write_csv

ROOT = Path(__file__).resolve().parent.parent
NORMAL_DAY = str(ROOT / "scenarios" / "normal_day.yaml")


def test_a_second_run_goes_to_a_new_folder_and_records_its_overrides(tmp_path, monkeypatch, capsys):
    """The planner's sequence that lost the first run: the same scenario twice, the second with --set."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", NORMAL_DAY, "-r", "2", "--no-plots"]) == 0
    first = json.loads((tmp_path / "results" / "normal_day" / "manifest.json").read_text())
    assert main(["run", NORMAL_DAY, "-r", "2", "--no-plots", "--set", "groups.hotline_team.shifts.0.count=14"]) == 0
    assert "results/normal_day_2 (results/normal_day holds an earlier run" in capsys.readouterr().out
    second = json.loads((tmp_path / "results" / "normal_day_2" / "manifest.json").read_text())
    assert json.loads((tmp_path / "results" / "normal_day" / "manifest.json").read_text()) == first
    assert first["overrides"] == {} and second["overrides"] == {"groups.hotline_team.shifts.0.count": 14}
    assert second["scenario_file"] == NORMAL_DAY and len(second["scenario_sha256"]) == 64
    assert "--set" in second["command"]


def test_an_explicit_folder_is_replaced_only_when_asked(tmp_path, capsys):
    out = tmp_path / "mine"
    assert main(["run", NORMAL_DAY, "-r", "2", "--no-plots", "--out", str(out)]) == 0
    before = (out / "summary.csv").read_bytes()
    assert main(["run", NORMAL_DAY, "-r", "2", "--no-plots", "--out", str(out), "--seed", "9"]) == 2
    assert f"--out {out}: already holds results; choose another --out, or add --overwrite" in capsys.readouterr().err
    assert (out / "summary.csv").read_bytes() == before
    assert main(["run", NORMAL_DAY, "-r", "2", "--no-plots", "--out", str(out), "--seed", "9", "--overwrite"]) == 0
    assert (out / "summary.csv").read_bytes() != before
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]                # no staging folder left behind


def test_a_failing_block_leaves_nothing(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), staged(target) as (tmp,):
        tmp.mkdir()
        (tmp / "half.csv").write_text("a,b\n")
        raise RuntimeError("the simulation failed")
    assert list(tmp_path.iterdir()) == []


def test_choose_numbers_default_folders_and_refuses_files_for_folders(tmp_path):
    default = tmp_path / "results" / "x"
    assert choose(None, default) == default
    default.mkdir(parents=True)
    assert choose(None, default) == default                       # empty: still free
    (default / "a").write_text("")
    assert choose(None, default) == default.with_name("x_2")
    assert choose(None, default, overwrite=True) == default
    with pytest.raises(OutputError, match="is a file; give a folder"):
        choose(default / "a", default)


def test_csv_files_open_in_excel_with_chinese_names(tmp_path):
    """A UTF-8 byte-order mark at the start only: Excel on a Chinese Windows laptop reads 热线 right."""
    path = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"queue": ["热线"], "x": [1]}), path)
    write_csv(pd.DataFrame({"queue": ["售前"], "x": [2]}), path, append=True)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    assert pd.read_csv(path, encoding="utf-8-sig")["queue"].tolist() == ["热线", "售前"]


def test_excel_workbook_and_worst_intervals(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", NORMAL_DAY, "-r", "3", "--no-plots", "--excel", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    book = pd.read_excel(out / "results.xlsx", sheet_name=None)
    assert {"summary", "days", "worst_intervals", "group_totals", "interval_means", "group_means"} <= set(book)
    assert len(book["interval_means"]) == 96 * 3
    worst = pd.read_csv(out / "worst_intervals.csv", encoding="utf-8-sig")
    assert worst["p_meets_sl"].is_monotonic_increasing and (worst["offered"] > 0).all()
    assert ("intervals least likely to meet their target" in printed) == bool((worst["p_meets_sl"] < 1).any())


def test_a_sweep_that_cannot_write_says_so(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["sweep", NORMAL_DAY, "--set", "seed=1,2", "-r", "1", "--out", str(blocker / "sweep")]) == 2
    err = capsys.readouterr().err
    assert str(blocker) in err and "Traceback" not in err


def test_a_full_temporary_disk_is_found_before_the_run(tmp_path, capsys, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))
    assert main(["run", NORMAL_DAY, "-r", "3", "--no-plots", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "the run's tables need about" in err and "set TMPDIR to a larger disk" in err
    assert not (tmp_path / "r").exists()


def test_a_disk_that_fills_during_the_run_is_reported(tmp_path, capsys, monkeypatch):
    import errno

    from sim.store import TableStore

    def full(self, replication, table):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(TableStore, "write", full)
    assert main(["run", NORMAL_DAY, "-r", "2", "--workers", "1", "--no-plots", "--out", str(tmp_path / "r")]) == 2
    assert "cannot keep the run's tables: No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_workbook_reads_as_a_service_manager_expects(tmp_path):
    """Headers in words (Chinese for a shop with Chinese names), service levels as percentages, agent time in
    hours, whole counts without decimals, the header frozen, columns wide enough; the numbers are the
    tables' (hours = agent-seconds / 3600)."""
    import openpyxl
    import yaml

    from tests.conftest import single_queue

    data = single_queue(load=5.0, days=1)
    data["queues"] = {"热线": data["queues"]["q"]}
    data["groups"] = {"热线组": {"skills": ["热线"], "headcount": 8}}
    path, out = tmp_path / "cn.yaml", tmp_path / "run"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["run", str(path), "-r", "2", "--workers", "1", "--no-plots", "--excel", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert {"汇总", "按天", "技能组"} <= set(book.sheetnames)
    summary = book["汇总"]
    headers = [c.value for c in summary[1]]
    level = summary.cell(row=2, column=headers.index("服务水平") + 1)
    assert level.number_format == "0.0%" and 0 < level.value <= 1
    assert summary.freeze_panes == "A2" and summary.column_dimensions["A"].width >= 8
    assert summary.cell(row=2, column=headers.index("放弃量") + 1).number_format in ("#,##0", "#,##0.0")
    groups = book["技能组"]
    headers = [c.value for c in groups[1]]
    totals = pd.read_csv(out / "group_totals.csv", encoding="utf-8-sig")
    assert groups.cell(row=2, column=headers.index("在岗工时 (小时)") + 1).value == pytest.approx(
        totals["staffed_agent_s"].iloc[0] / 3600)


def test_a_name_that_looks_like_a_formula_is_written_as_text(tmp_path):
    """A queue named '=1+1' and a group '@SUM(A1)' (from someone's export): every CSV holds them behind an
    apostrophe, the workbook as text cells, never as formulas; the page reads them back as they were."""
    import openpyxl
    import yaml

    from tests import pages
    from tests.conftest import single_queue

    data = single_queue(load=5.0, days=1)
    data["queues"] = {"=1+1": data["queues"]["q"]}
    data["groups"] = {"@SUM(A1)": {"skills": ["=1+1"], "headcount": 8, "cost": {"per_hour": 30}}}
    path, out = tmp_path / "f.yaml", tmp_path / "run"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["run", str(path), "-r", "2", "--workers", "1", "--no-plots", "--excel", "--contacts",
                 "--out", str(out)]) == 0
    for csv in out.glob("*.csv"):
        text = csv.read_text(encoding="utf-8-sig")
        assert not any(cell.startswith(("=", "@")) for line in text.splitlines() for cell in line.split(",")), csv
    assert "'=1+1" in (out / "summary.csv").read_text(encoding="utf-8-sig")
    book = openpyxl.load_workbook(out / "results.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == "=1+1" for c in cells) and all(c.data_type != "f" for c in cells)
    assert pages.parse(out / "report.html").column("verdict", "queue") == ["=1+1"]


def test_a_run_finishing_second_into_the_same_folder_keeps_both(tmp_path, capsys, monkeypatch):
    """Two runs started at once into the same default folder: the one finishing second does not replace
    the first's results, it goes to the next free folder and says so; --overwrite replaces."""
    monkeypatch.chdir(tmp_path)
    from sim.outputs import choose

    target = choose(None, tmp_path / "results" / "normal_day")
    with staged(target) as stage:                      # the first run, still working
        (first,) = stage
        first.mkdir()
        (first / "summary.csv").write_text("first")
        assert main(["run", NORMAL_DAY, "-r", "2", "--workers", "1", "--no-plots"]) == 0      # finishes first
    assert stage.final == [tmp_path / "results" / "normal_day_2"]
    assert (tmp_path / "results" / "normal_day" / "manifest.json").is_file()
    assert (tmp_path / "results" / "normal_day_2" / "summary.csv").read_text() == "first"
    with staged(target, replace=True) as stage:
        (again,) = stage
        again.mkdir()
        (again / "summary.csv").write_text("again")
    assert stage.final == [target] and (target / "summary.csv").read_text() == "again"
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["normal_day", "normal_day_2"]


def test_what_a_killed_run_left_behind_is_removed_by_the_next(tmp_path):
    """A kill -9 leaves the run's temporary tables (sim-<pid>-...) and a staged results folder: the next run
    removes those of processes that are gone, and keeps those of processes still running."""
    import os
    import subprocess
    import sys

    from sim.outputs import private_folder, remove_stale

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = tmp_path / f"sim-{dead}-abc"
    left.mkdir()
    (left / "intervals.npy").write_bytes(b"x")
    mine = private_folder(tmp_path, "sim-")
    assert mine.name.startswith(f"sim-{os.getpid()}-")
    assert remove_stale(tmp_path, "sim-") == [left] and mine.is_dir() and not left.exists()


def test_a_sweep_on_a_full_disk_names_the_file_and_leaves_no_part(tmp_path, capsys, monkeypatch):
    import errno

    import sim.sweep

    def full(frame, path, append=False):
        Path(path).write_text("part")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(sim.sweep, "write_csv", full)
    out = tmp_path / "sw"
    assert main(["sweep", NORMAL_DAY, "--set", "seed=1,2", "-r", "1", "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'variants'}" in err and "No space left on device" in err and "--resume" in err
    assert list((out / "variants").glob("*.tmp")) == []


@pytest.mark.parametrize("where", [".", "", ".."])
def test_an_output_folder_that_cannot_be_meant_is_refused_before_the_run(where, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("keep")
    assert main(["run", NORMAL_DAY, "-r", "1", "--out", where, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert ("empty path" in err) if where == "" else ("is the folder you are in" in err)
    assert "simulating" not in err and (tmp_path / "mine.txt").read_text() == "keep"


def test_a_home_folder_path_is_expanded(tmp_path, monkeypatch):
    from sim.outputs import choose

    monkeypatch.setenv("HOME", str(tmp_path))
    assert choose("~/runs/x", "results/x") == tmp_path / "runs" / "x"
