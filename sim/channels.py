"""What differs between channels in what a planner reads: what the service level counts, what leaving
the queue means, and the unit waits are shown in. Layers that print or plot ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.units import format_duration


@dataclass(frozen=True)
class Channel:
    """How a channel's KPIs read: ``served`` (what the service level counts, e.g. "first response") and
    the interval column counting it, ``left`` (contacts that leave unserved, e.g. "auto-approved") and
    its column, waits shown in ``wait_unit`` seconds named ``wait_unit_name``, and whether the service
    level is on resolution rather than on answer.
    """

    name: str
    served: str
    served_column: str
    left: str
    left_column: str
    wait_unit: float
    wait_unit_name: str
    on_resolution: bool = False

    def threshold(self, queue) -> float:
        """Seconds of the queue's service-level threshold (``resolve_within`` or ``answer_within``)."""
        return queue.sla.resolve_within if self.on_resolution else queue.sla.answer_within

    def sl_label(self, queue) -> str:
        """'answered within 20s', 'first response within 30s', 'resolved within 1d'."""
        return f"{self.served} within {format_duration(self.threshold(queue))}"

    def wait(self, seconds: float) -> str:
        """A wait in the channel's unit, e.g. '12.3 s' or '4.2 h'."""
        return f"{seconds / self.wait_unit:,.1f} {self.wait_unit_name}"


CHANNELS = {
    "chat": Channel("chat", "first response", "answered", "abandoned", "abandoned", 1.0, "s"),
    "call": Channel("call", "answered", "answered", "abandoned", "abandoned", 1.0, "s"),
    "refund": Channel("refund", "resolved", "resolved", "auto-approved", "auto_approved", 3600.0, "h",
                      on_resolution=True),
}


def channel_of(queue) -> Channel:
    """The ``Channel`` of a scenario queue."""
    return CHANNELS[queue.channel]
