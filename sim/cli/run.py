"""``run``: simulate a scenario, write its results folder and print the summary."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import DEFAULT_SCENARIO, dask, load, said_where

NAME = "run"
HELP = "simulate a scenario and write results"
GROUPS = ("overrides", "replications", "runs", "outputs")


def arguments(parser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario file (default: %(default)s)")
    parser.add_argument("--contacts", action="store_true", help="also write one row per contact")


def handle(args) -> int:
    from sim.console import (
        Progress,
        class_table,
        console,
        conversation_table,
        groups_table,
        summary_notes,
        summary_tables,
        worst_table,
    )
    from sim.html_report import attempt
    from sim.outputs import choose, staged, write_warnings
    from sim.runner import simulate

    sc = load(args, args.scenario)
    default = Path("results") / sc.name
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: results are written once every replication is done"
    with (staged(out, replace=args.overwrite) as stage,
          Progress(f"simulating {sc.name}", args.replications, "replications") as bar):
        (tmp,) = stage
        res = simulate(sc, replications=args.replications, seed=args.seed, workers=args.workers,
                       dask=dask(args.dask), record_contacts=args.contacts, max_memory=args.max_memory,
                       progress=bar.update)
        res.command = args.argv
        res.save(tmp, plots=not args.no_plots, excel=args.excel)
        write_warnings(tmp, args.warnings)
        attempt(tmp)
    show = console()
    for table in [*summary_tables(res), conversation_table(res), class_table(res), groups_table(res),
                  worst_table(res)]:
        if table is not None:
            show.print(table)
    for line in summary_notes(res):
        show.print(line, markup=False)
    show.print(f"{res.runtime_s:.1f}s, results in {said_where(stage.final[0], args.out or default)}", markup=False)
    return 0
