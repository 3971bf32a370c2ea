"""What a log does not show: how available the agents on duty really were, hour by hour.

A log shows when agents answered, not when they were ready: between contacts an agent may have been in
after-call work, in a meeting or away. Seeing each agent on duty from its first answer to its last contact
overstates the agents available, and the model answers too fast. The after-call work is read from the log
itself (``calibration.duty.fit_wrap_up``); the rest, the not-ready (aux) time, is estimated so that the
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
from the values tried. Availability also varies from day to day (an incident, a keen day): the log's days
scatter about the model's more than the model's own days do, and that excess gives the not-ready
probabilities a day-to-day cv (``_day_to_day``), so the simulated bands are as wide as real days are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim
from calibration.backtest import history_intervals
from calibration.logs import Log
from sim.scenario.staff import NotReady

EPISODE_S = 300.0          # mean not-ready episode (s): logs do not show it; 5 minutes, a common aux length
WHEN = "idle"              # episodes start once no contact waits for the agent (NotReady.when)
MAX_CHANCE = 0.99
STEPS = 8                  # bisection steps: each probability to within 0.99 / 2^9, about 0.002
DAY_STEP = 1.25            # the day-to-day cv's slope: every probability this many times higher
MAX_DAY_CV = 1.0           # the most day-to-day variation written
MIN_CONTACTS = 50          # contacts an hour of the day needs in the log to get a probability of its own
HOURS = np.arange(24)


@dataclass(frozen=True)
class AvailabilityFit:
    """``table``, one row per hour of the day: ``contacts`` in the log, the log's service level and its
    95% CI half-width, the probability of a not-ready episode after a contact found (``after_contact``)
    with its uncertainty (``after_contact_ci95``, NaN where not fitted), the model's service level there
    (mean and 95% CI half-width over replications) and the share of on-duty time the agents then spend not
    ready (``not_ready_share``); ``tried``: every simulation's values and service levels by hour (columns
    ``step, hour, after_contact, model_sl``); ``days``: the log's and the model's service level by day
    (mean and sd over replications), whose scatter gives ``day_to_day_cv`` (``_day_to_day``).
    """

    table: pd.DataFrame
    tried: pd.DataFrame
    days: pd.DataFrame
    day_to_day_cv: float

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
        spec = {"after_contact": list(self.chances), "mean": EPISODE_S, "when": WHEN}
        return {**spec, "day_to_day_cv": round(self.day_to_day_cv, 3)} if self.day_to_day_cv > 0 else spec

    def note(self) -> str:
        fitted = self.table[self.table["contacts"] >= MIN_CONTACTS]
        return (f"agents not ready after {self._mean('after_contact'):.0%} of their contacts on average "
                f"({fitted['after_contact'].min():.0%} to {fitted['after_contact'].max():.0%} by hour of the day; "
                f"episodes of {EPISODE_S / 60:g} min, taken once no contact waits; "
                f"{self._mean('not_ready_share'):.0%} of on-duty time; day-to-day cv {self.day_to_day_cv:.2f}), so "
                f"that the model's service level by hour matches the log's (over the log's period "
                f"{self._mean('model_sl', True):.1%} against {self._mean('history_sl', True):.1%}); by hour in "
                "availability.csv, by day in availability_days.csv")


def _hour_of(starts: pd.Series) -> np.ndarray:
    return starts.dt.hour.to_numpy()


def _pooled(table: pd.DataFrame, key: np.ndarray | pd.Series) -> pd.Series:
    """The service level of the (interval_start, queue) rows of ``table`` by ``key``: the intervals' service
    levels weighted by their contacts.
    """
    weighted = table.assign(key=np.asarray(key), within=table["service_level"] * table["offered"])
    sums = weighted.groupby("key")[["within", "offered"]].sum()
    return sums["within"] / sums["offered"].replace(0.0, np.nan)


def _by_hour(table: pd.DataFrame) -> pd.Series:
    """Each hour of the day's pooled service level."""
    return _pooled(table, _hour_of(table["interval_start"])).reindex(HOURS)


def _by_day(table: pd.DataFrame) -> pd.Series:
    """Each calendar day's pooled service level."""
    return _pooled(table, table["interval_start"].dt.normalize())


def _judged(res: sim.Results, judged: pd.DataFrame) -> pd.DataFrame:
    """The simulated intervals of the ``judged`` (interval_start, queue) pairs that have a service level."""
    return res.intervals.merge(judged, on=["interval_start", "queue"]).dropna(subset=["service_level"])


def _per_replication(res: sim.Results, judged: pd.DataFrame, by) -> pd.DataFrame:
    """``by`` (``_by_hour``, ``_by_day``) of each replication (rows) over the ``judged`` pairs."""
    return pd.DataFrame([by(part) for _, part in _judged(res, judged).groupby("replication")])


