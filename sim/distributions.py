"""Distributions of handle times, patience and other durations (all in seconds).

Each distribution is a small frozen object: validated parameters, an analytic ``mean`` (and, for
durations, ``cdf``), vectorised ``sample(rng, n)`` from an explicit ``numpy.random.Generator`` and a
readable repr.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from sim.units import DURATION_JSON, parse_duration

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False), WithJsonSchema(DURATION_JSON)]
Variation = Annotated[float, Field(ge=0.001, le=20, allow_inf_nan=False)]   # sd / mean; real data: 0.2-3


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("mean", "value", mode="before", check_fields=False)
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value) if isinstance(value, str) else value

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.model_dump(exclude={"dist"}).items())
        return f"{type(self).__name__}({params})"

    __str__ = __repr__


class Exponential(_Distribution):
    """Exponential with the given mean (s)."""

    dist: Literal["exponential"]
    mean: Seconds

    @property
    def cv(self) -> float:
        return 1.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x)."""
        return -np.expm1(-np.maximum(x, 0.0) / self.mean)


class LogNormal(_Distribution):
    """Lognormal given by its own mean (s) and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"]
    mean: Seconds
    cv: Variation

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), n)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x)."""
        from scipy.special import ndtr  # scipy stays out of reading a scenario
        sigma2 = math.log1p(self.cv**2)
        with np.errstate(divide="ignore"):
            return ndtr((np.log(np.maximum(x, 0.0)) - math.log(self.mean) + sigma2 / 2) / math.sqrt(sigma2))


class Gamma(_Distribution):
    """Gamma given by its mean (s) and coefficient of variation (shape = 1 / cv²)."""

    dist: Literal["gamma"]
    mean: Seconds
    cv: Variation

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, n)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x)."""
        from scipy.special import gammainc  # scipy stays out of reading a scenario
        shape = 1.0 / self.cv**2
        return gammainc(shape, np.maximum(x, 0.0) * shape / self.mean)


class Constant(_Distribution):
    """Always ``value`` seconds."""

    dist: Literal["constant"]
    value: Seconds

    @property
    def mean(self) -> float:
        return self.value

    @property
    def cv(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x)."""
        return (np.asarray(x) >= self.value).astype(float)


class Empirical(_Distribution):
    """Resampling with replacement from observed ``values`` (s)."""

    dist: Literal["empirical"]
    values: Annotated[tuple[Seconds, ...], Field(min_length=1)]

    @field_validator("values", mode="before")
    @classmethod
    def _durations(cls, values: object) -> object:
        if isinstance(values, (list, tuple)):
            return tuple(parse_duration(v) if isinstance(v, str) else v for v in values)
        return values

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def cv(self) -> float:
        return float(np.std(self.values) / np.mean(self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values), n)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x): the share of ``values`` up to x."""
        return np.searchsorted(np.sort(self.values), x, side="right") / len(self.values)


class MixturePart(BaseModel):
    """A ``share`` of the contacts whose values follow ``of``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    of: Annotated[Exponential | LogNormal | Gamma | Constant | Empirical, Field(discriminator="dist")]


class Mixture(_Distribution):
    """Several populations in one queue, e.g. a spike of very short contacts beside the body: each
    contact's value comes from one part, chosen by the parts' shares (which add up to 1).
    """

    dist: Literal["mixture"]
    parts: Annotated[tuple[MixturePart, ...], Field(min_length=2)]

    @model_validator(mode="after")
    def _shares_add_up(self) -> Mixture:
        total = sum(p.share for p in self.parts)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"the parts' shares must add up to 1, got {total:g}")
        return self

    @property
    def mean(self) -> float:
        return float(sum(p.share * p.of.mean for p in self.parts))

    @property
    def cv(self) -> float:
        second = sum(p.share * p.of.mean ** 2 * (1 + p.of.cv ** 2) for p in self.parts)
        return float(math.sqrt(max(second - self.mean ** 2, 0.0)) / self.mean)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        which = rng.choice(len(self.parts), n, p=[p.share for p in self.parts])
        out = np.empty(n)
        for k, part in enumerate(self.parts):
            chosen = which == k
            out[chosen] = part.of.sample(rng, int(chosen.sum()))
        return out

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(value ≤ x)."""
        return sum(p.share * p.of.cdf(x) for p in self.parts)


class _Balking(BaseModel):
    balk: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    """Probability that a customer who finds no agent free leaves at once (on top of the patience)."""


class ExponentialPatience(Exponential, _Balking):
    """Exponential patience (s) with an optional balking probability."""


class LogNormalPatience(LogNormal, _Balking):
    """Lognormal patience (s) with an optional balking probability."""


class ConstantPatience(Constant, _Balking):
    """Constant patience (s) with an optional balking probability."""


class OrderValueShare(_Distribution):
    """A refund amount equal to ``share`` of the scenario's average order value (1 = a full refund)."""

    dist: Literal["order_value_share"]
    share: Annotated[float, Field(gt=0, allow_inf_nan=False)]


Amount = Annotated[
    Exponential | LogNormal | Gamma | Constant | Empirical | OrderValueShare, Field(discriminator="dist")
]
HandleTime = Annotated[
    Exponential | LogNormal | Gamma | Constant | Empirical | Mixture, Field(discriminator="dist")
]
Delay = HandleTime
Patience = Annotated[ExponentialPatience | LogNormalPatience | ConstantPatience, Field(discriminator="dist")]

MIN_CV = 1e-6           # a day-to-day cv below this is no noise (the gamma's shape would overflow)


def busyness(rng: np.random.Generator | None, cv: float, n: int) -> np.ndarray:
    """``n`` gamma factors of mean 1 and coefficient of variation ``cv`` (a day's busyness); all 1 below
    ``MIN_CV`` (``rng`` is then not drawn from, and may be None).
    """
    if cv < MIN_CV:
        return np.ones(n)
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, n)
