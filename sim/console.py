"""What the command line prints: summary tables that fit a 100-column terminal, progress, warnings.

Progress is a bar on a terminal and, when the output goes to a log, a line at every tenth of the work
(and at least every 30 s) with the time left.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time

import numpy as np
import pandas as pd
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from sim import kpis
from sim.channels import CHANNELS
from sim.pages.staffing import SHARES
from sim.units import counted
from sim.verdicts import COSTS, difference_rows, sweep_variants

WIDTH = 100                   # columns when the output is not a terminal
UNBOUNDED = 10_000            # columns a table is measured in, to find its width with no cell split
LOG_EVERY_S = 30.0


class _Screen(Console):
    """A console that never splits a table's cell: a table wider than the screen is printed at its own
    width (the terminal wraps the lines, the numbers and words stay whole).
    """

    def print(self, *objects, **kwargs) -> None:
        unbounded = self.options.update(max_width=UNBOUNDED)
        needed = max((Measurement.get(self, unbounded, o).maximum for o in objects if isinstance(o, Table)),
                     default=0)
        if needed <= self.width:
            super().print(*objects, **kwargs)
            return
        width, self.width = self.width, needed
        try:
            super().print(*objects, **kwargs)
        finally:
            self.width = width


def console() -> Console:
    """Tables fit the terminal (in a log: ``COLUMNS`` columns if set, else ``WIDTH``) or, wider, are
    printed whole; plain lines are never wrapped.
    """
    fixed = None if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else WIDTH
    return _Screen(width=fixed, soft_wrap=True)


def warn(lines: list[str], prefix: str = "") -> None:
    """Print each line on stderr as ``warning: PREFIX: line``."""
    for line in lines:
        print(f"warning: {prefix}: {line}" if prefix else f"warning: {line}", file=sys.stderr)


class Progress:
    """Progress of ``total`` steps of work: a bar on a terminal, else a line on stderr at every tenth (and
    whenever what runs changes, at most every ``LOG_EVERY_S``). ``bound``: ``total`` is an upper bound (a
    search that may end sooner), so the time left is one too.
    """

    def __init__(self, description: str, total: int, unit: str, bound: bool = False):
        self.description, self.total, self.unit, self.bound = description, max(total, 1), unit, bound
        self.began = self.logged_at = time.monotonic()
        self.logged_tenth, self.logged_text = 0, description
        self.bar = None
        if sys.stderr.isatty():
            self.bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                    TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn(),
                                    console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task(description, total=self.total)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, done: int, description: str | None = None) -> None:
        """``done`` steps are finished (``description`` replaces the text shown)."""
        if description is not None:
            self.description = description
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=self.description)
            return
        now, tenth = time.monotonic(), done * 10 // self.total
        changed = self.description != self.logged_text
        if tenth > self.logged_tenth or now - self.logged_at >= (LOG_EVERY_S / 10 if changed else LOG_EVERY_S):
            self.logged_tenth, self.logged_at, self.logged_text = tenth, now, self.description
            elapsed = now - self.began
            left = (f", {'up to' if self.bound else 'about'} {elapsed / done * (self.total - done):,.0f} s left"
                    if 0 < done < self.total else "")
            print(f"{self.description}: {done}/{self.total} {self.unit}, {elapsed:,.0f} s{left}", file=sys.stderr,
                  flush=True)


def _n(value, fmt: str = "{:,.0f}") -> str:
    """``value`` formatted, '–' where it is missing (NaN, None, infinite), and never '-0'."""
    if value is None or not np.isfinite(value):
        return "–"
    text = fmt.format(value)
    return text[1:] if text.startswith("-") and not any(ch in "123456789" for ch in text) else text


def _ratio(part: float, whole: float) -> float:
    """``part / whole``, NaN where ``whole`` is nil or missing (a queue no message reached)."""
    return part / whole if whole and whole == whole else float("nan")


def _pm(value: float, ci: float, fmt: str) -> str:
    """'84.7% ±2.6' : the value, and its 95% CI half-width without repeating the unit."""
    text = _n(value, fmt)
    if text == "–" or ci != ci:
        return text
    return f"{text} ±{_n(ci, fmt.replace('+', '')).rstrip('%')}"


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=True)
    return table


def _wait(channel, seconds: float) -> str:
    return channel.wait(seconds) if np.isfinite(seconds) else "–"


# The summary's tables by what a channel's service level reads: (which channels, subtitle, the columns
# after the four every table has, and their cells). A table's first four columns: queue, volume, what
# counts as served, service level and target.
_SUMMARIES = (
    (lambda ch: ch.patience and not ch.on_resolution, None,
     ["offered", "answered", "service level", "target", "intervals\nmeeting target", "abandoned", "ASA"],
     lambda row, ch: [_n(row["intervals_meeting_sl"], "{:.0%}"), _n(row["abandon_rate"], "{:.1%}"),
                      _wait(ch, row["asa_s"])]),
    (lambda ch: not ch.patience and not ch.on_resolution and not ch.dials,
     "items with a reply deadline: service level = replied in time",
     ["items", "replied", "service level", "target", "intervals\nmeeting target", "late", "open at end,\nnot yet due",
      "mean first\nreply"],
     lambda row, ch: [_n(row["intervals_meeting_sl"], "{:.0%}"), _n(row["late"], "{:,.0f}"),
                      _n(row["offered"] - row['judged'], "{:,.0f}"), _wait(ch, row["asa_s"])]),
    (lambda ch: ch.on_resolution, "back-office queues: service level = resolved in time",
     ["items", "resolved", "service level", "target", "mean\nresolution", "open at end,\nnot yet due",
      "auto-\napproved", "value auto-\napproved"],
     lambda row, ch: [_wait(ch, row["resolution_mean_s"]), _n(row["offered"] - row['judged'], "{:,.0f}"),
                      _n(row["auto_approved"], "{:,.0f}"), _n(row["auto_approved_value"], "¥{:,.0f}")]),
    (lambda ch: ch.dials, "outbound: service level = answer rate (connected / dialled); an entry is one customer "
     "on the call list",
     ["entries", "connected", "answer rate", "target", "attempts", "entries\nreached", "expired",
      "connected per\nagent-hour", "balance\nrecovered"],
     lambda row, ch: [_n(row["attempts"], "{:,.0f}"), _pm(row["reach_rate"], row["reach_rate_ci95"], "{:.1%}"),
                      _n(row["abandoned"], "{:,.0f}"), _n(row["connected_per_hour"], "{:,.1f}"),
                      _n(row["recovered_value"], "¥{:,.0f}")]),
)


def summary_tables(res) -> list[Table]:
    """The run's summary: a table for contacts customers wait for (chats, calls), one for items judged on
    a first-reply deadline (tickets), one for items judged on resolution (refunds), one for outbound call
    lists, each if any.
    """
    sc, rows = res.scenario, res.summary
    title = f"{sc.name}: {counted(res.replications, 'replication')}, seed {res.seed}; ± is the 95% CI"
    tables = []
    for chosen, subtitle, columns, cells in _SUMMARIES:
        mine = rows[rows["channel"].map(lambda c, chosen=chosen: bool(chosen(CHANNELS[c])))]
        if mine.empty:
            continue
        table = _table(title if not tables or subtitle is None else subtitle, ["queue", *columns])
        spec = CHANNELS[mine["channel"].iloc[0]]
        volume = "first_attempts" if spec.dials else "offered"
        for _, row in mine.iterrows():
            table.add_row(row["queue"], f"{row[volume]:,.0f}", f"{row[spec.served_column]:,.0f}",
                          _pm(row["service_level"], row["service_level_ci95"], "{:.1%}"),
                          _n(row["sl_target"], "{:.0%}"),
                          *cells(row, CHANNELS[row["channel"]]))
        tables.append(table)
    return tables


def conversation_table(res) -> Table | None:
    """Chats as conversations (``conversation``): messages, response times, silent departures and, with a
    conversion, the orders and sales won and lost; None without such a queue.
    """
    rows = res.summary[res.summary["messages"].notna()]
    if rows.empty:
        return None
    table = _table("chats as conversations: service level above = first reply within the threshold",
                   ["queue", "messages\nper chat", "first\nresponse", "mean\nresponse", "replied in\nthreshold",
                    "left\nunseen", "orders", "sales lost"])
    for _, row in rows.iterrows():
        table.add_row(row["queue"], _n(_ratio(row["messages"], row["answered"]), "{:.1f}"),
                      _pm(row["first_response_s"], row["first_response_s_ci95"], "{:,.1f} s"),
                      _pm(row["response_s"], row["response_s_ci95"], "{:,.1f} s"),
                      _n(_ratio(row["replied_within"], row["messages"]), "{:.1%}"),
                      _n(row["silent_abandoned"], "{:,.0f}"),
                      _n(row["orders"], "{:,.0f}"), _n(row["gmv_lost"], "¥{:,.0f}"))
    return table


def class_table(res) -> Table | None:
    """Customer classes of each queue (highest priority first), or None when no queue has classes."""
    rows = res.class_summary
    if rows is None:
        return None
    table = _table("customer classes (served in this order within each queue)",
                   ["queue", "class", "offered", "service level", "abandoned", "ASA"])
    for _, row in rows.iterrows():
        channel = CHANNELS[res.scenario.queues[row["queue"]].channel]
        table.add_row(row["queue"], row["customer_class"], _n(row["offered"], "{:,.0f}"),
                      _pm(row["service_level"], row["service_level_ci95"], "{:.1%}"),
                      _n(row["abandon_rate"], "{:.1%}"),
                      channel.wait(row["asa_s"]) if row["asa_s"] == row["asa_s"] else "-")
    return table


def summary_notes(res) -> list[str]:
    """What the summary's numbers include: retrials among the offered, contacts the bot answered."""
    lines = []
    for _, row in res.summary.iterrows():
        if row["retrials"] > 0 and not CHANNELS[row["channel"]].dials:
            lines.append(f"{row['queue']}: {row['retrials']:,.0f} of the offered are repeat attempts of callers "
                         "who gave up")
        if row["deflected"] > 0:
            lines.append(f"{row['queue']}: {row['deflected']:,.0f} more answered by the bot, not offered to agents")
    return lines


