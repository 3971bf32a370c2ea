"""``schema``: the JSON Schema of scenario files."""

from __future__ import annotations

from sim.cli.common import output_path

NAME = "schema"
HELP = "print the JSON Schema of scenario files (for editors that complete and check keys)"
GROUPS = ()


def arguments(parser) -> None:
    parser.add_argument("--out", type=output_path, help="write it to this file instead")


def handle(args) -> int:
    import json

    from sim.outputs import choose, staged
    from sim.schema import scenario_schema

    text = json.dumps(scenario_schema(), indent=2, ensure_ascii=False)
    if args.out is None:
        print(text)
        return 0
    with staged(choose(args.out, None, overwrite=True, folder=False), replace=True) as (tmp,):
        tmp.write_text(text + "\n", encoding="utf-8")
    print(f"JSON Schema of scenario files in {args.out}")
    return 0
