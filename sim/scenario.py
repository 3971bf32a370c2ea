"""Scenario files: YAML (+ CSV profiles and rosters) → a validated, frozen ``Scenario`` in seconds.

Every problem in a file is collected and raised at once as a ``ScenarioError`` whose lines read
``FILE: key.path: message, got VALUE``. Schema problems (types, ranges, unknown keys) are reported
together; cross-references (skills naming queues, shifts inside the horizon, profile lengths) are
checked once the schema is valid, again all at once.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sim.distributions import Amount, Constant, Delay, Empirical, HandleTime, OrderValueShare, Patience
from sim.errors import ScenarioError
from sim.files import check_size, read_csv, read_yaml, show
from sim.profiles import BUILTIN_PROFILES
from sim.units import DURATION_JSON, TIME_OF_DAY_JSON, format_time_of_day, parse_duration, parse_time_of_day

DAY = 86400.0
ORDERS = "orders"          # the name surges use to target the orders stream
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _duration(value: object) -> float:
    return parse_duration(value)


def _time_of_day(value: object) -> float:
    return parse_time_of_day(value)


Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema(DURATION_JSON)]
PositiveDuration = Annotated[float, BeforeValidator(_duration), Field(gt=0), WithJsonSchema(DURATION_JSON)]
TimeOfDay = Annotated[float, BeforeValidator(_time_of_day), WithJsonSchema(TIME_OF_DAY_JSON),
                      PlainSerializer(lambda seconds: format_time_of_day(seconds), when_used="json")]
_PROFILE_JSON = {"anyOf": [{"type": "array", "items": {"type": "number", "minimum": 0}},
                           {"type": "string", "description": f"a built-in profile ({', '.join(BUILTIN_PROFILES)}) "
                                                             "or a CSV file with a 'weight' column"}]}
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2200, 1, 1)   # calendar times a scenario may use
MAX_HORIZON = 3660 * DAY
MAX_CONCURRENCY = 100                      # chats one agent holds at once (3-8 in practice)
NAME_FORBIDDEN = set('./\\:*?"<>|')      # names become file names and parts of dotted --set paths


def _local(value: datetime) -> datetime:
    if value.tzinfo is not None:
        raise ValueError("must be a local date-time without a time zone, such as 2026-11-11T00:00")
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _forbidden(character: str) -> bool:
    return character in NAME_FORBIDDEN or not character.isprintable()


def safe_name(text: str) -> str:
    """``text`` made a valid name: each forbidden or unprintable character becomes '_', at most 80 long."""
    return "".join("_" if _forbidden(c) else c for c in text).strip()[:80] or "_"


def _within_horizon_limit(seconds: float) -> float:
    if seconds > MAX_HORIZON:
        raise ValueError(f"must be at most {MAX_HORIZON / DAY:g}d, ten years")
    return seconds


def _name(value: str) -> str:
    bad = sorted({c for c in value if _forbidden(c)})
    if bad:
        shown = " ".join(repr(c)[1:-1] for c in bad)
        raise ValueError(f"a name may not contain {shown} (names become file names and --set paths)")
    if value != value.strip():
        raise ValueError("a name may not start or end with a space")
    return value


LocalDateTime = Annotated[datetime, AfterValidator(_local), WithJsonSchema(
    {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$",
     "description": "local date and time, e.g. 2026-11-11T00:00"})]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arrivals(_Strict):
    """How many contacts arrive: mean daily volume shaped by profile, weekday and daily noise."""

    daily_volume: NonNegative
    profile: Annotated[tuple[NonNegative, ...], WithJsonSchema(_PROFILE_JSON)] = BUILTIN_PROFILES["flat"]
    weekday_profiles: dict[Literal[WEEKDAYS], Annotated[tuple[NonNegative, ...], WithJsonSchema(_PROFILE_JSON)]] = {}
    weekday_factors: tuple[NonNegative, ...] = (1.0,) * 7
    day_to_day_cv: NonNegative = 0.0

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
    path = _resolve_path(value, info)
    rows = read_csv(path)
    if not rows or "weight" not in rows[0]:
        raise ValueError(f"profile CSV {path} needs a 'weight' column")
    try:
        return tuple(float(row["weight"]) for row in rows)
    except ValueError as exc:
        raise ValueError(f"profile CSV {path}: {exc}") from None


class ServiceLevel(_Strict):
    """Target share answered (calls), first-responded (chats) or resolved (refunds) within a threshold.

    Calls and chats use ``answer_within``; refund items use ``resolve_within``.
    """

    answer_within: Duration = 20.0
    resolve_within: PositiveDuration = DAY
    target: Annotated[float, Field(gt=0, le=1)] = 0.8


Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Retrial(_Strict):
    """A caller who abandons (or balks) calls again with ``probability`` after a ``delay`` (calls only)."""

    probability: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    delay: Delay


class Bot(_Strict):
    """Share of a chat queue's arrivals a bot resolves without an agent (optionally lower in surges)."""

    share: Probability
    share_during_surges: Probability | None = None