def groups_table(res) -> Table:
    costs = res.costs.set_index("group") if res.costs is not None else None
    priced = ["paid\nhours", "cost", "cost per\ncontact answered"] if costs is not None else []
    table = _table("agent groups (means over replications)",
                   ["group", "agent-hours\non duty", "occupancy", "slot\nutilisation", "overtime\nhours", *priced])
    for name, row in res.group_totals.iterrows():
        slots = row["staffed_agent_s"] * res.scenario.groups[name].concurrency
        money = []
        if costs is not None:
            money = ([_n(costs.loc[name, "paid_hours"]), _n(costs.loc[name, "cost"], "¥{:,.0f}"),
                      _n(costs.loc[name, "cost_per_answered"], "¥{:,.2f}")] if name in costs.index else ["–"] * 3)
        table.add_row(name, _n(row["staffed_agent_s"] / 3600),
                      _n(row["busy_agent_s"] / row["staffed_agent_s"], "{:.0%}") if row["staffed_agent_s"] else "–",
                      _n(row["contact_s"] / slots, "{:.0%}") if slots else "–",
                      _n(row["overtime_agent_s"] / 3600, "{:,.1f}"), *money)
    if costs is not None:
        table.add_row("all priced groups", "", "", "", "", _n(costs["paid_hours"].sum()),
                      _n(costs["cost"].sum(), "¥{:,.0f}"), "")
    return table


