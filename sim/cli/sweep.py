"""``sweep``: a grid of variants (``--set PATH=VALUES`` axes, or ``--grid FILE``) into one table."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import UserError, dask, load, scenario_path

NAME = "sweep"
HELP = "simulate a grid of variants into one table"
GROUPS = ("replications", "runs", "outputs")


def arguments(parser) -> None:
    parser.add_argument("scenario", help="scenario file")
    parser.add_argument("--set", dest="axes", action="append", default=[], metavar="PATH=START:STOP:STEP|V1,V2",
                        help="a swept parameter (one value: a fixed override); several --set make a grid")
    parser.add_argument("--grid", type=Path, help="CSV or YAML file, one variant per row (instead of --set)")
    parser.add_argument("--resume", action="store_true", help="keep the variants an earlier run of this sweep finished")


def handle(args) -> int:
    from sim.console import Progress, console, sweep_table
    from sim.html_report import attempt
    from sim.outputs import choose, write_warnings
    from sim.sweep import grid, sweep
    from sim.workbook import write_workbook

    path = scenario_path(args.scenario)
    sc = load(args, args.scenario)
    if bool(args.axes) == (args.grid is not None):
        raise UserError("sweep: give one or more --set PATH=VALUES, or --grid FILE")
    try:
        variants = grid(args.axes, args.grid)
    except ValueError as exc:
        raise UserError(f"sweep: {exc}") from None
    out = choose(args.out, Path("results") / f"sweep_{sc.name}", args.overwrite or args.resume)
    args.interrupted = (f"finished variants are kept in {out / 'variants'}; rerun the same command with --out {out} "
                        "--resume to skip them")
    with Progress(f"sweeping {sc.name}", len(variants), "variants") as bar:
        table = sweep(path, variants, out, replications=args.replications, seed=args.seed, workers=args.workers,
                      dask=dask(args.dask), resume=args.resume, progress=lambda done, _total: bar.update(done),
                      plots=not args.no_plots, max_memory=args.max_memory)
    if args.excel:
        write_workbook(out / "sweep.xlsx", {"sweep": table}, in_chinese=sc.chinese)
    write_warnings(out, args.warnings)
    attempt(out)
    show = console()
    view = sweep_table(table, list(variants[0]), args.replications, sc.name)
    if view is not None:
        show.print(view)
    failed = table[table["status"] == "error"]
    for _, row in failed.iterrows():
        show.print(f"variant {row['variant']} failed: {row['error']}", markup=False, style="red")
    show.print(f"{table['variant'].nunique()} variants ({failed['variant'].nunique()} failed), table in "
               f"{out / 'sweep.csv'} and {out / 'sweep.parquet'}", markup=False)
    return 0