class FromOrders(_Strict):
    """Refund requests driven by orders: a share ``rate`` of orders asks for a refund ``lag`` later."""

    rate: Probability
    lag: Delay


class Orders(_Strict):
    """Orders placed, shaped like a queue's arrivals; surges reach them by the name ``orders``."""

    arrivals: Arrivals
    average_order_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class LevelRule(_Strict):
    """Items up to an amount (``up_to``, or ``up_to_share`` of the average order value) need ``level``.

    A rule without a bound takes every larger amount.
    """

    up_to: NonNegative | None = None
    up_to_share: NonNegative | None = None
    level: Name


class Remedy(_Strict):
    """A ``share`` of a chat or call queue's contacts needs a remedy of ``amount`` granted at ``level``."""

    share: Probability
    amount: Amount
    level: Name


class Queue(_Strict):
    """One kind of contact with its channel, demand, handle time, patience and service level.

    A ``refund`` queue holds back-office items: served one at a time, no abandonment, an ``amount``
    each, and a platform ``deadline`` after which an unresolved item is approved automatically.
    """

    channel: Literal["chat", "call", "refund"]
    arrivals: Arrivals | None = None
    from_orders: FromOrders | None = None
    handle_time: HandleTime
    patience: Patience | None = None
    sla: ServiceLevel = ServiceLevel()
    retrial: Retrial | None = None
    bot: Bot | None = None
    amount: Amount | None = None
    deadline: PositiveDuration | None = None
    levels_by_amount: tuple[LevelRule, ...] = ()
    remedy: Remedy | None = None
    escalate_to: dict[Name, Name] = {}


class _Window(_Strict):
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


class Break(_Strict):
    """A break starting at a time of day; the agent first finishes the contacts it holds."""

    at: TimeOfDay
    duration: PositiveDuration


class Shift(_Strict):
    """``count`` agents working from ``start`` to ``end`` (an end before the start crosses midnight).

    ``days`` limits the shift to dates (2026-11-11) or weekdays (mon..sun); omitted = every day.
    """

    start: TimeOfDay
    end: TimeOfDay
    count: Annotated[int, Field(ge=0)]
    breaks: tuple[Break, ...] = ()
    proficiency: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    days: tuple[date | Literal[WEEKDAYS], ...] | None = None

    @field_validator("days", mode="before")
    @classmethod
    def _lower_weekdays(cls, value: object) -> object:
        if not isinstance(value, (list, tuple)):
            return value
        for v in value:
            if isinstance(v, str) and _DATE.match(v):
                try:
                    date.fromisoformat(v)
                except ValueError as exc:
                    raise ValueError(f"{v} is not a date that exists ({exc})") from None
        return [v.lower() if isinstance(v, str) and v.lower() in WEEKDAYS else v for v in value]

    @property
    def length(self) -> float:
        """Shift length in seconds (24 h when start equals end)."""
        return (self.end - self.start) % DAY or DAY

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for b in self.breaks:
            offset = (b.at - self.start) % DAY
            if offset + b.duration > self.length:
                raise ValueError(f"break at {format_time_of_day(b.at)} for {b.duration:g}s does not fit in the shift")
        return self

    def runs_on(self, day: date) -> bool:
        """True if an occurrence of this shift starts on calendar ``day``."""
        return self.days is None or day in self.days or WEEKDAYS[day.weekday()] in self.days


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


class MassAbsence(_Window):
    """A window in which each agent of the group on shift is missing with probability ``share``."""

    share: Probability


