"""Calibration from contact logs: parameters recovered from logs of a known scenario, censored patience,
malformed rows reported with their line numbers, and the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from calibration import calibrate, read_log, synthetic_log
from calibration.backtest import backtest
from calibration.fit import gamma_cv
from sim.cli import main
from tests.test_api import ROOT


def call_centre(days: int, cv: float, agents: int = 6, retrial: float = 0.0) -> sim.Scenario:
    """One call queue, lognormal handle times, exponential patience of 120 s; few agents, so over a
    quarter of the calls are abandoned (the censoring the patience fit must see through); ``retrial``:
    the share of those who call again, after 10 minutes on average."""
    retrials = {"retrial": {"probability": retrial, "delay": {"dist": "exponential", "mean": 600}}} if retrial else {}
    return sim.load_scenario({
        "name": "known", "start": "2026-09-07T00:00:00", "horizon": f"{days}d", "interval": "15min", "seed": 9,
        "queues": {"calls": {"channel": "call",
                             "arrivals": {"daily_volume": 1500, "profile": "ecommerce_call", "day_to_day_cv": cv},
                             "handle_time": {"dist": "lognormal", "mean": 240, "cv": 0.6},
                             "patience": {"dist": "exponential", "mean": 120}, **retrials}},
        "groups": {"team": {"skills": ["calls"], "headcount": agents}},
    })


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    """Three weeks of generated calls (30% of those who abandon call again), written as a CSV log and
    calibrated back."""
    log = synthetic_log(call_centre(days=21, cv=0.0, retrial=0.3))
    path = tmp_path_factory.mktemp("log") / "calls.csv"
    log.to_csv(path, index=False)
    return log, calibrate(path, interval=900)


def test_volume_handle_time_and_patience_are_recovered(recovered):
    log, result = recovered
    f = result.fits["calls"]
    assert f.daily_volume == pytest.approx(1500, rel=0.03)
    assert f.handle.dist == "lognormal"
    assert f.handle.mean == pytest.approx(240, rel=0.03)
    abandoned = (log["abandon_time"].notna()).mean()
    assert 0.25 < abandoned < 0.35                                  # the 30% censoring
    assert f.patience.mean == pytest.approx(120, rel=0.10)
    assert f.patience.dist == "exponential"                  # AIC keeps the true family


def test_retrials_are_found_from_repeated_callers(recovered):
    """Volume counts first attempts; the share calling again after abandoning and their delay come back."""
    log, result = recovered
    f = result.fits["calls"]
    assert f.retrials == (log["caller"].duplicated()).sum()
    assert f.retrial.probability == pytest.approx(0.3, abs=0.03)
    assert f.retrial.delay == pytest.approx(600, rel=0.10)
    assert sim.load_scenario(result.scenario).queues["calls"].retrial.probability == pytest.approx(
        f.retrial.probability, abs=1e-4)


def test_the_naive_patience_mean_is_biased_and_the_mle_is_not(recovered):
    """Those who abandoned are the impatient ones: their mean wait badly underestimates mean patience."""
    f = recovered[1].fits["calls"]
    assert f.patience.naive_mean < 0.6 * 120
    assert abs(f.patience.mean - 120) < abs(f.patience.naive_mean - 120) / 5


def test_the_kaplan_meier_curve_follows_the_fitted_exponential(recovered):
    km = recovered[1].fits["calls"].patience.km
    early = km[km["wait_s"] <= 120]
    np.testing.assert_allclose(early["survival"], np.exp(-early["wait_s"] / 120), atol=0.03)


def test_day_to_day_overdispersion_over_sixty_days():
    """Gamma cv 0.2 on 60 days comes back within 0.05; without overdispersion, about 0."""
    log = synthetic_log(call_centre(days=60, cv=0.2, agents=40))
    counts = pd.to_datetime(log["arrival_time"]).dt.normalize().value_counts().sort_index()
    assert gamma_cv(counts) == pytest.approx(0.2, abs=0.05)
    rng = np.random.default_rng(3)
    poisson = pd.Series(rng.poisson(1500, 60), index=pd.date_range("2026-09-07", periods=60))
    assert gamma_cv(poisson) < 0.03


def test_the_calibrated_scenario_loads_and_reproduces_the_volume(recovered, tmp_path):
    _, result = recovered
    path = tmp_path / "calibrated.yaml"
    report = result.save(path)
    sc = sim.load_scenario(path)
    assert sc.queues["calls"].patience.mean == pytest.approx(result.fits["calls"].patience.mean, rel=1e-3)
    for name in ("parameters.csv", "handle_time_fits.csv", "patience_kaplan_meier.csv", "bad_rows.csv",
                 "fit_calls.png"):
        assert (report / name).stat().st_size > 0
    res = sim.simulate(sc, replications=2, seed=1)
    assert res.totals["first_attempts"].mean() / sc.n_days == pytest.approx(1500, rel=0.05)


BAD_LOG = """queue,channel,arrival_time,answer_time,abandon_time,handle_s,agent
calls,call,2026-09-07 10:00:00,2026-09-07 10:00:05,,200,a1
calls,call,2026-09-07 10:01:00,2026-09-07 10:00:30,,200,a1
calls,call,2026-09-07 10:02:00,,2026-09-07 10:01:00,,
calls,call,2026-09-07 10:03:00,2026-09-07 10:03:05,,-4,a2
calls,fax,2026-09-07 10:04:00,2026-09-07 10:04:05,,100,a2
calls,call,not a time,,,,
calls,call,2026-09-07 10:05:00,2026-09-07 10:05:05,2026-09-07 10:05:10,100,a2
calls,call,2026-09-07 10:06:00,2026-09-07 10:06:05,,,a2
other,call,2026-09-07 10:07:00,2026-09-07 10:07:05,,50,a2
calls,call,2026-09-07 10:08:00,2026-09-07 10:08:05,,120,a1
calls,call,2026-09-07 10:09:00,,2026-09-07 10:09:40,,
"""


def test_every_kind_of_bad_row_is_reported_with_its_line(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    log = read_log(path, queues=["calls"])
    assert log.bad == {"an unreadable arrival_time": [7],
                       "answer_time before arrival_time": [3],
                       "abandon_time before arrival_time": [4],
                       "a negative handle_s": [5],
                       "a channel other than chat or call": [6],
                       "an unknown queue": [10],
                       "both answer_time and abandon_time": [8],
                       "answer_time without handle_s": [9]}
    assert list(log.rows["line"]) == [2, 11, 12]
    assert any(line.startswith(f"{path}: 1 row(s) with a negative handle_s: line(s) 5") for line in log.problems())


def test_column_mapping_and_parquet(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(BAD_LOG), dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"arrival_time": "created_at", "queue": "skill_group"})
    frame.to_parquet(tmp_path / "log.parquet")
    log = read_log(tmp_path / "log.parquet", mapping={"created_at": "arrival_time", "skill_group": "queue"})
    assert log.bad["answer_time before arrival_time"] == [2]        # Parquet rows count from 1


def test_calibrate_command(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    out = tmp_path / "cal.yaml"
    assert main(["calibrate", str(path), "--out", str(out), "--no-plots", "--interval", "30min"]) == 0
    printed = capsys.readouterr().out
    assert "row(s) with answer_time before arrival_time: line(s) 3" in printed
    assert sim.load_scenario(out).interval == 1800
    assert main(["calibrate", str(tmp_path / "none.csv")]) == 2
    assert "none.csv: cannot read the log" in capsys.readouterr().err
    assert main(["calibrate", str(path), "--map", "bogus=x"]) == 2
    assert "--map: expected COLUMN=THEIR_COLUMN" in capsys.readouterr().err
    assert main(["calibrate", str(path), "--interval", "7min"]) == 2
    assert "--interval: must divide a day" in capsys.readouterr().err
    (tmp_path / "staff.csv").write_text("interval_start,agents\n2026-09-07 10:00,3\n")
    assert main(["calibrate", str(path), "--staffing", str(tmp_path / "staff.csv"), "--no-plots"]) == 2
    assert "--staffing: " in (err := capsys.readouterr().err) and "missing column(s) queue" in err


def staffing_log(sc: sim.Scenario, agents: int) -> pd.DataFrame:
    starts = pd.Timestamp(sc.start) + pd.to_timedelta(np.arange(sc.n_intervals) * sc.interval, unit="s")
    return pd.DataFrame({"interval_start": starts, "queue": "calls", "agents": agents})


@pytest.mark.slow
def test_the_back_test_of_a_generated_history_meets_its_bounds(recovered):
    """docs/calibration.md's bounds: |bias| within 3% of the mean volume and 0.03 on the rates; the history
    inside the simulated p10-p90 band in 70-90% of intervals (80% when the model is right)."""
    test = backtest(recovered[1], replications=20, seed=5, workers=1)
    errors = test.errors.set_index("kpi")
    assert abs(errors.loc["offered", "bias"]) <= 0.03 * errors.loc["offered", "history_mean"]
    for kpi in ("service_level", "abandon_rate"):
        assert abs(errors.loc[kpi, "bias"]) <= 0.03
    assert errors["band_coverage"].between(0.7, 0.9).all(), errors["band_coverage"]


@pytest.mark.slow
def test_a_wrong_staffing_fails_the_back_test(recovered, tmp_path):
    """The true staffing log (6 agents) passes; half of it shows as a large bias and a poor coverage."""
    sc = call_centre(days=21, cv=0.0, retrial=0.3)
    right = backtest(recovered[1], replications=20, seed=5, staffing=staffing_log(sc, 6), workers=1)
    wrong = backtest(recovered[1], replications=20, seed=5, staffing=staffing_log(sc, 3), workers=1)
    right_sl = right.errors.set_index("kpi").loc["service_level"]
    wrong_sl = wrong.errors.set_index("kpi").loc["service_level"]
    assert abs(right_sl["bias"]) <= 0.03 and right_sl["band_coverage"] >= 0.7
    assert wrong_sl["bias"] < -0.1 and wrong_sl["band_coverage"] < 0.5
    out = right.save(tmp_path / "report")
    assert (out / "backtest_errors.csv").stat().st_size > 0 and (out / "backtest_calls.png").stat().st_size > 0


def test_back_test_command_with_a_staffing_log(recovered, tmp_path, capsys):
    staff = tmp_path / "staff.csv"
    staffing_log(call_centre(days=21, cv=0.0), 6).to_csv(staff, index=False)
    out = tmp_path / "cal.yaml"
    assert main(["calibrate", recovered[1].log.path, "--out", str(out), "--staffing", str(staff), "-r", "3",
                 "--no-plots"]) == 0
    assert "back-test: simulated (3 replications)" in capsys.readouterr().out
    assert (tmp_path / "cal_fit" / "backtest_errors.csv").stat().st_size > 0


def test_weekday_profiles_only_when_the_weekdays_differ(recovered, tmp_path):
    """Same shape every day: one pooled profile. A weekend shaped like chats: each weekday its own, and
    Saturday's fitted profile is the chat shape, not the weekdays' call shape."""
    from sim.profiles import BUILTIN_PROFILES, shares_per_interval

    assert recovered[1].fits["calls"].weekday_profiles is None
    data = call_centre(days=21, cv=0.0).model_dump(mode="json", exclude_none=True)
    data["queues"]["calls"]["arrivals"]["weekday_profiles"] = {"sat": "ecommerce_chat", "sun": "ecommerce_chat"}
    path = tmp_path / "weekend.csv"
    synthetic_log(sim.load_scenario(data)).to_csv(path, index=False)
    result = calibrate(path)
    fitted = result.fits["calls"].weekday_profiles
    assert {"sat", "sun", "mon"} <= set(fitted)
    chat, call = (shares_per_interval(BUILTIN_PROFILES[name], 96) for name in ("ecommerce_chat", "ecommerce_call"))
    assert np.abs(fitted["sat"] - chat).sum() < np.abs(fitted["sat"] - call).sum() / 3
    assert np.abs(fitted["mon"] - call).sum() < np.abs(fitted["mon"] - chat).sum() / 3
    assert set(sim.load_scenario(result.scenario).queues["calls"].arrivals.weekday_profiles) == set(fitted)


def test_a_queue_without_answers_or_abandons_is_fitted_with_notes(tmp_path, capsys):
    log = """queue,channel,arrival_time,answer_time,abandon_time,handle_s,agent
