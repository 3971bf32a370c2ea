"""Calibration from chat message logs (``calibration.message_logs``, ``calibration.conversations``): the
format and its bad rows, the reading of turns and rounds, and the recovery of a known conversation model
from its own synthetic message log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from calibration import calibrate, synthetic_log, synthetic_message_log
from calibration.conversations import contact_rows, fit_conversations, rounds_of
from calibration.message_logs import read_message_log
from sim.arrivals import generate_demand
from sim.attendance import draw_attendance
from sim.cli import main
from sim.engine import Model
from tests.conftest import single_queue

TRUTH = {"rounds": 4.0, "reply": 20.0, "reply_cv": 0.8, "gap": 40.0, "gap_cv": 1.0, "slowdown": (1.0, 1.1, 1.25),
         "message_patience": 300.0, "idle_timeout": 120.0}


def _scenario() -> sim.Scenario:
    data = single_queue(channel="chat", agents=12, concurrency=3, aht=300, load=20, days=2, answer_within=30,
                        patience=300)
    data["queues"]["q"]["conversation"] = {
        "rounds": {"dist": "gamma", "mean": TRUTH["rounds"], "cv": 0.6},
        "reply": {"dist": "lognormal", "mean": TRUTH["reply"], "cv": TRUTH["reply_cv"]},
        "gap": {"dist": "lognormal", "mean": TRUTH["gap"], "cv": TRUTH["gap_cv"]},
        "slowdown": list(TRUTH["slowdown"]),
        "message_patience": {"dist": "exponential", "mean": TRUTH["message_patience"]},
        "idle_timeout": TRUTH["idle_timeout"]}
    return sim.load_scenario(data)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A two-day message log of a known conversation model, read back, and the run's true silent share."""
    sc = _scenario()
    path = tmp_path_factory.mktemp("messages") / "messages.csv"
    synthetic_message_log(sc, seed=4).to_csv(path, index=False)
    messages = Model(sc, generate_demand(sc, 0, 4), draw_attendance(sc, 0, 4)).run().messages
    silent = np.isin(np.unique(messages.contact), messages.contact[messages.silent]).mean()
    return sc, read_message_log(path), float(silent)


def test_a_known_conversation_model_is_recovered(generated):
    """Reply work (from replies nothing else delayed), gaps, the natural rounds, the slowdown by open
    conversations and the message patience come back within a few standard errors of what generated the
    log; the silent-abandon share the log cannot show within 0.04 of the run's true one."""
    _, log, true_silent = generated
    fit = fit_conversations(log.rows, idle_timeout=TRUTH["idle_timeout"])["q"]
    assert log.bad_count == 0 and fit.replies_clean
    n_reply, n_gap = fit.reply.values.size, fit.gap.values.size
    assert abs(fit.reply.mean - TRUTH["reply"]) < 4 * TRUTH["reply"] * TRUTH["reply_cv"] / np.sqrt(n_reply)
    assert abs(fit.gap.mean - TRUTH["gap"]) < 4 * TRUTH["gap"] * TRUTH["gap_cv"] / np.sqrt(n_gap)
    natural = np.dot(np.arange(1, fit.natural_rounds.size + 1), fit.natural_rounds)
    assert natural == pytest.approx(TRUTH["rounds"], rel=0.05)
    assert fit.rounds.mean() < natural - 0.2                # customers who left cut their rounds short
    table = fit.slowdown_table.set_index("open")
    for load in table.index[1:]:
        true = TRUTH["slowdown"][min(load, 3) - 1]
        assert abs(table.loc[load, "ratio"] - true) < 4 * table.loc[load, "ratio_se"], table
    assert len(fit.slowdown) >= 2
    assert abs(np.log(fit.patience_mean / TRUTH["message_patience"])) < 3 * fit.patience_log_se
    assert fit.patience_log_se < 0.15
    assert fit.silent / fit.rounds.size == pytest.approx(true_silent, abs=0.04)


def test_without_silent_abandonment_none_is_found(tmp_path):
    """Customers who never leave mid-conversation: the likelihood-ratio test finds no message patience."""
    data = single_queue(channel="chat", agents=12, concurrency=3, aht=300, load=20, days=1, answer_within=30)
    data["queues"]["q"]["conversation"] = {"rounds": {"dist": "gamma", "mean": 4, "cv": 0.6},
                                           "reply": {"dist": "lognormal", "mean": 20, "cv": 0.8},
                                           "gap": {"dist": "lognormal", "mean": 40, "cv": 1.0}}
    path = tmp_path / "messages.csv"
    synthetic_message_log(sim.load_scenario(data), seed=2).to_csv(path, index=False)
    fit = fit_conversations(read_message_log(path).rows)["q"]
    assert fit.patience_mean is None and fit.silent == 0
    assert "message_patience" not in fit.spec()


