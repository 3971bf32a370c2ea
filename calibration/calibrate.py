"""A scenario from a contact log: every queue's fitted parameters, and agents as the log shows them.

Agents are grouped by the set of queues they handled (their skills, the busiest first). An agent counts
as on duty each day from its first answer to the end of its last contact; the number on duty per
interval becomes the group's shifts. Service-level targets are not in a log: calls get 80% within 20 s
and chats 80% within 30 s, to be edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import sim
from calibration.availability import EPISODE_S, AvailabilityFit, fit_availability
from calibration.conversations import (
    IDLE_TIMEOUT_S,
    MIN_REPLIES,
    ConversationFit,
    contact_rows,
    fit_conversations,
)
from calibration.duty import agents_on_duty
from calibration.exports import ImportProfile
from calibration.fit import (
    FORECAST_DAYS,
    QueueFit,
    fit_queue,
    outage_days,
)
from calibration.logs import CLOCK_TOLERANCE_S, Log, read_log
from calibration.orders import OrdersFile, SourceFit, fit_from_counts, fit_sources, read_orders, sales_plan
from calibration.reports import (
    Report,
    effective_agents,
    fit_report_queue,
    not_ready,
    pseudo_arrivals,
    read_report,
)
from calibration.retrials import MAX_RETRIAL_PROBABILITY, MIN_RETRIAL_CALLERS
from sim.channels import CHANNELS, keys_of
from sim.outputs import write_csv
from sim.scenario import MAX_HORIZON, safe_name
from sim.staffing.roster import requirement_shifts

PLACEHOLDER_HANDLE_S = 300.0   # handle time written when a queue has no answered contacts


@dataclass
class Calibration:
    """A log's fits (``fits``, by queue), the ``scenario`` built from them (plain data) and the log itself;
    with a message log, its chat queues' ``conversations``.
    """

    log: Log
    fits: dict[str, QueueFit]
    scenario: dict
    availability: AvailabilityFit | None = None
    messages: Log | None = None
    conversations: dict[str, ConversationFit] = field(default_factory=dict)
    sources: dict[str, list[SourceFit]] = field(default_factory=dict)     # contacts that follow orders

    def fit_availability(self, replications: int = 5, workers: int | None = None) -> AvailabilityFit:
        """Estimate the agents' not-ready time from the log's own waits (``calibration.availability``) and
        put it in the scenario's groups.
        """
        self.availability = fit = fit_availability(self.scenario, self.log, replications, workers=workers)
        for group in self.scenario["groups"].values():
            group.pop("not_ready", None)
            if fit.spec() is not None:
                group["not_ready"] = fit.spec()
        return fit

    @property
    def notes(self) -> list[str]:
        """How the log was read, what it could not tell and what was assumed instead (also in the scenario
        file).
        """
        out = list(self.log.notes)
        if self.separate_messages:
            out += self.messages.notes
        for q, f in self.conversations.items():
            if q not in self.scenario["queues"]:
                out.append(f"{q}: in the message log but not in the contact log; its conversations are not used")
                continue
            if not f.replies_clean:
                out.append(f"{q}: fewer than {MIN_REPLIES} replies to messages that came while their agent had "
                           "nothing else to answer; the reply work is every later round's response (an upper bound)")
            if f.patience_mean is None:
                out.append(f"{q}: conversations do not end more often after slow replies (likelihood-ratio "
                           f"{f.patience_lr:.1f}); no silent abandonment")
        if any(f.patience_mean is not None for f in self.conversations.values()):
            timeout = next(iter(self.conversations.values())).idle_timeout
            out.append(f"conversations: a chat whose customer left unseen holds its slot {timeout:g} s (the platform's "
                       "idle timeout is not in a message log: --idle-timeout)")
        if self.availability is not None:
            out.append(self.availability.note())
        for q, found in self.sources.items():
            for f in found:
                how = (f"{f.linked:,} linked contacts, corrected for the orders whose contacts fall outside the log"
                       if f.linked else "no order ids: fitted to how the counts follow the orders, beside own "
                       "arrivals of one daily volume in the queue's profile, no weekday factors or day-to-day cv")
                out.append(f"{q}: {f.rate:.3g} contacts per order {'after' if f.direction == 'lag' else 'before'} it "
                           f"(a {f.direction} of {f.mean / 3600:,.1f} h on average, cv {f.cv:.2f}; {how})")
        for q, f in self.fits.items():
            if f.outliers:
                shown = ", ".join(map(str, f.outliers[:10])) + (f", ... ({len(f.outliers) - 10} more)"
                                                                 if len(f.outliers) > 10 else "")
                out.append(f"{q}: {len(f.outliers)} wait(s) over an hour and ten times the queue's 99th percentile "
                           f"left out of the patience fit (stuck records?): line(s) {shown}")
            if f.trend:
                weekly = (1 + f.trend) ** 7 - 1
                way = "falls" if weekly < 0 else "rises"
                out.append(f"{q}: the daily volume {way} by {abs(weekly):.0%} a week over the log (recent weeks "
                           f"weighted most; significant); its daily volume is the forecast for the {FORECAST_DAYS} "
                           "days after the log")
            if f.handle is None:
                out.append(f"{q}: no answered contact with a positive handle_s; handle time set to an "
                           f"exponential of {PLACEHOLDER_HANDLE_S:g} s, to be replaced")
            if f.patience.mean is None and not f.patience.abandoned:
                out.append(f"{q}: nobody abandoned; no patience (nobody ever leaves)")
            if not any(q in group["skills"] for name, group in self.scenario["groups"].items()
                       if group.get("headcount") != 0):
                out.append(f"{q}: no agent answered it in the log; its group has no agents")
            if f.retrial is not None and f.retrial.probability >= MAX_RETRIAL_PROBABILITY:
                out.append(f"{q}: every identified caller who abandoned called again; retrial probability kept "
                           f"at {MAX_RETRIAL_PROBABILITY:g}")
            elif f.retrials and f.retrial is None:
                out.append(f"{q}: too few identified callers abandoned (under {MIN_RETRIAL_CALLERS}) to estimate "
                           f"retrials; none in the scenario")
        return out

    def parameters(self) -> pd.DataFrame:
        """One row per queue: the fitted values."""
        return pd.DataFrame([{
            "queue": f.queue, "channel": f.channel, "contacts": f.contacts, "days": len(f.daily_counts),
            "daily_volume": f.daily_volume, "trend_per_week": (1 + f.trend) ** 7 - 1, "day_to_day_cv": f.day_to_day_cv,
            "handle_dist": f.handle.dist if f.handle else "", "handle_mean_s": f.handle.mean if f.handle else np.nan,
            "handle_cv": f.handle.cv if f.handle else np.nan, "patience_mean_s": f.patience.mean,
            "naive_patience_mean_s": f.patience.naive_mean, "abandoned": f.patience.abandoned,
            "concurrency": f.concurrency, "retrials": f.retrials,
            "retrial_probability": f.retrial.probability if f.retrial else np.nan,
            "retrial_delay_s": f.retrial.delay if f.retrial else np.nan,
            "wrap_up_mean_s": f.wrap_up.mean if f.wrap_up else np.nan,
            "wrap_up_gaps": len(f.wrap_up.gaps) if f.wrap_up else 0} for f in self.fits.values()])

    @property
    def separate_messages(self) -> bool:
        """A message log was given beside the contact log (not read as the contacts)."""
        return self.messages is not None and self.messages.path != self.log.path

    def problems(self) -> list[str]:
        """The bad rows of the log(s), one line per kind."""
        return self.log.problems() + (self.messages.problems() if self.separate_messages else [])

    def conversation_table(self) -> pd.DataFrame:
        """One row per conversation queue: what the message log shows, and the fitted values."""
        return pd.DataFrame([f.measured() for f in self.conversations.values()])

    def save(self, scenario_path: str | Path, report_dir: str | Path | None = None, plots: bool = True) -> Path:
        """Write the scenario YAML and, in ``report_dir`` (default: beside it, ``<name>_fit/``), the fit report."""
        scenario_path = Path(scenario_path)
        scenario_path.parent.mkdir(parents=True, exist_ok=True)
        with open(scenario_path, "w", encoding="utf-8") as f:
            f.write(f"# calibrated from {self.log.path}: {self.log.described()}, "
                    f"{self.log.bad_count:,} bad rows left out (see the fit report)\n")
            for note in self.notes:
                f.write(f"# {note}\n")
            yaml.safe_dump(self.scenario, f, allow_unicode=True, sort_keys=False)
        report = Path(report_dir) if report_dir else scenario_path.with_name(f"{scenario_path.stem}_fit")
        report.mkdir(parents=True, exist_ok=True)
        write_csv(self.parameters(), report / "parameters.csv")
        write_csv(_stacked([f.handle.table.assign(queue=q) for q, f in self.fits.items() if f.handle],
                           ["dist", "mean", "cv", "log_likelihood", "aic", "ks", "queue"]),
                  report / "handle_time_fits.csv")
        write_csv(_stacked([f.patience.km.assign(queue=q) for q, f in self.fits.items()],
                           ["wait_s", "survival", "queue"]), report / "patience_kaplan_meier.csv")
        by_wait = [f.patience.by_wait.assign(queue=q) for q, f in self.fits.items() if f.patience.by_wait is not None]
        if by_wait:
            write_csv(pd.concat(by_wait, ignore_index=True), report / "patience_by_wait.csv")
        for log, file in ((self.log, "bad_rows.csv"), (self.messages if self.separate_messages else None,
                                                        "message_bad_rows.csv")):
            if log is not None:
                write_csv(pd.DataFrame([{"problem": kind, "rows": len(lines), "lines": " ".join(map(str, lines))}
                                        for kind, lines in log.bad.items()], columns=["problem", "rows", "lines"]),
                          report / file)
        if self.conversations:
            write_csv(self.conversation_table(), report / "conversations.csv")
            write_csv(_stacked([f.slowdown_table.assign(queue=q) for q, f in self.conversations.items()],
                               ["open", "replies", "mean_s", "ratio", "ratio_se", "queue"]),
                      report / "conversation_slowdown.csv")
        if self.sources:
            write_csv(_stacked([pd.DataFrame([vars(f) for f in found]) for found in self.sources.values() if found],
                               ["queue", "direction", "rate", "mean", "cv", "linked"]), report / "from_orders.csv")
        if self.availability is not None:
            write_csv(self.availability.table, report / "availability.csv")
            write_csv(self.availability.days, report / "availability_days.csv")
        if plots:
            from calibration import report as plots_module
            plots_module.fit_plots(self, report)
        return report


def _stacked(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The parts one under the other; with the given columns and no rows when there are none."""
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def span(path: str, times: pd.Series) -> tuple[pd.Timestamp, int]:
    """The first day and the number of calendar days ``times`` (a log's or a report's) cover."""
    start = times.min().normalize()
    days = int((times.max().normalize() - start).days) + 1
    if days * 86400 > MAX_HORIZON:
        raise ValueError(f"{path}: the log spans {days:,} days, more than a scenario's {MAX_HORIZON / 86400:,.0f}; "
                         "calibrate a part of it")
    return start, days


