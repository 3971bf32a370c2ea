"""``report.html``: a self-contained page for a results folder, built from the tables and plots the folder
holds (so ``run.py report DIR`` rebuilds it from saved tables alone). Each kind of folder (``KINDS``: run,
compare, sweep, staffing, roster, calibration, back-test) is known by a file it holds and adds its
sections; a fit report with its back-test shows both. Jinja2 template in ``sim/templates``; plots inline
as base64 PNG, the glyphs of its Chinese text as an embedded font; tables sort on a header click; no
network, opens from the file system.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from sim import kpis
from sim.channels import CHANNELS
from sim.fonts import glyphs_for
from sim.outputs import WARNINGS
from sim.report import RUN_PLOTS, difference_plot_name

REPORT = "report.html"
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("sim", "templates"),
                                autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


class NotResults(ValueError):
    """The folder holds no results a page can be built from."""


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def _missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value))


def _percent(value: float, ci: float | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.1%}" + (f" ± {ci * 100:.1f}" if ci is not None and np.isfinite(ci) else "")


def _cell(text: str, value, css: str = "") -> dict:
    """A table cell: what it shows, the value it sorts by (and tests read back), its colour class; text
    values align left.
    """
    return {"text": text, "value": "" if _missing(value) else value, "css": css, "words": isinstance(value, str)}


def _grid(table_id: str, title: str, headers: list[str], rows: list[list[dict]], note: str = "",
          foot: int = 0) -> dict:
    """A table of cells; its last ``foot`` rows (totals) stay below when the table is sorted."""
    body, tail = (rows[:-foot], rows[-foot:]) if foot else (rows, [])
    words = [bool(body) and all(row[i]["words"] for row in body) for i in range(len(headers))]
    return {"id": table_id, "title": title, "note": note, "columns": headers, "words": words, "rows": body,
            "foot": tail}


def _table(table_id: str, title: str, frame: pd.DataFrame, columns: dict[str, tuple[str, str]],
           css: dict[str, Callable[[dict], str]] | None = None, note: str = "", foot: int = 0) -> dict:
    """A table of ``frame``: per column to show, its (header, format string); ``css`` colours a column's
    cells from their row.
    """
    paint = css or {}
    rows = [[_cell("–" if _missing(row[c]) else fmt.format(row[c]), row[c], paint[c](row) if c in paint else "")
             for c, (_, fmt) in columns.items()] for row in frame.to_dict("records")]
    return _grid(table_id, title, [header for header, _ in columns.values()], rows, note, foot)


def _columns(frame: pd.DataFrame, number: str = "{:,.4g}", shares: tuple[str, ...] = ()) -> dict:
    """Every column of ``frame``, headed by its name: text as it is, ``shares`` as percentages, other
    numbers with ``number``.
    """
    return {c: (c.replace("_", " "), "{}" if not pd.api.types.is_numeric_dtype(frame[c])
                else "{:.1%}" if c in shares else number) for c in frame}


def _section(title: str, tables=(), plots=(), note: str = "") -> dict:
    return {"title": title, "note": note, "tables": list(tables), "plots": list(plots)}


def _plots(directory: Path, pattern: str, title: Callable[[str], str]) -> list[dict]:
    """The PNGs of ``directory`` matching ``pattern``, as base64, each titled from its file's stem."""
    return [{"title": title(path.stem), "data": base64.b64encode(path.read_bytes()).decode("ascii")}
            for path in sorted(directory.glob(pattern))]


def _met(value_column: str, target_column: str) -> Callable[[dict], str]:
    """Colour: ``good`` at or above the target, ``bad`` below it."""
    return lambda r: "" if pd.isna(r[value_column]) else "good" if r[value_column] >= r[target_column] else "bad"


# -- run ----------------------------------------------------------------------------------------------


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
    return _grid("verdict", "", columns, rows,
                 note="Service level with its 95% confidence interval over the replications; P(meets): the share of "
                    "replications whose horizon meets the target. Green: at or above the target; red: below it.")


def _groups(out: Path) -> dict:
    """Per group over the horizon (means over replications): agent-hours on duty, occupancy, overtime."""
    totals = _read(out / "group_totals.csv")
    hours = totals.assign(**{c.replace("_agent_s", "_h"): totals[c] / 3600 for c in totals if c.endswith("_agent_s")})
    hours["occupancy"] = hours["busy_h"] / hours["staffed_h"].where(hours["staffed_h"] > 0)
    return _table("groups", "Agents by group (mean over the replications)", hours, {
        "group": ("group", "{}"), "staffed_h": ("agent-hours on duty", "{:,.1f}"), "busy_h": ("busy (h)", "{:,.1f}"),
        "occupancy": ("occupancy", "{:.1%}"), "overtime_h": ("overtime (h)", "{:,.1f}"),
        "not_ready_h": ("not ready (h)", "{:,.1f}"), "answered": ("contacts answered", "{:,.0f}")},
        note="Overtime: agent-hours past the shift end finishing a contact; not ready: aux time.")


