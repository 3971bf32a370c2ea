"""Chats as conversations fitted from a message log (``calibration.message_logs``): each chat queue's
``conversation`` block, and the platform's response measures as the log shows them. Times in seconds.

A conversation is read as turns: a run of customer messages, then a run of agent messages. A round is a
customer turn answered by an agent turn; its response time runs from the turn's first customer message
to the first agent message after it (as platforms measure 响应时长), and the customer's gap from that
reply to the next customer message, so that a round lasts response + gap, as in the model. Agent
messages before the customer's first (greetings) are not rounds, nor is a last customer turn nobody
answered (a "thanks"; it shows the customer was still there).

- reply work: the responses to messages that came while their agent had no other customer message
  waiting for a reply (nothing else to write first), in rounds after the first (a first message waited
  in the queue too). By the conversations the agent had open, they give the slowdown table, where the
  log shows one (a ratio two standard errors from 1).
- silent abandonment: a customer who leaves unseen is not marked in a log; the conversation just ends
  after a slow reply. The probability that round j, answered after r seconds, is the last is fitted as
  1 - (1 - h_j) exp(-r / θ) (maximum likelihood): h_j the conversations that end there of their own
  accord, θ the mean of an exponential message patience; a likelihood-ratio test (5%) decides whether the
  log shows silent abandonment at all. The rounds are the natural ones (h_j), not those cut short.
- the idle timeout (how long a silent chat holds its slot) is not in a message log: the platform's
  setting is given (default: the scenario default). Where the log shows silent abandonment, clean
  replies also need no conversation of their agent to have ended within it (an unseen held slot would
  make the agent busier than the log shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from calibration.duty import merged_intervals
from calibration.fit import HandleFit, fit_handle_time
from sim.channels import CHANNELS
from sim.scenario.parts import Conversation

MIN_REPLIES = 30             # clean replies needed for the reply work, and per open count for the slowdown
MIN_AT_ROUND = 20            # rounds needed to fit a round's own ending probability; later ones are pooled
ROUND_QUANTILES = 100        # the rounds distribution is written as this many quantiles
PATIENCE_BOUNDS_S = (1.0, 1e6)
LR_CRITICAL = stats.chi2.ppf(0.95, 1)
CHANNEL = next(name for name, channel in CHANNELS.items() if channel.conversations)    # what message logs hold
IDLE_TIMEOUT_S = Conversation.model_fields["idle_timeout"].default   # the platform's, unless told


@dataclass
class ConversationFit:
    """One queue's conversations as the log shows them and the model fitted to them.

    ``rounds`` (observed, per answered conversation), ``first_response`` and ``response`` (every round)
    in s; ``end_by_round`` (h_j, from round 1; the last repeats), ``patience_mean`` (s; None: no silent
    abandonment shown, ``patience_lr`` the test's statistic, ``patience_log_se`` the standard error of its
    logarithm), ``silent`` (expected silent abandons),
    ``ending`` (rounds after the first: response, whether the conversation ended, fitted probability),
    ``slowdown`` with its ``slowdown_table``; ``replies_clean`` False when too few clean replies were
    seen and every later round's response was used (an upper bound).
    """

    queue: str
    rounds: np.ndarray
    unanswered: int
    customer_messages: np.ndarray
    duration: np.ndarray
    first_response: np.ndarray
    response: np.ndarray
    reply: HandleFit | None
    replies_clean: bool
    slowdown: tuple[float, ...]
    slowdown_table: pd.DataFrame
    gap: HandleFit | None
    end_by_round: np.ndarray
    patience_mean: float | None
    patience_lr: float
    patience_log_se: float
    idle_timeout: float
    silent: float
    ending: pd.DataFrame
    open_mean: float

    @property
    def natural_rounds(self) -> np.ndarray:
        """P(R = j), j = 1, 2, ... until 99.9% of the mass: the rounds customers who stay would have."""
        probs, alive, j = [], 1.0, 0
        while alive > 1e-3 and j < 10_000:
            h = self.end_by_round[min(j, self.end_by_round.size - 1)]
            probs.append(alive * h)
            alive *= 1 - h
            j += 1
        return np.array(probs) / np.sum(probs)

    def spec(self) -> dict:
        """The queue's ``conversation`` block."""
        cumulative = np.cumsum(self.natural_rounds)
        levels = (np.arange(ROUND_QUANTILES) + 0.5) / ROUND_QUANTILES
        rounds = np.searchsorted(cumulative, levels) + 1
        block = {"rounds": {"dist": "empirical", "values": [int(r) for r in rounds]},
                 "reply": self.reply.spec() if self.reply else {"dist": "exponential", "mean": 30.0},
                 "gap": self.gap.spec() if self.gap else {"dist": "exponential", "mean": 60.0}}
        if len(self.slowdown) > 1:
            block["slowdown"] = [round(s, 3) for s in self.slowdown]
        if self.patience_mean is not None:
            block["message_patience"] = {"dist": "exponential", "mean": round(self.patience_mean, 1)}
            block["idle_timeout"] = self.idle_timeout
        return block

    def _patience(self, z: float) -> float:
        """The message patience mean at ``z`` standard errors (of its logarithm) from the estimate (s)."""
        if self.patience_mean is None:
            return np.nan
        return float(self.patience_mean * np.exp(z * self.patience_log_se))

    def measured(self) -> dict:
        """What the log shows (and the fit estimates) of the queue's conversations, one row."""
        answered = self.rounds.size
        return {
            "queue": self.queue, "conversations": answered + self.unanswered,
            "unanswered_share": self.unanswered / max(answered + self.unanswered, 1),
            "rounds_mean": _mean(self.rounds), "natural_rounds_mean": float(
                np.dot(np.arange(1, self.natural_rounds.size + 1), self.natural_rounds)),
            "customer_messages_mean": _mean(self.customer_messages), "duration_mean_s": _mean(self.duration),
            "first_response_mean_s": _mean(self.first_response),
            "first_response_p90_s": float(np.percentile(self.first_response, 90)) if answered else np.nan,
            "response_mean_s": _mean(self.response),
            "reply_mean_s": self.reply.mean if self.reply else np.nan,
            "reply_dist": self.reply.dist if self.reply else "",
            "reply_from_clean_replies": self.replies_clean, "gap_mean_s": self.gap.mean if self.gap else np.nan,
            "message_patience_mean_s": self.patience_mean if self.patience_mean is not None else np.nan,
            "message_patience_low_s": self._patience(-1.96), "message_patience_high_s": self._patience(1.96),
            "silent_test_statistic": self.patience_lr, "silent_abandon_share": self.silent / max(answered, 1),
            "open_conversations_mean": self.open_mean}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else np.nan


