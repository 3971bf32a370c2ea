"""Interval reports: what call platforms and chat workbenches export instead of one row per contact.

One row per queue and interval: ``queue``, ``interval_start``, ``offered``, and where the report has them
``channel``, ``answered``, ``abandoned``, ``answered_within`` (answered within the report's threshold),
``asa_s`` (mean wait of the answered), ``aht_s`` (mean handle time), ``abandon_wait_s`` (mean wait of
those who abandoned), ``agents`` (agents logged in on the queue, on average over the interval) and the
agents' state times on the queue in the interval (agent-seconds): ``logged_in_s``, ``not_ready_s``,
``after_call_s``. Column names are read in English or as Chinese platforms write them (``ALIASES``);
``--map`` renames others.

What a report can show is fitted (``fit_report_queue``) with the contact logs' own estimators wherever they
apply to counts; what it cannot show is named, with the value used instead (``Report.notes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.fit import (
    HandleFit,
    PatienceFit,
    QueueFit,
    daily_counts,
    gamma_cv,
    intraday_profile,
    volume_and_weekdays,
    weekday_profiles,
)
from calibration.logs import LOGGED, Log, LogError, local_times, queue_names, read_table, renamed, text_column
from sim.channels import CHANNELS
from sim.scenario.staff import MAX_NOT_READY
from sim.staffing.formulas import ErlangA, ErlangC, erlang_a_agents

COLUMNS = ("queue", "channel", "interval_start", "offered", "answered", "abandoned", "answered_within", "asa_s",
           "aht_s", "abandon_wait_s", "agents", "logged_in_s", "not_ready_s", "after_call_s")
REQUIRED = ("queue", "interval_start", "offered")
COUNTS = ("offered", "answered", "abandoned", "answered_within", "agents", "logged_in_s", "not_ready_s",
          "after_call_s")
MEANS = ("asa_s", "aht_s", "abandon_wait_s")
DEFAULT_CHANNEL = next(name for name, c in CHANNELS.items() if c.in_logs and c.exclusive)   # calls
ALIASES = {     # a report's header (stripped, lower case) -> ours
    "队列": "queue", "队列名称": "queue", "技能组": "queue", "技能队列": "queue", "skill": "queue", "split": "queue",
    "渠道": "channel", "媒体类型": "channel",
    "时间段": "interval_start", "开始时间": "interval_start", "时段开始": "interval_start",
    "统计时间": "interval_start",
    "interval": "interval_start", "period_start": "interval_start", "start": "interval_start",
    "呼入量": "offered", "进线量": "offered", "来电量": "offered", "咨询人数": "offered", "呼入数": "offered",
    "calls_offered": "offered", "contacts_offered": "offered", "volume": "offered",
    "接通量": "answered", "应答量": "answered", "接待人数": "answered", "接通数": "answered",
    "calls_answered": "answered", "handled": "answered",
    "放弃量": "abandoned", "呼损量": "abandoned", "放弃数": "abandoned", "calls_abandoned": "abandoned",
    "及时接通量": "answered_within", "服务水平内接通量": "answered_within", "及时应答量": "answered_within",
    "answered_in_sl": "answered_within", "answered_within_threshold": "answered_within",
    "平均应答时长": "asa_s", "平均等待时长": "asa_s", "平均排队时长": "asa_s", "asa": "asa_s",
    "average_speed_of_answer": "asa_s",
    "平均处理时长": "aht_s", "aht": "aht_s", "average_handle_time": "aht_s",
    "平均放弃时长": "abandon_wait_s", "平均放弃等待时长": "abandon_wait_s", "average_abandon_time": "abandon_wait_s",
    "在线人数": "agents", "坐席数": "agents", "登录坐席数": "agents", "agents_logged_in": "agents",
    "登录时长": "logged_in_s", "在线时长": "logged_in_s", "logged_in_time": "logged_in_s", "staff_time": "logged_in_s",
    "示忙时长": "not_ready_s", "小休时长": "not_ready_s", "未就绪时长": "not_ready_s", "aux_time": "not_ready_s",
    "not_ready_time": "not_ready_s",
    "话后处理时长": "after_call_s", "事后处理时长": "after_call_s", "acw_time": "after_call_s",
    "after_call_time": "after_call_s",
}


@dataclass
class Report(Log):
    """An interval report's valid rows (one per queue and interval: ``start`` and the ``COLUMNS``' values,
    NaN where the report has none, with a ``line`` column), its interval (s), the bad rows and the notes.
    """

    interval: float = 900.0

    def described(self) -> str:
        """What was read, for the scenario file's first line."""
        return (f"{int(self.rows['offered'].sum()):,} contacts in {len(self.rows):,} interval rows of "
                f"{self.interval / 60:g} min")


