"""The parts of a scenario other than queues: arrivals and their profiles, service levels, retrials,
bots, orders, permission levels, surges, shifts, breaks, rosters and agent groups.
"""

from __future__ import annotations

import math
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
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sim.distributions import Amount, Delay
from sim.files import read_csv
from sim.profiles import BUILTIN_PROFILES
from sim.scenario.types import (
    DAY,
    MAX_CONCURRENCY,
    WEEKDAYS,
    Duration,
    LocalDateTime,
    Name,
    NonNegative,
    PositiveDuration,
    Probability,
    Strict,
    TimeOfDay,
    pydantic_message,
    resolve_path,
)
from sim.units import format_time_of_day

_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_PROFILE_JSON = {"anyOf": [{"type": "array", "items": {"type": "number", "minimum": 0}},
                           {"type": "string", "description": f"a built-in profile ({', '.join(BUILTIN_PROFILES)}) "
                                                             "or a CSV file with a 'weight' column"}]}

class Arrivals(Strict):
    """How many contacts arrive: mean daily volume shaped by profile, weekday and daily noise; or a
    ``forecast``: the expected contacts of each interval of the horizon, in order, which replaces the
    volume's shape (profiles and weekday factors; surges and day-to-day noise still apply); or a ``replay``:
    the arrival times (s from the start) of a history, which arrive as they are in every replication
    (nothing else applies to them; the back-test's ``--volumes history``).
    """

    daily_volume: NonNegative
    profile: Annotated[tuple[NonNegative, ...], WithJsonSchema(_PROFILE_JSON)] = BUILTIN_PROFILES["flat"]
    weekday_profiles: dict[Literal[WEEKDAYS], Annotated[tuple[NonNegative, ...], WithJsonSchema(_PROFILE_JSON)]] = {}
    weekday_factors: tuple[NonNegative, ...] = (1.0,) * 7
    day_to_day_cv: NonNegative = 0.0
    forecast: tuple[NonNegative, ...] | None = None
    replay: tuple[NonNegative, ...] | None = None

    @field_validator("profile", mode="before")
    @classmethod
    def _resolve_profile(cls, value: object, info: ValidationInfo) -> object:
        return _profile_weights(value, info)

    @field_validator("weekday_profiles", mode="before")
    @classmethod
    def _resolve_weekday_profiles(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, Mapping):
            return value
        return {str(day).lower(): _profile_weights(weights, info) for day, weights in value.items()}

    @field_validator("weekday_factors")
    @classmethod
    def _seven_days(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != 7:
            raise ValueError(f"needs 7 factors, Monday first, got {len(value)}")
        return value

    @field_validator("profile")
    @classmethod
    def _some_weight(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        _check_weights(value)
        return value

    @field_validator("weekday_profiles")
    @classmethod
    def _some_weight_each_day(cls, value: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, ...]]:
        for day, weights in value.items():
            _check_weights(weights, f"{day}: ")
        return value

    def profile_on(self, weekday: int) -> tuple[float, ...]:
        """The intraday weights of a day of the week (0 = Monday): its own profile, else ``profile``."""
        return self.weekday_profiles.get(WEEKDAYS[weekday], self.profile)


def _check_weights(weights: tuple[float, ...], prefix: str = "") -> None:
    total = sum(weights)
    if not weights or total <= 0:
        raise ValueError(f"{prefix}needs at least one positive weight")
    if not math.isfinite(total):
        raise ValueError(f"{prefix}weights too large to add up; only their ratios matter")


def _profile_weights(value: object, info: ValidationInfo) -> object:
    """A profile given by built-in name, list of weights or CSV path (column ``weight``), as weights."""
    if value is None:
        return BUILTIN_PROFILES["flat"]
    if not isinstance(value, str):
        return value
    if value in BUILTIN_PROFILES:
        return BUILTIN_PROFILES[value]
    if not value.lower().endswith(".csv"):
        names = ", ".join(BUILTIN_PROFILES)
        raise ValueError(f"must be a built-in profile ({names}), a list of weights or a CSV path")
    path = resolve_path(value, info)
    rows = read_csv(path)
    if not rows or "weight" not in rows[0]:
        raise ValueError(f"profile CSV {path} needs a 'weight' column")
    try:
        return tuple(float(row["weight"]) for row in rows)
    except ValueError as exc:
        raise ValueError(f"profile CSV {path}: {exc}") from None


class ServiceLevel(Strict):
    """Target share answered (calls), first-responded (chats) or resolved (refunds) within a threshold.

    Calls and chats use ``answer_within``; refund items use ``resolve_within``.
    """

    answer_within: Duration = 20.0
    resolve_within: PositiveDuration = DAY
    target: Annotated[float, Field(gt=0, le=1)] = 0.8


class Retrial(Strict):
    """A caller who abandons (or balks) calls again with ``probability`` after a ``delay`` (calls only)."""

    probability: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    delay: Delay


class Bot(Strict):
    """Share of a chat queue's arrivals a bot resolves without an agent (optionally lower in surges)."""

    share: Probability
    share_during_surges: Probability | None = None


class FromOrders(Strict):
    """Refund requests driven by orders: a share ``rate`` of orders asks for a refund ``lag`` later."""

    rate: Probability
    lag: Delay


class Orders(Strict):
    """Orders placed, shaped like a queue's arrivals; surges reach them by the name ``orders``."""

    arrivals: Arrivals
    average_order_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class LevelRule(Strict):
    """Items up to an amount (``up_to``, or ``up_to_share`` of the average order value) need ``level``.

    A rule without a bound takes every larger amount.
    """

    up_to: NonNegative | None = None
    up_to_share: NonNegative | None = None
    level: Name


class Remedy(Strict):
    """A ``share`` of a chat or call queue's contacts needs a remedy of ``amount`` granted at ``level``."""

    share: Probability
    amount: Amount
    level: Name


class _Window(Strict):
    """A stretch of calendar time, ``start`` to ``end`` (local date-times)."""

    start: LocalDateTime
    end: LocalDateTime

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.end <= self.start:
            raise ValueError(f"end must be after start, got start {self.start} and end {self.end}")
        return self


class Surge(_Window):
    """A promotion window multiplying the arrival rate of some queues (all when ``queues`` is omitted)."""

    name: str = "surge"
    multiplier: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    queues: tuple[Name, ...] | None = None
    shape: Literal["step", "decay"] = "step"


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
    day_to_day_cv: NonNegative = 0.0

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


class Conversion(Strict):
    """Pre-sales conversion (询单转化率): the probability that a conversation ends in an order, by its first
    response time (s: probability, at least two points; straight lines between them, flat beyond), and
    the average ``order_value`` (currency). A customer who leaves, before a reply or unseen later, orders
    nothing.
    """

    by_first_response: dict[Duration, Probability]
    order_value: NonNegative

    @field_validator("by_first_response")
    @classmethod
    def _two_points(cls, value: dict) -> dict:
        if len(value) < 2 or min(value) < 0:
            raise ValueError(f"needs at least two first response times (s, at least 0) with their probability, "
                             f"got {value!r}")
        return dict(sorted(value.items()))

    def probability(self, first_response: np.ndarray) -> np.ndarray:
        """The probability of an order after each first response time (s)."""
        times = np.array(list(self.by_first_response))
        return np.interp(first_response, times, np.array(list(self.by_first_response.values())))


class Conversation(Strict):
    """A chat as a conversation (``sim.conversations``): ``rounds`` of customer message and agent reply
    (a distribution, rounded to a whole number, at least 1); the agent's ``reply`` work (s, at proficiency
    1), one reply at a time across its open conversations, times ``slowdown`` by the conversations it has
    open (1, 2, ...; the last repeats); the customer's ``gap`` (s) before its next message;
    ``message_patience`` (s): a customer whose reply takes longer leaves without a word, and the
    conversation holds its slot until ``idle_timeout`` after that reply; ``reply_order``: the order an
    agent writes the replies waiting for it, ``arrival`` (first come, first served) or ``new_first`` (a
    new conversation's first message before the others: platforms judge the first response);
    ``conversion``: orders won.
    """

    rounds: Delay
    reply: Delay
    gap: Delay
    slowdown: tuple[Annotated[float, Field(ge=1, allow_inf_nan=False)], ...] = ()
    message_patience: Delay | None = None
    idle_timeout: PositiveDuration = 600.0
    reply_order: Literal["arrival", "new_first"] = "arrival"
    conversion: Conversion | None = None


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
                    raise ValueError(f"{kind} at {format_time_of_day(b.at)} for {b.duration:g}s does not fit in the "
                                     "shift")
        return self

    def runs_on(self, day: date) -> bool:
        """True if an occurrence of this shift starts on calendar ``day``."""
        return on_days(self.days, day)


_SKILLS_JSON = {"anyOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
                          {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                           "minProperties": 1}],
                "description": "queues served, in priority order, or queue: proficiency"}


