"""What a replication records, and the types that carry it to the metrics: the contacts' columns
(``sim.contacts.Contacts``), the agents' time spans, the conversations' messages and the outbound
attempts' outcomes. The model writes them; ``sim.metrics`` and calibration read them, without importing
the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.contacts import Contacts

SPAN_KINDS = ("staffed", "busy", "overtime", "breaks", "shrinkage", "not_ready", "wrap_up",     # recorded spans
              "writing")
CONNECTED, NO_ANSWER, BUSY = 0, 1, 2        # values of the contact attribute ``dial`` (-1: not dialled work)
DIAL_OUTCOMES = ("connected", "no answer", "busy")


@dataclass(frozen=True)
class Spans:
    """Time spans (s) of agents: ``agent[k]`` from ``start[k]`` to ``end[k]``."""

    agent: np.ndarray
    start: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class Messages:
    """The customers' messages of a replication: ``contact`` (index into its contacts), ``sent`` and
    ``replied`` (s from the start; NaN: no reply by the horizon) and ``silent`` (the customer had left,
    unseen, before this reply came).
    """

    contact: np.ndarray
    sent: np.ndarray
    replied: np.ndarray
    silent: np.ndarray

    @property
    def response(self) -> np.ndarray:
        """Each message's response time (s): from sent to replied."""
        return self.replied - self.sent


@dataclass(frozen=True)
class EngineOutput:
    """Per-contact records and per-agent spans of one replication.

    ``contacts`` are the demand's, in the same order, followed by the retrials and follow-ups created
    during the run (``sim.contacts``: a retrial's ``attempt`` counts earlier attempts of the same
    caller; ``wait`` is the time to answer, to leaving (0 for a contact that balked) or, still waiting
    at the horizon, waited so far).
    """

    contacts: Contacts
    deflected_time: np.ndarray       # contacts a bot resolved: arrival times and queues
    deflected_queue: np.ndarray
    max_queue_len: np.ndarray        # (n_intervals, n_queues)
    backlog: np.ndarray              # (n_intervals, n_queues): waiting at the interval start
    agent_group: np.ndarray
    agent_shift: np.ndarray          # (n_agents, 2): scheduled shift start and end (s)
    staffed: Spans                   # on duty and not on break (overtime included)
    breaks: Spans                    # from the time the agent leaves the floor for a break until it is back
    shrinkage: Spans                 # planned time off the phones (meetings, training), as breaks
    not_ready: Spans                 # not-ready (aux) episodes, as breaks
    wrap_up: Spans                   # after-contact work, one span per contact (chats may overlap)
    writing: Spans                   # conversation chats: writing a reply, one span per reply
    busy: Spans                      # holding at least one contact
    overtime: Spans                  # past the scheduled shift end, finishing work
    events: int                      # SimPy events scheduled
    steps: int                       # entries made on the kernel's calendar (ends, wrap-ups, contacts' steps)
    messages: Messages | None = None  # customers' messages of conversation chats (None: no such queue)
