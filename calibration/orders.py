"""Contacts that follow orders, estimated from a log whose contacts carry an ``order_id`` and an orders
file (``order_id``, ``placed_at``, optionally ``amount``): the sales plan the orders make, and per queue
and direction (contacts after their order: a lag; before it: a lead) the contacts per order and the
delay's distribution.

The log shows a contact only if it arrived between the log's first and last arrival, so an order placed
near either end has contacts the log cannot show. The delay is fitted as a lognormal by maximum
likelihood with each contact's density truncated to the delays its order could show, and the rate as
the linked contacts over the orders' expected share shown (the sum over all orders of the probability
that a delay from it falls inside the log). Contacts whose order is not in the file stay among the
queue's own arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.fit import intraday_profile
from calibration.logs import LogError, first_lines, local_times, read_table, renamed, text_column
from calibration.retrials import retrial_flags

MIN_LINKED = 30          # contacts of one queue and direction needed to fit a source


@dataclass
class OrdersFile:
    """The valid orders of an orders file (``orders``: ``order_id``, ``placed_at``, ``amount``) and notes on
    the rows left out.
    """

    path: str
    orders: pd.DataFrame
    notes: list[str]


@dataclass(frozen=True)
class SourceFit:
    """Contacts of ``queue`` that follow orders in one ``direction`` (``lag`` or ``lead``): ``rate`` per
    order, a lognormal delay of ``mean`` s and coefficient of variation ``cv``, from ``linked`` contacts.
    """

    queue: str
    direction: str
    rate: float
    mean: float
    cv: float
    linked: int

    def spec(self) -> dict:
        return {"rate": round(self.rate, 5),
                self.direction: {"dist": "lognormal", "mean": round(self.mean, 1), "cv": round(self.cv, 4)}}


def read_orders(path: str | Path, mapping: dict[str, str] | None = None) -> OrdersFile:
    """Read an orders file (CSV or Parquet; columns renamed by ``mapping``); rows without an id, with an
    unreadable time or a repeated id are left out and noted with their line numbers.
    """
    path = Path(path)
    raw, first_line = read_table(path, what="the orders file")
    raw = renamed(raw, mapping, ("order_id", "placed_at"), path)
    ids, no_id = text_column(raw, "order_id")
    times, notes = local_times({"placed_at": text_column(raw, "placed_at")[0]})
    placed = times["placed_at"]
    amount = (pd.to_numeric(text_column(raw, "amount")[0], errors="coerce") if "amount" in raw.columns
              else pd.Series(np.nan, index=raw.index))
    lines = pd.Series(np.arange(len(raw)) + first_line, index=raw.index)
    bad = {"no order_id": no_id, "an unreadable placed_at": placed.isna() & ~no_id,
           "an order_id seen before": ids.duplicated() & ~no_id}
    kept = ~(bad["no order_id"] | bad["an unreadable placed_at"] | bad["an order_id seen before"])
    for kind, flags in bad.items():
        if flags.any():
            notes.append(f"{path}: {int(flags.sum())} order row(s) with {kind} left out: line(s) "
                         f"{first_lines(lines[flags])}")
    if not kept.any():
        raise LogError(f"{path}: no valid order rows")
    orders = pd.DataFrame({"order_id": ids[kept], "placed_at": placed[kept], "amount": amount[kept]})
    return OrdersFile(str(path), orders.sort_values("placed_at").reset_index(drop=True), notes)


def sales_plan(orders: OrdersFile, interval: float) -> dict:
    """The orders as a scenario's ``orders`` section: a sales plan of the orders per calendar day and their
    intraday shape, and the average order value (the mean ``amount``; 1 when the file has none).
    """
    placed = orders.orders["placed_at"]
    first, last = placed.min().normalize(), placed.max().normalize()
    days = placed.dt.normalize().value_counts().reindex(pd.date_range(first, last, freq="D"), fill_value=0)
    profile, _ = intraday_profile(placed, interval)
    amounts = orders.orders["amount"].dropna()
    return {"average_order_value": round(float(amounts.mean()), 2) if len(amounts) and amounts.mean() > 0 else 1.0,
            "plan": {"days": {str(day.date()): int(n) for day, n in days.items()},
                     "profile": [round(float(w), 6) for w in profile]}}


def linked(rows: pd.DataFrame, orders: OrdersFile) -> pd.Series:
    """Each log row's order time (NaT where it has no order id, or its order is not in the file)."""
    if "order_id" not in rows.columns:
        return pd.Series(pd.NaT, index=rows.index)
    by_id = orders.orders.set_index("order_id")["placed_at"]
    return rows["order_id"].map(by_id)


