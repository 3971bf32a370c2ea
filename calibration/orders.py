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
        why = "; ".join(f"{int(flags.sum())} with {kind}" for kind, flags in bad.items() if flags.any())
        raise LogError(f"{path}: no valid order rows: all {len(raw):,} were left out ({why or 'the file has no rows'})"
                       + (f"; the first: line(s) {first_lines(lines.iloc[:10])}" if len(raw) else ""))
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


def fit_from_counts(rows: pd.DataFrame, orders: OrdersFile, queue: str, profile: np.ndarray, interval: float,
                    min_gain: float = 10.0) -> tuple[SourceFit, float] | None:
    """Without order ids: the queue's first attempts per interval fitted as Poisson counts of its own
    arrivals (a daily volume in the queue's intraday ``profile``) plus ``rate`` contacts per order with a
    lognormal lag or lead (the order curve convolved with it), by maximum likelihood; the direction that
    fits better. Returns the source and the own daily volume, or None unless orders explain the counts
    better by at least ``min_gain`` in log-likelihood (they are told apart by how the counts follow the
    days' orders: a flat order history cannot show a lag).
    """
    from scipy.optimize import minimize

    mine = rows[rows["queue"] == queue]
    mine = mine[~retrial_flags(mine)]
    origin = rows["arrival_time"].min().normalize()
    n_bins = int(np.ceil((rows["arrival_time"].max() - origin).total_seconds() / interval)) + 1
    counts = np.bincount(((mine["arrival_time"] - origin).dt.total_seconds() // interval).astype(int),
                         minlength=n_bins)[:n_bins].astype(float)
    per_day = int(round(86400 / interval))
    own_shape = np.resize(profile, n_bins)                     # the log starts at midnight: slot k % per_day
    placed = (orders.orders["placed_at"] - origin).dt.total_seconds().to_numpy()
    span = 30 * 86400.0                                        # lags and leads of up to 30 days
    reach = int(span // interval)
    edges = np.arange(-reach, n_bins + reach + 1) * interval  # order bins, before and after the log
    per_bin = np.histogram(placed, bins=edges)[0].astype(float)
    offsets = (np.arange(-reach, reach + 1)) * interval        # contact bin − order bin, in s

    def expected(mu: float, sigma: float, sign: float) -> np.ndarray:
        from scipy.stats import norm
        lo, hi = sign * (offsets - interval / 2), sign * (offsets + interval / 2)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        with np.errstate(divide="ignore"):
            mass = (norm.cdf((np.log(np.maximum(hi, 0.0)) - mu) / sigma)
                    - norm.cdf((np.log(np.maximum(lo, 0.0)) - mu) / sigma))
        return np.convolve(per_bin, mass, mode="same")[reach:reach + n_bins]

    def negative(params, sign):
        own, rate, mu, sigma = np.exp(params[0]), np.exp(params[1]), params[2], np.exp(params[3])
        lam = own * own_shape + rate * expected(mu, sigma, sign) + 1e-12
        return float(np.sum(lam - counts * np.log(lam)))

    daily = counts.sum() / (n_bins / per_day)
    own = own_shape * counts.sum() / own_shape.sum()            # own arrivals alone: the closed-form fit
    own_only = float(np.sum(own - counts * np.log(own + 1e-12)))
    best = None
    for direction, sign, typical in (("lag", 1.0, 86400.0), ("lead", -1.0, 3 * 3600.0)):
        share = max(counts.sum() / 2 / max(len(placed), 1), 1e-6)
        start = np.array([np.log(daily / 2), np.log(share), np.log(typical), np.log(0.7)])
        found = minimize(negative, start, args=(sign,), method="Nelder-Mead",
                         options={"xatol": 1e-5, "fatol": 1e-6, "maxiter": 6000, "maxfev": 8000})
        if best is None or found.fun < best[1].fun:
            best = (direction, found)
    direction, found = best
    if own_only - found.fun < min_gain:
        return None
    own, rate, mu, sigma = np.exp(found.x[0]), np.exp(found.x[1]), found.x[2], np.exp(found.x[3])
    fit = SourceFit(queue, direction, float(rate), float(np.exp(mu + sigma ** 2 / 2)),
                    float(np.sqrt(np.expm1(sigma ** 2))), 0)
    return fit, float(own)
