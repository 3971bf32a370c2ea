"""KPI helpers against brute-force definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.metrics import span_seconds
from sim.records import Spans


@given(st.integers(1, 12), st.integers(1, 3),
       st.lists(st.tuples(st.integers(0, 9), st.floats(-2000, 12000), st.floats(0, 8000)), max_size=25),
       st.booleans())
def test_span_seconds_equals_overlap_sum(n, n_groups, raw, on_edges):
    interval = 900.0
    agent_group = np.arange(10) % n_groups
    agent = np.array([a for a, _, _ in raw], dtype=np.int64)
    start = np.array([s for _, s, _ in raw])
    end = start + np.array([d for _, _, d in raw])
    if on_edges:
        start, end = np.round(start / interval) * interval, np.round(end / interval) * interval
    got = span_seconds(Spans(agent, start, end), agent_group, n_groups, interval, n)
    want = np.zeros((n, n_groups))
    for a, s, e in zip(agent, start, end):
        for k in range(n):
            want[k, agent_group[a]] += max(0.0, min(e, (k + 1) * interval) - max(s, k * interval))
    np.testing.assert_allclose(got, want, atol=1e-6)