def read_report(path, mapping: dict[str, str] | None = None, queues: list[str] | None = None) -> Report:
    """Read an interval report (CSV or other delimited text, Parquet, or an Excel workbook's first sheet),
    its columns named as ``ALIASES`` knows them or renamed by ``mapping`` (their name: ours); rows that
    break the format are kept out and listed by line, never silently dropped.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            raw, first_line = pd.read_excel(path, dtype=str, keep_default_na=False), 2
        except (OSError, ValueError) as exc:
            raise LogError(f"{path}: cannot read the report: {str(exc).strip() or type(exc).__name__}") from None
    else:
        raw, first_line = read_table(path, what="the report")
    known = {c: ALIASES[str(c).strip().lower()] for c in raw.columns
             if str(c).strip().lower() in ALIASES and ALIASES[str(c).strip().lower()] not in raw.columns}
    raw = renamed(raw.rename(columns=known), mapping, REQUIRED, path)
    notes = [f"{path}: column {theirs!r} read as {ours}" for theirs, ours in known.items()]
    rows = pd.DataFrame({"line": np.arange(len(raw)) + first_line})
    bad: dict[str, np.ndarray] = {}
    text, empty = text_column(raw, "interval_start")
    times, zones = local_times({"interval_start": text.where(~empty)})
    notes += zones
    rows["start"] = times["interval_start"].to_numpy()
    bad["an unreadable interval_start"] = rows["start"].isna().to_numpy()
    for column in COUNTS + MEANS:
        text, empty = text_column(raw, column)
        values = pd.to_numeric(text.where(~empty), errors="coerce")
        bad[f"an unreadable {column}"] = (~empty & values.isna()).to_numpy()
        bad[f"a negative {column}"] = (values < 0).to_numpy()
        rows[column] = values.to_numpy(dtype=float)
    bad["no offered"] = rows["offered"].isna().to_numpy() & ~bad["an unreadable offered"]
    rows["queue"] = text_column(raw, "queue")[0].to_numpy()
    bad["an empty queue"] = (rows["queue"] == "").to_numpy()
    if queues is not None:
        bad["an unknown queue"] = ~rows["queue"].isin(queues).to_numpy() & ~bad["an empty queue"]
    if "channel" in raw.columns:
        rows["channel"] = text_column(raw, "channel")[0].str.lower().to_numpy()
        bad[f"a channel other than {' or '.join(LOGGED)}"] = ~rows["channel"].isin(LOGGED).to_numpy()
    else:
        rows["channel"] = DEFAULT_CHANNEL
        notes.append(f"{path}: no channel column; every queue read as {DEFAULT_CHANNEL}s")
    bad["a repeated queue and interval_start"] = (rows.duplicated(["queue", "start"], keep="first")
                                                  & rows["start"].notna()).to_numpy()
    any_bad = np.logical_or.reduce(list(bad.values()))
    lines = rows["line"].to_numpy()
    valid = rows[~any_bad].sort_values(["start", "queue"], kind="stable").reset_index(drop=True)
    valid["queue"], changed = queue_names(valid["queue"])
    report = Report(str(path), valid, {kind: lines[flags].tolist() for kind, flags in bad.items() if flags.any()},
                    notes + changed)
    if valid.empty:
        raise LogError(f"{path}: no valid rows in the report; rows left out: {report.left_out()}")
    report.interval = report_interval(valid["start"], path)
    return report


def report_interval(starts: pd.Series, path) -> float:
    """The report's interval (s): the most common step between consecutive interval starts, a divisor of a day."""
    steps = pd.Series(np.diff(np.sort(starts.unique()))).dt.total_seconds()
    steps = steps[steps > 0]
    if steps.empty:
        raise LogError(f"{path}: one interval_start only; a report needs several intervals")
    step = float(steps.mode().iloc[0])
    if step < 60 or 86400 % step:
        raise LogError(f"{path}: interval starts {step:g} s apart, which does not divide a day into whole intervals")
    return step


