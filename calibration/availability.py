"""What a log does not show: how available the agents on duty really were, hour by hour.

A log shows when agents answered, not when they were ready: between contacts an agent may have been in
after-call work, in a meeting or away. Seeing each agent on duty from its first answer to its last contact
overstates the agents available, and the model answers too fast. The after-call work is read from the log
itself (``calibration.fit.fit_wrap_up``); the rest, the not-ready (aux) time, is estimated so that the
model reproduces the log's own waits: the scenario, staffed as the log was and fed the log's own arrivals
per interval (``calibration.holdout.project`` with ``volumes="history"``), is simulated with not-ready
episodes of ``EPISODE_S`` on average that an agent takes after a contact with a probability per hour of
the day (``after_contact``: the more work, the more pauses), once no contact waits for it (``when: idle``:
the log shows agents answering within seconds of a call's end while callers queue).

The 24 probabilities are found together by bisection: each simulation tries every hour's midpoint at once,
and each hour's bracket is halved by its own service level against the log's (``_by_hour``: the hour's
pooled service level, over the intervals with an agent on duty). Common random numbers keep the
comparisons sharp. An hour with fewer than ``MIN_CONTACTS`` contacts in the log takes the contact-weighted
mean probability of the others. The uncertainty of an hour's probability is the service level's (the log's
binomial 95% CI and the model's over replications) divided by the slope of service level in probability,
from the values tried.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim
from calibration.backtest import history_intervals
from calibration.logs import Log
from sim.scenario.parts import NotReady

EPISODE_S = 300.0          # mean not-ready episode (s): logs do not show it; 5 minutes, a common aux length
WHEN = "idle"              # episodes start once no contact waits for the agent (NotReady.when)
MAX_CHANCE = 0.99
STEPS = 8                  # bisection steps: each probability to within 0.99 / 2^9, about 0.002
MIN_CONTACTS = 50          # contacts an hour of the day needs in the log to get a probability of its own
HOURS = np.arange(24)


@dataclass(frozen=True)
class AvailabilityFit:
    """``table``, one row per hour of the day: ``contacts`` in the log, the log's service level and its
    95% CI half-width, the probability of a not-ready episode after a contact found (``after_contact``)
    with its uncertainty (``after_contact_ci95``, NaN where not fitted), the model's service level there
    (mean and 95% CI half-width over replications) and the share of on-duty time the agents then spend not
    ready (``not_ready_share``); ``tried``: every simulation's values and service levels by hour (columns
    ``step, hour, after_contact, model_sl``).
    """

    table: pd.DataFrame
    tried: pd.DataFrame

    @property
    def chances(self) -> tuple[float, ...]:
        """The probability of an episode after a contact in each hour of the day, from 00:00."""
        return tuple(round(float(s), 3) for s in self.table["after_contact"])

    def _mean(self, column: str, fitted_only: bool = False) -> float:
        rows = self.table[self.table["contacts"] >= MIN_CONTACTS] if fitted_only else self.table
        return float(np.average(rows[column], weights=np.maximum(rows["contacts"], 1e-9)))

    def spec(self) -> dict | None:
        """The groups' ``not_ready`` (None when agents were always ready)."""
        if max(self.chances) <= 0:
            return None
        return {"after_contact": list(self.chances), "mean": EPISODE_S, "when": WHEN}

    def note(self) -> str:
        fitted = self.table[self.table["contacts"] >= MIN_CONTACTS]
        return (f"agents not ready after {self._mean('after_contact'):.0%} of their contacts on average "
                f"({fitted['after_contact'].min():.0%} to {fitted['after_contact'].max():.0%} by hour of the day; "
                f"episodes of {EPISODE_S / 60:g} min, taken once no contact waits; "
                f"{self._mean('not_ready_share'):.0%} of on-duty time), so that the model's service level by hour "
                f"matches the log's (over the log's period {self._mean('model_sl', True):.1%} against "
                f"{self._mean('history_sl', True):.1%}); by hour in availability.csv")


def _hour_of(starts: pd.Series) -> np.ndarray:
    return starts.dt.hour.to_numpy()


def _by_hour(table: pd.DataFrame) -> pd.Series:
    """Service level by hour of the day of the (interval_start, queue) rows of ``table``: the intervals'
    service levels weighted by their contacts (each hour's pooled service level).
    """
    weighted = table.assign(hour=_hour_of(table["interval_start"]), within=table["service_level"] * table["offered"])
    sums = weighted.groupby("hour")[["within", "offered"]].sum()
    return (sums["within"] / sums["offered"].replace(0.0, np.nan)).reindex(HOURS)