class Group(_Strict):
    """Agents with the same skills and schedule: a fixed ``headcount`` all horizon, or ``shifts``.

    A ``roster`` CSV (one row per shift block) may replace ``shifts``; it is read at load time.
    ``absenteeism`` is the probability that a rostered agent does not show up for a shift.
    """

    model_config = ConfigDict(json_schema_extra=_roster_json)

    skills: Annotated[dict[Name, Annotated[float, Field(gt=0, allow_inf_nan=False)]],
                      BeforeValidator(_skills), Field(min_length=1), WithJsonSchema(_SKILLS_JSON)]
    concurrency: Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)] = 1
    headcount: Annotated[int, Field(ge=0)] | None = None
    shifts: tuple[Shift, ...] | None = None
    absenteeism: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    mass_absences: tuple[MassAbsence, ...] = ()
    level: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _load_roster(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, Mapping) and "roster" in data:
            data = dict(data)
            if "shifts" in data:
                raise ValueError("give either 'shifts' or 'roster', not both")
            data["shifts"] = _read_roster(_resolve_path(data.pop("roster"), info))
        return data

    @model_validator(mode="after")
    def _one_schedule(self) -> Group:
        if (self.headcount is None) == (self.shifts is None):
            raise ValueError("needs exactly one of 'headcount', 'shifts' or 'roster'")
        return self


@dataclass(frozen=True)
class ShiftOccurrence:
    """One shift row on one day, in seconds from the clock origin; ``breaks`` are (start, duration)."""

    row: int
    day: int
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]
    count: int
    proficiency: float


