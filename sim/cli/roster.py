"""``roster``: the least-cost roster of shift templates meeting the targets, closed by simulation."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import UserError, dask, load, said_where, whole

NAME = "roster"
HELP = "the least-cost roster of shift templates that meets the targets (docs/rosters.md)"
GROUPS = ("overrides", "replications", "runs", "outputs")


def arguments(parser) -> None:
    parser.add_argument("scenario", help="scenario file")
    parser.add_argument("--templates", type=Path, required=True, metavar="ROSTER.yaml",
                        help="the shift templates (and any new groups) the roster may use")
    parser.add_argument("--probability", type=float,
                        help="an interval meets when this share of replications reach the target (default: when "
                             "their mean does)")
    parser.add_argument("--max-iterations", type=whole(1), default=25,
                        help="simulate-and-resolve rounds before stopping (default: 25)")


def handle(args) -> int:
    from sim.console import Progress, console, roster_table
    from sim.errors import ScenarioError
    from sim.html_report import attempt
    from sim.outputs import choose, staged, write_warnings
    from sim.rosters.programme import RosterInfeasible
    from sim.rosters.search import search_roster
    from sim.rosters.templates import read_templates

    sc = load(args, args.scenario)
    if args.probability is not None and not 0 < args.probability <= 1:
        raise UserError(f"--probability: must be in (0, 1], got {args.probability}")
    try:
        roster, sc = read_templates(args.templates, sc)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    out = choose(args.out, Path("results") / f"roster_{sc.name}", args.overwrite)
    args.interrupted = "nothing was written: the roster is written once the search ends"
    with (staged(out, replace=args.overwrite) as stage,
          Progress(f"roster {sc.name}", args.max_iterations, "iterations") as bar):
        (tmp,) = stage
        try:
            found = search_roster(sc, roster, replications=args.replications, seed=args.seed,
                                  probability=args.probability, max_iterations=args.max_iterations,
                                  workers=args.workers, dask=dask(args.dask),
                                  progress=lambda i, missing, cost: bar.update(
                                      i + 1, f"roster {sc.name}: {missing} intervals missing at {cost:,.0f}"))
        except RosterInfeasible as exc:
            raise UserError("\n".join(f"{args.templates}: {line}" for line in str(exc).splitlines())) from None
        found.save(tmp, plots=not args.no_plots)
        write_warnings(tmp, [*args.warnings, *found.caveats()])
        attempt(tmp)
    show = console()
    show.print(roster_table(found))
    for line in found.caveats():
        show.print(line, style="yellow", markup=False)
    show.print(f"roster and report in {said_where(stage.final[0], args.out or Path('results') / f'roster_{sc.name}')}",
               markup=False)
    return 0
