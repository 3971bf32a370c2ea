"""``report.html`` (``sim.html_report``): written by every command from its folder's saved tables, rebuilt
by ``run.py report``, self-contained, its numbers those of the saved tables; a compare page says where
the variant wins; a report error never loses the run. The checks in a real browser are in
``tests/test_browser.py``."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.html_report import KINDS
from sim.pages.compare import wins
from tests import pages
from tests.conftest import single_queue


def _scenario(tmp_path, queue: str = "q"):
    data = single_queue(load=8.0, aht=300, patience=120, days=2)
    data["queues"] = {queue: data["queues"]["q"]}
    data["groups"]["team"]["skills"] = [queue]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_a_run_writes_a_self_contained_report_with_the_summary_numbers(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path, "售前咨询")), "-r", "3", "--workers", "1", "--out", str(out)]) == 0
    page = pages.parse(out / "report.html")
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").iloc[0]
    cells = [value for value, _ in page.tables["verdict"]["rows"][0]]
    assert cells[0] == "售前咨询"
    assert float(cells[2]) == summary["offered"]
    assert float(cells[3]) == pytest.approx(summary["service_level"], rel=1e-12)
    assert float(cells[5]) == summary["p_meets_sl"] and float(cells[6]) == pytest.approx(summary["abandon_rate"])
    assert len(page.images) == 5
    assert all(p.shape[0] > 100 and p.shape[1] > 100 for p in pages.pictures(page))
    assert all(s.startswith("data:") for s in page.sources)        # nothing fetched from elsewhere
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "售前咨询" in text and re.search(r"<td class=\"(good|bad)\"", text)


def test_the_report_command_rebuilds_it_from_the_saved_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path)), "-r", "2", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    first = (out / "report.html").read_text(encoding="utf-8")
    assert "No plots in this folder" in first
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").read_text(encoding="utf-8") == first
    assert main(["report", str(tmp_path)]) == 2
    assert "no results here" in capsys.readouterr().err


def test_a_report_error_is_reported_and_the_run_kept(tmp_path, monkeypatch, capsys):
    import sim.html_report

    def broken(directory):
        raise KeyError("service_level")

    monkeypatch.setattr(sim.html_report, "write_report", broken)
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path)), "-r", "2", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    assert "report.html was not written (KeyError" in capsys.readouterr().err
    assert (out / "summary.csv").is_file() and not (out / "report.html").exists()
    assert np.isfinite(pd.read_csv(out / "summary.csv", encoding="utf-8-sig")["service_level"]).all()


def test_the_verdict_shows_auto_approved_refunds_where_there_are_some():
    from sim.pages.run import verdict

    summary = pd.DataFrame({"queue": ["chat", "refunds"], "channel": ["chat", "refund"], "offered": [100.0, 50.0],
                            "service_level": [0.85, 0.6], "service_level_ci95": [0.02, 0.05],
                            "sl_target": [0.8, 0.9], "p_meets_sl": [1.0, 0.0], "abandon_rate": [0.05, 0.0],
                            "asa_s": [12.0, 30000.0], "auto_approved": [0.0, 7.0],
                            "auto_approved_value": [0.0, 1234.0]})
    table = verdict(summary)
    assert table["columns"][-2:] == ["auto-approved", "auto-approved value"]
    chat, refunds = table["rows"]
    assert [chat[3]["css"], refunds[3]["css"]] == ["good", "bad"]
    assert refunds[7]["text"] == "8.3 h" and refunds[8]["text"] == "7" and refunds[9]["value"] == 1234.0
    assert "auto-approved" not in verdict(summary.assign(auto_approved=0.0))["columns"]
    assert chat[7]["text"] == "12.0 s"                # each channel's wait unit


@pytest.mark.parametrize("kind", list(pages.CHECKS))
def test_every_command_writes_its_page_with_the_saved_numbers(result_folders, kind):
    folder = result_folders[kind]
    page = pages.parse(folder / "report.html")
    table, header, _, _ = pages.CHECKS[kind]
    shown = [float(v) for v in page.column(table, header)]
    assert shown == pytest.approx(pages.expected(folder, kind), rel=1e-12) and len(shown) > 0
    assert len(page.images) > 0 and all(p.shape[0] > 100 and p.shape[1] > 100 for p in pages.pictures(page))
    assert all(s.startswith("data:") for s in page.sources)
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert next(k.heading for k in KINDS if k.name == kind) in text and pages.QUEUE in text


def test_the_report_command_rebuilds_every_kind(result_folders, tmp_path):
    for kind, folder in result_folders.items():
        copy = shutil.copytree(folder, tmp_path / kind / folder.name)
        first = (copy / "report.html").read_text(encoding="utf-8")
        (copy / "report.html").unlink()
        assert main(["report", str(copy)]) == 0, kind
        assert (copy / "report.html").read_text(encoding="utf-8") == first, kind


def test_the_compare_page_says_where_the_variant_wins(result_folders):
    """The variant has two more agents in the afternoon: its service level is higher there. The page's
    counts of intervals better, worse and not told apart are those of the paired CIs in the saved table,
    and the horizon's differences are coloured where their CI excludes zero, green the better way."""
    folder = result_folders["compare"]
    page = pages.parse(folder / "report.html")
    intervals = pd.read_csv(folder / "more_intervals.csv", encoding="utf-8-sig")
    sl = intervals[(intervals["kpi"] == "service_level") & intervals["difference"].notna()]
    better = int((sl["difference"] - sl["paired_ci95"] > 0).sum())
    worse = int((sl["difference"] + sl["paired_ci95"] < 0).sum())
    assert [int(page.column("wins-more", h)[0]) for h in ("intervals better", "intervals worse", "not told apart")] \
        == [better, worse, len(sl) - better - worse]
    assert better > 0
    totals = pd.read_csv(folder / "more_totals.csv", encoding="utf-8-sig").set_index("kpi")
    table = page.tables["totals-more"]
    rows = {(where, label): cells for where, label, cells in zip(page.column("totals-more", "queue or group"),
                                                                page.column("totals-more", ""), table["rows"])}
    for label, kpi, way in (("service level", "service_level", 1), ("abandoned", "abandon_rate", -1)):
        d, ci = totals.loc[kpi, "difference"], totals.loc[kpi, "paired_ci95"]
        short = kpi == "service_level" and totals.loc[kpi, "variant"] < totals.loc[kpi, "sl_target"]
        assert rows[(pages.QUEUE, label)][4][1] == ("" if abs(d) <= ci else "bad" if way * d < 0 else
                                                    "short" if short else "good")
    assert rows[(pages.QUEUE, "service level")][4][1] in ("good", "short")
    cost = rows[("all groups", "cost")]                  # two more agents for 12 hours at 40 an hour
    assert float(cost[4][0]) == pytest.approx(2 * 12 * 40) and cost[4][1] == "bad" and cost[6][0] == "worse"


