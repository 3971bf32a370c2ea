"""Chats as conversations (``ChatQueue.conversation``): the message-level side of ``sim.engine.Model``.

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

import numpy as np

from sim.records import Messages
from sim.scenario.parts import MAX_ROUNDS

_INF = float("inf")


class _Talk:
    """One open conversation: its agent and queue, rounds left, its current message, when that message is
    before the agent (s; a first message admitted ahead of the clock is not before the agent earlier) and
    its patience (s).
    """

    __slots__ = ("agent", "q", "rounds_left", "message", "ready", "patience")

    def __init__(self, agent, q: int, rounds: int):
        self.agent, self.q, self.rounds_left, self.message, self.ready, self.patience = agent, q, rounds, -1, 0.0, _INF


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


class _Ended:
    """What ``Model._finish`` reads from the event of a contact's end, for a conversation that ends."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Conversations:
    """The conversations' side of ``sim.engine.Model``. The model provides ``sc``, ``env``, ``time``,
    ``proficiency``, ``later`` (streams), ``_at`` (schedule a callback), ``_record`` (an agent's span) and
    ``_finish`` (a contact ends).
    """

    def _set_up_conversations(self) -> None:
        self.conversation = [q.conversation for q in self.sc.queues.values()]
        self.new_first = [spec is not None and spec.reply_order == "new_first" for spec in self.conversation]
        self.talk_draws = {                 # each queue's rounds, replies, gaps and patience: a stream each
            q: {kind: _Draws(getattr(spec, kind), self.later.agent_stream(name, "conversation", kind))
                for kind in ("rounds", "reply", "gap", "message_patience") if getattr(spec, kind) is not None}
            for q, (name, spec) in enumerate(zip(self.sc.queues, self.conversation)) if spec is not None}
        self.talks: dict[int, _Talk] = {}
        self.sent_by, self.sent_at, self.replied_at, self.silent = array("q"), array("d"), array("d"), array("B")

    def _converse(self, agent, i: int, q: int, now: float) -> None:
        """Contact ``i``'s first message is taken by ``agent`` at ``now``: its conversation begins."""
        rounds = max(1, int(round(min(self.talk_draws[q]["rounds"](), MAX_ROUNDS))))
        talk = self.talks[i] = _Talk(agent, q, rounds)
        if agent.replies is None:
            agent.replies, agent.firsts = deque(), deque()
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
        agent = talk.agent
        (agent.firsts if first and self.new_first[talk.q] else agent.replies).append(i)
        if not agent.writing:
            self._write(agent, now)

    def _write(self, agent, now: float) -> None:
        """The agent writes its next reply, from ``now`` or once that message is before it."""
        i = agent.firsts.popleft() if agent.firsts else agent.replies.popleft()
        talk = self.talks[i]
        now = max(now, talk.ready)
        spec = self.conversation[talk.q]
        slowdown = spec.slowdown[min(agent.load, len(spec.slowdown)) - 1] if spec.slowdown else 1.0
        work = self.talk_draws[talk.q]["reply"]() * slowdown / (self.proficiency[agent.group][talk.q] * agent.speed)
        agent.writing = True
        self._record("writing", agent, now, now + work)
        self._at(now + work, lambda _e: self._replied(agent, i))

    def _replied(self, agent, i: int) -> None:
        """The agent sent its reply in conversation ``i``; the customer answers after a gap, or has left."""
        now = self.env.now
        talk = self.talks[i]
        spec = self.conversation[talk.q]
        self.replied_at[talk.message] = now
        if now - self.sent_at[talk.message] > talk.patience:        # gone, unseen: the platform closes it later
            self.silent[talk.message] = 1
            self._at(now + spec.idle_timeout, lambda _e: self._close(i))
        else:
            talk.rounds_left -= 1
            if talk.rounds_left == 0:
                self._close(i)
            else:
                sent = now + self.talk_draws[talk.q]["gap"]()
                self._at(sent, lambda _e: self._message(talk, i, sent, sent))
        agent.writing = False
        if agent.replies or agent.firsts:
            self._write(agent, now)

    def _close(self, i: int) -> None:
        """Conversation ``i`` ends now: its slot is freed as a chat's end frees it (after any wrap-up)."""
        talk = self.talks.pop(i)
        self._finish(_Ended((talk.agent, i, talk.q, False)))

    def messages(self) -> Messages:
        """The messages of the run, as arrays."""
        return Messages(np.frombuffer(self.sent_by, dtype=np.int64), np.frombuffer(self.sent_at),
                        np.frombuffer(self.replied_at), np.frombuffer(self.silent, dtype=np.uint8).astype(bool))