class Scenario(_Strict):
    """A validated scenario; every time is in seconds, the clock origin being ``start``."""

    name: Name
    start: LocalDateTime
    horizon: Annotated[float, BeforeValidator(_duration), Field(gt=0), AfterValidator(_within_horizon_limit),
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

    def __eq__(self, other: object) -> bool:
        """Equal values, wherever each came from."""
        return type(other) is type(self) and self.__dict__ == other.__dict__

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

    def clock(self, when: datetime) -> float:
        """Seconds from ``start`` to ``when``."""
        return (when - self.start).total_seconds()

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
                found.append(ShiftOccurrence(row, day, start, end, breaks, shift.count, shift.proficiency))
        return found

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = list(_cross_problems(self))
        if problems:
            raise ValueError(_CROSS_MARK + "\n".join(f"{path}\t{msg}" for path, msg in problems))
        return self


# ---------------------------------------------------------------- cross-reference checks

_CROSS_MARK = "<cross>"


def _cross_problems(sc: Scenario):
    """Yield (key path, message) for every problem that involves several parts of the scenario."""
    if DAY % sc.interval:
        yield "interval", f"must divide one day evenly, got {sc.interval:g}s"
    elif abs(sc.horizon / sc.interval - round(sc.horizon / sc.interval)) > 1e-9:
        yield "horizon", f"must be a whole number of intervals ({sc.interval:g}s), got {sc.horizon:g}s"
    elif sc.start_offset % sc.interval:
        yield "start", f"must fall on an interval boundary, got {sc.start.time()}"
    specs = {f"queues.{name}.arrivals": q.arrivals for name, q in sc.queues.items()}
    specs["orders.arrivals"] = sc.orders.arrivals if sc.orders else None
    for path, spec in specs.items():
        if spec is None or DAY % sc.interval:
            continue
        profiles = {f"{path}.profile": spec.profile,
                    **{f"{path}.weekday_profiles.{day}": weights for day, weights in spec.weekday_profiles.items()}}
        for key, weights in profiles.items():
            if len(weights) not in (24, sc.intervals_per_day):
                yield key, f"needs 24 hourly weights or {sc.intervals_per_day} (one per interval), got {len(weights)}"
    for qname, q in sc.queues.items():
        if not any(qname in g.skills for g in sc.groups.values()):
            yield f"queues.{qname}", "no group has this queue among its skills"
        if q.retrial is not None and q.channel != "call":
            yield f"queues.{qname}.retrial", f"retrials apply to calls, got channel {q.channel!r}"
        if q.bot is not None and q.channel != "chat":
            yield f"queues.{qname}.bot", f"bots answer chats, got channel {q.channel!r}"
        yield from _refund_problems(sc, qname, q)
        yield from _level_problems(sc, qname, q)
    for i, surge in enumerate(sc.surges):
        for qname in surge.queues or ():
            if qname not in sc.queues and not (qname == ORDERS and sc.orders is not None):
                yield f"surges.{i}.queues", f"unknown queue{_hint(qname, sc.queues)}, got {qname!r}"
        if sc.clock(surge.end) <= 0 or sc.clock(surge.start) >= sc.horizon:
            yield f"surges.{i}", f"window {surge.start} - {surge.end} lies outside the horizon"
    for gname, g in sc.groups.items():
        if g.level is not None and g.level not in sc.levels:
            yield f"groups.{gname}.level", f"unknown level{_hint(g.level, sc.levels)}, got {g.level!r}"
        for qname in g.skills:
            if qname not in sc.queues:
                yield f"groups.{gname}.skills", f"unknown queue{_hint(qname, sc.queues)}, got {qname!r}"
        for i, shift in enumerate(g.shifts or ()):
            yield from _shift_problems(sc, f"groups.{gname}.shifts.{i}", shift)
        for i, window in enumerate(g.mass_absences):
            if sc.clock(window.end) <= 0 or sc.clock(window.start) >= sc.horizon:
                yield (f"groups.{gname}.mass_absences.{i}",
                       f"window {window.start} - {window.end} lies outside the horizon")


def _escalation_targets(sc: Scenario) -> set[str]:
    return {target for q in sc.queues.values() for target in q.escalate_to.values()}


def _refund_problems(sc: Scenario, qname: str, q: Queue):
    """Demand source, refund-only keys and deadlines of one queue."""
    path = f"queues.{qname}"
    fed_by_escalation = qname in _escalation_targets(sc)
    if q.arrivals is not None and q.from_orders is not None:
        yield path, "give 'arrivals' or 'from_orders', not both"
    elif q.arrivals is None and q.from_orders is None and not fed_by_escalation:
        yield path, "needs 'arrivals' or 'from_orders' (or to be another queue's 'escalate_to' target)"
    if q.channel != "refund":
        for key in ("from_orders", "amount", "deadline"):
            if getattr(q, key) is not None:
                yield f"{path}.{key}", f"applies to refund queues, got channel {q.channel!r}"
        return
    if q.patience is not None:
        yield f"{path}.patience", "refund items do not abandon; the platform's 'deadline' ends their wait"
    needs_orders = q.from_orders is not None or isinstance(q.amount, OrderValueShare)
    if needs_orders and sc.orders is None:
        yield path, "'from_orders' and an 'order_value_share' amount need a top-level 'orders' section"
    if q.deadline is not None:
        speeds = [g.skills[qname] * max((s.proficiency for s in g.shifts or ()), default=1.0)
                  for g in sc.groups.values() if qname in g.skills]
        fastest = max(speeds, default=1.0)
        ht = q.handle_time
        shortest = min(ht.values) if isinstance(ht, Empirical) else ht.value if isinstance(ht, Constant) else 0.0
        if q.deadline < max(shortest, ht.mean) / fastest:
            yield (f"{path}.deadline", f"shorter than the handle time of the fastest agents "
                   f"({max(shortest, ht.mean) / fastest:g}s on average), got {q.deadline:g}s")


def level_of(sc: Scenario, group: Group) -> int:
    """Index of a group's permission level in ``sc.levels`` (the lowest when not given)."""
    return sc.levels.index(group.level) if group.level in sc.levels else 0


def _level_problems(sc: Scenario, qname: str, q: Queue):
    """Permission levels: names exist, rules cover every amount, and every item can be resolved."""
    path = f"queues.{qname}"
    known = set(sc.levels)
    rules = q.levels_by_amount
    named = [(f"levels_by_amount.{i}.level", r.level) for i, r in enumerate(rules)]
    if q.remedy is not None:
        named.append(("remedy.level", q.remedy.level))
    for key, level in named:
        if level not in known:
            yield f"{path}.{key}", f"unknown level{_hint(level, known)} (levels: {list(sc.levels)}), got {level!r}"
    for level, target in q.escalate_to.items():
        if level not in known:
            yield f"{path}.escalate_to", f"unknown level{_hint(level, known)}, got {level!r}"
        if target not in sc.queues:
            yield f"{path}.escalate_to.{level}", f"unknown queue{_hint(target, sc.queues)}, got {target!r}"
        elif level in known:
            for gname, g in sc.groups.items():
                if target in g.skills and level_of(sc, g) < sc.levels.index(level):
                    yield (f"groups.{gname}.level", f"serves escalation queue {target!r}, which needs {level}, "
                           f"got {g.level or sc.levels[0]!r}")
    if rules and q.channel != "refund":
        yield f"{path}.levels_by_amount", f"applies to refund queues, got channel {q.channel!r}"
    if q.remedy is not None and q.channel == "refund":
        yield f"{path}.remedy", "refund items take their level from 'levels_by_amount'"
    for i, r in enumerate(rules):
        if r.up_to is not None and r.up_to_share is not None:
            yield f"{path}.levels_by_amount.{i}", "give 'up_to' or 'up_to_share', not both"
        if r.up_to_share is not None and sc.orders is None:
            yield f"{path}.levels_by_amount.{i}.up_to_share", "needs a top-level 'orders' section"
    if rules and (rules[-1].up_to is not None or rules[-1].up_to_share is not None):
        yield (f"{path}.levels_by_amount", "amounts above the last bound have no level: end with a rule "
               "without 'up_to'")
    if rules and q.amount is None:
        yield f"{path}.amount", "levels_by_amount needs an amount per item"
    for level in dict.fromkeys(level for _, level in named):
        if level not in known:
            continue
        lacking = [g for g, grp in sc.groups.items()
                   if qname in grp.skills and level_of(sc, grp) < sc.levels.index(level)]
        if lacking and level not in q.escalate_to:
            yield (f"{path}.escalate_to", f"groups {lacking} are below {level} and no escalation queue is given "
                   f"for {level}")


def _shift_problems(sc: Scenario, path: str, shift: Shift):
    dated = [d for d in shift.days or () if isinstance(d, date)]
    for d in dated:
        start = (d - sc.start.date()).days * DAY + shift.start - sc.start_offset
        if start >= sc.horizon or start + shift.length <= 0:
            yield f"{path}.days", f"shift on {d} lies outside the horizon, got {d.isoformat()}"
    if shift.days and not dated:
        weekdays = {WEEKDAYS[sc.day(i).weekday()] for i in range(-1, sc.n_days)}
        if not weekdays & set(shift.days):
            yield f"{path}.days", f"no such weekday inside the horizon, got {list(shift.days)}"


def _hint(name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------- files

def _resolve_path(value: object, info: ValidationInfo) -> Path:
    if not isinstance(value, str):
        raise ValueError("must be a path to a CSV file")
    base = (info.context or {}).get("base_dir", Path("."))
    path = Path(value) if Path(value).is_absolute() else Path(base) / value
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    return path


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
                problems.append(f"{path} line {line}: {where}: {_message(err)}, got {err['input']!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return shifts


# ---------------------------------------------------------------- loading

def load_scenario(source: str | Path | Mapping, overrides: Mapping[str, Any] | None = None,
                  label: str | None = None) -> Scenario:
    """Load and validate a scenario from a YAML path or a dict, applying dotted-path ``overrides``.

    Raises ``ScenarioError`` listing every problem, each as ``FILE: key.path: message, got VALUE``;
    ``label`` replaces FILE (default: the path, or ``<dict>``).
    """
    if isinstance(source, Mapping):
        label, base_dir = label or "<dict>", Path(".")
        check_size(source, label)
        data = _deep_copy(source)
    else:
        label, base_dir = label or str(source), Path(source).parent
        data = read_yaml(Path(source))
    if not isinstance(data, dict):
        raise ScenarioError([f"{label}: top level must be a mapping of keys, got {type(data).__name__}"])
    problems = [f"{label}: {p}" for p in [*_apply_overrides(data, overrides or {}), *_booleans(data)]]
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ScenarioError([f"{label}: {line}" for line in _format_errors(exc)]) from None
    scenario._source, scenario._overrides = label, dict(overrides or {})
    return scenario


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deep_copy(v) for v in value]
    return value


def _booleans(data: dict) -> list[str]:
    """A problem per true/false value: no scenario key takes one, and YAML reads yes, no, on and off as such."""
    problems, stack = [], [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, bool):
            problems.append(f"{'.'.join(path)}: YAML reads yes, no, on, off, true and false as yes/no; give a "
                            f"number, or quote a name, got {node}")
        elif isinstance(node, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, str(i)), v) for i, v in reversed(list(enumerate(node))))
    return problems


