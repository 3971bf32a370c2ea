"""Staffing: queueing formulas and the shops' rules (``formulas``)."""

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

__all__ = ["ErlangA", "ErlangC", "agents_for_orders", "daily_ratio", "erlang_a_agents", "erlang_b",
           "erlang_c_agents", "halfin_whitt_prob_wait", "refund_specialists", "required_agents", "sqrt_agents"]
