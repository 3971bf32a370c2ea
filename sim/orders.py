"""Contacts that follow orders (a queue's ``from_orders`` sources): their draws in a replication, and the
contacts expected per interval, the order curve convolved with each source's lag (or lead) distribution.

Orders come from ``orders.arrivals`` over the horizon, or from a sales plan (``orders.plan``) over its
own days: orders placed before ``start`` still drive the after-sales contacts and refunds that fall
inside the horizon, and orders after the horizon the pre-sales inquiries that lead them. Contacts
outside the horizon are dropped.
"""

from __future__ import annotations

import numpy as np

from sim.channels import QueueBase
from sim.rates import rate_curve
from sim.scenario import ORDERS, Scenario
from sim.scenario.sales import FromOrders

STEP = 60.0    # seconds: the order curve's resolution in the expected counts


def placed_in_phases(sc: Scenario, source: FromOrders, times: np.ndarray) -> np.ndarray:
    """Which orders, placed at ``times`` (s), the source takes: those in its phases (all without)."""
    if source.phases is None:
        return np.ones(times.size, dtype=bool)
    taken = np.zeros(times.size, dtype=bool)
    for phase in sc.orders.phases:
        if phase.name in source.phases:
            taken |= (times >= sc.clock(phase.start)) & (times < sc.clock(phase.end))
    return taken


def contacts_from_orders(sc: Scenario, q: QueueBase, orders: np.ndarray, draw, keep_all: bool = False) -> np.ndarray:
    """Sorted times (s) of the contacts queue ``q`` receives from the orders placed at ``orders``.

    Source k's orders each make the whole part of its ``rate`` contacts, and one more with the
    fraction's probability (stream ``from_orders_k_count``), each its own ``lag`` after the order or
    ``lead`` before it (stream ``from_orders_k_delay``); those outside the horizon are dropped, unless
    ``keep_all`` (a call list places its entries itself: ``sim.call_lists``).
    """
    found = []
    for k, source in enumerate(q.from_orders):
        placed = orders[placed_in_phases(sc, source, orders)]
        whole, fraction = divmod(source.rate, 1.0)
        counts = np.full(placed.size, int(whole))
        if fraction > 0:
            counts += draw(f"from_orders_{k}_count").random(placed.size) < fraction
        asking = np.repeat(placed, counts)
        delay = (source.lag or source.lead).sample(draw(f"from_orders_{k}_delay"), asking.size)
        times = asking + delay if source.lag is not None else asking - delay
        found.append(times if keep_all else times[(times >= 0) & (times < sc.horizon)])
    return np.sort(np.concatenate(found)) if found else np.zeros(0)


def expected_from_orders(sc: Scenario, queue: str, bounds: np.ndarray | None = None) -> np.ndarray:
    """Contacts queue ``queue`` is expected to receive from orders between consecutive ``bounds`` (s; by
    default the intervals of the horizon): the sum of ``expected_from_source`` over its sources.
    """
    bounds = np.arange(sc.n_intervals + 1) * sc.interval if bounds is None else bounds
    return sum((expected_from_source(sc, source, bounds) for source in sc.queues[queue].from_orders),
               np.zeros(bounds.size - 1))


def expected_from_source(sc: Scenario, source: FromOrders, bounds: np.ndarray) -> np.ndarray:
    """Contacts one source is expected to make between consecutive ``bounds`` (s; ±inf allowed).

    For a lag L (distribution F), [a, b) receives rate × ∫ orders(u) (F(b − u) − F(a − u)) du; for a
    lead, rate × ∫ orders(u) (F(u − a) − F(u − b)) du (day-to-day noise at its mean of 1). Each minute's
    orders (``STEP``, a lattice from the start; phases judged at its middle) are taken at its middle,
    which is exact where the order curve is constant within the minute (whole-minute intervals and
    surges), and the contacts expected before each lattice point are one convolution of those orders
    with F (FFT: a year of orders in a fraction of a second); bounds between lattice points are
    interpolated, so the counts are exact on whole-minute bounds.
    """
    from scipy.signal import fftconvolve  # scipy stays out of reading a scenario

    curve = rate_curve(sc, ORDERS)
    finite = bounds[np.isfinite(bounds)]
    first = int(np.floor(min(curve.edges[0], finite.min(initial=np.inf)) / STEP))
    last = int(np.ceil(max(curve.edges[-1], finite.max(initial=-np.inf)) / STEP)) + 1
    edges = (first + np.arange(last - first + 1)) * STEP           # the lattice's minutes
    cumulative = np.concatenate([[0.0], np.cumsum(curve.rates * np.diff(curve.edges))])
    orders = np.diff(np.interp(edges, curve.edges, cumulative))    # each minute's orders
    middles = edges[:-1] + STEP / 2
    binned = orders * placed_in_phases(sc, source, middles) * source.rate
    if not binned.any():
        return np.zeros(bounds.size - 1)
    n = binned.size
    offsets = np.arange(-(n - 1), n) * STEP - STEP / 2        # lattice point j − minute i, to its middle
    dist = source.lag or source.lead
    kernel = dist.cdf(offsets) if source.lag is not None else 1.0 - dist.cdf(-offsets)
    below = np.maximum(fftconvolve(binned, kernel)[n - 1:2 * n - 1], 0.0)    # before each lattice point
    lattice, total = edges[:-1], binned.sum()
    at = np.where(bounds == -np.inf, 0.0, np.where(bounds == np.inf, total,
                                                  np.interp(np.nan_to_num(bounds, posinf=0.0, neginf=0.0),
                                                            lattice, below, left=0.0, right=below[-1])))
    return np.maximum(np.diff(at), 0.0)