def worst_table(res, n: int = 5) -> Table | None:
    """The ``n`` intervals least likely to meet their target (None when every interval always meets it)."""
    worst = res.worst_intervals(n)
    worst = worst[worst["p_meets_sl"] < 1]
    if worst.empty:
        return None
    table = _table("intervals least likely to meet their target", ["interval", "queue", "P(meets target)",
                                                                   "service level", "target", "offered"])
    for _, row in worst.iterrows():
        table.add_row(f"{row['interval_start']:%Y-%m-%d %H:%M}", row["queue"], _n(row["p_meets_sl"], "{:.0%}"),
                      _n(row["service_level"], "{:.1%}"), _n(row["sl_target"], "{:.0%}"), _n(row["offered"], "{:,.1f}"))
    return table




def comparison_table(cmp) -> Table:
    """Variant − base over the horizon: per queue each compared KPI in its unit, then what each priced group
    costs, with the paired 95% CI and a verdict (``sim.verdicts``).
    """
    table = _table(f"{cmp.variant.scenario.name} − {cmp.base.scenario.name}: {cmp.base.replications} paired "
                   f"replications, seed {cmp.base.seed} (± 95% CI)",
                   ["queue or group", "", "base", "variant", "difference\n(paired CI)", "unpaired\nCI", "verdict"])
    for row in difference_rows(cmp.totals, cmp.costs):
        table.add_row(row["where"], row["label"], row["base"], row["variant"], row["difference"], row["unpaired"],
                      row["verdict"])
    return table


