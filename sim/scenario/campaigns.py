"""The scenario keys of outbound work (``channel: outbound`` queues): when a campaign dials, how customers
pick up, what a reached customer pays, and the call-backs that follow other queues' work. What they do
in a run is in ``sim.call_lists`` and ``sim.outbound``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.distributions import Amount, Constant, Delay, Exponential
from sim.scenario.parts import Window
from sim.scenario.types import DAY, Duration, Name, PositiveDuration, Probability, Strict, TimeOfDay


class DialHours(Strict):
    """The hours of each day a campaign dials, ``start`` to ``end`` (e.g. 09:00 to 21:00: customers are not
    called at night). An end before the start crosses midnight.
    """

    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _some_hours(self) -> DialHours:
        if self.start == self.end:
            raise ValueError("'start' and 'end' are the same time: no hours to dial (omit 'hours' to dial all day)")
        return self

    def seconds_open(self) -> float:
        """Dialling seconds per day."""
        return (self.end - self.start) % DAY


class Pickup(Strict):
    """How customers pick up an attempt: a ``busy`` line ends it after ``connect``; otherwise the customer,
    with probability ``answer``, picks up ``answers_after`` the ringing starts, if that is within ``rings``
    rings of ``ring`` seconds each (China's ring-back tone: 1 s on, 4 s off); else the agent gives up
    after them. An attempt's chance of reaching the customer is (1 − busy) × answer × P(answers_after ≤
    rings × ring).
    """

    answer: Probability = 0.5
    busy: Probability = 0.0
    answers_after: Delay = Exponential(dist="exponential", mean=8.0)
    rings: Annotated[int, Field(ge=1, le=20)] = 3
    ring: PositiveDuration = 5.0
    connect: Duration = 3.0

    @property
    def gives_up_after(self) -> float:
        """Seconds of ringing before the agent gives up."""
        return self.rings * self.ring

    def reach_probability(self) -> float:
        """The chance one attempt reaches the customer."""
        return (1 - self.busy) * self.answer * float(self.answers_after.cdf(self.gives_up_after))


class Balance(Strict):
    """What each customer on the list owes (a payment reminder: the final payment, 尾款), and the share of
    the customers reached who then pay it within the campaign's window.
    """

    amount: Amount
    pays: Probability = 0.6


class CallBack(Strict):
    """Follow-up calls (回访): a ``share`` of the contacts of ``queues`` that agents resolve put their
    customer on this list ``after`` the resolution (a satisfaction call after a refund or a complaint).
    """

    queues: Annotated[tuple[Name, ...], Field(min_length=1)]
    share: Probability
    after: Delay = Constant(dist="constant", value=DAY)


class Campaign(Strict):
    """A call list's calendar: entries are dialled inside ``window`` (the final-payment window; omitted:
    the whole horizon), in ``hours`` each day (omitted: any hour); an entry not reached by the window's end,
    or ``deadline`` after it joined the list, is dropped (expired).
    """

    window: Window | None = None
    hours: DialHours | None = None
    deadline: PositiveDuration | None = None
