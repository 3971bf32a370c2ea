"""KPI definitions: per-contact and per-agent records of a replication → per-interval tables.

Every KPI is a pure function of the engine's records; definitions are in docs/kpis.md. A contact
belongs to the interval in which it *arrives*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.channels import channel_of
from sim.contacts import ABANDONED, ANSWERED, OUTCOMES, TRANSFERRED, WAITING, Contacts
from sim.records import CONNECTED, DIAL_OUTCOMES, SPAN_KINDS, EngineOutput, Messages, Spans
from sim.scenario import Scenario


def interval_starts(sc: Scenario) -> pd.DatetimeIndex:
    return pd.date_range(sc.start, periods=sc.n_intervals, freq=pd.Timedelta(seconds=sc.interval))


def _per_cell(key: np.ndarray, n_cells: int, weights=None) -> np.ndarray:
    return np.bincount(key, weights=weights, minlength=n_cells)


def final_end(c: Contacts) -> np.ndarray:
    """When each contact's customer was finally resolved by an agent (NaN if not by the horizon).

    A contact resolved by its own agent ends there; an escalated one ends when its follow-up is resolved;
    items the platform approved automatically are not resolved by an agent.
    """
    own = (c.outcome == ANSWERED) & ~c.auto & ~c.escalated & ~np.isnan(c.end)
    ends = np.where(own, c.end, np.nan)
    followups = np.flatnonzero(c.origin >= 0)
    ends[c.origin[followups]] = ends[followups]
    return ends


CONVERSATION_KPIS = ("messages", "replied_within", "silent_abandoned", "first_response_s", "response_s",
                     "orders", "orders_lost", "gmv", "gmv_lost")


def per_conversation(sc: Scenario, c: Contacts, messages: Messages) -> dict[str, np.ndarray]:
    """Per contact, from the messages of conversation chats: ``messages`` replied, ``replied_within`` the
    threshold, ``silent`` (the customer left unseen), ``response`` (their
    response times added up) and ``first_response`` (arrival to the first reply; NaN: none yet). A
    message's response runs from sent (a first message: the chat's arrival) to the reply; ``late``: the
    messages replied to after the threshold, or unreplied and older than it at the horizon. The threshold
    is the queue's ``sla.answer_within`` for a first message and ``message_threshold()`` for the others.
    With a ``conversion``, for each conversation decided by the horizon (left, or replied to): expected
    ``orders`` (the probability at its first response; 0 if the customer left), ``orders_lost`` (the
    probability at an immediate first response, less that) and the ``value`` of an order.
    """
    n = c.time.size
    replied = ~np.isnan(messages.replied)
    first = np.zeros(messages.contact.size, dtype=bool)
    first[np.unique(messages.contact, return_index=True)[1]] = True          # messages are in sending order
    queues = list(sc.queues.values())
    queue = c.queue[messages.contact]                        # only chats have messages
    threshold = np.where(first, np.array([q.sl_threshold() for q in queues])[queue],
                         np.array([q.message_threshold() for q in queues])[queue])
    first_response = np.full(n, np.nan)
    first_response[messages.contact[first & replied]] = messages.response[first & replied]
    late = np.where(replied, messages.response > threshold, sc.horizon - messages.sent > threshold)
    silent = np.bincount(messages.contact, messages.silent, minlength=n) > 0
    orders, lost, value = np.zeros(n), np.zeros(n), np.zeros(n)
    for q, spec in enumerate(sc.queues.values()):
        conversion = spec.converses and spec.conversation.conversion
        if not conversion:
            continue
        mine = (c.queue == q) & (c.outcome != WAITING) & ~((c.outcome == ANSWERED) & np.isnan(first_response))
        best = float(conversion.probability(np.zeros(1))[0])      # had the first reply come at once
        won = np.where(silent | (c.outcome != ANSWERED), 0.0, conversion.probability(np.nan_to_num(first_response)))
        orders[mine], lost[mine], value[mine] = won[mine], best - won[mine], conversion.order_value
    return {"messages": np.bincount(messages.contact, replied, minlength=n),
            "replied_within": np.bincount(messages.contact, replied & (messages.response <= threshold), minlength=n),
            "silent": silent,
            "response": np.bincount(messages.contact, np.where(replied, messages.response, 0.0), minlength=n),
            "first_response": first_response, "late": np.bincount(messages.contact, late, minlength=n),
            "orders": orders, "orders_lost": lost, "value": value}


def _conversations(per: dict[str, np.ndarray] | None, talking: np.ndarray, key: np.ndarray, cells: int) -> dict:
    """The conversation KPIs of each cell (``per_conversation`` added up; NaN in cells without one)."""
    if per is None:
        return {name: np.full(cells, np.nan) for name in CONVERSATION_KPIS}
    talked = _per_cell(key, cells, talking) > 0
    has_first = ~np.isnan(per["first_response"])
    sums = {name: np.where(talked, _per_cell(key, cells, values), np.nan) for name, values in (
        ("messages", per["messages"]), ("replied_within", per["replied_within"]), ("silent", per["silent"]),
        ("response", per["response"]), ("first", np.where(has_first, per["first_response"], 0.0)),
        ("has_first", has_first), ("orders", per["orders"]), ("orders_lost", per["orders_lost"]),
        ("gmv", per["orders"] * per["value"]), ("gmv_lost", per["orders_lost"] * per["value"]))}
    converting = _per_cell(key, cells, per["value"] > 0) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"messages": sums["messages"], "replied_within": sums["replied_within"],
                "silent_abandoned": sums["silent"], "first_response_s": sums["first"] / sums["has_first"],
                "response_s": sums["response"] / sums["messages"],
                **{name: np.where(converting, sums[name], np.nan)
                   for name in ("orders", "orders_lost", "gmv", "gmv_lost")}}


def conversation_values(sc: Scenario, c: Contacts, messages: Messages | None) -> dict[str, np.ndarray] | None:
    """``per_conversation`` of a run (or a log) whose queues hold conversations; None otherwise. Computed
    once per replication and handed to each table.
    """
    talking = any(q.converses for q in sc.queues.values())
    return per_conversation(sc, c, messages) if messages is not None and talking else None


def queue_kpis(sc: Scenario, c: Contacts, ends: np.ndarray, key: np.ndarray, cells: int,
               per: dict[str, np.ndarray] | None = None) -> dict:
    """Queue KPIs of the contacts grouped by ``key`` (values 0..cells-1); ``ends`` is ``final_end(c)``;
    ``per``: the conversations' values per contact (``conversation_values``; None: no conversations).
    A backlog carried in from before the start (negative arrival times) belongs to no cell.

    ``c`` may come from the engine or from a log (the back-test judges history by the same rules).
    """
    if not (c.time < 0).any():                             # no temporaries kept while the KPIs are built
        return _kpis(sc, c, ends, key, cells, per)
    kpis = _kpis(sc, c, ends, np.where(c.time < 0, cells, key), cells + 1, per)   # one more cell, dropped
    return {name: values[:cells] for name, values in kpis.items()}


def _kpis(sc: Scenario, c: Contacts, ends: np.ndarray, key: np.ndarray, cells: int,
          per: dict[str, np.ndarray] | None) -> dict:
    queues = list(sc.queues.values())
    channels = [channel_of(q) for q in queues]
    on_resolution = np.array([ch.on_resolution for ch in channels])[c.queue]
    threshold = np.array([q.sl_threshold() for q in queues])[c.queue]
    answered = c.outcome == ANSWERED
    abandoned = c.outcome == ABANDONED
    waiting = c.outcome == WAITING
    transferred = c.outcome == TRANSFERRED
    left = answered | abandoned | transferred
    # On the answer clock: answered within the threshold. On the resolution clock: resolved (through any
    # escalation) within it. Contacts still open at the horizon count only once past the threshold.
    resolved = ~np.isnan(ends)
    wait_within = c.wait <= threshold
    within = answered & wait_within
    undecided = waiting & wait_within
    talking = np.array([q.converses for q in queues])[c.queue]
    if per is not None:       # a conversation's first response is its first reply, not the slot it got
        first_within = per["first_response"] <= threshold
        no_reply_yet = np.isnan(per["first_response"]) & (sc.horizon - c.time <= threshold)
        within = np.where(talking, answered & first_within, within)
        undecided = np.where(talking, undecided | (answered & no_reply_yet), undecided)
        every = np.array([q.judges_every_message for q in queues])[c.queue]
        in_time, still_open = per["late"] == 0, np.isnan(c.end)       # every message so far replied in time
        within = np.where(every, answered & ~still_open & in_time, within)
        undecided = np.where(every, (waiting & wait_within) | (answered & still_open & in_time), undecided)
    if any(ch.sl_clock == "connected" for ch in channels):   # an outbound queue's service level: its answer rate
        connects = np.array([ch.sl_clock == "connected" for ch in channels])[c.queue]
        within = np.where(connects, answered & (c.dial == CONNECTED), within)
        undecided = np.where(connects, ~answered, undecided)
    if on_resolution.any():
        followup_auto = np.zeros(c.auto.size, dtype=bool)
        followups = np.flatnonzero(c.origin >= 0)
        followup_auto[c.origin[followups]] = c.auto[followups]
        still_open = ~resolved & ~c.auto & ~followup_auto & ~abandoned
        within = np.where(on_resolution, ends - c.time <= threshold, within)
        undecided = np.where(on_resolution, still_open & (sc.horizon - c.time <= threshold), undecided)
    # Items past a deadline that does not end their wait: replied to after it, or still open after it.
    deadline = np.array([q.deadline if ch.at_deadline == "late" else np.inf for q, ch in zip(queues, channels)])
    late = None if np.isinf(deadline).all() else (answered | waiting | transferred) & (c.wait > deadline[c.queue])
    # First-contact resolution as the shops define it: no repeat contact within the queue's repeat.within.
    repeated = np.False_                                 # no queue with repeats: no temporaries
    if any(q.repeat is not None for q in queues):
        within_days = np.array([np.inf if q.repeat is None else q.repeat.within for q in queues])
        with np.errstate(invalid="ignore"):
            repeated = c.repeat_at - c.end <= within_days[c.queue]
    short_abandons = abandoned & wait_within                # customers who gave up within the threshold
    if not all(ch.patience for ch in channels):             # items past a deadline are no short abandons
        short_abandons &= np.array([ch.patience for ch in channels])[c.queue]
    offered = _per_cell(key, cells)
    retrials = _per_cell(key, cells, c.attempt > 0).astype(np.int64)
    n_answered = _per_cell(key, cells, answered)
    n_abandoned = _per_cell(key, cells, abandoned)
    n_transferred = _per_cell(key, cells, transferred)
    n_within = _per_cell(key, cells, within)
    undecided = _per_cell(key, cells, undecided)
    wait_answered = _per_cell(key, cells, np.where(answered, c.wait, 0.0))
    handled = answered & ~np.isnan(c.end)
    handle = _per_cell(key, cells, np.where(handled, c.end - c.time - c.wait, 0.0))
    n_handled = _per_cell(key, cells, handled)
    wait_left = _per_cell(key, cells, np.where(left, c.wait, 0.0))
    max_wait = np.zeros(cells)
    np.maximum.at(max_wait, key, c.wait)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "offered": offered.astype(np.int64),
            "first_attempts": offered.astype(np.int64) - retrials,
            "retrials": retrials,
            "answered": n_answered.astype(np.int64),
            "abandoned": n_abandoned.astype(np.int64),
            "transferred": n_transferred.astype(np.int64),
            "waiting_at_end": (offered - n_answered - n_abandoned - n_transferred).astype(np.int64),
            "queued": _per_cell(key, cells, c.wait > 0).astype(np.int64),
            "answered_within_sl": n_within.astype(np.int64),
            "judged": (offered - undecided).astype(np.int64),
            "abandoned_within_sl": _per_cell(key, cells, short_abandons).astype(np.int64),
            "balked": _per_cell(key, cells, c.balked).astype(np.int64),
            "resolved": _per_cell(key, cells, resolved).astype(np.int64),
            "escalated": _per_cell(key, cells, c.escalated).astype(np.int64),
            "resolved_first_contact": _per_cell(key, cells, resolved & ~c.escalated & ~repeated).astype(np.int64),
            "repeats": _per_cell(key, cells, c.repeat_of >= 0).astype(np.int64),
            "auto_approved": _per_cell(key, cells, c.auto).astype(np.int64),
            "late": np.zeros(cells, dtype=np.int64) if late is None else _per_cell(key, cells, late).astype(np.int64),
            "auto_approved_value": _per_cell(key, cells, np.where(c.auto, np.nan_to_num(c.amount), 0.0)),
            "service_level": n_within / (offered - undecided),
            "abandon_rate": n_abandoned / offered,
            "asa_s": wait_answered / n_answered,
            "handle_s": handle / n_handled,
            "mean_wait_s": wait_left / (n_answered + n_abandoned + n_transferred),
            "max_wait_s": np.where(offered > 0, max_wait, np.nan),
            **_conversations(per, talking, key, cells),
            **_outbound(sc, c, key, cells, handled),
        }


def _outbound(sc: Scenario, c: Contacts, key: np.ndarray, cells: int, handled: np.ndarray) -> dict:
    """The outbound KPIs of each cell: ``attempts`` dialled, ``connected``, entries ``reached`` in any
    attempt (counted with their first attempt) and their share ``reach_rate``, the ``recovered_value``
    (balance owed x the share who pay, over the entries reached) and ``connected_per_hour`` of the agents'
    time on attempts (dialling, ringing, talking, wrapping up); NaN in cells without outbound work.
    """
    queues = list(sc.queues.values())
    if not any(channel_of(q).dials for q in queues):     # no call list: no per-contact temporaries
        zeros, nans = np.zeros(cells, dtype=np.int64), np.full(cells, np.nan)
        return {"attempts": zeros, "connected": zeros, "reached": zeros, "reach_rate": nans,
                "recovered_value": nans, "connected_per_hour": nans}
    dials = np.array([channel_of(q).dials for q in queues])[c.queue]
    attempt = dials & (c.outcome == ANSWERED)
    connected = attempt & (c.dial == CONNECTED)
    first = dials & (c.attempt == 0)
    reached = first & (np.bincount(first_attempt(c)[connected], minlength=c.time.size) > 0)
    pays = np.array([q.balance.pays if q.balance is not None else 0.0 for q in queues])[c.queue]
    entries = _per_cell(key, cells, first)
    on_attempts = _per_cell(key, cells, np.where(attempt & handled, c.end - c.time - c.wait + c.wrap, 0.0))
    n_connected = _per_cell(key, cells, connected)
    n_reached = _per_cell(key, cells, reached)
    some = _per_cell(key, cells, dials) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"attempts": _per_cell(key, cells, attempt).astype(np.int64),
                "connected": n_connected.astype(np.int64), "reached": n_reached.astype(np.int64),
                "reach_rate": n_reached / entries,
                "recovered_value": np.where(some, _per_cell(key, cells, np.where(reached, np.nan_to_num(c.amount)
                                                                                 * pays, 0.0)), np.nan),
                "connected_per_hour": np.where(on_attempts > 0, n_connected / (on_attempts / 3600.0), np.nan)}


def first_attempt(c: Contacts) -> np.ndarray:
    """Each contact's first attempt (its own index unless it is a retrial or a redial)."""
    return np.where(c.first_call >= 0, c.first_call, np.arange(c.time.size))


