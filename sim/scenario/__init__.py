"""Scenario files: YAML (+ CSV profiles and rosters) → a validated, frozen ``Scenario`` in seconds.

Every problem in a file is collected and raised at once as a ``ScenarioError`` whose lines read
``FILE: key.path: message, got VALUE``: first every key on its own (types, ranges, unknown keys), then,
once those are valid, what involves several parts (skills naming queues, shifts inside the horizon).

Rooms: ``types`` (scalar types, constants), ``parts`` (everything but queues), ``sim.channels`` (the
queue of each channel), ``model`` (``Scenario``), ``checks`` (cross-references), ``messages`` (error
lines), ``loading`` (files, overrides). Names are imported from here on first use, so importing one
room does not load the others.
"""

from importlib import import_module

_HOMES = {
    **dict.fromkeys(["DAY", "EARLIEST", "LATEST", "MAX_CONCURRENCY", "MAX_HORIZON", "NAME_FORBIDDEN", "ORDERS",
                     "WEEKDAYS", "safe_name"], "sim.scenario.types"),
    **dict.fromkeys(["Arrivals", "Bot", "LevelRule", "Remedy", "Retrial", "ServiceLevel", "Surge"],
                    "sim.scenario.parts"),
    **dict.fromkeys(["Break", "Group", "MassAbsence", "Shift"], "sim.scenario.staff"),
    **dict.fromkeys(["FromOrders", "Orders"], "sim.scenario.sales"),
    **dict.fromkeys(["Scenario", "ShiftOccurrence", "level_of"], "sim.scenario.model"),
    **dict.fromkeys(["Problem", "cross_problems"], "sim.scenario.checks"),
    **dict.fromkeys(["load_scenario", "dump_scenario", "short_path"], "sim.scenario.loading"),
    "Queue": "sim.channels",
    "read_yaml": "sim.files",
    "ScenarioError": "sim.errors",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim.scenario' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
