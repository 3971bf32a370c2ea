"""Command line: ``run``, ``check``, ``compare``, ``sweep``, ``staffing``, ``calibrate``, ``synthetic-log``.

User errors exit 2 without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.compare import compare
from sim.runner import simulate
from sim.scenario import ScenarioError, load_scenario
from sim.staffing.evaluate import METHODS, evaluate
from sim.staffing.requirements import covered_queues
from sim.sweep import grid, sweep
from sim.units import parse_duration

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = "scenarios/double11.yaml"
COMMANDS = ("run", "check", "compare", "sweep", "staffing", "calibrate", "synthetic-log")
COMPARED_KPIS = ("service_level", "abandon_rate", "asa_s", "mean_wait_s", "resolution_mean_s",
                 "escalation_rate", "auto_approved_value")


class UserError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="Contact-centre simulator.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="simulate a scenario and write results")
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    run.add_argument("-r", "--replications", type=int, default=1)
    run.add_argument("--workers", type=int, help="processes (default: all cores, at most one per replication)")
    run.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    run.add_argument("--seed", type=int, help="default: the scenario's seed")
    run.add_argument("--out", type=Path, help="default: results/<scenario name>/")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                     help="override a scenario value by dotted path, e.g. groups.presales.headcount=30")
    run.add_argument("--contacts", action="store_true", help="also write one row per contact")
    run.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    compare = sub.add_parser("compare", help="paired comparison of variants against a base, on common random numbers")
    compare.add_argument("base")
    compare.add_argument("variants", nargs="+")
    compare.add_argument("-r", "--replications", type=int, default=10)
    compare.add_argument("--seed", type=int, help="default: the base scenario's seed")
    compare.add_argument("--workers", type=int, help="processes (default: all cores)")
    compare.add_argument("--out", type=Path, help="default: results/compare_<base name>/")
    compare.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    staffing = sub.add_parser("staffing", help="staffing formulas per interval, simulated against the target")
    staffing.add_argument("scenario")
    staffing.add_argument("--formula", default=",".join(METHODS),
                          help=f"comma-separated, from {','.join(METHODS)} (default: all; simulation is the "
                               "simulation-based requirement)")
    staffing.add_argument("--probability", type=float,
                          help="simulation: an interval meets when this share of replications reach the target "
                               "(default: when their mean does)")
    staffing.add_argument("-r", "--replications", type=int, default=10)
    staffing.add_argument("--lag", action="store_true",
                          help="give each interval the rate of one mean handle time earlier (lagged SIPP)")
    staffing.add_argument("--per-agent-day", action="append", default=[], metavar="QUEUE=N",
                          help="contacts one agent handles per day, for daily_ratio (default: 8 h at 85%% occupancy)")
    staffing.add_argument("--seed", type=int, help="default: the scenario's seed")
    staffing.add_argument("--workers", type=int, help="processes (default: all cores)")
    staffing.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    staffing.add_argument("--out", type=Path, help="default: results/staffing_<scenario name>/")
    staffing.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                          help="override a scenario value by dotted path")
    staffing.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    calibrate = sub.add_parser("calibrate", help="fit a scenario to a contact log (docs/calibration.md)")
    calibrate.add_argument("log", type=Path, help="CSV or Parquet, one row per contact")
    calibrate.add_argument("--out", type=Path, default=Path("scenarios/calibrated.yaml"),
                           help="scenario to write (default: scenarios/calibrated.yaml); the fit report goes "
                                "beside it in <name>_fit/")
    calibrate.add_argument("--map", dest="mapping", action="append", default=[], metavar="COLUMN=THEIRS",
                           help="read our COLUMN from their column THEIRS, e.g. arrival_time=created_at")
    calibrate.add_argument("--interval", default="15min", help="the scenario's interval (default 15min)")
    calibrate.add_argument("--queues", help="comma-separated queue names expected; others are bad rows")
    calibrate.add_argument("--name", help="scenario name (default: the log's file name)")
    calibrate.add_argument("--backtest", action="store_true",
                           help="simulate the calibrated scenario and compare it with the log, interval by interval")
    calibrate.add_argument("--staffing", type=Path, metavar="STAFF.csv",
                           help="back-test with this staffing (interval_start, queue, agents) instead of the "
                                "agents seen in the log")
    calibrate.add_argument("-r", "--replications", type=int, default=20, help="back-test replications (default 20)")
    calibrate.add_argument("--no-plots", action="store_true", help="skip the fit report's plots")
    synthetic = sub.add_parser("synthetic-log", help="simulate a scenario and write its contacts as a log")
    synthetic.add_argument("scenario")
    synthetic.add_argument("--out", type=Path, required=True, help="CSV (or .parquet) to write")
    synthetic.add_argument("--seed", type=int, help="default: the scenario's seed")
    sweep_cmd = sub.add_parser("sweep", help="simulate a grid of variants into one table")
    sweep_cmd.add_argument("scenario")
    sweep_cmd.add_argument("--set", dest="axes", action="append", default=[], metavar="PATH=START:STOP:STEP|V1,V2",
                           help="a swept parameter; several --set make a grid")
    sweep_cmd.add_argument("--grid", type=Path, help="CSV or YAML file, one variant per row (instead of --set)")
    sweep_cmd.add_argument("-r", "--replications", type=int, default=10)
    sweep_cmd.add_argument("--seed", type=int, help="default: the scenario's seed")
    sweep_cmd.add_argument("--workers", type=int, help="processes per variant (default: all cores)")
    sweep_cmd.add_argument("--out", type=Path, help="default: results/sweep_<scenario name>/")
    sweep_cmd.add_argument("--resume", action="store_true", help="skip variants finished by an earlier run")
    sweep_cmd.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    check = sub.add_parser("check", help="validate a scenario only")
    check.add_argument("scenario")
    check.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    return parser


def _scenario_path(name: str) -> Path:
    path = Path(name)
    if not path.exists() and not path.is_absolute() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def _overrides(pairs: list[str]) -> dict:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--set: expected PATH=VALUE, got {pair!r}")
        try:
            result[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise UserError(f"--set {key}: value is not valid YAML, got {value!r}") from None
    return result


def _summary_table(res) -> Table:
    table = Table(title=f"{res.scenario.name}: {res.replications} replication(s), seed {res.seed}")
    for column in ("queue", "channel", "offered", "retrials", "bot", "answered", "service level", "target",
                   "intervals ≥ target", "abandoned", "ASA (s)"):
        table.add_column(column, justify="left" if column in ("queue", "channel") else "right")

    def pm(row, kpi, fmt):
        ci = row[f"{kpi}_ci95"]
        return fmt.format(row[kpi]) + ("" if ci != ci else " ±" + fmt.format(ci))

    for _, row in res.summary.iterrows():
        table.add_row(row["queue"], row["channel"], f"{row['offered']:,.0f}", f"{row['retrials']:,.0f}",
                      f"{row['deflected']:,.0f}", f"{row['answered']:,.0f}", pm(row, "service_level", "{:.1%}"),
                      f"{row['sl_target']:.0%}", f"{row['intervals_meeting_sl']:.0%}",
                      pm(row, "abandon_rate", "{:.1%}"), pm(row, "asa_s", "{:.1f}"))
    return table


def _groups_table(res) -> Table:
    totals = res.group_totals
    table = Table(title="agent groups (means over replications)")
    for column in ("group", "agent-hours on duty", "occupancy", "slot utilisation", "overtime hours"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, row in totals.iterrows():
        slots = row["staffed_agent_s"] * res.scenario.groups[name].concurrency
        table.add_row(name, f"{row['staffed_agent_s'] / 3600:,.0f}",
                      f"{row['busy_agent_s'] / row['staffed_agent_s']:.0%}" if row["staffed_agent_s"] else "-",
                      f"{row['contact_s'] / slots:.0%}" if slots else "-",
                      f"{row['overtime_agent_s'] / 3600:,.1f}")
    return table


def _comparison_table(cmp) -> Table:
    table = Table(title=f"{cmp.variant.scenario.name} − {cmp.base.scenario.name}: {cmp.base.replications} "
                        f"paired replications, seed {cmp.base.seed} (± 95% CI)")
    for column in ("queue", "KPI", "base", "variant", "difference (paired CI)", "unpaired CI"):
        table.add_column(column, justify="left" if column in ("queue", "KPI") else "right")
    rows = cmp.totals[cmp.totals["kpi"].isin(COMPARED_KPIS)]
    for _, row in rows.iterrows():
        if np.isnan(row["base"]) and np.isnan(row["variant"]):
            continue
        fmt = "{:.1%}" if row["kpi"] in ("service_level", "abandon_rate", "escalation_rate") else "{:,.1f}"
        table.add_row(row["queue"], row["kpi"], fmt.format(row["base"]), fmt.format(row["variant"]),
                      f"{fmt.format(row['difference'])} ± {fmt.format(row['paired_ci95'])}",
                      f"± {fmt.format(row['unpaired_ci95'])}")
    return table


def _compare(args, console: Console) -> int:
    base = load_scenario(_scenario_path(args.base))
    variants = [load_scenario(_scenario_path(v)) for v in args.variants]
    if args.replications < 2:
        raise UserError(f"--replications: a paired comparison needs >= 2, got {args.replications}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: must be >= 1, got {args.workers}")
    out = args.out or Path("results") / f"compare_{base.name}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for variant in variants:
            cmp = compare(base, variant, replications=args.replications, seed=args.seed, workers=args.workers,
                          dask=_dask(args.dask))
            cmp.intervals.to_csv(out / f"{variant.name}_intervals.csv", index=False)
            cmp.totals.to_csv(out / f"{variant.name}_totals.csv", index=False)
            console.print(_comparison_table(cmp))
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write results: {exc.strerror or exc}") from None
    console.print(f"paired differences in {out}")
    return 0


def _dask(address: str | None) -> str | None:
    """Check a --dask address early: ``local:N`` with N >= 1, or a scheduler address."""
    if address is None:
        return None
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UserError(f"--dask: local:N needs a number of workers N >= 1, got {address!r}")
    elif "://" not in address:
        raise UserError(f"--dask: expected tcp://host:port or local:N, got {address!r}")
    return address


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeRemainingColumn(), console=Console(stderr=True), disable=not sys.stderr.isatty(),
                    transient=True)


def _sweep(args, console: Console) -> int:
    path = _scenario_path(args.scenario)
    sc = load_scenario(path)
    if bool(args.axes) == (args.grid is not None):
        raise UserError("sweep: give one or more --set PATH=VALUES, or --grid FILE")
    if args.replications < 1 or (args.workers is not None and args.workers < 1):
        raise UserError(f"-r and --workers must be >= 1, got {args.replications} and {args.workers}")
    try:
        variants = grid(args.axes, args.grid)
    except (ValueError, OSError) as exc:
        raise UserError(f"sweep: {exc}") from None
    out = args.out or Path("results") / f"sweep_{sc.name}"
    with _progress_bar() as bar:
        task = bar.add_task(f"sweeping {sc.name}", total=len(variants))
        try:
            table = sweep(path, variants, out, replications=args.replications, seed=args.seed,
                          workers=args.workers, dask=_dask(args.dask), resume=args.resume,
                          progress=lambda done, total: bar.update(task, completed=done))
        except OSError as exc:
            raise UserError(f"--out {out}: cannot write results: {exc.strerror or exc}") from None
    failed = table[table["status"] == "error"]
    ok = table[table["status"] == "ok"]
    params = list(variants[0]) if variants else []
    if not ok.empty:
        pivot = ok.pivot_table(index=params, columns="queue", values="p_meets_sl", sort=False)
        view = Table(title=f"{sc.name}: P(horizon service level meets target), {args.replications} replications")
        for column in [*params, *pivot.columns]:
            view.add_column(str(column), justify="right")
        for index, row in pivot.iterrows():
            keys = index if isinstance(index, tuple) else (index,)
            view.add_row(*[str(k) for k in keys], *[f"{v:.0%}" for v in row])
        console.print(view)
    for _, row in failed.iterrows():
        console.print(f"[red]variant {row['variant']} failed:[/red] {row['error']}")
    console.print(f"{table['variant'].nunique()} variants ({failed['variant'].nunique()} failed), table in "
                  f"{out / 'sweep.csv'} and {out / 'sweep.parquet'}")
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
        if not number > 0:
            raise UserError(f"--per-agent-day: needs QUEUE=N with N > 0, got {pair!r}")
        out[queue] = number
    return out


def _staffing(args, console: Console) -> int:
    sc = load_scenario(_scenario_path(args.scenario), overrides=_overrides(args.overrides))
    chosen = tuple(f.strip() for f in args.formula.split(",") if f.strip())
    unknown = [f for f in chosen if f not in METHODS]
    if unknown or not chosen:
        raise UserError(f"--formula: choose from {','.join(METHODS)}, got {args.formula!r}")
    if args.probability is not None and not 0 < args.probability <= 1:
        raise UserError(f"--probability: must be in (0, 1], got {args.probability}")
    if args.replications < 1 or (args.workers is not None and args.workers < 1):
        raise UserError(f"-r and --workers must be >= 1, got {args.replications} and {args.workers}")
    queues = covered_queues(sc)
    if not queues:
        raise UserError(f"{args.scenario}: no chat or call queue with its own arrivals to staff")
    per_agent_day = _per_agent_day(args.per_agent_day, queues)
    out = args.out or Path("results") / f"staffing_{sc.name}"
    with _progress_bar() as bar:
        task = bar.add_task(f"staffing {sc.name}", total=len(chosen))
        report = evaluate(sc, chosen, replications=args.replications, seed=args.seed, lag=args.lag,
                          per_agent_per_day=per_agent_day, probability=args.probability, workers=args.workers,
                          dask=_dask(args.dask),
                          progress=lambda formula: bar.update(task, advance=0 if formula == chosen[0] else 1,
                                                              description=f"staffing {sc.name}: {formula}"))
    try:
        report.save(out, plots=not args.no_plots)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write results: {exc.strerror or exc}") from None
    view = Table(title=f"{sc.name}: formulas' staffing, simulated ({args.replications} replications"
                       f"{', lagged SIPP' if args.lag else ''})")
    for column in ("formula", "queue", "agent-hours", "service level", "target", "intervals ≥ target",
                   "not below target", "P(horizon meets)", "P(worst day meets)"):
        view.add_column(column, justify="left" if column in ("formula", "queue") else "right")
    for _, row in report.summary.iterrows():
        ci = row["service_level_ci95"]
        view.add_row(row["formula"], row["queue"], f"{row['agent_hours']:,.0f}",
                     f"{row['service_level']:.1%}" + ("" if ci != ci else f" ±{ci:.1%}"), f"{row['target']:.0%}",
                     f"{row['intervals_mean_meets']:.0%}", f"{row['intervals_not_below']:.0%}",
                     f"{row['p_meets_sl']:.0%}", f"{row['worst_day_p_meets_sl']:.0%}")
    console.print(view)
    totals = report.summary.groupby("formula", sort=False)["formula_agent_hours"].first()
    console.print("agent-hours, all staff: " + ", ".join(f"{f} {h:,.0f}" for f, h in totals.items()))
    if report.simulated is not None and not report.simulated.converged:
        console.print("[yellow]simulation: the search stopped at its iteration limit; the requirement is the "
                      "last staffing that met everywhere[/yellow]")
    worst = report.worst()
    if worst:
        console.print("worst intervals (mean over replications):")
        for line in worst:
            console.print(f"  {line}")
    console.print(f"tables and plots in {out}")
    return 0


def _calibrate(args, console: Console) -> int:
    from calibration import LogError, calibrate
    from calibration.logs import parse_mapping

    try:
        interval = parse_duration(args.interval)
    except ValueError as exc:
        raise UserError(f"--interval: {exc}, got {args.interval!r}") from None
    if interval <= 0 or 86400 % interval:
        raise UserError(f"--interval: must divide a day, got {args.interval!r}")
    try:
        result = calibrate(args.log, interval=interval, name=args.name, mapping=parse_mapping(args.mapping),
                           queues=args.queues.split(",") if args.queues else None)
    except (LogError, ValueError) as exc:
        raise UserError(str(exc)) from None
    try:
        report = result.save(args.out, plots=not args.no_plots)
    except OSError as exc:
        raise UserError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    view = Table(title=f"{args.log}: {len(result.log.rows):,} contacts fitted, {result.log.bad_count:,} bad rows")
    for column in ("queue", "channel", "days", "daily volume", "day-to-day cv", "handle time", "patience (MLE)",
                   "naive patience", "chats per agent"):
        view.add_column(column, justify="left" if column in ("queue", "channel", "handle time") else "right")
    for _, row in result.parameters().iterrows():
        patience = "none" if pd.isna(row["patience_mean_s"]) else f"{row['patience_mean_s']:.0f} s"
        view.add_row(row["queue"], row["channel"], str(row["days"]), f"{row['daily_volume']:,.0f}",
                     f"{row['day_to_day_cv']:.3f}",
                     f"{row['handle_dist']} {row['handle_mean_s']:.0f} s, cv {row['handle_cv']:.2f}", patience,
                     f"{row['naive_patience_mean_s']:.0f} s", str(row["concurrency"]))
    console.print(view)
    for line in [*result.log.problems(), *result.notes]:
        console.print(f"[yellow]{line}[/yellow]")
    if args.backtest or args.staffing is not None:
        _backtest(args, result, report, console)
    console.print(f"scenario in {args.out}, fit report in {report}")
    return 0


def _backtest(args, result, report: Path, console: Console) -> None:
    from calibration.backtest import backtest, read_staffing

    if args.replications < 2:
        raise UserError(f"-r: a back-test needs at least 2 replications, got {args.replications}")
    try:
        staffing = None if args.staffing is None else read_staffing(args.staffing)
    except (OSError, ValueError) as exc:
        raise UserError(f"--staffing: {exc}") from None
    test = backtest(result, replications=args.replications, staffing=staffing)
    test.save(report, plots=not args.no_plots)
    view = Table(title=f"back-test: simulated ({args.replications} replications) − history, per interval")
    for column in ("queue", "KPI", "history mean", "MAE", "bias", "relative MAE", "history in p10-p90"):
        view.add_column(column, justify="left" if column in ("queue", "KPI") else "right")
    for _, row in test.errors.iterrows():
        view.add_row(row["queue"], row["kpi"], f"{row['history_mean']:.3g}", f"{row['mae']:.3g}",
                     f"{row['bias']:+.3g}", f"{row['relative_mae']:.0%}", f"{row['band_coverage']:.0%}")
    console.print(view)


def _synthetic_log(args, console: Console) -> int:
    from calibration import synthetic_log

    sc = load_scenario(_scenario_path(args.scenario))
    log = synthetic_log(sc, seed=args.seed)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.out.suffix.lower() in (".parquet", ".pq"):
            log.to_parquet(args.out, index=False)
        else:
            log.to_csv(args.out, index=False)
    except OSError as exc:
        raise UserError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    console.print(f"{len(log):,} contacts of {sc.name} written to {args.out}")
    return 0


def _run(args, console: Console) -> int:
    path = _scenario_path(args.scenario)
    sc = load_scenario(path, overrides=_overrides(args.overrides))
    if args.replications < 1:
        raise UserError(f"--replications: must be >= 1, got {args.replications}")
    out = args.out or Path("results") / sc.name
    with _progress_bar() as bar:
        task = bar.add_task(f"simulating {sc.name}", total=args.replications)
        if args.workers is not None and args.workers < 1:
            raise UserError(f"--workers: must be >= 1, got {args.workers}")
        res = simulate(sc, replications=args.replications, seed=args.seed, workers=args.workers,
                       dask=_dask(args.dask),
                       record_contacts=args.contacts,
                       progress=lambda done: bar.update(task, completed=done))
    try:
        res.save(out, plots=not args.no_plots)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write results: {exc.strerror or exc}") from None
    console.print(_summary_table(res))
    console.print(_groups_table(res))
    console.print(f"{res.runtime_s:.1f}s, results in {out}")
    return 0


def _check(args, console: Console) -> int:
    sc = load_scenario(_scenario_path(args.scenario), overrides=_overrides(args.overrides))
    console.print(f"{args.scenario}: OK ({len(sc.queues)} queues, {len(sc.groups)} groups, {sc.n_intervals} intervals)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["run", DEFAULT_SCENARIO]
    elif argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["run", *argv]            # `python run.py SCENARIO` is `run SCENARIO`
    args = _parser().parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)
    handlers = {"check": _check, "run": _run, "compare": _compare, "sweep": _sweep, "staffing": _staffing,
                "calibrate": _calibrate, "synthetic-log": _synthetic_log}
    try:
        if args.command not in handlers:
            _parser().print_help()
            return 2
        return handlers[args.command](args, console)
    except (ScenarioError, UserError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (OSError, TimeoutError) as exc:
        if not getattr(args, "dask", None):
            raise
        print(f"--dask {args.dask}: cannot reach the scheduler: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished sweep variants are kept; rerun the sweep with --resume", file=sys.stderr)
        return 130
