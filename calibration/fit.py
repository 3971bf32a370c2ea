"""Fitting a queue's demand and service parameters to a contact log.

Per queue: daily volume and weekday factors, the intraday profile (pooled over days, lightly smoothed;
per weekday when the weekdays' shapes differ significantly),
day-to-day overdispersion (gamma cv by the method of moments), the handle-time distribution
(lognormal, gamma and exponential by maximum likelihood, the lowest AIC chosen), patience from censored
waits (exponential MLE = abandonments / total waiting time, with a Kaplan-Meier curve as a
non-parametric check), for chats the concurrency agents reach, for calls with caller ids the share of
callers who call again after abandoning, and how soon (``calibration.retrials``), and for calls with
agent ids the after-call work (``calibration.duty``). Times are in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from calibration.duty import WrapUpFit, fit_wrap_up
from calibration.retrials import RetrialFit, first_attempts, fit_retrials, retrial_flags
from sim.channels import CHANNELS, keys_of

DAY = 86400.0
MIN_DAYS_FOR_WEEKDAYS = 14     # below this the weekday factors stay 1 (two of each weekday at least)
SPIKE_S = 10.0                 # handle times under this are a spike of their own (hang-ups, transfers)...
MIN_SPIKE_SHARE = 0.02         # ...when at least this share of the answered contacts
LEVEL_HALF_LIFE_DAYS = 7.0     # the daily volume weights each day by half every this many days back
TREND_T = 2.0                  # a trend in the daily volume is used when this many standard errors from 0
FORECAST_DAYS = 7              # with a trend, the daily volume is the forecast for this many days after the log
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUNDING_S = 0.01              # exports round times; overlaps shorter than this are not counted
MIN_PATIENCE_S = 0.1            # customers who all leave at once still get a patience a scenario takes
MAX_PATIENCE_CV = 20.0          # the largest cv a scenario takes
OUTLIER_FACTOR = 10.0           # a wait over this many times the queue's 99th percentile (and an hour) is an outlier
MIN_CV = 0.001                 # handle times varying less than this are constant
MAX_CV = 20.0                  # the most variation a scenario's distribution takes


@dataclass
class HandleFit:
    """The chosen distribution (``dist``, ``mean``, ``cv``) and every candidate's fit in ``table``
    (mean, cv, log-likelihood, AIC, Kolmogorov-Smirnov distance).
    """

    dist: str
    mean: float
    cv: float
    table: pd.DataFrame
    values: np.ndarray
    spike: tuple[float, float] | None = None      # (share, mean s) of the very short contacts, if a spike
    body: HandleFit | None = None                  # the family fitted to the rest, with a spike

    def spec(self) -> dict:
        """The scenario's handle-time entry."""
        if self.spike is not None:
            share, mean = self.spike
            return {"dist": "mixture", "parts": [
                {"share": round(share, 4), "of": {"dist": "exponential", "mean": round(mean, 3)}},
                {"share": round(1 - round(share, 4), 4), "of": self.body.spec()}]}
        if self.dist == "constant":
            return {"dist": "constant", "value": round(self.mean, 3)}
        if self.dist == "exponential":
            return {"dist": "exponential", "mean": round(self.mean, 3)}
        return {"dist": self.dist, "mean": round(self.mean, 3), "cv": round(min(max(self.cv, MIN_CV), MAX_CV), 4)}


@dataclass
class PatienceFit:
    """Patience by maximum likelihood from censored waits, and the Kaplan-Meier survival curve.

    ``exponential_mean`` = total waiting time of every contact / abandonments (None without
    abandonments); a lognormal is fitted too (censored MLE), and ``dist`` (``exponential`` or
    ``lognormal``), ``mean`` and ``cv`` are those of the family with the lower AIC (``aic``, by family).
    ``naive_mean``, the mean wait of those who abandoned, is biased low: it ignores the patience of those
    an agent answered first. From an interval report, ``km`` is empty and ``by_wait`` shows the estimate:
    with exponential patience, the share who abandon is the mean wait of all over the mean patience.
    """

    mean: float | None
    abandoned: int
    total_wait: float
    naive_mean: float
    km: pd.DataFrame
    dist: str = "exponential"
    cv: float = 1.0
    exponential_mean: float | None = None
    aic: dict[str, float] | None = None
    by_wait: pd.DataFrame | None = None     # an interval report's: abandon share by mean wait, deciles of intervals

    def spec(self) -> dict | None:
        """The scenario's ``patience`` (None without abandonments)."""
        if self.mean is None:
            return None
        if self.dist == "lognormal":
            return {"dist": "lognormal", "mean": round(self.mean, 3), "cv": round(self.cv, 4)}
        return {"dist": "exponential", "mean": round(self.mean, 3)}


