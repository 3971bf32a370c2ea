"""Roster files: the shift templates a roster may use (docs/rosters.md).

A roster file (YAML) has ``templates`` by name: the ``group`` that works them, the ``starts`` allowed
(times of day), the paid ``length`` (breaks included, at most a day), ``breaks`` each placed anywhere in
a window after the start, the ``days`` a template may be worked (dates or weekdays: temporary and
outsourced teams only on given days), the ``min`` and ``max`` agents working it per day, their
``proficiency``, and a ``split`` (work, an unpaid gap, work: the morning and evening peaks of one
agent). ``groups`` may add teams the scenario does not have yet (temporary staff, an outsourced vendor),
with the scenario's group keys (skills, chats per agent, absenteeism, cost) but no schedule: the roster
gives them one. ``staff`` limits a group with templates to ``heads`` people, each working ``days_on`` days
a week at most (the same weekdays every week) and never on its fixed ``days_off``. Every start, length,
split and break window falls on the scenario's interval grid.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.errors import ScenarioError
from sim.files import read_yaml
from sim.scenario import Scenario, dump_scenario, load_scenario
from sim.scenario.messages import format_errors
from sim.scenario.staff import Days
from sim.scenario.types import WEEKDAYS, Duration, Name, PositiveDuration, Strict, TimeOfDay
from sim.units import format_duration, format_time_of_day

DAY = 86400.0


class BreakWindow(Strict):
    """A break of ``duration`` starting between ``earliest`` and ``latest`` after the shift's start (s)."""

    duration: PositiveDuration
    earliest: Duration
    latest: Duration

    @model_validator(mode="after")
    def _ordered(self) -> BreakWindow:
        if self.latest < self.earliest:
            raise ValueError("latest must not be before earliest")
        return self


class Split(Strict):
    """A split shift: after ``after`` of paid work the agent is off, unpaid, for ``gap``, then works the
    rest of the template's ``length``.
    """

    after: PositiveDuration
    gap: PositiveDuration


class Template(Strict):
    """Shifts one group may work (see the module)."""

    group: Name
    starts: Annotated[tuple[TimeOfDay, ...], Field(min_length=1)]
    length: PositiveDuration
    breaks: tuple[BreakWindow, ...] = ()
    days: Days = None
    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0)] | None = None
    proficiency: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    split: Split | None = None

    @property
    def parts(self) -> tuple[tuple[float, float], ...]:
        """The worked (paid) stretches of a shift, as (from, to) seconds after its start."""
        if self.split is None:
            return ((0.0, self.length),)
        resume = self.split.after + self.split.gap
        return (0.0, self.split.after), (resume, resume + self.length - self.split.after)

    @model_validator(mode="after")
    def _fits(self) -> Template:
        span = self.parts[-1][1]
        if span > DAY:
            raise ValueError(f"a shift must end within a day of its start, got {format_duration(span)}")
        if self.split is not None and self.split.after >= self.length:
            raise ValueError(f"split.after ({format_duration(self.split.after)}) must be shorter than length "
                             f"({format_duration(self.length)})")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        for b in self.breaks:
            if not any(a <= b.earliest and b.latest + b.duration <= z for a, z in self.parts):
                raise ValueError(f"a break from {format_duration(b.earliest)} to {format_duration(b.latest)} after the "
                                 f"start, {format_duration(b.duration)} long, falls outside the shift's worked time")
        return self


class Staff(Strict):
    """Who a group has: at most ``heads`` people, each working at most ``days_on`` days a week (the same
    weekdays every week) and never on ``days_off`` (weekdays).
    """

    heads: Annotated[int, Field(ge=0)]
    days_on: Annotated[int, Field(ge=1, le=7)] = 7
    days_off: tuple[Literal[WEEKDAYS], ...] = ()

    @model_validator(mode="after")
    def _room(self) -> Staff:
        if self.days_on > 7 - len(set(self.days_off)):
            raise ValueError(f"days_on ({self.days_on}) leaves no room for {len(set(self.days_off))} fixed day(s) off")
        return self

    def tours(self) -> list[frozenset[int]]:
        """The weekly patterns a person may work: sets of weekdays (0 = Monday), ``days_on`` of them."""
        free = [d for d in range(7) if WEEKDAYS[d] not in self.days_off]
        return [frozenset(t) for t in itertools.combinations(free, self.days_on)]


class RosterFile(Strict):
    """A roster file: ``templates``, new ``groups`` and ``staff`` rules by group (see the module)."""

    groups: dict[Name, dict[str, Any]] = {}
    staff: dict[Name, Staff] = {}
    templates: Annotated[dict[Name, Template], Field(min_length=1)]


def read_templates(path: str | Path, sc: Scenario) -> tuple[RosterFile, Scenario]:
    """The roster file at ``path`` checked against ``sc``, and ``sc`` with the file's new groups (no
    agents yet). A ``ScenarioError`` lists every problem as ``FILE: key.path: message, got VALUE``.
    """
    label = str(path)
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ScenarioError([f"{label}: top level must be a mapping with templates (and groups), got "
                             f"{type(data).__name__}"])
    try:
        roster = RosterFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([f"{label}: {line}" for line in format_errors(exc)]) from None
    problems = []
    template_groups = {t.group for t in roster.templates.values()}
    taken = [g for g in roster.groups if g in sc.groups]
    problems += [f"{label}: groups.{g}: the scenario already has this group; give it templates only" for g in taken]
    scenario = dict(dump_scenario(sc))
    scenario["groups"] = {**scenario["groups"], **{
        g: {k: v for k, v in spec.items() if k not in ("shifts", "headcount", "roster")} | {"headcount": 0}
        for g, spec in roster.groups.items() if g not in sc.groups}}
    problems += [f"{label}: staff.{g}: not a group with templates ({', '.join(sorted(template_groups))}), got {g!r}"
                 for g in roster.staff if g not in template_groups]
    for name, t in roster.templates.items():
        spec = scenario["groups"].get(t.group, {})
        if spec and not spec.get("cost"):
            problems.append(f"{label}: templates.{name}.group: group {t.group!r} has no cost (give it cost: "
                            "{per_hour: ...} in the scenario or in this file's groups), so no roster of it can be "
                            "priced")
        if t.group not in scenario["groups"]:
            problems.append(f"{label}: templates.{name}.group: not a group of the scenario or of this file "
                            f"({', '.join(scenario['groups'])}), got {t.group!r}")
        for k, start in enumerate(t.starts):
            if start % sc.interval:
                problems.append(f"{label}: templates.{name}.starts.{k}: must fall on the scenario's "
                                f"{format_duration(sc.interval)} grid, got {format_time_of_day(start)}")
        offsets = [("length", t.length)] + [(f"breaks.{k}.{key}", getattr(b, key)) for k, b in enumerate(t.breaks)
                                             for key in ("earliest", "latest", "duration")]
        if t.split is not None:
            offsets += [("split.after", t.split.after), ("split.gap", t.split.gap)]
        for key, seconds in offsets:
            if seconds % sc.interval:
                problems.append(f"{label}: templates.{name}.{key}: must be a multiple of the scenario's interval "
                                f"({format_duration(sc.interval)}), got {format_duration(seconds)}")
    if problems:
        raise ScenarioError(problems)
    return roster, load_scenario(scenario, label=f"{label} (its groups added to {sc.name})")