def build_scenario(path: str, start: pd.Timestamp, days: int, fits: dict[str, QueueFit], name: str, interval: float,
                   on_duty: dict[tuple[str, ...], np.ndarray], conversations: dict[str, ConversationFit] | None = None,
                   sources: dict[str, list[SourceFit]] | None = None, orders: OrdersFile | None = None,
                   within: dict[str, float] | None = None) -> dict:
    """The scenario calibrated from ``path`` as plain data (loadable by ``sim.load_scenario``), over ``days``
    from ``start``, with a group per set of skills in ``on_duty`` (agents per interval); chat queues with a
    fit in ``conversations`` are conversations; queues with ``sources`` take contacts from the ``orders``'
    plan; ``within[queue]``: its service level's threshold (s; default the channel's usual).
    """
    conversations, sources, within = conversations or {}, sources or {}, within or {}
    queues = {}
    for q, f in fits.items():
        arrivals = {"daily_volume": round(f.daily_volume, 3), "profile": [round(float(w), 6) for w in f.profile],
                    "weekday_factors": list(f.weekday_factors), "day_to_day_cv": round(f.day_to_day_cv, 4)}
        if f.weekday_profiles:
            arrivals["weekday_profiles"] = {day: [round(float(w), 6) for w in shares]
                                            for day, shares in f.weekday_profiles.items()}
        spec = {"channel": f.channel, "arrivals": arrivals,
                "handle_time": f.handle.spec() if f.handle else {"dist": "exponential", "mean": PLACEHOLDER_HANDLE_S},
                "sla": {"answer_within": within.get(q, CHANNELS[f.channel].usual_answer_within), "target": 0.8}}
        if sources.get(q):
            spec["from_orders"] = [source.spec() for source in sources[q]]
            if f.daily_volume == 0:
                del spec["arrivals"]
        if f.patience.mean is not None:
            spec["patience"] = f.patience.spec()
        if f.wrap_up is not None:
            spec["wrap_up"] = f.wrap_up.spec()
        if q in conversations and CHANNELS[f.channel].conversations:
            spec["conversation"] = conversations[q].spec()
        if f.retrial is not None and f.retrial.probability > 0:
            spec["retrial"] = {"probability": round(f.retrial.probability, 4),
                               "delay": {"dist": "exponential", "mean": round(f.retrial.delay, 3)}}
        queues[q] = spec
    data = {"name": name, "start": start.isoformat(), "horizon": f"{days}d", "interval": interval, "seed": 1,
            "queues": queues, "groups": {"placeholder": {"skills": list(queues), "headcount": 0}}}
    if any(sources.values()):
        data["orders"] = sales_plan(orders, interval)
    label = f"the scenario calibrated from {path}"
    frame = sim.load_scenario(data, label=label)
    groups = {}
    for skills, counts in on_duty.items():
        chats = [fits[q].concurrency for q in skills if not CHANNELS[fits[q].channel].exclusive]
        rows = requirement_shifts(frame, counts)
        groups[_group_name(skills, groups)] = {"skills": list(skills), "concurrency": max(chats, default=1),
                                               **({"shifts": rows} if rows else {"headcount": 0})}
    for q in queues:                           # a queue nobody answered still needs a group to be valid
        if not any(q in skills for skills in on_duty):
            groups[_group_name((q,), groups)] = {"skills": [q], "headcount": 0}
    data["groups"] = groups
    sim.load_scenario(data, label=label)       # what is written must load
    return data


