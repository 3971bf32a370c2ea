"""Import profiles: a small YAML file describing how a platform's export says what a contact log needs, so
a raw export calibrates without a hand-written converter.

A profile maps our columns to theirs (with fallbacks), pools queue names, reads times of day with a date
column (calls crossing midnight included), treats sentinel values as missing and maps an outcome column
to answered, abandoned or ignored. Rows it leaves out (ignored outcomes, callers who hung up before
asking for an agent) are counted and listed by line, never dropped silently. ``calibration/examples/
anonymous_bank_export.yaml`` describes the Anonymous Bank records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.files import read_yaml

OURS = ("queue", "channel", "arrival_time", "answer_time", "abandon_time", "handle_s", "agent", "caller")
TIMES = ("arrival_time", "answer_time", "abandon_time")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateColumn(_Strict):
    """The column holding each record's date, when the time columns hold times of day only."""

    column: str
    format: str = "%Y-%m-%d"


class Outcome(_Strict):
    """An outcome column and which of its values mean answered, abandoned, or a record to leave out."""

    column: str
    answered: tuple[str, ...] = ()
    abandoned: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


class ImportProfile(_Strict):
    """How an export says what a contact log needs (docs/calibration.md, Import profiles)."""

    separator: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    columns: dict[str, str]
    fallback: dict[str, str] = {}
    constants: dict[str, str] = {}
    date: DateColumn | None = None
    missing: tuple[str, ...] | dict[str, tuple[str, ...]] = ()
    clock_tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    queue_names: dict[str, str] = {}
    outcome: Outcome | None = None


def read_profile(path: str | Path) -> ImportProfile:
    """Read and check an import profile; ``ValueError`` names the file, the key and the value."""
    data = read_yaml(Path(path))
    try:
        profile = ImportProfile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"{path}: {where}: {first['msg']}, got {first.get('input')!r}") from None
    unknown = [key for key in [*profile.columns, *profile.fallback, *profile.constants] if key not in OURS]
    if unknown:
        raise ValueError(f"{path}: columns: {unknown[0]!r} is not a log column (one of {', '.join(OURS)})")
    return profile


def apply_profile(raw: pd.DataFrame, profile: ImportProfile, path: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The export ``raw`` (text columns) as a log in our columns, same rows, and the rows to leave out by
    reason (boolean masks).
    """
    absent = [theirs for theirs in [*profile.columns.values(), *profile.fallback.values()]
              + ([profile.date.column] if profile.date else []) + ([profile.outcome.column] if profile.outcome else [])
              if theirs not in raw.columns]
    if absent:
        raise ValueError(f"{path}: the import profile names column(s) {', '.join(sorted(set(absent)))} the file "
                         f"lacks; it has {', '.join(map(str, raw.columns))}")
    text = raw.apply(lambda column: column.astype(str).str.strip())
    missing = profile.missing if isinstance(profile.missing, dict) else {"*": profile.missing}
    for column in text.columns:
        sentinels = [*missing.get("*", ()), *missing.get(column, ())]
        text[column] = text[column].mask(text[column].isin(sentinels), "")
    out = pd.DataFrame(index=raw.index)
    for ours in OURS:
        theirs = profile.columns.get(ours)
        out[ours] = text[theirs] if theirs else profile.constants.get(ours, "")
        if ours in profile.fallback:
            out[ours] = out[ours].where(out[ours] != "", text[profile.fallback[ours]])
    if profile.queue_names:
        other = profile.queue_names.get("*")
        out["queue"] = out["queue"].map(lambda q: profile.queue_names.get(q, other if other is not None else q))
    left_out: dict[str, np.ndarray] = {}
    if profile.outcome is not None:
        outcome = text[profile.outcome.column]
        answered, abandoned = outcome.isin(profile.outcome.answered), outcome.isin(profile.outcome.abandoned)
        out["answer_time"] = out["answer_time"].where(answered, "")
        out["abandon_time"] = out["abandon_time"].where(abandoned, "")
        out["handle_s"] = out["handle_s"].where(answered, "")
        for value in profile.outcome.ignored:
            left_out[f"outcome {value} (ignored by the import profile)"] = (outcome == value).to_numpy()
        known = answered | abandoned | outcome.isin(profile.outcome.ignored)
        left_out[f"an outcome the import profile does not map ({profile.outcome.column})"] = (~known).to_numpy()
        left_out["an abandon without a time: the caller left before asking for an agent"] = (
            abandoned & (out["abandon_time"] == "")).to_numpy()
    if profile.date is not None:
        day = pd.to_datetime(text[profile.date.column], format=profile.date.format, errors="coerce")
        arrival = _on_day(day, out["arrival_time"])
        for column in TIMES:
            when = arrival if column == "arrival_time" else _on_day(day, out[column])
            if column != "arrival_time":          # a time of day well before the arrival is the next day's
                when = when.where(~(when < arrival - pd.Timedelta(hours=12)), when + pd.Timedelta(days=1))
            out[column] = when.dt.strftime("%Y-%m-%d %H:%M:%S").where(when.notna(), out[column])
    return out, {reason: mask for reason, mask in left_out.items() if mask.any()}


def _on_day(day: pd.Series, time_of_day: pd.Series) -> pd.Series:
    """Date-times from a date and a time of day ('7:41:16'); NaT where either is missing or unreadable."""
    offset = pd.to_timedelta(time_of_day.where(time_of_day != ""), errors="coerce")
    return day + offset