def _apply_overrides(data: dict, overrides: Mapping[str, Any]) -> list[str]:
    """Set each dotted path (list items by index) in ``data``; return problems with paths."""
    problems = []
    for dotted, value in overrides.items():
        node: Any = data
        keys = dotted.split(".")
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if isinstance(node, list):
                if not key.isdigit() or int(key) >= len(node):
                    problems.append(f"{dotted}: no list item {key!r} (the list has {len(node)}), got {show(value)}")
                    break
                key = int(key)
            elif not isinstance(node, dict):
                problems.append(f"{dotted}: {'.'.join(keys[:depth])} is not a mapping, got {show(value)}")
                break
            elif not last and key not in node:
                problems.append(f"{dotted}: no key {key!r}{_hint(key, node)}, got {show(value)}")
                break
            if last:
                node[key] = value
            else:
                node = node[key]
    return problems


def _vocabulary() -> set[str]:
    models = [Arrivals, ServiceLevel, Retrial, Bot, FromOrders, Orders, LevelRule, Remedy, Queue, Surge, Break,
              Shift, MassAbsence, Group, Scenario]
    from sim import distributions
    models += [distributions.ExponentialPatience, distributions.LogNormal, distributions.Gamma,
               distributions.Constant, distributions.Empirical]
    return {name for m in models for name in m.model_fields} | {"roster"}


