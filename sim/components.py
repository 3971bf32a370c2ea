"""The engine's parts and their contracts (docs/engine.md, docs/architecture.md).

The kernel (``sim.engine.Model``) owns the clock and the event loop (SimPy), the contact table and the
path of a contact (arrival, start, end, release); it asks the routing ``Policy`` (``sim.routing``) which
agent and which contact. The components hold their own state and are called through these interfaces;
they call the kernel through ``Kernel`` and never each other's private methods:

- ``AgentsPart`` (``sim.agents.Agents``): shifts, breaks, absences, not-ready time, availability buckets
  and the agents' spans;
- ``LinesPart`` (``sim.waiting.WaitingLines``): the contacts waiting in each queue, and those whose
  patience runs out;
- ``ConversationsPart`` (``sim.conversations.Conversations``): chats as rounds of messages and replies;
- ``LaterPart`` (``sim.later_contacts.LaterContacts``): the contacts a run creates (retrials, repeats,
  follow-ups), through one creation function;
- ``CallListsPart`` (``sim.outbound.CallLists``): dialling hours opening, redials, call-backs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sim.agents import Agent
    from sim.records import Messages, Spans
    from sim.waiting import Lines, Waiting


@runtime_checkable
class Kernel(Protocol):
    """What a component may ask of the kernel."""

    @property
    def now(self) -> float:
        """The simulation time (s from the start)."""

    def at(self, when: float, action: Callable[..., None], *args) -> None:
        """Call ``action(*args)`` at time ``when`` (s from the start, not before now): a SimPy event, for
        the schedule (shifts, breaks, waits that run out).
        """

    def due(self, when: float, action: Callable[..., None], *args) -> None:
        """Call ``action(*args)`` at time ``when``: a step of a contact (a message, a reply, a contact
        arriving), on the kernel's calendar, after the SimPy events at that time.
        """

    def arrive(self, i: int, q: int, t: float) -> None:
        """Contact ``i`` (in the table) enters queue ``q`` at ``t``: an agent takes it, or it waits."""

    def end(self, agent: Agent, i: int, q: int) -> None:
        """Contact ``i`` of queue ``q`` ends now (a conversation closed): what follows it is created, the
        agent wraps up, then frees its capacity.
        """

    def pull(self, agent: Agent, now: float) -> None:
        """The agent, able to take work, fills its free capacity from the queues it serves."""

    def serve_waiting(self, q: int) -> None:
        """Agents free for queue ``q`` take its waiting contacts now (an outbound queue's hours open)."""


@runtime_checkable
class AgentsPart(Protocol):
    """The agents of a run."""

    agents: list[Agent]
    buckets: list[list[dict[Agent, None]]]      # [group][open contacts]: agents who can take one more

    def park(self, agent: Agent, now: float) -> None:
        """Make the agent findable by arriving contacts if it can take one more."""

    def unpark(self, agent: Agent) -> None:
        """The agent leaves its bucket."""

    def freed(self, agent: Agent, now: float) -> None:
        """The agent freed a contact's capacity: it takes more work, pauses or leaves, as its state says."""

    def record(self, kind: str, agent: Agent, start: float, end: float) -> None:
        """A span of the agent (``sim.records.SPAN_KINDS``)."""

    def close(self, horizon: float) -> dict[str, Spans]:
        """The spans of the run, those open at the horizon ended there."""


@runtime_checkable
class LinesPart(Protocol):
    """The waiting lines of a run."""

    queues: list[Waiting]
    auto_approves: list[bool]

    def join(self, i: int, q: int) -> int:
        """Contact ``i`` waits in queue ``q``; how many wait there now."""

    def purge(self, q: int, now: float) -> None:
        """Contacts whose patience ran out by ``now`` leave."""

    def take(self, i: int, q: int) -> None:
        """Contact ``i`` leaves queue ``q``'s line (answered or moved on)."""

    def view(self, q: int) -> Lines:
        """Queue ``q``'s waiting contacts, in order, for a routing policy."""


@runtime_checkable
class ConversationsPart(Protocol):
    """The conversations of a run."""

    def begin(self, agent: Agent, i: int, q: int, now: float) -> None:
        """Contact ``i``'s first message is taken by the agent: its conversation runs, then ends (``end``)."""

    def messages(self) -> Messages:
        """The messages of the run."""


@runtime_checkable
class LaterPart(Protocol):
    """The contacts a run creates."""

    def create(self, kind: str, parent: int, drawn: dict[str, float], **values: float) -> int:
        """Append a contact of ``kind`` created from ``parent`` as its attributes declare; its index."""

    def retry(self, i: int, q: int, left: float) -> None:
        """Contact ``i`` left at ``left``; its caller calls again."""

    def repeat(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` was resolved but its customer comes back."""

    def escalate(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` needs a level its agent lacks: a follow-up enters the escalation queue."""

    def move(self, i: int, q: int) -> None:
        """Contact ``i`` has waited its queue's ``escalate_after``: it moves on."""

    def release_inputs(self) -> None:
        """Drop what only the run needed."""


@runtime_checkable
class CallListsPart(Protocol):
    """The call lists of a run."""

    def follows(self, q: int) -> bool:
        """Whether a contact of queue ``q`` that ends may be followed by a redial or a call-back."""

    def after_end(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` ended: the next attempt at its entry, or a call-back, follows where due."""