def queue_intervals(sc: Scenario, out: EngineOutput, replication: int, per: dict | None = None) -> pd.DataFrame:
    """One row per (interval, queue): volumes, service level, waits and queue length. ``per``: the run's
    ``conversation_values`` if already computed.
    """
    c = out.contacts
    nq, n = len(sc.queues), sc.n_intervals
    k = np.minimum((c.time // sc.interval).astype(np.int64), n - 1)
    per = per if per is not None else conversation_values(sc, c, out.messages)
    kpis = queue_kpis(sc, c, final_end(c), k * nq + c.queue, n * nq, per)
    bot_k = np.minimum((out.deflected_time // sc.interval).astype(np.int64), n - 1)
    kpis["deflected"] = np.bincount(bot_k * nq + out.deflected_queue, minlength=n * nq)
    return pd.DataFrame({
        "replication": replication,
        "interval_start": np.repeat(interval_starts(sc), nq),
        "queue": np.tile(list(sc.queues), n),
        "channel": np.tile([q.channel for q in sc.queues.values()], n),
        **kpis,
        "sl_target": np.tile([q.sla.target for q in sc.queues.values()], n),
        "max_queue_len": out.max_queue_len.reshape(-1),
        "backlog": out.backlog.reshape(-1),
    })


def queue_totals(sc: Scenario, out: EngineOutput, replication: int, per: dict | None = None) -> pd.DataFrame:
    """One row per queue with the KPIs over the whole horizon (``per`` as in ``queue_intervals``)."""
    c = out.contacts
    ends = final_end(c)
    per = per if per is not None else conversation_values(sc, c, out.messages)
    kpis = queue_kpis(sc, c, ends, c.queue.astype(np.int64), len(sc.queues), per)
    kpis["deflected"] = np.bincount(out.deflected_queue, minlength=len(sc.queues))
    kpis["carried_in"] = np.bincount(c.queue[c.time < 0], minlength=len(sc.queues))
    # Resolution time: arrival to the customer's final resolution, escalations included.
    span = np.where(c.time < 0, np.nan, ends - c.time)
    resolution = [span[(c.queue == q) & ~np.isnan(span)] for q in range(len(sc.queues))]
    kpis["resolution_mean_s"] = [r.mean() if r.size else np.nan for r in resolution]
    kpis["resolution_p90_s"] = [np.quantile(r, 0.9) if r.size else np.nan for r in resolution]
    talking = [q.converses for q in sc.queues.values()]
    first = per["first_response"] if per is not None else None
    mine = [(c.queue == q) & (c.time >= 0) for q in range(len(sc.queues))]
    kpis["first_response_p90_s"] = [
        np.nanquantile(first[m], 0.9) if talks and np.isfinite(first[m]).any() else np.nan
        for m, talks in zip(mine, talking)]
    with np.errstate(invalid="ignore", divide="ignore"):
        kpis["escalation_rate"] = kpis["escalated"] / kpis["answered"]
        kpis["first_contact_resolution"] = kpis["resolved_first_contact"] / kpis["resolved"]
    return pd.DataFrame({"replication": replication, "queue": list(sc.queues), **kpis})


def class_totals(sc: Scenario, out: EngineOutput, replication: int, per: dict | None = None) -> pd.DataFrame:
    """One row per (queue, customer class) with the KPIs over the horizon (``queue.class_names``; ``per``
    as in ``queue_intervals``).
    """
    c = out.contacts
    per = per if per is not None else conversation_values(sc, c, out.messages)
    names = [(q, name) for q, spec in sc.queues.items() for name in spec.class_names]
    first = np.cumsum([0] + [len(spec.class_names) for spec in sc.queues.values()])[:-1]
    kpis = queue_kpis(sc, c, final_end(c), first[c.queue] + c.customer_class, len(names), per)
    return pd.DataFrame({"replication": replication, "queue": [q for q, _ in names],
                         "customer_class": [name for _, name in names], **kpis})


_SPAN_CHUNK = 1 << 16   # spans split at a time: bounds the temporary memory of long runs


def span_seconds(spans: Spans, agent_group: np.ndarray, n_groups: int, interval: float, n: int) -> np.ndarray:
    """Seconds covered by the spans of each group within each interval, shape (n, groups).

    Each span adds its partial first and last intervals directly and one full interval to every
    interval in between (through a difference array), so no error accumulates over the horizon.
    """
    cells = n * n_groups
    seconds = np.zeros(cells)
    steps = np.zeros(cells + n_groups, dtype=np.int64)
    for lo in range(0, spans.agent.size, _SPAN_CHUNK):
        group = agent_group[spans.agent[lo:lo + _SPAN_CHUNK]]
        start = np.clip(spans.start[lo:lo + _SPAN_CHUNK], 0.0, n * interval)
        end = np.clip(spans.end[lo:lo + _SPAN_CHUNK], 0.0, n * interval)
        keep = end > start
        group, start, end = group[keep], start[keep], end[keep]
        first = np.minimum((start // interval).astype(np.int64), n - 1)
        last = np.maximum(np.ceil(end / interval).astype(np.int64) - 1, first)
        same = first == last
        seconds += np.bincount(first * n_groups + group,
                               np.where(same, end - start, (first + 1) * interval - start), minlength=cells)
        seconds += np.bincount(last * n_groups + group, np.where(same, 0.0, end - last * interval),
                               minlength=cells)
        inner = last > first + 1
        steps += np.bincount((first[inner] + 1) * n_groups + group[inner], minlength=cells + n_groups)
        steps -= np.bincount(last[inner] * n_groups + group[inner], minlength=cells + n_groups)
    full = np.cumsum(steps[:cells].reshape(n, n_groups), axis=0)
    return seconds.reshape(n, n_groups) + full * interval


def group_intervals(sc: Scenario, out: EngineOutput, replication: int) -> pd.DataFrame:
    """One row per (interval, group): staffing, busy time, occupancy, overtime and contacts answered."""
    c = out.contacts
    ng, n = len(sc.groups), sc.n_intervals
    staffed, busy, overtime, wrap_up, not_ready, shrinkage, writing = (
        span_seconds(spans, out.agent_group, ng, sc.interval, n)
        for spans in (out.staffed, out.busy, out.overtime, out.wrap_up, out.not_ready, out.shrinkage, out.writing))
    answered = c.outcome == ANSWERED
    answer_time = c.time[answered] + c.wait[answered]
    in_service = Spans(c.agent[answered], answer_time, np.nan_to_num(c.end[answered], nan=sc.horizon))
    contact = span_seconds(in_service, out.agent_group, ng, sc.interval, n)
    slots = staffed * np.array([g.concurrency for g in sc.groups.values()])
    k = np.minimum((answer_time // sc.interval).astype(np.int64), n - 1)
    handled = np.bincount(k * ng + c.group[answered], minlength=n * ng).reshape(n, ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "replication": replication,
            "interval_start": np.repeat(interval_starts(sc), ng),
            "group": np.tile(list(sc.groups), n),
            "agents_on_shift": (staffed / sc.interval).reshape(-1),
            "staffed_agent_s": staffed.reshape(-1),
            "busy_agent_s": busy.reshape(-1),
            "available_agent_s": (staffed - busy).reshape(-1),
            "occupancy": (busy / staffed).reshape(-1),
            "contact_s": contact.reshape(-1),
            "wrap_up_s": wrap_up.reshape(-1),
            "slot_utilisation": ((contact + wrap_up) / slots).reshape(-1),
            "open_contacts": (contact / staffed).reshape(-1),
            "overtime_agent_s": overtime.reshape(-1),
            "not_ready_agent_s": not_ready.reshape(-1),
            "shrinkage_agent_s": shrinkage.reshape(-1),
            "writing_agent_s": writing.reshape(-1),
            "reply_occupancy": (writing / staffed).reshape(-1),
            "answered": handled.reshape(-1).astype(np.int64),
        })


def contact_records(sc: Scenario, out: EngineOutput, replication: int) -> pd.DataFrame:
    """One row per contact (opt-in output): arrival, queue, outcome, wait, service end, group, agent."""
    c = out.contacts
    outcome = np.array(OUTCOMES)[c.outcome]
    return pd.DataFrame({
        "replication": replication,
        "arrival_s": c.time,
        "queue": np.array(list(sc.queues))[c.queue],
        "attempt": c.attempt,
        "outcome": outcome,
        "balked": c.balked,
        "auto_approved": c.auto,
        "amount": c.amount,
        "level": np.array([*sc.levels, ""])[c.level] if sc.levels else "",
        "customer_class": _class_names(sc, c),
        "escalated": c.escalated,
        "origin": c.origin,
        "caller": first_attempt(c),
        "repeat_of": c.repeat_of,
        "repeat_at_s": c.repeat_at,
        "dial": np.array([*DIAL_OUTCOMES, ""])[c.dial],
        "wait_s": c.wait,
        "handle_s": c.end - c.time - c.wait,
        "wrap_s": c.wrap,
        "end_s": c.end,
        "group": np.array(list(sc.groups) + [""])[c.group],
        "agent": c.agent,
    })


def _class_names(sc: Scenario, c: Contacts) -> np.ndarray:
    """Each contact's customer class name."""
    names = np.array([name for q in sc.queues.values() for name in q.class_names])
    first = np.cumsum([0] + [len(q.class_names) for q in sc.queues.values()])[:-1]
    return names[first[c.queue] + c.customer_class]


def agent_spans(sc: Scenario, out: EngineOutput, replication: int) -> pd.DataFrame:
    """One row per agent span (opt-in output): kind staffed, busy, overtime or breaks, with the shift."""
    rows = []
    for kind in SPAN_KINDS:
        spans: Spans = getattr(out, kind)
        rows.append(pd.DataFrame({"agent": spans.agent, "kind": kind,
                                  "start_s": spans.start, "end_s": spans.end}))
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "replication", replication)
    table["group"] = np.array(list(sc.groups))[out.agent_group[table["agent"]]]
    table["shift_start_s"] = out.agent_shift[table["agent"], 0]
    table["shift_end_s"] = out.agent_shift[table["agent"], 1]
    return table
