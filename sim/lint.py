"""Likely mistakes in a valid scenario: warnings that name the key and what looks wrong, never errors.

A planner's scenario can be valid and still not say what was meant: a handle time of 5 (seconds, surely
meant minutes), a shift whose end comes before its start (a long night shift, or start and end swapped),
a queue nobody serves for hours while contacts arrive, a team that goes on break all at once.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from sim.ceilings import near_ceiling, unattainable
from sim.channels import channel_of
from sim.distributions import Constant, Empirical
from sim.orders import expected_from_orders
from sim.rates import rate_curve
from sim.scenario import DAY, Scenario, level_of
from sim.units import format_span, format_time_of_day

SHORT_HANDLE_S = 30.0      # a chat or call handled faster than this is rarely meant
SHORT_PATIENCE_S = 10.0    # customers who wait less than this on average are rarely meant
SHORT_BREAK_S = 300.0      # a break shorter than this is rarely meant
LONG_NIGHT_S = 12 * 3600.0  # a shift crossing midnight longer than this may have start and end swapped
UNSTAFFED_S = 3600.0       # a queue without anyone on shift this long, while contacts arrive, is reported
SHOWN = 3                  # windows listed per queue


def warnings(sc: Scenario) -> list[str]:
    """One line per likely mistake, ``key.path: what looks wrong``; empty when nothing does."""
    return [*_short_durations(sc), *_short_breaks(sc), *_night_shifts(sc), *_unstaffed(sc), *_team_breaks(sc),
            *_reserves(sc), *_surges_without_arrivals(sc), *_idle_queues(sc), *unattainable(sc).values(),
            *near_ceiling(sc).values()]


def _short_breaks(sc: Scenario):
    """Breaks shorter than ``SHORT_BREAK_S``: seconds typed where minutes or hours were meant."""
    for gname, group in sc.groups.items():
        for i, shift in enumerate(group.shifts or ()):
            for j, pause in enumerate(shift.breaks):
                if pause.duration < SHORT_BREAK_S:
                    yield (f"groups.{gname}.shifts.{i}.breaks.{j}.duration: a break of {pause.duration:g} s is very "
                           "short; numbers without a unit are seconds (write 1h for an hour)")


def _idle_queues(sc: Scenario):
    """Queues no work ever reaches: no arrivals, orders or backlog of their own, and no queue that gets work
    escalates (with a level its agents lack), moves or repeats work to them, or calls back after it.
    """
    levels = {name: set() for name in sc.queues}             # the levels the items reaching a queue may need
    reached = set()
    for name, q in sc.queues.items():
        if q.arrivals is not None or q.from_orders or q.backlog is not None:
            reached.add(name)
            levels[name] |= {r.level for r in q.levels_by_amount} | ({q.remedy.level} if q.remedy else set())
    lowest = {name: min((level_of(sc, g) for g in sc.groups.values() if name in g.skills), default=None)
              for name in sc.queues}
    changed = True
    while changed:
        before = (len(reached), sum(map(len, levels.values())))
        for name in list(reached):
            q = sc.queues[name]
            for level, target in q.escalate_to.items():
                if level in levels[name] and lowest[name] is not None and lowest[name] < sc.levels.index(level):
                    reached.add(target)
                    levels[target].add(level)
            for target in [q.escalate_after.to if q.escalate_after else None, q.repeat.to if q.repeat else None]:
                if target is not None:
                    reached.add(target)
                    levels[target] |= levels[name]
        reached |= {name for name, q in sc.queues.items()
                    if q.after_resolution is not None and reached & set(q.after_resolution.queues)}
        changed = before != (len(reached), sum(map(len, levels.values())))
    for name in sc.queues:
        if name in reached:
            continue
        idle = [g for g, group in sc.groups.items() if set(group.skills) == {name}]
        also = f"; {', '.join(idle)}, serving only it, would wait idle" if idle else ""
        yield (f"queues.{name}: no work ever reaches it: it has no arrivals of its own, and no queue escalates "
               f"(with a level its agents lack), moves or repeats work to it{also}")


def _surges_without_arrivals(sc: Scenario):
    """Surges that name a queue whose contacts all come from orders: they multiply nothing there."""
    for i, surge in enumerate(sc.surges):
        for name in surge.queues or ():
            q = sc.queues.get(name)
            if q is not None and q.arrivals is None and q.from_orders:
                yield (f"surges.{i}.queues: {name} has no arrivals of its own, only contacts from orders, which "
                       "a surge does not multiply; name 'orders' to surge the orders it follows")


def _short_durations(sc: Scenario):
    for name, q in sc.queues.items():
        if channel_of(q).on_resolution:
            continue
        ht = q.handle_time
        key = "value" if isinstance(ht, Constant) else "values" if isinstance(ht, Empirical) else "mean"
        if ht.mean < SHORT_HANDLE_S:
            yield (f"queues.{name}.handle_time.{key}: a {q.channel} handled in {ht.mean:g} s on average is very "
                   f"short; numbers without a unit are seconds (write 5min for five minutes)")
        if q.patience is not None and q.patience.mean < SHORT_PATIENCE_S:
            yield (f"queues.{name}.patience: customers who give up after {q.patience.mean:g} s on average are "
                   f"very impatient; numbers without a unit are seconds (write 2min for two minutes)")


def _night_shifts(sc: Scenario):
    for gname, group in sc.groups.items():
        for i, shift in enumerate(group.shifts or ()):
            start, end = format_time_of_day(shift.start), format_time_of_day(shift.end)
            if shift.start == shift.end:
                yield f"groups.{gname}.shifts.{i}: starts and ends at {start}, a 24-hour shift"
            elif shift.end < shift.start and shift.length > LONG_NIGHT_S:
                yield (f"groups.{gname}.shifts.{i}: ends at {end}, before its {start} start, so it runs overnight "
                       f"for {shift.length / 3600:g} h; swap start and end if you meant {end}-{start}")


def _unstaffed(sc: Scenario):
    on_shift = sc.scheduled_agents()
    for name, q in sc.queues.items():
        if not channel_of(q).patience or (q.arrivals is None and not q.from_orders):
            continue                                    # items nobody abandons wait for the next shift
        staffed = sum((on_shift[g] for g, group in sc.groups.items() if name in group.skills),
                      np.zeros(sc.n_intervals)) > 0
        arriving = expected_from_orders(sc, name)
        if q.arrivals is not None:
            curve = rate_curve(sc, name)
            cumulative = np.concatenate([[0.0], np.cumsum(curve.rates * np.diff(curve.edges))])
            arriving += np.diff(np.interp(np.arange(sc.n_intervals + 1) * sc.interval, curve.edges, cumulative))
        gaps = []
        for first, stop in _runs(~staffed & (arriving > 0)):
            if (stop - first) * sc.interval >= UNSTAFFED_S and arriving[first:stop].sum() >= 1:
                gaps.append((first, stop, arriving[first:stop].sum()))
        for first, stop, expected in gaps[:SHOWN]:
            yield (f"queues.{name}: nobody who serves it is on shift {_when(sc, first, stop)} while about "
                   f"{expected:,.0f} contacts arrive")
        if len(gaps) > SHOWN:
            yield f"queues.{name}: and {len(gaps) - SHOWN} more such windows"


def _team_breaks(sc: Scenario):
    """Breaks during which every agent of a group on shift is on a break (more than one agent on shift)."""
    for gname in sc.groups:
        occurrences = sc.shift_occurrences(gname)
        breaks = [(occ.row, j, at, duration, occ.count) for occ in occurrences
                  for j, (at, duration) in enumerate(occ.breaks)]
        if not breaks:
            continue
        middles = np.array([at + duration / 2 for _, _, at, duration, _ in breaks])
        working = _active([o.start for o in occurrences], [o.end for o in occurrences],
                          [o.count for o in occurrences], middles)
        resting = _active([b[2] for b in breaks], [b[2] + b[3] for b in breaks], [b[4] for b in breaks], middles)
        seen = set()
        for (row, j, *_), middle, on, off in zip(breaks, middles, working, resting):
            if (row, j) in seen or not 0 <= middle < sc.horizon or on <= 1 or off < on:
                continue
            seen.add((row, j))
            yield (f"groups.{gname}.shifts.{row}.breaks.{j}: all {on:g} agents of {gname} on shift are on a break "
                   f"at {format_time_of_day((middle + sc.start_offset) % DAY)} on "
                   f"{(sc.start + timedelta(seconds=float(middle))).date()}; stagger the breaks")


def _reserves(sc: Scenario):
    """Reserves that keep every agent the group ever has on shift: it would take nothing else."""
    on_shift = sc.scheduled_agents()
    for gname, group in sc.groups.items():
        most = on_shift[gname].max(initial=0) if group.shifts is not None else group.headcount
        if group.reserve is not None and group.reserve.agents >= most:
            yield (f"groups.{gname}.reserve.agents: keeps {group.reserve.agents} idle for {group.reserve.queue}, but "
                   f"the group never has more than {most:g} on shift, so it takes nothing else")


def _active(starts, ends, counts, times: np.ndarray) -> np.ndarray:
    """How many are active at each of ``times``: the sum of ``counts`` of spans [start, end) covering it."""
    starts, ends, counts = (np.asarray(x, dtype=float) for x in (starts, ends, counts))
    by_start, by_end = np.argsort(starts), np.argsort(ends)
    began = np.concatenate([[0.0], np.cumsum(counts[by_start])])[np.searchsorted(starts[by_start], times, "right")]
    ended = np.concatenate([[0.0], np.cumsum(counts[by_end])])[np.searchsorted(ends[by_end], times, "right")]
    return began - ended


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) index pairs of the runs of True in ``flags``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(int), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _when(sc: Scenario, first: int, stop: int) -> str:
    at = [sc.start + timedelta(seconds=k * sc.interval) for k in (first, stop)]
    return format_span(*at)
