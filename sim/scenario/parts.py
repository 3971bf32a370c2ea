"""The demand-side parts of a scenario other than queues: arrivals and their profiles, service levels,
retrials, bots, orders, permission levels, remedies, surges, customer classes, overflow, conversations.
The supply side (agent groups, shifts, breaks, not-ready time, costs) is in ``sim.scenario.staff``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    Field,
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
    WEEKDAYS,
    DayToDayCv,
    Duration,
    LocalDateTime,
    Name,
    NonNegative,
    PositiveDuration,
    Probability,
    Strict,
    resolve_path,
)
from sim.units import DURATION_JSON, parse_duration

_PROFILE_JSON = {"anyOf": [{"type": "array", "items": {"type": "number", "minimum": 0}},
                           {"type": "string", "description": f"a built-in profile ({', '.join(BUILTIN_PROFILES)}) "
                                                             "or a CSV file with a 'weight' column"}]}


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


Profile = Annotated[tuple[NonNegative, ...], BeforeValidator(_profile_weights), WithJsonSchema(_PROFILE_JSON)]


class Arrivals(Strict):
    """How many contacts arrive: mean daily volume shaped by profile, weekday and daily noise; or a
    ``forecast``: the expected contacts of each interval of the horizon, in order, which replaces the
    volume's shape (profiles and weekday factors; surges and day-to-day noise still apply); or a ``replay``:
    the arrival times (s from the start) of a history, which arrive as they are in every replication
    (nothing else applies to them; the back-test's ``--volumes history``).
    """

    daily_volume: NonNegative
    profile: Profile = BUILTIN_PROFILES["flat"]
    weekday_profiles: dict[Literal[WEEKDAYS], Profile] = {}
    weekday_factors: tuple[NonNegative, ...] = (1.0,) * 7
    day_to_day_cv: DayToDayCv = 0.0
    forecast: tuple[NonNegative, ...] | None = None
    replay: tuple[NonNegative, ...] | None = None

    @field_validator("weekday_profiles", mode="before")
    @classmethod
    def _lower_case_weekdays(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        return {str(day).lower(): weights for day, weights in value.items()}

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


class Repeat(Strict):
    """Customers whose problem was not solved come back: a ``probability`` of each contact an agent
    resolves makes a new contact ``delay`` after it ended, in queue ``to`` (default the same queue).
    First-contact resolution counts the resolved contacts with no repeat ``within`` this time (the
    shops' definition; default one day).
    """

    probability: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    delay: Delay
    to: Name | None = None
    within: PositiveDuration = DAY


class EscalateAfter(Strict):
    """Work left waiting ``after`` its arrival moves, unresolved, to queue ``to`` (e.g. tickets open for two
    days go to the supervisors): the item leaves its queue as ``transferred`` and a follow-up enters ``to``.
    """

    after: PositiveDuration
    to: Name


Age = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False), WithJsonSchema(DURATION_JSON)]


def _ages(value: object, info: ValidationInfo) -> object:
    """Ages as a list, or a CSV path (column ``age``: durations)."""
    if not isinstance(value, str):
        return value
    path = resolve_path(value, info)
    rows = read_csv(path)
    if rows and "age" not in rows[0]:
        raise ValueError(f"backlog CSV {path} needs an 'age' column")
    return [row["age"] for row in rows]


class Backlog(Strict):
    """Work already waiting when the run starts (a warm start): ``count`` items whose ages (time since they
    arrived) follow the distribution ``age``, or the ``ages`` themselves (a list, or a CSV file with an
    ``age`` column). A waiting customer's patience runs afresh from the start; an item keeps the platform
    deadline and first-reply deadline of its own arrival.
    """

    count: Annotated[int, Field(ge=0)] | None = None
    age: Delay | None = None
    ages: Annotated[tuple[Age, ...], BeforeValidator(_ages)] | None = None

    @model_validator(mode="after")
    def _count_and_age_or_ages(self) -> Backlog:
        counted = self.count is not None and self.age is not None
        if counted == (self.ages is not None) or (self.ages is not None and (self.count, self.age) != (None, None)):
            raise ValueError("give 'count' and 'age' (a distribution), or 'ages'")
        return self

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """The ages (s) of the items waiting at the start."""
        return np.asarray(self.ages, dtype=float) if self.ages is not None else self.age.sample(rng, self.count)


class Bot(Strict):
    """Share of a chat queue's arrivals a bot resolves without an agent (optionally lower in surges)."""

    share: Probability
    share_during_surges: Probability | None = None


class Window(Strict):
    """A stretch of calendar time, ``start`` to ``end`` (local date-times)."""

    start: LocalDateTime
    end: LocalDateTime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end must be after start, got start {self.start} and end {self.end}")
        return self


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


class Surge(Window):
    """A promotion window multiplying the arrival rate of some queues (all when ``queues`` is omitted)."""

    name: str = "surge"
    multiplier: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    queues: tuple[Name, ...] | None = None
    shape: Literal["step", "decay"] = "step"


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


MAX_ROUNDS = 1e12           # a conversation's drawn rounds are cut here (endless, not an overflow)


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


_SKILLS_JSON = {"anyOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
                          {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                           "minProperties": 1}],
                "description": "queues served, in priority order, or queue: proficiency"}


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
