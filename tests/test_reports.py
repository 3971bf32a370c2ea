"""Interval reports (calibration/reports.py): parameters recovered from reports aggregated from logs of a
known scenario, agents inferred where the report has none, Chinese headers, bad rows by line, the command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from calibration import calibrate_report, read_log, read_report, synthetic_log
from calibration.reports import aggregate, effective_agents
from sim.cli import main

WEEKDAYS = [1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.9]


def shop(days: int = 28) -> sim.Scenario:
    """Calls with weekday factors and chats, lognormal handle times, exponential patience; few agents, so
    over a tenth of the contacts are abandoned."""
    return sim.load_scenario({
        "name": "shop", "start": "2026-09-07T00:00:00", "horizon": f"{days}d", "interval": "15min", "seed": 5,
        "queues": {
            "calls": {"channel": "call", "arrivals": {"daily_volume": 2000, "profile": "ecommerce_call",
                                                      "weekday_factors": WEEKDAYS},
                      "handle_time": {"dist": "lognormal", "mean": 240, "cv": 0.6},
                      "patience": {"dist": "exponential", "mean": 120}},
            "chats": {"channel": "chat", "arrivals": {"daily_volume": 3000, "profile": "ecommerce_chat"},
                      "handle_time": {"dist": "lognormal", "mean": 300, "cv": 0.8},
                      "patience": {"dist": "exponential", "mean": 180}}},
        "groups": {"phones": {"skills": ["calls"], "headcount": 9},
                   "chatters": {"skills": ["chats"], "headcount": 14}},
    })


def report_of(sc: sim.Scenario, folder, interval: float = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic log of ``sc`` and the interval report aggregated from it (also written as report.csv)."""
    synthetic_log(sc).to_csv(folder / "log.csv", index=False)
    rows = read_log(folder / "log.csv").rows
    report = aggregate(rows, interval, {q: 20.0 if q == "calls" else 30.0 for q in sc.queues})
    report.to_csv(folder / "report.csv", index=False)
    return rows, report


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    rows, report = report_of(shop(), folder)
    return folder, report, calibrate_report(folder / "report.csv")


def test_volume_weekday_factors_handle_time_and_patience_come_back(fitted):
    """Daily volume and weekday factors from the counts, the handle-time mean from the interval AHTs and
    patience from the waiting time and abandonments: each within the issue's bounds of the truth."""
    folder, report, result = fitted
    calls, chats = result.fits["calls"], result.fits["chats"]
    assert calls.daily_volume == pytest.approx(2000, rel=0.03)
    assert chats.daily_volume == pytest.approx(3000, rel=0.03)
    assert np.array(calls.weekday_factors) == pytest.approx(np.array(WEEKDAYS) / np.mean(WEEKDAYS), abs=0.04)
    assert calls.handle.mean == pytest.approx(240, rel=0.03) and chats.handle.mean == pytest.approx(300, rel=0.03)
    for fit, truth in ((calls, 120), (chats, 180)):
        assert fit.patience.abandoned / fit.contacts >= 0.03          # enough abandonment to judge patience
        assert fit.patience.mean == pytest.approx(truth, rel=0.15)
    assert calls.contacts == report.loc[report["queue"] == "calls", "offered"].sum()
    assert result.fits["calls"].handle.dist == "exponential"             # a report has no spread: stated
    assert any("not the spread" in note for note in result.notes)


def test_the_patience_estimate_is_the_log_estimate(fitted):
    """From a report with the abandoners' mean wait, the estimate is the log's own maximum-likelihood one
    (total waiting time over abandonments)."""
    folder, _, result = fitted
    from calibration import calibrate

    log = calibrate(folder / "log.csv")
    for q in ("calls", "chats"):
        assert result.fits[q].patience.mean == pytest.approx(log.fits[q].patience.exponential_mean, rel=1e-6)


def test_agents_inferred_from_the_service_level_centre_on_the_true_number(tmp_path):
    """M/M/n+M with n = 10 (Erlang A exact): the agents that reproduce each half hour's service level have
    median 10 and mean within one of it."""
    sc = sim.load_scenario({
        "name": "mmn", "start": "2026-09-07T00:00:00", "horizon": "7d", "interval": "30min", "seed": 4,
        "queues": {"calls": {"channel": "call", "arrivals": {"daily_volume": 9 / 180 * 86400},
                             "handle_time": {"dist": "exponential", "mean": 180},
                             "patience": {"dist": "exponential", "mean": 120}}},
        "groups": {"team": {"skills": ["calls"], "headcount": 10}}})
    report_of(sc, tmp_path, interval=1800)
    result = calibrate_report(tmp_path / "report.csv")
    agents, _ = effective_agents(result.log.rows, result.fits["calls"], 1800, 20)
    assert np.median(agents) == 10
    assert abs(agents.mean() - 10) < 1


