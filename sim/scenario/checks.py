"""Checks that involve several parts of a scenario (skills naming queues, shifts inside the horizon,
profile lengths, permission levels), run once every key is valid; each problem names its key path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sim.channels import QueueBase, channel_of
from sim.distributions import Constant, Empirical, OrderValueShare
from sim.scenario.model import Scenario, level_of
from sim.scenario.staff import Shift
from sim.scenario.types import DAY, ORDERS, WEEKDAYS, hint


@dataclass(frozen=True)
class Problem:
    """A problem at a key path of the scenario, e.g. ``groups.day.skills``: ``unknown queue, got 'x'``."""

    path: str
    message: str


def cross_problems(sc: Scenario) -> list[Problem]:
    """Every problem that involves several parts of a scenario valid key by key."""
    return [Problem(path, message) for path, message in _problems(sc)]


def _problems(sc: Scenario):
    """Yield (key path, message) pairs: the clock, profiles, queues, surges and groups."""
    if DAY % sc.interval:
        yield "interval", f"must divide one day evenly, got {sc.interval:g}s"
    elif abs(sc.horizon / sc.interval - round(sc.horizon / sc.interval)) > 1e-9:
        yield "horizon", f"must be a whole number of intervals ({sc.interval:g}s), got {sc.horizon:g}s"
    elif sc.start_offset % sc.interval:
        yield "start", f"must fall on an interval boundary, got {sc.start.time()}"
    specs = {f"queues.{name}.arrivals": q.arrivals for name, q in sc.queues.items()}
    specs["orders.arrivals"] = sc.orders.arrivals if sc.orders else None
    if sc.orders is not None and sc.orders.plan is not None and not DAY % sc.interval:
        yield from _plan_problems(sc)
    for path, spec in specs.items():
        if spec is None or DAY % sc.interval:
            continue
        profiles = {f"{path}.profile": spec.profile,
                    **{f"{path}.weekday_profiles.{day}": weights for day, weights in spec.weekday_profiles.items()}}
        if spec.forecast is not None and len(spec.forecast) != sc.n_intervals:
            yield (f"{path}.forecast", f"needs one volume per interval of the horizon ({sc.n_intervals}), "
                   f"got {len(spec.forecast)}")
        for key, weights in profiles.items():
            if len(weights) not in (24, sc.intervals_per_day):
                yield key, f"needs 24 hourly weights or {sc.intervals_per_day} (one per interval), got {len(weights)}"
    for qname, q in sc.queues.items():
        if not any(qname in g.skills for g in sc.groups.values()):
            yield f"queues.{qname}", "no group has this queue among its skills"
        yield from _demand_problems(sc, qname, q)
        yield from _routing_problems(sc, qname, q)
        yield from _level_problems(sc, qname, q)
    for i, surge in enumerate(sc.surges):
        for qname in surge.queues or ():
            if qname not in sc.queues and not (qname == ORDERS and sc.orders is not None):
                yield f"surges.{i}.queues", f"unknown queue{hint(qname, sc.queues)}, got {qname!r}"
        if sc.clock(surge.end) <= 0 or sc.clock(surge.start) >= sc.horizon:
            yield f"surges.{i}", f"window {surge.start} - {surge.end} lies outside the horizon"
    for gname, g in sc.groups.items():
        if g.level is not None and g.level not in sc.levels:
            yield f"groups.{gname}.level", f"unknown level{hint(g.level, sc.levels)}, got {g.level!r}"
        for qname in g.skills:
            if qname not in sc.queues:
                yield f"groups.{gname}.skills", f"unknown queue{hint(qname, sc.queues)}, got {qname!r}"
        if g.reserve is not None and g.reserve.queue not in g.skills:
            yield (f"groups.{gname}.reserve.queue", f"must be one of the group's skills {list(g.skills)}, "
                   f"got {g.reserve.queue!r}")
        for i, shift in enumerate(g.shifts or ()):
            yield from _shift_problems(sc, f"groups.{gname}.shifts.{i}", shift)
        for i, window in enumerate(g.mass_absences):
            if sc.clock(window.end) <= 0 or sc.clock(window.start) >= sc.horizon:
                yield (f"groups.{gname}.mass_absences.{i}",
                       f"window {window.start} - {window.end} lies outside the horizon")


def _plan_problems(sc: Scenario):
    """The sales plan's profiles, and days that reach the horizon."""
    plan = sc.orders.plan
    for key, weights in {"orders.plan.profile": plan.profile,
                         **{f"orders.plan.day_profiles.{d}": w for d, w in plan.day_profiles.items()}}.items():
        if len(weights) not in (24, sc.intervals_per_day):
            yield key, f"needs 24 hourly weights or {sc.intervals_per_day} (one per interval), got {len(weights)}"
    for d in plan.day_profiles:
        if d not in plan.days:
            yield f"orders.plan.day_profiles.{d}", f"not a day of the plan ({plan.first_day} to {plan.last_day})"
    last = sc.day(sc.n_days - 1)
    if plan.last_day < sc.start.date() or plan.first_day > last:
        yield "orders.plan.days", (f"the plan ({plan.first_day} to {plan.last_day}) does not reach the horizon "
                                   f"({sc.start.date()} to {last})")


