"""The on-disk store of per-replication tables: any write order and any block size give the same tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.store import TableStore


def table(replication: int, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, replication])
    return pd.DataFrame({
        "replication": replication,
        "interval_start": pd.date_range("2026-11-11", periods=rows, freq="15min"),
        "queue": pd.Series([f"队列{i % 3}" for i in range(rows)], dtype="str"),
        "offered": rng.integers(0, 2**40, rows),
        "service_level": np.where(rng.random(rows) < 0.2, np.nan, rng.random(rows)),
    })


@settings(max_examples=40, deadline=None)
@given(replications=st.integers(1, 6), rows=st.integers(1, 9), seed=st.integers(0, 99),
       order_seed=st.integers(0, 99), max_bytes=st.integers(1, 2000))
def test_any_write_order_and_block_size_read_back_in_replication_order(tmp_path_factory, replications, rows,
                                                                          seed, order_seed, max_bytes):
    path = tmp_path_factory.mktemp("store") / "t.npy"
    store = TableStore(path, replications)
    for r in np.random.default_rng(order_seed).permutation(replications):
        store.write(int(r), table(int(r), rows, seed))
    expected = pd.concat([table(r, rows, seed) for r in range(replications)], ignore_index=True)
    pd.testing.assert_frame_equal(store.frame(), expected)

    blocks = list(store.blocks(["service_level", "offered"], max_bytes=max_bytes))
    assert all(b.nbytes <= max(max_bytes, 8 * replications * len(store.columns)) for _, b in blocks)
    values = np.concatenate([b for _, b in blocks], axis=1)
    assert [rows_.start for rows_, _ in blocks] == sorted(rows_.start for rows_, _ in blocks)
    cube = expected[["service_level", "offered"]].to_numpy(dtype=float).reshape(replications, rows, 2)
    np.testing.assert_array_equal(values, cube)

    store.to_csv(path.with_suffix(".csv"), max_bytes=max_bytes)
    again = pd.read_csv(path.with_suffix(".csv"), parse_dates=["interval_start"], dtype={"queue": "str"})
    pd.testing.assert_frame_equal(again, expected, check_dtype=False)
