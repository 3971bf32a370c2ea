"""Contact logs: the documented format (docs/calibration.md), column mapping, and bad rows reported.

One row per contact: ``queue``, ``channel`` (chat or call), ``arrival_time``, then ``answer_time`` and
``handle_s`` if an agent took it, or ``abandon_time`` if the customer left first; optionally ``agent``
(for chat concurrency), ``caller`` and ``order_id`` (with an orders file: ``calibration.orders``).
Times are local date-times; times with a UTC offset (Chinese platform exports often end in +08:00) are
read as local time at the log's most common offset. A row
that breaks the format is kept out of the fit and reported with its line number (CSV: the file's line,
the header being line 1; Parquet: the row number from 1), never silently dropped. Queue names that
cannot name a scenario queue (a '/' or '.' in them, say) are changed, and the change noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.exports import ImportProfile, apply_profile
from sim.channels import CHANNELS
from sim.scenario import EARLIEST, LATEST, safe_name

LOGGED = [name for name, channel in CHANNELS.items() if channel.in_logs]    # channels logs may hold

COLUMNS = ("queue", "channel", "arrival_time", "answer_time", "abandon_time", "handle_s", "agent", "caller",
           "order_id")
REQUIRED = ("queue", "channel", "arrival_time")
TIMES = ("arrival_time", "answer_time", "abandon_time")
MAX_SPAN = pd.Timedelta(days=366)     # an arrival further than this from the log's median is a bad row
MAX_WAIT = pd.Timedelta(days=1)       # a wait or a handle time longer than this is a bad row
CLOCK_TOLERANCE_S = 5.0               # an answer or abandon this close before the arrival is a zero wait
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$")


class LogError(ValueError):
    """A log that cannot be read at all (missing file or required column): one line for the user."""


@dataclass
class Log:
    """The valid rows of a log (``rows``, with a ``line`` column), the bad ones by kind (line numbers) and
    ``notes`` on how the log was read (time zones, renamed queues).
    """

    path: str
    rows: pd.DataFrame
    bad: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def described(self) -> str:
        """What was read, for the scenario file's first line."""
        return f"{len(self.rows):,} contacts"

    @property
    def bad_count(self) -> int:
        return sum(len(lines) for lines in self.bad.values())

    def left_out(self) -> str:
        """The rows left out, for a message: how many of each kind, and their first lines."""
        return "; ".join(f"{len(lines):,} with {kind} (line(s) {', '.join(map(str, lines[:5]))}"
                         f"{', ...' if len(lines) > 5 else ''})" for kind, lines in self.bad.items())

    def why_empty(self) -> str:
        """Why no row is left, for a message: the kinds of bad rows and how many, or that there were none."""
        return f"every row was left out: {self.left_out()}" if self.bad else "the file has no rows"

    def problems(self, shown: int = 10) -> list[str]:
        """One line per kind of bad row: how many, and the first line numbers."""
        out = []
        for kind, lines in self.bad.items():
            more = f", ... ({len(lines) - shown} more)" if len(lines) > shown else ""
            out.append(f"{self.path}: {len(lines)} row(s) with {kind}: line(s) "
                       f"{', '.join(map(str, lines[:shown]))}{more}")
        return out


def parse_mapping(pairs: list[str], columns: tuple[str, ...] = COLUMNS) -> dict[str, str]:
    """``OURS=THEIRS`` pairs (e.g. ``arrival_time=created_at``) as a rename from their columns to ours, one
    of ``columns``.
    """
    mapping = {}
    for pair in pairs:
        ours, _, theirs = pair.partition("=")
        if ours not in columns or not theirs:
            raise LogError(f"--map: expected COLUMN=THEIR_COLUMN with COLUMN one of {', '.join(columns)}, "
                           f"got {pair!r}")
        mapping[theirs] = ours
    return mapping


def read_table(path: Path, separator: str | None = None, what: str = "the log") -> tuple[pd.DataFrame, int]:
    """A Parquet file, or a text file of fields split by ``separator`` (default: guessed from its header)
    as text, and the line number of its first row; ``what`` the file is, for the error.
    """
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            if path.is_file() and path.read_bytes()[:4] != b"PAR1":
                raise LogError(f"{path}: not a Parquet file (its name says Parquet, its contents do not): export "
                               "it again, or give it the name its contents have (.csv for text)")
            return pd.read_parquet(path), 1
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=separator or separator_of(path)), 2
    except LogError:
        raise
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise LogError(f"{path}: cannot read {what}: {str(exc).strip() or type(exc).__name__}") from None


