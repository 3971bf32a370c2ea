"""What the commands share: option groups declared once (argparse parent parsers), reading a scenario
with ``--set`` applied and its workload and warnings checked, and the user error that exits 2.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SCENARIO = "scenarios/double11.yaml"


class UserError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def whole(minimum: int):
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


def output_path(text: str) -> Path:
    """A --out path: never empty; ``~`` is the home folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name")
    return Path(text).expanduser()


def memory(text: str) -> float:
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


def option_groups() -> dict[str, argparse.ArgumentParser]:
    """The options several commands take, each group declared once, by name: ``overrides`` (--set),
    ``replications`` (-r), ``runs`` (--seed, --workers, --dask, --max-memory), ``outputs`` (--out,
    --overwrite, --no-plots, --excel).
    """
    overrides = argparse.ArgumentParser(add_help=False)
    overrides.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                           help="override a scenario value by dotted path, e.g. groups.presales.headcount=30; "
                                "* for every key or item, e.g. groups.*.absenteeism=0.15 (repeatable)")
    replications = argparse.ArgumentParser(add_help=False)
    replications.add_argument("-r", "--replications", type=whole(1), default=10,
                              help="independent replications of the horizon: more give narrower confidence "
                                   "intervals (default: %(default)s)")
    runs = argparse.ArgumentParser(add_help=False)
    runs.add_argument("--seed", type=whole(0), help="random seed (default: the scenario's)")
    runs.add_argument("--workers", type=whole(1), help="processes (default: all cores, at most one per replication)")
    runs.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local:N")
    runs.add_argument("--max-memory", type=memory, metavar="SIZE",
                      help="refuse runs estimated to need more memory than this, e.g. 12G (default: 80%% of this "
                           "machine's)")
    outputs = argparse.ArgumentParser(add_help=False)
    outputs.add_argument("--out", type=output_path,
                         help="output folder (default: under results/, never one already used)")
    outputs.add_argument("--overwrite", action="store_true", help="replace what --out already holds")
    outputs.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    outputs.add_argument("--excel", action="store_true", help="also write the main tables as an .xlsx workbook")
    logs = argparse.ArgumentParser(add_help=False)
    logs.add_argument("--map", dest="mapping", action="append", default=[], metavar="COLUMN=THEIRS",
                      help="read our COLUMN from their column THEIRS, e.g. arrival_time=created_at")
    logs.add_argument("--profile", type=Path, metavar="EXPORT.yaml",
                      help="an import profile describing a raw export (columns, dates, outcomes, pooled queues; "
                           "docs/calibration.md) instead of --map")
    logs.add_argument("--clock-tolerance", default="5s",
                      help="an answer or abandon up to this long before the arrival is a zero wait (clocks that "
                           "disagree); longer, a bad row (default: %(default)s)")
    return {"overrides": overrides, "replications": replications, "runs": runs, "outputs": outputs, "logs": logs}


def mapping_of(args, columns: tuple[str, ...]) -> dict[str, str]:
    """The --map pairs naming one of ``columns`` (of a contact log, a message log or an interval report), as
    a rename.
    """
    from calibration.logs import COLUMNS, LogError, parse_mapping
    from calibration.message_logs import MESSAGE_COLUMNS
    from calibration.reports import COLUMNS as REPORT_COLUMNS

    try:
        every = parse_mapping(args.mapping, tuple(dict.fromkeys(COLUMNS + MESSAGE_COLUMNS + REPORT_COLUMNS)))
    except LogError as exc:
        raise UserError(str(exc)) from None
    return {theirs: ours for theirs, ours in every.items() if ours in columns}


def read_contact_log(args, path: Path, queues: list[str] | None = None):
    """The contact log at ``path`` read with the ``logs`` options (--map, --profile, --clock-tolerance)."""
    from calibration import LogError, read_log
    from calibration.exports import read_profile
    from calibration.logs import COLUMNS
    from sim.units import parse_duration

    try:
        tolerance = parse_duration(args.clock_tolerance)
    except ValueError as exc:
        raise UserError(f"--clock-tolerance: {exc}, got {args.clock_tolerance!r}") from None
    try:
        profile = read_profile(args.profile) if args.profile is not None else None
        return read_log(path, mapping_of(args, COLUMNS), queues, tolerance, profile)
    except (LogError, ValueError) as exc:
        raise UserError(str(exc)) from None


def read_messages(args, path: Path, queues: list[str] | None = None):
    """The message log at ``path`` read with --map (``calibration.message_logs``)."""
    from calibration.logs import LogError
    from calibration.message_logs import MESSAGE_COLUMNS, read_message_log

    try:
        return read_message_log(path, mapping_of(args, MESSAGE_COLUMNS), queues)
    except (LogError, ValueError) as exc:
        raise UserError(str(exc)) from None


def date_option(text: str | None, flag: str):
    """A date given on the command line (None when not given)."""
    import pandas as pd

    if text is None:
        return None
    when = pd.to_datetime(text, errors="coerce")
    if pd.isna(when):
        raise UserError(f"{flag}: expected a date such as 1999-01-22, got {text!r}")
    return when


def scenario_path(name: str) -> Path:
    path = Path(name)
    if not path.exists() and not path.is_absolute() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def overrides(pairs: list[str]) -> dict:
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


def load(args, name: str, changes: list[str] = ()):
    """The scenario file ``name`` with ``--set`` applied, refused (before anything else looks at it) if its
    replications would not fit in memory; its warnings and workload notes go to stderr, and its warnings
    to ``args.warnings`` too (for the results folder's page). ``changes``: ``PATH=VALUE`` overrides applied
    after ``--set``'s.
    """
    from sim import lint, workload
    from sim.console import warn
    from sim.scenario import ScenarioError, load_scenario

    sc = load_scenario(scenario_path(name), overrides=overrides([*getattr(args, "overrides", []), *changes]))
    replications, workers = getattr(args, "replications", 1), getattr(args, "workers", None)
    parallel = 1 if getattr(args, "dask", None) else min(replications, workers or os.cpu_count() or 1)
    work = workload.estimate(sc)
    problems = work.problems(parallel, getattr(args, "max_memory", None))
    if problems:
        raise ScenarioError([f"{sc.source}: {line}" for line in problems])
    warnings = lint.warnings(sc)
    warn([*warnings, *work.notes(parallel)], sc.source)
    args.workload = work
    args.warnings = [*getattr(args, "warnings", []), *(f"{sc.source}: {line}" for line in warnings)]
    return sc


def dask(address: str | None) -> str | None:
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


def said_where(out: Path, default: Path) -> str:
    """``out``, and why when it is not the default folder the planner expects."""
    return f"{out} ({default} holds an earlier run; --overwrite replaces it)" if out != default else str(out)
