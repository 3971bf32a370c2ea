"""Valid scenarios that probably do not say what was meant get warnings (exit 0) naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import sim
from sim.cli import main
from sim.lint import warnings

ROOT = Path(__file__).resolve().parent.parent
NORMAL_DAY = yaml.safe_load((ROOT / "scenarios" / "normal_day.yaml").read_text())


def lint(change) -> list[str]:
    data = copy.deepcopy(NORMAL_DAY)
    change(data)
    return warnings(sim.load_scenario(data))


@pytest.mark.parametrize("name", ["normal_day", "double11", "double11_refunds", "double11_refunds_l1",
                                  "tickets_week", "double11_plan"])
def test_the_examples_have_nothing_to_warn_of(name):
    assert warnings(sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")) == []


def test_a_surge_on_a_queue_fed_only_by_orders():
    data = yaml.safe_load((ROOT / "scenarios" / "double11_plan.yaml").read_text())
    data["surges"] = [{"start": "2026-11-10T23:30", "end": "2026-11-11T00:00", "multiplier": 3,
                       "queues": ["presales_chat", "hotline"]}]
    assert warnings(sim.load_scenario(data)) == [
        "surges.0.queues: presales_chat has no arrivals of its own, only contacts from orders, which a surge does "
        "not multiply; name 'orders' to surge the orders it follows"]


def test_a_reserve_that_keeps_the_whole_group():
    def reserve_all(data):
        data["groups"]["hotline_team"]["reserve"] = {"queue": "hotline", "agents": 50}
    found = lint(reserve_all)
    assert any(w.startswith("groups.hotline_team.reserve.agents: keeps 50 idle for hotline, but the group never "
                            "has more than") for w in found), found


def test_a_handle_time_in_seconds_that_was_meant_in_minutes():
    found = lint(lambda d: d["queues"]["hotline"]["handle_time"].update(mean=5))
    assert found == ["queues.hotline.handle_time.mean: a call handled in 5 s on average is very short; numbers "
                     "without a unit are seconds (write 5min for five minutes)"]


def test_a_patience_of_seconds():
    found = lint(lambda d: d["queues"]["hotline"]["patience"].update(mean=3))
    assert found and found[0].startswith("queues.hotline.patience: customers who give up after 3 s")


def test_a_shift_that_ends_before_it_starts():
    found = lint(lambda d: d["groups"]["hotline_team"]["shifts"][0].update(start="17:00", end="08:00", breaks=[]))
    assert found[0] == ("groups.hotline_team.shifts.0: ends at 08:00, before its 17:00 start, so it runs "
                        "overnight for 15 h; swap start and end if you meant 08:00-17:00")
    assert lint(lambda d: None) == []          # the real night shift (22:00-08:00, 10 h) is not reported


def test_a_queue_left_without_anyone_for_hours():
    """Without its night shift, nobody answers the hotline from 22:00 to 08:00 while calls arrive: by the
    ecommerce_call profile, 1,200 × 3.0 / 84.4 = 42.7 calls before 08:00 and 1,200 × 3.4 / 84.4 = 48.3 after 22:00."""
    found = lint(lambda d: d["groups"]["hotline_team"]["shifts"].pop(4))
    assert found == ["queues.hotline: nobody who serves it is on shift 00:00-08:00 on 2026-10-20 while about 43 "
                     "contacts arrive", "queues.hotline: nobody who serves it is on shift 22:00-24:00 on 2026-10-20 "
                     "while about 48 contacts arrive"]


def test_a_whole_team_on_break_at_once():
    def same_break(d):
        for shift in d["groups"]["hotline_team"]["shifts"][:2]:
            shift["breaks"] = [{"at": "12:00", "duration": "1h"}]
    found = lint(same_break)
    assert found == [f"groups.hotline_team.shifts.{row}.breaks.0: all 11 agents of hotline_team on shift are on a "
                     "break at 12:30 on 2026-10-20; stagger the breaks" for row in (0, 1)]


def test_warnings_go_to_stderr_and_keep_exit_code_zero(tmp_path, capsys):
    data = copy.deepcopy(NORMAL_DAY)
    data["queues"]["hotline"]["handle_time"]["mean"] = 5
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["check", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"warning: {path}: queues.hotline.handle_time.mean: a call handled in 5 s")
    assert "OK" in captured.out


def test_a_queue_no_work_reaches_is_named():
    """Without the rule sending large refunds to a supervisor (L3), nothing ever reaches the supervisors'
    queue, and the team serving only it would wait idle; the example itself warns of nothing."""
    data = yaml.safe_load((ROOT / "scenarios" / "double11_refunds.yaml").read_text())
    data["queues"]["refund_requests"]["levels_by_amount"] = [{"up_to_share": 0.3, "level": "L1"}, {"level": "L2"}]
    lines = [line for line in warnings(sim.load_scenario(data)) if "no work ever reaches" in line]
    assert lines == ["queues.supervisor_review: no work ever reaches it: it has no arrivals of its own, and no queue "
                     "escalates (with a level its agents lack), moves or repeats work to it; supervisors, serving only "
                     "it, would wait idle"]


def test_a_break_of_seconds_is_named():
    assert lint(lambda d: d["groups"]["presales"]["shifts"][0]["breaks"][0].update(duration=60)) == [
        "groups.presales.shifts.0.breaks.0.duration: a break of 60 s is very short; numbers without a unit are "
        "seconds (write 1h for an hour)"]
