"""What a log shows of its agents: when they were on duty, and the after-call work they did.

Times in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OFF_DUTY_GAP_S = 1800.0        # an agent idle longer than this between contacts while contacts waited was off duty
MAX_IDLE_S = 3 * 3600.0        # ...and longer than this, whatever waited
WRAP_UP_MAX_S = 60.0           # a longer gap while callers waited is not-ready time, not after-call work
MIN_WRAP_UP_GAPS = 30          # gaps needed to estimate the after-call work
WRAP_UP_QUANTILES = 20         # the after-call work is written as this many quantiles of the gaps


@dataclass
class WrapUpFit:
    """After-call work: ``gaps`` (s) from a call's end to its agent's next answer while calls waited for it."""

    gaps: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.gaps.mean())

    def spec(self) -> dict:
        """The scenario's ``wrap_up``: resampling the gaps' quantiles (at least half a second)."""
        levels = (np.arange(WRAP_UP_QUANTILES) + 0.5) / WRAP_UP_QUANTILES
        return {"dist": "empirical", "values": [round(max(float(v), 0.5), 2) for v in np.quantile(self.gaps, levels)]}



def agents_on_duty(rows: pd.DataFrame, start: pd.Timestamp, n_intervals: int,
                   interval: float) -> dict[tuple[str, ...], np.ndarray]:
    """Agents on duty per interval, by skill set: the queues an agent handled, as a set (in the order of
    the queues' volumes, the busiest first, whatever each agent's own mix).

    An agent is on duty from an answer to the end of its next contacts, through idle gaps up to
    ``OFF_DUTY_GAP_S``, and through longer gaps up to ``MAX_IDLE_S`` while no contact of its queues waited
    (a quiet hour: nobody needed it); a longer gap while contacts waited, or any gap over ``MAX_IDLE_S``, is
    time off (a break, a split shift, the end of the day).
    """
    served = rows[rows["answer_time"].notna() & (rows["agent"] != "")].copy()
    served["end"] = served["answer_time"] + pd.to_timedelta(served["handle_s"], unit="s")
    rank = {q: k for k, q in enumerate(rows["queue"].value_counts().index)}
    skills = {agent: tuple(sorted(set(part["queue"]), key=rank.__getitem__))
              for agent, part in served.groupby("agent")}
    served = served.sort_values(["agent", "answer_time"])
    latest = served.groupby("agent")["end"].cummax().groupby(served["agent"]).shift()
    gap = (served["answer_time"] - latest).dt.total_seconds()
    needed = waited(rows, served["agent"].map(skills), latest, served["answer_time"])
    away = (gap > MAX_IDLE_S) | ((gap > OFF_DUTY_GAP_S) & needed)
    served["span"] = (gap.isna() | away).cumsum()
    spans = served.groupby(["agent", "span"]).agg(first=("answer_time", "min"), last=("end", "max")).reset_index()
    on_duty: dict[tuple[str, ...], np.ndarray] = {}
    for _, span in spans.iterrows():
        lo = int(np.floor((span["first"] - start).total_seconds() / interval))
        hi = int(np.ceil((span["last"] - start).total_seconds() / interval))
        counts = on_duty.setdefault(skills[span["agent"]], np.zeros(n_intervals, dtype=int))
        counts[max(lo, 0):min(hi, n_intervals)] += 1
    return on_duty


def waited(rows: pd.DataFrame, skills: pd.Series, since: pd.Series, until: pd.Series) -> np.ndarray:
    """For each span (``since``, ``until``; an instant when equal) of an agent with ``skills`` (a set of
    queues each): whether a contact of one of those queues was waiting at some moment inside it (at an
    instant: had arrived by it and not yet left).
    """
    left = rows["answer_time"].fillna(rows["abandon_time"])
    queued = rows[left > rows["arrival_time"]]
    found = np.zeros(len(skills), dtype=bool)
    lo, hi = since.to_numpy(), until.to_numpy()
    for q, part in queued.groupby("queue"):
        starts, ends = merged_intervals(part["arrival_time"].to_numpy(), left[part.index].to_numpy())
        before = np.where(hi > lo, np.searchsorted(starts, hi, side="left"),    # waits starting before the span
                          np.searchsorted(starts, hi, side="right"))          # ends (an instant: by it)...
        overlaps = (before > 0) & (ends[np.maximum(before - 1, 0)] > lo)   # ...the last of which ends inside it
        found |= skills.map(lambda s, q=q: q in s).to_numpy(dtype=bool) & overlaps
    return found


def merged_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals (start, end) as sorted, disjoint intervals."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    new = np.concatenate([[True], starts[1:] > ends[:-1]])
    last = np.concatenate([np.flatnonzero(new)[1:] - 1, [len(starts) - 1]])
    return starts[new], ends[last]


def fit_wrap_up(rows: pd.DataFrame, queue: str) -> WrapUpFit | None:
    """The after-call work of ``queue``'s agents, which a log does not show: for each answered call of
    ``queue``, the time from its end to the same agent's next answer, kept when a contact of a queue that
    agent handles was waiting at that end (``waited``: the agent had work and did not take it at once)
    and when at most ``WRAP_UP_MAX_S`` (longer: a pause, which the not-ready time takes); None with fewer
    than ``MIN_WRAP_UP_GAPS`` such gaps.
    """
    served = rows[rows["answer_time"].notna() & (rows["agent"] != "")].sort_values(["agent", "answer_time"])
    if served.empty:
        return None
    end = served["answer_time"] + pd.to_timedelta(served["handle_s"], unit="s")
    gap = (served.groupby("agent")["answer_time"].shift(-1) - end).dt.total_seconds().to_numpy()
    skills = served.groupby("agent")["queue"].agg(frozenset)
    waiting = waited(rows, served["agent"].map(skills), end, end)
    kept = (served["queue"] == queue).to_numpy() & ~np.isnan(gap) & waiting & (gap <= WRAP_UP_MAX_S)
    if kept.sum() < MIN_WRAP_UP_GAPS:
        return None
    return WrapUpFit(np.maximum(gap[kept], 0.0))
