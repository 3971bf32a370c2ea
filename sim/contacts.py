"""Per-contact attributes declared once.

``ATTRIBUTES`` lists every attribute a contact has: its storage type, the value of a contact created
during the run (a retrial, a follow-up) before anything sets it, whether it is drawn with the demand,
kept as a run-time column by the engine, and written to the engine's output. The demand's columns, the
engine's columns and their appends, and ``Contacts`` (the output) are all built from it: a new attribute
is one line here plus where it is drawn and where it is used (docs/architecture.md).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np

WAITING, ANSWERED, ABANDONED, TRANSFERRED = 0, 1, 2, 3   # values of ``outcome``
OUTCOMES = ("waiting", "answered", "abandoned", "transferred")


@dataclass(frozen=True)
class Attribute:
    """One per-contact attribute, stored as NumPy ``dtype`` (flags as ``bool``, kept by the engine as bytes)."""

    name: str
    dtype_name: str
    default: float
    drawn: bool
    engine: bool
    output: bool
    doc: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.dtype_name)

    @property
    def typecode(self) -> str:
        """The ``array`` module's type code of the same width."""
        return {"float64": "d", "int32": "i", "int16": "h", "int8": "b", "bool": "B", "uint8": "B"}[self.dtype_name]


NAN = math.nan
ATTRIBUTES = (
    #         name          dtype      default   drawn  engine output
    Attribute("time",        "float64", NAN,       True,  True,  True,  "arrival time (s from the scenario start)"),
    Attribute("queue",       "int32",   -1,        True,  True,  True,  "queue index (scenario order)"),
    Attribute("work",        "float64", NAN,       True,  True,  False, "handle time at proficiency 1 (s)"),
    Attribute("wrap",        "float64", 0.0,       True,  True,  True,  "after-contact work that follows (s)"),
    Attribute("patience",    "float64", math.inf,  True,  True,  False, "wait before leaving, or an auto-approving "
                                                                  "deadline (s); inf: never leaves"),
    Attribute("retry",       "bool",    0,         True,  True,  False, "calls again after abandoning or balking"),
    Attribute("retry_delay", "float64", NAN,       True,  False, False, "time before that new attempt (s)"),
    Attribute("balks",       "bool",    0,         True,  True,  False, "leaves at once when no agent is free"),
    Attribute("repeats",     "bool",    0,         True,  True,  False, "comes back once resolved (not solved)"),
    Attribute("repeat_delay", "float64", NAN,      True,  False, False, "time from its end to that repeat (s)"),
    Attribute("amount",      "float64", NAN,       True,  False, True,  "refund or remedy value (NaN: none)"),
    Attribute("level",       "int8",    -1,        True,  True,  True,  "permission level needed (-1: none)"),
    Attribute("customer_class", "int8", 0,         True,  True,  True,  "index into the queue's class_names"),
    Attribute("dial",        "int8",    -1,        True,  True,  True,  "an outbound attempt's outcome: connected, no "
                                                                  "answer, busy (sim.records; -1: not one)"),
    Attribute("outcome",     "int8",    WAITING,   False, True,  True,  "waiting, answered, abandoned or transferred"),
    Attribute("attempt",     "int16",   0,         False, True,  True,  "earlier attempts of the same caller"),
    Attribute("balked",      "bool",    0,         False, True,  True,  "left at once, nobody being free"),
    Attribute("auto",        "bool",    0,         False, True,  True,  "approved by the platform at its deadline"),
    Attribute("escalated",   "bool",    0,         False, True,  True,  "passed on to a follow-up (level too low)"),
    Attribute("origin",      "int32",   -1,        False, True,  True,  "a follow-up's first contact (-1: none)"),
    Attribute("first_call",  "int32",   -1,        False, True,  True,  "a retrial's first attempt (-1: none)"),
    Attribute("repeat_of",   "int32",   -1,        False, True,  True,  "a repeat's earlier, resolved contact (-1)"),
    Attribute("repeat_at",   "float64", NAN,       False, True,  True,  "when its repeat arrives, also past the "
                                                                  "horizon (s; NaN: none)"),
    Attribute("wait",        "float64", NAN,       False, True,  True,  "time to answer or to leaving, or waited "
                                                                  "so far at the horizon (s)"),
    Attribute("end",         "float64", NAN,       False, True,  True,  "service end (s; NaN: not served)"),
    Attribute("group",       "int16",   -1,        False, True,  True,  "group of the agent who answered (-1)"),
    Attribute("agent",       "int32",   -1,        False, True,  True,  "agent who answered (-1)"),
)
BY_NAME = {a.name: a for a in ATTRIBUTES}
DRAWN = tuple(a.name for a in ATTRIBUTES if a.drawn)
ENGINE = tuple(a.name for a in ATTRIBUTES if a.engine)
OUTPUT = tuple(a.name for a in ATTRIBUTES if a.output)


def engine_columns(drawn: dict[str, np.ndarray]) -> dict[str, array]:
    """The engine's compact run-time columns: drawn values where the demand has them, else defaults.

    ``array`` items read back as Python scalars, which is faster on the engine's hot path than NumPy's.
    """
    n = drawn["time"].size
    columns = {}
    for name in ENGINE:
        a = BY_NAME[name]
        if a.drawn:
            columns[name] = array(a.typecode, np.ascontiguousarray(drawn[name], dtype=a.dtype).tobytes())
        else:
            columns[name] = array(a.typecode, [a.default]) * n
    return columns


def append(columns: dict[str, array], values: dict[str, float]) -> int:
    """Append one contact (``values`` by name, defaults elsewhere) to the engine's columns; its index."""
    index = len(columns["time"])
    for name, column in columns.items():
        column.append(values.get(name, BY_NAME[name].default))
    return index


class Contacts:
    """Per-contact records of a replication: one NumPy array per ``OUTPUT`` attribute, all the same length,
    read as attributes (``contacts.wait``).
    """

    __slots__ = ("_columns",)

    def __init__(self, **columns: np.ndarray):
        missing = set(OUTPUT) - set(columns)
        if missing:
            raise TypeError(f"Contacts needs {sorted(missing)}")
        self._columns = columns

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return self._columns["time"].size

    @classmethod
    def of(cls, n: int, **given: np.ndarray) -> Contacts:
        """``n`` contacts with the ``given`` attributes and every other output attribute at its default."""
        columns = {name: np.full(n, BY_NAME[name].default, dtype=BY_NAME[name].dtype) for name in OUTPUT}
        columns.update({name: np.asarray(values, dtype=BY_NAME[name].dtype) for name, values in given.items()})
        return cls(**columns)

    @classmethod
    def from_engine(cls, columns: dict[str, array], **others: np.ndarray) -> Contacts:
        """Views of the engine's columns (no copies), plus the output attributes it does not keep."""
        views = {name: np.frombuffer(columns[name], dtype=BY_NAME[name].dtype) for name in OUTPUT if name in columns}
        return cls(**views, **others)