def _model_by_hour(res: sim.Results, judged: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``_by_hour`` of each replication over the ``judged`` (interval_start, queue) pairs: mean and 95% CI
    half-width over replications.
    """
    table = res.intervals.merge(judged, on=["interval_start", "queue"]).dropna(subset=["service_level"])
    level = pd.DataFrame([_by_hour(part) for _, part in table.groupby("replication")])
    n = level.notna().sum()
    half = 1.96 * level.std(ddof=1) / np.sqrt(n.where(n > 1))
    return level.mean().to_numpy(), half.to_numpy()


def fit_availability(scenario: dict, log: Log, replications: int = 5, seed: int = 1,
                     workers: int | None = None) -> AvailabilityFit:
    """The probabilities of a not-ready episode after a contact, by hour of the day, that make ``scenario``
    (plain data) reproduce ``log``'s service level hour by hour (``_by_hour``, over the intervals with a
    contact and an agent on duty).
    """
    from calibration.holdout import on_duty, project  # here: the hold-out builds on calibrate, which imports this

    base = project(scenario, log, volumes="history")
    history = history_intervals(log.rows, base).merge(on_duty(base), on=["interval_start", "queue"])
    history = history[(history["agents"] > 0) & history["service_level"].notna()]
    hours = _hour_of(history["interval_start"])
    contacts = np.bincount(hours, weights=history["offered"], minlength=24)
    target = _by_hour(history).to_numpy()
    history_ci = 1.96 * np.sqrt(np.nan_to_num(target * (1 - target)) / np.maximum(contacts, 1))
    fitted = contacts >= MIN_CONTACTS
    judged = history[["interval_start", "queue"]]

    def model(chances: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        chances = chances.copy()
        if fitted.any():
            chances[~fitted] = np.average(chances[fitted], weights=contacts[fitted])
        not_ready = (NotReady(after_contact=tuple(chances), mean=EPISODE_S, when=WHEN) if chances.max() > 0
                     else None)
        groups = {name: g.model_copy(update={"not_ready": not_ready}) for name, g in base.groups.items()}
        res = sim.simulate(base.model_copy(update={"groups": groups}), replications=replications, seed=seed,
                           workers=workers)
        return (*_model_by_hour(res, judged), chances, _not_ready_share(res))

    low, high = np.zeros(24), np.full(24, MAX_CHANCE)
    tried = []
    for step in range(STEPS + 1):
        middle = (low + high) / 2
        level, _, used, _ = model(middle)
        tried.append(pd.DataFrame({"step": step, "hour": HOURS, "after_contact": used, "model_sl": level}))
        answers_faster = level > target                      # more not-ready time brings it down
        low = np.where(fitted & answers_faster, middle, low)
        high = np.where(fitted & ~answers_faster, middle, high)
    chance = np.where(low > 0, (low + high) / 2, 0.0)         # a bracket that never left 0: always ready
    level, half, chance, share = model(chance)
    tried = pd.concat(tried, ignore_index=True)
    slope = np.array([_slope(tried[tried["hour"] == h]) for h in HOURS])
    with np.errstate(divide="ignore", invalid="ignore"):
        chance_ci = np.where(fitted, np.hypot(history_ci, half) / np.abs(slope), np.nan)
    table = pd.DataFrame({"hour": HOURS, "contacts": contacts, "history_sl": target, "history_sl_ci95": history_ci,
                          "after_contact": chance, "after_contact_ci95": chance_ci, "model_sl": level,
                          "model_sl_ci95": half, "not_ready_share": share})
    return AvailabilityFit(table, tried)


def _not_ready_share(res: sim.Results) -> np.ndarray:
    """The share of on-duty time spent not ready, by hour of the day, over every group and replication."""
    groups = res.groups.assign(hour=lambda t: _hour_of(t["interval_start"])).groupby("hour")[
        ["not_ready_agent_s", "staffed_agent_s"]].sum().reindex(HOURS, fill_value=0.0)
    on_duty = groups["not_ready_agent_s"] + groups["staffed_agent_s"]
    return (groups["not_ready_agent_s"] / on_duty.where(on_duty > 0)).fillna(0.0).to_numpy()


def _slope(points: pd.DataFrame) -> float:
    """Least-squares slope of the model's service level in the probability (NaN with under two values)."""
    points = points.dropna(subset=["model_sl"])
    if points["after_contact"].nunique() < 2:
        return np.nan
    return float(np.polyfit(points["after_contact"], points["model_sl"], 1)[0])