def separator_of(path: Path) -> str:
    """The field separator of a delimited text log: whichever of , tab ; | its header line holds most of."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = f.readline(65536)
    return max([",", "\t", ";", "|"], key=header.count)


def read_log(path: str | Path, mapping: dict[str, str] | None = None, queues: list[str] | None = None,
             clock_tolerance: float = CLOCK_TOLERANCE_S, profile: ImportProfile | None = None) -> Log:
    """Read a CSV (or tab-, semicolon- or bar-separated text) or Parquet log, rename its columns by
    ``mapping`` and sort out the bad rows.

    ``queues``: the queue names expected (others are bad rows); by default every name is accepted. An
    answer or abandon at most ``clock_tolerance`` seconds before the arrival (clocks that disagree by a
    second or two) is read as a zero wait, and counted in the notes. ``profile`` describes a raw export
    (``calibration.exports``); the rows it leaves out are listed like bad rows.
    """
    path = Path(path)
    raw, first_line = read_table(path, profile.separator if profile is not None else None)
    left_out: dict[str, np.ndarray] = {}
    if profile is not None and profile.clock_tolerance is not None:
        clock_tolerance = profile.clock_tolerance
    if profile is not None:
        try:
            raw, left_out = apply_profile(raw, profile, str(path))
        except ValueError as exc:
            raise LogError(str(exc)) from None
    raw = renamed(raw, mapping, REQUIRED, path)
    return _checked(str(path), raw, first_line, queues, clock_tolerance, left_out)


def renamed(raw: pd.DataFrame, mapping: dict[str, str] | None, required: tuple[str, ...], path: Path) -> pd.DataFrame:
    """The columns renamed by ``mapping`` (their name: ours); a ``LogError`` if a ``required`` one is missing."""
    mapping = mapping or {}
    replaced = [ours for ours in mapping.values() if ours in raw.columns and ours not in mapping]
    raw = raw.drop(columns=replaced).rename(columns=mapping)     # --map says where ours comes from
    raw = raw.loc[:, ~raw.columns.duplicated()]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, raw.columns))} "
                       f"(use --map COLUMN=THEIR_COLUMN)")
    return raw


def text_column(raw: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """A column as stripped text ('' where absent) and where it is empty."""
    text = raw[column].astype(str).str.strip() if column in raw.columns else pd.Series("", index=raw.index)
    return text, text.isin(["", "nan", "NaN", "NaT", "None", "<NA>"])


def _offset(text: str) -> timezone:
    """The fixed time zone of an offset as written: 'Z', '+08:00', '+0800' or '+08'."""
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))


def _nanoseconds(times: pd.Series) -> pd.Series:
    """Naive date-times in one resolution (pandas infers it from the text otherwise); NaT (unreadable) for
    years outside 1677-2262, which nanoseconds cannot hold.
    """
    inside = (times >= pd.Timestamp.min) & (times <= pd.Timestamp.max)
    return times.where(inside).astype("datetime64[ns]")


def _parse_local(text: pd.Series) -> pd.Series:
    """Naive date-times from text without a recognised offset; a time whose zone is written some other way
    ('10:00Z+08:00') is unreadable (NaT).
    """
    try:
        times = pd.to_datetime(text, errors="coerce", format="mixed")
        if not pd.api.types.is_datetime64_dtype(times) or isinstance(times.dtype, pd.DatetimeTZDtype):
            raise TypeError("zones")
    except (ValueError, TypeError, OverflowError):            # one time at a time, keeping the naive ones
        times = pd.Series([_naive(t) for t in text], index=text.index, dtype="datetime64[ns]")
    return _nanoseconds(times)


def _naive(text: object) -> pd.Timestamp:
    try:
        time = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if time is pd.NaT or time.tzinfo is not None or not pd.Timestamp.min <= time <= pd.Timestamp.max:
        return pd.NaT
    return time


def local_times(texts: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], list[str]]:
    """Each column's times as naive local date-times (NaT where unreadable) and a note on time zones.

    Times with a UTC offset are converted to the most common offset's local time; times without one are
    taken as local time already.
    """
    offsets = pd.concat([text.str.extract(_OFFSET, expand=False) for text in texts.values()]).dropna()
    if offsets.empty:
        return {column: _parse_local(text) for column, text in texts.items()}, []
    counts = offsets.value_counts()
    zone = _offset(counts.index[0])
    parsed = {}
    for column, text in texts.items():
        zoned = text.str.extract(_OFFSET, expand=False).notna()
        times = _parse_local(text.where(~zoned))
        if zoned.any():
            utc = pd.to_datetime(text.where(zoned), errors="coerce", format="mixed", utc=True)
            times = times.where(~zoned, _nanoseconds(utc.dt.tz_convert(zone).dt.tz_localize(None)))
        parsed[column] = times
    spread = ", ".join(f"{offset} on {n:,} times" for offset, n in counts.items())
    return parsed, [f"times carry UTC offsets ({spread}); read as local time at {counts.index[0]}"]


def first_lines(lines: pd.Series, shown: int = 10) -> str:
    """The first ``shown`` line numbers, and how many more."""
    first = ", ".join(map(str, lines.iloc[:shown]))
    return first + (f", ... ({len(lines) - shown} more)" if len(lines) > shown else "")


def queue_names(names: pd.Series) -> tuple[pd.Series, list[str]]:
    """Queue names a scenario accepts (``sim.scenario.safe_name``), and a note per name changed."""
    renamed, notes = {}, []
    for name in names.unique():
        fixed = safe_name(name)
        if fixed != name and name:
            renamed[name] = fixed
            notes.append(f"queue {name!r} is called {fixed!r} in the scenario (names become file names and "
                         "--set paths)")
    return names.replace(renamed), notes


def _checked(path: str, raw: pd.DataFrame, first_line: int, queues: list[str] | None,
             clock_tolerance: float = CLOCK_TOLERANCE_S, left_out: dict[str, np.ndarray] | None = None) -> Log:
    log = pd.DataFrame({"line": np.arange(len(raw)) + first_line})
    bad: dict[str, np.ndarray] = dict(left_out or {})
    texts, empties = {}, {}
    for column in TIMES:
        texts[column], empties[column] = text_column(raw, column)
    times, notes = local_times({c: t.where(~empties[c]) for c, t in texts.items()})
    for column in TIMES:
        bad[f"an unreadable {column}"] = (~empties[column] & times[column].isna()).to_numpy()
        log[column] = times[column].to_numpy()
    text, empty = text_column(raw, "handle_s")
    handle = pd.to_numeric(text.where(~empty), errors="coerce")
    bad["an unreadable handle_s"] = (~empty & handle.isna()).to_numpy()
    log["handle_s"] = handle.to_numpy()
    for column in ("queue", "channel", "agent", "caller", "order_id"):
        log[column] = text_column(raw, column)[0].to_numpy()
    log["channel"] = log["channel"].str.lower()
    answered, abandoned = log["answer_time"].notna(), log["abandon_time"].notna()
    bad["no arrival_time"] = log["arrival_time"].isna().to_numpy() & ~bad["an unreadable arrival_time"]
    bad["an empty queue"] = (log["queue"] == "").to_numpy()
    bad[f"a channel other than {' or '.join(LOGGED)}"] = ~log["channel"].isin(LOGGED).to_numpy()
    if queues is not None:
        bad["an unknown queue"] = ~log["queue"].isin(queues).to_numpy() & ~bad["an empty queue"]
    bad["both answer_time and abandon_time"] = (answered & abandoned).to_numpy()
    tolerance = pd.Timedelta(seconds=clock_tolerance)
    for column, event in (("answer_time", "answer"), ("abandon_time", "abandon")):
        early = log[column] < log["arrival_time"]
        slight = early & (log[column] >= log["arrival_time"] - tolerance)
        if slight.any():
            log.loc[slight, column] = log.loc[slight, "arrival_time"]
            notes.append(f"{path}: {int(slight.sum())} row(s) with an {event} up to {clock_tolerance:g} s before "
                         f"arrival_time (clocks a second or two apart) read as a zero wait: line(s) "
                         f"{first_lines(log['line'][slight])}")
        bad[f"{column} before arrival_time"] = (early & ~slight).to_numpy()
    bad["a negative handle_s"] = (log["handle_s"] < 0).to_numpy()
    bad["a handle_s of more than a day"] = (log["handle_s"] > MAX_WAIT.total_seconds()).to_numpy()
    median = log["arrival_time"].dropna().median() if log["arrival_time"].notna().any() else pd.NaT
    bad["an arrival_time more than a year from the log's median"] = (
        (log["arrival_time"] - median).abs() > MAX_SPAN).to_numpy()
    bad[f"an arrival_time outside {EARLIEST.year}-{LATEST.year - 1}"] = (
        (log["arrival_time"] < EARLIEST) | (log["arrival_time"] >= LATEST - pd.Timedelta(days=1))).to_numpy()
    left = log["answer_time"].fillna(log["abandon_time"])
    bad["a wait of more than a day"] = ((left - log["arrival_time"]) > MAX_WAIT).to_numpy()
    no_handle = (answered & log["handle_s"].isna()).to_numpy()
    bad["answer_time without handle_s"] = no_handle & ~bad["an unreadable handle_s"]
    any_bad = np.zeros(len(log), dtype=bool)
    for flags in bad.values():
        any_bad |= flags
    lines = log["line"].to_numpy()
    rows = log[~any_bad].reset_index(drop=True)
    rows["queue"], renamed = queue_names(rows["queue"])
    return Log(path, rows, {kind: lines[flags].tolist() for kind, flags in bad.items() if flags.any()},
               notes + renamed)