def _routing_problems(sc: Scenario, qname: str, q: QueueBase):
    """Customer classes and overflow groups of one queue."""
    path = f"queues.{qname}"
    names = [c.name for c in q.classes]
    for i, name in enumerate(names):
        if name == "others" or names.index(name) < i:
            yield f"{path}.classes.{i}.name", f"must be unique and not 'others' (the rest), got {name!r}"
    total = sum(c.share for c in q.classes)
    if total > 1 + 1e-9:
        yield f"{path}.classes", f"shares add up to more than 1, got {total:g}"
    if q.overflow is not None:
        for gname in q.overflow.groups:
            if gname not in sc.groups:
                yield f"{path}.overflow.groups", f"unknown group{hint(gname, sc.groups)}, got {gname!r}"
            elif qname in sc.groups[gname].skills:
                yield f"{path}.overflow.groups", f"group {gname!r} serves this queue from the start, got {gname!r}"


def _fed_by_other_queues(sc: Scenario) -> set[str]:
    """Queues other queues pass contacts to: escalations, repeats and call-backs (and those with a backlog)."""
    return ({target for q in sc.queues.values() for target in q.escalate_to.values()}
            | {q.repeat.to for q in sc.queues.values() if q.repeat is not None and q.repeat.to is not None}
            | {q.escalate_after.to for q in sc.queues.values() if q.escalate_after is not None}
            | {name for name, q in sc.queues.items() if q.after_resolution is not None or q.backlog is not None})


def _demand_problems(sc: Scenario, qname: str, q: QueueBase):
    """Demand source, orders and a deadline that auto-approves before anyone could finish."""
    path = f"queues.{qname}"
    fed_by_others = qname in _fed_by_other_queues(sc)
    if q.arrivals is None and not q.from_orders and not fed_by_others:
        yield path, ("needs 'arrivals' or 'from_orders' (or to be another queue's 'escalate_to', "
                     "'escalate_after.to' or 'repeat.to', or a 'backlog')")
    balance = q.balance.amount if q.balance is not None else None
    needs_orders = q.from_orders or isinstance(q.amount, OrderValueShare) or isinstance(balance, OrderValueShare)
    if needs_orders and sc.orders is None:
        yield path, "'from_orders' and an 'order_value_share' amount need a top-level 'orders' section"
    targets = {"repeat.to": q.repeat.to if q.repeat is not None else None,
               "escalate_after.to": q.escalate_after.to if q.escalate_after is not None else None}
    for key, target in targets.items():
        if target is not None and target not in sc.queues:
            yield f"{path}.{key}", f"unknown queue{hint(target, sc.queues)}, got {target!r}"
    if q.escalate_after is not None and q.escalate_after.to == qname:
        yield f"{path}.escalate_after.to", f"must be another queue, got {qname!r}"
    if q.after_resolution is not None:
        for source in q.after_resolution.queues:
            if source not in sc.queues:
                yield f"{path}.after_resolution.queues", f"unknown queue{hint(source, sc.queues)}, got {source!r}"
            elif channel_of(sc.queues[source]).dials:
                yield (f"{path}.after_resolution.queues", f"calls follow up inbound work, not another call list, "
                       f"got {source!r}")
    window = q.campaign.window if q.campaign is not None else None
    if window is not None and (sc.clock(window.end) <= 0 or sc.clock(window.start) >= sc.horizon):
        yield (f"{path}.campaign.window", f"outside the horizon ({sc.start} + {sc.horizon / 3600:g} h), got "
               f"{window.start} to {window.end}")
    phases = [p.name for p in sc.orders.phases] if sc.orders is not None else []
    for i, source in enumerate(q.from_orders):
        for name in source.phases or ():
            if name not in phases:
                yield (f"{path}.from_orders.{i}.phases", f"unknown phase{hint(name, phases)} (orders.plan.phases: "
                       f"{phases}), got {name!r}")
    if q.deadline is not None and channel_of(q).auto_approves:
        speeds = [g.skills[qname] * max((s.proficiency for s in g.shifts or ()), default=1.0)
                  for g in sc.groups.values() if qname in g.skills]
        fastest = max(speeds, default=1.0)
        ht = q.handle_time
        shortest = min(ht.values) if isinstance(ht, Empirical) else ht.value if isinstance(ht, Constant) else 0.0
        if q.deadline < max(shortest, ht.mean) / fastest:
            yield (f"{path}.deadline", f"shorter than the handle time of the fastest agents "
                   f"({max(shortest, ht.mean) / fastest:g}s on average), got {q.deadline:g}s")