def _group_name(skills: tuple[str, ...], taken: dict) -> str:
    """'agents_<busiest queue>' (plus '_and_<n>_more' for more skills), numbered if already taken."""
    base = f"agents_{skills[0]}"[:60] + (f"_and_{len(skills) - 1}_more" if len(skills) > 1 else "")
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def calibrate(log: str | Path | Log | None, interval: float = 900.0, name: str | None = None,
              mapping: dict[str, str] | None = None, queues: list[str] | None = None,
              clock_tolerance: float = CLOCK_TOLERANCE_S, profile: ImportProfile | None = None,
              messages: Log | None = None, idle_timeout: float = IDLE_TIMEOUT_S,
              orders: str | Path | OrdersFile | None = None) -> Calibration:
    """Fit every queue of a contact log (a path, or a ``Log`` already read; ``read_log`` says what
    ``mapping``, ``queues`` and ``clock_tolerance`` do) and build its scenario. With a message log
    (``calibration.message_logs``), its chat queues are conversations fitted to it (``idle_timeout``: the
    platform's, in s); without a contact log, the contacts are the message log's conversations
    (``calibration.conversations.contact_rows``). With ``orders`` (an orders file) and a log whose contacts
    carry an ``order_id``, the orders become the scenario's sales plan and each queue's contacts that
    follow them its ``from_orders`` sources (``calibration.orders``).
    """
    if log is None:
        if messages is None:
            raise ValueError("give a contact log, a message log or both")
        log = Log(messages.path, contact_rows(messages.rows), messages.bad, messages.notes + [
            f"{messages.path}: contacts read from the messages: a chat arrives with its first customer message, is "
            "answered at the first reply and handled until its last message; one nobody answered left at its last "
            "customer message (its patience is a lower bound)"])
    elif not isinstance(log, Log):
        log = read_log(log, mapping, queues, clock_tolerance, profile)
    if log.rows.empty:
        raise ValueError(f"{log.path}: no valid rows to fit: {log.why_empty()}")
    outages = outage_days(log.rows)
    if outages:
        shown = ", ".join(str(d.date()) for d in outages)
        log.notes.append(f"{log.path}: no records at all on {shown}, while the same weekdays have calls on other "
                         "dates: taken as outages, left out of daily volumes, weekday factors and day-to-day cv")
    fits = {q: fit_queue(log.rows, q, interval, outages) for q in log.rows["queue"].unique()}
    sources: dict[str, list[SourceFit]] = {}
    if orders is not None:
        orders = orders if isinstance(orders, OrdersFile) else read_orders(orders)
        log.notes.extend(orders.notes)
        has_ids = (log.rows["order_id"] != "").any()
        for q in fits:
            sources[q], taken = fit_sources(log.rows, orders, q)
            if taken.any():                   # the queue's own arrivals: the contacts no source took
                fits[q] = _own_arrivals(log.rows, fits[q], taken, interval, outages)
            elif not has_ids:                 # no order ids: how the counts follow the orders
                found = fit_from_counts(log.rows, orders, q, fits[q].profile, interval)
                if found is not None:
                    sources[q] = [found[0]]
                    fits[q] = replace(fits[q], daily_volume=found[1], weekday_factors=(1.0,) * 7, day_to_day_cv=0.0,
                                      weekday_profiles=None, trend=0.0)
    try:
        conversations = fit_conversations(messages.rows, idle_timeout) if messages is not None else {}
    except ValueError as exc:
        left = f"; rows left out: {messages.left_out()}" if messages.bad else ""
        raise ValueError(f"{messages.path}: {exc}{left}") from None
    start, days = span(log.path, log.rows["arrival_time"])
    on_duty = agents_on_duty(log.rows, start, days * round(86400 / interval), interval)
    scenario = build_scenario(log.path, start, days, fits, safe_name(name or Path(log.path).stem), interval, on_duty,
                              conversations, sources, orders)
    return Calibration(log, fits, scenario, messages=messages, conversations=conversations, sources=sources)


