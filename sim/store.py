"""Per-replication tables kept on disk, so a run's memory does not grow with its replications.

Every replication of a table (``intervals``, ``groups``) has the same rows (interval × queue or group)
and the same columns; only the numbers differ. A store keeps the key columns once and the numbers of
every replication in one ``.npy`` file of shape (replications, rows, numeric columns), float64.
Replication r is written to its own slot with an ordinary file write as soon as it finishes, in any
order, so the file always reads back in replication order and written pages do not stay in the
process's memory. Statistics read it back a block of rows at a time (``blocks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs import write_csv

BLOCK_BYTES = 8 * 2**20  # largest block ``blocks`` reads at once (the statistics need about five times that)


class TableStore:
    """The ``replications`` copies of one table, in ``path`` (an ``.npy`` file created on the first write)."""

    def __init__(self, path: str | Path, replications: int):
        self.path = Path(path)
        self.replications = replications
        self.keys: pd.DataFrame | None = None       # the non-numeric columns, shared by every replication
        self.columns: list[str] = []                # numeric columns, in the stored order
        self._order: list[str] = []                 # every column of the table, in the table's order
        self._dtypes: dict[str, np.dtype] = {}
        self._offset = 0

    def _create(self, table: pd.DataFrame) -> None:
        numeric = [c for c in table.columns if c != "replication" and pd.api.types.is_numeric_dtype(table[c])]
        self.keys = table[[c for c in table.columns if c not in numeric and c != "replication"]].reset_index(drop=True)
        self.columns, self._order = numeric, list(table.columns)
        self._dtypes = {c: table[c].dtype for c in numeric}
        shape = (self.replications, len(table), len(numeric))
        with open(self.path, "wb") as f:
            np.lib.format.write_array_header_2_0(f, {"descr": "<f8", "fortran_order": False, "shape": shape})
            self._offset = f.tell()
            f.truncate(self._offset + 8 * int(np.prod(shape)))

    def write(self, replication: int, table: pd.DataFrame) -> None:
        """Store ``table``, the rows of ``replication`` (same rows and columns as every other replication)."""
        if self.keys is None:
            self._create(table)
        if len(table) != len(self.keys):
            raise ValueError(f"replication {replication} has {len(table)} rows, not {len(self.keys)}")
        values = np.ascontiguousarray(table[self.columns].to_numpy(dtype=np.float64))
        with open(self.path, "r+b") as f:
            f.seek(self._offset + replication * values.nbytes)
            f.write(values.tobytes())

    @property
    def rows(self) -> int:
        return 0 if self.keys is None else len(self.keys)

    def frame(self, replications: range | None = None) -> pd.DataFrame:
        """The table of ``replications`` (default all) stacked in replication order, with its original dtypes."""
        replications = range(self.replications) if replications is None else replications
        n = len(replications)
        values = self._read(replications.start * self.rows, n * self.rows).reshape(-1, len(self.columns))
        table = pd.DataFrame(values, columns=self.columns)
        for column, dtype in self._dtypes.items():
            if dtype != np.float64:
                table[column] = table[column].astype(dtype)
        keys = pd.concat([self.keys] * n, ignore_index=True) if n else self.keys.iloc[:0]
        table = pd.concat([keys, table], axis=1)
        table.insert(0, "replication", np.repeat(np.arange(replications.start, replications.stop, dtype=np.int64),
                                                 self.rows))
        return table[self._order]

    def blocks(self, columns: list[str], max_bytes: int = BLOCK_BYTES) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield (rows, values): ``values[r, i, j]`` is ``columns[j]`` of row ``rows.start + i`` in replication r.

        Each block holds at most about ``max_bytes``, whatever the number of replications (at least one row).
        """
        index = [self.columns.index(c) for c in columns]
        step = max(1, max_bytes // (8 * self.replications * len(self.columns)))
        for start in range(0, self.rows, step):
            rows = slice(start, min(start + step, self.rows))
            block = np.empty((self.replications, rows.stop - start, len(columns)))
            for r in range(self.replications):
                block[r] = self._read(r * self.rows + start, rows.stop - start)[:, index]
            yield rows, block

    def _read(self, first_row: int, n_rows: int) -> np.ndarray:
        """Rows ``first_row`` onwards of the replications laid end to end, read without mapping the file
        (a mapping would keep every page it touches, and its neighbours, in this process's memory).
        """
        width = len(self.columns)
        return np.fromfile(self.path, dtype="<f8", count=n_rows * width,
                           offset=self._offset + 8 * first_row * width).reshape(n_rows, width)

    def to_csv(self, path: str | Path, max_bytes: int = BLOCK_BYTES) -> None:
        """Write the whole table as CSV, a few replications at a time."""
        step = max(1, max_bytes // max(1, 8 * self.rows * len(self.columns)))
        for first in range(0, self.replications, step):
            write_csv(self.frame(range(first, min(first + step, self.replications))), path, append=first > 0)
