"""``report.html``: a self-contained page for a results folder, built from the tables and plots the folder
holds (so ``run.py report DIR`` rebuilds it from saved tables alone). Jinja2 template in
``sim/templates``; plots inline as base64 PNG, and the glyphs of its Chinese text as an embedded font;
no network, opens from the file system.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from sim.channels import CHANNELS
from sim.fonts import glyphs_for
from sim.report import RUN_PLOTS

REPORT = "report.html"
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("sim", "templates"),
                                autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


class NotResults(ValueError):
    """The folder holds no results a page can be built from."""


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def _percent(value: float, ci: float | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.1%}" + (f" ± {ci * 100:.1f}" if ci is not None and np.isfinite(ci) else "")


def _cell(text: str, value, css: str = "") -> dict:
    return {"text": text, "value": value, "css": css}


def _verdict(summary: pd.DataFrame) -> dict:
    """Per queue: volume, service level with its CI against the target (coloured), P(meets), abandonment,
    ASA in its channel's unit; where the platform auto-approved refunds at their deadline, how many and
    their value.
    """
    columns = ["queue", "channel", "offered", "service level (95% CI)", "target", "P(meets target)",
               "abandoned", "ASA"]
    refunds = "auto_approved" in summary and summary["auto_approved"].fillna(0).gt(0).any()
    if refunds:
        columns += ["auto-approved", "auto-approved value"]
    rows = []
    for r in summary.itertuples():
        met = r.service_level >= r.sl_target if np.isfinite(r.service_level) else None
        row = [_cell(r.queue, r.queue), _cell(r.channel, r.channel), _cell(f"{r.offered:,.0f}", r.offered),
               _cell(_percent(r.service_level, r.service_level_ci95), r.service_level,
                     "" if met is None else "good" if met else "bad"),
               _cell(_percent(r.sl_target), r.sl_target), _cell(_percent(r.p_meets_sl), r.p_meets_sl),
               _cell(_percent(r.abandon_rate), r.abandon_rate),
               _cell(CHANNELS[r.channel].wait(r.asa_s) if np.isfinite(r.asa_s) else "–", r.asa_s)]
        if refunds:
            row += [_cell(f"{r.auto_approved:,.0f}", r.auto_approved, "bad" if r.auto_approved > 0 else ""),
                    _cell(f"{r.auto_approved_value:,.0f}", r.auto_approved_value)]
        rows.append(row)
    return {"columns": columns, "rows": rows}


def _table(table_id: str, title: str, frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> dict:
    """A plain table: per column of ``frame`` to show, its (header, format string)."""
    shown = frame[list(columns)]
    formats = [fmt for _, fmt in columns.values()]
    rows = [[("–" if isinstance(v, float) and not np.isfinite(v) else fmt.format(v)) for v, fmt in zip(row, formats)]
            for row in shown.itertuples(index=False)]
    return {"id": table_id, "title": title, "columns": [header for header, _ in columns.values()], "rows": rows}


def _plots(directory: Path, plots) -> list[dict]:
    """The (file, title) ``plots`` the folder holds, as base64 PNGs."""
    return [{"title": title, "data": base64.b64encode((directory / name).read_bytes()).decode("ascii")}
            for name, title in plots if (directory / name).is_file()]


def write_run_report(directory: str | Path) -> Path:
    """Build ``report.html`` in a ``run`` results folder from its saved tables and plots."""
    out = Path(directory)
    if not (out / "summary.csv").is_file() or not (out / "manifest.json").is_file():
        raise NotResults(f"{out}: no run results here (summary.csv and manifest.json)")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    summary = _read(out / "summary.csv")
    tables = []
    if (out / "sla_probability.csv").is_file():
        days = _read(out / "sla_probability.csv")
        tables.append(_table("days", "Service level by day", days, {
            "queue": ("queue", "{}"), "period": ("day", "{}"), "service_level": ("service level", "{:.1%}"),
            "sl_target": ("target", "{:.0%}"), "p_meets_sl": ("P(meets target)", "{:.0%}")}))
    if (out / "worst_intervals.csv").is_file():
        worst = _read(out / "worst_intervals.csv")
        tables.append(_table("worst", "Intervals least likely to meet their target", worst, {
            "interval_start": ("interval", "{}"), "queue": ("queue", "{}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
            "service_level": ("service level", "{:.1%}"), "sl_target": ("target", "{:.0%}"),
            "offered": ("offered (mean)", "{:,.1f}")}))
    if (out / "costs.csv").is_file():
        costs = _read(out / "costs.csv")
        costs = pd.concat([costs, pd.DataFrame([{"group": "all groups", "paid_hours": costs["paid_hours"].sum(),
                                                 "cost": costs["cost"].sum(), "cost_per_answered": np.nan}])],
                          ignore_index=True)
        tables.append(_table("costs", "Cost by group (mean over the replications)", costs, {
            "group": ("group", "{}"), "paid_hours": ("paid hours", "{:,.0f}"), "cost": ("cost", "{:,.0f}"),
            "cost_per_answered": ("cost per contact answered", "{:,.2f}")}))
    page = _render("run.html.j2",
        title=f"{manifest['scenario']}: simulation results",
        subtitle=f"{manifest['replications']} replications, seed {manifest['seed']}, version {manifest['version']}, "
                 f"commit {str(manifest.get('git_commit') or 'unknown')[:10]}, run {manifest['created']}",
        verdict=_verdict(summary), tables=tables, plots=_plots(out, RUN_PLOTS.values()),
        scenario=(out / "scenario.yaml").read_text(encoding="utf-8") if (out / "scenario.yaml").is_file() else "",
        manifest=json.dumps(manifest, indent=2, ensure_ascii=False))
    path = out / REPORT
    path.write_text(page, encoding="utf-8")
    return path


def _render(template: str, **values) -> str:
    """The page, with the glyphs of its Chinese text embedded (``sim.fonts.glyphs_for``) for browsers on
    machines without a CJK font.
    """
    page = _TEMPLATES.get_template(template).render(cjk_font=None, **values)
    glyphs = glyphs_for(page)
    return page if glyphs is None else _TEMPLATES.get_template(template).render(
        cjk_font=base64.b64encode(glyphs).decode("ascii"), **values)


def attempt(directory: str | Path) -> Path | None:
    """``write_run_report``, never failing the run: an error is reported on stderr and the tables stay."""
    try:
        return write_run_report(directory)
    except Exception as exc:  # noqa: BLE001 - whatever breaks the page must not lose the run
        print(f"warning: {REPORT} was not written ({type(exc).__name__}: {exc}); the tables are "
              "written", file=sys.stderr)
        return None
