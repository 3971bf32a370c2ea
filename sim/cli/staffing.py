"""``staffing``: staffing formulas and a simulation-based requirement per interval, each simulated."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import UserError, dask, load, said_where

NAME = "staffing"
HELP = "staffing formulas per interval, simulated against the target"
GROUPS = ("overrides", "replications", "runs", "outputs")


def arguments(parser) -> None:
    parser.add_argument("scenario", help="scenario file")
    parser.add_argument("--formula", help="comma-separated methods (default: all: daily_ratio, erlang_c, erlang_a, "
                                          "sqrt and simulation, the simulation-based requirement)")
    parser.add_argument("--probability", type=float,
                        help="simulation: an interval meets when this share of replications reach the target "
                             "(default: when their mean does)")
    parser.add_argument("--lag", action="store_true",
                        help="give each interval the rate of one mean handle time earlier (lagged SIPP)")
    parser.add_argument("--per-agent-day", action="append", default=[], metavar="QUEUE=N",
                        help="contacts one agent handles per day, for daily_ratio (default: 8 h at 85%% occupancy)")


def per_agent_day(pairs: list[str], queues: list[str]) -> dict[str, float]:
    """``QUEUE=N`` pairs for the daily-ratio rule."""
    out = {}
    for pair in pairs:
        queue, _, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if queue not in queues:
            raise UserError(f"--per-agent-day: {queue!r} is not a staffed queue (one of {', '.join(queues)}), "
                            f"got {pair!r}")
        if not 0 < number < float("inf"):
            raise UserError(f"--per-agent-day: needs QUEUE=N with N > 0, got {pair!r}")
        out[queue] = number
    return out


def handle(args) -> int:
    from sim.console import Progress, console, staffing_table
    from sim.html_report import attempt
    from sim.outputs import choose, staged, write_warnings
    from sim.staffing.evaluate import METHODS, evaluate, simulations_at_most
    from sim.staffing.requirements import covered_queues
    from sim.workbook import write_workbook

    sc = load(args, args.scenario)
    chosen = tuple(f.strip() for f in (args.formula or ",".join(METHODS)).split(",") if f.strip())
    unknown = [f for f in chosen if f not in METHODS]
    if unknown or not chosen:
        raise UserError(f"--formula: choose from {','.join(METHODS)}, got {args.formula!r}")
    if args.probability is not None and not 0 < args.probability <= 1:
        raise UserError(f"--probability: must be in (0, 1], got {args.probability}")
    queues = covered_queues(sc)
    if not queues:
        raise UserError(f"{args.scenario}: no chat or call queue with its own arrivals to staff")
    if "simulation" in chosen:
        from sim.ceilings import unattainable

        problems = unattainable(sc, queues)
        if problems:
            raise UserError("\n".join(f"{args.scenario}: --formula simulation: {line}" for line in problems.values()))
    daily = per_agent_day(args.per_agent_day, queues)
    default = Path("results") / f"staffing_{sc.name}"
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: the study is written once every method is done"
    with (staged(out, replace=args.overwrite) as stage,
          Progress(f"staffing {sc.name}", simulations_at_most(chosen), "simulations",
                   bound="simulation" in chosen) as bar):
        (tmp,) = stage
        report = evaluate(sc, chosen, replications=args.replications, seed=args.seed, lag=args.lag,
                          per_agent_per_day=daily, probability=args.probability, workers=args.workers,
                          dask=dask(args.dask),
                          progress=lambda done, what: bar.update(done, f"staffing {sc.name}: {what}"))
        bar.update(bar.total, f"staffing {sc.name}: done")
        report.save(tmp, plots=not args.no_plots)
        if args.excel:
            write_workbook(tmp / "staffing.xlsx", {"summary": report.summary, "days": report.days},
                           in_chinese=sc.chinese)
        write_warnings(tmp, [*args.warnings, *report.caveats()])
        attempt(tmp)
    show = console()
    show.print(staffing_table(report, args.replications, args.lag))
    totals = report.summary.groupby("formula", sort=False)[["formula_agent_hours",
                                                             "formula_rostered_agent_hours"]].first()
    show.print("agent-hours, all staff, present / rostered: " + ", ".join(
        f"{f} {row['formula_agent_hours']:,.0f} / {row['formula_rostered_agent_hours']:,.0f}"
        for f, row in totals.iterrows()), markup=False)
    for _, row in report.specialists().iterrows():
        shops = ("" if row["specialists"] != row["specialists"] else
                 f"; the shops' refund-specialist rule {row['specialists']:,.1f} specialists "
                 f"({row['specialist_hours']:,.0f} agent-hours at 8 h a day)")
        show.print(f"back-office {row['queue']}: the deferred-work rule {row['rule_agent_hours']:,.0f} agent-hours"
                   + shops, markup=False)
    for line in report.caveats():
        show.print(line, style="yellow", markup=False)
    worst = report.worst()
    if worst:
        show.print("worst intervals (mean over replications):")
        for line in worst:
            show.print(f"  {line}", markup=False)
    show.print(f"tables and plots in {said_where(stage.final[0], args.out or default)}", markup=False)
    return 0
