"""Pydantic's validation errors as one line each: ``key.path: message, got VALUE``, with hints for
misspelt keys and for keys that belong to another channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim import distributions
from sim.channels import CHANNELS, QUEUE_MODELS, ChatServiceLevel, offered_by
from sim.distributions import Amount, Delay, HandleTime, Patience
from sim.files import FULL_WIDTH_DIGITS, show
from sim.scenario import campaigns, parts, sales, staff
from sim.scenario.model import Scenario
from sim.scenario.types import hint, pydantic_message


def _vocabulary() -> set[str]:
    """Every key a scenario file may use (for 'did you mean' hints)."""
    models = [parts.Arrivals, parts.ServiceLevel, parts.Retrial, parts.Bot, sales.FromOrders, sales.Orders,
              sales.SalesPlan, sales.Phase, parts.Repeat, parts.EscalateAfter, parts.Backlog, campaigns.Campaign,
              campaigns.DialHours, campaigns.Pickup, campaigns.Balance, campaigns.CallBack,
              parts.LevelRule, parts.Remedy, parts.Surge, staff.Break, staff.Shift, staff.MassAbsence, staff.Group,
              staff.NotReady, parts.Conversation, parts.Conversion, staff.Cost, staff.Premium, ChatServiceLevel,
              Scenario, *QUEUE_MODELS, distributions.ExponentialPatience, distributions.LogNormal,
              distributions.Gamma, distributions.Constant, distributions.Empirical, distributions.Mixture,
              distributions.MixturePart]
    return {name for m in models for name in m.model_fields} | {"roster"}


_DISTRIBUTIONS = {"handle_time": HandleTime, "patience": Patience, "delay": Delay, "lag": Delay, "amount": Amount}


def _dist_names(key: str) -> str:
    """The ``dist`` values the distribution at ``key`` accepts, e.g. 'exponential, lognormal, constant'."""
    members = get_args(get_args(_DISTRIBUTIONS.get(key, HandleTime))[0])
    return ", ".join(get_args(m.model_fields["dist"].annotation)[0] for m in members)


def _queue_channel(loc: tuple) -> str | None:
    """The channel of the queue an error is in: pydantic puts the union's tag after ``queues.NAME``."""
    if len(loc) > 2 and loc[0] == "queues" and loc[2] in CHANNELS:
        return str(loc[2])
    return None


def _unknown_key(key: str, loc: tuple) -> str:
    channel, offered = _queue_channel(loc), offered_by(key)
    if channel is not None and len(loc) == 4 and offered:
        where = " and ".join([", ".join(offered[:-1]), offered[-1]] if len(offered) > 1 else offered)
        return f"applies to {where} queues, got channel {channel!r}"
    allowed = _keys_at(loc[:-1])
    if allowed is None:
        return f"unknown key{hint(key, _vocabulary())}"
    close = hint(key, allowed)
    return f"unknown key{close}" if close else f"unknown key here; this section takes {', '.join(allowed)}"


def _keys_at(path: tuple) -> list[str] | None:
    """The keys the scenario section at ``path`` (as pydantic locates it) takes, or None if unsure."""
    node: object = Scenario
    for part in path:
        node, tagged = _unwrap(node, part)
        if tagged:                                 # the part was a union's tag (a channel, a 'dist')
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            node = node.model_fields[part].annotation if part in node.model_fields else None
        elif get_origin(node) in (dict, tuple, list):
            node = get_args(node)[-1] if get_origin(node) is dict else get_args(node)[0]
        else:
            return None
    node, _ = _unwrap(node, None)
    if not (isinstance(node, type) and issubclass(node, BaseModel)):
        return None
    return list(node.model_json_schema()["properties"])      # with keys read before validation ('roster')


def _unwrap(node: object, tag: object) -> tuple[object, bool]:
    """``node`` without ``Annotated`` and ``None`` alternatives, and whether ``tag`` chose it among a union of
    models (by their ``Literal`` field: a channel, a distribution's ``dist``).
    """
    while True:
        if get_origin(node) is Annotated:
            node = get_args(node)[0]
            continue
        members = [m for m in get_args(node) if m is not type(None)] if get_origin(node) in (Union, UnionType) else []
        if len(members) == 1:
            node = members[0]
        elif members and tag is not None:
            tagged = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)
                      and any(tag in get_args(f.annotation) for f in m.model_fields.values()
                              if get_origin(f.annotation) is Literal)]
            return (tagged[0], True) if tagged else (None, False)
        else:
            return node, False


def message(err: dict) -> str:
    """A pydantic error's message as the user should read it (without the key path)."""
    msg = pydantic_message(err)
    key = str(err["loc"][-1]) if err["loc"] else ""
    channel_tag = err["type"].startswith("union_tag") and "channel" in str(err.get("ctx", {}).get("discriminator"))
    if err["type"] == "extra_forbidden":
        msg = _unknown_key(key, err["loc"])
    elif err["type"] == "union_tag_invalid" and channel_tag:
        msg = f"unknown channel, expected one of {err['ctx']['expected_tags']}"
    elif err["type"] == "union_tag_not_found" and channel_tag:
        msg = f"needs 'channel', one of {err['ctx'].get('expected_tags') or _channel_names()}"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown distribution, expected one of {err['ctx']['expected_tags']}"
    elif err["type"] == "union_tag_not_found":
        msg = f"needs 'dist', one of {_dist_names(key)}"
    elif err["type"] in ("model_attributes_type", "model_type", "dict_type") and key in _DISTRIBUTIONS:
        msg = f"needs a distribution such as {{dist: exponential, mean: 300}} ('dist' one of {_dist_names(key)})"
    elif err["type"] in ("model_attributes_type", "model_type"):
        msg = "needs a mapping of keys"
    return msg[0].lower() + msg[1:] if msg else msg


def _channel_names() -> str:
    return ", ".join(CHANNELS)


def format_errors(exc: ValidationError) -> list[str]:
    """One ``key.path: message, got VALUE`` line per pydantic error."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not (isinstance(p, str) and "[" in p)]
        # Discriminated unions add the tag after the key: a distribution's ("lognormal"), a queue's (its channel).
        queue_tag = 2 if _queue_channel(err["loc"]) else -1
        loc = [p for i, p in enumerate(loc) if not (i and loc[i - 1] in _DISTRIBUTIONS) and i != queue_tag]
        msg = message(err)
        value = err["input"]
        if err["type"] == "union_tag_invalid":
            tag = "channel" if "channel" in str(err["ctx"].get("discriminator")) else "dist"
            loc, value = [*loc, tag], value.get(tag)
        path = ".".join(loc) or "(top level)"
        if err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        elif err["type"] == "extra_forbidden" or ", got " in msg or isinstance(value, Mapping):
            lines.append(f"{path}: {msg}")
        else:
            lines.append(f"{path}: {msg}, got {show(value)}{_full_width(value)}")
    return lines


def _full_width(value: object) -> str:
    """A hint where a value holds full-width digits (typed with a Chinese input method)."""
    if not isinstance(value, str) or not any(ch in FULL_WIDTH_DIGITS for ch in value):
        return ""
    return f"; it holds full-width digits: type {value.translate(_HALF_WIDTH)}"


_HALF_WIDTH = str.maketrans({**{d: str(i) for i, d in enumerate(FULL_WIDTH_DIGITS)}, "．": ".", "：": ":"})