def sweep_table(table: pd.DataFrame, params: list[str], replications: int, name: str) -> Table | None:
    """Per variant: its parameters, agent-hours, cost, service level (P(meeting the target)) per queue,
    whether it meets every target; the cheapest that does is marked (``sim.verdicts.sweep_variants``).
    """
    from sim.scenario.loading import short_path

    side = sweep_variants(table, params)
    if side.empty:
        return None
    ok = table[table["status"] == "ok"].set_index(["variant", "queue"])
    queues = list(dict.fromkeys(ok.index.get_level_values("queue")))
    priced = side["centre_cost"].notna().any()
    view = _table(f"{name}: service level over the horizon (P(meeting the target)), {replications} replications",
                  [*map(short_path, params), "agent-\nhours", *(["cost"] if priced else []), *map(str, queues),
                   "every target\nmet"])
    for row in side.to_dict("records"):
        levels = [f"{_n(ok.loc[(row['variant'], q), 'service_level'], '{:.1%}')} "
                  f"({_n(ok.loc[(row['variant'], q), 'p_meets_sl'], '{:.0%}')})" if (row["variant"], q) in ok.index
                  else "–" for q in queues]
        view.add_row(*[str(row[p]) for p in params], _n(row["centre_agent_hours"]),
                     *([_n(row["centre_cost"], "¥{:,.0f}")] if priced else []), *levels,
                     ("yes, cheapest" if row["cheapest"] else "yes") if row["every_target"] else "no")
    return view


def staffing_table(report, replications: int, lag: bool) -> Table:
    view = _table(f"{report.scenario.name}: formulas' staffing, simulated ({replications} replications"
                  f"{', lagged SIPP' if lag else ''})",
                  ["method", "queue", "agent-hours\npresent /\nrostered", "service level", "target",
                   *(textwrap.fill(label, 18) for label in SHARES.values())])
    for _, row in report.summary.iterrows():
        view.add_row(row["formula"], row["queue"], f"{row['agent_hours']:,.0f} / {row['rostered_agent_hours']:,.0f}",
                     _pm(row["service_level"], row["service_level_ci95"], "{:.1%}"), _n(row["target"], "{:.0%}"),
                     *(_n(row[column], "{:.0%}") for column in SHARES))
    return view


def roster_table(found) -> Table:
    """A roster search: per group its cost, the scenario's roster against the one found, and the saving;
    per queue the service level of both (paired, same customers) and the share of intervals the found one
    meets on fresh customers; the value at stake (refunds auto-approved, sales lost) where there is any.
    """
    last = found.history.iloc[-1]
    view = _table(f"{found.base.name}: least-cost roster ({len(found.history)} iterations, "
                  f"{found.simulations:,} replications simulated, programme gap {last['gap']:.2%}, "
                  f"{'every interval meets' if found.met else 'NOT every interval meets'})",
                  ["group or queue", "scenario's roster", "roster found", "difference"])
    costs, money = found.costs(), COSTS["cost"]
    for _, row in costs.iterrows():
        view.add_row(row["group"], f"{money.text(row['cost_scenario'])} ({_n(row['paid_hours_scenario'])} h)",
                     f"{money.text(row['cost_found'])} ({_n(row['paid_hours_found'])} h)",
                     money.text(row["cost_found"] - row["cost_scenario"], difference=True))
    before, after = costs["cost_scenario"].sum(), costs["cost_found"].sum()
    view.add_row("cost, all groups", money.text(before), money.text(after),
                 money.text(after - before, difference=True)
                 + (f" ({_n((after - before) / before, '{:+.1%}')})" if before > 0 else ""))
    if found.comparison is not None:
        fresh = found.fresh.set_index("queue")
        for row in difference_rows(found.comparison.totals):
            if row["kpi"] not in ("service_level", *AT_STAKE):
                continue
            meets = ("" if row["kpi"] != "service_level" or row["where"] not in fresh.index else
                     ", not searched: the customers' pickup" if not fresh.loc[row["where"], "judged"] else
                     f", {fresh.loc[row['where'], 'share_meeting']:.0%} of intervals meet (fresh customers)")
            view.add_row(f"{row['where']}: {row['label']}", row["base"], row["variant"] + meets, row["difference"])
    return view


AT_STAKE = ("auto_approved_value", "gmv_lost")     # the money a roster risks beside what it costs


