"""Routing benchmark: what the routing rules cost the engine, against the plain path in the same run.

The reference workload of benchmarks/engine.py (one call queue, 100 agents, 95 Erlangs, patience 600 s),
about 200,000 contacts, simulated as it is (plain path), with a customer class of share 0 (the general
policies serve the same customers in the same order: the seam's own cost), with 20% VIP customers,
with an overflow group after 20 s, and with 3 agents reserved for a second queue.

    python benchmarks/routing.py            # best of 3 alternating runs
"""

from __future__ import annotations

import argparse
import time

VARIANTS = {
    "plain (no rule)": {},
    "general path, no effect": {"queues.calls.classes": [{"name": "vip", "share": 0.0}]},
    "20% VIP class": {"queues.calls.classes": [{"name": "vip", "share": 0.2}]},
    "overflow after 20 s": {"queues.calls.overflow": {"after": 20, "groups": ["backup"]}},
    "3 agents reserved": {"groups.agents.reserve": {"queue": "vip_calls", "agents": 3}},
}


def scenario(days: float, overrides: dict):
    import sim

    return sim.load_scenario({
        "name": "routing", "start": "2026-11-02T00:00:00", "horizon": f"{round(days * 24)}h", "interval": "1h",
        "seed": 1,
        "queues": {"calls": {"channel": "call", "arrivals": {"daily_volume": 95 / 300 * 86400},
                             "handle_time": {"dist": "exponential", "mean": 300},
                             "patience": {"dist": "exponential", "mean": 600}},
                   "vip_calls": {"channel": "call", "arrivals": {"daily_volume": 200},
                                 "handle_time": {"dist": "exponential", "mean": 300}}},
        "groups": {"agents": {"skills": ["calls", "vip_calls"], "headcount": 100},
                   "backup": {"skills": ["vip_calls"], "headcount": 5}},
    }, overrides=overrides)


def seconds(days: float, overrides: dict) -> tuple[float, int]:
    from sim.arrivals import generate_demand
    from sim.engine import Model

    sc = scenario(days, overrides)
    model = Model(sc, generate_demand(sc, 0, sc.seed))
    began = time.perf_counter()
    out = model.run()
    return time.perf_counter() - began, len(out.contacts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--days", type=float, default=200_000 / (95 / 300 * 86400))
    args = parser.parse_args()
    seconds(0.05, {})                                          # compile the Numba kernel first
    best = {name: float("inf") for name in VARIANTS}
    contacts = {}
    for _ in range(args.repeat):                               # alternate: the machine is shared and noisy
        for name, overrides in VARIANTS.items():
            took, contacts[name] = seconds(args.days, overrides)
            best[name] = min(best[name], took)
    base = best["plain (no rule)"]
    print(f"best of {args.repeat} alternating runs, engine only (arrivals drawn beforehand)")
    for name in VARIANTS:
        print(f"  {name:26s} {contacts[name] / best[name]:>9,.0f} contacts/s   {best[name] / base:5.2f} x the plain "
              "path's time")


if __name__ == "__main__":
    main()