@dataclass
class QueueFit:
    queue: str
    channel: str
    contacts: int
    daily_counts: pd.Series
    daily_volume: float
    weekday_factors: tuple[float, ...]
    day_to_day_cv: float
    profile: np.ndarray
    profile_by_weekday: pd.DataFrame
    weekday_profiles: dict[str, np.ndarray] | None
    handle: HandleFit | None
    patience: PatienceFit
    concurrency: int
    retrials: int = 0
    retrial: RetrialFit | None = None
    outliers: tuple[int, ...] = ()          # lines of waits left out of the patience fit (``wait_outliers``)
    wrap_up: WrapUpFit | None = None
    trend: float = 0.0                      # growth of the daily volume per day (0: none significant)


def daily_counts(arrivals: pd.Series, first_day: pd.Timestamp, days: int,
                 weights: np.ndarray | None = None) -> pd.Series:
    """Contacts per calendar day over ``days`` days from ``first_day`` (zeros included); each contact
    counts its weight when ``weights`` are given (``first_attempts``).
    """
    index = pd.date_range(first_day, periods=days, freq="D")
    counted = pd.Series(1.0 if weights is None else weights, index=arrivals.index)
    return counted.groupby(arrivals.dt.normalize()).sum().reindex(index, fill_value=0.0).sort_index()


def outage_days(rows: pd.DataFrame) -> list[pd.Timestamp]:
    """Days inside the log's span with no record at all, whose weekday has records on most of its other
    dates: an outage or a lost export, not a day the centre is closed.
    """
    days = rows["arrival_time"].dt.normalize()
    span = pd.date_range(days.min(), days.max(), freq="D")
    counts = days.value_counts().reindex(span, fill_value=0)
    open_share = (counts > 0).groupby(counts.index.day_of_week).transform("mean")
    return [day for day, n in counts.items() if n == 0 and open_share[day] >= 0.5]


def volume_and_weekdays(counts: pd.Series) -> tuple[float, tuple[float, ...], float]:
    """The daily volume to forecast, the factor of each weekday (Monday first, averaging 1; all 1 with under
    two weeks) and the trend (growth per day, 0 when not significant).

    The logarithms of the days' counts are fitted by a straight line in time plus a step per weekday
    (weighted least squares, each day weighted by half every ``LEVEL_HALF_LIFE_DAYS`` back from the log's
    last day). When the line's slope is at least ``TREND_T`` standard errors from 0 (with two weeks or
    more), the volume rises or falls: the weekday factors are the fitted steps and the daily volume is the
    fit's mean over the ``FORECAST_DAYS`` days after the log. Otherwise the factors are each weekday's mean
    count over the average weekday's, and the daily volume is the days' counts over their factors,
    averaged with the same weights: the current level.
    """
    weekday = counts.index.day_of_week.to_numpy()
    if len(counts) < MIN_DAYS_FOR_WEEKDAYS:
        factors = np.ones(7)
    else:
        by_weekday = counts.groupby(weekday).mean().reindex(range(7))
        factors = (by_weekday / by_weekday.mean()).to_numpy()
    if counts.empty:
        return 0.0, tuple(round(float(f), 4) for f in factors), 0.0
    expected = factors[weekday]
    open_days = expected > 0
    age = (counts.index[-1] - counts.index).days.to_numpy().astype(float)
    weights = 0.5 ** (age / LEVEL_HALF_LIFE_DAYS)
    level = float(np.sum((weights * counts.to_numpy() / np.where(open_days, expected, 1.0))[open_days])
                  / weights[open_days].sum())
    trend = _trend(counts[open_days], weights[open_days]) if len(counts) >= MIN_DAYS_FOR_WEEKDAYS else None
    if trend is None:
        return level, tuple(round(float(f), 4) for f in factors), 0.0
    intercept, slope, steps = trend
    found = np.zeros(7)
    found[list(steps)] = np.exp(list(steps.values()))
    scale = found.mean()
    ahead = np.arange(1, FORECAST_DAYS + 1)
    volume = float(np.exp(intercept) * scale * np.mean(np.exp(slope * ahead)))
    return volume, tuple(round(float(f), 4) for f in found / scale), float(np.expm1(slope))


