"""Results pages for the tests: a folder of every kind (``pages``, written by the commands on small
scenarios with a Chinese queue name), reading a page's tables and images back, and, per kind, a column
of its main table with the saved table it must equal (``CHECKS``).
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import yaml
from matplotlib import image

from sim.cli import main
from tests.conftest import single_queue

QUEUE = "售后咨询"

# kind → (table id, header, saved table, its column): the page's cells (data-value) are the table's values.
CHECKS = {"run": ("verdict", "offered", "summary.csv", "offered"),
          "compare": ("totals-more", "difference (paired 95% CI)", "more_totals.csv", "difference"),
          "sweep": ("sweep", "service level", "sweep.csv", "service_level"),
          "staffing": ("staffing", "service level", "staffing_summary.csv", "service_level"),
          "roster": ("roster-cost", "cost found", "roster_cost.csv", "cost_found"),
          "calibration": ("parameters", "mean (s)", "parameters.csv", "handle_mean_s"),
          "backtest": ("backtest", "mae", "backtest_errors.csv", "mae")}


class Page(HTMLParser):
    """A page's tables (per id: header texts, and rows of (data-value, class) per cell), its images and
    the sources it would fetch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tables, self.images, self.sources, self._table, self._header = {}, [], [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), {"headers": [], "rows": []})
        elif tag == "th" and self._table is not None:
            self._table["headers"].append("")
            self._header = True
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag == "td" and self._table is not None:
            self._table["rows"][-1].append((attrs["data-value"], attrs.get("class", "")))
        elif tag == "img":
            self.images.append(attrs["src"])
        for name in ("src", "href"):
            if name in attrs and tag in ("script", "link", "img"):
                self.sources.append(attrs[name])

    def handle_data(self, data):
        if self._header:
            self._table["headers"][-1] += data

    def handle_endtag(self, tag):
        self._header = self._header and tag != "th"
        if tag == "table":
            self._table["rows"] = [row for row in self._table["rows"] if row]
            self._table = None

    def column(self, table_id: str, header: str) -> list[str]:
        """The data-values of a column, found by its header."""
        table = self.tables[table_id]
        index = table["headers"].index(header)
        return [row[index][0] for row in table["rows"]]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pictures(page: Page) -> list:
    """The page's images, decoded (each an array of pixels); every one is an inline PNG."""
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    return [image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png") for src in page.images]


def expected(folder: Path, kind: str) -> list[float]:
    """The saved table's column that the page's main table shows (``CHECKS``), in its order."""
    _, _, name, column = CHECKS[kind]
    table = pd.read_csv(folder / name, encoding="utf-8-sig")
    if kind == "compare":        # the compared KPIs, then what the groups cost (sim.verdicts)
        from sim.verdicts import difference_rows
        costs = pd.read_csv(folder / "more_costs.csv", encoding="utf-8-sig")
        return [row["values"][column] for row in difference_rows(table, costs)]
    if kind == "roster":         # the groups, then all groups below
        return [*table[column], table[column].sum()]
    return table[column].tolist()


def write_folders(tmp: Path) -> dict[str, Path]:
    """A results folder of every kind, from one small call-centre day with a Chinese queue name."""
    data = single_queue(load=12.0, aht=240, patience=120, days=1)
    data["interval"] = "30min"
    data["queues"] = {QUEUE: {**data["queues"]["q"], "arrivals": {"daily_volume": 4320, "profile": "ecommerce_call"}}}
    data["groups"] = {"售后组": {"skills": [QUEUE], "cost": {"per_hour": 40},
                               "shifts": [{"start": "00:00", "end": "12:00", "count": 6},
                                          {"start": "12:00", "end": "24:00", "count": 9}]}}
    base, more = tmp / "base.yaml", tmp / "more.yaml"
    base.write_text(yaml.safe_dump(data, allow_unicode=True))
    data["name"], data["groups"]["售后组"]["shifts"][1]["count"] = "more", 11
    more.write_text(yaml.safe_dump(data, allow_unicode=True))
    templates = tmp / "templates.yaml"
    templates.write_text(yaml.safe_dump({"templates": {"day": {"group": "售后组", "starts": [f"{h:02d}:00" for h in
                                                                                        range(0, 24, 2)],
                                                               "length": "8h"}}}, allow_unicode=True))
    log = tmp / "log.csv"
    runs = {"run": ["run", str(base)], "compare": ["compare", str(base), str(more)],
            "sweep": ["sweep", str(base), "--set", "groups.售后组.shifts.1.count=8,10"],
            "staffing": ["staffing", str(base), "--formula", "erlang_c,erlang_a"],
            "roster": ["roster", str(base), "--templates", str(templates), "--max-iterations", "2"]}
    folders = {}
    for kind, command in runs.items():
        folders[kind] = tmp / kind
        assert main([*command, "-r", "3", "--workers", "1", "--out", str(folders[kind])]) == 0, kind
    assert main(["synthetic-log", str(base), "--out", str(log)]) == 0
    assert main(["calibrate", str(log), "--out", str(tmp / "cal.yaml"), "--backtest", "-r", "3", "--interval",
                 "30min"]) == 0
    folders["calibration"] = folders["backtest"] = tmp / "cal_fit"
    return folders
