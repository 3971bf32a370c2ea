"""The fit report's plots: each fitted curve against the data it came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import ticker
from scipy import stats

from sim.report import figure, save_figure


def fit_plots(calibration, directory: Path) -> list[Path]:
    """Per queue, ``fit_<queue>.png``: intraday profile, handle-time histogram with the fitted densities,
    and Kaplan-Meier patience with the fitted exponential (and lognormal, when AIC chose it).
    """
    paths = []
    for queue, f in calibration.fits.items():
        fig, axes = figure(1, 3, height=3.8, width=15)
        profile, handle, patience = axes[0]
        hours = np.arange(f.profile.size) * 24 / f.profile.size
        for _, shares in f.profile_by_weekday.iterrows():
            if shares.sum() > 0:
                profile.plot(hours, shares, lw=0.6, alpha=0.5, color="grey")
        profile.plot(hours, f.profile, lw=1.6, color="C0", label="fitted (pooled, smoothed)")
        profile.set_xlabel("hour of day")
        profile.set_ylabel("share of the day's contacts")
        profile.set_title(f"{queue}: profile (grey: each weekday)")
        profile.legend()
        if f.handle is not None and not f.handle.values.size:      # an interval report: the mean alone
            grid = np.linspace(0, 4 * f.handle.mean, 300)
            handle.plot(grid, _density(f.handle.dist, f.handle.mean, f.handle.cv, grid), lw=2,
                        label=f"{f.handle.dist}, mean {f.handle.mean:.0f} s (from the report)")
            handle.set_xlabel("handle time (s)")
            handle.set_title("handle time: the report gives the mean only")
            handle.legend()
        elif f.handle is not None:
            x = f.handle.values
            top = np.percentile(x, 99)
            counts, _, _ = handle.hist(x[x <= top], bins=60, density=True, color="lightgrey", label="log")
            grid = np.linspace(top / 500, top, 300)
            for _, row in f.handle.table.iterrows():
                if row["dist"] == "constant":
                    handle.axvline(row["mean"], lw=2, label=f"constant {row['mean']:g} s")
                    continue
                density = _density(row["dist"], row["mean"], row["cv"], grid)
                chosen = row["dist"] == f.handle.dist
                handle.plot(grid, density, lw=2 if chosen else 1, ls="-" if chosen else "--",
                            label=f"{row['dist']} (AIC {row['aic']:,.0f}, KS {row['ks']:.3f})")
            handle.set_ylim(0, counts.max() * 1.5)       # a short-contact component's spike at 0 would flatten the rest
            handle.set_xlabel("handle time (s)")
            handle.set_title(f"handle time: {f.handle.dist} chosen")
            handle.legend()
        if len(f.patience.km):
            patience.step(f.patience.km["wait_s"], f.patience.km["survival"], where="post", label="Kaplan-Meier")
            if f.patience.mean is not None:
                grid = np.linspace(0, f.patience.km["wait_s"].max(), 200)
                patience.plot(grid, np.exp(-grid / f.patience.exponential_mean), ls="--",
                              label=f"exponential, mean {f.patience.exponential_mean:.0f} s (MLE)")
                if f.patience.dist == "lognormal":
                    sigma = np.sqrt(np.log1p(f.patience.cv ** 2))
                    mu = np.log(f.patience.mean) - sigma ** 2 / 2
                    survival = stats.norm.sf((np.log(np.maximum(grid, 1e-9)) - mu) / sigma)
                    patience.plot(grid, survival, ls="-.", label=f"lognormal, mean {f.patience.mean:.0f} s, "
                                                                  f"cv {f.patience.cv:.2f} (MLE, chosen by AIC)")
            patience.set_ylim(0, 1.02)
        by_wait = f.patience.by_wait
        if not len(f.patience.km) and by_wait is not None and f.patience.mean is not None:
            patience.plot(by_wait["mean_wait_s"], by_wait["abandon_share"], "ko", ms=4,
                          label="report: intervals in deciles of their mean wait")
            grid = np.linspace(0, by_wait["mean_wait_s"].max(), 50)
            patience.plot(grid, grid / f.patience.mean, "C1--",
                          label=f"exponential patience, mean {f.patience.mean:.0f} s: share = wait / mean")
            patience.set_xlabel("mean wait of all customers in the interval (s)")
            patience.set_ylabel("share abandoned")
            patience.legend()
        else:
            patience.set_xlabel("wait (s)")
            patience.set_ylabel("P(patience > wait)")
        patience.set_title(f"patience: {f.patience.abandoned:,} abandoned")
        if len(f.patience.km):
            patience.legend()
        paths.append(save_figure(fig, directory / f"fit_{queue}.png", dpi=100))
    if calibration.availability is not None:
        paths.append(availability_plot(calibration.availability, directory / "availability.png"))
    for queue, f in calibration.conversations.items():
        paths.append(conversation_plot(f, directory / f"conversations_{queue}.png"))
    return paths


def conversation_plot(f, path: Path) -> Path:
    """``conversations_<queue>.png``: how often a conversation ends after a reply, by how long the reply
    took, in the log (95% CIs) and as fitted (silent abandonment shows as a rise); the rounds seen and the
    natural ones; the reply work by conversations open (95% CIs) with the slowdown fitted.
    """
    fig, axes = figure(1, 3, height=3.8, width=16)
    ending, rounds, work = axes[0]
    e = f.ending
    if len(e):
        bins = np.unique(np.quantile(e["response_s"], np.linspace(0, 1, 11)))
        e = e.assign(bin=np.clip(np.searchsorted(bins, e["response_s"], side="right") - 1, 0, max(len(bins) - 2, 0)))
        by = e.groupby("bin").agg(r=("response_s", "median"), ended=("ended", "mean"), n=("ended", "size"),
                                  fitted=("predicted", "mean"))
        ending.errorbar(by["r"], by["ended"], 1.96 * np.sqrt(by["ended"] * (1 - by["ended"]) / by["n"]), fmt="o",
                        color="black", ms=4, label="log (deciles of response time, 95% CI)")
        fitted = (f"fitted: message patience {f.patience_mean:.0f} s" if f.patience_mean is not None
                  else "fitted: no silent abandonment")
        ending.plot(by["r"], by["fitted"], "C1.-", label=fitted)
        ending.set_xscale("log")
        ending.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ending.xaxis.set_minor_formatter(ticker.NullFormatter())
        ending.legend()
    ending.set_xlabel("response time (s, rounds after the first)")
    ending.set_ylabel("P(the conversation ends here)")
    ending.set_title(f"{f.queue}: endings after slow replies")
    seen = np.bincount(f.rounds)[1:] / max(f.rounds.size, 1)
    rounds.bar(np.arange(1, seen.size + 1), seen, color="lightgrey", label="seen in the log")
    rounds.plot(np.arange(1, f.natural_rounds.size + 1), f.natural_rounds, "C0.-",
                label="natural (had nobody left), in the scenario")
    rounds.set_xlabel("rounds per conversation")
    rounds.set_ylabel("share of conversations")
    rounds.set_title("rounds")
    rounds.legend()
    t = f.slowdown_table
    if len(t):
        ci = 1.96 * t["ratio_se"] * t["mean_s"].iloc[0]
        work.errorbar(t["open"], t["mean_s"], ci, fmt="o", color="black", ms=4,
                      label="replies nothing else delayed (95% CI)")
        factors = np.array(f.slowdown or (1.0,))
        base = f.reply.mean if f.reply else np.nan
        work.plot(t["open"], base * factors[np.minimum(t["open"], factors.size) - 1], "C1.-",
                  label="fitted reply work x slowdown")
        work.set_xticks(t["open"])
        work.legend()
    work.set_xlabel("conversations the agent had open")
    work.set_ylabel("reply work (s)")
    work.set_title("reply work and multitasking")
    return save_figure(fig, path, dpi=100)


def availability_plot(fit, path: Path) -> Path:
    """``availability.png``: by hour of the day, the log's service level and the model's with the not-ready
    time found (95% CIs), and the probabilities found with their uncertainty; by day, the log's service
    level in the model's band.
    """
    t = fit.table
    fig, axes = figure(1, 3, height=3.8, width=18)
    level, share, days = axes[0]
    level.errorbar(t["hour"] - 0.1, t["history_sl"], t["history_sl_ci95"], fmt="o", color="black", ms=4,
                   label="log (95% CI)")
    level.errorbar(t["hour"] + 0.1, t["model_sl"], t["model_sl_ci95"], fmt="s", color="C1", ms=4,
                   label="model with the not-ready time found (95% CI)")
    level.set_xlabel("hour of day")
    level.set_ylabel("service level")
    level.set_ylim(0, 1.02)
    level.set_title("service level by hour: log and model")
    level.legend()
    share.bar(t["hour"], t["after_contact"], yerr=np.nan_to_num(t["after_contact_ci95"]), color="C0", alpha=0.7,
              capsize=2, label="P(not ready after a contact) found (± 95% CI; pale: too few contacts, the mean)")
    for hour in t.loc[t["after_contact_ci95"].isna(), "hour"]:
        share.patches[int(hour)].set_alpha(0.25)
    share.plot(t["hour"], t["not_ready_share"], "k.-", lw=1, label="share of on-duty time not ready (model)")
    share.set_xlabel("hour of day")
    share.set_ylim(0, 1)
    share.set_title("not-ready time found")
    share.legend()
    d = fit.days
    days.fill_between(d["day"], d["model_sl"] - 1.28 * d["model_sl_sd"], d["model_sl"] + 1.28 * d["model_sl_sd"],
                      alpha=0.3, color="C1", label="model p10-p90")
    days.plot(d["day"], d["model_sl"], color="C1", lw=1, label="model mean")
    days.plot(d["day"], d["history_sl"], "ko-", ms=3, lw=0.8, label="log")
    days.set_ylim(0, 1.02)
    days.set_ylabel("service level")
    days.set_title(f"by day (day-to-day cv of not-ready time {fit.day_to_day_cv:.2f})")
    days.tick_params(axis="x", labelrotation=45, labelsize=7)
    days.legend()
    return save_figure(fig, path, dpi=100)


def _density(dist: str, mean: float, cv: float, x: np.ndarray) -> np.ndarray:
    if dist == "exponential":
        return stats.expon(scale=mean).pdf(x)
    if dist == "gamma":
        shape = 1 / cv**2
        return stats.gamma(shape, scale=mean / shape).pdf(x)
    sigma = np.sqrt(np.log(1 + cv**2))
    return stats.lognorm(sigma, scale=mean / np.sqrt(1 + cv**2)).pdf(x)


def backtest_plots(backtest, directory: Path) -> list[Path]:
    """Per queue, ``backtest_<queue>.png``: history against the simulated mean and p10-p90 band."""
    paths = []
    for queue, part in backtest.intervals.groupby("queue", sort=False):
        shown = ("offered", "service_level", "abandon_rate") + (
            ("first_response_s",) if part.loc[part["kpi"] == "first_response_s", "history"].notna().any() else ())
        fig, axes = figure(len(shown), dates=True, sharex=True)
        for ax, kpi in zip(axes[:, 0], shown):
            rows = _gaps_kept(part[part["kpi"] == kpi])
            ax.fill_between(rows["interval_start"], rows["p10"], rows["p90"], alpha=0.3, step="post",
                            label=f"simulated p10-p90 ({backtest.replications} replications)")
            ax.plot(rows["interval_start"], rows[backtest.simulated], lw=1, label="simulated mean")
            ax.plot(rows["interval_start"], rows["history"], lw=0.9, color="black", label="history")
            ax.set_ylabel(kpi)
            ax.legend(loc="upper left")
        axes[0, 0].set_title(f"{queue}: back-test")
        paths.append(save_figure(fig, directory / f"backtest_{queue}.png", dpi=100))
    return paths


def _gaps_kept(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` on every interval from the first to the last (the shortest step between two), NaN where none
    was judged (closed hours): lines and bands break there instead of bridging them.
    """
    steps = rows["interval_start"].drop_duplicates().sort_values().diff().dropna()
    if steps.empty:
        return rows
    grid = pd.date_range(rows["interval_start"].min(), rows["interval_start"].max(), freq=steps.min())
    return rows.set_index("interval_start").reindex(grid).rename_axis("interval_start").reset_index()
