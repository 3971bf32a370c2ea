"""``synthetic-log``: one replication of a scenario's chats and calls written as a contact log, or with
``--messages`` its conversation chats as a message log.
"""

from __future__ import annotations

from sim.cli.common import load, output_path, whole

NAME = "synthetic-log"
HELP = "simulate a scenario and write its contacts as a log"
GROUPS = ("overrides",)


def arguments(parser) -> None:
    parser.add_argument("scenario", help="scenario file")
    parser.add_argument("--out", type=output_path, required=True, help="CSV (or .parquet) to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument("--seed", type=whole(0), help="random seed (default: the scenario's)")
    parser.add_argument("--messages", action="store_true",
                        help="write the conversation chats' messages (one row per message) instead of the contacts")


def handle(args) -> int:
    from calibration import synthetic_log, synthetic_message_log
    from sim.cli.common import UserError
    from sim.console import console
    from sim.outputs import choose, staged, write_csv

    sc = load(args, args.scenario)
    out = choose(args.out, args.out, args.overwrite, folder=False)
    try:
        log = synthetic_message_log(sc, seed=args.seed) if args.messages else synthetic_log(sc, seed=args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with staged(out, replace=args.overwrite) as stage:
        (tmp,) = stage
        if out.suffix.lower() in (".parquet", ".pq"):
            log.to_parquet(tmp, index=False)
        else:
            write_csv(log, tmp)
    what = "messages" if args.messages else "contacts"
    console().print(f"{len(log):,} {what} of {sc.name} written to {stage.final[0]}", markup=False)
    return 0