def calibration_table(result) -> Table:
    view = _table(f"{result.log.path}: {result.log.described()} fitted, {result.log.bad_count:,} bad rows",
                  ["queue", "channel", "days", "daily volume", "day-to-day cv", "handle time", "patience\n(MLE)",
                   "naive\npatience", "chats per\nagent"])
    for _, row in result.parameters().iterrows():
        patience = "none" if pd.isna(row["patience_mean_s"]) else f"{row['patience_mean_s']:.0f} s"
        naive = "-" if pd.isna(row["naive_patience_mean_s"]) else f"{row['naive_patience_mean_s']:.0f} s"
        handle = "none" if not row["handle_dist"] else (f"{row['handle_dist']} {row['handle_mean_s']:.0f} s, "
                                                        f"cv {row['handle_cv']:.2f}")
        view.add_row(row["queue"], row["channel"], str(row["days"]), _n(row["daily_volume"], "{:,.0f}"),
                     _n(row["day_to_day_cv"], "{:.3f}"), handle, patience, naive, str(row["concurrency"]))
    return view


def conversation_fit_table(result) -> Table:
    """Per chat queue of a message log: what the log shows and the conversation model fitted to it."""
    view = _table(f"{result.messages.path}: conversations", [
        "queue", "conversations", "first response\nmean / p90", "response\nmean", "rounds seen\n/ natural",
        "reply work", "customer gap", "slowdown", "silent abandons\n(patience)"])
    for _, row in result.conversation_table().iterrows():
        slowdown = result.conversations[row["queue"]].slowdown
        silent = ("none" if pd.isna(row["message_patience_mean_s"]) else
                  f"{row['silent_abandon_share']:.1%} ({row['message_patience_mean_s']:.0f} s)")
        view.add_row(row["queue"], _n(row["conversations"], "{:,}"),
                     f"{row['first_response_mean_s']:.0f} / {row['first_response_p90_s']:.0f} s",
                     f"{row['response_mean_s']:.0f} s", f"{row['rounds_mean']:.2f} / {row['natural_rounds_mean']:.2f}",
                     f"{row['reply_mean_s']:.1f} s" + ("" if row["reply_from_clean_replies"] else " (upper bound)"),
                     f"{row['gap_mean_s']:.0f} s", " ".join(f"{f:.2f}" for f in slowdown) or "none", silent)
    return view


def _judged(kpi: str, value: float, difference: bool = False) -> str:
    """A back-test's figure of ``kpi`` in its unit (an error without its sign: ``difference`` adds one)."""
    known = {k.name: k for k in kpis.KPIS}
    if kpi not in known:
        return _n(value, "{:+.3g}" if difference else "{:.3g}")
    return known[kpi].text(value, difference=difference)


def _label(kpi: str) -> str:
    return next((k.title for k in kpis.KPIS if k.name == kpi), kpi)


def backtest_table(test) -> Table:
    view = _table(f"back-test: simulated ({test.replications} replications) − history, per interval",
                  ["queue", "KPI", "history mean", "MAE", "bias", "relative MAE", "history in p10-p90"])
    for _, row in test.errors.iterrows():
        view.add_row(row["queue"], _label(row["kpi"]), _judged(row["kpi"], row["history_mean"]),
                     _judged(row["kpi"], row["mae"], True).lstrip("+"), _judged(row["kpi"], row["bias"], True),
                     _n(row["relative_mae"], "{:.0%}"), _n(row["band_coverage"], "{:.0%}"))
    return view


def holdout_table(test, volumes: str) -> Table:
    """Per queue and KPI, each model's MAE and bias against the history, and the simulation's band."""
    view = _table(f"back-test ({'history volumes: the service model alone' if volumes == 'history' else 'forecast'}"
                  f", {test.replications} replications): forecast − history per interval",
                  ["queue", "KPI", "history mean", "simulation\nMAE / bias", "last week\nMAE / bias",
                   "Erlang A\nMAE / bias", "history in\np10-p90"])
    errors = test.errors.set_index(["queue", "kpi", "model"])
    for (queue, kpi), part in test.errors.groupby(["queue", "kpi"], sort=False):
        cells = []
        for model in ("simulation", "last_week", "erlang_a"):
            row = errors.loc[(queue, kpi, model)] if (queue, kpi, model) in errors.index else None
            cells.append("–" if row is None else
                         f"{_judged(kpi, row['mae'], True).lstrip('+')} / {_judged(kpi, row['bias'], True)}")
        band = part.loc[part["model"] == "simulation", "in_band"]
        view.add_row(queue, _label(kpi), _judged(kpi, part["history_mean"].iloc[0]), *cells,
                     _n(band.iloc[0], "{:.0%}") if len(band) else "–")
    return view
