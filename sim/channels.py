"""Channels declared once: what each channel's contacts do, the keys its queues take, and how its KPIs
read. Every layer asks a queue's ``Channel`` (``channel_of``), never compares channel names.

A channel is a ``Channel`` (behaviour as data) and a queue model (its scenario keys, a pydantic model
whose ``channel`` literal selects it in the scenario's discriminated union). Adding a channel is a new
pair here, its tests and docs (docs/architecture.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from sim.distributions import Amount, Constant, Delay, HandleTime, Patience
from sim.scenario.campaigns import Balance, CallBack, Campaign, Pickup
from sim.scenario.parts import (
    Arrivals,
    Backlog,
    Bot,
    Conversation,
    CustomerClass,
    EscalateAfter,
    LevelRule,
    Overflow,
    Remedy,
    Repeat,
    Retrial,
    ServiceLevel,
)
from sim.scenario.sales import OrderSources
from sim.scenario.types import DAY, Duration, Name, PositiveDuration, Strict
from sim.units import format_duration


@dataclass(frozen=True)
class Channel:
    """How a channel's contacts behave and how its KPIs read.

    - ``holds``: what of its agent a contact holds: ``agent``, the agent alone (calls, back-office items:
      only an agent with no slot taken takes one, and takes nothing else meanwhile), or ``slot``, one of
      the agent's ``concurrency`` slots (chats);
    - ``patience``: customers wait with a patience, may balk and abandon (``abandoned``); otherwise they
      never leave by themselves;
    - ``at_deadline``: what the queue's ``deadline`` does: ``auto_approved`` (the platform resolves the
      item, also mid-work, and it leaves the queue), ``late`` (the item stays open and counts as late),
      or ``None`` (no deadline);
    - ``sl_clock``: the service level reads the time to ``answer`` (first response, first reply) or to
      ``resolution`` (through any escalation);
    - ``erlang``: Erlang-type staffing formulas apply (answer clock, patience, own arrivals);
    - ``in_logs``: calibration reads it from contact logs, and gives its queues a service level of
      ``usual_answer_within`` seconds (the planners' habit: 20 s for calls, 30 s for chats);
    - the table names: ``served`` (what the service level counts) and its interval column, ``left``
      (contacts that leave unserved, or late) and its column; waits are shown in ``wait_unit`` seconds
      named ``wait_unit_name``;
    - ``conversations``: its contacts may be conversations of messages (a ``conversation`` block), and
      message logs hold it;
    - ``dials``: agents call the customers (outbound): each contact is one attempt at an entry of a call
      list, whose service level reads the attempts that reached the customer (``sl_clock`` ``connected``);
      an entry not dialled by its deadline is dropped (``at_deadline`` ``expired``);
    - ``staffing_moves_sl``: more agents can raise its service level (not so an answer rate, which is the
      customers' pickup): staffing and roster searches judge only such queues by their target.
    """

    name: str
    holds: Literal["agent", "slot"]
    patience: bool
    at_deadline: Literal["auto_approved", "late", "expired"] | None
    sl_clock: Literal["answer", "resolution", "connected"]
    erlang: bool
    in_logs: bool
    served: str
    served_column: str
    left: str
    left_column: str
    wait_unit: float
    wait_unit_name: str
    usual_answer_within: float | None = None
    conversations: bool = False
    dials: bool = False
    staffing_moves_sl: bool = True

    @property
    def exclusive(self) -> bool:
        """Whether a contact holds its agent alone."""
        return self.holds == "agent"

    def slots(self, concurrency: int) -> int:
        """How many of an agent's ``concurrency`` slots one contact takes: all of them, or one."""
        return concurrency if self.holds == "agent" else 1

    def at_once(self, concurrency: int) -> float:
        """How many contacts an agent with ``concurrency`` slots can hold at once."""
        return concurrency / self.slots(concurrency)

    @property
    def on_resolution(self) -> bool:
        return self.sl_clock == "resolution"

    @property
    def auto_approves(self) -> bool:
        """Whether an item still open at its deadline is resolved by the platform (and leaves)."""
        return self.at_deadline == "auto_approved"

    def sl_label(self, queue) -> str:
        """'answered within 20s', 'first response within 30s', 'resolved within 1d', 'connected / dialled'."""
        if self.sl_clock == "connected":
            return "connected / dialled"
        return f"{self.served} within {format_duration(queue.sl_threshold())}"

    def wait(self, seconds: float) -> str:
        """A wait in the channel's unit, e.g. '12.3 s' or '4.2 h'."""
        return f"{seconds / self.wait_unit:,.1f} {self.wait_unit_name}"


class QueueBase(Strict):
    """Keys every channel's queues have. A key a channel does not offer reads as None (or empty)."""

    arrivals: Arrivals | None = None
    from_orders: OrderSources = ()
    backlog: Backlog | None = None
    handle_time: HandleTime
    wrap_up: HandleTime | None = None
    escalate_to: dict[Name, Name] = {}
    escalate_after: EscalateAfter | None = None
    classes: tuple[CustomerClass, ...] = ()
    overflow: Overflow | None = None
    repeat: Repeat | None = None

    spec: ClassVar[Channel]
    patience: ClassVar[Patience | None] = None
    retrial: ClassVar[Retrial | None] = None
    bot: ClassVar[Bot | None] = None
    amount: ClassVar[Amount | None] = None
    deadline: ClassVar[float | None] = None
    levels_by_amount: ClassVar[tuple[LevelRule, ...]] = ()
    remedy: ClassVar[Remedy | None] = None
    campaign: ClassVar[Campaign | None] = None
    balance: ClassVar[Balance | None] = None
    after_resolution: ClassVar[CallBack | None] = None
    blend: ClassVar[Blend | None] = None
    conversation: ClassVar[Conversation | None] = None

    @property
    def converses(self) -> bool:
        """Whether its contacts are conversations of messages (a chat queue with a ``conversation`` block)."""
        return self.conversation is not None

    @property
    def judges_every_message(self) -> bool:
        """Whether a contact counts towards the service level only when every message of it was replied to
        in time (a conversation chat's ``sla.on: every_message``).
        """
        return False

    def sl_threshold(self) -> float:
        """Seconds within which a contact counts towards the service level."""
        return self.sla.answer_within

    def message_threshold(self) -> float:
        """Seconds within which a conversation's later messages must be replied to."""
        return self.sl_threshold()

    @property
    def class_names(self) -> list[str]:
        """Customer classes in priority order, ``others`` last (just ``others`` without classes)."""
        return [*(c.name for c in self.classes), "others"]


class ChatServiceLevel(ServiceLevel):
    """A chat's service level: on its first response (for a conversation chat, its first reply), or with
    ``on: every_message`` (conversation chats) a conversation counts when every message of it was replied
    to in time: the platforms' rule that any customer message is answered in time. The first message
    within ``answer_within``, the later ones within ``message_within`` (default: the same), so one target
    can hold both rules (a first response within 30 s and every message within 3 minutes).
    """

    on: Literal["first_response", "every_message"] = "first_response"
    message_within: Duration | None = None

    @model_validator(mode="after")
    def _messages_on_every_message(self) -> ChatServiceLevel:
        if self.message_within is not None and self.on != "every_message":
            raise ValueError("message_within judges every message after the first; set on: every_message")
        return self


class OutboundServiceLevel(Strict):
    """Target answer rate of an outbound queue: attempts that reach the customer over attempts dialled
    (the shops ask at least 60%).
    """

    target: Annotated[float, Field(gt=0, le=1)] = 0.6


class Blend(Strict):
    """Agents who also take inbound work dial only while each inbound queue they serve has fewer than
    ``inbound_below`` contacts waiting (1: only while none waits).
    """

    inbound_below: Annotated[int, Field(ge=1)] = 1


class TicketServiceLevel(Strict):
    """Target share of tickets first replied to within the queue's ``deadline``."""

    target: Annotated[float, Field(gt=0, le=1)] = 0.8


# A channel's model declares as fields the keys it offers that the base reads as None: pydantic warns
# that the field shadows the base's attribute, which is the intent here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Field name .* shadows an attribute", category=UserWarning)

    class ChatQueue(QueueBase):
        """Chats: an agent holds several at once (its group's ``concurrency``); customers may abandon;
        a ``bot`` may resolve a share; the service level counts the first response.
        """

        spec: ClassVar[Channel] = Channel(
            "chat", holds="slot", patience=True, at_deadline=None, sl_clock="answer", erlang=True,
            in_logs=True, served="first response", served_column="answered", left="abandoned",
            left_column="abandoned", wait_unit=1.0, wait_unit_name="s", usual_answer_within=30.0,
            conversations=True)
        channel: Literal["chat"]
        patience: Patience | None = None
        sla: ChatServiceLevel = ChatServiceLevel()
        bot: Bot | None = None
        remedy: Remedy | None = None
        conversation: Conversation | None = None

        @property
        def judges_every_message(self) -> bool:
            return self.sla.on == "every_message"

        def message_threshold(self) -> float:
            """Seconds within which a conversation's later messages must be replied to (``sla.on:
            every_message``).
            """
            return self.sla.message_within if self.sla.message_within is not None else self.sla.answer_within

        @model_validator(mode="after")
        def _every_message_needs_messages(self) -> ChatQueue:
            if self.sla.on == "every_message" and self.conversation is None:
                raise ValueError("sla.on: every_message judges the messages of a conversation; give the queue a "
                                 "conversation block, or use first_response")
            return self

    class CallQueue(QueueBase):
        """Calls: one per agent; callers may balk, abandon and call again (``retrial``)."""

        spec: ClassVar[Channel] = Channel(
            "call", holds="agent", patience=True, at_deadline=None, sl_clock="answer", erlang=True,
            in_logs=True, served="answered", served_column="answered", left="abandoned",
            left_column="abandoned", wait_unit=1.0, wait_unit_name="s", usual_answer_within=20.0)
        channel: Literal["call"]
        patience: Patience | None = None
        sla: ServiceLevel = ServiceLevel()
        retrial: Retrial | None = None
        remedy: Remedy | None = None

    class RefundQueue(QueueBase):
        """Refund requests: back-office items worked one at a time, nobody abandons, an ``amount`` each
        (its ``levels_by_amount`` set who may approve it), and a platform ``deadline`` at which an item
        still open is approved automatically, even mid-work. The service level counts resolutions.
        """

        spec: ClassVar[Channel] = Channel(
            "refund", holds="agent", patience=False, at_deadline="auto_approved", sl_clock="resolution",
            erlang=False, in_logs=False, served="resolved", served_column="resolved", left="auto-approved",
            left_column="auto_approved", wait_unit=3600.0, wait_unit_name="h")
        channel: Literal["refund"]
        sla: ServiceLevel = ServiceLevel()
        amount: Amount | None = None
        deadline: PositiveDuration | None = None
        levels_by_amount: tuple[LevelRule, ...] = ()

        def sl_threshold(self) -> float:
            return self.sla.resolve_within

    class TicketQueue(QueueBase):
        """Tickets (工单, e-mail, 留言): asynchronous items worked one at a time that nobody abandons, with
        a first-reply ``deadline``; an item not replied to by then stays open and counts as late, and
        the backlog carries over intervals and days. The service level counts replies within the
        deadline. Tickets may come from orders like refunds.
        """

        spec: ClassVar[Channel] = Channel(
            "ticket", holds="agent", patience=False, at_deadline="late", sl_clock="answer", erlang=False,
            in_logs=False, served="replied", served_column="answered", left="late", left_column="late",
            wait_unit=3600.0, wait_unit_name="h")
        channel: Literal["ticket"]
        deadline: PositiveDuration = DAY
        sla: TicketServiceLevel = TicketServiceLevel()
        remedy: Remedy | None = None

        def sl_threshold(self) -> float:
            return self.deadline


    class OutboundQueue(QueueBase):
        """Outbound calls (催付 payment reminders, 回访 follow-ups): a call list whose entries come from
        orders (``from_orders``, e.g. deposits with the balance unpaid), from other queues' resolved work
        (``after_resolution``), or are typed (``arrivals``, ``backlog``); each is dialled in the
        ``campaign``'s hours up to ``attempts`` times, ``retry_after`` apart (``retry_after_busy`` after a
        busy line, if given), until the customer picks up (``pickup``). Agents dialling are held for the
        connect time and the rings, and when reached for ``handle_time`` too. The service level is the
        answer rate (connected / dialled).
        """

        spec: ClassVar[Channel] = Channel(
            "outbound", holds="agent", patience=False, at_deadline="expired", sl_clock="connected", erlang=False,
            in_logs=False, served="connected", served_column="connected", left="expired", left_column="abandoned",
            wait_unit=3600.0, wait_unit_name="h", dials=True, staffing_moves_sl=False)
        channel: Literal["outbound"]
        campaign: Campaign = Campaign()
        attempts: Annotated[int, Field(ge=1, le=20)] = 3
        retry_after: Delay = Constant(dist="constant", value=7200.0)
        retry_after_busy: Delay | None = None
        pickup: Pickup = Pickup()
        balance: Balance | None = None
        after_resolution: CallBack | None = None
        blend: Blend | None = None
        sla: OutboundServiceLevel = OutboundServiceLevel()

        def sl_threshold(self) -> float:
            return math.inf


QUEUE_MODELS = (ChatQueue, CallQueue, RefundQueue, TicketQueue, OutboundQueue)
Queue = Annotated[Union[QUEUE_MODELS], Field(discriminator="channel")]     # noqa: UP007 (built from the tuple)
CHANNELS: dict[str, Channel] = {model.spec.name: model.spec for model in QUEUE_MODELS}


def channel_of(queue: QueueBase) -> Channel:
    """The ``Channel`` of a scenario queue."""
    return queue.spec


def offered_by(key: str) -> list[str]:
    """Channels whose queues take scenario key ``key`` (for messages about a key in the wrong channel)."""
    return [model.spec.name for model in QUEUE_MODELS if key in model.model_fields]


def keys_of(channel: str) -> set[str]:
    """The scenario keys a queue of ``channel`` takes."""
    return set(next(m for m in QUEUE_MODELS if m.spec.name == channel).model_fields)