def _run(out: Path) -> list[dict]:
    summary = _read(out / "summary.csv")
    tables = [_verdict(summary)]
    if (out / "sla_probability.csv").is_file():
        tables.append(_table("days", "Service level by day", _read(out / "sla_probability.csv"), {
            "queue": ("queue", "{}"), "period": ("day", "{}"), "service_level": ("service level", "{:.1%}"),
            "sl_target": ("target", "{:.0%}"), "p_meets_sl": ("P(meets target)", "{:.0%}")},
            css={"service_level": _met("service_level", "sl_target")}))
    if (out / "worst_intervals.csv").is_file():
        worst = _read(out / "worst_intervals.csv")
        tables.append(_table("worst", "Intervals least likely to meet their target", worst, {
            "interval_start": ("interval", "{}"), "queue": ("queue", "{}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
            "service_level": ("service level", "{:.1%}"), "sl_target": ("target", "{:.0%}"),
            "offered": ("offered (mean)", "{:,.1f}")}, css={"service_level": _met("service_level", "sl_target")}))
    lists = summary[summary["channel"].map(lambda c: CHANNELS[c].dials)]
    if not lists.empty:
        tables.append(_table("call_lists", "Outbound call lists", lists, {
            "queue": ("queue", "{}"), "first_attempts": ("customers on the list", "{:,.0f}"),
            "attempts": ("attempts", "{:,.0f}"), "service_level": ("answer rate", "{:.1%}"),
            "sl_target": ("target", "{:.0%}"), "reach_rate": ("customers reached", "{:.1%}"),
            "abandoned": ("expired undialled", "{:,.0f}"),
            "connected_per_hour": ("connected per agent-hour", "{:,.1f}"),
            "recovered_value": ("balance recovered", "{:,.0f}")},
            css={"service_level": _met("service_level", "sl_target")},
            note="Means over the replications. Answer rate: attempts that reached the customer over attempts dialled; "
                 "customers reached: in any of their attempts; balance recovered: the balance of the customers "
                 "reached times the share who pay."))
    if (out / "group_totals.csv").is_file():
        tables.append(_groups(out))
    if (out / "costs.csv").is_file():
        costs = _read(out / "costs.csv")
        costs = pd.concat([costs, pd.DataFrame([{"group": "all groups", "paid_hours": costs["paid_hours"].sum(),
                                                 "cost": costs["cost"].sum(), "cost_per_answered": np.nan}])],
                          ignore_index=True)
        tables.append(_table("costs", "Cost by group (mean over the replications)", costs, {
            "group": ("group", "{}"), "paid_hours": ("paid hours", "{:,.0f}"), "cost": ("cost", "{:,.0f}"),
            "cost_per_answered": ("cost per contact answered", "{:,.2f}")}, foot=1))
    plots = [p for name, title in RUN_PLOTS.values() for p in _plots(out, name, lambda _, t=title: t)]
    return [_section("Verdict", tables[:1]), _section("Tables", tables[1:]),
            _section("Plots", plots=plots, note="" if plots else "No plots in this folder (written with --no-plots).")]


# -- compare ------------------------------------------------------------------------------------------


def _variants(out: Path) -> list[str]:
    """The variants of a comparison: those with both tables, ``<variant>_totals.csv`` and ``_intervals.csv``."""
    return sorted(name for p in out.glob("*_totals.csv")
                  if (out / f"{(name := p.name.removesuffix('_totals.csv'))}_intervals.csv").is_file())


def _significant(row: pd.Series) -> str:
    """``good``/``bad`` where the paired CI of a difference excludes zero and the KPI has a better way."""
    way = kpis.better().get(row["kpi"])
    if way is None or not np.isfinite(row["difference"]) or abs(row["difference"]) <= row["paired_ci95"]:
        return ""
    return "good" if (row["difference"] > 0) == (way == "higher") else "bad"


def _wins(intervals: pd.DataFrame) -> pd.DataFrame:
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


def _differences(table_id: str, title: str, totals: pd.DataFrame) -> dict:
    """Paired differences over the horizon (``Comparison.totals``) of the KPIs compare shows, coloured
    where the paired CI tells the two apart.
    """
    formats = kpis.compared()
    totals = totals[totals["kpi"].isin(list(formats)) & ~(totals["base"].isna() & totals["variant"].isna())]
    rows = []
    for _, r in totals.iterrows():
        fmt = formats[r["kpi"]]
        rows.append([_cell(r["queue"], r["queue"]), _cell(r["kpi"], r["kpi"]),
                     _cell(fmt.format(r["base"]), r["base"]), _cell(fmt.format(r["variant"]), r["variant"]),
                     _cell(f"{fmt.format(r['difference'])} ± {fmt.format(r['paired_ci95'])}", r["difference"],
                           _significant(r)),
                     _cell(f"± {fmt.format(r['unpaired_ci95'])}", r["unpaired_ci95"])])
    return _grid(table_id, title, ["queue", "KPI", "base", "variant", "difference (paired CI)", "unpaired CI"], rows,
                 note="Green: better for the variant, red: worse (the paired CI excludes zero); uncoloured: not "
                      "told apart. The unpaired CI is what independent runs would give.")


def _compare(out: Path) -> list[dict]:
    sections = []
    for variant in _variants(out):
        tables = [_differences(f"totals-{variant}", "Over the horizon (variant − base, paired 95% CI)",
                               _read(out / f"{variant}_totals.csv"))]
        wins = _wins(_read(out / f"{variant}_intervals.csv"))
        if not wins.empty:
            tables.append(_table(f"wins-{variant}", "Where the variant wins: intervals by service level", wins, {
                "queue": ("queue", "{}"), "better": ("intervals better", "{:,}"),
                "worse": ("intervals worse", "{:,}"), "same": ("not told apart", "{:,}"),
                "worst": ("largest loss", "{:+.1%}"), "worst_at": ("at", "{}"),
                "best": ("largest gain", "{:+.1%}"), "best_at": ("at", "{}")},
                css={"better": lambda r: "good" if r["better"] else "",
                     "worse": lambda r: "bad" if r["worse"] else ""},
                note="Better or worse: the paired 95% CI of the interval's service-level difference is above or "
                     "below zero."))
        plots = _plots(out, difference_plot_name(variant), lambda _: "Service level, variant − base, by interval")
        sections.append(_section(f"{variant} against the base", tables, plots))
    return sections


# -- sweep --------------------------------------------------------------------------------------------


def _sweep(out: Path) -> list[dict]:
    table = _read(out / "sweep.csv")
    fixed = {"variant", "status", "error", "queue", "centre_agent_hours", *kpis.swept()}
    parameters = [c for c in table.columns if c not in fixed]
    columns = {"variant": ("variant", "{}"), **{p: (p, "{}") for p in parameters}, "status": ("status", "{}")}
    if "queue" in table:
        columns |= {"queue": ("queue", "{}"), "service_level": ("service level", "{:.1%}"),
                    "service_level_ci95": ("± 95% CI", "{:.1%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
                    "abandon_rate": ("abandoned", "{:.1%}"), "centre_agent_hours": ("centre agent-hours", "{:,.0f}")}
    failed = table[table["status"] != "ok"]
    note = f"{len(failed)} variant(s) failed: {failed['error'].iloc[0]}" if len(failed) else ""
    plots = (_plots(out, "sweep_sl.png", lambda _: "Service level and P(meets target) against the swept parameter")
             + _plots(out, "sweep_conversations.png", lambda _: "Conversations: response times and sales lost"))
    return [_section("Variants", [_table("sweep", "", table, {c: f for c, f in columns.items() if c in table})],
                     note=note), _section("Response curves", plots=plots)]


# -- staffing -----------------------------------------------------------------------------------------


def _staffing(out: Path) -> list[dict]:
    summary = _read(out / "staffing_summary.csv")
    tables = [_table("staffing", "Requirement by method and the service level it attains (simulated)", summary, {
        "formula": ("method", "{}"), "queue": ("queue", "{}"), "agent_hours": ("agent-hours required", "{:,.1f}"),
        "rostered_agent_hours": ("to roster", "{:,.1f}"), "formula_agent_hours": ("all queues", "{:,.1f}"),
        "service_level": ("service level", "{:.1%}"),
        "service_level_ci95": ("± 95% CI", "{:.1%}"), "target": ("target", "{:.0%}"),
        "intervals_meeting_sl": ("intervals meeting target", "{:.0%}"), "p_meets_sl": ("P(meets target)", "{:.0%}"),
        "worst_day_p_meets_sl": ("P(worst day meets)", "{:.0%}")},
        css={"service_level": _met("service_level", "target")},
        note="Agent-hours required: on the floor for the queue; to roster: with the shrinkage of its group; all "
             "queues: the method's total. Service level: simulated with the requirement on the floor.")]
    if (out / "staffing_search.csv").is_file():
        tables.append(_table("search", "Simulation-based search", _read(out / "staffing_search.csv"), {
            "iteration": ("iteration", "{}"), "agent_hours": ("agent-hours", "{:,.1f}"),
            "intervals_missing": ("intervals below target", "{:,}")}))
    if (out / "staffing_backoffice.csv").is_file():
        backoffice = _read(out / "staffing_backoffice.csv")
        tables.append(_table("backoffice", "Back-office work (deferred)", backoffice, _columns(backoffice, "{:,.1f}")))
    plots = _plots(out, "staffing_*.png", lambda stem: "Simulation-based requirement per group"
                   if stem == "staffing_requirement" else f"{stem.removeprefix('staffing_')}: requirement by method "
                   "and the service level it attains")
    return [_section("Methods", tables), _section("Plots", plots=plots)]


# -- roster -------------------------------------------------------------------------------------------


def _roster(out: Path) -> list[dict]:
    cost = _read(out / "roster_cost.csv")
    tables = [_table("roster-cost", "Paid hours and cost: the scenario's roster and the one found", cost,
                     _columns(cost, "{:,.0f}"))]
    if (out / "roster_fresh_check.csv").is_file():
        fresh = _read(out / "roster_fresh_check.csv")
        tables.append(_table("fresh", "The roster found, checked on fresh seeds", fresh,
                             _columns(fresh, "{:,}", ("share_meeting", "p_meets_sl", "service_level"))))
    if (out / "roster_comparison.csv").is_file():
        tables.append(_differences("roster-comparison", "The roster found (variant) against the scenario's own "
                                   "(base)", _read(out / "roster_comparison.csv")))
    search = _read(out / "roster_search.csv")
    tables.append(_table("roster-search", "Search: one row per iteration", search,
                         _columns(search, "{:,.6g}", ("gap",))))
    plots = _plots(out, "roster_*.png", lambda stem: f"{stem.removeprefix('roster_')}: coverage and P(meets target)")
    return [_section("Roster", tables), _section("Coverage", plots=plots)]


# -- calibration and back-test ------------------------------------------------------------------------


def _calibration(out: Path) -> list[dict]:
    parameters = _read(out / "parameters.csv")
    tables = [_table("parameters", "Fitted per queue", parameters, {
        "queue": ("queue", "{}"), "channel": ("channel", "{}"), "contacts": ("contacts", "{:,}"),
        "days": ("days", "{:,}"), "daily_volume": ("per day", "{:,.0f}"), "trend_per_week": ("trend / week", "{:+.1%}"),
        "handle_dist": ("handle time", "{}"), "handle_mean_s": ("mean (s)", "{:,.0f}"), "handle_cv": ("CV", "{:.2f}"),
        "patience_mean_s": ("patience (s)", "{:,.0f}"), "naive_patience_mean_s": ("naive patience (s)", "{:,.0f}"),
        "retrial_probability": ("retrial probability", "{:.1%}"), "wrap_up_mean_s": ("wrap-up (s)", "{:,.0f}")},
        note="Patience: Kaplan-Meier (abandonments censored by answers); naive: the mean wait of those who "
             "abandoned, for comparison.")]
    bad = _read(out / "bad_rows.csv") if (out / "bad_rows.csv").is_file() else pd.DataFrame()
    if not bad.empty:
        tables.append(_table("bad-rows", "Rows left out of the log", bad, {
            "problem": ("problem", "{}"), "rows": ("rows", "{:,}")}))
    plots = (_plots(out, "fit_*.png", lambda stem: f"{stem.removeprefix('fit_')}: profile, handle time, patience")
             + _plots(out, "conversations_*.png", lambda stem: f"{stem.removeprefix('conversations_')}: conversations")
             + _plots(out, "availability.png", lambda _: "Agents' availability by hour of day"))
    return [_section("Calibration", tables), _section("Fitted curves", plots=plots)]


def _backtest(out: Path) -> list[dict]:
    """Errors per queue and KPI (out of sample: per model too, the lowest error of each green)."""
    errors = _read(out / "backtest_errors.csv")
    columns = _columns(errors, "{:,.3g}", ("relative_mae", "band_coverage", "in_band"))
    css = {}
    if "model" in errors:
        best = errors.groupby(["queue", "kpi"])["mae"].transform("min")
        lowest = set(errors.index[(errors["mae"] == best) & errors.duplicated(["queue", "kpi"], keep=False)])
        errors = errors.assign(lowest=[i in lowest for i in errors.index])
        css = {"mae": lambda r: "good" if r["lowest"] else ""}
    plots = _plots(out, "backtest_*.png", lambda stem: f"{stem.removeprefix('backtest_')}: history against the "
                   "simulated mean and p10-p90 band")
    return [_section("Back-test", [_table("backtest", "Errors against the history", errors, columns, css,
                                          note="mae: mean absolute error per interval; bias: mean of the model − "
                                               "history; band coverage (in band): share of intervals whose history "
                                               "lies in the simulated p10-p90; last_week and erlang_a: the "
                                               "baselines the simulation should beat (green: the lowest error).")],
                     plots)]


@dataclass(frozen=True)
class Kind:
    """A kind of results folder: the file that marks it (a glob, or ``holds`` where a glob cannot tell),
    what its page is called, its sections.
    """

    name: str
    marker: str
    heading: str
    sections: Callable[[Path], list[dict]]
    holds: Callable[[Path], bool] | None = None

    def found_in(self, directory: Path) -> bool:
        return self.holds(directory) if self.holds else next(directory.glob(self.marker), None) is not None


KINDS = (Kind("run", "summary.csv", "simulation results", _run),
         Kind("compare", "VARIANT_totals.csv", "paired comparison", _compare, holds=lambda out: bool(_variants(out))),
         Kind("sweep", "sweep.csv", "sweep", _sweep),
         Kind("staffing", "staffing_summary.csv", "staffing", _staffing),
         Kind("roster", "roster_search.csv", "least-cost roster", _roster),
         Kind("calibration", "parameters.csv", "calibration", _calibration),
         Kind("backtest", "backtest_errors.csv", "back-test", _backtest))


def kinds_of(directory: Path) -> list[Kind]:
    """The kinds of results ``directory`` holds."""
    return [kind for kind in KINDS if kind.found_in(directory)]


def write_report(directory: str | Path) -> Path:
    """Build ``report.html`` in a results folder from its saved tables and plots."""
    out = Path(directory)
    found = kinds_of(out)
    if not found:
        raise NotResults(f"{out}: no results here (none of {', '.join(k.marker for k in KINDS)})")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8")) if (out / "manifest.json").is_file() \
        else None
    details = [(name, (out / name).read_text(encoding="utf-8")) for name in ("scenario.yaml", "roster.yaml")
               if (out / name).is_file()]
    if manifest is not None:
        details.append(("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False)))
    name = manifest.get("base", manifest)["scenario"] if manifest else out.name
    warnings = (out / WARNINGS).read_text(encoding="utf-8").splitlines() if (out / WARNINGS).is_file() else []
    page = _render("page.html.j2", title=f"{name}: {' and '.join(k.heading for k in found)}",
                   subtitle=_provenance(manifest), warnings=warnings,
                   sections=[s for k in found for s in k.sections(out)], details=details)
    path = out / REPORT
    path.write_text(page, encoding="utf-8")
    return path


def _provenance(manifest: dict | None) -> str:
    """Replications, seed, version, commit and date of a run (or a comparison's base)."""
    if manifest is None:
        return ""
    run = manifest.get("base", manifest)
    return (f"{run['replications']} replications, seed {run['seed']}, version {run['version']}, "
            f"commit {str(run.get('git_commit') or 'unknown')[:10]}, run {run['created']}")


def _render(template: str, **values) -> str:
    """The page, with the glyphs of its Chinese text embedded (``sim.fonts.glyphs_for``) for browsers on
    machines without a CJK font.
    """
    page = _TEMPLATES.get_template(template).render(cjk_font=None, **values)
    glyphs = glyphs_for(page)
    return page if glyphs is None else _TEMPLATES.get_template(template).render(
        cjk_font=base64.b64encode(glyphs).decode("ascii"), **values)


def attempt(directory: str | Path) -> Path | None:
    """``write_report``, never failing the command: an error is reported on stderr and the tables stay."""
    try:
        return write_report(directory)
    except Exception as exc:  # noqa: BLE001 - whatever breaks the page must not lose the results
        print(f"warning: {REPORT} was not written ({type(exc).__name__}: {exc}); the tables are "
              "written", file=sys.stderr)
        return None