calls,call,2026-09-07 10:00:00,,2026-09-07 10:01:00,,
calls,call,2026-09-07 11:00:00,,2026-09-07 11:00:30,,
chats,chat,2026-09-07 10:00:00,2026-09-07 10:00:05,,200,a1
chats,chat,2026-09-07 10:30:00,2026-09-07 10:30:05,,300,a1
"""
    path = tmp_path / "thin.csv"
    path.write_text(log)
    out = tmp_path / "thin.yaml"
    assert main(["calibrate", str(path), "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "calls: no answered contact" in printed and "chats: nobody abandoned" in printed
    assert "calls: no agent answered it in the log" in printed
    sc = sim.load_scenario(out)
    assert sc.queues["calls"].handle_time.mean == 300 and sc.queues["chats"].patience is None
    assert "# calls: no answered contact" in out.read_text()


def _log(rows: list[str]) -> str:
    return "queue,channel,arrival_time,answer_time,abandon_time,handle_s,agent,caller\n" + "\n".join(rows) + "\n"


def _calls(n: int = 60, zone: str = "", day: str = "2026-09-07", handle=None) -> list[str]:
    """``n`` calls two minutes apart from 08:00, every fifth abandoned after 40 s; the rest answered in 10 s."""
    rows = []
    for i in range(n):
        t = pd.Timestamp(day) + pd.Timedelta(minutes=8 * 60 + 2 * i)
        arrival, left = t.isoformat() + zone, (t + pd.Timedelta(seconds=40 if i % 5 == 0 else 10)).isoformat() + zone
        if i % 5 == 0:
            rows.append(f"calls,call,{arrival},,{left},,,c{i}")
        else:
            rows.append(f"calls,call,{arrival},{left},,{handle or 100 + 7 * i % 300},a{i % 3},c{i}")
    return rows


def test_times_with_utc_offsets_are_read_as_local_time(tmp_path):
    """Chinese platform exports end times in +08:00: one zone, or a mix, read at the most common offset."""
    path = tmp_path / "zoned.csv"
    path.write_text(_log(_calls(zone="+08:00")))
    local = calibrate(path)
    assert local.log.rows["arrival_time"].min() == pd.Timestamp("2026-09-07 08:00")
    assert local.notes[0] == "times carry UTC offsets (+08:00 on 120 times); read as local time at +08:00"
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(_log(_calls(zone="+08:00") + _calls(zone="Z", day="2026-09-08")))
    rows = calibrate(mixed).log.rows
    assert rows["arrival_time"].max() == pd.Timestamp("2026-09-08 09:58") + pd.Timedelta(hours=8)
    assert sim.load_scenario(calibrate(mixed).scenario).start.isoformat() == "2026-09-07T00:00:00"


@pytest.mark.parametrize("kind", ["abandoned only", "one row", "no handle time"])
def test_thin_logs_give_a_scenario_and_a_report(kind, tmp_path):
    rows = {"abandoned only": [r for r in _calls() if ",,,c" in r],
            "one row": _calls()[1:2],
            "no handle time": _calls(handle=0)}[kind]
    path = tmp_path / "thin.csv"
    path.write_text(_log(rows))
    out = tmp_path / "thin.yaml"
    assert main(["calibrate", str(path), "--out", str(out)]) == 0
    assert sim.load_scenario(out).queues["calls"].handle_time.mean > 0
    assert (tmp_path / "thin_fit" / "handle_time_fits.csv").exists()


def test_dates_far_from_the_rest_are_bad_rows(tmp_path):
    """Rows dated 1900 and 2200 made a 109,574-day horizon; they are reported and left out."""
    rows = _calls()
    rows += [rows[1].replace("2026-09-07", "1900-01-01"), rows[2].replace("2026-09-07", "2200-01-01")]
    path = tmp_path / "far.csv"
    path.write_text(_log(rows))
    result = calibrate(path)
    assert result.log.bad == {"an arrival_time more than a year from the log's median": [62, 63],
                              "an arrival_time outside 1900-2199": [63]}
    assert sim.load_scenario(result.scenario).horizon == 86400


def test_mapping_onto_a_column_the_file_already_has(tmp_path):
    rows = [r + ",2026-09-07 07:00:00" for r in _calls()]
    path = tmp_path / "vru.csv"
    path.write_text(_log(rows).replace("caller\n", "caller,vru_entry\n", 1))
    log = read_log(path, mapping={"vru_entry": "arrival_time"})
    assert (log.rows["arrival_time"] == pd.Timestamp("2026-09-07 07:00")).all()


def test_odd_names_and_constant_handle_times(tmp_path):
    """A queue named with '/' and '.' and handle times that never vary still make a scenario that loads."""
    rows = [r.replace("calls,", "sales/pre.sale,", 1) for r in _calls(handle=200)]
    path = tmp_path / "odd.name.csv"
    path.write_text(_log(rows))
    result = calibrate(path)
    sc = sim.load_scenario(result.scenario)
    assert list(sc.queues) == ["sales_pre_sale"] and sc.name == "odd_name"
    assert sc.queues["sales_pre_sale"].handle_time.dist == "constant"
    assert "queue 'sales/pre.sale' is called 'sales_pre_sale' in the scenario" in result.notes[0]


def test_every_abandoned_caller_calling_back_stays_below_certainty(tmp_path):
    """Fifteen callers abandon and all call back ten minutes later: the estimate 1 is kept at 0.95 (a
    probability of 1 is not a valid scenario), and the note says so."""
    rows = []
    for i in range(15):
        t = pd.Timestamp("2026-09-07 08:00") + pd.Timedelta(minutes=2 * i)
        rows.append(f"calls,call,{t},,{t + pd.Timedelta(seconds=30)},,,c{i}")
        back = t + pd.Timedelta(minutes=10)
        rows.append(f"calls,call,{back},{back + pd.Timedelta(seconds=5)},,120,a1,c{i}")
    rows.append("calls,call,2026-09-07 20:00:00,2026-09-07 20:00:05,,90,a1,late")
    path = tmp_path / "again.csv"
    path.write_text(_log(rows))
    result = calibrate(path)
    assert result.fits["calls"].retrial.probability == 0.95
    assert sim.load_scenario(result.scenario).queues["calls"].retrial.probability == 0.95
    assert "calls: every identified caller who abandoned called again" in " ".join(result.notes)


def test_a_failing_calibration_writes_nothing(tmp_path, capsys):
    """--staffing is read first: a bad one stops the command before the scenario or its report is written."""
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    (tmp_path / "staff.csv").write_text("interval_start,queue,agents\n2026-09-07 10:00,calls,two\n")
    out = tmp_path / "cal.yaml"
    assert main(["calibrate", str(path), "--out", str(out), "--staffing", str(tmp_path / "staff.csv")]) == 2
    assert "staff.csv line 2: needs a date-time interval_start and a whole number of agents" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "staff.csv"]


def test_times_in_odd_forms_are_unreadable_rows_not_a_crash(tmp_path):
    """A zone written twice, a year before pandas' range, garbage: each such row is reported, the rest fitted."""
    rows = _calls()
    rows[3] = rows[3].replace("2026-09-07T08:06:00", "2026-09-07T08:06:00Z+08:00", 1)
    rows[4] = rows[4].replace("2026-09-07T08:08:00", "-5", 1)
    rows[6] = rows[6].replace("2026-09-07T08:12:00", "soon", 1)
    path = tmp_path / "odd.csv"
    path.write_text(_log(rows))
    log = read_log(path)
    assert log.bad == {"an unreadable arrival_time": [5, 6, 8]}
    assert len(log.rows) == 57