def _trend(counts: pd.Series, weights: np.ndarray) -> tuple[float, float, dict[int, float]] | None:
    """Weighted least squares of log counts on days since the last day and one step per weekday: the
    intercept (the first weekday's, at the last day), the slope per day and each weekday's step from the
    first one; None when the slope is within ``TREND_T`` standard errors of 0.
    """
    weekday = counts.index.day_of_week.to_numpy()
    present = sorted(set(weekday))
    x = np.column_stack([np.ones(len(counts)), -(counts.index[-1] - counts.index).days.to_numpy().astype(float),
                         *[(weekday == d).astype(float) for d in present[1:]]])
    if len(counts) <= x.shape[1] + 1:
        return None
    y = np.log(np.maximum(counts.to_numpy(dtype=float), 0.5))
    w = weights / weights.mean()
    normal = x.T @ (w[:, None] * x)
    beta = np.linalg.solve(normal, x.T @ (w * y))
    residual = y - x @ beta
    variance = np.sum(w * residual ** 2) / (len(y) - x.shape[1]) * np.linalg.inv(normal)[1, 1]
    if not variance > 0 or abs(beta[1]) < TREND_T * np.sqrt(variance):
        return None
    return float(beta[0]), float(beta[1]), {present[0]: 0.0, **{d: float(b) for d, b in zip(present[1:], beta[2:])}}


def gamma_cv(counts: pd.Series) -> float:
    """Day-to-day cv by the method of moments: Var N = Λ + Λ²cv², each day's Λ its weekday's mean.

    Squared deviations from a weekday mean of n days are scaled by n/(n − 1) (the mean is estimated).
    """
    weekday = counts.index.day_of_week if len(counts) >= MIN_DAYS_FOR_WEEKDAYS else np.zeros(len(counts), dtype=int)
    groups = counts.groupby(weekday)
    expected = groups.transform("mean").to_numpy(dtype=float)
    n = groups.transform("size").to_numpy(dtype=float)
    usable = n > 1
    excess = np.sum(((counts.to_numpy() - expected) ** 2 * n / np.maximum(n - 1, 1) - expected)[usable])
    spread = np.sum(expected[usable] ** 2)
    return float(np.sqrt(max(excess, 0.0) / spread)) if spread > 0 else 0.0


