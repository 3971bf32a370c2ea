"""The orders of a scenario (``orders``): over the horizon like a queue's arrivals, or by a sales plan over
its own calendar days with its phases (deposit, final payment, the big day); and the sources by which
queues take contacts from them (``from_orders``: a rate per order, a lag or a lead).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from sim.distributions import Delay
from sim.files import read_csv
from sim.profiles import BUILTIN_PROFILES
from sim.scenario.parts import Arrivals, Profile, Window
from sim.scenario.types import DayToDayCv, Name, NonNegative, Strict, resolve_path


class FromOrders(Strict):
    """Contacts driven by orders: each order placed (in ``phases``, every order when omitted) makes ``rate``
    contacts on average (its whole part always, the fraction with that probability), each ``lag`` after
    the order (after-sales: logistics questions, delivery chasing, returns, refunds) or ``lead`` before it
    (pre-sales inquiries).
    """

    rate: NonNegative
    lag: Delay | None = None
    lead: Delay | None = None
    phases: tuple[Name, ...] | None = None

    @model_validator(mode="after")
    def _lag_or_lead(self) -> FromOrders:
        if (self.lag is None) == (self.lead is None):
            raise ValueError("give 'lag' (contacts after the order) or 'lead' (before it), one of the two")
        return self


class _OneOrMany:
    """JSON Schema of a list that also takes its one item alone."""

    def __get_pydantic_json_schema__(self, core_schema, handler) -> dict:
        listed = handler(core_schema)
        return {"anyOf": [listed["items"], listed]}


def _listed(value: object) -> object:
    return [value] if isinstance(value, Mapping) else value


OrderSources = Annotated[tuple[FromOrders, ...], BeforeValidator(_listed), _OneOrMany()]


class Phase(Window):
    """A named stretch of the sales calendar: the deposit period (定金), the final-payment window (尾款), the
    big day. Contact sources and campaigns may take only the orders placed in it.
    """

    name: Name


def _plan_days(value: object, info: ValidationInfo) -> object:
    """Days as a mapping date → value, or a CSV path (columns ``date`` and ``value``)."""
    if not isinstance(value, str):
        return value
    path = resolve_path(value, info)
    rows = read_csv(path)
    if not rows or not {"date", "value"} <= set(rows[0]):
        raise ValueError(f"sales plan CSV {path} needs the columns 'date' and 'value'")
    return {row["date"]: row["value"] for row in rows}


class SalesPlan(Strict):
    """Orders over the plan's calendar days, which may start before the scenario and end after it.

    ``days`` maps each date (none skipped from the first to the last) to its orders, or to its GMV with
    ``unit: gmv`` (orders = GMV / average order value); with ``total`` they are weights scaled to add up
    to it (a GMV target split by day). ``profile`` shapes each day (``day_profiles`` the given dates'),
    ``day_to_day_cv`` adds gamma noise per day as for arrivals, and ``phases`` name stretches of the plan.
    """

    days: Annotated[dict[date, NonNegative], BeforeValidator(_plan_days), Field(min_length=1)]
    unit: Literal["orders", "gmv"] = "orders"
    total: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    profile: Profile = BUILTIN_PROFILES["flat"]
    day_profiles: dict[date, Profile] = {}
    day_to_day_cv: DayToDayCv = 0.0
    phases: tuple[Phase, ...] = ()

    @field_validator("days")
    @classmethod
    def _no_day_skipped(cls, value: dict[date, float]) -> dict[date, float]:
        first, last = min(value), max(value)
        missing = [first + timedelta(days=k) for k in range((last - first).days + 1)
                   if first + timedelta(days=k) not in value]
        if missing:
            raise ValueError(f"skips {missing[0]} ({len(missing)} day(s) missing between {first} and {last}); "
                             "give 0 for a day without orders")
        if not sum(value.values()) > 0:
            raise ValueError("needs at least one day with orders")
        return dict(sorted(value.items()))

    @field_validator("phases")
    @classmethod
    def _phase_names_once(cls, value: tuple[Phase, ...]) -> tuple[Phase, ...]:
        names = [p.name for p in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"names the phase {twice[0]!r} twice")
        return value

    @property
    def first_day(self) -> date:
        return next(iter(self.days))

    @property
    def last_day(self) -> date:
        return next(reversed(self.days))

    def orders_per_day(self, average_order_value: float) -> np.ndarray:
        """Planned orders of each day, first to last."""
        values = np.array(list(self.days.values()), dtype=float)
        if self.total is not None:
            values = values * self.total / values.sum()
        return values / average_order_value if self.unit == "gmv" else values

    def profile_on(self, day: date) -> tuple[float, ...]:
        """The intraday weights of ``day``: its own profile, else ``profile``."""
        return self.day_profiles.get(day, self.profile)


class Orders(Strict):
    """Orders placed: over the horizon, shaped like a queue's ``arrivals``, or by a sales ``plan`` over its
    own calendar days; surges reach them by the name ``orders``.
    """

    arrivals: Arrivals | None = None
    plan: SalesPlan | None = None
    average_order_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _arrivals_or_plan(self) -> Orders:
        if (self.arrivals is None) == (self.plan is None):
            raise ValueError("give 'arrivals' (orders over the horizon) or 'plan' (a sales plan by day), "
                             "one of the two")
        return self

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.plan.phases if self.plan is not None else ()
