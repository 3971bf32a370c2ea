"""The pages of a calibration (the fit report) and of a back-test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.pages import cells


def calibration(out: Path) -> list[dict]:
    parameters = cells.read(out / "parameters.csv")
    tables = [cells.table("parameters", "Fitted per queue", parameters, {
        "queue": ("queue", "{}"), "channel": ("channel", "{}"), "contacts": ("contacts", "{:,}"),
        "days": ("days", "{:,}"), "daily_volume": ("per day", "{:,.0f}"), "trend_per_week": ("trend / week", "{:+.1%}"),
        "handle_dist": ("handle time", "{}"), "handle_mean_s": ("mean (s)", "{:,.0f}"), "handle_cv": ("CV", "{:.2f}"),
        "patience_mean_s": ("patience (s)", "{:,.0f}"), "naive_patience_mean_s": ("naive patience (s)", "{:,.0f}"),
        "retrial_probability": ("retrial probability", "{:.1%}"), "wrap_up_mean_s": ("wrap-up (s)", "{:,.0f}")},
        note="Patience: Kaplan-Meier (abandonments censored by answers); naive: the mean wait of those who "
             "abandoned, for comparison.")]
    bad = cells.read(out / "bad_rows.csv") if (out / "bad_rows.csv").is_file() else pd.DataFrame()
    if not bad.empty:
        tables.append(cells.table("bad-rows", "Rows left out of the log", bad, {
            "problem": ("problem", "{}"), "rows": ("rows", "{:,}")}))
    plots = (cells.plots(out, "fit_*.png", lambda stem: f"{stem.removeprefix('fit_')}: profile, handle time, patience")
             + cells.plots(out, "conversations_*.png",
                           lambda stem: f"{stem.removeprefix('conversations_')}: conversations")
             + cells.plots(out, "availability.png", lambda _: "Agents' availability by hour of day"))
    return [cells.section("Calibration", tables), cells.section("Fitted curves", plots=plots)]


def backtest(out: Path) -> list[dict]:
    """Errors per queue and KPI (out of sample: per model too, the lowest error of each green)."""
    errors = cells.read(out / "backtest_errors.csv")
    columns = cells.columns(errors, "{:,.3g}", ("relative_mae", "band_coverage", "in_band"))
    css = {}
    if "model" in errors:
        best = errors.groupby(["queue", "kpi"])["mae"].transform("min")
        lowest = set(errors.index[(errors["mae"] == best) & errors.duplicated(["queue", "kpi"], keep=False)])
        errors = errors.assign(lowest=[i in lowest for i in errors.index])
        css = {"mae": lambda r: "good" if r["lowest"] else ""}
    plots = cells.plots(out, "backtest_*.png",
                        lambda stem: f"{stem.removeprefix('backtest_')}: history against the simulated mean and "
                                     "p10-p90 band")
    table = cells.table("backtest", "Errors against the history", errors, columns, css,
                        note="mae: mean absolute error per interval; bias: mean of the model − history; band coverage "
                             "(in band): share of intervals whose history lies in the simulated p10-p90; last_week "
                             "and erlang_a: the baselines the simulation should beat (green: the lowest error).")
    return [cells.section("Back-test", [table], plots)]
