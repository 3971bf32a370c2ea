"""Replication throughput: replications per second of scenarios/double11.yaml with 1 and 2 workers,
their scaling ratio, the peak memory of runs with more and more replications (up to 1,000, timed), and
arrival generation for many replications in one Numba call against one call per replication.

    python benchmarks/sweep.py                 # 40 replications per timing; memory at 50, 200 and 1,000
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
    """Simulate, then compute the statistics and write the tables, as ``run.py run --no-plots`` does."""
    import tempfile

    import sim

    sc = sim.load_scenario(ROOT / "scenarios" / "double11.yaml")
    sim.simulate(sc, replications=1, workers=1)                # compile and warm up outside the timing
    began = time.perf_counter()
    res = sim.simulate(sc, replications=replications, seed=5, workers=workers)
    seconds = time.perf_counter() - began
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # before save forks git
    with tempfile.TemporaryDirectory() as out:
        res.save(out, plots=False)                             # summary, statistics and every table
    return {"replications": replications, "workers": workers, "seconds": seconds,
            "save_seconds": time.perf_counter() - began - seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_rss_mb": workers_peak}


def arrivals(replications: int) -> dict:
    """Seconds to draw the arrival times of ``replications`` replications, best of 3, two ways."""
    import sim
    from sim.arrivals import arrival_times

    sc = sim.load_scenario(ROOT / "scenarios" / "double11.yaml")
    ways = {"one call per replication": lambda: [arrival_times(sc, [r], 5) for r in range(replications)],
            "one call": lambda: arrival_times(sc, list(range(replications)), 5)}
    best = {}
    for name, way in ways.items():
        arrival_times(sc, [0, 1], 5)                                      # compile outside the timing
        best[name] = min(_seconds(way) for _ in range(3))
    return best


def _seconds(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def run_part(*args: int | str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--part", *map(str, args)],
                          stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--part", nargs="+", help="REPLICATIONS WORKERS, or arrivals REPLICATIONS")
    args = parser.parse_args()
    if args.part:
        print(json.dumps(arrivals(int(args.part[1])) if args.part[0] == "arrivals" else part(*map(int, args.part))))
        return
    n = 8 if args.quick else 40
    one, two = run_part(n, 1), run_part(n, 2)
    rate1, rate2 = n / one["seconds"], n / two["seconds"]
    print(f"double11 (3 days, 3 queues, ~40,000 contacts per replication), {n} replications:")
    print(f"  1 worker   {rate1:6.2f} replications/s  ({one['seconds']:.1f} s)")
    print(f"  2 workers  {rate2:6.2f} replications/s  ({two['seconds']:.1f} s)")
    print(f"  scaling    {rate2 / rate1:6.2f} x   (target >= 1.8)")
    print(f"  1,000 replications at 2 workers: about {1000 / rate2 / 60:.1f} min (target < 10)")
    sizes = (10, 40) if args.quick else (50, 200, 1000)
    mem = [run_part(r, 2) for r in sizes]
    for m in mem:
        print(f"  {m['replications']:>5} replications, 2 workers: simulated in {m['seconds']:5.1f} s, statistics and "
              f"tables written in {m['save_seconds']:4.1f} s; peak memory: main process {m['peak_rss_mb']:.0f} MB, "
              f"largest worker {m['children_peak_rss_mb']:.0f} MB")
    print(f"  growth from {sizes[0]} to {sizes[-1]} replications: "
          f"{mem[-1]['peak_rss_mb'] - mem[0]['peak_rss_mb']:+.0f} MB in the main process (target: none)")
    n_arrivals = 50 if args.quick else 200
    times = run_part("arrivals", n_arrivals)
    base = times["one call per replication"]
    print(f"arrival times of {n_arrivals} replications (best of 3):")
    for name, seconds in times.items():
        print(f"  {name:<26} {seconds:6.3f} s  {base / seconds:5.2f} x")


if __name__ == "__main__":
    main()
