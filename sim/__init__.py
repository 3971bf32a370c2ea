"""Contact-centre simulator for e-commerce customer service (chats, calls, refunds) with SimPy.

Public API: ``load_scenario``, ``simulate``, ``compare``, ``Results``, ``Comparison``, ``Scenario``,
``ScenarioError``. Each is imported on first use, so ``import sim.units`` or the command line's
``--help`` does not load pandas, SimPy and Numba.
"""

from importlib import import_module

from sim.version import VERSION

__version__ = VERSION

__all__ = ["Comparison", "Results", "Scenario", "ScenarioError", "compare", "load_scenario", "simulate"]

_HOMES = {"Comparison": "sim.comparison", "compare": "sim.comparison", "Results": "sim.results",
          "simulate": "sim.runner", "Scenario": "sim.scenario", "ScenarioError": "sim.errors",
          "load_scenario": "sim.scenario"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
