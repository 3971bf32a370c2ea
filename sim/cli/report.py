"""``report``: rebuild ``report.html`` in a results folder from its saved tables and plots."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import UserError

NAME = "report"
HELP = "rebuild a results folder's report.html from its saved tables (docs/report.md)"
GROUPS = ()


def arguments(parser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS_DIR",
                        help="a folder written by run, compare, sweep, staffing, roster, calibrate (its fit report) "
                             "or backtest")


def handle(args) -> int:
    from sim.console import console
    from sim.html_report import NotResults, write_report

    if not args.results.is_dir():
        raise UserError(f"{args.results}: not a folder")
    try:
        path = write_report(args.results)
    except NotResults as exc:
        raise UserError(str(exc)) from None
    console().print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)", markup=False)
    return 0