def _own_arrivals(rows: pd.DataFrame, fit: QueueFit, taken: np.ndarray, interval: float,
                  outages: list[pd.Timestamp]) -> QueueFit:
    """``fit`` with its arrivals (volume, weekdays, day-to-day cv, profiles) refitted on the queue's
    contacts that no order-driven source took; a daily volume of 0 when a source took them all.
    """
    mine = rows.index[rows["queue"] == fit.queue]
    rest = rows.drop(mine[taken])
    if not (rest["queue"] == fit.queue).any():
        return replace(fit, daily_volume=0.0, day_to_day_cv=0.0)
    own = fit_queue(rest, fit.queue, interval, outages)
    return replace(fit, daily_counts=own.daily_counts, daily_volume=own.daily_volume,
                   weekday_factors=own.weekday_factors, day_to_day_cv=own.day_to_day_cv, profile=own.profile,
                   profile_by_weekday=own.profile_by_weekday, weekday_profiles=own.weekday_profiles, trend=own.trend)


def calibrate_report(report: str | Path | Report, interval: float | None = None, name: str | None = None,
                     mapping: dict[str, str] | None = None, queues: list[str] | None = None,
                     within: float | None = None) -> Calibration:
    """Fit every queue of an interval report (``calibration.reports``; a path or a ``Report`` already read)
    and build its scenario, in intervals of ``interval`` s (default: the report's; one must divide the
    other). ``within``: the report's service-level threshold (s; default the channel's usual 20 s for
    calls, 30 s for chats). Agents: each queue its own group, on duty as the report's ``agents`` say, or as
    Erlang A needs to reach each interval's service level (``calibration.reports.effective_agents``).
    """
    report = report if isinstance(report, Report) else read_report(report, mapping, queues)
    interval = interval or report.interval
    if max(interval, report.interval) % min(interval, report.interval):
        raise ValueError(f"{report.path}: the report's intervals are {report.interval / 60:g} min; the scenario's "
                         f"({interval / 60:g} min) must divide them or be a multiple of them")
    channel = report.rows.groupby("queue", sort=False)["channel"].agg(lambda c: c.mode().iloc[0])
    thresholds = {q: within if within is not None else CHANNELS[c].usual_answer_within for q, c in channel.items()}
    outages = outage_days(pd.DataFrame({"arrival_time": pseudo_arrivals(report.rows, report.interval)}))
    if outages:
        report.notes.append(f"{report.path}: no contact at all on {', '.join(str(d.date()) for d in outages)}, while "
                            "the same weekdays have some on other dates: taken as outages, left out of daily volumes, "
                            "weekday factors and day-to-day cv")
    fits = {}
    for q in channel.index:
        fits[q], said = fit_report_queue(report, q, interval, outages)
        if "retrial" in keys_of(channel[q]):
            report.notes.append(f"{q}: retrials are in the volume (a report cannot tell them from first attempts)")
        report.notes.extend(said)
    start, days = span(report.path, report.rows["start"])
    on_duty = {}
    for q, f in fits.items():
        rows = report.rows[report.rows["queue"] == q]
        found = effective_agents(rows, f, report.interval, thresholds[q])
        if found is None:
            report.notes.append(f"{q}: the report has neither agents, logged_in_s nor answered_within; its group has "
                                "no agents (give its shifts)")
            continue
        per_row = np.zeros(days * round(86400 / report.interval))
        per_row[((rows["start"] - start).dt.total_seconds() // report.interval).astype(int)] = found[0]
        on_duty[(q,)] = (np.repeat(per_row, round(report.interval / interval)) if interval <= report.interval
                         else np.ceil(per_row.reshape(-1, round(interval / report.interval)).mean(axis=1)))
        report.notes.append(f"{q}: agents on duty per interval are {found[1]}")
    scenario = build_scenario(report.path, start, days, fits, safe_name(name or Path(report.path).stem), interval,
                              on_duty, within=thresholds)
    for group in scenario["groups"].values():
        rows = report.rows[report.rows["queue"] == group["skills"][0]]
        share = not_ready(rows) if group.get("headcount") != 0 else None
        if share is not None and max(share) > 0:
            group["not_ready"] = {"share": list(share), "mean": EPISODE_S}
            report.notes.append(f"{group['skills'][0]}: not ready {np.mean(share):.0%} of logged-in time on average "
                                f"by hour of the day (not_ready_s over logged_in_s; episodes of {EPISODE_S / 60:g} min "
                                "assumed)")
    sim.load_scenario(scenario, label=f"the scenario calibrated from {report.path}")
    return Calibration(report, fits, scenario)
