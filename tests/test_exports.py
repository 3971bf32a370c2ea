"""Import profiles: a raw export (times of day with a date column, sentinels, an outcome column, pooled
queue names) read through a small YAML file; the real Anonymous Bank records calibrate through one."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from calibration import calibrate, read_log
from calibration.exports import read_profile
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "calibration" / "examples" / "anonymous_bank_export.yaml"
JANUARY = ROOT.parent / "shared" / "data" / "anonymous-bank" / "january1999.txt"
HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\t"
          "q_time\toutcome\tser_start\tser_exit\tser_time\tserver")


def _row(customer, kind, date, vru_exit, q_start, q_exit, outcome, ser_start, ser_time, server) -> str:
    return "\t".join(["AA0101", "1", customer, "0", kind, date, "0:00:00", vru_exit, "0", q_start, q_exit, "0",
                      outcome, ser_start, "0:00:00", ser_time, server])


ROWS = [
    _row("12", "PS", "990105", "9:00:05", "9:00:05", "9:00:40", "AGENT", "9:00:40", "120", "ANN"),     # line 2
    _row("0", "NW", "990105", "9:10:00", "0:00:00", "0:00:00", "AGENT", "9:10:02", "60", "BOB"),      # no queue
    _row("0", "PS", "990105", "9:20:00", "9:20:00", "9:21:30", "HANG", "0:00:00", "0", "NO_SERVER"),  # abandoned
    _row("0", "PS", "990105", "9:30:00", "0:00:00", "0:00:00", "HANG", "0:00:00", "0", "NO_SERVER"),  # in the VRU
    _row("0", "PS", "990105", "9:40:00", "0:00:00", "0:00:00", "PHANTOM", "0:00:00", "0", "NO_SERVER"),
    _row("0", "IN", "990105", "23:59:50", "23:59:50", "0:00:20", "AGENT", "0:00:20", "30", "NO_SERVER"),  # midnight
    _row("7", "TT", "990105", "10:00:00", "10:00:00", "10:00:10", "TRANSFER", "10:00:10", "5", "ANN"),    # unmapped
]


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "raw.txt"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return path


def test_a_raw_export_reads_through_its_profile(export):
    log = read_log(export, profile=read_profile(PROFILE))
    rows = log.rows.set_index("line")
    assert sorted(rows.index) == [2, 3, 4, 7]
    assert rows.loc[2, "queue"] == "retail" and rows.loc[7, "queue"] == "internet"
    assert rows.loc[3, "arrival_time"] == pd.Timestamp("1999-01-05 09:10:00")      # from the VRU exit
    assert rows.loc[4, "abandon_time"] == pd.Timestamp("1999-01-05 09:21:30") and pd.isna(rows.loc[4, "answer_time"])
    assert rows.loc[7, "answer_time"] == pd.Timestamp("1999-01-06 00:00:20")        # after midnight
    assert rows.loc[7, "agent"] == "" and rows.loc[3, "caller"] == ""                 # sentinels read as missing
    assert log.bad == {"outcome PHANTOM (ignored by the import profile)": [6],
                       "an outcome the import profile does not map (outcome)": [8],
                       "an abandon without a time: the caller left before asking for an agent": [5]}


def test_profiles_are_checked(tmp_path, export):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {arrival: q_start}\n")
    with pytest.raises(ValueError, match="'arrival' is not a log column"):
        read_profile(bad)
    bad.write_text("columns: {arrival_time: q_begin}\n")
    assert main(["calibrate", str(export), "--profile", str(bad), "--out", str(tmp_path / "x.yaml")]) == 2


def january() -> Path:
    """The real January records. They sit beside the checkout (``shared/data`` next to it); without them
    the test skips, unless ``SIM_REQUIRE_DATA`` is set (CI sets it: ``.ci/run``), where it fails.
    """
    if not JANUARY.exists():
        if os.environ.get("SIM_REQUIRE_DATA"):
            pytest.fail(f"SIM_REQUIRE_DATA is set but {JANUARY} is missing")
        pytest.skip("the Anonymous Bank data sits beside the checkout")
    return JANUARY


def test_the_january_records_calibrate_through_the_profile():
    """Every row is fitted or listed with its reason; the true bad rows are well under 1%."""
    result = calibrate(january(), interval=900, profile=read_profile(PROFILE))
    log = result.log
    total = len(log.rows) + log.bad_count
    assert total == 31599
    by_design = sum(len(lines) for kind, lines in log.bad.items() if "import profile" in kind or "VRU" in kind
                    or "before asking" in kind)
    assert (log.bad_count - by_design) / total < 0.01
    assert set(result.fits) == {"retail", "internet"}
    assert any("1999-01-11, 1999-01-12" in note and "outages" in note for note in result.notes)