def test_agents_given_by_the_report_are_the_agents_on_duty(fitted, tmp_path):
    _, report, _ = fitted
    calls = report[(report["queue"] == "calls") & (report["interval_start"] < "2026-09-10")]
    calls.assign(agents=np.where(calls["interval_start"].dt.hour < 8, 2, 9)).to_csv(tmp_path / "given.csv", index=False)
    sc = sim.load_scenario(calibrate_report(tmp_path / "given.csv").scenario)
    starts = np.arange(sc.n_intervals) * sc.interval
    scheduled = sum(o.count * ((starts >= o.start) & (starts < o.end))
                    for g in sc.groups for o in sc.shift_occurrences(g))
    assert scheduled.tolist() == np.where(starts % 86400 < 8 * 3600, 2, 9).tolist()


def test_the_calibrated_scenario_runs_near_the_report(fitted):
    """Simulated with the inferred agents, the scenario's service level and abandonment stay near the
    report's (the handle-time spread and the within-interval changes the report does not show are the
    rest)."""
    _, report, result = fitted
    res = sim.simulate(sim.load_scenario(result.scenario), replications=2, workers=1)
    seen = report.groupby("queue")[["offered", "answered_within", "abandoned"]].sum()
    simulated = res.summary.set_index("queue")
    for q in ("calls", "chats"):
        level, abandoned = seen.loc[q, ["answered_within", "abandoned"]] / seen.loc[q, "offered"]
        assert simulated.loc[q, "service_level"] == pytest.approx(level, abs=0.08)
        assert simulated.loc[q, "abandon_rate"] == pytest.approx(abandoned, abs=0.03)


def test_chinese_headers_odd_rows_and_the_report_interval(tmp_path):
    path = tmp_path / "报表.csv"
    path.write_text(
        "队列,时间段,呼入量,接通量,放弃量,平均应答时长,平均处理时长\n"
        "热线,2026-11-01 00:00,10,9,1,12,200\n"
        "热线,2026-11-01 00:30,12,12,0,5,210\n"
        "热线,2026-11-01 01:00,-3,0,0,0,0\n"          # a negative count
        "热线,yesterday,5,5,0,1,100\n"                  # an unreadable time
        "热线,2026-11-01 00:30,12,12,0,5,210\n"        # the same interval twice
        "热线,2026-11-01 01:30,8,8,0,4,190\n", encoding="utf-8")
    report = read_report(path)
    assert report.interval == 1800
    assert len(report.rows) == 3
    assert report.bad == {"an unreadable interval_start": [5], "a negative offered": [4],
                          "a repeated queue and interval_start": [6]}
    assert any("no channel column" in note for note in report.notes)
    assert any("'呼入量' read as offered" in note for note in report.notes)


def test_a_report_without_waits_says_what_it_assumed(fitted, tmp_path):
    _, report, _ = fitted
    report = report[report["interval_start"] < "2026-09-14"]
    report.drop(columns=["abandon_wait_s"]).to_csv(tmp_path / "no_waits.csv", index=False)
    result = calibrate_report(tmp_path / "no_waits.csv")
    assert any("no abandon_wait_s" in note for note in result.notes)
    report.drop(columns=["asa_s", "abandon_wait_s", "answered_within"]).to_csv(tmp_path / "counts.csv", index=False)
    result = calibrate_report(tmp_path / "counts.csv")
    assert result.fits["calls"].patience.mean is None
    assert any("the waiting time is unknown" in note for note in result.notes)
    assert any("neither agents, logged_in_s nor answered_within" in note for note in result.notes)


