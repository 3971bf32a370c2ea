"""Callers who call again after abandoning: which contacts are retrials, how likely and how soon callers
come back, and how much each contact counts as a first attempt. Times in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RETRIAL_WINDOW_S = 6 * 3600.0  # a caller's next contact within this after abandoning is a retrial
RETRIAL_BIN_S = 300.0          # unrecognised retrials are expected per bin of this length (first_attempts)
MIN_RETRIAL_CALLERS = 10       # abandoned contacts of known callers needed to estimate retrials
MAX_RETRIAL_PROBABILITY = 0.95  # a share estimated at 1 (every caller called back) is kept below certainty


@dataclass
class RetrialFit:
    """Callers who abandoned and called again within ``RETRIAL_WINDOW_S``: their ``probability`` (over
    the ``abandoned`` contacts that ended at least that long before the log does) and the mean ``delay``
    (s) from abandoning to calling again.
    """

    probability: float
    delay: float
    abandoned: int


def _by_caller(mine: pd.DataFrame) -> pd.DataFrame:
    """The contacts with a caller id, each caller's in arrival order."""
    return mine[mine["caller"] != ""].sort_values(["caller", "arrival_time"], kind="stable")


def retrial_flags(mine: pd.DataFrame) -> np.ndarray:
    """True for contacts whose caller's previous contact abandoned at most ``RETRIAL_WINDOW_S`` earlier."""
    known = _by_caller(mine)
    previous = known.groupby("caller")["abandon_time"].shift()
    gap = (known["arrival_time"] - previous).dt.total_seconds()
    flags = pd.Series(False, index=mine.index)
    flags[known.index] = (gap <= RETRIAL_WINDOW_S).to_numpy()
    return flags.to_numpy()


def fit_retrials(mine: pd.DataFrame, log_end: pd.Timestamp) -> RetrialFit | None:
    """Retrial probability (at most ``MAX_RETRIAL_PROBABILITY``) and mean delay of a queue whose log has
    caller ids; None with fewer than ``MIN_RETRIAL_CALLERS`` abandoned contacts of known callers.
    """
    known = _by_caller(mine)
    if known.empty:
        return None
    following = known.groupby("caller")["arrival_time"].shift(-1)
    gap = (following - known["abandon_time"]).dt.total_seconds()
    window = pd.Timedelta(seconds=RETRIAL_WINDOW_S)
    considered = known["abandon_time"].notna() & (known["abandon_time"] + window <= log_end)
    again = considered & (gap <= RETRIAL_WINDOW_S)
    if considered.sum() < MIN_RETRIAL_CALLERS:
        return None
    share = min(float(again.sum() / considered.sum()), MAX_RETRIAL_PROBABILITY)
    return RetrialFit(share, float(gap[again].mean()) if again.any() else 0.0, int(considered.sum()))


def first_attempts(mine: pd.DataFrame, retrial: RetrialFit) -> np.ndarray:
    """How much each contact counts as a first attempt: 0 for a known caller's retrial
    (``retrial_flags``), 1 for a known caller's first attempt, and for a contact without a caller id one
    less the chance that it is a retrial nobody could recognise: the retrials expected in its
    ``RETRIAL_BIN_S`` bin from the earlier abandonments without an id (each comes back with the
    ``retrial`` probability after an exponential delay of its mean), over the contacts without an id there.

    The scenario adds retrials itself at that probability of every abandonment, so the contacts without an
    id must not bring their own retrials in as first attempts as well; they cluster after busy hours.
    """
    known = (mine["caller"] != "").to_numpy()
    weights = np.where(retrial_flags(mine), 0.0, 1.0)
    if not (~known).any():
        return weights
    unknown = mine[~known]
    start = mine["arrival_time"].min()
    slot = lambda times: ((times - start).dt.total_seconds() // RETRIAL_BIN_S).astype(int).to_numpy()  # noqa: E731
    arrivals = slot(unknown["arrival_time"])
    abandoned = slot(unknown["abandon_time"].dropna())
    bins = int(max(arrivals.max(), abandoned.max(initial=0))) + 1
    lags = np.arange(1, int(RETRIAL_WINDOW_S // RETRIAL_BIN_S) + 1)
    back = np.exp(-(lags - 1) * RETRIAL_BIN_S / max(retrial.delay, 1.0))
    comeback = retrial.probability * (back - np.exp(-lags * RETRIAL_BIN_S / max(retrial.delay, 1.0)))
    expected = np.convolve(np.bincount(abandoned, minlength=bins), np.concatenate([[0.0], comeback]))[:bins]
    calls = np.bincount(arrivals, minlength=bins)
    weights[~known] = 1.0 - np.minimum(expected[arrivals] / calls[arrivals], 1.0)
    return weights
