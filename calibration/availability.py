"""What a log does not show: how available the agents on duty really were.

A log shows when agents answered, not when they were ready: between contacts an agent may have been in
after-call work, in a meeting or away. Seeing each agent on duty from its first answer to its last contact
of a day overstates the agents available, and the model answers too fast. The effective availability is
estimated so that the model reproduces the log's own waits: the scenario, staffed as the log was and
fed the log's own arrivals per interval (``calibration.holdout.project`` with ``volumes="history"``), is
simulated with a not-ready share ``s`` for every group (episodes of ``EPISODE_S`` on average), and ``s``
is found by bisection so that the simulated service level over the log's period equals the log's. The
service level falls as ``s`` grows, and common random numbers keep the comparison between values of
``s`` sharp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import sim
from calibration.backtest import history_intervals
from calibration.logs import Log
from sim.scenario.parts import NotReady
from sim.statistics import ci95_halfwidth

EPISODE_S = 300.0          # mean not-ready episode (s): logs do not show it; 5 minutes, a common aux length
MAX_SHARE = 0.9
STEPS = 8                  # bisection steps: the share to within 0.9 / 2^8, about 0.004


@dataclass(frozen=True)
class AvailabilityFit:
    """The not-ready ``share`` found, the log's service level and the model's (mean, 95% CI half-width)
    there, and every share tried with the model's service level.
    """

    share: float
    history_sl: float
    model_sl: float
    model_sl_ci95: float
    tried: tuple[tuple[float, float], ...]

    def note(self) -> str:
        return (f"agents on duty taken as not ready {self.share:.0%} of the time (episodes of "
                f"{EPISODE_S / 60:g} min), so that the model's service level over the log's period "
                f"({self.model_sl:.1%} ± {self.model_sl_ci95:.1%}) matches the log's ({self.history_sl:.1%})")


def _service_level(res: sim.Results) -> tuple[float, float]:
    """Pooled service level of every queue over the horizon: mean and 95% CI half-width over replications."""
    totals = res.totals.groupby("replication")[["answered_within_sl", "offered", "waiting_at_end"]].sum()
    per_replication = totals["answered_within_sl"] / (totals["offered"] - totals["waiting_at_end"])
    return float(per_replication.mean()), float(ci95_halfwidth(per_replication))


def fit_availability(scenario: dict, log: Log, replications: int = 5, seed: int = 1,
                     workers: int | None = None) -> AvailabilityFit:
    """The not-ready share that makes ``scenario`` (plain data) reproduce ``log``'s service level."""
    from calibration.holdout import project  # here: the hold-out builds on calibrate, which imports this

    base = project(scenario, log, volumes="history")
    history = history_intervals(log.rows, base)
    judged = history.dropna(subset=["service_level"])
    target = float(np.average(judged["service_level"], weights=judged["offered"])) if len(judged) else np.nan

    def model(share: float) -> tuple[float, float]:
        not_ready = NotReady(share=share, mean=EPISODE_S) if share > 0 else None
        groups = {name: g.model_copy(update={"not_ready": not_ready}) for name, g in base.groups.items()}
        sc = base.model_copy(update={"groups": groups})
        return _service_level(sim.simulate(sc, replications=replications, seed=seed, workers=workers))

    tried = []
    level, half = model(0.0)
    tried.append((0.0, level))
    if not np.isfinite(target) or level <= target:
        return AvailabilityFit(0.0, target, level, half, tuple(tried))
    low, high = 0.0, MAX_SHARE
    best = (0.0, level, half)
    for _ in range(STEPS):
        middle = (low + high) / 2
        level, half = model(middle)
        tried.append((middle, level))
        if level > target:
            low = middle
        else:
            high = middle
        if abs(level - target) <= abs(best[1] - target):
            best = (middle, level, half)
    return AvailabilityFit(round(best[0], 3), target, best[1], best[2], tuple(tried))
