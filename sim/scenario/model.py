"""The validated scenario: queues, groups, surges and orders, with its clock (seconds from ``start``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, WithJsonSchema

from sim.channels import Queue
from sim.scenario.parts import Surge
from sim.scenario.sales import Orders
from sim.scenario.staff import Group
from sim.scenario.types import DAY, LocalDateTime, Name, PositiveDuration, Strict, within_horizon_limit
from sim.units import DURATION_JSON, parse_duration


@dataclass(frozen=True)
class ShiftOccurrence:
    """One shift row on one day, in seconds from the clock origin; ``breaks`` are (start, duration) and
    ``shrinkage`` (start, duration, share).
    """

    row: int
    day: int
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]
    count: int
    proficiency: float
    shrinkage: tuple[tuple[float, float, float], ...] = ()


class Scenario(Strict):
    """A validated scenario; every time is in seconds, the clock origin being ``start``."""

    name: Name
    start: LocalDateTime
    horizon: Annotated[float, BeforeValidator(parse_duration), Field(gt=0), AfterValidator(within_horizon_limit),
                       WithJsonSchema(DURATION_JSON)]
    interval: PositiveDuration = 900.0
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    queues: Annotated[dict[Name, Queue], Field(min_length=1)]
    surges: tuple[Surge, ...] = ()
    orders: Orders | None = None
    levels: tuple[Name, ...] = ()
    groups: Annotated[dict[Name, Group], Field(min_length=1)]
    _source: str = PrivateAttr(default="<dict>")
    _overrides: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        """Where the scenario came from (its file, or ``<dict>``): the prefix of every message about it."""
        return self._source

    @property
    def overrides(self) -> dict[str, Any]:
        """The dotted-path overrides applied to the source (``--set``), as given."""
        return dict(self._overrides)

    def loaded_from(self, source: str, overrides: dict[str, Any]) -> Scenario:
        """Note where the scenario came from and the overrides applied to it; the scenario itself."""
        self._source, self._overrides = source, dict(overrides)
        return self

    def __eq__(self, other: object) -> bool:
        """Equal values, wherever each came from."""
        return type(other) is type(self) and self.__dict__ == other.__dict__

    @property
    def chinese(self) -> bool:
        """Whether the shop names its queues or groups in Chinese (its workbooks then speak Chinese)."""
        return any("\u3400" <= ch <= "\u9fff" for name in (*self.queues, *self.groups) for ch in name)

    @property
    def n_intervals(self) -> int:
        return int(round(self.horizon / self.interval))

    @property
    def intervals_per_day(self) -> int:
        return int(round(DAY / self.interval))

    @property
    def start_offset(self) -> float:
        """Seconds from midnight of the first day to ``start``."""
        return (self.start - datetime.combine(self.start.date(), datetime.min.time())).total_seconds()

    @property
    def n_days(self) -> int:
        """Calendar days touched by the horizon."""
        return int(math.ceil((self.start_offset + self.horizon) / DAY))

    def day(self, index: int) -> date:
        return self.start.date() + timedelta(days=index)

    @property
    def interval_days(self) -> np.ndarray:
        """The calendar-day index (``day``'s) of each interval's start."""
        return ((self.start_offset + np.arange(self.n_intervals) * self.interval) // DAY).astype(int)

    def clock(self, when: datetime) -> float:
        """Seconds from ``start`` to ``when``."""
        return (when - self.start).total_seconds()

    def scheduled_agents(self) -> dict[str, np.ndarray]:
        """Agents of each group scheduled in each interval (breaks and absences left aside): the most at any
        moment of the interval.
        """
        n = self.n_intervals
        counts = {}
        for name in self.groups:
            steps = np.zeros(n + 1)
            for occ in self.shift_occurrences(name):
                first = int(np.clip(np.floor(max(occ.start, 0.0) / self.interval), 0, n))
                stop = int(np.clip(np.ceil(min(occ.end, self.horizon) / self.interval), 0, n))
                steps[first] += occ.count
                steps[stop] -= occ.count
            counts[name] = np.cumsum(steps[:n])
        return counts

    def shift_occurrences(self, group: str) -> list[ShiftOccurrence]:
        """Every shift of ``group`` that overlaps the horizon, in roster order then by day.

        A ``headcount`` group has one occurrence covering the whole horizon (row 0, day 0).
        """
        g = self.groups[group]
        if g.shifts is None:
            return [ShiftOccurrence(0, 0, 0.0, math.inf, (), g.headcount, 1.0)]
        found = []
        for row, shift in enumerate(g.shifts):
            for day in range(-1, self.n_days):
                if not shift.runs_on(self.day(day)):
                    continue
                start = day * DAY + shift.start - self.start_offset
                end = start + shift.length
                if end <= 0 or start >= self.horizon:
                    continue
                breaks = tuple((start + (b.at - shift.start) % DAY, b.duration) for b in shift.breaks)
                shrinkage = tuple((start + (b.at - shift.start) % DAY, b.duration, b.share) for b in shift.shrinkage)
                found.append(ShiftOccurrence(row, day, start, end, breaks, shift.count, shift.proficiency, shrinkage))
        return found


def level_of(sc: Scenario, group: Group) -> int:
    """Index of a group's permission level in ``sc.levels`` (the lowest when not given)."""
    return sc.levels.index(group.level) if group.level in sc.levels else 0

