"""KPIs: the registry matches the tables and the docs, and the interval tables match a brute-force count
over the per-contact records (every column, including backlog, slot utilisation and first-contact
resolution)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import kpis
from sim.arrivals import generate_demand
from sim.contacts import DRAWN
from tests.conftest import MIXED

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"replication", "interval_start", "queue", "channel", "group"}


@pytest.fixture(scope="module")
def mixed() -> sim.Results:
    data = copy.deepcopy(MIXED)
    data["queues"]["calls"]["retrial"] = {"probability": 0.5, "delay": {"dist": "exponential", "mean": 300}}
    data["queues"]["calls"]["patience"]["balk"] = 0.2
    return sim.simulate(sim.load_scenario(data), replications=2, seed=11, record_contacts=True)


def test_every_table_column_is_a_registered_kpi_and_documented(mixed):
    registered = {table: set(kpis.of_table(table)) for table in ("intervals", "totals", "groups", "summary")}
    assert set(mixed.intervals.columns) - KEYS == registered["intervals"]
    assert set(mixed.totals.columns) - KEYS == registered["totals"]
    assert set(mixed.groups.columns) - KEYS == registered["groups"]
    summary = {c for c in mixed.summary.columns if not c.endswith("_ci95")} - KEYS - {"replications"}
    assert summary <= registered["intervals"] | registered["totals"] | registered["summary"]
    prose = re.sub(r"<!-- kpis:.*?<!-- /kpis -->", "", (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8"),
                   flags=re.DOTALL)          # the generated lists define nothing
    documented = set(re.findall(r"`(\w+)`", prose))
    assert {k.name for k in kpis.KPIS} - documented == set()


def test_the_docs_kpi_lists_are_the_registrys():
    """Every KPI list the docs keep is marked and matches ``sim.kpis`` (``python -m sim.kpis docs/*.md``
    rewrites them); the summary's, the sweep's and the back-test's lists are marked.
    """
    marked = set()
    for doc in sorted((ROOT / "docs").glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        assert kpis.fill_doc_lists(text) == text, f"{doc.name}: run python -m sim.kpis docs/*.md"
        marked |= set(re.findall(r"<!-- kpis:(\w+) -->", text))
    assert marked == set(kpis.doc_lists())


def test_every_drawn_attribute_is_drawn(mixed):
    demand = generate_demand(mixed.scenario, 0, 1)
    assert set(demand.columns) == set(DRAWN)
    assert len({column.size for column in demand.columns.values()}) == 1


def _interval(sc: sim.Scenario, seconds: pd.Series) -> pd.Series:
    return (pd.Timestamp(sc.start) + pd.to_timedelta((seconds // sc.interval) * sc.interval, unit="s"))


def test_queue_intervals_equal_a_brute_force_count_over_contacts(mixed):
    sc, c = mixed.scenario, mixed.contacts.copy()
    threshold = c["queue"].map({name: q.sla.answer_within for name, q in sc.queues.items()})
    c["interval_start"] = _interval(sc, c["arrival_s"])
    answered, abandoned = c["outcome"] == "answered", c["outcome"] == "abandoned"
    waiting = c["outcome"] == "waiting"
    c = c.assign(offered=1, answered=answered, abandoned=abandoned, waiting_at_end=waiting,
                 queued=c["wait_s"] > 0, retrials=c["attempt"] > 0, balked=c["balked"],
                 answered_within_sl=answered & (c["wait_s"] <= threshold),
                 abandoned_within_sl=abandoned & (c["wait_s"] <= threshold),
                 undecided=waiting & (c["wait_s"] <= threshold),
                 answered_wait=c["wait_s"].where(answered, 0.0))
    counts = ["offered", "answered", "abandoned", "waiting_at_end", "queued", "retrials", "balked",
              "answered_within_sl", "abandoned_within_sl"]
    brute = c.groupby(["replication", "interval_start", "queue"])[[*counts, "undecided", "answered_wait"]].sum()
    table = mixed.intervals.set_index(["replication", "interval_start", "queue"])
    table = table[table["offered"] > 0]
    brute = brute.reindex(table.index)
    for column in counts:
        assert (table[column] == brute[column]).all(), column
    assert np.allclose(table["service_level"], brute["answered_within_sl"] / (brute["offered"] - brute["undecided"]),
                       equal_nan=True)
    assert np.allclose(table["asa_s"], brute["answered_wait"] / brute["answered"], equal_nan=True)
    assert table["retrials"].sum() > 0 and table["balked"].sum() > 0


def test_backlog_is_the_contacts_waiting_at_each_interval_start(mixed):
    """Arrived before the start and not yet gone: one taken at the very start (a shift begins) still counts."""
    sc, c = mixed.scenario, mixed.contacts
    left = (c["arrival_s"] + c["wait_s"]).where(c["outcome"] != "waiting", np.inf)
    table = mixed.intervals
    starts = (table["interval_start"] - pd.Timestamp(sc.start)).dt.total_seconds()
    for (r, q), rows in table.groupby(["replication", "queue"]):
        mine = (c["replication"] == r) & (c["queue"] == q)
        arrived, gone = c.loc[mine, "arrival_s"].to_numpy(), left[mine].to_numpy()
        expected = [int(np.sum((arrived < t) & (gone >= t))) for t in starts[rows.index]]
        assert rows["backlog"].tolist()[1:] == expected[1:], (r, q)
    assert table["backlog"].sum() > 0


def test_slot_utilisation_is_contact_seconds_over_slot_seconds(mixed):
    """Contact-seconds from the records (answer to end, cut to each interval) over staffed slot-seconds."""
    sc, c = mixed.scenario, mixed.contacts
    served = c[c["outcome"] == "answered"]
    start = (served["arrival_s"] + served["wait_s"]).to_numpy()
    end = served["end_s"].fillna(sc.horizon).to_numpy()
    groups = mixed.groups
    for (r, g), rows in groups.groupby(["replication", "group"]):
        mine = ((served["replication"] == r) & (served["group"] == g)).to_numpy()
        lo = (rows["interval_start"] - pd.Timestamp(sc.start)).dt.total_seconds().to_numpy()
        overlap = np.clip(np.minimum(end[mine][None, :], lo[:, None] + sc.interval)
                          - np.maximum(start[mine][None, :], lo[:, None]), 0, None).sum(axis=1)
        np.testing.assert_allclose(rows["contact_s"], overlap, rtol=1e-9, atol=1e-6)
        slots = rows["staffed_agent_s"] * sc.groups[g].concurrency
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_allclose(rows["slot_utilisation"], overlap / slots, rtol=1e-9)
        assert (rows["slot_utilisation"].dropna() <= 1 + 1e-9).all()


def test_first_contact_resolution_counts_customers_resolved_without_escalation():
    data = yaml_refunds()
    res = sim.simulate(data, replications=2, seed=2, record_contacts=True)
    c = res.contacts
    for (r, q), totals in res.totals.groupby(["replication", "queue"]):
        mine = c[(c["replication"] == r) & (c["queue"] == q)]
        followups = c[(c["replication"] == r) & (c["origin"] >= 0)]
        resolved_by_followup = set(followups.loc[followups["outcome"] == "answered", "origin"]
                                   [followups["end_s"].notna() & ~followups["escalated"].astype(bool)
                                    & ~followups["auto_approved"].astype(bool)])
        index = mine.index - c.index[c["replication"] == r][0]
        own = ((mine["outcome"] == "answered") & mine["end_s"].notna() & ~mine["escalated"].astype(bool)
               & ~mine["auto_approved"].astype(bool))
        first = int(own.sum())
        resolved = first + int(np.isin(index, list(resolved_by_followup)).sum())
        row = totals.iloc[0]
        assert row["resolved_first_contact"] == first and row["resolved"] == resolved, q
        if resolved:
            assert row["first_contact_resolution"] == pytest.approx(first / resolved)
    assert (res.totals["escalated"] > 0).any()


def yaml_refunds() -> sim.Scenario:
    return sim.load_scenario(ROOT / "scenarios" / "double11_refunds.yaml",
                             overrides={"horizon": "3d", "orders.arrivals.daily_volume": 2000})
