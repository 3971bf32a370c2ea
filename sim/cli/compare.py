"""``compare``: paired differences of variants against a base on common random numbers (``--set`` applies
to every file; ``--variant-set`` makes a variant of the base itself).
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli.common import UserError, dask, load, said_where

NAME = "compare"
HELP = "paired comparison of variants against a base, on common random numbers"
GROUPS = ("overrides", "replications", "runs", "outputs")


def arguments(parser) -> None:
    parser.add_argument("base", help="scenario file of the base")
    parser.add_argument("variants", nargs="*", help="scenario files of the variants")
    parser.add_argument("--variant-set", dest="variant_overrides", action="append", default=[],
                        metavar="PATH=VALUE", help="a variant of the base file itself with this change (repeatable: "
                                                   "one variant with every change), e.g. groups.*.absenteeism=0.15")


def handle(args) -> int:
    from sim.comparison import compare
    from sim.console import Progress, comparison_table, console
    from sim.html_report import attempt
    from sim.outputs import choose, staged, write_csv, write_warnings
    from sim.report import difference_plot, difference_plot_name
    from sim.workbook import write_workbook

    base = load(args, args.base)
    variants = [load(args, v) for v in args.variants]
    if args.variant_overrides:
        variants.append(load(args, args.base, [f"name={base.name}_variant", *args.variant_overrides]))
    if not variants:
        raise UserError("compare: give variant files, or --variant-set PATH=VALUE for a variant of the base")
    if args.replications < 2:
        raise UserError(f"--replications: a paired comparison needs >= 2, got {args.replications}")
    default = Path("results") / f"compare_{base.name}"
    out = choose(args.out, default, args.overwrite)
    args.interrupted = "nothing was written: the comparison is written once every variant is done"
    show = console()
    with (staged(out, replace=args.overwrite) as stage,
          Progress(f"comparing with {base.name}", len(variants), "variants") as bar):
        (tmp,) = stage
        tmp.mkdir()
        sheets, manifest = {}, {}
        for k, variant in enumerate(variants):
            cmp = compare(base, variant, replications=args.replications, seed=args.seed, workers=args.workers,
                          dask=dask(args.dask), max_memory=args.max_memory)
            write_csv(cmp.intervals, tmp / f"{variant.name}_intervals.csv")
            write_csv(cmp.totals, tmp / f"{variant.name}_totals.csv")
            sheets[f"{variant.name}_totals"] = cmp.totals
            if cmp.costs is not None:
                write_csv(cmp.costs, tmp / f"{variant.name}_costs.csv")
                sheets[f"{variant.name}_costs"] = cmp.costs
            if not args.no_plots:
                difference_plot(cmp.intervals, tmp / difference_plot_name(variant.name))
            manifest.setdefault("base", {**cmp.base.manifest(), "command": args.argv})
            manifest[variant.name] = cmp.variant.manifest()
            show.print(comparison_table(cmp))
            bar.update(k + 1)
        if args.excel:
            write_workbook(tmp / "comparison.xlsx", sheets, in_chinese=base.chinese)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        write_warnings(tmp, args.warnings)
        attempt(tmp)
    show.print(f"paired differences in {said_where(stage.final[0], args.out or default)}", markup=False)
    return 0
