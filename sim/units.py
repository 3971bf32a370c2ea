"""Parsing of durations ("90s", "15min", "2h", "3d") and times of day ("08:00") into seconds, and their
formatting (and that of a span of date-times) for messages and tables.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|sec|min|m|h|d)?\s*$")
_TIME_OF_DAY = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*$")    # ASCII digits: not '０８:００'

# JSON Schema of the spellings above, for editors (``run.py schema``).
DURATION_JSON = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DURATION.pattern}],
                 "description": "seconds, or a number with a unit: 90s, 15min, 2h, 3d"}
TIME_OF_DAY_JSON = {"anyOf": [{"type": "string", "pattern": _TIME_OF_DAY.pattern},
                              {"type": "integer", "minimum": 0, "maximum": 1440}],
                    "description": "a time of day, HH:MM (quote it in YAML)"}


def parse_duration(value: object) -> float:
    """Return a duration in seconds from a number of seconds or a string with a unit.

    >>> parse_duration("15min"), parse_duration(90), parse_duration("1.5h")
    (900.0, 90.0, 5400.0)
    """
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 90, '90s', '15min', '2h' or '3d'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    else:
        raise ValueError("must be a duration such as 90, '90s', '15min', '2h' or '3d'")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("must be a finite duration >= 0")
    return seconds


def parse_time_of_day(value: object) -> float:
    """Return seconds after midnight from "HH:MM" or "HH:MM:SS" (24:00 allowed as end of day).

    >>> parse_time_of_day("08:30")
    30600.0
    """
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:30 as a base-60 integer (510); accept it as minutes.
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = _TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("must be a time of day such as '08:00'")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError("must be a time of day between 00:00 and 24:00")
    return float(hours * 3600 + minutes * 60 + seconds)


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration: the inverse of ``parse_duration`` for whole units.

    >>> format_duration(20), format_duration(900), format_duration(86400), format_duration(90.5)
    ('20s', '15min', '1d', '90.5s')
    """
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def format_time_of_day(seconds: float) -> str:
    """'HH:MM' (or 'HH:MM:SS' when there are seconds) from seconds after midnight: ``parse_time_of_day``'s inverse.

    >>> format_time_of_day(30600), format_time_of_day(30605)
    ('08:30', '08:30:05')
    """
    hours, minutes, secs = int(seconds // 3600), int(seconds % 3600 // 60), int(seconds % 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def format_span(begin: datetime, end: datetime) -> str:
    """A span of time as a planner says it: '09:00-17:30 on 2026-06-17', 'all day on 2026-06-17',
    'from 2026-06-17 22:00 to 2026-06-18 02:00'.

    >>> from datetime import datetime as t
    >>> format_span(t(2026, 6, 17, 9), t(2026, 6, 17, 17, 30)), format_span(t(2026, 6, 17), t(2026, 6, 18))
    ('09:00-17:30 on 2026-06-17', 'all day on 2026-06-17')
    >>> format_span(t(2026, 6, 17, 22), t(2026, 6, 18, 2)), format_span(t(2026, 6, 17, 20), t(2026, 6, 18))
    ('from 2026-06-17 22:00 to 2026-06-18 02:00', '20:00-24:00 on 2026-06-17')
    """
    midnight = datetime.combine(begin.date(), datetime.min.time())
    if begin == midnight and end == midnight + timedelta(days=1):
        return f"all day on {begin.date()}"
    if begin.date() == end.date():
        return f"{begin:%H:%M}-{end:%H:%M} on {begin.date()}"
    if end == midnight + timedelta(days=1):
        return f"{begin:%H:%M}-24:00 on {begin.date()}"
    if end - begin == timedelta(days=(end - begin).days) and begin == midnight:
        return f"all day from {begin.date()} to {(end - timedelta(days=1)).date()}"
    return f"from {begin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def counted(n: int, noun: str) -> str:
    """'1 queue', '3 queues', '1,200 intervals' (nouns whose plural takes an s).

    >>> counted(1, "group"), counted(2, "group"), counted(1200, "interval")
    ('1 group', '2 groups', '1,200 intervals')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
