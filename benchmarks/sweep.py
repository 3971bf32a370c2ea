"""Replication throughput: replications per second of scenarios/double11.yaml with 1 and 2 workers,
their scaling ratio, and the peak memory of runs with more and more replications.

    python benchmarks/sweep.py                 # 40 replications per timing; memory at 50 and 200
    python benchmarks/sweep.py --quick         # 8 replications; memory at 10 and 40

Each measurement runs in its own process (its max RSS is its own). Targets (issue 4): scaling >= 1.8x
on 2 cores; 1,000 replications in under 10 minutes; peak memory not growing with replications.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def part(replications: int, workers: int) -> dict:
    import sim

    sc = sim.load_scenario(ROOT / "scenarios" / "double11.yaml")
    sim.simulate(sc, replications=1, workers=1)                # compile and warm up outside the timing
    began = time.perf_counter()
    sim.simulate(sc, replications=replications, seed=5, workers=workers)
    seconds = time.perf_counter() - began
    return {"replications": replications, "workers": workers, "seconds": seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def run_part(replications: int, workers: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--part", str(replications), str(workers)],
                          stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--part", nargs=2, type=int, metavar=("REPLICATIONS", "WORKERS"))
    args = parser.parse_args()
    if args.part:
        print(json.dumps(part(*args.part)))
        return
    n = 8 if args.quick else 40
    one, two = run_part(n, 1), run_part(n, 2)
    rate1, rate2 = n / one["seconds"], n / two["seconds"]
    print(f"double11 (3 days, 3 queues, ~40,000 contacts per replication), {n} replications:")
    print(f"  1 worker   {rate1:6.2f} replications/s  ({one['seconds']:.1f} s)")
    print(f"  2 workers  {rate2:6.2f} replications/s  ({two['seconds']:.1f} s)")
    print(f"  scaling    {rate2 / rate1:6.2f} x   (target >= 1.8)")
    print(f"  1,000 replications at 2 workers: about {1000 / rate2 / 60:.1f} min (target < 10)")
    small, large = (10, 40) if args.quick else (50, 200)
    mem = [run_part(r, 2) for r in (small, large)]
    for m in mem:
        print(f"  peak memory, {m['replications']:>4} replications: main process {m['peak_rss_mb']:.0f} MB, "
              f"largest worker {m['children_peak_rss_mb']:.0f} MB")
    print(f"  growth from {small} to {large} replications: {mem[1]['peak_rss_mb'] - mem[0]['peak_rss_mb']:+.0f} MB "
          f"in the main process (target: none)")


if __name__ == "__main__":
    main()
