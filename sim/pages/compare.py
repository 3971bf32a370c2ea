"""The page of a comparison: per variant, the differences over the horizon as a planner reads them
(``sim.verdicts``), the intervals it wins and loses, and the plot of the difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.pages import cells
from sim.report import difference_plot_name
from sim.verdicts import BETTER, SHORT, WORSE, difference_rows

_VERDICT_CSS = {BETTER: "good", WORSE: "bad", SHORT: "short"}


def variants(out: Path) -> list[str]:
    """The variants of a comparison: those with both tables, ``<variant>_totals.csv`` and ``_intervals.csv``."""
    return sorted(name for p in out.glob("*_totals.csv")
                  if (out / f"{(name := p.name.removesuffix('_totals.csv'))}_intervals.csv").is_file())


def wins(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per queue, the intervals where the variant's service level is above the base's (the paired 95% CI
    of the difference above zero), below it, or not told apart; the largest loss and gain, where any.
    """
    sl = intervals[(intervals["kpi"] == "service_level") & intervals["difference"].notna()]
    rows = []
    for queue, part in sl.groupby("queue", sort=False):
        up, down = part["difference"] - part["paired_ci95"] > 0, part["difference"] + part["paired_ci95"] < 0
        row = {"queue": queue, "better": int(up.sum()), "worse": int(down.sum()), "same": int((~up & ~down).sum()),
               "worst": np.nan, "worst_at": "", "best": np.nan, "best_at": ""}
        difference = part["difference"]
        for key, sign, extreme in (("worst", -1, difference.idxmin()), ("best", 1, difference.idxmax())):
            if sign * difference[extreme] > 0:
                row |= {key: difference[extreme], f"{key}_at": part.at[extreme, "interval_start"]}
        rows.append(row)
    return pd.DataFrame(rows)


def differences(table_id: str, title: str, totals: pd.DataFrame, costs: pd.DataFrame | None = None) -> dict:
    """Paired differences over the horizon (``Comparison.totals``, and what the groups cost) as a planner
    reads them (``sim.verdicts``): labels, units, service levels coloured against their target on either
    side, the difference by its verdict.
    """
    rows = []
    for r in difference_rows(totals, costs):
        side = ["" if m is None else "good" if m else "bad" for m in (r["meets"] or (None, None))]
        v = r["values"]
        rows.append([cells.cell(r["where"], r["where"]), cells.cell(r["label"], r["label"]),
                     cells.cell(r["base"], v["base"], side[0]), cells.cell(r["variant"], v["variant"], side[1]),
                     cells.cell(r["difference"], v["difference"], _VERDICT_CSS.get(r["verdict"], "")),
                     cells.cell(r["unpaired"], v["unpaired_ci95"]), cells.cell(r["verdict"], r["verdict"])])
    return cells.grid(table_id, title, ["queue or group", "", "base", "variant", "difference (paired 95% CI)",
                                        "unpaired CI", "verdict"], rows,
                      note="Service levels: green where they meet the target, red where they miss it. Differences: "
                           "green better for the variant, red worse, amber better but still below the target; "
                           "uncoloured: not told apart (the paired CI holds zero). Shares differ by percentage points "
                           "(pts); the unpaired CI is what independent runs would give. Rows the same in every "
                           "replication are left out, but for service levels, money at stake and the total cost.")


def sections(out: Path) -> list[dict]:
    found = []
    for variant in variants(out):
        costs = out / f"{variant}_costs.csv"
        tables = [differences(f"totals-{variant}", "Over the horizon (variant − base, paired 95% CI)",
                              cells.read(out / f"{variant}_totals.csv"),
                              cells.read(costs) if costs.is_file() else None)]
        won = wins(cells.read(out / f"{variant}_intervals.csv"))
        if not won.empty:
            tables.append(cells.table(f"wins-{variant}", "Where the variant wins: intervals by service level", won, {
                "queue": ("queue", "{}"), "better": ("intervals better", "{:,}"),
                "worse": ("intervals worse", "{:,}"), "same": ("not told apart", "{:,}"),
                "worst": ("largest loss", "{:+.1%}"), "worst_at": ("at", "{}"),
                "best": ("largest gain", "{:+.1%}"), "best_at": ("at", "{}")},
                css={"better": lambda r: "good" if r["better"] else "",
                     "worse": lambda r: "bad" if r["worse"] else ""},
                note="Better or worse: the paired 95% CI of the interval's service-level difference is above or "
                     "below zero."))
        plots = cells.plots(out, difference_plot_name(variant), lambda _: "Service level, variant − base, by interval")
        found.append(cells.section(f"{variant} against the base", tables, plots))
    return found
