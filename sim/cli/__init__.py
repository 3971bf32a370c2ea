"""Command line: one module per command (``run``, ``check``, ``compare``, ``sweep``, ``staffing``,
``roster``, ``calibrate``, ``synthetic-log``, ``report``, ``schema``), each declaring its ``NAME``,
``HELP``, the shared option groups it takes (``GROUPS``, from ``sim.cli.common``), its own ``arguments``
and its ``handle``.

User errors exit 2 with one line per problem and no traceback; an interrupt exits 130 and says what was
kept. Heavy libraries load inside the handlers, so ``--help`` is quick and an interrupt while they load
ends cleanly.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from sim.cli.common import DEFAULT_SCENARIO, UserError, option_groups

MODULES = ("run", "check", "compare", "sweep", "staffing", "roster", "calibrate", "backtest", "synthetic_log",
           "report", "schema")
COMMANDS = {module.NAME: module for module in (import_module(f"sim.cli.{name}") for name in MODULES)}
__all__ = ["COMMANDS", "UserError", "main"]


def _parser() -> argparse.ArgumentParser:
    groups = option_groups()          # defaults worth showing are in their help texts, as %(default)s
    parser = argparse.ArgumentParser(prog="run.py", description="Contact-centre simulator for e-commerce customer "
                                     "service. `python run.py SCENARIO` is `run SCENARIO`.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, parents=[groups[g] for g in command.GROUPS], help=command.HELP))
    return parser


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
            return COMMANDS[args.command].handle(args)
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
