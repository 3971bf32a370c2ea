"""Rate curves: expected contacts (or orders) per second, piecewise constant, in seconds from ``start``.

A queue's rate over the horizon is, for each KPI interval, ``daily_volume × profile share / interval ×
weekday factor × day-to-day factor`` (the profile of the day's weekday when ``weekday_profiles`` gives
one), or its ``forecast``. The orders of a sales plan (``orders.plan``) cover the plan's own calendar
days instead, which may begin before ``start`` and end after the horizon: ``orders of the day × profile
share / interval × day-to-day factor``. Every surge covering a moment multiplies it: ``step`` surges
exactly, ``decay`` surges falling linearly from their multiplier to 1, evaluated on one-minute steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import numpy as np

from sim.distributions import MIN_CV, busyness
from sim.profiles import shares_per_interval
from sim.scenario import ORDERS, Scenario
from sim.streams import stream

DECAY_STEP = 60.0  # seconds between evaluations of a decaying surge


@dataclass(frozen=True)
class RateCurve:
    """Piecewise-constant rate: ``rates[k]`` contacts/s on [``edges[k]``, ``edges[k+1]``) seconds."""

    edges: np.ndarray
    rates: np.ndarray

    def expected(self) -> float:
        """Expected number of arrivals over the curve."""
        return float(np.sum(self.rates * np.diff(self.edges)))


def planned(sc: Scenario, name: str) -> bool:
    """Whether ``name`` is the orders of a sales plan (their own calendar, not the horizon)."""
    return name == ORDERS and sc.orders.plan is not None


def plan_start(sc: Scenario) -> float:
    """Seconds from ``start`` to midnight of the sales plan's first day (negative: before ``start``)."""
    return sc.clock(datetime.combine(sc.orders.plan.first_day, time()))


def daily_factors(sc: Scenario, name: str, replication: int, seed: int) -> np.ndarray:
    """Gamma(1/cv², cv²) busyness factor per calendar day of the horizon, or of the sales plan (mean 1;
    all 1 if cv = 0).
    """
    if planned(sc, name):
        cv, n = sc.orders.plan.day_to_day_cv, len(sc.orders.plan.days)
    else:
        cv, n = (sc.orders.arrivals if name == ORDERS else sc.queues[name].arrivals).day_to_day_cv, sc.n_days
    return busyness(stream(seed, replication, name, "day_to_day") if cv >= MIN_CV else None, cv, n)


def _horizon_rates(sc: Scenario, name: str, factors: np.ndarray | None) -> np.ndarray:
    """Contacts/s of each interval of the horizon, before surges."""
    arr = sc.orders.arrivals if name == ORDERS else sc.queues[name].arrivals
    n, per_day = sc.n_intervals, sc.intervals_per_day
    slot = int(round(sc.start_offset / sc.interval)) + np.arange(n)    # interval index from midnight of day 0
    day = slot // per_day
    weekday = np.array([sc.day(d).weekday() for d in range(sc.n_days)])
    factors = np.ones(sc.n_days) if factors is None else factors
    if arr.forecast is not None:                     # the expected contacts of each interval, given
        return np.asarray(arr.forecast) / sc.interval * factors[day]
    shares = np.array([shares_per_interval(arr.profile_on(w), per_day) for w in weekday])   # day x interval
    return (arr.daily_volume * shares[day, slot % per_day] / sc.interval
            * np.asarray(arr.weekday_factors)[weekday[day]] * factors[day])


def _plan_rates(sc: Scenario, factors: np.ndarray | None) -> np.ndarray:
    """Orders/s of each interval of the sales plan's days, from midnight of its first day, before surges."""
    plan = sc.orders.plan
    per_day = sc.intervals_per_day
    orders = plan.orders_per_day(sc.orders.average_order_value) * (1.0 if factors is None else factors)
    shares = np.array([shares_per_interval(plan.profile_on(day), per_day) for day in plan.days])
    return (orders[:, None] * shares / sc.interval).ravel()


def rate_curve(sc: Scenario, name: str, day_factors: np.ndarray | None = None) -> RateCurve:
    """The rate curve of queue ``name`` over the horizon, or of ``ORDERS`` (over the sales plan's days when
    there is one), with the given day factors (default 1).
    """
    if planned(sc, name):
        first, base = plan_start(sc), _plan_rates(sc, day_factors)
    else:
        first, base = 0.0, _horizon_rates(sc, name, day_factors)
    n = base.size
    edges = [first + np.arange(n + 1) * sc.interval]
    surges = [s for s in sc.surges if s.queues is None or name in s.queues]
    for s in surges:
        lo, hi = np.clip([sc.clock(s.start), sc.clock(s.end)], edges[0][0], edges[0][-1])
        edges.append(np.array([lo, hi]))
        if s.shape == "decay":
            edges.append(np.arange(lo, hi, DECAY_STEP))
    edges = np.unique(np.concatenate(edges))
    mid = (edges[:-1] + edges[1:]) / 2
    rates = base[np.minimum(((mid - first) // sc.interval).astype(int), n - 1)]
    for s in surges:
        start, end = sc.clock(s.start), sc.clock(s.end)
        inside = (mid >= start) & (mid < end)
        if s.shape == "step":
            rates = np.where(inside, rates * s.multiplier, rates)
        else:
            left = 1.0 - (mid - start) / (end - start)
            rates = np.where(inside, rates * (1.0 + (s.multiplier - 1.0) * left), rates)
    return RateCurve(edges, rates)
