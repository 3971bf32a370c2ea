"""``calibrate``: fit a scenario to a contact log (or a chat message log, or both), with a fit report and,
optionally, a back-test.
"""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import (
    UserError,
    dask,
    date_option,
    output_path,
    read_contact_log,
    read_messages,
    said_where,
    whole,
)

NAME = "calibrate"
HELP = "fit a scenario to a contact log (docs/calibration.md)"
GROUPS = ("runs", "logs")


def arguments(parser) -> None:
    parser.add_argument("log", type=Path, nargs="?", help="CSV or Parquet, one row per contact (may be left out "
                                                          "with --messages: the contacts are its conversations); "
                                                          "with --report, an interval report")
    parser.add_argument("--report", action="store_true",
                        help="the file is an interval report (CSV, Parquet or .xlsx; per queue and interval: offered, "
                             "answered, abandoned, ..., docs/calibration.md), not one row per contact")
    parser.add_argument("--answer-within", metavar="DURATION",
                        help="with --report: the report's service-level threshold (default: 20s for calls, 30s for "
                             "chats)")
    parser.add_argument("--messages", type=Path, metavar="MESSAGES.csv",
                        help="a chat message log (one row per message, docs/calibration.md): its chat queues become "
                             "conversations fitted to it")
    parser.add_argument("--orders", type=Path, metavar="ORDERS.csv",
                        help="the orders (order_id, placed_at, optionally amount) of a log whose contacts carry an "
                             "order_id: the scenario gets them as its sales plan, and each queue's contacts that "
                             "follow orders as from_orders sources (rate per order, lag or lead)")
    parser.add_argument("--out", type=output_path,
                        help="scenario to write (default: results/<log name>_calibrated.yaml); the fit report goes "
                             "beside it in <name>_fit/")
    parser.add_argument("--idle-timeout", default="10min",
                        help="with --messages: how long the platform keeps a chat open after its customer went "
                             "silent (not in a message log; default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing scenario and fit report")
    parser.add_argument("--interval", help="the scenario's interval (default: 15min; with --report, the report's)")
    parser.add_argument("--queues", help="comma-separated queue names expected; others are bad rows")
    parser.add_argument("--name", help="scenario name (default: the log's file name)")
    parser.add_argument("--until", metavar="DATE", help="fit on the contacts arriving before DATE only (keep the "
                                                        "rest for an out-of-sample back-test)")
    parser.add_argument("--availability", action="store_true",
                        help="estimate how available the agents on duty were (a not-ready share) from the log's own "
                             "waits, by simulation (about a minute for a month of calls)")
    parser.add_argument("--backtest", action="store_true",
                        help="simulate the calibrated scenario and compare it with the log, interval by interval")
    parser.add_argument("--staffing", type=Path, metavar="STAFF.csv",
                        help="back-test with this staffing (interval_start, queue, agents) instead of the agents "
                             "seen in the log")
    parser.add_argument("-r", "--replications", type=whole(2), default=20,
                        help="back-test replications (default: %(default)s)")
    parser.add_argument("--no-plots", action="store_true", help="skip the fit report's plots")


