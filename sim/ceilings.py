"""The service level a queue's own parameters allow, whatever the staffing (its ceiling).

A target above the ceiling cannot be met by any number of agents, and one just under it only by
staffing for almost no wait at all. What caps each channel:

- an outbound queue's service level is its answer rate, which is the ``pickup``'s: (1 − busy) × answer ×
  P(picks up within the rings); staffing does not move it at all (``Channel.staffing_moves_sl``);
- a conversation chat's first reply takes the agent's own writing time: the share of first replies (with
  ``sla.on: every_message``, of whole conversations) written in time at one open chat and the fastest
  proficiency serving the queue (``DRAWS`` draws of a generator of its own);
- a refund is resolved no sooner than its handle time at the fastest proficiency, and an item the
  platform approves at its ``deadline`` counts against the service level: P(handle time ≤ the sooner of
  ``resolve_within`` and the deadline).

Calls, plain chats and tickets (service level on the wait alone) have no ceiling below 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.channels import channel_of
from sim.scenario import Scenario
from sim.units import format_duration

DRAWS = 100_000          # draws estimating a conversation chat's ceiling
NEAR = 0.05              # a target this close under its ceiling needs staffing for almost no wait


@dataclass(frozen=True)
class Ceiling:
    """The highest service ``level`` any staffing gives a queue and what sets it (``cause``, a phrase)."""

    level: float
    cause: str


def ceiling(sc: Scenario, queue: str) -> Ceiling | None:
    """The queue's ceiling, or None where the service level can reach 1."""
    q = sc.queues[queue]
    if channel_of(q).dials:
        p = q.pickup
        ring = float(p.answers_after.cdf(p.gives_up_after))
        return Ceiling(p.reach_probability(), f"the answer rate is the customers' pickup, whatever the staffing: "
                       f"(1 − busy {p.busy:g}) × answer {p.answer:g} × {ring:.0%} picking up within {p.rings} rings "
                       f"of {format_duration(p.ring)}")
    talk = q.conversation
    if talk is not None:
        return _conversation(sc, queue)
    if channel_of(q).on_resolution:
        window = min(q.sl_threshold(), q.deadline if q.deadline is not None else np.inf)
        level = float(q.handle_time.cdf(window * _fastest(sc, queue)))
        if level < 1:
            which = "the platform's deadline" if window < q.sl_threshold() else "resolve_within"
            return Ceiling(level, f"only {level:.1%} of items take less than {which} ({format_duration(window)}) to "
                                  "handle, at the fastest proficiency serving the queue")
    return None


def _fastest(sc: Scenario, queue: str) -> float:
    """The highest proficiency on ``queue`` of the groups serving it (its overflow groups included)."""
    overflow = sc.queues[queue].overflow
    speeds = [g.skills[queue] for g in sc.groups.values() if queue in g.skills]
    speeds += list(overflow.groups.values()) if overflow is not None else []
    return max(speeds, default=1.0)


def _conversation(sc: Scenario, queue: str) -> Ceiling:
    q = sc.queues[queue]
    talk = q.conversation
    slowdown = talk.slowdown[0] if talk.slowdown else 1.0
    rng = np.random.default_rng(0)
    work = talk.reply.sample(rng, DRAWS) * slowdown / _fastest(sc, queue)
    first = float(np.mean(work <= q.sl_threshold()))
    if q.judges_every_message:
        later = float(np.mean(work <= q.message_threshold()))
        rounds = np.maximum(1, np.round(talk.rounds.sample(rng, DRAWS)))
        level = float(np.mean(first * later ** (rounds - 1)))
        return Ceiling(level, f"writing every reply in time alone succeeds in {level:.1%} of conversations, at one "
                              "open chat and the fastest proficiency")
    return Ceiling(first, f"writing the first reply alone takes longer than {format_duration(q.sl_threshold())} in "
                          f"{1 - first:.1%} of conversations, at one open chat and the fastest proficiency")


def unattainable(sc: Scenario, queues: list[str] | None = None) -> dict[str, str]:
    """Queue → why no staffing meets its target, for the queues (of ``queues``, default all) whose target
    is above their ceiling.
    """
    out = {}
    for name in queues if queues is not None else sc.queues:
        cap, target = ceiling(sc, name), sc.queues[name].sla.target
        if cap is not None and target > cap.level:
            out[name] = (f"queues.{name}.sla.target: {target:.0%} cannot be met by any staffing: {cap.cause}, so "
                         f"no staffing gives more than {cap.level:.1%}; {_remedy(sc, name)}")
    return out


def near_ceiling(sc: Scenario, queues: list[str] | None = None) -> dict[str, str]:
    """Queue → a caveat, for the queues whose target is attainable but within ``NEAR`` of their ceiling,
    where staffing changes it (a requirement far above the formulas').
    """
    out = {}
    for name in queues if queues is not None else sc.queues:
        q = sc.queues[name]
        cap, target = ceiling(sc, name), q.sla.target
        if cap is not None and channel_of(q).staffing_moves_sl and cap.level - NEAR < target <= cap.level:
            out[name] = (f"queues.{name}.sla.target: {target:.0%} is {100 * (cap.level - target):.1f} points under "
                         f"the {cap.level:.1%} no staffing can exceed ({cap.cause}): meeting it needs almost no "
                         f"wait at all, far more agents than the formulas say; {_remedy(sc, name)}")
    return out


def _remedy(sc: Scenario, queue: str) -> str:
    """What to change to lift or meet the ceiling."""
    q = sc.queues[queue]
    if channel_of(q).dials:
        return "lower sla.target to what customers pick up, or change the pickup if it is wrong"
    if q.converses:
        return "lower sla.target, lengthen sla.answer_within or shorten the reply work"
    return "lower sla.target, lengthen sla.resolve_within (or the deadline) or shorten the handle time"
