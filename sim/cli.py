"""Command line: ``run``, ``check``, ``compare``, ``sweep``, ``staffing``, ``calibrate``, ``synthetic-log``,
``schema``.

Options shared by several commands are declared once (argparse parent parsers). User errors exit 2
with one line per problem and no traceback; an interrupt exits 130 and says what was kept. Heavy
libraries load inside ``main``, so even an interrupt while they load ends cleanly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = "scenarios/double11.yaml"
COMMANDS = ("run", "check", "compare", "sweep", "staffing", "calibrate", "synthetic-log", "schema")


class UserError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


# ---------------------------------------------------------------- arguments

def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}") from None
        if value < minimum or value >= 2**63:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def _memory(text: str) -> float:
    """A size such as 12G, 800M or 2.5GB (bytes when no unit)."""
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    number = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = number[-1:] if number[-1:] in units else ""
    try:
        value = float(number.removesuffix(unit)) * units[unit]
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a size such as 12G or 800M, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    overrides = argparse.ArgumentParser(add_help=False)
    overrides.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                           help="override a scenario value by dotted path, e.g. groups.presales.headcount=30 "
                                "(repeatable)")
    replications = argparse.ArgumentParser(add_help=False)
    replications.add_argument("-r", "--replications", type=_whole(1), default=10,
                              help="independent replications of the horizon: more give narrower confidence "
                                   "intervals")
    runs = argparse.ArgumentParser(add_help=False)
    runs.add_argument("--seed", type=_whole(0), help="random seed (default: the scenario's)")
    runs.add_argument("--workers", type=_whole(1), help="processes (default: all cores, at most one per replication)")
    runs.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    runs.add_argument("--max-memory", type=_memory, metavar="SIZE",
                      help="refuse runs estimated to need more memory than this, e.g. 12G (default: 80%% of this "
                           "machine's)")
    outputs = argparse.ArgumentParser(add_help=False)
    outputs.add_argument("--out", type=Path, help="output folder (default: under results/, never one already used)")
    outputs.add_argument("--overwrite", action="store_true", help="replace what --out already holds")
    outputs.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    outputs.add_argument("--excel", action="store_true", help="also write the main tables as an .xlsx workbook")

    parser = argparse.ArgumentParser(prog="run.py", description="Contact-centre simulator for e-commerce customer "
                                     "service. `python run.py SCENARIO` is `run SCENARIO`.", formatter_class=formatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", parents=[overrides, replications, runs, outputs], formatter_class=formatter,
                         help="simulate a scenario and write results")
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario file")
    run.add_argument("--contacts", action="store_true", help="also write one row per contact")
    check = sub.add_parser("check", parents=[overrides], formatter_class=formatter,
                           help="validate a scenario, estimate its workload and warn of likely mistakes")
    check.add_argument("scenario", help="scenario file")
    compare = sub.add_parser("compare", parents=[replications, runs, outputs], formatter_class=formatter,
                             help="paired comparison of variants against a base, on common random numbers")
    compare.add_argument("base", help="scenario file of the base")
    compare.add_argument("variants", nargs="+", help="scenario files of the variants")
    sweep = sub.add_parser("sweep", parents=[replications, runs, outputs], formatter_class=formatter,
                           help="simulate a grid of variants into one table")
    sweep.add_argument("scenario", help="scenario file")
    sweep.add_argument("--set", dest="axes", action="append", default=[], metavar="PATH=START:STOP:STEP|V1,V2",
                       help="a swept parameter; several --set make a grid")
    sweep.add_argument("--grid", type=Path, help="CSV or YAML file, one variant per row (instead of --set)")
    sweep.add_argument("--resume", action="store_true", help="keep the variants an earlier run of this sweep finished")
    staffing = sub.add_parser("staffing", parents=[overrides, replications, runs, outputs], formatter_class=formatter,
                              help="staffing formulas per interval, simulated against the target")
    staffing.add_argument("scenario", help="scenario file")
    staffing.add_argument("--formula", help="comma-separated methods (default: all: daily_ratio, erlang_c, erlang_a, "
                                            "sqrt and simulation, the simulation-based requirement)")
    staffing.add_argument("--probability", type=float,
                          help="simulation: an interval meets when this share of replications reach the target "
                               "(default: when their mean does)")
    staffing.add_argument("--lag", action="store_true",
                          help="give each interval the rate of one mean handle time earlier (lagged SIPP)")
    staffing.add_argument("--per-agent-day", action="append", default=[], metavar="QUEUE=N",
                          help="contacts one agent handles per day, for daily_ratio (default: 8 h at 85%% occupancy)")
    calibrate = sub.add_parser("calibrate", formatter_class=formatter,
                               help="fit a scenario to a contact log (docs/calibration.md)")
    calibrate.add_argument("log", type=Path, help="CSV or Parquet, one row per contact")
    calibrate.add_argument("--out", type=Path, help="scenario to write (default: results/<log name>_calibrated.yaml); "
                                                    "the fit report goes beside it in <name>_fit/")
    calibrate.add_argument("--overwrite", action="store_true", help="replace an existing scenario and fit report")
    calibrate.add_argument("--map", dest="mapping", action="append", default=[], metavar="COLUMN=THEIRS",
                           help="read our COLUMN from their column THEIRS, e.g. arrival_time=created_at")
    calibrate.add_argument("--interval", default="15min", help="the scenario's interval")
    calibrate.add_argument("--queues", help="comma-separated queue names expected; others are bad rows")
    calibrate.add_argument("--name", help="scenario name (default: the log's file name)")
    calibrate.add_argument("--backtest", action="store_true",
                           help="simulate the calibrated scenario and compare it with the log, interval by interval")
    calibrate.add_argument("--staffing", type=Path, metavar="STAFF.csv",
                           help="back-test with this staffing (interval_start, queue, agents) instead of the agents "
                                "seen in the log")
    calibrate.add_argument("-r", "--replications", type=_whole(2), default=20, help="back-test replications")
    calibrate.add_argument("--no-plots", action="store_true", help="skip the fit report's plots")
    synthetic = sub.add_parser("synthetic-log", formatter_class=formatter,
                               help="simulate a scenario and write its contacts as a log")
    synthetic.add_argument("scenario", help="scenario file")
    synthetic.add_argument("--out", type=Path, required=True, help="CSV (or .parquet) to write")
    synthetic.add_argument("--overwrite", action="store_true", help="replace an existing file")
    synthetic.add_argument("--seed", type=_whole(0), help="random seed (default: the scenario's)")
    schema = sub.add_parser("schema", formatter_class=formatter,
                            help="print the JSON Schema of scenario files (for editors that complete and check keys)")
    schema.add_argument("--out", type=Path, help="write it to this file instead")
    return parser


# ---------------------------------------------------------------- helpers

def _scenario_path(name: str) -> Path:
    path = Path(name)
    if not path.exists() and not path.is_absolute() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def _overrides(pairs: list[str]) -> dict:
    import yaml

    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set: expected PATH=VALUE, got {pair!r}")
        try:
            result[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise UserError(f"--set {key}: value is not valid YAML, got {value!r}") from None
    return result


def _load(args, name: str, with_overrides: bool = True):
    """The scenario file ``name`` with ``--set`` applied, refused (before anything else looks at it) if its
    replications would not fit in memory; its warnings and workload notes go to stderr.
    """
    from sim import lint, workload
    from sim.console import warn
    from sim.scenario import ScenarioError, load_scenario

    sc = load_scenario(_scenario_path(name), overrides=_overrides(args.overrides) if with_overrides else None)
    replications, workers = getattr(args, "replications", 1), getattr(args, "workers", None)
    parallel = 1 if getattr(args, "dask", None) else min(replications, workers or os.cpu_count() or 1)
    work = workload.estimate(sc)
    problems = work.problems(parallel, getattr(args, "max_memory", None))
    if problems:
        raise ScenarioError([f"{sc.source}: {line}" for line in problems])
    warn([*lint.warnings(sc), *work.notes(parallel)], sc.source)
    args.workload = work
    return sc


def _dask(address: str | None) -> str | None:
    """Check a --dask address early: ``local:N`` with N >= 1, or a scheduler address."""
    if address is None:
        return None
    if address.startswith("local:"):
        count, most = address.removeprefix("local:"), 4 * (os.cpu_count() or 1)
        if not count.isdigit() or not 1 <= int(count) <= most:
            raise UserError(f"--dask: local:N needs a number of worker processes N from 1 to {most} (four per core "
                            f"here), got {address!r}")
    elif "://" not in address:
        raise UserError(f"--dask: expected tcp://host:port or local:N, got {address!r}")
    return address


def _said_where(out: Path, default: Path) -> str:
    """``out``, and why when it is not the default folder the planner expects."""
    return f"{out} ({default} holds an earlier run; --overwrite replaces it)" if out != default else str(out)


# ---------------------------------------------------------------- commands

def _run(args) -> int:
    from sim.console import Progress, class_table, console, groups_table, summary_notes, summary_tables, worst_table
    from sim.outputs import choose, staged
    from sim.runner import simulate

    sc = _load(args, args.scenario)
    default = Path("results") / sc.name
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: results are written once every replication is done"
    with staged(out) as (tmp,), Progress(f"simulating {sc.name}", args.replications, "replications") as bar:
        res = simulate(sc, replications=args.replications, seed=args.seed, workers=args.workers,
                       dask=_dask(args.dask), record_contacts=args.contacts, max_memory=args.max_memory,
                       progress=bar.update)
        res.command = args.argv
        res.save(tmp, plots=not args.no_plots, excel=args.excel)
    show = console()
    for table in [*summary_tables(res), class_table(res), groups_table(res), worst_table(res)]:
        if table is not None:
            show.print(table)
    for line in summary_notes(res):
        show.print(line, markup=False)
    show.print(f"{res.runtime_s:.1f}s, results in {_said_where(out, args.out or default)}", markup=False)
    return 0


def _check(args) -> int:
    from sim.console import console

    sc = _load(args, args.scenario)
    console().print(f"{args.scenario}: OK ({len(sc.queues)} queues, {len(sc.groups)} groups, {sc.n_intervals} "
                    f"intervals; {args.workload.describe()})", markup=False)
    return 0


def _compare(args) -> int:
    from sim.comparison import compare
    from sim.console import Progress, comparison_table, console
    from sim.outputs import choose, staged, write_csv, write_excel

    base = _load(args, args.base, with_overrides=False)
    variants = [_load(args, v, with_overrides=False) for v in args.variants]
    if args.replications < 2:
        raise UserError(f"--replications: a paired comparison needs >= 2, got {args.replications}")
    default = Path("results") / f"compare_{base.name}"
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: the comparison is written once every variant is done"
    show = console()
    with staged(out) as (tmp,), Progress(f"comparing with {base.name}", len(variants), "variants") as bar:
        tmp.mkdir()
        sheets = {}
        for k, variant in enumerate(variants):
            cmp = compare(base, variant, replications=args.replications, seed=args.seed, workers=args.workers,
                          dask=_dask(args.dask), max_memory=args.max_memory)
            write_csv(cmp.intervals, tmp / f"{variant.name}_intervals.csv")
            write_csv(cmp.totals, tmp / f"{variant.name}_totals.csv")
            sheets[f"{variant.name}_totals"] = cmp.totals
            show.print(comparison_table(cmp))
            bar.update(k + 1)
        if args.excel:
            write_excel(tmp / "comparison.xlsx", sheets)
    show.print(f"paired differences in {_said_where(out, args.out or default)}", markup=False)
    return 0


def _sweep(args) -> int:
    from sim.console import Progress, console, sweep_table
    from sim.outputs import choose, write_excel
    from sim.sweep import grid, sweep

    path = _scenario_path(args.scenario)
    sc = _load(args, args.scenario, with_overrides=False)
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
                      dask=_dask(args.dask), resume=args.resume, progress=lambda done, _total: bar.update(done),
                      plots=not args.no_plots, max_memory=args.max_memory)
    if args.excel:
        write_excel(out / "sweep.xlsx", {"sweep": table})
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


def _per_agent_day(pairs: list[str], queues: list[str]) -> dict[str, float]:
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


def _staffing(args) -> int:
    from sim.console import Progress, console, staffing_table
    from sim.outputs import choose, staged, write_excel
    from sim.staffing.evaluate import METHODS, evaluate
    from sim.staffing.requirements import covered_queues

    sc = _load(args, args.scenario)
    chosen = tuple(f.strip() for f in (args.formula or ",".join(METHODS)).split(",") if f.strip())
    unknown = [f for f in chosen if f not in METHODS]
    if unknown or not chosen:
        raise UserError(f"--formula: choose from {','.join(METHODS)}, got {args.formula!r}")
    if args.probability is not None and not 0 < args.probability <= 1:
        raise UserError(f"--probability: must be in (0, 1], got {args.probability}")
    queues = covered_queues(sc)
    if not queues:
        raise UserError(f"{args.scenario}: no chat or call queue with its own arrivals to staff")
    per_agent_day = _per_agent_day(args.per_agent_day, queues)
    default = Path("results") / f"staffing_{sc.name}"
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: the study is written once every method is done"
    with staged(out) as (tmp,), Progress(f"staffing {sc.name}", len(chosen), "methods") as bar:
        report = evaluate(sc, chosen, replications=args.replications, seed=args.seed, lag=args.lag,
                          per_agent_per_day=per_agent_day, probability=args.probability, workers=args.workers,
                          dask=_dask(args.dask),
                          progress=lambda formula: bar.update(chosen.index(formula),
                                                              f"staffing {sc.name}: {formula}"))
        report.save(tmp, plots=not args.no_plots)
        if args.excel:
            write_excel(tmp / "staffing.xlsx", {"summary": report.summary, "days": report.days})
    show = console()
    show.print(staffing_table(report, args.replications, args.lag))
    totals = report.summary.groupby("formula", sort=False)["formula_agent_hours"].first()
    show.print("agent-hours, all staff: " + ", ".join(f"{f} {h:,.0f}" for f, h in totals.items()), markup=False)
    if report.simulated is not None and not report.simulated.converged:
        show.print("simulation: the search stopped at its iteration limit; the requirement is the last staffing "
                   "that met everywhere", style="yellow", markup=False)
    worst = report.worst()
    if worst:
        show.print("worst intervals (mean over replications):")
        for line in worst:
            show.print(f"  {line}", markup=False)
    show.print(f"tables and plots in {_said_where(out, args.out or default)}", markup=False)
    return 0


def _calibrate(args) -> int:
    from calibration import LogError, calibrate
    from calibration.logs import parse_mapping
    from sim.console import calibration_table, console
    from sim.outputs import choose, staged
    from sim.units import parse_duration

    try:
        interval = parse_duration(args.interval)
    except ValueError as exc:
        raise UserError(f"--interval: {exc}, got {args.interval!r}") from None
    if interval <= 0 or 86400 % interval:
        raise UserError(f"--interval: must divide a day, got {args.interval!r}")
    staffing = _staffing_log(args.staffing)
    default = Path("results") / f"{args.log.stem}_calibrated.yaml"
    out = choose(args.out, default, args.overwrite, folder=False)
    report_dir = choose(out.with_name(f"{out.stem}_fit"), None, args.overwrite)
    try:
        result = calibrate(args.log, interval=interval, name=args.name, mapping=parse_mapping(args.mapping),
                           queues=args.queues.split(",") if args.queues else None)
    except (LogError, ValueError) as exc:
        raise UserError(str(exc)) from None
    show = console()
    show.print(calibration_table(result))
    for line in [*result.log.problems(), *result.notes]:
        show.print(line, style="yellow", markup=False)
    test = None
    if args.backtest or staffing is not None:
        from calibration.backtest import backtest

        args.interrupted = "nothing was written: the scenario and its report are written after the back-test"
        test = backtest(result, replications=args.replications, staffing=staffing)
    with staged(out, report_dir) as (tmp_scenario, tmp_report):
        result.save(tmp_scenario, tmp_report, plots=not args.no_plots)
        if test is not None:
            test.save(tmp_report, plots=not args.no_plots)
    if test is not None:
        from sim.console import backtest_table
        show.print(backtest_table(test))
    show.print(f"scenario in {_said_where(out, args.out or default)}, fit report in {report_dir}", markup=False)
    return 0


def _staffing_log(path: Path | None):
    if path is None:
        return None
    from calibration.backtest import read_staffing

    try:
        return read_staffing(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"--staffing: {exc}") from None


def _synthetic_log(args) -> int:
    from calibration import synthetic_log
    from sim.console import console
    from sim.outputs import choose, staged, write_csv

    sc = _load(args, args.scenario, with_overrides=False)
    out = choose(args.out, args.out, args.overwrite, folder=False)
    with staged(out) as (tmp,):
        log = synthetic_log(sc, seed=args.seed)
        if out.suffix.lower() in (".parquet", ".pq"):
            log.to_parquet(tmp, index=False)
        else:
            write_csv(log, tmp)
    console().print(f"{len(log):,} contacts of {sc.name} written to {out}", markup=False)
    return 0


def _schema(args) -> int:
    import json

    from sim.outputs import choose, staged
    from sim.schema import scenario_schema

    text = json.dumps(scenario_schema(), indent=2, ensure_ascii=False)
    if args.out is None:
        print(text)
        return 0
    with staged(choose(args.out, None, overwrite=True, folder=False)) as (tmp,):
        tmp.write_text(text + "\n", encoding="utf-8")
    print(f"JSON Schema of scenario files in {args.out}")
    return 0


HANDLERS = {"check": _check, "run": _run, "compare": _compare, "sweep": _sweep, "staffing": _staffing,
            "calibrate": _calibrate, "synthetic-log": _synthetic_log, "schema": _schema}


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["run", DEFAULT_SCENARIO]
    elif argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["run", *argv]            # `python run.py SCENARIO` is `run SCENARIO`
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:                # --help, or a usage error argparse has printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    args.interrupted, args.argv = "nothing was written", ["run.py", *argv]
    try:
        from sim.errors import ScenarioError
        from sim.outputs import OutputError

        try:
            return HANDLERS[args.command](args)
        except (ScenarioError, UserError, OutputError) as exc:
            print(str(exc), file=sys.stderr)
            return 2
        except (OSError, TimeoutError) as exc:
            if getattr(args, "dask", None) and not isinstance(exc, PermissionError | FileNotFoundError):
                print(f"--dask {args.dask}: cannot reach the scheduler: {exc}", file=sys.stderr)
            else:                                  # a disk full, a folder that cannot be made...
                where = getattr(exc, "filename", None)
                print(f"{where or 'input/output'}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 2
    except KeyboardInterrupt:
        print(f"interrupted: {args.interrupted}", file=sys.stderr)
        return 130