def _ci95(level: pd.DataFrame) -> np.ndarray:
    n = level.notna().sum()
    return (1.96 * level.std(ddof=1) / np.sqrt(n.where(n > 1))).to_numpy()


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

    def model(chances: np.ndarray, day_to_day_cv: float = 0.0) -> tuple[sim.Results, np.ndarray]:
        chances = np.minimum(chances, MAX_CHANCE)
        if fitted.any():
            chances[~fitted] = np.average(chances[fitted], weights=contacts[fitted])
        not_ready = (NotReady(after_contact=tuple(chances), mean=EPISODE_S, when=WHEN, day_to_day_cv=day_to_day_cv)
                     if chances.max() > 0 else None)
        groups = {name: g.model_copy(update={"not_ready": not_ready}) for name, g in base.groups.items()}
        return sim.simulate(base.model_copy(update={"groups": groups}), replications=replications, seed=seed,
                            workers=workers), chances

    def bisection(day_to_day_cv: float) -> tuple[sim.Results, np.ndarray, pd.DataFrame]:
        low, high, tried = np.zeros(24), np.full(24, MAX_CHANCE), []
        for step in range(STEPS + 1):
            middle = (low + high) / 2
            res, used = model(middle, day_to_day_cv)
            level = _per_replication(res, judged, _by_hour).mean().to_numpy()
            tried.append(pd.DataFrame({"step": step, "hour": HOURS, "after_contact": used, "model_sl": level}))
            answers_faster = level > target                      # more not-ready time brings it down
            low = np.where(fitted & answers_faster, middle, low)
            high = np.where(fitted & ~answers_faster, middle, high)
        res, chance = model(np.where(low > 0, (low + high) / 2, 0.0), day_to_day_cv)   # never left 0: always ready
        return res, chance, pd.concat(tried, ignore_index=True)

    res, chance, tried = bisection(0.0)
    cv = _day_to_day(history, judged, res, model(chance * DAY_STEP)[0] if chance.max() > 0 else None)
    if cv > 0:                                               # the days' spread moves the mean: fit again with it
        res, chance, tried = bisection(cv)
    by_hour = _per_replication(res, judged, _by_hour)
    slope = np.array([_slope(tried[tried["hour"] == h]) for h in HOURS])
    with np.errstate(divide="ignore", invalid="ignore"):
        chance_ci = np.where(fitted, np.hypot(history_ci, _ci95(by_hour)) / np.abs(slope), np.nan)
    table = pd.DataFrame({"hour": HOURS, "contacts": contacts, "history_sl": target, "history_sl_ci95": history_ci,
                          "after_contact": chance, "after_contact_ci95": chance_ci,
                          "model_sl": by_hour.mean().to_numpy(), "model_sl_ci95": _ci95(by_hour),
                          "not_ready_share": _not_ready_share(res)})
    return AvailabilityFit(table, tried, _days(history, judged, res), cv)


def _days(history: pd.DataFrame, judged: pd.DataFrame, res: sim.Results) -> pd.DataFrame:
    """The log's and the model's service level by day (the model's mean and sd over replications)."""
    model = _per_replication(res, judged, _by_day)
    return pd.DataFrame({"day": model.columns, "history_sl": _by_day(history).reindex(model.columns).to_numpy(),
                         "model_sl": model.mean().to_numpy(), "model_sl_sd": model.std(ddof=1).to_numpy()})


def _day_to_day(history: pd.DataFrame, judged: pd.DataFrame, res: sim.Results, more: sim.Results | None) -> float:
    """The day-to-day cv of the agents' availability that explains the log's days scattering more than the
    model's, without one (method of moments): the variance of the log's days about the model's means, less
    the model's own variance within a day, over the slope of the service level in the logarithm of the
    not-ready factor (from ``more``, the same model with every probability ``DAY_STEP`` times higher).
    0 when the days scatter no more than the model's, or without not-ready time.
    """
    days = _days(history, judged, res)
    if more is None or len(days) < 3:
        return 0.0
    excess = np.var(days["history_sl"] - days["model_sl"], ddof=1) - np.mean(days["model_sl_sd"] ** 2)
    change = (_overall(more, judged) - _overall(res, judged)) / np.log(DAY_STEP)
    if excess <= 0 or change >= 0:
        return 0.0
    return float(min(np.sqrt(excess) / -change, MAX_DAY_CV))


def _overall(res: sim.Results, judged: pd.DataFrame) -> float:
    """The pooled service level over the ``judged`` intervals and every replication."""
    table = _judged(res, judged)
    return float(_pooled(table, np.zeros(len(table))).iloc[0])


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
