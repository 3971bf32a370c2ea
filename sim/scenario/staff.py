"""The scenario's parts on the supply side: agent groups (``Group``), their shifts, breaks, planned
time off, not-ready time, mass absences, reserves and costs. The demand side is in ``sim.scenario.parts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.files import read_csv
from sim.scenario.parts import Skills, Window
from sim.scenario.types import (
    DAY,
    MAX_CONCURRENCY,
    WEEKDAYS,
    DayToDayCv,
    Name,
    NonNegative,
    PositiveDuration,
    Probability,
    Strict,
    TimeOfDay,
    pydantic_message,
    resolve_path,
)
from sim.units import format_duration, format_time_of_day

_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class Break(Strict):
    """A break starting at a time of day; the agent first finishes the contacts it holds."""

    at: TimeOfDay
    duration: PositiveDuration


class Shrinkage(Break):
    """Planned time off the phones (a meeting, training, coaching) for a ``share`` of the shift's agents,
    at a time of day; like a break, each finishes what it holds first.
    """

    share: Probability = 1.0


MAX_NOT_READY = 0.99        # the most a day's not-ready share or probability becomes under its day factor


def _by_hour(value: object, what: str) -> object:
    """One value, or 24 (one per hour of the day from 00:00), each below 1 and above 0 (at least 0 when 24)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 24 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1
                                       for v in value):
            raise ValueError(f"expected 24 {what}, one per hour of the day, each at least 0 and less than 1, "
                             f"got {list(value)!r}")
        return tuple(float(v) for v in value)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
        raise ValueError(f"input should be greater than 0 and less than 1 (or 24 {what}, one per hour), got {value!r}")
    return float(value)


class NotReady(Strict):
    """Not-ready (aux) episodes while on duty, in exponential episodes of ``mean`` length, either
    ``share``: about that share of the on-duty time, or ``after_contact``: after a contact, the agent goes
    not ready with that probability (so the time taken grows with the work done). Each is one value or 24,
    one per hour of the day from 00:00. An agent finishes what it holds before going not ready. ``when``:
    ``due``, the agent goes when the episode falls due; ``idle``, only once no contact waits for it
    (agents keep answering while customers queue). ``day_to_day_cv``: each day the share or probability is
    multiplied by a gamma factor of mean 1 and this cv, the same for every agent of the group (a day with
    an incident, a day everyone is keen), at most ``MAX_NOT_READY``.
    """

    share: float | tuple[float, ...] | None = None
    after_contact: float | tuple[float, ...] | None = None
    mean: PositiveDuration
    when: Literal["due", "idle"] = "due"
    day_to_day_cv: DayToDayCv = 0.0

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, value: object) -> object:
        return None if value is None else _by_hour(value, "shares")

    @field_validator("after_contact", mode="before")
    @classmethod
    def _after_contact(cls, value: object) -> object:
        return None if value is None else _by_hour(value, "probabilities")

    @model_validator(mode="after")
    def _one_of(self) -> NotReady:
        if (self.share is None) == (self.after_contact is None):
            raise ValueError("give either share (of on-duty time) or after_contact (probability after a contact)")
        return self

    def by_hour(self) -> np.ndarray:
        """The share (or with ``after_contact`` the probability) of each hour of the day, from 00:00."""
        value = self.share if self.share is not None else self.after_contact
        return np.broadcast_to(np.asarray(value, dtype=float), 24).copy()


def _weekdays_lowered(value: object) -> object:
    """Days as written: dates (checked to exist) and weekdays in any case."""
    if not isinstance(value, (list, tuple)):
        return value
    for v in value:
        if isinstance(v, str) and _DATE.match(v):
            try:
                date.fromisoformat(v)
            except ValueError as exc:
                raise ValueError(f"{v} is not a date that exists ({exc})") from None
    return [v.lower() if isinstance(v, str) and v.lower() in WEEKDAYS else v for v in value]


Days = Annotated[tuple[date | Literal[WEEKDAYS], ...] | None, BeforeValidator(_weekdays_lowered)]


def on_days(days: tuple | None, day: date) -> bool:
    """True if calendar ``day`` is one of ``days`` (dates or weekdays; None: every day)."""
    return days is None or day in days or WEEKDAYS[day.weekday()] in days


class Shift(Strict):
    """``count`` agents working from ``start`` to ``end`` (an end before the start crosses midnight).

    ``days`` limits the shift to dates (2026-11-11) or weekdays (mon..sun); omitted = every day.
    """

    start: TimeOfDay
    end: TimeOfDay
    count: Annotated[int, Field(ge=0)]
    breaks: tuple[Break, ...] = ()
    shrinkage: tuple[Shrinkage, ...] = ()
    proficiency: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    days: Days = None

    @property
    def length(self) -> float:
        """Shift length in seconds (24 h when start equals end)."""
        return (self.end - self.start) % DAY or DAY

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for kind, blocks in (("break", self.breaks), ("shrinkage", self.shrinkage)):
            for b in blocks:
                offset = (b.at - self.start) % DAY
                if offset + b.duration > self.length:
                    start, end = format_time_of_day(self.start), format_time_of_day(self.end)
                    swapped = ((b.at - self.end) % DAY + b.duration <= (self.start - self.end) % DAY
                               and self.end < self.start)
                    hint = (f"; the shift runs overnight from {start} to {end}: were start and end swapped "
                            f"({end}-{start})?" if swapped else "")
                    raise ValueError(f"{kind} at {format_time_of_day(b.at)} for {format_duration(b.duration)} does "
                                     f"not fit in the {start}-{end} shift{hint}")
        return self

    def runs_on(self, day: date) -> bool:
        """True if an occurrence of this shift starts on calendar ``day``."""
        return on_days(self.days, day)


