"""Contact-centre simulator for e-commerce customer service (chats, calls) with SimPy.

Public API: ``load_scenario``, ``simulate``, ``compare``, ``Results``, ``Comparison``, ``Scenario``,
``ScenarioError``.
"""

from importlib.metadata import PackageNotFoundError, version

from sim.compare import Comparison, compare
from sim.results import Results
from sim.runner import simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

try:
    __version__ = version("ccsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.1.0+source"

__all__ = ["Comparison", "Results", "Scenario", "ScenarioError", "compare", "load_scenario", "simulate"]
