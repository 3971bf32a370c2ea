"""Contacts driven by orders: a sales plan over its own calendar, sources with a lag or a lead, phases,
and the expected contacts per interval (the order curve convolved with the lag distribution).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.arrivals import generate_demand
from sim.orders import expected_from_orders
from sim.staffing.requirements import covered_queues, interval_rates

PLAN = {
    "average_order_value": 250,
    "plan": {
        "days": {"2026-11-06": 3000, "2026-11-07": 3000, "2026-11-08": 4000, "2026-11-09": 5000,
                 "2026-11-10": 6000, "2026-11-11": 20000, "2026-11-12": 4000, "2026-11-13": 3000},
        "profile": "ecommerce_chat",
        "day_profiles": {"2026-11-11": [30, 4, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6, 6]},
        "phases": [{"name": "deposit", "start": "2026-11-06T00:00", "end": "2026-11-10T00:00"},
                   {"name": "big_day", "start": "2026-11-11T00:00", "end": "2026-11-12T00:00"}],
    },
}


def plan_scenario(**queues) -> dict:
    """Three days from 10 November, orders planned from 6 to 13 November, one call queue per source."""
    return {
        "name": "sales_plan", "start": "2026-11-10T00:00:00", "horizon": "3d", "interval": "1h", "seed": 5,
        "orders": copy.deepcopy(PLAN),
        "queues": {name: {"channel": "call", "handle_time": {"dist": "exponential", "mean": 200}, **spec}
                   for name, spec in queues.items()},
        "groups": {"team": {"skills": list(queues), "headcount": 20}},
    }


SOURCES = {
    "logistics": {"from_orders": {"rate": 0.06, "lag": {"dist": "lognormal", "mean": "2d", "cv": 0.5}}},
    "presales": {"from_orders": {"rate": 1.4, "lead": {"dist": "gamma", "mean": "3h", "cv": 0.8}}},
    "deposit_help": {"from_orders": [{"rate": 0.1, "lag": {"dist": "exponential", "mean": "6h"},
                                      "phases": ["deposit"]},
                                     {"rate": 0.02, "lag": {"dist": "constant", "value": "30min"},
                                      "phases": ["big_day"]}],
                     "arrivals": {"daily_volume": 500}},
}


def test_contacts_per_interval_are_the_order_curve_convolved_with_the_lag():
    """Per queue and 6-hour block, the mean over replications of the contacts drawn agrees with the
    analytic expectation (z-test with the replications' own spread, Bonferroni over the blocks), for a
    lag, a lead with more than one contact per order, and phase-limited sources beside own arrivals.
    """
    sc = sim.load_scenario(plan_scenario(**SOURCES))
    names = list(sc.queues)
    blocks = 6                                   # intervals of 1 h per block
    reps = 60
    counts = np.zeros((reps, len(names), sc.n_intervals // blocks))
    for r in range(reps):
        demand = generate_demand(sc, r, 11)
        for qi in range(len(names)):
            times = demand.time[demand.queue == qi]
            counts[r, qi] = np.histogram(times, bins=np.arange(0, sc.horizon + 1, blocks * sc.interval))[0]
    for qi, name in enumerate(names):
        expected = expected_from_orders(sc, name).reshape(-1, blocks).sum(axis=1)
        if name == "deposit_help":               # its own 500 a day on a flat profile
            expected += 500 / 24 * blocks
        mean, sd = counts[:, qi].mean(axis=0), counts[:, qi].std(axis=0, ddof=1)
        z = (mean - expected) / (sd / np.sqrt(reps))
        assert np.abs(z).max() < 3.9, (name, np.round(z, 1), np.round(expected))
        assert expected.sum() > 1000


def test_orders_before_the_start_and_after_the_horizon_drive_contacts():
    """After-sales contacts on the first hours come from orders placed before the start; pre-sales
    inquiries in the last hours lead orders placed after the horizon.
    """
    def without(days):
        data = plan_scenario(logistics=SOURCES["logistics"], presales=SOURCES["presales"])
        for day in days:
            data["orders"]["plan"]["days"][day] = 0
        return sim.load_scenario(data)

    sc, no_earlier, no_later = without([]), without(["2026-11-06", "2026-11-07", "2026-11-08", "2026-11-09"]), \
        without(["2026-11-13"])
    early, early_cut = (expected_from_orders(s, "logistics")[:6].sum() for s in (sc, no_earlier))
    assert early > 20 * early_cut and early > 30    # from the 6-9 November orders (lag about 2 days)
    late, late_cut = (expected_from_orders(s, "presales")[-3:].sum() for s in (sc, no_later))
    assert late > late_cut * 1.5                     # the 13 November orders are asked about on the 12th


def test_the_phases_limit_a_source_to_their_orders():
    """A source limited to the deposit phase (6-9 November) expects what the same source expects from a plan
    whose other days have no orders.
    """
    source = {"rate": 0.1, "lag": {"dist": "exponential", "mean": "6h"}}
    sc = sim.load_scenario(plan_scenario(help={"from_orders": {**source, "phases": ["deposit"]}}))
    data = plan_scenario(help={"from_orders": source})
    data["orders"]["plan"]["days"] = {d: (v if d < "2026-11-10" else 0) for d, v in PLAN["plan"]["days"].items()}
    alone = sim.load_scenario(data)
    assert expected_from_orders(sc, "help") == pytest.approx(expected_from_orders(alone, "help"))
    assert expected_from_orders(sc, "help")[0] > 10 * expected_from_orders(sc, "help")[-1] > 0


def test_gmv_with_a_total_is_split_by_the_days_weights():
    data = plan_scenario(**{"logistics": SOURCES["logistics"]})
    data["orders"]["plan"].update(unit="gmv", total=5_000_000, days={"2026-11-09": 1, "2026-11-10": 3,
                                                                    "2026-11-11": 4, "2026-11-12": 2})
    plan = sim.load_scenario(data).orders.plan
    assert plan.orders_per_day(250).tolist() == [2000, 6000, 8000, 4000]


def test_staffing_formulas_cover_queues_driven_by_orders():
    sc = sim.load_scenario(plan_scenario(**SOURCES))
    assert covered_queues(sc) == list(sc.queues)
    rates = interval_rates(sc, "logistics")
    assert rates * sc.interval == pytest.approx(expected_from_orders(sc, "logistics"))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["queues"]["logistics"]["from_orders"].update(lead={"dist": "exponential", "mean": 60}),
     "queues.logistics.from_orders.0: give 'lag'"),
    (lambda d: d["queues"]["logistics"]["from_orders"].update(phases=["final_payment"]),
     "queues.logistics.from_orders.0.phases: unknown phase"),
    (lambda d: d["orders"]["plan"]["days"].pop("2026-11-08"), "orders.plan.days: skips 2026-11-08"),
    (lambda d: d["orders"]["plan"].update(days={"2026-10-01": 100}), "orders.plan.days: the plan"),
    (lambda d: d["orders"].update(arrivals={"daily_volume": 100}), "orders: give 'arrivals'"),
    (lambda d: d["orders"]["plan"]["day_profiles"].update({"2026-12-01": [1] * 24}),
     "orders.plan.day_profiles.2026-12-01: not a day of the plan"),
])
def test_plan_and_source_mistakes_name_their_key(change, message):
    data = plan_scenario(logistics=copy.deepcopy(SOURCES["logistics"]))
    change(data)
    with pytest.raises(sim.ScenarioError, match=message.replace(".", r"\.")):
        sim.load_scenario(data)
