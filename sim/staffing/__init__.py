"""Staffing: queueing formulas and the shops' rules (``formulas``), per-interval requirements
(``requirements``), their simulated attainment (``evaluate``) and the simulation-based requirement
(``iterative``). See docs/staffing.md.
"""

from sim.staffing.evaluate import METHODS, StaffingReport, evaluate
from sim.staffing.formulas import (
    ErlangA,
    ErlangC,
    agents_for_orders,
    daily_ratio,
    erlang_a_agents,
    erlang_b,
    erlang_c_agents,
    halfin_whitt_prob_wait,
    refund_specialists,
    required_agents,
    sqrt_agents,
)
from sim.staffing.iterative import SimulatedRequirement, simulation_requirement
from sim.staffing.requirements import FORMULAS, requirements

__all__ = ["FORMULAS", "METHODS", "ErlangA", "ErlangC", "SimulatedRequirement", "StaffingReport",
           "agents_for_orders", "daily_ratio", "erlang_a_agents", "erlang_b", "erlang_c_agents", "evaluate",
           "halfin_whitt_prob_wait", "refund_specialists", "required_agents", "requirements",
           "simulation_requirement", "sqrt_agents"]
