"""KPIs declared once: name, unit, table, how each aggregates, and where it is shown.

``sim.metrics`` computes the columns; everything that lists KPIs reads this registry: the run summary
(``Results.summary``), the compare table, sweeps and the back-test. Definitions in full are in
docs/kpis.md (a test keeps the two and the tables' columns in step).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Kpi:
    """One KPI.

    - ``table``: ``queues`` (a column of the per-interval queue table and of the per-queue totals),
      ``intervals`` (of the per-interval queue table only), ``totals`` (of the per-queue totals only),
      ``groups`` (of the per-interval group table) or ``summary`` (derived across replications in ``Results.summary``);
    - ``aggregate``: over intervals or replications, a ``count`` adds up, a ``rate`` is recomputed
      from its parts (never averaged over intervals), a ``max`` takes the largest, a ``level`` is a
      time-average or a parameter;
    - ``in_summary``: the summary shows its mean over replications with a 95% CI (counts: the mean);
    - ``compared``: a format for compare and sweep tables (None: not shown there);
    - ``history``: the back-test measures it on the log, by the same definition;
    - ``better``: which way is an improvement (``higher`` or ``lower``; None: neither), to colour the
      differences results pages show;
    - ``label``: what tables call it (default: its name in words); ``zh``: its name in Chinese, for the
      workbooks of shops whose queues have Chinese names.
    """

    name: str
    unit: str
    table: Literal["queues", "intervals", "totals", "groups", "summary"]
    aggregate: Literal["count", "rate", "max", "level"]
    definition: str
    in_summary: bool = False
    compared: str | None = None
    history: bool = False
    better: Literal["higher", "lower"] | None = None
    label: str = ""
    zh: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")

    def text(self, value: float, channel=None, difference: bool = False) -> str:
        """``value`` in the unit a planner reads: shares as percentages (a difference of shares in
        percentage points), seconds in the channel's unit (``Channel.wait``: s, or h for back-office
        work), money in yuan, the rest by ``compared``; '–' where missing; a difference with its sign.
        """
        if value is None or value != value or value in (math.inf, -math.inf):
            return "–"
        sign = "+" if difference else ""
        if self.unit == "share":
            text = f"{100 * value:{sign},.1f} pts" if difference else f"{value:.1%}"
        elif self.unit == "s":
            unit, name = (channel.wait_unit, channel.wait_unit_name) if channel is not None else (1.0, "s")
            text = f"{value / unit:{sign},.1f} {name}"
        elif self.unit == "currency":
            text = ("-" if value < 0 else sign) + f"¥{abs(value):,.0f}"
        else:
            text = (self.compared or "{:,.2f}").replace("{:", "{:" + sign, 1).format(value)
        return text.lstrip("+-") if not any(ch in "123456789" for ch in text) else text


def _k(*args, **kwargs) -> Kpi:
    return Kpi(*args, **kwargs)


KPIS = (
    _k("offered", "contacts", "queues", "count", "contacts arriving (first attempts and retrials)", True,
       history=True, zh="进线量"),
    _k("first_attempts", "contacts", "queues", "count", "offered contacts that are first attempts", True,
       zh="首次进线"),
    _k("retrials", "contacts", "queues", "count", "offered contacts that are repeat attempts", True, zh="重拨量"),
    _k("answered", "contacts", "queues", "count", "taken by an agent", True, history=True, zh="接通量"),
    _k("abandoned", "contacts", "queues", "count", "left before being taken (or balked)", True, zh="放弃量"),
    _k("transferred", "contacts", "queues", "count", "moved on unresolved after waiting escalate_after.after", True,
       zh="转出量"),
    _k("waiting_at_end", "contacts", "queues", "count", "still waiting at the horizon", True, zh="期末在队"),
    _k("queued", "contacts", "queues", "count", "found no agent free on arrival", zh="排队量"),
    _k("answered_within_sl", "contacts", "queues", "count", "counted by the service level", zh="及时服务量"),
    _k("judged", "contacts", "queues", "count", "what the service level judges: offered less those still open at "
       "the horizon within their threshold", True, zh="计入服务水平量"),
    _k("abandoned_within_sl", "contacts", "queues", "count", "abandoned within the threshold", zh="短时放弃"),
    _k("balked", "contacts", "queues", "count", "left at once, nobody being free", True, zh="即时放弃"),
    _k("resolved", "contacts", "queues", "count", "resolved by an agent through any escalation", True, zh="解决量"),
    _k("escalated", "contacts", "queues", "count", "passed on to an escalation queue", True, zh="升级量"),
    _k("resolved_first_contact", "contacts", "queues", "count", "resolved without escalation or a repeat within "
       "repeat.within", zh="首次解决量"),
    _k("repeats", "contacts", "queues", "count", "offered contacts of customers coming back after a resolved one",
       True, zh="重复来访"),
    _k("auto_approved", "items", "queues", "count", "approved by the platform at their deadline", True,
       zh="平台自动退款量"),
    _k("late", "items", "queues", "count", "past a first-reply deadline unanswered, or answered after it", True,
       zh="超时量"),
    _k("auto_approved_value", "currency", "queues", "count", "amount of the auto-approved items", True,
       compared="{:,.0f}", better="lower", label="value auto-approved", zh="平台自动退款金额"),
    _k("deflected", "contacts", "queues", "count", "resolved by a bot (not offered)", True, zh="机器人解决量"),
    _k("service_level", "share", "queues", "rate", "served within the threshold over the contacts judged",
       True, compared="{:.1%}", history=True, better="higher", label="service level", zh="服务水平"),
    _k("abandon_rate", "share", "queues", "rate", "abandoned / offered", True, compared="{:.1%}", history=True,
       better="lower", label="abandoned", zh="放弃率"),
    _k("asa_s", "s", "queues", "rate", "mean wait of answered contacts", True, compared="{:,.1f}",
       history=True, better="lower", label="ASA (mean wait of answered)", zh="平均应答时长"),
    _k("mean_wait_s", "s", "queues", "rate", "mean wait of contacts that left the queue", True,
       compared="{:,.1f}", better="lower", label="mean wait", zh="平均等待时长"),
    _k("handle_s", "s", "queues", "rate", "mean handle time of the answered contacts that ended", history=True,
       zh="平均处理时长", label="mean handle time"),
    _k("max_wait_s", "s", "queues", "max", "longest wait", zh="最长等待"),
    _k("messages", "messages", "queues", "count", "customer messages replied in conversation chats", True,
       history=True, zh="消息数"),
    _k("replied_within", "messages", "queues", "count", "of those, replied within the threshold", True,
       zh="及时回复消息数"),
    _k("silent_abandoned", "contacts", "queues", "count", "conversations whose customer left unseen", True,
       zh="静默流失"),
    _k("first_response_s", "s", "queues", "rate", "mean time from a conversation's arrival to its first reply",
       True, compared="{:,.1f}", history=True, better="lower", label="first response", zh="首次响应时长"),
    _k("response_s", "s", "queues", "rate", "mean response time of the replied messages", True,
       compared="{:,.1f}", history=True, better="lower", label="mean response", zh="平均响应时长"),
    _k("orders", "orders", "queues", "count", "orders expected from the conversations (conversion)", True,
       compared="{:,.1f}", better="higher", zh="询单成交数"),
    _k("orders_lost", "orders", "queues", "count", "orders lost to slow first responses and departures", True,
       compared="{:,.1f}", better="lower", zh="损失订单数"),
    _k("gmv", "currency", "queues", "count", "orders x order value", True, compared="{:,.0f}", better="higher",
       label="sales (GMV)", zh="成交额"),
    _k("gmv_lost", "currency", "queues", "count", "orders lost x order value", True, compared="{:,.0f}",
       better="lower", label="sales lost (GMV)", zh="损失成交额"),
    _k("attempts", "calls", "queues", "count", "outbound attempts dialled", True, zh="外呼次数"),
    _k("connected", "calls", "queues", "count", "outbound attempts that reached the customer", True, zh="接通次数"),
    _k("reached", "entries", "queues", "count", "call-list entries reached in any attempt (with their first)", True,
       zh="触达客户数"),
    _k("reach_rate", "share", "queues", "rate", "reached / call-list entries", True, compared="{:.1%}",
       better="higher", label="customers reached", zh="触达率"),
    _k("recovered_value", "currency", "queues", "count", "balance of the entries reached x the share who pay",
       True, compared="{:,.0f}", better="higher", label="balance recovered", zh="回款金额"),
    _k("connected_per_hour", "calls", "queues", "rate", "connected / agent-hours on attempts", True,
       compared="{:,.1f}", better="higher", label="connected per agent-hour", zh="每工时接通数"),
    _k("sl_target", "share", "intervals", "level", "the queue's service-level target", zh="目标"),
    _k("max_queue_len", "contacts", "intervals", "max", "most contacts waiting at once", zh="最长队列"),
    _k("backlog", "contacts", "intervals", "level", "contacts waiting at the interval start", zh="积压"),
    _k("carried_in", "contacts", "totals", "count", "the backlog waiting at the start (not among offered)", True,
       zh="期初积压"),
    _k("resolution_mean_s", "s", "totals", "rate", "mean time from arrival to final resolution", True,
       compared="{:,.0f}", better="lower", label="mean resolution", zh="平均解决时长"),
    _k("resolution_p90_s", "s", "totals", "rate", "90th percentile of that time", True, zh="解决时长P90"),
    _k("first_response_p90_s", "s", "totals", "rate", "90th percentile of the conversations' first response", True,
       zh="首次响应P90"),
    _k("escalation_rate", "share", "totals", "rate", "escalated / answered", True, compared="{:.1%}", better="lower",
       label="escalated", zh="升级率"),
    _k("first_contact_resolution", "share", "totals", "rate", "resolved_first_contact / resolved", True,
       compared="{:.1%}", better="higher", label="first-contact resolution", zh="首次解决率"),
    _k("intervals_meeting_sl", "share", "summary", "rate", "share of (replication, interval) pairs with "
       "contacts to judge that met the target", zh="达标时段占比"),
    _k("p_meets_sl", "share", "summary", "rate", "share of replications meeting the target over the horizon",
       zh="达标概率"),
    _k("agents_on_shift", "agents", "groups", "level", "mean agents on duty", zh="在岗人数"),
    _k("staffed_agent_s", "agent-s", "groups", "count", "agent-seconds on duty", zh="在岗工时"),
    _k("busy_agent_s", "agent-s", "groups", "count", "agent-seconds holding at least one contact", zh="忙碌工时"),
    _k("occupancy", "share", "groups", "rate", "busy / staffed agent-seconds", zh="占用率"),
    _k("available_agent_s", "agent-s", "groups", "count", "agent-seconds on duty holding nothing", zh="空闲工时"),
    _k("contact_s", "contact-s", "groups", "count", "contact-seconds in service", zh="接待时长"),
    _k("wrap_up_s", "contact-s", "groups", "count", "seconds of after-contact work (per slot for chats)",
       zh="话后处理时长"),
    _k("slot_utilisation", "share", "groups", "rate", "(contact + wrap-up seconds) / (staffed agent-seconds x "
       "concurrency)", zh="会话位利用率"),
    _k("open_contacts", "contacts", "groups", "rate", "contact-seconds / staffed agent-seconds: contacts held at once",
       zh="同时接待数"),
    _k("overtime_agent_s", "agent-s", "groups", "count", "agent-seconds past the shift end finishing work",
       zh="加班工时"),
    _k("not_ready_agent_s", "agent-s", "groups", "count", "agent-seconds in not-ready (aux) episodes", zh="未就绪工时"),
    _k("shrinkage_agent_s", "agent-s", "groups", "count", "agent-seconds in planned shrinkage (meetings...)",
       zh="计划损耗工时"),
    _k("writing_agent_s", "agent-s", "groups", "count", "agent-seconds writing replies (conversation chats)",
       zh="回复工时"),
    _k("reply_occupancy", "share", "groups", "rate", "writing / staffed agent-seconds", zh="回复占用率"),
    _k("answered", "contacts", "groups", "count", "contacts the group took (by answer time)", zh="接通量"),
)


def of_table(table: str) -> dict[str, Kpi]:
    """The KPIs of one table (``intervals``, ``totals``, ``groups``, ``summary``) by name; the per-interval
    and per-queue tables include the ``queues`` KPIs.
    """
    shared = ("queues",) if table in ("intervals", "totals") else ()
    return {k.name: k for k in KPIS if k.table in (table, *shared)}


def summary_counts() -> list[str]:
    """Per-queue counts the summary averages over replications."""
    return [k.name for k in KPIS if k.table == "queues" and k.aggregate == "count" and k.in_summary]


def summary_rates() -> list[str]:
    """Per-queue rates the summary shows with a 95% CI."""
    return [k.name for k in KPIS if k.table in ("queues", "totals") and k.aggregate == "rate" and k.in_summary]


def compared() -> dict[str, str]:
    """KPI → format of the KPIs compare and sweep tables show."""
    return {k.name: k.compared for k in KPIS if k.compared}


def better() -> dict[str, str]:
    """KPI → ``higher`` or ``lower``: the way a difference is an improvement, where it has one."""
    return {k.name: k.better for k in KPIS if k.better}


def swept() -> list[str]:
    """Summary columns a sweep keeps per variant and queue: the compared KPIs, the service level's CI and
    the chances of meeting the target.
    """
    return [*compared(), "service_level_ci95", *of_table("summary")]


def history() -> list[str]:
    """KPIs the back-test measures on a log."""
    return [k.name for k in KPIS if k.history]


def doc_lists() -> dict[str, list[str]]:
    """The KPI lists the docs keep, by the name their markers give (``<!-- kpis:NAME -->...<!-- /kpis -->``)."""
    return {"summary_counts": summary_counts(), "summary_rates": summary_rates(), "swept": swept(),
            "history": history()}


_MARKED = re.compile(r"(<!-- kpis:(\w+) -->)(.*?)(<!-- /kpis -->)", re.DOTALL)


def fill_doc_lists(text: str) -> str:
    """``text`` with each marked list rewritten from the registry: "`a`, `b` and `c`"."""
    def listed(match: re.Match) -> str:
        names = [f"`{name}`" for name in doc_lists()[match[2]]]
        return f"{match[1]}{', '.join(names[:-1])} and {names[-1]}{match[4]}"
    return _MARKED.sub(listed, text)


if __name__ == "__main__":      # python -m sim.kpis docs/*.md: rewrite the docs' KPI lists from the registry
    import sys
    from pathlib import Path

    for doc in map(Path, sys.argv[1:]):
        doc.write_text(fill_doc_lists(doc.read_text(encoding="utf-8")), encoding="utf-8")