_DISTRIBUTIONS = {"handle_time": HandleTime, "patience": Patience, "delay": Delay, "lag": Delay, "amount": Amount}


def _dist_names(key: str) -> str:
    """The ``dist`` values the distribution at ``key`` accepts, e.g. 'exponential, lognormal, constant'."""
    members = get_args(get_args(_DISTRIBUTIONS.get(key, HandleTime))[0])
    return ", ".join(get_args(m.model_fields["dist"].annotation)[0] for m in members)


def _message(err: dict) -> str:
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    key = str(err["loc"][-1]) if err["loc"] else ""
    if err["type"] == "extra_forbidden":
        msg = f"unknown key{_hint(key, _vocabulary())}"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown distribution, expected one of {err['ctx']['expected_tags']}"
    elif err["type"] == "union_tag_not_found":
        msg = f"needs 'dist', one of {_dist_names(key)}"
    elif err["type"] in ("model_attributes_type", "model_type", "dict_type") and key in _DISTRIBUTIONS:
        msg = f"needs a distribution such as {{dist: exponential, mean: 300}} ('dist' one of {_dist_names(key)})"
    elif err["type"] in ("model_attributes_type", "model_type"):
        msg = "needs a mapping of keys"
    return msg[0].lower() + msg[1:] if msg else msg


def _format_errors(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not (isinstance(p, str) and "[" in p)]
        # Discriminated unions add the tag (e.g. "lognormal") after the distribution's key.
        loc = [p for i, p in enumerate(loc) if not (i and loc[i - 1] in _DISTRIBUTIONS)]
        msg = _message(err)
        if msg.startswith(_CROSS_MARK):
            for row in msg.removeprefix(_CROSS_MARK).split("\n"):
                path, text = row.split("\t", 1)
                lines.append(f"{path}: {text}")
            continue
        value = err["input"]
        if err["type"] == "union_tag_invalid":
            loc, value = [*loc, "dist"], value.get("dist")
        path = ".".join(loc) or "(top level)"
        if err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        elif err["type"] == "extra_forbidden" or ", got " in msg or isinstance(value, Mapping):
            lines.append(f"{path}: {msg}")
        else:
            lines.append(f"{path}: {msg}, got {show(value)}")
    return lines


def dump_scenario(sc: Scenario) -> dict:
    """The resolved scenario as plain data (durations in seconds, profiles and rosters inlined)."""
    return sc.model_dump(mode="json", exclude_none=True)