def _level_problems(sc: Scenario, qname: str, q: QueueBase):
    """Permission levels: names exist, rules cover every amount, and every item can be resolved."""
    path = f"queues.{qname}"
    known = set(sc.levels)
    rules = q.levels_by_amount
    named = [(f"levels_by_amount.{i}.level", r.level) for i, r in enumerate(rules)]
    if q.remedy is not None:
        named.append(("remedy.level", q.remedy.level))
    for key, level in named:
        if level not in known:
            yield f"{path}.{key}", f"unknown level{hint(level, known)} (levels: {list(sc.levels)}), got {level!r}"
    for level, target in q.escalate_to.items():
        if level not in known:
            yield f"{path}.escalate_to", f"unknown level{hint(level, known)}, got {level!r}"
        if target not in sc.queues:
            yield f"{path}.escalate_to.{level}", f"unknown queue{hint(target, sc.queues)}, got {target!r}"
        elif level in known:
            for gname, g in sc.groups.items():
                if target in g.skills and level_of(sc, g) < sc.levels.index(level):
                    yield (f"groups.{gname}.level", f"serves escalation queue {target!r}, which needs {level}, "
                           f"got {g.level or sc.levels[0]!r}")
    for i, r in enumerate(rules):
        if r.up_to is not None and r.up_to_share is not None:
            yield f"{path}.levels_by_amount.{i}", "give 'up_to' or 'up_to_share', not both"
        if r.up_to_share is not None and sc.orders is None:
            yield f"{path}.levels_by_amount.{i}.up_to_share", "needs a top-level 'orders' section"
    if rules and (rules[-1].up_to is not None or rules[-1].up_to_share is not None):
        yield (f"{path}.levels_by_amount", "amounts above the last bound have no level: end with a rule "
               "without 'up_to'")
    if rules and q.amount is None:
        yield f"{path}.amount", "levels_by_amount needs an amount per item"
    for level in dict.fromkeys(level for _, level in named):
        if level not in known:
            continue
        lacking = [g for g, grp in sc.groups.items()
                   if qname in grp.skills and level_of(sc, grp) < sc.levels.index(level)]
        if lacking and level not in q.escalate_to:
            yield (f"{path}.escalate_to", f"groups {lacking} are below {level} and no escalation queue is given "
                   f"for {level}")


def _shift_problems(sc: Scenario, path: str, shift: Shift):
    dated = [d for d in shift.days or () if isinstance(d, date)]
    for d in dated:
        start = (d - sc.start.date()).days * DAY + shift.start - sc.start_offset
        if start >= sc.horizon or start + shift.length <= 0:
            yield f"{path}.days", f"shift on {d} lies outside the horizon, got {d.isoformat()}"
    if shift.days and not dated:
        weekdays = {WEEKDAYS[sc.day(i).weekday()] for i in range(-1, sc.n_days)}
        if not weekdays & set(shift.days):
            yield f"{path}.days", f"no such weekday inside the horizon, got {list(shift.days)}"