@pytest.mark.slow
def test_the_fitted_scenario_reproduces_the_log(generated, tmp_path):
    """Calibrated from the message log alone, the scenario's simulated first and average response times
    and replied messages per day match the log's (the back-test's bias within 10%)."""
    _, log, _ = generated
    from calibration.backtest import backtest

    result = calibrate(None, interval=3600.0, messages=log, idle_timeout=TRUTH["idle_timeout"])
    block = result.scenario["queues"]["q"]["conversation"]
    assert set(block) >= {"rounds", "reply", "gap", "slowdown", "message_patience"}
    sim.load_scenario(result.scenario)
    errors = backtest(result, replications=4, seed=3, workers=1).errors.set_index(["queue", "kpi"])
    for kpi in ("first_response_s", "response_s", "messages", "service_level"):
        row = errors.loc[("q", kpi)]
        assert abs(row["bias"]) < 0.1 * row["history_mean"], (kpi, row.to_dict())
    assert ("q", "asa_s") not in errors.index           # the log's "answer" is the first reply: not compared


def _write(path, rows: list[tuple]) -> None:
    pd.DataFrame(rows, columns=["conversation", "queue", "sender", "time", "agent"]).to_csv(path, index=False)


def test_bad_rows_are_reported_by_line(tmp_path):
    path = tmp_path / "messages.csv"
    _write(path, [
        ("c1", "pre", "买家", "2026-11-11 10:00:00", ""),            # line 2: a customer, in Chinese
        ("c1", "pre", "客服", "2026-11-11 10:00:20", "a1"),          # 3: an agent
        ("c1", "pre", "buyer", "not a time", ""),                   # 4: unreadable time
        ("", "pre", "customer", "2026-11-11 10:01:00", ""),         # 5: no conversation
        ("c1", "pre", "parrot", "2026-11-11 10:01:00", ""),         # 6: unknown sender
        ("c1", "pre", "agent", "2026-11-11 10:01:30", ""),          # 7: an agent's message without agent
        ("c1", "pre", "system", "2026-11-11 10:02:00", ""),         # 8: the platform: left out, noted
        ("c2", "pre", "customer", "2026-11-11 10:00:00", ""),       # 9-10: two days long: left out whole
        ("c2", "pre", "agent", "2026-11-13 10:00:00", "a1"),
        ("c3", "", "customer", "2026-11-11 10:00:00", ""),          # 11: no queue
    ])
    log = read_message_log(path)
    assert log.bad == {"an unreadable time": [4], "an empty conversation": [5], "an empty queue": [11],
                       "a sender other than customer or agent": [6], "an agent's message without agent": [7],
                       "a conversation spanning more than a day": [9, 10]}
    assert list(log.rows["line"]) == [2, 3]
    assert list(log.rows["sender"]) == ["customer", "agent"]
    assert any("platform itself" in note and "line(s) 8" in note for note in log.notes)
    assert any("line(s) 9, 10" in problem for problem in log.problems())


def test_turns_and_rounds(tmp_path):
    """Greetings are not rounds; a burst of customer messages is one; the response runs from its first
    message to the first reply; a last customer turn nobody answered closes the last round; a conversation
    nobody answered is a contact that abandoned at its last customer message."""
    path = tmp_path / "messages.csv"
    _write(path, [
        ("c1", "pre", "agent", "2026-11-11 10:00:00", "a1"),        # greeting
        ("c1", "pre", "customer", "2026-11-11 10:00:05", ""),
        ("c1", "pre", "customer", "2026-11-11 10:00:10", ""),
        ("c1", "pre", "agent", "2026-11-11 10:00:35", "a1"),
        ("c1", "pre", "agent", "2026-11-11 10:00:40", "a1"),
        ("c1", "pre", "customer", "2026-11-11 10:01:40", ""),
        ("c1", "pre", "agent", "2026-11-11 10:02:00", "a1"),
        ("c1", "pre", "customer", "2026-11-11 10:02:30", ""),       # "thanks", unanswered
        ("c2", "pre", "customer", "2026-11-11 10:05:00", ""),
        ("c2", "pre", "customer", "2026-11-11 10:06:00", ""),
    ])
    rounds, talks = rounds_of(read_message_log(path).rows)
    assert list(rounds["j"]) == [1, 2]
    assert list((rounds["replied"] - rounds["sent"]).dt.total_seconds()) == [30, 20]
    assert list(rounds["last"]) == [False, True] and list(rounds["closed"]) == [False, True]
    assert talks.loc["c1", "rounds"] == 2 and talks.loc["c2", "rounds"] == 0
    contacts = contact_rows(read_message_log(path).rows).set_index("conversation")
    assert contacts.loc["c1", "arrival_time"] == pd.Timestamp("2026-11-11 10:00:05")      # not the greeting
    assert contacts.loc["c1", "answer_time"] == pd.Timestamp("2026-11-11 10:00:35")
    assert contacts.loc["c1", "handle_s"] == 115
    assert contacts.loc["c2", "abandon_time"] == pd.Timestamp("2026-11-11 10:06:00")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 90), st.integers(1, 3), st.integers(1, 90)),
                min_size=1, max_size=8))
