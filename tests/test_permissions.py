"""Permission levels and escalation: who may resolve what, and what it costs the customer."""

from __future__ import annotations

import numpy as np

import sim

LEVELS = ["L0", "L1", "L2", "L3"]


def permission_scenario(reception_level="L0", remedy_share=0.2) -> dict:
    return {
        "name": "permissions", "start": "2026-11-02T00:00:00", "horizon": "3d", "interval": "1h", "seed": 2,
        "levels": LEVELS,
        "orders": {"arrivals": {"daily_volume": 3000, "profile": "ecommerce_chat"}, "average_order_value": 200},
        "queues": {
            "aftersales": {"channel": "chat", "arrivals": {"daily_volume": 1500, "profile": "ecommerce_chat"},
                           "handle_time": {"dist": "lognormal", "mean": 300, "cv": 0.7},
                           "remedy": {"share": remedy_share, "level": "L1",
                                      "amount": {"dist": "order_value_share", "share": 0.2}},
                           "escalate_to": {"L1": "review"}},
            "refunds": {"channel": "refund",
                        "from_orders": {"rate": 0.06, "lag": {"dist": "exponential", "mean": "12h"}},
                        "handle_time": {"dist": "exponential", "mean": "6min"},
                        "amount": {"dist": "lognormal", "mean": 120, "cv": 0.9},
                        "levels_by_amount": [{"up_to_share": 0.3, "level": "L1"}, {"up_to": 400, "level": "L2"},
                                             {"level": "L3"}],
                        "deadline": "1d", "sla": {"resolve_within": "8h", "target": 0.9},
                        "escalate_to": {"L1": "review", "L2": "review", "L3": "supervisor"}},
            "review": {"channel": "refund", "handle_time": {"dist": "exponential", "mean": "4min"}},
            "supervisor": {"channel": "refund", "handle_time": {"dist": "exponential", "mean": "10min"}},
        },
        "groups": {
            "reception": {"skills": ["aftersales", "refunds"], "concurrency": 3, "headcount": 6,
                          "level": reception_level},
            "refund_team": {"skills": ["review", "refunds"], "headcount": 2, "level": "L2"},
            "supervisors": {"skills": ["supervisor"], "headcount": 1, "level": "L3"},
        },
    }


def run(**kwargs):
    sc = sim.load_scenario(permission_scenario(**kwargs))
    return sc, sim.simulate(sc, replications=2, seed=5, record_contacts=True)


def test_nobody_resolves_above_their_level():
    sc, res = run()
    c = res.contacts
    group_level = {g: LEVELS.index(sc.groups[g].level) for g in sc.groups}
    resolved = c[(c["outcome"] == "answered") & ~c["escalated"] & ~c["auto_approved"] & c["end_s"].notna()
                 & (c["level"] != "")]
    assert len(resolved) > 100
    assert (resolved["group"].map(group_level) >= resolved["level"].map(LEVELS.index)).all()
    escalated = c[c["escalated"]]
    assert (escalated["group"].map(group_level) < escalated["level"].map(LEVELS.index)).all()


def test_escalations_are_counted_once_on_each_side():
    _, res = run()
    c = res.contacts
    for _, mine in c.groupby("replication"):
        followups = mine[mine["origin"] >= 0]
        assert mine["escalated"].sum() == len(followups) > 0
        assert followups["origin"].is_unique
        assert set(followups["origin"]) == set(mine.index[mine["escalated"]] - mine.index[0])
    iv = res.intervals
    assert iv["escalated"].sum() == c["escalated"].sum()
    assert iv.loc[iv["queue"].isin(["review", "supervisor"]), "offered"].sum() == c["escalated"].sum()


def test_end_to_end_time_is_the_sum_of_both_parts():
    _, res = run()
    c = res.contacts.set_index(["replication", res.contacts.groupby("replication").cumcount()])
    followups = c[c["origin"] >= 0]
    both = followups[followups["end_s"].notna() & ~followups["auto_approved"]]
    assert len(both) > 20
    for (rep, _), f in both.iterrows():
        first = c.loc[(rep, f["origin"])]
        parts = first["wait_s"] + first["handle_s"] + f["wait_s"] + f["handle_s"]
        assert np.isclose(f["end_s"] - first["arrival_s"], parts)
    totals = res.totals.set_index(["replication", "queue"])
    assert (totals["resolution_mean_s"].xs("refunds", level="queue") > 0).all()


def test_granting_l1_to_reception_escalates_less_and_resolves_faster():
    _, l0 = run(reception_level="L0")
    _, l1 = run(reception_level="L1")
    s0, s1 = l0.summary.set_index("queue"), l1.summary.set_index("queue")
    assert s1.loc["aftersales", "escalated"] == 0 < s0.loc["aftersales", "escalated"]
    assert s1.loc["refunds", "escalation_rate"] < s0.loc["refunds", "escalation_rate"]
    assert s1.loc["refunds", "resolution_mean_s"] < s0.loc["refunds", "resolution_mean_s"]