def test_tab_separated_exports_are_read(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(BAD_LOG.replace(",", "\t"))
    assert read_log(path, queues=["calls"]).bad == read_log(_written(tmp_path, BAD_LOG), queues=["calls"]).bad


def _written(tmp_path, text: str):
    path = tmp_path / "log.csv"
    path.write_text(text)
    return path


def test_clocks_a_few_seconds_apart_give_zero_waits_not_bad_rows(tmp_path):
    """An answer 2 s before the arrival (clocks a second or two apart) is a zero wait, counted in the notes;
    one 60 s before is still a bad row."""
    rows = ["queue,channel,arrival_time,answer_time,abandon_time,handle_s,agent",
            "calls,call,2026-09-07 10:00:02,2026-09-07 10:00:00,,100,ann",
            "calls,call,2026-09-07 10:05:00,2026-09-07 10:04:00,,100,ann",
            "calls,call,2026-09-07 10:10:03,,2026-09-07 10:10:01,,"]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    log = read_log(path)
    assert len(log.rows) == 2 and log.bad == {"answer_time before arrival_time": [3]}
    assert (log.rows["answer_time"].dropna() == log.rows["arrival_time"][log.rows["answer_time"].notna()]).all()
    assert any("1 row(s) with an answer up to 5 s before arrival_time" in note and "line(s) 2" in note
               for note in log.notes)
    assert any("1 row(s) with an abandon up to 5 s" in note for note in log.notes)
    assert len(read_log(path, clock_tolerance=0).rows) == 0


def test_days_without_any_record_are_outages_left_out_of_the_volume(recovered, tmp_path):
    """Two whole weekdays missing from three weeks: the daily volume and day-to-day cv come from the
    other days, and the notes say which days were left out."""
    log, _ = recovered
    day = pd.to_datetime(log["arrival_time"]).dt.normalize()
    gap = log[~day.isin([pd.Timestamp("2026-09-15"), pd.Timestamp("2026-09-16")])]
    path = tmp_path / "gap.csv"
    gap.to_csv(path, index=False)
    result = calibrate(path, interval=900)
    f = result.fits["calls"]
    assert f.daily_volume == pytest.approx(1500, rel=0.04)
    assert f.day_to_day_cv < 0.05
    assert any("2026-09-15, 2026-09-16" in note and "outages" in note for note in result.notes)


def test_hours_without_contacts_stay_closed_in_the_profile(recovered, tmp_path):
    """A centre closed from midnight to 07:00: smoothing the profile does not leak calls into 06:00."""
    log, _ = recovered
    hour = pd.to_datetime(log["arrival_time"]).dt.hour
    path = tmp_path / "closed.csv"
    log[hour >= 7].to_csv(path, index=False)
    per_hour = np.asarray(calibrate(path, interval=900).fits["calls"].profile).reshape(24, -1).sum(axis=1)
    assert (per_hour[:7] == 0).all() and (per_hour[7:] > 0).all()


def test_agents_with_the_same_skills_in_another_mix_form_one_group(tmp_path):
    rows = ["queue,channel,arrival_time,answer_time,abandon_time,handle_s,agent"]
    for k in range(40):                      # ann mostly takes a, bob mostly b: the same two skills
        queue = "a" if (k % 4 != 0) == (k < 20) else "b"
        agent = "ann" if k < 20 else "bob"
        rows.append(f"{queue},call,2026-09-07 10:{k:02d}:00,2026-09-07 10:{k:02d}:00,,30,{agent}")
    path = tmp_path / "mix.csv"
    path.write_text("\n".join(rows) + "\n")
    groups = calibrate(path, interval=900).scenario["groups"]
    staffed = [g for g in groups.values() if g.get("headcount") != 0]
    assert len(staffed) == 1 and set(staffed[0]["skills"]) == {"a", "b"}


def test_a_heavy_tailed_patience_is_fitted_as_lognormal(tmp_path):
    """Some callers leave early, many wait long (lognormal, cv 2): the censored lognormal fit beats the
    exponential on AIC and recovers the mean; an exponential truth keeps the exponential."""
    data = call_centre(days=14, cv=0.0).model_dump(mode="json", exclude_none=True)
    data["queues"]["calls"]["patience"] = {"dist": "lognormal", "mean": 240, "cv": 2.0}
    path = tmp_path / "heavy.csv"
    synthetic_log(sim.load_scenario(data)).to_csv(path, index=False)
    f = calibrate(path, interval=900).fits["calls"].patience
    assert f.dist == "lognormal" and f.aic["lognormal"] < f.aic["exponential"]
    assert f.mean == pytest.approx(240, rel=0.2) and f.cv == pytest.approx(2.0, rel=0.3)
    assert f.spec()["dist"] == "lognormal"


def test_a_falling_volume_is_forecast_for_the_week_after_the_log():
    """Poisson counts falling by a fifth a week: the trend is found (within 3 points a week) and the daily
    volume is the coming week's mean (within 5%), well below the last week's."""
    from calibration.fit import volume_and_weekdays

    days = pd.date_range("2026-09-07", periods=21, freq="D")
    truth = 1000.0 * 0.8 ** (np.arange(21) / 7)
    counts = pd.Series(np.random.default_rng(3).poisson(truth).astype(float), index=days)
    level, factors, trend = volume_and_weekdays(counts)
    assert factors == pytest.approx((1.0,) * 7, abs=0.15)
    assert (1 + trend) ** 7 == pytest.approx(0.8, abs=0.03)
    coming = np.mean(1000.0 * 0.8 ** (np.arange(21, 28) / 7))
    assert level == pytest.approx(coming, rel=0.05)
    assert level < counts.iloc[-7:].mean() * 0.9


def test_a_steady_volume_has_no_trend():
    """Steady Poisson counts: no trend in at least 17 of 20 logs (the test is at 5%), and the daily volume
    is the mean within 3%."""
    from calibration.fit import volume_and_weekdays

    days = pd.date_range("2026-09-07", periods=21, freq="D")
    found = [volume_and_weekdays(pd.Series(np.random.default_rng(seed).poisson(1000.0, 21).astype(float),
                                           index=days)) for seed in range(20)]
    assert sum(trend == 0 for _, _, trend in found) >= 17
    assert all(level == pytest.approx(1000, rel=0.03) for level, _, trend in found if trend == 0)


def test_a_stuck_ten_hour_wait_does_not_move_the_patience(recovered, tmp_path):
    log, result = recovered
    stuck = log.copy()
    row = stuck.index[stuck["abandon_time"].notna()][0]
    stuck.loc[row, "abandon_time"] = (pd.to_datetime(stuck.loc[row, "arrival_time"])
                                      + pd.Timedelta(hours=10)).isoformat(sep=" ")
    path = tmp_path / "stuck.csv"
    stuck.to_csv(path, index=False)
    again = calibrate(path, interval=900)
    assert again.fits["calls"].patience.mean == pytest.approx(result.fits["calls"].patience.mean, rel=0.01)
    assert again.fits["calls"].outliers == (row + 2,)
    assert any("left out of the patience fit" in note and f"line(s) {row + 2}" in note for note in again.notes)


def test_a_spike_of_very_short_calls_does_not_choose_the_family():
    """5% of calls hung up within seconds beside a lognormal body: the body is fitted as lognormal, the
    spike as a part of its own, and the 99th percentile comes back."""
    from calibration.fit import fit_handle_time

    rng = np.random.default_rng(4)
    body = rng.lognormal(np.log(200) - 0.5 * np.log1p(0.8**2), np.sqrt(np.log1p(0.8**2)), 19000)
    values = np.concatenate([body, rng.uniform(1, 9, 1000)])
    fit = fit_handle_time(values)
    assert fit.spike is not None and fit.spike[0] == pytest.approx(0.05 + np.mean(body < 10) * 0.95, abs=0.01)
    assert fit.body.dist == "lognormal" and fit.body.mean == pytest.approx(200, rel=0.05)
    spec = fit.spec()
    drawn = sim.load_scenario(single_queue_with(spec)).queues["q"].handle_time.sample(np.random.default_rng(1),
                                                                                      200000)
    assert np.quantile(drawn, 0.99) == pytest.approx(np.quantile(values, 0.99), rel=0.08)
    assert fit_handle_time(body).spike is None or fit_handle_time(body).spike[0] < 0.02


def single_queue_with(handle: dict) -> dict:
    from tests.conftest import single_queue
    return single_queue(agents=5, aht=200, load=2.0, handle=handle)


def test_retrials_of_callers_without_an_id_are_not_counted_as_first_attempts(recovered, tmp_path):
    """Half the callers without an id: their retrials cannot be recognised, so they are expected from the
    abandonments without an id (retrial probability and delay), and the first attempts stay at the truth."""
    log, _ = recovered
    hidden = log.copy()
    hidden.loc[hidden["caller"].str[1:].astype(int) % 2 == 0, "caller"] = ""      # half of the callers
    path = tmp_path / "half.csv"
    hidden.to_csv(path, index=False)
    f = calibrate(path, interval=900).fits["calls"]
    assert f.retrial.probability == pytest.approx(0.3, abs=0.04)
    assert f.daily_volume == pytest.approx(1500, rel=0.03)
    everything = hidden.groupby(pd.to_datetime(hidden["arrival_time"]).dt.normalize()).size().mean()
    assert everything > 1500 * 1.05                     # counting every call would overstate it


def test_after_call_work_is_read_from_the_gaps_while_callers_waited(tmp_path):
    """Agents wrapping up 30 s after every call: the gap from a call's end to the agent's next answer while
    callers waited is the wrap-up, which calibration writes as the queue's ``wrap_up``."""
    data = call_centre(days=3, cv=0.0).model_dump(mode="json", exclude_none=True)
    data["queues"]["calls"]["wrap_up"] = {"dist": "constant", "value": 30}
    path = tmp_path / "wrapped.csv"
    synthetic_log(sim.load_scenario(data)).to_csv(path, index=False)
    result = calibrate(path, interval=900)
    gaps = result.fits["calls"].wrap_up.gaps
    assert len(gaps) > 1000 and np.median(gaps) == pytest.approx(30, abs=0.5)
    assert result.scenario["queues"]["calls"]["wrap_up"]["dist"] == "empirical"


def test_an_agent_idle_in_a_quiet_hour_stays_on_duty():
    """A gap of two hours without a caller waiting is a quiet hour, not time off; the same gap while
    callers waited is time off; a gap over three hours is time off whatever waited."""
    from calibration.duty import agents_on_duty

    t = pd.Timestamp("2026-09-07")
    rows = pd.DataFrame({
        "queue": "q", "agent": ["a", "a", "b", "b", "", "c", "c"],
        "arrival_time": [t + pd.Timedelta(hours=h) for h in (8, 10, 8, 10, 9, 8, 12)],
        "answer_time": [t + pd.Timedelta(hours=h) for h in (8, 10, 8, 10, 9.5, 8, 12)],
        "abandon_time": pd.NaT, "handle_s": 60.0})
    quiet = agents_on_duty(rows[rows["agent"].isin(["a", ""]) & (rows.index != 4)], t, 96, 900)[("q",)]
    assert quiet[32:41].min() == 1                             # 08:00-10:15 on duty
    busy = agents_on_duty(rows[rows["agent"].isin(["b", ""])], t, 96, 900)[("q",)]
    assert busy[34:40].max() == 0                              # the 09:00 caller waited half an hour meanwhile
    long = agents_on_duty(rows[rows["agent"] == "c"], t, 96, 900)[("q",)]
    assert long[34:46].max() == 0


def test_files_with_nothing_to_fit_say_why(tmp_path, capsys):
    """A log whose every row is bad, an orders file without a valid order, a message log without a single
    reply, and a text file named .parquet: each names the file and what was left out, and why."""
    log = tmp_path / "log.csv"
    log.write_text("queue,channel,arrival_time,answer_time,abandon_time,handle_s\nq,call,abc,,,\nq,call,,,,\n")
    assert main(["calibrate", str(log), "--out", str(tmp_path / "a.yaml")]) == 2
    assert (f"{log}: no valid rows to fit: every row was left out: 1 with an unreadable arrival_time (line(s) 2); "
            "1 with no arrival_time (line(s) 3)") in capsys.readouterr().err
    good = tmp_path / "good.csv"
    synthetic_log(sim.load_scenario(ROOT / "scenarios" / "normal_day.yaml")).head(500).to_csv(good, index=False)
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,placed_at\n,2026-01-01\no1,xyz\n")
    assert main(["calibrate", str(good), "--orders", str(orders), "--out", str(tmp_path / "b.yaml")]) == 2
    assert (f"{orders}: no valid order rows: all 2 were left out (1 with no order_id; 1 with an unreadable "
            "placed_at); the first: line(s) 2, 3") in capsys.readouterr().err
    messages = tmp_path / "messages.csv"
    messages.write_text("conversation,queue,sender,time,agent\n1,presales,customer,2026-11-10 00:00:01,\n"
                        "1,presales,agent,not a time,a1\n")
    assert main(["calibrate", "--messages", str(messages), "--out", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{messages}: no conversation has an agent's reply" in err and "1 with an unreadable time (line(s) 3)" in err
    fake = tmp_path / "log.parquet"
    fake.write_bytes(log.read_bytes())
    assert main(["calibrate", str(fake), "--out", str(tmp_path / "d.yaml")]) == 2
    assert f"{fake}: not a Parquet file" in capsys.readouterr().err