def test_calibrate_command_with_a_report(fitted, tmp_path, capsys):
    _, report, _ = fitted
    report[report["interval_start"] < "2026-09-21"].to_csv(tmp_path / "two_weeks.csv", index=False)
    out = tmp_path / "shop.yaml"
    assert main(["calibrate", str(tmp_path / "two_weeks.csv"), "--report", "--out", str(out), "--no-plots"]) == 0
    assert sim.load_scenario(out).n_intervals == 14 * 96
    assert (tmp_path / "shop_fit" / "patience_by_wait.csv").exists()
    assert "interval rows of 15 min" in out.read_text(encoding="utf-8").splitlines()[0]
    week = tmp_path / "week.yaml"
    assert main(["calibrate", str(tmp_path / "two_weeks.csv"), "--report", "--until", "2026-09-14", "--out", str(week),
                 "--no-plots"]) == 0
    assert sim.load_scenario(week).n_intervals == 7 * 96
    assert main(["calibrate", str(tmp_path / "two_weeks.csv"), "--report", "--interval", "20min",
                 "--out", str(tmp_path / "x.yaml")]) == 2
    assert "must divide them" in capsys.readouterr().err
    assert main(["calibrate", str(tmp_path / "two_weeks.csv"), "--report", "--backtest"]) == 2
    assert "--backtest: not with --report yet" in capsys.readouterr().err


def test_january_as_a_report_gives_the_log_estimates(tmp_path):
    """The real January records aggregated into a 15-minute report fit as the records themselves do:
    the same exponential patience (total waiting time over abandonments), the records' mean handle time
    (zero handle times included, as a platform's AHT has them; the log's fit leaves them out), the same
    outage days, weekday factors within 0.05; the volume within 5% (the report cannot remove the
    retrials the log's caller ids show)."""
    from calibration import calibrate
    from calibration.exports import read_profile
    from tests.test_exports import PROFILE, january

    log = read_log(january(), profile=read_profile(PROFILE))
    aggregate(log.rows, 900, {q: 20.0 for q in log.rows["queue"].unique()}).to_csv(tmp_path / "jan.csv", index=False)
    report, records = calibrate_report(tmp_path / "jan.csv"), calibrate(log, interval=900)
    assert any("1999-01-11, 1999-01-12" in note and "outages" in note for note in report.notes)
    for q in ("retail", "internet"):
        mine, theirs = report.fits[q], records.fits[q]
        assert mine.patience.mean == pytest.approx(theirs.patience.exponential_mean, rel=1e-9)
        answered = log.rows[(log.rows["queue"] == q) & log.rows["answer_time"].notna()]
        assert mine.handle.mean == pytest.approx(answered["handle_s"].mean(), rel=1e-9)
        assert np.array(mine.weekday_factors) == pytest.approx(np.array(theirs.weekday_factors), abs=0.05)
        assert mine.daily_volume == pytest.approx(theirs.daily_volume, rel=0.05)


def test_agent_state_times_give_agents_not_ready_time_and_after_call_work(tmp_path):
    """A report with the agents' logged-in, not-ready and after-call time (here the simulation's own, of
    the run the contacts come from): agents on duty are the logged-in time over the interval, the not-ready
    share and the after-call mean come back within their sampling error."""
    sc = sim.load_scenario({
        "name": "states", "start": "2026-09-07T00:00:00", "horizon": "14d", "interval": "15min", "seed": 6,
        "queues": {"calls": {"channel": "call", "arrivals": {"daily_volume": 2500, "profile": "ecommerce_call"},
                             "handle_time": {"dist": "exponential", "mean": 180}, "wrap_up": {"dist": "exponential",
                                                                                              "mean": 30},
                             "patience": {"dist": "exponential", "mean": 120}}},
        "groups": {"team": {"skills": ["calls"], "headcount": 12,
                            "not_ready": {"share": 0.15, "mean": 300}}}})
    _, report = report_of(sc, tmp_path)
    groups = sim.simulate(sc, replications=1, seed=sc.seed, workers=1).groups      # the same run as the log
    report["logged_in_s"] = (groups["staffed_agent_s"] + groups["not_ready_agent_s"]).to_numpy()
    report["not_ready_s"] = groups["not_ready_agent_s"].to_numpy()
    report["after_call_s"] = groups["wrap_up_s"].to_numpy()
    report.to_csv(tmp_path / "states.csv", index=False)
    result = calibrate_report(tmp_path / "states.csv")
    (group,) = result.scenario["groups"].values()
    assert np.mean(group["not_ready"]["share"]) == pytest.approx(0.15, abs=0.02)
    assert result.fits["calls"].wrap_up.mean == pytest.approx(30, rel=0.05)
    fitted = sim.load_scenario(result.scenario)
    assert fitted.queues["calls"].wrap_up.mean == pytest.approx(30, rel=0.05)
    agents, how = effective_agents(result.log.rows, result.fits["calls"], 900, 20)
    assert np.mean(agents == 12) > 0.95 and "logged-in" in how