def test_a_conversation_is_its_responses_and_gaps(turns):
    """Customer bursts each answered by agent bursts: the rounds' responses and gaps add up to the time
    from the first customer message to the last round's reply, and each round's response is the time
    from its burst's first message to the first reply."""
    rows, t = [], pd.Timestamp("2026-11-11 10:00:00")
    for customer, wait, agent, gap in turns:
        first = t
        for _ in range(customer):
            rows.append({"conversation": "c", "queue": "q", "sender": "customer", "time": t, "agent": ""})
            t += pd.Timedelta(seconds=1)
        t = first + pd.Timedelta(seconds=customer + wait)
        reply = t
        for _ in range(agent):
            rows.append({"conversation": "c", "queue": "q", "sender": "agent", "time": t, "agent": "a"})
            t += pd.Timedelta(seconds=1)
        t = reply + pd.Timedelta(seconds=agent + gap)
    frame = pd.DataFrame(rows)
    frame["line"] = np.arange(len(frame)) + 2
    rounds, _ = rounds_of(frame)
    response = (rounds["replied"] - rounds["sent"]).dt.total_seconds()
    gaps = (rounds["next"] - rounds["replied"]).dt.total_seconds().fillna(0)
    assert len(rounds) == len(turns)
    assert list(response) == [c + w for c, w, _, _ in turns]
    assert response.sum() + gaps.sum() == (rounds["replied"].iloc[-1] - rounds["sent"].iloc[0]).total_seconds()


@pytest.mark.slow
def test_calibrate_command_with_messages(generated, tmp_path, capsys):
    """``calibrate --messages``: from a message log alone (its bad rows reported by line, a --map of its
    columns), and beside a contact log; without either log, a clear error."""
    _, log, _ = generated
    raw = pd.read_csv(log.path).rename(columns={"time": "sent_at"})
    raw.loc[3, "sender"] = "parrot"
    messages = tmp_path / "messages.csv"
    raw.to_csv(messages, index=False)
    out = tmp_path / "cal.yaml"
    assert main(["calibrate", "--messages", str(messages), "--map", "time=sent_at", "--out", str(out),
                 "--interval", "1h", "--idle-timeout", "2min"]) == 0
    printed = capsys.readouterr().out
    assert "1 row(s) with a sender other than customer or agent: line(s) 5" in printed
    assert "messages.csv: conversations" in printed and "slowdown" in printed
    scenario = sim.load_scenario(out)
    assert scenario.queues["q"].conversation.message_patience is not None
    assert scenario.queues["q"].conversation.idle_timeout == 120
    report = tmp_path / "cal_fit"
    assert {"conversations.csv", "conversation_slowdown.csv", "conversations_q.png"} <= {
        p.name for p in report.iterdir()}
    contacts = tmp_path / "contacts.csv"
    synthetic_log(_scenario(), seed=4).to_csv(contacts, index=False)
    assert main(["calibrate", str(contacts), "--messages", str(messages), "--map", "time=sent_at", "--out",
                 str(tmp_path / "both.yaml"), "--no-plots", "--interval", "1h"]) == 0
    assert "message_bad_rows.csv" in {p.name for p in (tmp_path / "both_fit").iterdir()}
    assert sim.load_scenario(tmp_path / "both.yaml").queues["q"].conversation is not None
    assert main(["calibrate"]) == 2
    assert "give a contact log, or a message log with --messages" in capsys.readouterr().err
    assert main(["calibrate", "--messages", str(messages)]) == 2
    assert "missing column(s) time" in capsys.readouterr().err
