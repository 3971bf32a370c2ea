"""Calibration of contacts that follow orders: from a log whose contacts carry an order id and an orders
file, the contacts per order and the lag (or lead) distribution, corrected for the orders whose contacts
fall outside the log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from calibration.calibrate import calibrate
from calibration.orders import read_orders

START = pd.Timestamp("2026-10-01")
DAY = 86400.0


def write_history(folder, seed: int, orders_per_day=300, days=30, log_from_day=12, lag_rate=0.3,
                  lag_mean=2 * DAY, lag_cv=0.6, lead_rate=0.4, lead_mean=3 * 3600.0, lead_cv=1.0, own_per_day=150,
                  big_days=(), with_ids=True):
    """Orders over ``days`` days (ten times as many on ``big_days``), and a log of the contacts arriving from
    day ``log_from_day`` on: after-sales chats lagging their orders, pre-sales chats leading them, and
    after-sales chats tied to no order; ``with_ids``: whether the log says which order a contact is about.
    """
    rng = np.random.default_rng(seed)
    n = rng.poisson(orders_per_day * days)
    placed = np.sort(np.concatenate([rng.uniform(0, days * DAY, n)] + [
        rng.uniform(day * DAY, (day + 1) * DAY, 9 * orders_per_day) for day in big_days]))
    n = placed.size
    ids = np.array([f"o{k}" for k in range(n)])

    def lognormal(mean, cv, size):
        sigma = np.sqrt(np.log1p(cv ** 2))
        return rng.lognormal(np.log(mean) - sigma ** 2 / 2, sigma, size)

    def contacts(rate, mean, cv, sign):
        has = rng.random(n) < rate
        return placed[has] + sign * lognormal(mean, cv, has.sum()), ids[has]

    lag_t, lag_id = contacts(lag_rate, lag_mean, lag_cv, 1.0)
    lead_t, lead_id = contacts(lead_rate, lead_mean, lead_cv, -1.0)
    own_t = rng.uniform(0, days * DAY, rng.poisson(own_per_day * days))
    rows = pd.DataFrame({"queue": np.concatenate([np.full(lag_t.size, "aftersales"), np.full(lead_t.size, "presales"),
                                                  np.full(own_t.size, "aftersales")]),
                         "t": np.concatenate([lag_t, lead_t, own_t]),
                         "order_id": np.concatenate([lag_id, lead_id, np.full(own_t.size, "")])})
    rows = rows[(rows["t"] >= log_from_day * DAY) & (rows["t"] < days * DAY)].sort_values("t")
    arrival = START + pd.to_timedelta(rows["t"], unit="s")
    stamp = "%Y-%m-%d %H:%M:%S"
    log = pd.DataFrame({"queue": rows["queue"], "channel": "chat", "arrival_time": arrival.dt.strftime(stamp),
                        "answer_time": (arrival + pd.Timedelta(seconds=5)).dt.strftime(stamp),
                        "handle_s": 300, "order_id": rows["order_id"] if with_ids else ""})
    orders = pd.DataFrame({"order_id": ids, "placed_at": (START + pd.to_timedelta(placed, unit="s")).strftime(
        "%Y-%m-%d %H:%M:%S"), "amount": 200})
    log.to_csv(folder / "log.csv", index=False)
    orders.to_csv(folder / "orders.csv", index=False)
    return folder / "log.csv", folder / "orders.csv"


@pytest.mark.parametrize("seed", [1, 2])
def test_rates_and_delays_per_order_are_recovered(tmp_path, seed):
    """Each within five standard errors of the truth (rate: 1/sqrt(linked); mean: sigma/sqrt(linked)), while
    the naive rate (linked contacts / orders) is far too low: a third of the orders' contacts fall outside
    the log.
    """
    log, orders = write_history(tmp_path, seed)
    cal = calibrate(log, interval=3600, orders=orders)
    fits = {(f.queue, f.direction): f for fs in cal.sources.values() for f in fs}
    assert set(fits) == {("aftersales", "lag"), ("presales", "lead")}
    for (queue, direction), (rate, mean, cv) in {("aftersales", "lag"): (0.3, 2 * DAY, 0.6),
                                                 ("presales", "lead"): (0.4, 3 * 3600.0, 1.0)}.items():
        fit = fits[(queue, direction)]
        sigma = np.sqrt(np.log1p(cv ** 2))
        assert abs(fit.rate / rate - 1) < 5 / np.sqrt(fit.linked), (queue, fit)
        assert abs(fit.mean / mean - 1) < 5 * sigma / np.sqrt(fit.linked), (queue, fit)
        assert abs(fit.cv - cv) < 0.15
    naive = fits[("aftersales", "lag")].linked / len(read_orders(orders).orders)
    assert naive < 0.3 * 0.75
    # The untied after-sales chats are the queue's own arrivals: 150 a day.
    spec = cal.scenario["queues"]["aftersales"]
    assert spec["arrivals"]["daily_volume"] == pytest.approx(150, rel=0.1)
    assert "arrivals" not in cal.scenario["queues"]["presales"]


def test_the_calibrated_scenario_runs_from_its_sales_plan(tmp_path):
    """The scenario written has the orders as a sales plan over their own days, and loads and runs."""
    log, orders = write_history(tmp_path, 3, days=20, log_from_day=10)
    cal = calibrate(log, interval=3600, orders=orders)
    plan = cal.scenario["orders"]["plan"]
    assert len(plan["days"]) == 20 and cal.scenario["orders"]["average_order_value"] == 200
    sc = sim.load_scenario(cal.scenario)
    res = sim.simulate(sc, seed=1)
    assert res.totals.set_index("queue").loc["presales", "offered"] > 0


def test_an_orders_file_without_its_columns_is_named(tmp_path):
    (tmp_path / "orders.csv").write_text("id,when\no1,2026-10-01 10:00\n")
    with pytest.raises(ValueError, match=r"orders\.csv: missing column\(s\) order_id, placed_at"):
        read_orders(tmp_path / "orders.csv")


def test_bad_order_rows_are_left_out_and_noted(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,placed_at\no1,2026-10-01 10:00\n,2026-10-01 11:00\n"
                                         "o2,yesterday\no1,2026-10-02 10:00\n")
    read = read_orders(tmp_path / "orders.csv")
    assert list(read.orders["order_id"]) == ["o1"]
    assert any("no order_id" in n and "3" in n for n in read.notes)
    assert any("unreadable placed_at" in n and "4" in n for n in read.notes)
    assert any("seen before" in n and "5" in n for n in read.notes)


def test_without_order_ids_the_counts_tell_the_lag_from_the_big_days(tmp_path):
    """No order ids: the after-sales counts fitted as own arrivals plus contacts lagging the orders. Two big
    days (ten times the orders) show the lag: rate and mean lag within 15% of the truth, own arrivals
    within 10%. With no big day the orders cannot be told from own arrivals, and no source is fitted.
    """
    log, orders = write_history(tmp_path, 4, lead_rate=0.0, big_days=(16, 23), with_ids=False)
    cal = calibrate(log, interval=3600, orders=orders)
    (fit,) = cal.sources["aftersales"]
    assert fit.direction == "lag" and fit.linked == 0
    assert fit.rate == pytest.approx(0.3, rel=0.15) and fit.mean == pytest.approx(2 * DAY, rel=0.15)
    assert cal.scenario["queues"]["aftersales"]["arrivals"]["daily_volume"] == pytest.approx(150, rel=0.1)
    flat, orders = write_history(tmp_path, 5, lead_rate=0.0, with_ids=False)
    assert calibrate(flat, interval=3600, orders=orders).sources["aftersales"] == []
