"""Synthetic contact logs: the simulator's own per-contact output written in the log format.

Useful to try the whole calibration loop without real data, and to test that fitting recovers the
parameters a log was generated from. Contacts still waiting or still being served when the horizon ends
are left out, as an export taken at that moment would not have them complete.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.channels import channel_of


def synthetic_log(sc: sim.Scenario, seed: int | None = None) -> pd.DataFrame:
    """One replication of ``sc``'s chats and calls as a contact log (``calibration.logs`` format)."""
    res = sim.simulate(sc, replications=1, seed=seed, workers=1, record_contacts=True)
    c = res.contacts
    logged = {name: q.channel for name, q in sc.queues.items() if channel_of(q).in_logs}
    channel = c["queue"].map(logged)
    answered, abandoned = c["outcome"] == "answered", c["outcome"] == "abandoned"
    keep = channel.notna() & ((answered & c["end_s"].notna()) | abandoned)
    c, channel, answered, abandoned = c[keep], channel[keep], answered[keep], abandoned[keep]
    start = pd.Timestamp(sc.start)
    arrival = start + pd.to_timedelta(c["arrival_s"], unit="s")
    left = arrival + pd.to_timedelta(c["wait_s"], unit="s")
    return pd.DataFrame({
        "queue": c["queue"].to_numpy(),
        "channel": channel.to_numpy(),
        "arrival_time": arrival.dt.round("ms").to_numpy(),
        "answer_time": left.where(answered).dt.round("ms").to_numpy(),
        "abandon_time": left.where(abandoned).dt.round("ms").to_numpy(),
        "handle_s": np.round(c["handle_s"].where(answered).to_numpy(), 3),
        "agent": np.where(answered, c["group"] + "-" + c["agent"].astype(str), ""),
        "caller": "c" + c["caller"].astype(str).to_numpy(),
    }).sort_values("arrival_time", kind="stable").reset_index(drop=True)


def synthetic_message_log(sc: sim.Scenario, seed: int | None = None) -> pd.DataFrame:
    """One replication of ``sc``'s conversation chats (``conversation``) as a message log: one row per
    message, in time order: ``conversation`` (an id), ``queue``, ``sender`` (``customer`` or ``agent``),
    ``time`` and ``agent`` (the conversation's; empty for a chat nobody took). A chat whose customer left
    before it was taken shows its first message only; messages not replied to by the horizon have no
    agent row.
    """
    from sim.arrivals import generate_demand
    from sim.attendance import draw_attendance
    from sim.engine import ABANDONED, Model

    seed = sc.seed if seed is None else seed
    out = Model(sc, generate_demand(sc, 0, seed), draw_attendance(sc, 0, seed)).run()
    m, c = out.messages, out.contacts
    if m is None:
        raise ValueError(f"{sc.name}: no chat queue is a conversation (give one a conversation block)")
    start = pd.Timestamp(sc.start)
    groups, queues = np.array(list(sc.groups)), np.array(list(sc.queues))
    talking = np.array([q.converses for q in sc.queues.values()])
    left = np.flatnonzero((c.outcome == ABANDONED) & talking[c.queue])
    agent = groups[c.group[m.contact]] + "-" + c.agent[m.contact].astype(str)
    replied = ~np.isnan(m.replied)
    contact = np.concatenate([m.contact, m.contact[replied], left])
    rows = pd.DataFrame({
        "conversation": contact,
        "queue": queues[c.queue[contact]],
        "sender": np.repeat(["customer", "agent", "customer"], [m.contact.size, int(replied.sum()), left.size]),
        "time": (start + pd.to_timedelta(np.concatenate([m.sent, m.replied[replied], c.time[left]]), unit="s")
                 ).round("ms"),
        "agent": np.concatenate([agent, agent[replied], np.full(left.size, "")]),
    })
    return rows.sort_values(["time", "sender"], kind="stable").reset_index(drop=True)