def rounds_of(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The log's rounds (``conversation``, ``queue``, ``agent`` who replied, ``j`` from 1, ``sent``,
    ``replied``, ``next`` customer message or NaT, ``last`` round, ``closed`` by an unanswered customer
    turn) and its conversations (``queue``, ``agent`` of the first reply, ``start`` (the first customer
    message), ``end`` (the last message), ``rounds``, ``customer_messages``). ``rows``: a message log's
    rows, sorted by conversation and time.
    """
    conversation = rows["conversation"]
    new_turn = (rows["sender"] != rows["sender"].shift()) | (conversation != conversation.shift())
    turns = rows.groupby(new_turn.cumsum().to_numpy()).agg(
        conversation=("conversation", "first"), sender=("sender", "first"), time=("time", "first"),
        agent=("agent", "first"), messages=("sender", "size"))
    turns = turns[(turns["sender"] == "customer") | (turns.groupby("conversation").cumcount() > 0)]  # no greetings
    turns = turns.reset_index(drop=True)
    same = turns["conversation"].shift(-1) == turns["conversation"]
    is_round = (turns["sender"] == "customer") & same & (turns["sender"].shift(-1) == "agent")
    after = turns.shift(-1)
    then = turns.shift(-2)
    rounds = pd.DataFrame({"conversation": turns["conversation"][is_round], "agent": after["agent"][is_round],
                           "sent": turns["time"][is_round], "replied": after["time"][is_round],
                           "next": then["time"][is_round].where(then["conversation"][is_round] ==
                                                                turns["conversation"][is_round])})
    rounds["j"] = rounds.groupby("conversation").cumcount() + 1
    rounds["last"] = rounds["conversation"].shift(-1) != rounds["conversation"]
    rounds["closed"] = rounds["last"] & rounds["next"].notna()
    by = rows.groupby("conversation", sort=False)
    customer = rows["sender"] == "customer"
    talks = pd.DataFrame({"queue": by["queue"].first(), "end": by["time"].max(),
                          "customer_messages": customer.groupby(rows["conversation"], sort=False).sum()})
    talks["start"] = rows[customer].groupby("conversation")["time"].min()     # a greeting is not the start
    talks = talks[talks["customer_messages"] > 0]              # the agent's messages only: no chat to fit
    talks["rounds"] = rounds.groupby("conversation").size().reindex(talks.index, fill_value=0)
    firsts = rounds[rounds["j"] == 1].set_index("conversation")
    talks["agent"] = firsts["agent"].reindex(talks.index)
    talks["first_reply"] = firsts["replied"].reindex(talks.index)
    rounds["queue"] = talks["queue"].reindex(rounds["conversation"]).to_numpy()
    return rounds.reset_index(drop=True), talks


def _seconds(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return ((later - earlier).dt.total_seconds()).to_numpy(dtype=float)


def _agent_loads(rounds: pd.DataFrame, talks: pd.DataFrame, silent: pd.Series,
                 idle_timeout: float) -> tuple[np.ndarray, np.ndarray]:
    """For each round: the other customer messages its agent had waiting for a reply when it was sent, and
    the distribution of the conversations that agent then held (columns: 1, 2, ... held). Held are those
    open (first reply to last message; its own included), and any that ended within ``idle_timeout`` (s)
    before whose customer had left unseen (``silent``: that probability, by conversation; such a chat
    holds its slot until the platform closes it).
    """
    pending = np.zeros(len(rounds), dtype=int)
    loads: list[np.ndarray] = [np.ones(1)] * len(rounds)
    most_seen: list[int] = []
    answered = talks[talks["rounds"] > 0]
    idle = pd.Timedelta(seconds=idle_timeout).to_timedelta64()
    for agent, mine in rounds.groupby("agent"):
        t = mine["sent"].to_numpy()
        sent, replied = np.sort(t), np.sort(mine["replied"].to_numpy())
        pending[mine.index] = np.maximum(np.searchsorted(sent, t, "left") - np.searchsorted(replied, t, "right"), 0)
        held = answered[answered["agent"] == agent].sort_values("end")
        opened, closed = np.sort(held["first_reply"].to_numpy()), held["end"].to_numpy()
        chance = silent.reindex(held.index).fillna(0.0).to_numpy()
        visible = np.maximum(np.searchsorted(opened, t, "left") - np.searchsorted(closed, t, "left"), 1)
        most_seen.append(int(visible.max()))
        since, until = np.searchsorted(closed, t - idle, "left"), np.searchsorted(closed, t, "left")
        for row, seen, lo, hi in zip(mine.index, visible, since, until):
            load = np.zeros(seen)
            load[-1] = 1.0
            for p in chance[lo:hi][chance[lo:hi] > 0]:          # each may still hold its slot: one more
                load = np.append(load * (1 - p), 0.0) + np.append(0.0, load * p)
            loads[row] = load
    most = np.ceil(np.percentile(most_seen, 90)) if most_seen else 1     # the chats an agent may hold
    width = int(max(most, max(len(load) for load in loads)))
    loads = [np.pad(load, (0, width - len(load))) for load in loads]
    capped = [load[:int(most)] / load[:int(most)].sum() if load[:int(most)].sum() > 0 else load for load in loads]
    return pending, np.array([np.pad(load, (0, width - len(load))) for load in capped])


def _slowdown(work: np.ndarray, held: np.ndarray) -> tuple[tuple[float, ...], pd.DataFrame]:
    """The slowdown by conversations held (1, 2, ...) from clean replies' ``work`` and the distribution of
    what their agent held (``held``, a row each): the mean work at each number held by least squares,
    relative to the least number held with ``MIN_REPLIES`` replies' weight (fewer are pooled with the
    number below); () when no ratio is two standard errors from 1.
    """
    empty = pd.DataFrame(columns=["open", "replies", "mean_s", "ratio", "ratio_se"])
    weight = held.sum(axis=0)
    kept = np.flatnonzero(weight >= MIN_REPLIES)
    if kept.size == 0:
        return (), empty
    column = np.clip(np.searchsorted(kept, np.arange(held.shape[1]), "right") - 1, 0, None)
    x = np.zeros((held.shape[0], kept.size))
    np.add.at(x.T, column, held.T)
    means, _, rank, _ = np.linalg.lstsq(x, work, rcond=None)
    if rank < kept.size:
        return (), empty
    residual = work - x @ means
    covariance = residual @ residual / max(work.size - kept.size, 1) * np.linalg.inv(x.T @ x)
    ratio = means / means[0]
    variance = ratio ** 2 * (np.diag(covariance) / means ** 2 + covariance[0, 0] / means[0] ** 2
                             - 2 * covariance[:, 0] / (means * means[0]))
    table = pd.DataFrame({"open": kept + 1, "replies": weight[kept], "mean_s": means, "ratio": ratio,
                          "ratio_se": np.sqrt(np.maximum(variance, 0))})
    shown = (np.abs(table["ratio"] - 1) > 2 * table["ratio_se"]).any()
    if len(table) < 2 or not shown:
        return (), table
    factors = pd.Series(ratio, index=kept + 1).reindex(range(1, kept[-1] + 2))
    factors = factors.ffill().fillna(1.0).clip(lower=1.0).cummax()
    return tuple(float(f) for f in factors), table


def _staying(n_on: int, n_closed: int, s_end: np.ndarray) -> float:
    """1 - h of one round at maximum likelihood: ``n_on`` conversations went on, ``n_closed`` ended with the
    customer there, and those that ended after a reply had ``s_end`` = P(customer still there).
    """
    lo, hi = 1e-12, 1 - 1e-12
    if n_on == 0:
        return lo

    def slope(u: float) -> float:
        return n_on / u - n_closed / (1 - u) - np.sum(s_end / (1 - u * s_end))

    return hi if slope(hi) >= 0 else float(optimize.brentq(slope, lo, hi, xtol=1e-12))


def _end_fit(j: np.ndarray, r: np.ndarray, kind: np.ndarray, theta: float) -> tuple[np.ndarray, float]:
    """Each pooled round's h (ending of its own accord) and the log-likelihood, for patience mean ``theta``.
    ``kind``: 0 the conversation went on, 1 it ended after this reply, 2 it ended with an unanswered
    customer message (the customer was there).
    """
    s = np.exp(-r / theta)
    hs, total = [], 0.0
    for group in range(j.max() + 1):
        at = j == group
        n_on, n_closed = int(np.sum(at & (kind == 0))), int(np.sum(at & (kind == 2)))
        s_end = s[at & (kind == 1)]
        u = _staying(n_on, n_closed, s_end)
        total += n_on * np.log(u) + n_closed * np.log(1 - u) + np.sum(np.log(1 - u * s_end))
        hs.append(1 - u)
    total += -np.sum(r[kind != 1] / theta) if np.isfinite(theta) else 0.0
    return np.array(hs), float(total)


def _ending(rounds: pd.DataFrame, response: np.ndarray) -> tuple[np.ndarray, float | None, float, float,
                                                                   pd.DataFrame, float]:
    """h_j by round (from 1), the message patience mean (None when the log shows none), the likelihood-ratio
    statistic, the expected number of silent abandons, the rounds after the first (``conversation``, ``j``,
    ``response_s``, ``ended``) with the fitted probability that each ended the conversation
    (``predicted``) and that its customer had left unseen (``silent``), and the standard error of
    log(patience mean) (from the profile likelihood).
    """
    first = rounds["j"].to_numpy() == 1
    h1 = float(np.mean(rounds["last"].to_numpy()[first])) if first.any() else 1.0
    later = rounds[~first]
    r = response[~first]
    table = pd.DataFrame({"conversation": later["conversation"].to_numpy(), "j": later["j"].to_numpy(),
                          "response_s": r, "ended": later["last"].to_numpy(), "silent": 0.0})
    if later.empty:
        return np.array([h1]), None, 0.0, 0.0, table.assign(predicted=np.nan), np.nan
    counts = later["j"].value_counts()
    deepest = max([k for k, n in counts.items() if n >= MIN_AT_ROUND], default=2)
    j = np.minimum(later["j"].to_numpy(), deepest) - 2
    kind = np.where(later["closed"], 2, np.where(later["last"], 1, 0))
    h_none, ll_none = _end_fit(j, r, kind, np.inf)
    lo, hi = np.log(PATIENCE_BOUNDS_S)
    best = optimize.minimize_scalar(lambda x: -_end_fit(j, r, kind, np.exp(x))[1], bounds=(lo, hi), method="bounded")
    theta = float(np.exp(best.x))
    h, ll = _end_fit(j, r, kind, theta)
    lr = 2 * (ll - ll_none)
    if lr < LR_CRITICAL or best.x > hi - 0.01:
        return np.concatenate([[h1], h_none]), None, max(lr, 0.0), 0.0, table.assign(predicted=h_none[j]), np.nan
    step = 0.05                    # the profile likelihood's curvature in log θ: its standard error
    curvature = (_end_fit(j, r, kind, theta * np.exp(step))[1] - 2 * ll
                 + _end_fit(j, r, kind, theta * np.exp(-step))[1]) / step ** 2
    log_se = float(np.sqrt(-1 / curvature)) if curvature < 0 else np.nan
    s = np.exp(-r / theta)
    predicted = 1 - (1 - h[j]) * s
    silent = np.where(kind == 1, (1 - s) / predicted, 0.0)
    return (np.concatenate([[h1], h]), theta, lr, float(silent.sum()), table.assign(predicted=predicted, silent=silent),
            log_se)


def _open_mean(talks: pd.DataFrame) -> float:
    """Mean conversations an agent had open while it had any (first reply to last message)."""
    answered = talks[talks["rounds"] > 0]
    held, busy = 0.0, 0.0
    for _, mine in answered.groupby("agent"):
        start, end = mine["first_reply"].to_numpy(), mine["end"].to_numpy()
        held += float((end - start).sum() / np.timedelta64(1, "s"))
        starts, ends = merged_intervals(start, end)          # the union of the intervals: busy time
        busy += float((ends - starts).sum() / np.timedelta64(1, "s"))
    return held / busy if busy > 0 else np.nan


def fit_conversations(rows: pd.DataFrame, idle_timeout: float = IDLE_TIMEOUT_S) -> dict[str, ConversationFit]:
    """Every queue's conversations fitted from a message log's rows (``read_message_log``); ``idle_timeout``:
    the platform's (s), which a log does not show.
    """
    rounds, talks = rounds_of(rows)
    if rounds.empty:
        raise ValueError(f"no conversation has an agent's reply ({len(talks):,} conversations, "
                         f"{int((rows['sender'] == 'customer').sum()):,} customer messages): nothing to fit")
    response = _seconds(rounds["replied"], rounds["sent"])
    endings = {}
    for queue in talks["queue"].unique():
        mine = (rounds["queue"] == queue).to_numpy()
        endings[queue] = _ending(rounds[mine].reset_index(drop=True), response[mine])
    silent = pd.concat([e[4] for e in endings.values()]).groupby("conversation")["silent"].max()
    pending, held = _agent_loads(rounds, talks, silent, idle_timeout)
    fits = {}
    for queue, mine in talks.groupby("queue", sort=False):
        in_queue = (rounds["queue"] == queue).to_numpy()
        q_rounds, r = rounds[in_queue], response[in_queue]
        end_by_round, patience, lr, expected_silent, ending, log_se = endings[queue]
        later = q_rounds["j"].to_numpy() > 1
        clean = later & (pending[in_queue] == 0)
        replies_clean = clean.sum() >= MIN_REPLIES
        chosen = clean if replies_clean else later
        slowdown, table = _slowdown(r[chosen], held[in_queue][chosen])
        factors = np.array(slowdown or (1.0,))
        factor = held[in_queue][chosen] @ factors[np.minimum(np.arange(held.shape[1]), factors.size - 1)]
        on = ~q_rounds["last"].to_numpy() & q_rounds["next"].notna().to_numpy()
        gaps = _seconds(q_rounds["next"], q_rounds["replied"])[on]
        answered = mine[mine["rounds"] > 0]
        fits[queue] = ConversationFit(
            queue=queue, rounds=answered["rounds"].to_numpy(), unanswered=int((mine["rounds"] == 0).sum()),
            customer_messages=answered["customer_messages"].to_numpy(),
            duration=_seconds(answered["end"], answered["start"]),
            first_response=r[q_rounds["j"].to_numpy() == 1], response=r,
            reply=fit_handle_time(r[chosen] / factor), replies_clean=bool(replies_clean), slowdown=slowdown,
            slowdown_table=table, gap=fit_handle_time(gaps), end_by_round=end_by_round, patience_mean=patience,
            patience_lr=lr, patience_log_se=log_se, idle_timeout=idle_timeout, silent=expected_silent,
            ending=ending, open_mean=_open_mean(answered))
    return fits


def contact_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """A message log's conversations as contact-log rows (``calibration.logs``): arrival at the first
    customer message, answered at the first reply (the platform's first response) and handled until the
    last message; a conversation nobody answered abandoned at its last customer message (when the
    customer was last seen: a lower bound on its patience); ``conversation``: its id.
    """
    rounds, talks = rounds_of(rows)
    lines = rows.groupby("conversation", sort=False)["line"].min()
    answered = talks["rounds"] > 0
    last_customer = rows[rows["sender"] == "customer"].groupby("conversation")["time"].max()
    return pd.DataFrame({
        "line": lines.reindex(talks.index).to_numpy(), "queue": talks["queue"].to_numpy(), "channel": CHANNEL,
        "arrival_time": talks["start"].to_numpy(),
        "answer_time": talks["first_reply"].where(answered).to_numpy(),
        "abandon_time": last_customer.reindex(talks.index).where(~answered).to_numpy(),
        "handle_s": np.where(answered, _seconds(talks["end"], talks["first_reply"]), np.nan),
        "agent": talks["agent"].fillna("").to_numpy(), "caller": "", "conversation": talks.index.to_numpy(),
    }).sort_values("arrival_time", kind="stable").reset_index(drop=True)
