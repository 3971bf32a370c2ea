"""Out-of-sample back-test: a scenario calibrated on two weeks judged on the third, beside the baselines."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from calibration import calibrate, read_log, synthetic_log
from calibration.holdout import holdout
from calibration.logs import Log
from sim.cli import main
from tests.test_calibration import call_centre

COLUMNS = ["queue", "kpi", "model", "n", "history_mean", "forecast_mean", "mae", "bias", "in_band"]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Three weeks of a known call centre; a scenario calibrated on the first two; the whole log."""
    folder = tmp_path_factory.mktemp("holdout")
    path = folder / "calls.csv"
    synthetic_log(call_centre(days=21, cv=0.0)).to_csv(path, index=False)
    log = read_log(path)
    train = Log(log.path, log.rows[log.rows["arrival_time"] < "2026-09-21"].reset_index(drop=True))
    scenario = folder / "calls.yaml"
    scenario.write_text(yaml.safe_dump(calibrate(train, interval=900).scenario))
    return scenario, path, log


def test_the_service_model_of_a_right_scenario_holds_on_the_held_out_week(history):
    """History volumes: the simulation's bias is small and the history mostly inside its band."""
    scenario, _, log = history
    test = holdout(scenario, log, replications=10, seed=3, volumes="history", since=pd.Timestamp("2026-09-21"))
    assert list(test.errors.columns) == COLUMNS
    assert set(test.errors["model"]) == {"simulation", "last_week", "erlang_a"}
    sim_rows = test.errors[test.errors["model"] == "simulation"].set_index("kpi")
    assert set(sim_rows.index) == {"offered", "answered", "abandon_rate", "asa_s", "service_level", "handle_s"}
    assert abs(sim_rows.loc["service_level", "bias"]) < 0.05
    assert abs(sim_rows.loc["abandon_rate", "bias"]) < 0.03
    assert sim_rows.loc["service_level", "in_band"] > 0.6
    last_week = test.errors[(test.errors["model"] == "last_week") & (test.errors["kpi"] == "offered")]
    assert last_week["n"].iloc[0] == sim_rows.loc["offered", "n"]       # the week before feeds last week
    assert (test.intervals["interval_start"] >= pd.Timestamp("2026-09-21")).all()


def test_a_scenario_with_too_few_agents_is_caught(history, tmp_path):
    """The same history judged against a scenario whose handle times are twice too long: the bias shows."""
    scenario, _, log = history
    data = yaml.safe_load(scenario.read_text())
    data["queues"]["calls"]["handle_time"]["mean"] *= 2
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump(data))
    test = holdout(slow, log, replications=5, seed=3, volumes="history", since=pd.Timestamp("2026-09-21"))
    rows = test.errors[test.errors["model"] == "simulation"].set_index("kpi")
    assert rows.loc["service_level", "bias"] < -0.2 and rows.loc["handle_s", "bias"] > 100


def test_backtest_command(history, tmp_path, capsys):
    scenario, path, _ = history
    out = tmp_path / "bt"
    assert main(["backtest", str(scenario), str(path), "--from", "2026-09-21", "-r", "3", "--out", str(out),
                 "--no-plots"]) == 0
    errors = pd.read_csv(out / "backtest_errors.csv", encoding="utf-8-sig")
    assert list(errors.columns) == COLUMNS
    assert (out / "backtest_intervals.csv").exists()
    assert "last week" in capsys.readouterr().out
    assert main(["backtest", str(scenario), str(path), "--from", "yesterday-ish", "--out", str(tmp_path / "x")]) == 2


def test_an_in_sample_back_test_needs_no_earlier_week(history):
    """Judging the whole log: no week before it, so last week covers only the days after the first week."""
    scenario, _, log = history
    test = holdout(scenario, log, replications=3, seed=1, volumes="history")
    rows = test.errors.set_index(["kpi", "model"])
    assert rows.loc[("offered", "last_week"), "n"] < rows.loc[("offered", "simulation"), "n"]


def test_history_volumes_replay_the_first_attempts_as_they_came(history):
    """``--volumes history``: each replication gets the history's own arrivals (no Poisson noise on top of
    the history's), so every replication offers exactly the history's contacts, interval by interval."""
    import sim
    from calibration.holdout import project

    scenario, _, log = history
    week = Log(log.path, log.rows[log.rows["arrival_time"] >= "2026-09-21"].reset_index(drop=True))
    sc = project(scenario, week, volumes="history")
    res = sim.simulate(sc, replications=2, seed=4)
    offered = res.intervals.pivot_table(index="interval_start", columns="replication", values="offered")
    slot = ((week.rows["arrival_time"] - pd.Timestamp(sc.start)).dt.total_seconds() // sc.interval).astype(int)
    counts = slot.value_counts().reindex(range(sc.n_intervals), fill_value=0).to_numpy()
    assert (offered[0].to_numpy() == counts).all() and (offered[1].to_numpy() == counts).all()


def test_backtest_until_judges_the_days_before(history, tmp_path):
    scenario, path, _ = history
    out = tmp_path / "in"
    assert main(["backtest", str(scenario), str(path), "--until", "2026-09-14", "-r", "2", "--out", str(out),
                 "--no-plots", "--volumes", "history"]) == 0
    intervals = pd.read_csv(out / "backtest_intervals.csv", encoding="utf-8-sig", parse_dates=["interval_start"])
    assert intervals["interval_start"].max() < pd.Timestamp("2026-09-14")
    assert main(["backtest", str(scenario), str(path), "--from", "2026-09-14", "--until", "2026-09-10"]) == 2


def test_last_week_forecasts_nothing_where_the_log_has_no_earlier_day(history):
    """Judged from the log's fifth day: last week's days before the log starts are unknown, not days without
    contacts; only the judged days whose day a week earlier is in the log get a last-week forecast."""
    scenario, _, log = history
    test = holdout(scenario, log, replications=2, seed=1, volumes="history", since=pd.Timestamp("2026-09-11"))
    covered = test.intervals.dropna(subset=["last_week"])
    assert covered["interval_start"].min() >= log.rows["arrival_time"].min().normalize() + pd.Timedelta(days=7)
    offered = covered[covered["kpi"] == "offered"]
    assert len(offered) > 0 and (offered["last_week"] > 0).mean() > 0.5


def test_a_from_date_after_the_history_says_so(history, tmp_path, capsys):
    scenario, path, log = history
    assert main(["backtest", str(scenario), str(path), "--from", "2027-01-01", "--out", str(tmp_path / "x")]) == 2
    last = log.rows["arrival_time"].max().date()
    assert f"--from 2027-01-01: the history ends on {last}; nothing is left to judge" in capsys.readouterr().err


def test_back_test_plots_break_at_closed_hours():
    """Intervals nobody worked are not judged: the plotted lines and bands have gaps there, not bridges."""
    from calibration.report import _gaps_kept

    starts = pd.to_datetime(["2026-09-07 08:00", "2026-09-07 08:15", "2026-09-07 10:00"])
    rows = pd.DataFrame({"interval_start": starts, "history": [1.0, 2.0, 3.0], "p10": 0.0, "p90": 4.0})
    full = _gaps_kept(rows)
    assert len(full) == 9 and full["history"].isna().sum() == 6 and full["p90"].notna().sum() == 3