def _roster_json(schema: dict) -> None:
    schema["properties"]["roster"] = {"type": "string", "description": "CSV file of shifts (instead of 'shifts')"}


class Reserve(Strict):
    """The group keeps its last ``agents`` idle agents for ``queue``: they take no other work meanwhile."""

    queue: Name
    agents: Annotated[int, Field(ge=1)]


class MassAbsence(Window):
    """A window in which each agent of the group on shift is missing with probability ``share``."""

    share: Probability


class Premium(Strict):
    """Hours paid at ``factor`` times the rate: between ``start`` and ``end`` (times of day; an end
    before the start crosses midnight) for a night premium, or beyond ``after`` of a shift for overtime.
    """

    factor: Annotated[float, Field(ge=1, allow_inf_nan=False)]
    start: TimeOfDay | None = None
    end: TimeOfDay | None = None
    after: PositiveDuration | None = None


class Cost(Strict):
    """What a group's agents cost: ``per_hour`` (currency per paid hour: a shift from its start to its
    end, breaks included), a ``night`` premium on the hours in its window and ``overtime`` on the hours
    of a shift beyond its ``after``. An outsourced vendor may charge ``per_contact`` (currency per contact
    its agents answer) instead of or beside hours, with a ``minimum`` (currency over the horizon: the
    volume commitment, paid whatever the contacts) and an ``sla_penalty`` (currency per percentage point
    its first skill's service level over the horizon falls short of the target).
    """

    per_hour: NonNegative = 0.0
    night: Premium | None = None
    overtime: Premium | None = None
    per_contact: NonNegative = 0.0
    minimum: NonNegative = 0.0
    sla_penalty: NonNegative = 0.0

    @model_validator(mode="after")
    def _windows(self) -> Cost:
        if self.night is not None and (self.night.start is None or self.night.end is None):
            raise ValueError("night needs start and end (times of day)")
        if self.overtime is not None and self.overtime.after is None:
            raise ValueError("overtime needs after (the paid length beyond which it applies)")
        if self.per_hour == 0 and self.per_contact == 0:
            raise ValueError("give per_hour (currency per paid hour) or per_contact (per contact answered), or both")
        return self


class Group(Strict):
    """Agents with the same skills and schedule: a fixed ``headcount`` all horizon, or ``shifts``.

    A ``roster`` CSV (one row per shift block) may replace ``shifts``; it is read at load time.
    ``absenteeism`` is the probability that a rostered agent does not show up for a shift; ``cost``
    prices its paid hours (``Cost``).
    """

    model_config = ConfigDict(json_schema_extra=_roster_json)

    skills: Skills
    concurrency: Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)] = 1
    headcount: Annotated[int, Field(ge=0)] | None = None
    shifts: tuple[Shift, ...] | None = None
    absenteeism: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    mass_absences: tuple[MassAbsence, ...] = ()
    level: Name | None = None
    reserve: Reserve | None = None
    not_ready: NotReady | None = None
    cost: Cost | None = None

    @property
    def availability(self) -> float:
        """The share of a rostered agent's paid time on the floor: present (``absenteeism``: unplanned
        shrinkage) and not in planned not-ready time (a ``not_ready`` share: training, meetings; its mean
        over the hours).
        """
        planned = float(self.not_ready.by_hour().mean()) if self.not_ready is not None and self.not_ready.share else 0.0
        return (1 - self.absenteeism) * (1 - planned)

    @model_validator(mode="before")
    @classmethod
    def _load_roster(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, Mapping) and "roster" in data:
            data = dict(data)
            if "shifts" in data:
                raise ValueError("give either 'shifts' or 'roster', not both")
            data["shifts"] = _read_roster(resolve_path(data.pop("roster"), info))
        return data

    @model_validator(mode="after")
    def _one_schedule(self) -> Group:
        if (self.headcount is None) == (self.shifts is None):
            raise ValueError("needs exactly one of 'headcount', 'shifts' or 'roster'")
        return self


def _read_roster(path: Path) -> list[dict[str, Any]]:
    """Rows ``start,end,count[,days][,breaks][,proficiency]``: days and breaks ('HH:MM/duration') split by ';'."""
    rows = read_csv(path)
    if not rows:
        raise ValueError(f"roster {path} has no rows")
    missing = {"start", "end", "count"} - set(rows[0])
    if missing:
        raise ValueError(f"roster {path} lacks column(s) {sorted(missing)}")
    shifts, problems = [], []
    for line, row in enumerate(rows, start=2):
        extra = set(row) - {"start", "end", "count", "days", "breaks", "proficiency"}
        if extra:
            problems.append(f"{path} line {line}: unknown column(s) {sorted(extra)}")
            continue
        shift: dict[str, Any] = {"start": row["start"], "end": row["end"], "count": row["count"]}
        if row.get("proficiency"):
            shift["proficiency"] = row["proficiency"]
        if row.get("days"):
            shift["days"] = [d.strip() for d in row["days"].split(";") if d.strip()]
        if row.get("breaks"):
            shift["breaks"] = [dict(zip(("at", "duration"), b.split("/", 1)))
                               for b in row["breaks"].split(";") if b.strip()]
        try:
            shifts.append(Shift.model_validate(shift).model_dump(mode="json", exclude_none=True))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(f"{path} line {line}: {where}: {pydantic_message(err)}, got {err['input']!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return shifts


# ---------------------------------------------------------------- loading
