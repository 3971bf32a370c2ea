"""The building blocks of scenario files: constants, validated scalar types (durations, times of day,
names, local date-times, probabilities), the strict base model, name hints and paths relative to the file.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
)

from sim.units import DURATION_JSON, TIME_OF_DAY_JSON, format_time_of_day, parse_duration, parse_time_of_day

DAY = 86400.0
ORDERS = "orders"          # the name surges use to target the orders stream
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(DURATION_JSON)]
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0), WithJsonSchema(DURATION_JSON)]
TimeOfDay = Annotated[float, BeforeValidator(parse_time_of_day), WithJsonSchema(TIME_OF_DAY_JSON),
                      PlainSerializer(lambda seconds: format_time_of_day(seconds), when_used="json")]
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


def within_horizon_limit(seconds: float) -> float:
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
DayToDayCv = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]   # real busyness: 0.02-0.5
Name = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_name)]


class Strict(BaseModel):
    """Unknown keys are errors; validated values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

def pydantic_message(err: dict) -> str:
    """A pydantic error's text without its prefixes, starting lower-case."""
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg[0].lower() + msg[1:] if msg else msg


def hint(name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------- files

def resolve_path(value: object, info: ValidationInfo) -> Path:
    if not isinstance(value, str):
        raise ValueError("must be a path to a CSV file")
    base = (info.context or {}).get("base_dir", Path("."))
    path = Path(value) if Path(value).is_absolute() else Path(base) / value
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    return path
