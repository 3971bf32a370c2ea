"""Statistics across replications: Student-t confidence intervals, and per-cell statistics of blocks of
per-replication tables (mean, sd, CI, percentiles) in one pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def t_halfwidth(standard_error, n):
    """95% Student-t half-width for ``n`` values with the given standard error (NaN where n < 2).

    Works on scalars and arrays alike. SciPy is imported here, not with the package: it adds about 60 MB
    and half a second to every process that only simulates.
    """
    from scipy import stats

    n = np.asarray(n)
    return np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * standard_error, np.nan)


def ci95_halfwidth(values: pd.Series) -> float:
    """Half-width of the 95% Student-t confidence interval of the mean (NaN for fewer than 2 values)."""
    values = values.dropna()
    return float(t_halfwidth(values.std(ddof=1) / np.sqrt(max(len(values), 1)), len(values)))


def cell_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics across replications (axis 0) of ``values``, ignoring NaN: n, mean, sd, ci95, p10, p50, p90.

    Percentiles interpolate linearly between order statistics (NumPy's default method), from one sorted
    copy: about three times the memory of ``values`` at the peak, where ``np.nanpercentile`` takes six.
    """
    ordered = np.sort(values, axis=0)                                   # NaN sort last
    n = np.sum(~np.isnan(ordered), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(ordered, axis=0)
        mean = np.where(n > 0, total / n, np.nan)
        deviations = np.nansum(np.square(ordered - mean), axis=0)
        sd = np.where(n > 1, np.sqrt(deviations / (n - 1)), np.nan)
    stats = {"n": n, "mean": mean, "sd": sd, "ci95": t_halfwidth(sd / np.sqrt(np.maximum(n, 1)), n)}
    for q in (10, 50, 90):
        position = q / 100 * np.maximum(n - 1, 0)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(n - 1, 0))
        low = np.take_along_axis(ordered, below[None], axis=0)[0]
        high = np.take_along_axis(ordered, above[None], axis=0)[0]
        stats[f"p{q}"] = np.where(n > 0, low + (high - low) * (position - below), np.nan)
    return stats


def long_table(keys: pd.DataFrame, kpis: list[str], stats: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (row of ``keys``, kpi), with a column per statistic of shape (rows, kpis)."""
    table = {key: np.repeat(keys[key].to_numpy(), len(kpis)) for key in keys.columns}
    table["kpi"] = np.tile(kpis, len(keys))
    table.update({name: values.reshape(-1) for name, values in stats.items()})
    return pd.DataFrame(table)
