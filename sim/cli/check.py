"""``check``: validate a scenario, print its size and warnings; exit 0 or 2."""

from __future__ import annotations

from sim.cli.common import load

NAME = "check"
HELP = "validate a scenario, estimate its workload and warn of likely mistakes"
GROUPS = ("overrides",)


def arguments(parser) -> None:
    parser.add_argument("scenario", help="scenario file")


def handle(args) -> int:
    from sim.console import console
    from sim.units import counted

    sc = load(args, args.scenario)
    console().print(f"{args.scenario}: OK ({counted(len(sc.queues), 'queue')}, {counted(len(sc.groups), 'group')}, "
                    f"{counted(sc.n_intervals, 'interval')}; {args.workload.describe()})", markup=False)
    return 0