def _roster_json(schema: dict) -> None:
    schema["properties"]["roster"] = {"type": "string", "description": "CSV file of shifts (instead of 'shifts')"}


def _skills(value: object) -> object:
    """Skills as a list (proficiency 1) or a mapping queue → proficiency, in priority order."""
    if not isinstance(value, (list, tuple)):
        return value
    names = [name for name in value if isinstance(name, str)]
    if len(names) < len(value):
        raise ValueError("must list queue names, or map queue names to proficiencies")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"lists {', '.join(map(repr, twice))} more than once")
    return {name: 1.0 for name in names}


Skills = Annotated[dict[Name, Annotated[float, Field(gt=0, allow_inf_nan=False)]],
                   BeforeValidator(_skills), Field(min_length=1), WithJsonSchema(_SKILLS_JSON)]


class CustomerClass(Strict):
    """A share of a queue's arrivals served before the rest (e.g. 88VIP members); classes listed first
    come first. Contacts of no listed class form the class ``others``, served last.
    """

    name: Name
    share: Probability


class Overflow(Strict):
    """After waiting ``after``, a contact may also be taken by ``groups`` (a list, or group: proficiency),
    which take it after their own queues.
    """

    after: Duration
    groups: Skills


class Reserve(Strict):
    """The group keeps its last ``agents`` idle agents for ``queue``: they take no other work meanwhile."""

    queue: Name
    agents: Annotated[int, Field(ge=1)]


class MassAbsence(_Window):
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