def fit_sources(rows: pd.DataFrame, orders: OrdersFile, queue: str) -> tuple[list[SourceFit], np.ndarray]:
    """The order-driven sources of ``queue`` (one per direction with at least ``MIN_LINKED`` linked first
    attempts; a caller's retrials are left out) and, per row of the queue, whether a source took it (the
    rest are the queue's own arrivals).
    """
    start, end = rows["arrival_time"].min(), rows["arrival_time"].max()
    queue_rows = rows[rows["queue"] == queue]
    placed_at = linked(queue_rows, orders)
    taken = np.zeros(len(queue_rows), dtype=bool)
    every = (queue_rows["arrival_time"] - placed_at).dt.total_seconds().fillna(0.0).to_numpy()
    mine = ~retrial_flags(queue_rows) & placed_at.notna().to_numpy()
    seconds = (queue_rows.loc[mine, "arrival_time"] - placed_at[mine]).dt.total_seconds().to_numpy()
    all_orders = orders.orders["placed_at"]
    lo = (start - all_orders).dt.total_seconds().to_numpy()      # delays an order's contact may show: [lo, hi]
    hi = (end - all_orders).dt.total_seconds().to_numpy()
    order_at = placed_at[mine]
    fits = []
    for direction, sign in (("lag", 1.0), ("lead", -1.0)):
        delays = sign * seconds
        keep = delays > 0
        if keep.sum() < MIN_LINKED:
            continue
        own_lo = (start - order_at[keep]).dt.total_seconds().to_numpy()
        own_hi = (end - order_at[keep]).dt.total_seconds().to_numpy()
        window = (own_lo, own_hi) if sign > 0 else (-own_hi, -own_lo)
        mu, sigma = _truncated_lognormal(delays[keep], *window)
        shown = _shown(mu, sigma, *((lo, hi) if sign > 0 else (-hi, -lo)))
        mean = float(np.exp(mu + sigma ** 2 / 2))
        fits.append(SourceFit(queue, direction, float(keep.sum() / shown.sum()), mean,
                              float(np.sqrt(np.expm1(sigma ** 2))), int(keep.sum())))
        taken |= sign * every > 0             # with its retrials, which carry the same order
    return fits, taken


def _shown(mu: float, sigma: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """P(lo ≤ delay ≤ hi) for a lognormal(mu, sigma) delay."""
    from scipy.stats import norm

    def cdf(x):
        with np.errstate(divide="ignore"):
            return norm.cdf((np.log(np.maximum(x, 0.0)) - mu) / sigma)
    return np.clip(cdf(hi) - cdf(lo), 0.0, 1.0)


def _truncated_lognormal(delays: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """(mu, sigma) of a lognormal fitted to ``delays`` by maximum likelihood, each observed only within
    its own [lo, hi].
    """
    from scipy.optimize import minimize
    from scipy.stats import norm

    logs = np.log(delays)

    def negative(params: np.ndarray) -> float:
        mu, log_sigma = params
        sigma = np.exp(log_sigma)
        density = norm.logpdf((logs - mu) / sigma) - np.log(sigma) - logs
        shown = _shown(mu, sigma, lo, hi)
        return -float(np.sum(density - np.log(np.maximum(shown, 1e-300))))

    start = np.array([logs.mean(), np.log(max(logs.std(), 0.05))])
    best = minimize(negative, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    return float(best.x[0]), float(np.exp(best.x[1]))