def test_wins_counts_intervals_and_leaves_out_a_loss_there_was_not():
    frame = pd.DataFrame({"interval_start": ["10:00", "11:00", "12:00", "13:00"], "queue": "q", "kpi": "service_level",
                          "difference": [0.2, 0.05, 0.0, np.nan], "paired_ci95": [0.1, 0.1, 0.0, np.nan]})
    row = wins(frame).iloc[0]
    assert (row["better"], row["worse"], row["same"]) == (1, 0, 2)
    assert np.isnan(row["worst"]) and row["worst_at"] == "" and (row["best"], row["best_at"]) == (0.2, "10:00")
    row = wins(frame.assign(difference=[-0.3, -0.01, 0.0, np.nan])).iloc[0]
    assert (row["better"], row["worse"], row["same"]) == (0, 1, 2) and row["worst_at"] == "10:00"


def test_the_roster_page_leads_with_the_saving_and_lists_the_shifts(result_folders):
    folder = result_folders["roster"]
    page = pages.parse(folder / "report.html")
    cost = pd.read_csv(folder / "roster_cost.csv", encoding="utf-8-sig")
    verdict = dict(zip(page.column("roster-verdict", ""), page.column("roster-verdict", "value")))
    assert float(verdict["saving"]) == pytest.approx(cost["cost_scenario"].sum() - cost["cost_found"].sum())
    assert float(verdict["cost of the roster found"]) == pytest.approx(cost["cost_found"].sum())
    shifts = pd.read_csv(folder / "roster_shifts.csv", encoding="utf-8-sig")
    assert sorted(map(int, page.column("roster-shifts", "agents"))) == sorted(shifts["agents"])


def test_the_run_page_shows_the_money_and_the_conversations():
    """Sales won and lost by conversations, refunds auto-approved and the agents' cost lead the run page;
    the conversations' response times beside them; nothing where there is no money or conversation."""
    from sim.pages.run import conversations, money

    summary = pd.DataFrame({"queue": ["presales", "refunds"], "answered": [100.0, 50.0],
                            "messages": [500.0, np.nan], "replied_within": [400.0, np.nan],
                            "first_response_s": [25.0, np.nan], "first_response_p90_s": [60.0, np.nan],
                            "response_s": [30.0, np.nan], "silent_abandoned": [3.0, np.nan],
                            "orders": [30.0, np.nan], "gmv": [6000.0, np.nan], "gmv_lost": [1200.0, np.nan],
                            "auto_approved_value": [0.0, 340.0], "recovered_value": [np.nan, np.nan]})
    costs = pd.DataFrame({"group": ["a", "b"], "cost": [1000.0, 500.0]})
    rows = money(summary, costs)["rows"]
    assert [(r[0]["value"], r[1]["value"], r[2]["value"]) for r in rows] == [
        ("agents (all priced groups)", "cost", 1500.0), ("presales", "sales (GMV)", 6000.0),
        ("presales", "sales lost (GMV)", 1200.0), ("refunds", "value auto-approved", 340.0)]
    talk = conversations(summary)
    assert len(talk["rows"]) == 1 and talk["rows"][0][1]["value"] == 5.0 and talk["rows"][0][5]["value"] == 0.8
    assert money(summary.assign(gmv=np.nan, gmv_lost=np.nan, auto_approved_value=0.0), None) is None
    assert conversations(summary.assign(messages=np.nan)) is None


def test_the_sweep_page_puts_the_variants_side_by_side(result_folders):
    folder = result_folders["sweep"]
    page = pages.parse(folder / "report.html")
    table = pd.read_csv(folder / "sweep.csv", encoding="utf-8-sig")
    hours = table.groupby("variant")["centre_agent_hours"].first()
    assert [float(v) for v in page.column("variants", "agent-hours")] == pytest.approx(hours.tolist())
    assert [float(v) for v in page.column("variants", "cost")] == pytest.approx(
        table.groupby("variant")["centre_cost"].first().tolist())
    met = (table["service_level"] >= table["sl_target"]).groupby(table["variant"]).all()
    assert page.column("variants", "every target met") == ["yes" if m else "no" for m in met]