def handle(args) -> int:
    from calibration import calibrate
    from sim.console import calibration_table, console, conversation_fit_table
    from sim.html_report import attempt
    from sim.outputs import choose, staged
    from sim.units import parse_duration

    try:
        interval = parse_duration(args.interval) if args.interval is not None else None
    except ValueError as exc:
        raise UserError(f"--interval: {exc}, got {args.interval!r}") from None
    if interval is not None and (interval <= 0 or 86400 % interval):
        raise UserError(f"--interval: must divide a day, got {args.interval!r}")
    if args.report:
        return _from_report(args, interval)
    if args.answer_within is not None:
        raise UserError("--answer-within: only with --report (a contact log's waits say it themselves)")
    interval = interval or 900.0
    try:
        idle_timeout = parse_duration(args.idle_timeout)
    except ValueError as exc:
        raise UserError(f"--idle-timeout: {exc}, got {args.idle_timeout!r}") from None
    if idle_timeout <= 0:
        raise UserError(f"--idle-timeout: must be positive, got {args.idle_timeout!r}")
    if args.log is None and args.messages is None:
        raise UserError("give a contact log, or a message log with --messages, or both")
    until = date_option(args.until, "--until")
    staffing = staffing_log(args.staffing)
    first = args.log or args.messages
    default = Path("results") / f"{first.stem}_calibrated.yaml"
    out = choose(args.out, default, args.overwrite, folder=False)
    report_dir = choose(out.with_name(f"{out.stem}_fit"), None, args.overwrite)
    queues = args.queues.split(",") if args.queues else None
    log = read_contact_log(args, args.log, queues) if args.log is not None else None
    messages = read_messages(args, args.messages, queues) if args.messages is not None else None
    if until is not None:
        if log is not None:
            log.rows = log.rows[log.rows["arrival_time"] < until].reset_index(drop=True)
            log.notes.append(f"{args.log}: fitted on the contacts arriving before {args.until} only")
        if messages is not None:
            early = messages.rows.groupby("conversation")["time"].transform("min") < until
            messages.rows = messages.rows[early].reset_index(drop=True)
            messages.notes.append(f"{args.messages}: fitted on the conversations begun before {args.until} only")
    try:
        result = calibrate(log, interval=interval, name=args.name, messages=messages, idle_timeout=idle_timeout,
                           orders=args.orders)
    except ValueError as exc:                 # LogError is one: a missing file or column of the orders
        raise UserError(str(exc)) from None
    if args.availability:
        args.interrupted = "nothing was written: the scenario and its report are written at the end"
        result.fit_availability(workers=args.workers)
    show = console()
    show.print(calibration_table(result))
    if result.conversations:
        show.print(conversation_fit_table(result))
    for line in [*result.problems(), *result.notes]:
        show.print(line, style="yellow", markup=False)
    test = None
    if args.backtest or staffing is not None:
        from calibration.backtest import backtest

        args.interrupted = "nothing was written: the scenario and its report are written after the back-test"
        test = backtest(result, replications=args.replications, seed=args.seed, staffing=staffing,
                        workers=args.workers, dask=dask(args.dask), max_memory=args.max_memory)
    with staged(out, report_dir, replace=args.overwrite) as stage:
        tmp_scenario, tmp_report = stage
        result.save(tmp_scenario, tmp_report, plots=not args.no_plots)
        if test is not None:
            test.save(tmp_report, plots=not args.no_plots)
        attempt(tmp_report)
    if test is not None:
        from sim.console import backtest_table
        show.print(backtest_table(test))
    show.print(f"scenario in {said_where(stage.final[0], args.out or default)}, fit report in {stage.final[1]}",
               markup=False)
    return 0


def staffing_log(path: Path | None):
    if path is None:
        return None
    from calibration.backtest import read_staffing

    try:
        return read_staffing(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"--staffing: {exc}") from None


def _from_report(args, interval: float | None) -> int:
    """``calibrate REPORT --report``: a scenario from an interval report, with its fit report."""
    from calibration import LogError, calibrate_report, read_report
    from calibration.reports import COLUMNS
    from sim.cli.common import mapping_of
    from sim.console import calibration_table, console
    from sim.html_report import attempt
    from sim.outputs import choose, staged
    from sim.units import parse_duration

    if args.log is None:
        raise UserError("--report: give the interval report")
    for flag, given in (("--messages", args.messages), ("--orders", args.orders),
                        ("--availability", args.availability), ("--backtest", args.backtest),
                        ("--staffing", args.staffing), ("--profile", args.profile)):
        if given:
            raise UserError(f"{flag}: not with --report yet (an interval report is fitted on its own)")
    try:
        within = parse_duration(args.answer_within) if args.answer_within is not None else None
    except ValueError as exc:
        raise UserError(f"--answer-within: {exc}, got {args.answer_within!r}") from None
    if within is not None and within <= 0:
        raise UserError(f"--answer-within: must be positive, got {args.answer_within!r}")
    default = Path("results") / f"{args.log.stem}_calibrated.yaml"
    out = choose(args.out, default, args.overwrite, folder=False)
    report_dir = choose(out.with_name(f"{out.stem}_fit"), None, args.overwrite)
    queues = args.queues.split(",") if args.queues else None
    until = date_option(args.until, "--until")
    try:
        report = read_report(args.log, mapping_of(args, COLUMNS), queues)
        if until is not None:
            report.rows = report.rows[report.rows["start"] < until].reset_index(drop=True)
            report.notes.append(f"{args.log}: fitted on the intervals before {args.until} only")
            if report.rows.empty:
                raise ValueError(f"--until {args.until}: the report starts after it; nothing is left to fit")
        result = calibrate_report(report, interval, args.name, within=within)
    except (LogError, ValueError) as exc:
        raise UserError(str(exc)) from None
    show = console()
    show.print(calibration_table(result))
    for line in [*result.problems(), *result.notes]:
        show.print(line, style="yellow", markup=False)
    with staged(out, report_dir, replace=args.overwrite) as stage:
        tmp_scenario, tmp_report = stage
        result.save(tmp_scenario, tmp_report, plots=not args.no_plots)
        attempt(tmp_report)
    show.print(f"scenario in {said_where(stage.final[0], args.out or default)}, fit report in {stage.final[1]}",
               markup=False)
    return 0
