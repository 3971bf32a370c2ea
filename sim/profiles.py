"""Intraday arrival profiles: built-in e-commerce shapes and conversion to shares per interval.

A profile is a list of non-negative weights over equal slots covering one day (24 hourly slots, or one
slot per KPI interval). Only the relative weights matter: they are normalised to shares of the daily
volume.

Built-in shapes (hourly weights, hour 0 = 00:00-01:00; see docs/scenarios.md):

* ``flat``: the same rate all day.
* ``ecommerce_chat``: Taobao/Tmall-style IM traffic. Quiet 02:00-07:00, a morning ramp to a plateau
  10:00-17:00 and the day's peak 20:00-23:00 when people shop after work; still busy past midnight.
* ``ecommerce_call``: hotline traffic. Business-hours shape with peaks at 10:00-11:00 and 14:00-16:00,
  a lunch dip, a falling evening and very little at night.
* ``big_day``: orders on the day of a sale (11.11, 618) that opens at midnight: about a quarter of the
  day's orders in its first hour, a quiet night, and an evening peak as on other days.
"""

from __future__ import annotations

import numpy as np

BUILTIN_PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 24,
    "ecommerce_chat": (
        3.0, 1.6, 0.9, 0.5, 0.4, 0.4, 0.6, 1.2, 2.6, 4.4, 5.6, 5.5,
        4.6, 4.9, 5.5, 5.6, 5.3, 4.9, 4.6, 5.2, 6.2, 6.8, 6.4, 4.8,
    ),
    "ecommerce_call": (
        0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.4, 1.2, 3.6, 6.6, 7.6, 7.2,
        5.6, 6.0, 7.0, 7.0, 6.6, 5.8, 4.4, 3.8, 3.6, 3.2, 2.2, 1.2,
    ),
    "big_day": (
        25.0, 6.0, 2.0, 1.0, 0.5, 0.5, 0.5, 1.0, 2.0, 3.0, 3.5, 3.5,
        3.0, 3.0, 3.5, 3.5, 3.5, 3.5, 3.5, 4.0, 5.0, 6.0, 5.0, 4.0,
    ),
}


def shares_per_interval(weights: tuple[float, ...], intervals_per_day: int) -> np.ndarray:
    """Share of the daily volume falling in each KPI interval (sums to 1).

    The weights are read as a piecewise-constant density over equal slots of the day and integrated
    over each interval, so an hourly profile works at any interval that divides the day.

    >>> shares_per_interval((1.0, 3.0), 4).round(3).tolist()
    [0.125, 0.125, 0.375, 0.375]
    """
    w = np.asarray(weights, dtype=float)
    slot_edges = np.linspace(0.0, 1.0, len(w) + 1)
    cumulative = np.concatenate([[0.0], np.cumsum(w)]) / w.sum()
    interval_edges = np.linspace(0.0, 1.0, intervals_per_day + 1)
    return np.diff(np.interp(interval_edges, slot_edges, cumulative))
