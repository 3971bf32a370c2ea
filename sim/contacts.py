"""Per-contact attributes declared once.

``ATTRIBUTES`` lists every attribute a contact has: its storage type, its default, whether it is drawn
with the demand, kept as a run-time column by the engine and written to the engine's output, and what
each kind of contact created during the run (``LATER_KINDS``: a retrial, a redial, a repeat, a follow-up,
a call-back) gives it: its parent's value, a new draw, a value the creation site sets, or the default.
The demand's columns, the engine's columns, every contact created during the run (one function,
``sim.later_contacts.LaterContacts.create``, which refuses a draw or a value the declaration does not
ask for) and ``Contacts`` (the output) are all built from it: a new attribute is one line here plus
where it is drawn and where it is used (docs/architecture.md).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np

WAITING, ANSWERED, ABANDONED, TRANSFERRED = 0, 1, 2, 3   # values of ``outcome``
OUTCOMES = ("waiting", "answered", "abandoned", "transferred")
# Contacts created during a run: a caller's new attempt, an outbound entry's next attempt, a customer coming
# back after a resolution, work passed on (escalated, or moved after a wait), a call-back after resolved work.
LATER_KINDS = ("retrial", "redial", "repeat", "follow_up", "call_back")
_RULES = {"i": "inherit", "d": "draw", "s": "set", "-": "default"}


@dataclass(frozen=True)
class Attribute:
    """One per-contact attribute, stored as NumPy ``dtype`` (flags as ``bool``, kept by the engine as bytes)."""

    name: str
    dtype_name: str
    default: float
    drawn: bool
    engine: bool
    output: bool
    later: str
    doc: str

    def given_to(self, kind: str) -> str:
        """What a contact of ``kind`` (``LATER_KINDS``) created during the run gets: ``inherit`` (its
        parent's value), ``draw`` (drawn anew), ``set`` (by the creation site) or ``default``.
        """
        return _RULES[self.later[LATER_KINDS.index(kind)]]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.dtype_name)

    @property
    def typecode(self) -> str:
        """The ``array`` module's type code of the same width."""
        return {"float64": "d", "int32": "i", "int16": "h", "int8": "b", "bool": "B", "uint8": "B"}[self.dtype_name]


NAN = math.nan
# later: what each kind of contact created during the run (LATER_KINDS, in that order) gives the attribute:
# i inherits its parent's value, d draws it anew, s sets it (the creation site says how), - the default.
ATTRIBUTES = (
    #         name          dtype      default   drawn  engine output later
    Attribute("time",        "float64", NAN,       True,  True,  True,  "sssss", "arrival time (s from the scenario "
                                                                           "start)"),
    Attribute("queue",       "int32",   -1,        True,  True,  True,  "sssss", "queue index (scenario order)"),
    Attribute("work",        "float64", NAN,       True,  True,  False, "idddd", "handle time at proficiency 1 (s)"),
    Attribute("wrap",        "float64", 0.0,       True,  True,  True,  "-dddd", "after-contact work that follows (s)"),
    Attribute("patience",    "float64", math.inf,  True,  True,  False, "dsdss", "wait before leaving, or an "
                                                                           "auto-approving deadline (s); inf: never"),
    Attribute("retry",       "bool",    0,         True,  True,  False, "d-d--", "calls again after abandoning or "
                                                                           "balking"),
    Attribute("retry_delay", "float64", NAN,       True,  False, False, "d-d--", "time before that new attempt (s)"),
    Attribute("balks",       "bool",    0,         True,  True,  False, "d-d--", "leaves at once when nobody is free"),
    Attribute("repeats",     "bool",    0,         True,  True,  False, "d-dd-", "comes back once resolved (not "
                                                                           "solved)"),
    Attribute("repeat_delay", "float64", NAN,      True,  False, False, "d-dd-", "from its end to its repeat (s)"),
    Attribute("amount",      "float64", NAN,       True,  False, True,  "---i-", "refund or remedy value (NaN: none); "
                                                                           "a follow-up's is read through origin"),
    Attribute("level",       "int8",    -1,        True,  True,  True,  "i-si-", "permission level needed (-1: none)"),
    Attribute("customer_class", "int8", 0,         True,  True,  True,  "iisss", "index into the queue's "
                                                                           "class_names"),
    Attribute("dial",        "int8",    -1,        True,  True,  True,  "-d--d", "an outbound attempt's outcome: "
                                                                           "connected, no answer, busy (sim.records; "
                                                                           "-1: not one)"),
    Attribute("outcome",     "int8",    WAITING,   False, True,  True,  "-----", "waiting, answered, abandoned or "
                                                                           "transferred"),
    Attribute("attempt",     "int16",   0,         False, True,  True,  "ss---", "earlier attempts of the same "
                                                                           "caller"),
    Attribute("balked",      "bool",    0,         False, True,  True,  "-----", "left at once, nobody being free"),
    Attribute("auto",        "bool",    0,         False, True,  True,  "-----", "approved by the platform at its "
                                                                           "deadline"),
    Attribute("escalated",   "bool",    0,         False, True,  True,  "-----", "passed on to a follow-up (level too "
                                                                           "low)"),
    Attribute("origin",      "int32",   -1,        False, True,  True,  "---s-", "a follow-up's first contact (-1: "
                                                                           "none)"),
    Attribute("first_call",  "int32",   -1,        False, True,  True,  "ss---", "a retrial's first attempt (-1: "
                                                                           "none)"),
    Attribute("repeat_of",   "int32",   -1,        False, True,  True,  "--s--", "a repeat's earlier, resolved "
                                                                           "contact (-1)"),
    Attribute("repeat_at",   "float64", NAN,       False, True,  True,  "-----", "when its repeat arrives, also past "
                                                                           "the horizon (s; NaN: none)"),
    Attribute("wait",        "float64", NAN,       False, True,  True,  "-----", "time to answer or to leaving, or "
                                                                           "waited so far at the horizon (s)"),
    Attribute("end",         "float64", NAN,       False, True,  True,  "-----", "service end (s; NaN: not served)"),
    Attribute("group",       "int16",   -1,        False, True,  True,  "-----", "group of the agent who answered "
                                                                           "(-1)"),
    Attribute("agent",       "int32",   -1,        False, True,  True,  "-----", "agent who answered (-1)"),
)
BY_NAME = {a.name: a for a in ATTRIBUTES}
DRAWN = tuple(a.name for a in ATTRIBUTES if a.drawn)
ENGINE = tuple(a.name for a in ATTRIBUTES if a.engine)
ASIDE = ("retry_delay", "repeat_delay")     # drawn for contacts created during the run, kept off the columns
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
