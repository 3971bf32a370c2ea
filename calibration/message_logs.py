"""Message logs of chats (conversations): the documented format (docs/calibration.md), and bad rows reported.

One row per message: ``conversation`` (an id), ``queue``, ``sender`` (``customer`` or ``agent``; the
usual export words are understood, see ``SENDERS``), ``time`` (a local date-time, read as a contact
log's times are, UTC offsets included) and ``agent`` (who wrote an agent's message; may be empty on a
customer's). Messages the platform sends itself (sender ``system``, ``bot``, 系统, 机器人: greetings,
automatic replies) are nobody's work: left out and counted in the notes. A row that breaks the format is
left out and reported with its line number, as in a contact log (``calibration.logs``); a conversation
spanning more than a day is left out whole (all its lines reported).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.logs import (
    MAX_SPAN,
    Log,
    first_lines,
    local_times,
    queue_names,
    read_table,
    renamed,
    text_column,
)
from sim.scenario import EARLIEST, LATEST

MESSAGE_COLUMNS = ("conversation", "queue", "sender", "time", "agent")
SENDERS = {                   # what exports write in the sender column (lower case), by what we read it as
    "customer": ("customer", "buyer", "user", "client", "consumer", "买家", "顾客", "客户", "用户", "消费者"),
    "agent": ("agent", "seller", "staff", "service", "客服", "卖家", "人工", "商家"),
    "system": ("system", "bot", "robot", "auto", "系统", "机器人", "自动回复"),
}
MAX_CONVERSATION = pd.Timedelta(days=1)    # a conversation longer than this is a bad record, left out whole


def read_message_log(path: str | Path, mapping: dict[str, str] | None = None,
                     queues: list[str] | None = None) -> Log:
    """Read a message log (CSV or other delimited text, or Parquet), rename its columns by ``mapping``
    (their name: ours) and sort out the bad rows. ``queues``: the queue names expected (others are bad
    rows); by default every name is accepted. The rows come sorted by conversation and time.
    """
    path = Path(path)
    raw, first_line = read_table(path)
    raw = renamed(raw, mapping, MESSAGE_COLUMNS, path)
    log = pd.DataFrame({"line": np.arange(len(raw)) + first_line})
    bad: dict[str, np.ndarray] = {}
    text, empty = text_column(raw, "time")
    times, notes = local_times({"time": text.where(~empty)})
    log["time"] = times["time"].to_numpy()
    bad["no time"] = empty.to_numpy()
    bad["an unreadable time"] = (~empty & times["time"].isna()).to_numpy()
    for column in ("conversation", "queue", "agent"):
        log[column] = text_column(raw, column)[0].to_numpy()
    words = {word: kind for kind, said in SENDERS.items() for word in said}
    log["sender"] = text_column(raw, "sender")[0].str.lower().map(words).to_numpy()
    bad["an empty conversation"] = (log["conversation"] == "").to_numpy()
    bad["an empty queue"] = (log["queue"] == "").to_numpy()
    if queues is not None:
        bad["an unknown queue"] = ~log["queue"].isin(queues).to_numpy() & ~bad["an empty queue"]
    bad["a sender other than customer or agent"] = log["sender"].isna().to_numpy()
    bad["an agent's message without agent"] = ((log["sender"] == "agent") & (log["agent"] == "")).to_numpy()
    median = log["time"].dropna().median() if log["time"].notna().any() else pd.NaT
    bad["a time more than a year from the log's median"] = ((log["time"] - median).abs() > MAX_SPAN).to_numpy()
    bad[f"a time outside {EARLIEST.year}-{LATEST.year - 1}"] = (
        (log["time"] < EARLIEST) | (log["time"] >= LATEST - pd.Timedelta(days=1))).to_numpy()
    any_bad = np.logical_or.reduce(list(bad.values()))
    span = log[~any_bad].groupby("conversation")["time"].agg(["min", "max"])
    long = span.index[(span["max"] - span["min"]) > MAX_CONVERSATION]
    bad["a conversation spanning more than a day"] = ~any_bad & log["conversation"].isin(long).to_numpy()
    any_bad |= bad["a conversation spanning more than a day"]
    system = ~any_bad & (log["sender"] == "system").to_numpy()
    if system.any():
        notes.append(f"{path}: {int(system.sum()):,} message(s) from the platform itself (system, bot) left out: "
                     f"line(s) {first_lines(log['line'][system])}")
    rows = log[~any_bad & ~system].sort_values(["conversation", "time", "line"], kind="stable")
    rows = rows.reset_index(drop=True)
    rows["queue"], changed = queue_names(rows["queue"])
    lines = log["line"].to_numpy()
    return Log(str(path), rows, {kind: lines[flags].tolist() for kind, flags in bad.items() if flags.any()},
               notes + changed)