def intraday_profile(arrivals: pd.Series, interval: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Share of a day's contacts in each interval of the day, pooled over days and smoothed with a
    circular [1, 2, 1] / 4 kernel; and the unsmoothed shares per weekday (rows: Monday first).
    """
    per_day = int(round(DAY / interval))
    seconds = (arrivals - arrivals.dt.normalize()).dt.total_seconds().to_numpy()
    slot = np.minimum((seconds // interval).astype(int), per_day - 1)
    pooled = np.bincount(slot, minlength=per_day).astype(float)
    smoothed = (np.roll(pooled, 1) + 2 * pooled + np.roll(pooled, -1)) / 4
    smoothed[pooled == 0] = 0.0                 # hours without a contact stay closed
    by_weekday = pd.DataFrame(0.0, index=range(7), columns=range(per_day))
    for day, part in pd.Series(slot).groupby(arrivals.dt.day_of_week.to_numpy()):
        by_weekday.loc[day] = np.bincount(part.to_numpy(), minlength=per_day) / len(part)
    return smoothed / smoothed.sum(), by_weekday


def weekday_profiles(arrivals: pd.Series, interval: float, days: int) -> dict[str, np.ndarray] | None:
    """Each weekday's own smoothed profile, when the weekdays' shapes differ: with two weeks or more, a
    chi-square test of homogeneity of the weekday × hour counts rejecting at 1%; else None.
    """
    if days < MIN_DAYS_FOR_WEEKDAYS:
        return None
    table = pd.crosstab(arrivals.dt.day_of_week, arrivals.dt.hour).to_numpy()
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2 or stats.chi2_contingency(table).pvalue >= 0.01:
        return None
    return {WEEKDAYS[w]: intraday_profile(arrivals[arrivals.dt.day_of_week == w], interval)[0]
            for w in sorted(arrivals.dt.day_of_week.unique())}


def fit_handle_time(values: np.ndarray) -> HandleFit | None:
    """Lognormal, gamma and exponential by maximum likelihood (location 0); the lowest AIC wins.

    Values that (almost) never vary give a constant; None without two positive values. A spike of very
    short contacts (at least ``MIN_SPIKE_SHARE`` under ``SPIKE_S``: hang-ups, transfers) would decide the
    family on its own, so the family is then chosen and fitted on the rest (the body) and the spike is a
    part of its own (exponential), the two a ``mixture``.
    """
    x = values[(values > 0) & np.isfinite(values)]
    if x.size < 2:
        return None
    short = x < SPIKE_S
    if short.mean() >= MIN_SPIKE_SHARE and short.sum() >= 20 and (~short).sum() >= 20:
        body = fit_handle_time(x[~short])
        share, spike_mean = float(short.mean()), float(x[short].mean())
        mean = share * spike_mean + (1 - share) * body.mean
        second = share * 2 * spike_mean**2 + (1 - share) * body.mean**2 * (1 + body.cv**2)
        table = pd.concat([body.table.assign(part="body"),
                           pd.DataFrame([{"dist": "exponential", "mean": spike_mean, "cv": 1.0, "part":
                                          f"spike under {SPIKE_S:g} s ({share:.1%})"}])], ignore_index=True)
        return HandleFit(f"{body.dist} + {share:.0%} short", mean, float(np.sqrt(second - mean**2) / mean), table, x,
                         (share, spike_mean), body)
    if x.std() < MIN_CV * x.mean():
        table = pd.DataFrame([{"dist": "constant", "mean": float(x.mean()), "cv": 0.0, "log_likelihood": np.nan,
                               "aic": np.nan, "ks": np.nan}])
        return HandleFit("constant", float(x.mean()), 0.0, table, x)
    candidates = {"lognormal": (stats.lognorm, 2), "gamma": (stats.gamma, 2), "exponential": (stats.expon, 1)}
    rows = []
    for name, (family, k) in candidates.items():
        try:
            params = (0.0, float(x.mean())) if name == "exponential" else family.fit(x, floc=0)
        except (RuntimeError, ValueError, FloatingPointError):
            continue                                         # the optimiser failed: that family is left out
        frozen = family(*params)
        log_likelihood = float(np.sum(frozen.logpdf(x)))
        rows.append({"dist": name, "mean": float(frozen.mean()), "cv": float(frozen.std() / frozen.mean()),
                     "log_likelihood": log_likelihood, "aic": 2 * k - 2 * log_likelihood,
                     "ks": float(stats.kstest(x, frozen.cdf).statistic)})
    table = pd.DataFrame(rows)
    best = table.loc[table["aic"].idxmin()]
    return HandleFit(best["dist"], float(best["mean"]), float(best["cv"]), table, x)


def fit_patience(waits_abandoned: np.ndarray, waits_answered: np.ndarray) -> PatienceFit:
    """Exponential MLE and Kaplan-Meier from abandoned (observed) and answered (censored) waits."""
    total = float(waits_abandoned.sum() + waits_answered.sum())
    n = int(waits_abandoned.size)
    if n == 0:
        return PatienceFit(None, 0, total, float("nan"), pd.DataFrame({"wait_s": [], "survival": []}))
    km = stats.ecdf(stats.CensoredData(uncensored=waits_abandoned, right=waits_answered)).sf
    curve = pd.DataFrame({"wait_s": km.quantiles, "survival": km.probabilities})
    rate = n / max(total, 1e-9)
    exp_mean = max(total / n, MIN_PATIENCE_S)
    observed = np.maximum(waits_abandoned, 0.5)       # a wait of 0 has no density: half a second
    aic = {"exponential": 2 - 2 * (n * np.log(rate) - rate * total)}
    lognormal = _censored_lognormal(observed, waits_answered[waits_answered > 0])
    if lognormal is not None:
        mu, sigma, loglik = lognormal
        aic["lognormal"] = 4 - 2 * loglik
    if lognormal is not None and aic["lognormal"] < aic["exponential"]:
        mean = float(np.exp(mu + sigma**2 / 2))
        cv = float(np.sqrt(np.expm1(sigma**2)))
        if MIN_PATIENCE_S <= mean and cv <= MAX_PATIENCE_CV:
            return PatienceFit(mean, n, total, float(waits_abandoned.mean()), curve, "lognormal", cv, exp_mean, aic)
    return PatienceFit(exp_mean, n, total, float(waits_abandoned.mean()), curve, "exponential", 1.0, exp_mean, aic)


def _censored_lognormal(observed: np.ndarray, censored: np.ndarray) -> tuple[float, float, float] | None:
    """Maximum-likelihood (mu, sigma) of log-patience from observed and right-censored waits, with the
    log-likelihood; None if the fit fails.
    """
    logs_observed, logs_censored = np.log(observed), np.log(censored)

    def negative(params: np.ndarray) -> float:
        mu, log_sigma = params
        sigma = np.exp(log_sigma)
        z_observed, z_censored = (logs_observed - mu) / sigma, (logs_censored - mu) / sigma
        return -(np.sum(stats.norm.logpdf(z_observed) - log_sigma - logs_observed)
                 + np.sum(stats.norm.logsf(z_censored)))

    start = np.array([np.log(np.mean(observed)) + 1.0, 0.0])
    result = optimize.minimize(negative, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6})
    if not result.success or not np.isfinite(result.fun):
        return None
    return float(result.x[0]), float(np.exp(result.x[1])), float(-result.fun)


def chat_concurrency(rows: pd.DataFrame) -> int:
    """The chats agents hold at once: the 90th percentile over agents of each one's most open chats.

    Each chat is shortened by ``ROUNDING_S`` so that times rounded in the export do not make a chat that
    ended as the next one started look like an overlap.
    """
    served = rows[rows["answer_time"].notna() & (rows["agent"] != "")]
    if served.empty:
        return 1
    most = []
    for _, mine in served.groupby("agent"):
        start = mine["answer_time"].to_numpy()
        end = start + pd.to_timedelta(mine["handle_s"].to_numpy() - ROUNDING_S, unit="s").to_numpy()
        times = np.concatenate([start, end])
        steps = np.concatenate([np.ones(start.size), -np.ones(end.size)])
        order = np.lexsort((steps, times))                # at a tie, a chat ends before the next starts
        most.append(int(np.max(np.cumsum(steps[order]))))
    return max(1, int(np.ceil(np.percentile(most, 90))))


def wait_outliers(waits: pd.Series) -> pd.Series:
    """Waits implausibly far out (a stuck record): longer than an hour and than ``OUTLIER_FACTOR`` times
    the queue's 99th percentile. They are left out of the patience fit, and listed.
    """
    known = waits.dropna()
    if known.empty:
        return pd.Series(False, index=waits.index)
    limit = max(3600.0, OUTLIER_FACTOR * float(np.quantile(known, 0.99)))
    return (waits > limit).fillna(False)


def fit_queue(rows: pd.DataFrame, queue: str, interval: float, outages: list[pd.Timestamp] = ()) -> QueueFit:
    """Every parameter of ``queue`` from its valid log rows (``calibration.logs.Log.rows``).

    Volume, profile and overdispersion count first attempts only when the log has caller ids (the
    scenario adds the retrials itself); ``outages`` (days) are left out of the daily counts.
    """
    mine = rows[rows["queue"] == queue]
    channel = mine["channel"].mode().iloc[0]
    calls_again = "retrial" in keys_of(channel)
    retry = retrial_flags(mine) if calls_again else np.zeros(len(mine), dtype=bool)
    retrial = fit_retrials(mine, rows["arrival_time"].max()) if calls_again else None
    weights = first_attempts(mine, retrial) if retrial is not None else (~retry).astype(float)
    first = mine[~retry]
    first_day = rows["arrival_time"].min().normalize()
    days = int((rows["arrival_time"].max().normalize() - first_day).days) + 1
    counts = daily_counts(mine["arrival_time"], first_day, days, weights).drop(list(outages), errors="ignore")
    volume, weekdays, trend = volume_and_weekdays(counts)
    profile, by_weekday = intraday_profile(first["arrival_time"], interval)
    answered = mine[mine["answer_time"].notna()]
    abandoned = mine[mine["abandon_time"].notna()]
    left = mine["answer_time"].fillna(mine["abandon_time"])
    outlier = wait_outliers((left - mine["arrival_time"]).dt.total_seconds())
    waits_answered = (answered["answer_time"] - answered["arrival_time"]).dt.total_seconds()[~outlier].dropna()
    waits_abandoned = (abandoned["abandon_time"] - abandoned["arrival_time"]).dt.total_seconds()[~outlier].dropna()
    waits_answered, waits_abandoned = waits_answered.to_numpy(), waits_abandoned.to_numpy()
    wrap_up = fit_wrap_up(rows, queue) if CHANNELS[channel].exclusive else None
    return QueueFit(queue, channel, len(mine), counts, volume, weekdays, gamma_cv(counts), profile, by_weekday,
                    weekday_profiles(first["arrival_time"], interval, days),
                    fit_handle_time(answered["handle_s"].to_numpy(dtype=float)),
                    fit_patience(waits_abandoned, waits_answered),
                    1 if CHANNELS[channel].exclusive else chat_concurrency(answered), int(retry.sum()), retrial,
                    tuple(mine.loc[outlier, "line"].astype(int)), wrap_up, trend)