def aggregate(rows: pd.DataFrame, interval: float, within: dict[str, float]) -> pd.DataFrame:
    """A contact log's valid rows (``calibration.logs.Log.rows``) as an interval report: per queue and
    interval of ``interval`` s over the log's days (quiet ones included), counts by arrival interval,
    ``answered_within`` ``within[queue]`` seconds, and the means of waits and handle times (empty where
    there is nothing to average).
    """
    wait = (rows["answer_time"].fillna(rows["abandon_time"]) - rows["arrival_time"]).dt.total_seconds()
    threshold = rows["queue"].map(within).astype(float)
    frame = pd.DataFrame({
        "queue": rows["queue"], "channel": rows["channel"],
        "interval_start": rows["arrival_time"].dt.floor(pd.Timedelta(seconds=interval)),
        "offered": 1, "answered": rows["answer_time"].notna().astype(int),
        "abandoned": rows["abandon_time"].notna().astype(int),
        "answered_within": (rows["answer_time"].notna() & (wait <= threshold)).astype(int),
        "asa_s": wait.where(rows["answer_time"].notna()), "aht_s": rows["handle_s"].where(rows["answer_time"].notna()),
        "abandon_wait_s": wait.where(rows["abandon_time"].notna())})
    report = frame.groupby(["queue", "channel", "interval_start"]).agg(
        offered=("offered", "sum"), answered=("answered", "sum"), abandoned=("abandoned", "sum"),
        answered_within=("answered_within", "sum"), asa_s=("asa_s", "mean"), aht_s=("aht_s", "mean"),
        abandon_wait_s=("abandon_wait_s", "mean"))
    first = rows["arrival_time"].min().normalize()
    starts = pd.date_range(first, rows["arrival_time"].max().normalize() + pd.Timedelta(days=1),
                           freq=pd.Timedelta(seconds=interval), inclusive="left")
    every = pd.MultiIndex.from_tuples([(q, c, t) for q, c in report.index.droplevel(2).unique() for t in starts],
                                      names=report.index.names)     # a platform lists its quiet intervals too
    report = report.reindex(every)
    counts = ["offered", "answered", "abandoned", "answered_within"]
    report[counts] = report[counts].fillna(0).astype(int)
    return report.reset_index().sort_values(["interval_start", "queue"], kind="stable").reset_index(drop=True)


