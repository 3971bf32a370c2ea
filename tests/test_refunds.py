"""Refund work: orders-driven waves, amounts, platform deadlines and the resolution service level."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.arrivals import arrival_times
from sim.orders import contacts_from_orders
from sim.streams import stream

DAY = 86400.0


def refund_scenario(*, agents=3, rate=0.05, lag=None, deadline="6h", days=7, amount=None,
                    weekday_factors=(1, 1, 1, 1, 1, 1, 1)) -> dict:
    return {
        "name": "refunds", "start": "2026-11-02T00:00:00", "horizon": f"{days}d", "interval": "1h", "seed": 1,
        "orders": {"arrivals": {"daily_volume": 4000, "profile": "ecommerce_chat",
                                "weekday_factors": list(weekday_factors)},
                   "average_order_value": 200},
        "queues": {"refunds": {
            "channel": "refund",
            "from_orders": {"rate": rate, "lag": lag or {"dist": "lognormal", "mean": "1d", "cv": 0.5}},
            "handle_time": {"dist": "exponential", "mean": "10min"},
            "amount": amount or {"dist": "order_value_share", "share": 1.0},
            "deadline": deadline,
            "sla": {"resolve_within": "2h", "target": 0.9}}},
        "groups": {"refund_team": {"skills": ["refunds"], "headcount": agents}},
    }


def test_refund_wave_is_rate_times_orders_with_the_lag_mean():
    """Orders on Monday and Tuesday only, a week of horizon: nearly every request falls inside it.

    Requests ~ Binomial(orders, r) and mean(request time) - mean(order time) = mean lag (99.9% bands).
    """
    sc = sim.load_scenario(refund_scenario(rate=0.05, weekday_factors=(1, 1, 0, 0, 0, 0, 0)))
    q = sc.queues["refunds"]
    counts, orders_n, gaps, gap_sds = [], [], [], []
    for r, times in enumerate(arrival_times(sc, list(range(30)), 3)):
        orders = times[sim.scenario.ORDERS]
        requests = contacts_from_orders(sc, q, orders, lambda purpose, r=r: stream(3, r, "refunds", purpose))
        counts.append(requests.size)
        orders_n.append(orders.size)
        gaps.append(requests.mean() - orders.mean())
        gap_sds.append(np.sqrt(orders.var() / requests.size + (0.5 * DAY) ** 2 / requests.size))
    n, k = sum(orders_n), sum(counts)
    assert abs(k / n - 0.05) < 3.3 * np.sqrt(0.05 * 0.95 / n)
    assert abs(np.mean(gaps) - DAY) < 3.3 * np.sqrt(np.sum(np.square(gap_sds))) / len(gaps)


def test_deadline_auto_approves_exactly_once_and_stops_work():
    sc = sim.load_scenario(refund_scenario(agents=1, rate=0.08, deadline="3h"))
    res = sim.simulate(sc, seed=4, record_contacts=True)
    c = res.contacts
    limit = c["arrival_s"] + 3 * 3600
    assert len(c) == c["arrival_s"].nunique()                        # one row per item, never duplicated
    assert (c["end_s"].dropna() <= limit[c["end_s"].notna()] + 1e-6).all()   # nobody works past the deadline
    auto = c[c["auto_approved"]]
    assert len(auto) > 0
    queued = auto[auto["outcome"] == "abandoned"]
    assert np.allclose(queued["wait_s"], 3 * 3600)                   # approved unworked at the deadline
    cut = auto[auto["outcome"] == "answered"]
    assert np.allclose(cut["end_s"], cut["arrival_s"] + 3 * 3600)     # approved mid-work at the deadline
    iv = res.intervals
    assert iv["auto_approved"].sum() == len(auto)
    assert iv["auto_approved_value"].sum() == pytest.approx(200.0 * len(auto))
    assert (iv["offered"] == iv["answered"] + iv["abandoned"] + iv["waiting_at_end"]).all()


def test_resolution_service_level_matches_the_records():
    sc = sim.load_scenario(refund_scenario(agents=2, rate=0.06, deadline="1d"))
    res = sim.simulate(sc, seed=2, record_contacts=True)
    c = res.contacts
    done = (c["outcome"] == "answered") & ~c["auto_approved"] & c["end_s"].notna()
    within = done & (c["end_s"] - c["arrival_s"] <= 2 * 3600)
    open_at_end = (c["outcome"] == "waiting") | ((c["outcome"] == "answered") & c["end_s"].isna())
    counted = ~open_at_end | (sc.horizon - c["arrival_s"] > 2 * 3600)    # open items count once past 2 h
    assert res.totals["service_level"].item() == pytest.approx(within.sum() / counted.sum())
    resolution = (c["end_s"] - c["arrival_s"])[done]
    assert res.totals["resolution_mean_s"].item() == pytest.approx(resolution.mean())
    assert res.totals["resolution_p90_s"].item() == pytest.approx(np.quantile(resolution, 0.9))


def test_more_refund_staff_means_fewer_auto_approvals():
    values = [sim.simulate(sim.load_scenario(refund_scenario(agents=a, rate=0.08, deadline="3h")), seed=7)
              .totals["auto_approved_value"].item() for a in (1, 2, 3)]
    assert values[0] > values[1] > values[2]
