"""Contact logs: the documented format (docs/calibration.md), column mapping, and bad rows reported.

One row per contact: ``queue``, ``channel`` (chat or call), ``arrival_time``, then ``answer_time`` and
``handle_s`` if an agent took it, or ``abandon_time`` if the customer left first; optionally ``agent``
(for chat concurrency) and ``caller``. Times are local date-times. A row that breaks the format is kept
out of the fit and reported with its line number (CSV: the file's line, the header being line 1;
Parquet: the row number from 1), never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ("queue", "channel", "arrival_time", "answer_time", "abandon_time", "handle_s", "agent", "caller")
REQUIRED = ("queue", "channel", "arrival_time")
TIMES = ("arrival_time", "answer_time", "abandon_time")


class LogError(ValueError):
    """A log that cannot be read at all (missing file or required column): one line for the user."""


@dataclass
class Log:
    """The valid rows of a log (``rows``, with a ``line`` column) and the bad ones by kind (line numbers)."""

    path: str
    rows: pd.DataFrame
    bad: dict[str, list[int]] = field(default_factory=dict)

    @property
    def bad_count(self) -> int:
        return sum(len(lines) for lines in self.bad.values())

    def problems(self, shown: int = 10) -> list[str]:
        """One line per kind of bad row: how many, and the first line numbers."""
        out = []
        for kind, lines in self.bad.items():
            more = f", ... ({len(lines) - shown} more)" if len(lines) > shown else ""
            out.append(f"{self.path}: {len(lines)} row(s) with {kind}: line(s) "
                       f"{', '.join(map(str, lines[:shown]))}{more}")
        return out


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``OURS=THEIRS`` pairs (e.g. ``arrival_time=created_at``) as a rename from their columns to ours."""
    mapping = {}
    for pair in pairs:
        ours, _, theirs = pair.partition("=")
        if ours not in COLUMNS or not theirs:
            raise LogError(f"--map: expected COLUMN=THEIR_COLUMN with COLUMN one of {', '.join(COLUMNS)}, "
                           f"got {pair!r}")
        mapping[theirs] = ours
    return mapping


def read_log(path: str | Path, mapping: dict[str, str] | None = None, queues: list[str] | None = None) -> Log:
    """Read a CSV or Parquet log, rename its columns by ``mapping`` and sort out the bad rows.

    ``queues``: the queue names expected (others are bad rows); by default every name is accepted.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            raw, first_line = pd.read_parquet(path), 1
        else:
            raw, first_line = pd.read_csv(path, dtype=str, keep_default_na=False), 2
    except (OSError, ValueError) as exc:
        raise LogError(f"{path}: cannot read the log: {exc}") from None
    raw = raw.rename(columns=mapping or {})
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise LogError(f"{path}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, raw.columns))} "
                       f"(use --map COLUMN=THEIR_COLUMN)")
    return _checked(str(path), raw, first_line, queues)


def _text(raw: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """A column as stripped text ('' where absent) and where it is empty."""
    text = raw[column].astype(str).str.strip() if column in raw.columns else pd.Series("", index=raw.index)
    return text, text.isin(["", "nan", "NaN", "NaT", "None", "<NA>"])


def _checked(path: str, raw: pd.DataFrame, first_line: int, queues: list[str] | None) -> Log:
    log = pd.DataFrame({"line": np.arange(len(raw)) + first_line})
    bad: dict[str, np.ndarray] = {}
    for column in TIMES:
        text, empty = _text(raw, column)
        parsed = pd.to_datetime(text.where(~empty), errors="coerce", format="mixed")
        bad[f"an unreadable {column}"] = (~empty & parsed.isna()).to_numpy()
        log[column] = parsed.to_numpy()
    text, empty = _text(raw, "handle_s")
    handle = pd.to_numeric(text.where(~empty), errors="coerce")
    bad["an unreadable handle_s"] = (~empty & handle.isna()).to_numpy()
    log["handle_s"] = handle.to_numpy()
    for column in ("queue", "channel", "agent", "caller"):
        log[column] = _text(raw, column)[0].to_numpy()
    log["channel"] = log["channel"].str.lower()
    answered, abandoned = log["answer_time"].notna(), log["abandon_time"].notna()
    bad["no arrival_time"] = log["arrival_time"].isna().to_numpy() & ~bad["an unreadable arrival_time"]
    bad["an empty queue"] = (log["queue"] == "").to_numpy()
    bad["a channel other than chat or call"] = ~log["channel"].isin(["chat", "call"]).to_numpy()
    if queues is not None:
        bad["an unknown queue"] = ~log["queue"].isin(queues).to_numpy() & ~bad["an empty queue"]
    bad["both answer_time and abandon_time"] = (answered & abandoned).to_numpy()
    bad["answer_time before arrival_time"] = (log["answer_time"] < log["arrival_time"]).to_numpy()
    bad["abandon_time before arrival_time"] = (log["abandon_time"] < log["arrival_time"]).to_numpy()
    bad["a negative handle_s"] = (log["handle_s"] < 0).to_numpy()
    no_handle = (answered & log["handle_s"].isna()).to_numpy()
    bad["answer_time without handle_s"] = no_handle & ~bad["an unreadable handle_s"]
    any_bad = np.zeros(len(log), dtype=bool)
    for flags in bad.values():
        any_bad |= flags
    lines = log["line"].to_numpy()
    return Log(path, log[~any_bad].reset_index(drop=True),
               {kind: lines[flags].tolist() for kind, flags in bad.items() if flags.any()})
