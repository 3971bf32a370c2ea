"""Chats as conversations (``ChatQueue.conversation``): the engine's conversations component.

Once a chat's first message is taken, the conversation runs in rounds: the customer's message waits at
the agent for a reply; the agent writes one reply at a time across all its open conversations, first come
first served (or, with ``reply_order: new_first``, new conversations' first messages first), each taking
the queue's ``reply`` work (s, at proficiency 1) times the ``slowdown`` of the
conversations it has open; after a reply the customer answers after a ``gap`` (the agent is free for the
others meanwhile), until the conversation's ``rounds`` are done, when it ends (and its wrap-up follows).
A customer whose reply takes longer than its ``message_patience`` has left without a word: the
conversation holds its slot until ``idle_timeout`` after that reply. Two events a round: a reply
written, the customer's next message.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.records import Messages
from sim.scenario.parts import MAX_ROUNDS

if TYPE_CHECKING:
    from sim.agents import Agent, Agents
    from sim.arrivals import LaterDraws
    from sim.components import Kernel
    from sim.scenario import Scenario

_INF = float("inf")


class _Talk:
    """One open conversation: its agent (and the agent's desk) and queue, rounds left, its current message,
    when that message is before the agent (s; a first message admitted ahead of the clock is not before
    the agent earlier) and its patience (s).
    """

    __slots__ = ("agent", "desk", "q", "rounds_left", "message", "ready", "patience")

    def __init__(self, agent: Agent, desk: _Desk, q: int, rounds: int):
        self.agent, self.desk, self.q, self.rounds_left = agent, desk, q, rounds
        self.message, self.ready, self.patience = -1, 0.0, _INF


class _Draws:
    """Values of one distribution from one stream, drawn ``BATCH`` at a time (one NumPy call, not one per
    value), handed out in order.
    """

    BATCH = 1024
    __slots__ = ("dist", "rng", "values", "next")

    def __init__(self, dist, rng: np.random.Generator):
        self.dist, self.rng, self.values, self.next = dist, rng, [], 0

    def __call__(self) -> float:
        if self.next == len(self.values):
            self.values, self.next = self.dist.sample(self.rng, self.BATCH).tolist(), 0
        self.next += 1
        return self.values[self.next - 1]


class _Desk:
    """One agent's replies to write: ``replies`` (conversations whose customer awaits a reply, in order),
    ``firsts`` (with ``reply_order: new_first``, new conversations awaiting their first reply) and whether
    it is ``writing`` one now.
    """

    __slots__ = ("replies", "firsts", "writing")

    def __init__(self):
        self.replies, self.firsts, self.writing = deque(), deque(), False


class Conversations:
    """The conversations of a run (the engine's conversations component). ``kernel`` schedules (``at``),
    tells the time (``now``) and ends a contact (``end``); ``agents`` records the agents' writing spans;
    ``time`` is the contacts' arrival times; ``proficiency[g][q]`` speeds group g's replies on queue q.
    """

    def __init__(self, sc: Scenario, kernel: Kernel, agents: Agents, later: LaterDraws, time,
                 proficiency: list[dict[int, float]]):
        self.kernel, self.agents, self.time, self.proficiency = kernel, agents, time, proficiency
        self.conversation = [q.conversation for q in sc.queues.values()]
        self.new_first = [spec is not None and spec.reply_order == "new_first" for spec in self.conversation]
        self.talk_draws = {                 # each queue's rounds, replies, gaps and patience: a stream each
            q: {kind: _Draws(getattr(spec, kind), later.agent_stream(name, "conversation", kind))
                for kind in ("rounds", "reply", "gap", "message_patience") if getattr(spec, kind) is not None}
            for q, (name, spec) in enumerate(zip(sc.queues, self.conversation)) if spec is not None}
        self.talks: dict[int, _Talk] = {}
        self.desks: dict[int, _Desk] = {}            # by agent id
        self.sent_by, self.sent_at, self.replied_at, self.silent = array("q"), array("d"), array("d"), array("B")

    def begin(self, agent: Agent, i: int, q: int, now: float) -> None:
        """Contact ``i``'s first message is taken by ``agent`` at ``now``: its conversation begins."""
        rounds = max(1, int(round(min(self.talk_draws[q]["rounds"](), MAX_ROUNDS))))
        desk = self.desks.get(agent.id)
        if desk is None:
            desk = self.desks[agent.id] = _Desk()
        talk = self.talks[i] = _Talk(agent, desk, q, rounds)
        self._message(talk, i, self.time[i], now, first=True)

    def _message(self, talk: _Talk, i: int, sent: float, now: float, first: bool = False) -> None:
        """The customer of conversation ``i`` sent a message at ``sent``, before the agent from ``now``; the
        agent replies in turn.
        """
        talk.message, talk.ready = len(self.sent_at), now
        self.sent_by.append(i)
        self.sent_at.append(sent)
        self.replied_at.append(np.nan)
        self.silent.append(0)
        patience = self.talk_draws[talk.q].get("message_patience")
        talk.patience = _INF if first or patience is None else patience()
        desk = talk.desk
        (desk.firsts if first and self.new_first[talk.q] else desk.replies).append(i)
        if not desk.writing:
            self._write(talk.agent, desk, now)

    def _write(self, agent: Agent, desk: _Desk, now: float) -> None:
        """The agent writes its next reply, from ``now`` or once that message is before it."""
        i = desk.firsts.popleft() if desk.firsts else desk.replies.popleft()
        talk = self.talks[i]
        now = max(now, talk.ready)
        spec = self.conversation[talk.q]
        slowdown = spec.slowdown[min(agent.load, len(spec.slowdown)) - 1] if spec.slowdown else 1.0
        work = self.talk_draws[talk.q]["reply"]() * slowdown / (self.proficiency[agent.group][talk.q] * agent.speed)
        desk.writing = True
        self.agents.record("writing", agent, now, now + work)
        self.kernel.due(now + work, self._replied, agent, desk, i)

    def _replied(self, agent: Agent, desk: _Desk, i: int) -> None:
        """The agent sent its reply in conversation ``i``; the customer answers after a gap, or has left."""
        now = self.kernel.now
        talk = self.talks[i]
        spec = self.conversation[talk.q]
        self.replied_at[talk.message] = now
        if now - self.sent_at[talk.message] > talk.patience:        # gone, unseen: the platform closes it later
            self.silent[talk.message] = 1
            self.kernel.due(now + spec.idle_timeout, self._close, i)
        else:
            talk.rounds_left -= 1
            if talk.rounds_left == 0:
                self._close(i)
            else:
                sent = now + self.talk_draws[talk.q]["gap"]()
                self.kernel.due(sent, self._message, talk, i, sent, sent)
        desk.writing = False
        if desk.replies or desk.firsts:
            self._write(agent, desk, now)

    def _close(self, i: int) -> None:
        """Conversation ``i`` ends now: its slot is freed as a chat's end frees it (after any wrap-up)."""
        talk = self.talks.pop(i)
        self.kernel.end(talk.agent, i, talk.q)

    def messages(self) -> Messages:
        """The messages of the run, as arrays."""
        return Messages(np.frombuffer(self.sent_by, dtype=np.int64), np.frombuffer(self.sent_at),
                        np.frombuffer(self.replied_at), np.frombuffer(self.silent, dtype=np.uint8).astype(bool))
