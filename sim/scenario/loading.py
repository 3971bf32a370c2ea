"""Reading a scenario: YAML or a dict, dotted-path overrides (``--set``), then validation key by key and
across keys, every problem reported at once; and writing one back as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.files import check_size, read_yaml, show
from sim.scenario.checks import cross_problems
from sim.scenario.messages import format_errors
from sim.scenario.model import Scenario
from sim.scenario.types import hint


def load_scenario(source: str | Path | Mapping, overrides: Mapping[str, Any] | None = None,
                  label: str | None = None) -> Scenario:
    """Load and validate a scenario from a YAML path or a dict, applying dotted-path ``overrides``.

    Raises ``ScenarioError`` listing every problem, each as ``FILE: key.path: message, got VALUE``;
    ``label`` replaces FILE (default: the path, or ``<dict>``).
    """
    if isinstance(source, Mapping):
        label, base_dir = label or "<dict>", Path(".")
        check_size(source, label)
        data = _deep_copy(source)
    else:
        label, base_dir = label or str(source), Path(source).parent
        data = read_yaml(Path(source))
    if not isinstance(data, dict):
        raise ScenarioError([f"{label}: top level must be a mapping of keys, got {type(data).__name__}"])
    problems = [f"{label}: {p}" for p in [*_apply_overrides(data, overrides or {}), *_booleans(data)]]
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ScenarioError([f"{label}: {line}" for line in format_errors(exc)]) from None
    cross = cross_problems(scenario)
    if cross:
        raise ScenarioError([f"{label}: {p.path}: {p.message}" for p in cross])
    return scenario.loaded_from(label, overrides or {})


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deep_copy(v) for v in value]
    return value


def _booleans(data: dict) -> list[str]:
    """A problem per true/false value: no scenario key takes one, and YAML reads yes, no, on and off as such."""
    problems, stack = [], [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, bool):
            problems.append(f"{'.'.join(path)}: YAML reads yes, no, on, off, true and false as yes/no; give a "
                            f"number, or quote a name, got {node}")
        elif isinstance(node, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, str(i)), v) for i, v in reversed(list(enumerate(node))))
    return problems


def _apply_overrides(data: dict, overrides: Mapping[str, Any]) -> list[str]:
    """Set each dotted path (list items by index; ``*`` for every key or item at that level, e.g.
    ``groups.*.absenteeism``) in ``data``; return problems with paths.
    """
    problems = []
    for pattern, value in overrides.items():
        paths = _expand(data, pattern.split("."))
        if not paths:
            head, _, rest = pattern.partition(".*.")
            problems.append(f"{pattern}: nothing matches: no member of {head} has {rest}, got {show(value)}")
        for keys in paths:
            problems += _set(data, ".".join(keys), keys, value)
    return problems


def _expand(data: Any, keys: list[str], matched: int = 0) -> list[list[str]]:
    """The concrete key paths a dotted pattern names: each ``*`` stands for every key of the mapping (or item
    of the list) it meets, leaving out those below which the rest of the path does not exist (a group with
    a head count and no shifts, for ``groups.*.shifts.*.count``); a path without ``*`` is itself.
    ``matched``: the leading keys that came from a ``*``.
    """
    star = keys.index("*") if "*" in keys else len(keys)
    node: Any = data
    for depth, key in enumerate(keys[:star] if star < len(keys) else keys[:-1]):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isascii() and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return [] if depth >= matched > 0 else [keys]     # below a '*': not this member; else _set says so
    if star == len(keys):
        return [keys]
    members = list(node) if isinstance(node, dict) else [str(i) for i in range(len(node))] \
        if isinstance(node, list) else []
    return [path for member in members
            for path in _expand(data, [*keys[:star], str(member), *keys[star + 1:]], star + 1)]


def _set(data: dict, dotted: str, keys: list[str], value: Any) -> list[str]:
    """Set one dotted path in ``data``; the problem where it cannot be."""
    node: Any = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit()) or int(key) >= len(node):
                return [f"{dotted}: no list item {key!r} (the list has {len(node)}), got {show(value)}"]
            key = int(key)
        elif not isinstance(node, dict):
            return [f"{dotted}: {'.'.join(keys[:depth])} is not a mapping, got {show(value)}"]
        elif not last and key not in node:
            return [f"{dotted}: no key {key!r}{hint(key, node)}, got {show(value)}"]
        if last:
            node[key] = value
        else:
            node = node[key]
    return []


def dump_scenario(sc: Scenario) -> dict:
    """The resolved scenario as plain data (durations in seconds, profiles and rosters inlined)."""
    return sc.model_dump(mode="json", exclude_none=True)


def short_path(path: str) -> str:
    """A swept parameter's path without its section, for labels: 'groups.team.shifts.0.count' → 'team.shifts.0.count'.

    >>> short_path("groups.hotline_team.shifts.0.count"), short_path("surges.1.multiplier")
    ('hotline_team.shifts.0.count', 'surges.1.multiplier')
    """
    head, _, rest = path.partition(".")
    return rest if head in ("groups", "queues") and rest else path
