"""Memory and time of one replication against sim.workload's estimate: contacts, agent shifts, intervals.

Each case runs in a fresh process: peak RSS after a warm-up run of a tiny scenario (the baseline,
measured in the same process) and after one replication of the case with its statistics tables (what a
run holds at once); the growth per unit, and the seconds per unit of this machine, are compared with the
estimate's. Ratios, measured in the same run, are what to read on a shared machine. Usage:
``python benchmarks/workload.py`` (about two minutes).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))                  # the scenarios come from the tests' builder

CASES = {                       # name: (units, what the unit is)
    "contacts": (1_000_000, "contacts"),
    "agents": (100_000, "agents"),
    "agent_shifts": (20_000, "agent shifts"),
    "intervals": (400 * 96, "intervals"),
    "short_intervals": (43_200, "1-s intervals"),
}


def scenario(kind: str, n: int) -> dict:
    from tests.conftest import single_queue

    if kind == "contacts":
        return single_queue(rate_per_s=n / 86400, agents=int(n / 86400 * 300 * 1.3) + 5, days=1, patience=100)
    if kind == "agents":
        return single_queue(rate_per_s=1e-4, agents=n, days=1)
    if kind == "agent_shifts":      # 100 agents a day with a break, for n / 100 days
        data = single_queue(rate_per_s=1e-4, agents=1, days=n // 100)
        data["groups"]["team"] = {"skills": ["q"], "shifts": [{"start": "08:00", "end": "17:00", "count": 100,
                                                               "breaks": [{"at": "12:00", "duration": "1h"}]}]}
        return data
    if kind == "short_intervals":
        data = single_queue(rate_per_s=1e-4, agents=1, days=1)
        data["interval"], data["horizon"] = 1, n
        return data
    data = single_queue(rate_per_s=1e-4, agents=1, days=n // 96)
    data["interval"] = "15min"
    return data


def measure(kind: str) -> dict:
    import time

    import sim
    from sim import workload
    from tests.conftest import single_queue

    def run(sc) -> None:
        res = sim.simulate(sc, replications=1, workers=1, max_memory=2**40)
        _ = res.interval_stats, res.group_stats, res.sla_probability, res.summary

    run(sim.load_scenario(single_queue(load=5, agents=10, days=1)))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    n, _ = CASES[kind]
    sc = sim.load_scenario(scenario(kind, n))
    began = time.perf_counter()
    run(sc)
    seconds = time.perf_counter() - began
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    work = workload.estimate(sc)
    return {"kind": kind, "units": n, "measured_bytes": grown, "estimated_bytes": work.memory - workload.PROCESS_BYTES,
            "measured_s": seconds, "estimated_s": work.seconds}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        print(json.dumps(measure(sys.argv[2])))
        return
    print(f"{'case':<14}{'units':>10}{'measured B/unit':>17}{'estimate B/unit':>17}{'estimate/measured':>19}"
          f"{'measured µs/unit':>18}{'estimate µs/unit':>18}{'estimate/measured':>19}")
    for kind, (n, noun) in CASES.items():
        out = subprocess.run([sys.executable, __file__, "--case", kind], capture_output=True, text=True, check=True,
                             cwd=ROOT)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{noun:<14}{n:>10,}{row['measured_bytes'] / n:>17,.0f}{row['estimated_bytes'] / n:>17,.0f}"
              f"{row['estimated_bytes'] / row['measured_bytes']:>19.2f}{row['measured_s'] / n * 1e6:>18,.1f}"
              f"{row['estimated_s'] / n * 1e6:>18,.1f}{row['estimated_s'] / row['measured_s']:>19.2f}")


if __name__ == "__main__":
    main()
