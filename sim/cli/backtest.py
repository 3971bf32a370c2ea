"""``backtest``: a calibrated scenario against a history it was not fitted on, beside two baselines."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import UserError, dask, date_option, output_path, read_contact_log, said_where, whole

NAME = "backtest"
HELP = "judge a scenario on a history, interval by interval, against last week and Erlang A"
GROUPS = ("runs", "logs")


def arguments(parser) -> None:
    parser.add_argument("scenario", type=Path, help="the scenario (a calibrated one, say)")
    parser.add_argument("history", type=Path, help="contact log of the period to judge (CSV, Parquet or an export)")
    parser.add_argument("--from", dest="since", metavar="DATE",
                        help="judge the days from DATE on; earlier days of the history feed only last_week")
    parser.add_argument("--until", metavar="DATE",
                        help="judge the days before DATE only (the training period of a calibration, say)")
    parser.add_argument("--volumes", choices=("forecast", "history"), default="forecast",
                        help="forecast: the scenario's volumes; history: each interval's arrivals from the "
                             "history, to judge the service model apart from the volume forecast (default: "
                             "%(default)s)")
    parser.add_argument("--all-intervals", action="store_true", help="also judge intervals nobody was on duty")
    parser.add_argument("--staffing", type=Path, metavar="STAFF.csv",
                        help="staffing log (interval_start, queue, agents) instead of the agents the history shows")
    parser.add_argument("-r", "--replications", type=whole(2), default=20, help="replications (default: %(default)s)")
    parser.add_argument("--out", type=output_path, help="output folder (default: results/backtest_<scenario>)")
    parser.add_argument("--overwrite", action="store_true", help="replace what --out already holds")
    parser.add_argument("--no-plots", action="store_true", help="skip the plots")


def handle(args) -> int:
    from calibration.holdout import holdout
    from sim.cli.calibrate import staffing_log
    from sim.console import console, holdout_table
    from sim.html_report import attempt
    from sim.outputs import choose, staged

    since = date_option(args.since, "--from")
    until = date_option(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise UserError(f"--until {args.until} must come after --from {args.since}")
    staffing = staffing_log(args.staffing)
    default = Path("results") / f"backtest_{args.scenario.stem}"
    out = choose(args.out, default, args.overwrite)
    log = read_contact_log(args, args.history)
    if until is not None:
        log.rows = log.rows[log.rows["arrival_time"] < until].reset_index(drop=True)
    try:
        args.interrupted = "nothing was written: the back-test is written once it is done"
        test = holdout(args.scenario, log, replications=args.replications, seed=args.seed, staffing=staffing,
                       volumes=args.volumes, all_intervals=args.all_intervals, since=since, workers=args.workers,
                       dask=dask(args.dask))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with staged(out, replace=args.overwrite) as stage:
        (tmp,) = stage
        test.save(tmp, plots=not args.no_plots)
        attempt(tmp)
    show = console()
    for line in log.problems():
        show.print(line, style="yellow", markup=False)
    show.print(holdout_table(test, args.volumes))
    show.print(f"back-test in {said_where(stage.final[0], args.out or default)}", markup=False)
    return 0