def pseudo_arrivals(rows: pd.DataFrame, interval: float) -> pd.Series:
    """Each interval's offered contacts as arrival times spread evenly over it (the report does not say
    when in the interval they came), for the contact logs' volume and profile estimators.
    """
    n = np.round(rows["offered"].to_numpy()).astype(np.int64)
    first = np.repeat(rows["start"].to_numpy(), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return pd.Series(first + pd.to_timedelta((k + 0.5) / np.repeat(np.maximum(n, 1), n) * interval, unit="s"))


def fit_report_queue(report: Report, queue: str, interval: float,
                     outages: list[pd.Timestamp] = ()) -> tuple[QueueFit, list[str]]:
    """What ``report`` shows of ``queue``, and notes naming what it cannot show and the value used instead.

    Volume, weekday factors, trend, day-to-day cv and profiles: as for a contact log, from the offered
    counts (``pseudo_arrivals``), ``outages`` (days) left out of the daily counts; retrials count as
    contacts (a report cannot tell them apart). Handle time: the answered-weighted mean of ``aht_s``, exponential (a
    report gives no spread). Patience: exponential, mean = the customers' total waiting time over the
    abandonments (the maximum-likelihood estimate for exponential patience, as for a log), the total
    waiting time being answered x ``asa_s`` plus abandoned x ``abandon_wait_s`` per interval.
    """
    rows, notes = report.rows[report.rows["queue"] == queue], []
    channel = rows["channel"].mode().iloc[0]
    arrivals = pseudo_arrivals(rows, report.interval)
    first_day = report.rows["start"].min().normalize()
    days = int((report.rows["start"].max().normalize() - first_day).days) + 1
    counts = daily_counts(arrivals, first_day, days).drop(list(outages), errors="ignore")
    volume, weekdays, trend = volume_and_weekdays(counts)
    profile, by_weekday = intraday_profile(arrivals, interval)
    if interval < report.interval:
        notes.append(f"{queue}: the report's {report.interval / 60:g}-min counts spread evenly over the "
                     f"{interval / 60:g}-min intervals of the scenario")
    answered = rows["answered"].fillna(0.0)
    timed = rows["aht_s"].notna() & (answered > 0)
    handle = None
    if timed.any():
        mean = float(np.average(rows.loc[timed, "aht_s"], weights=answered[timed]))
        handle = HandleFit("exponential", mean, 1.0, pd.DataFrame([{
            "dist": "exponential", "mean": mean, "cv": 1.0, "log_likelihood": np.nan, "aic": np.nan, "ks": np.nan}]),
            np.zeros(0))
        notes.append(f"{queue}: handle time exponential (cv 1): an interval report has the mean ({mean:.0f} s), "
                     "not the spread")
    else:
        notes.append(f"{queue}: no aht_s; handle time to be given")
    return QueueFit(queue, channel, int(rows["offered"].sum()), counts, volume, weekdays, gamma_cv(counts), profile,
                    by_weekday, weekday_profiles(arrivals, interval, days), handle,
                    _patience(rows, queue, notes), 1, wrap_up=_wrap_up(rows, queue, notes),
                    trend=trend), notes + _chat_note(channel, queue)


@dataclass
class MeanWrapUp:
    """After-call work as a report shows it: the mean (s) only, exponential in the scenario."""

    mean: float
    gaps: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def spec(self) -> dict:
        return {"dist": "exponential", "mean": round(self.mean, 3)}


def _wrap_up(rows: pd.DataFrame, queue: str, notes: list[str]) -> MeanWrapUp | None:
    """After-call work per answered contact, from ``after_call_s`` (None without it, or without any)."""
    known = rows["after_call_s"].notna() & rows["answered"].notna()
    answered = float(rows.loc[known, "answered"].sum())
    if not answered or not rows.loc[known, "after_call_s"].sum():
        return None
    mean = float(rows.loc[known, "after_call_s"].sum()) / answered
    notes.append(f"{queue}: after-call work exponential, mean {mean:.0f} s (after_call_s over answered)")
    return MeanWrapUp(mean)


def not_ready(rows: pd.DataFrame) -> tuple[float, ...] | None:
    """The share of logged-in time not ready, by hour of the day (from 00:00), where the report has both
    ``not_ready_s`` and ``logged_in_s``; None without them. Hours without logged-in time get the mean.
    """
    known = rows["not_ready_s"].notna() & rows["logged_in_s"].notna()
    if not known.any() or not rows.loc[known, "logged_in_s"].sum():
        return None
    part = rows[known]
    by_hour = part.groupby(part["start"].dt.hour)[["not_ready_s", "logged_in_s"]].sum().reindex(range(24))
    mean = part["not_ready_s"].sum() / part["logged_in_s"].sum()
    share = (by_hour["not_ready_s"] / by_hour["logged_in_s"].where(by_hour["logged_in_s"] > 0)).fillna(mean)
    return tuple(round(float(min(v, MAX_NOT_READY)), 4) for v in share)


def _patience(rows: pd.DataFrame, queue: str, notes: list[str]) -> PatienceFit:
    """Exponential patience from the waiting time and the abandonments (``fit_report_queue``)."""
    abandoned, answered = rows["abandoned"].fillna(0.0), rows["answered"].fillna(0.0)
    total = float(abandoned.sum())
    empty_km = pd.DataFrame(columns=["wait_s", "survival"])
    if total == 0 or rows["asa_s"].isna().all():
        notes.append(f"{queue}: " + ("nobody abandoned" if total == 0 else "no asa_s: the waiting time is unknown")
                     + "; no patience")
        return PatienceFit(None, int(total), 0.0, np.nan, empty_km)
    asa = rows["asa_s"].fillna(0.0)
    if rows["abandon_wait_s"].notna().any():
        abandon_wait = rows["abandon_wait_s"].fillna(asa)
    else:
        abandon_wait = asa
        notes.append(f"{queue}: no abandon_wait_s; those who abandoned are taken to have waited as long as the "
                     "answered did in the same interval (asa_s)")
    per_interval = answered * asa + abandoned * abandon_wait
    waited = float(per_interval.sum())
    mean = waited / total
    naive = float((abandoned * abandon_wait).sum() / total)
    return PatienceFit(mean, int(total), waited, naive, empty_km, exponential_mean=mean,
                       by_wait=_by_wait(rows["offered"], abandoned, per_interval))


def _by_wait(offered: pd.Series, abandoned: pd.Series, waited: pd.Series) -> pd.DataFrame:
    """The intervals in deciles of their mean wait (all customers): mean wait, share abandoned, offered."""
    seen = offered > 0
    wait = waited[seen] / offered[seen]
    decile = pd.qcut(wait.rank(method="first"), min(10, int(seen.sum())), labels=False)
    grouped = pd.DataFrame({"waited": waited[seen], "abandoned": abandoned[seen], "offered": offered[seen]}
                           ).groupby(decile.to_numpy())
    sums = grouped.sum()
    return pd.DataFrame({"mean_wait_s": sums["waited"] / sums["offered"],
                         "abandon_share": sums["abandoned"] / sums["offered"], "offered": sums["offered"]}
                        ).reset_index(drop=True)


def _chat_note(channel: str, queue: str) -> list[str]:
    return ([f"{queue}: chat concurrency is not in a call-style report; 1 chat per agent until given"]
            if not CHANNELS[channel].exclusive else [])


def effective_agents(rows: pd.DataFrame, fit: QueueFit, interval: float,
                     within: float) -> tuple[np.ndarray, str] | None:
    """Agents on duty per report row, and how they were found: ``agents`` where the report has it, else
    ``logged_in_s`` over the interval, else the number with which Erlang A (the fitted handle time and
    patience; Erlang C without patience) comes closest to the interval's service level (``answered_within``
    over ``offered``, taken between 0.01 and 0.99): agents available to answer, not those logged in. None
    when the report has none of these.
    """
    if rows["agents"].notna().any():
        return np.round(rows["agents"].fillna(0.0).to_numpy()).astype(int), "the agents the report gives"
    if rows["logged_in_s"].notna().any():
        return (np.round(rows["logged_in_s"].fillna(0.0).to_numpy() / interval).astype(int),
                "the agents' logged-in time over the interval")
    if rows["answered_within"].isna().all() or fit.handle is None:
        return None
    aht, patience = fit.handle.mean, fit.patience.mean
    found: dict[tuple[float, float], int] = {}          # intervals with the same counts need the same agents
    pairs = list(zip(rows["offered"].to_numpy(), rows["answered_within"].fillna(0.0).to_numpy()))
    for offered, within_count in pairs:
        if (offered, within_count) in found or offered <= 0:
            continue
        rate, level = offered / interval, min(max(within_count / offered, 0.01), 0.99)
        more = erlang_a_agents(rate, aht, patience, within, level)        # the fewest reaching it
        fewer = _service_level(rate, aht, patience, more - 1, within) if more > 1 else -np.inf
        reached = _service_level(rate, aht, patience, more, within)
        found[(offered, within_count)] = more - 1 if level - fewer < reached - level else more
    how = ("the number with which Erlang A (its handle time and patience) comes closest to each interval's service "
           f"level (answered within {within:g} s over offered, within 0.01-0.99): agents available to answer, not "
           "necessarily logged in")
    return np.array([found.get(pair, 0) for pair in pairs], dtype=int), how


def _service_level(rate: float, aht: float, patience: float | None, agents: int, within: float) -> float:
    """Erlang A's service level (Erlang C's without patience; 0 where that queue is unstable)."""
    if patience is not None:
        return ErlangA(rate, aht, agents, patience).service_level(within)
    return ErlangC(rate, aht, agents).service_level(within) if agents > rate * aht else 0.0
