"""The pieces every results page is built of: tables of cells (text, the value it sorts by, a colour),
sections, inline plots, read from a results folder's saved files.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs import read_csv


def read(path: Path) -> pd.DataFrame:
    return read_csv(path)


def missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value))


def percent(value: float, ci: float | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.1%}" + (f" ± {ci * 100:.1f}" if ci is not None and np.isfinite(ci) else "")


def cell(text: str, value, css: str = "") -> dict:
    """A table cell: what it shows, the value it sorts by (and tests read back), its colour class; text
    values align left.
    """
    return {"text": text, "value": "" if missing(value) else value, "css": css, "words": isinstance(value, str)}


def grid(table_id: str, title: str, headers: list[str], rows: list[list[dict]], note: str = "",
          foot: int = 0) -> dict:
    """A table of cells; its last ``foot`` rows (totals) stay below when the table is sorted."""
    body, tail = (rows[:-foot], rows[-foot:]) if foot else (rows, [])
    words = [bool(body) and all(row[i]["words"] for row in body) for i in range(len(headers))]
    return {"id": table_id, "title": title, "note": note, "columns": headers, "words": words, "rows": body,
            "foot": tail}


def table(table_id: str, title: str, frame: pd.DataFrame, columns: dict[str, tuple[str, str]],
           css: dict[str, Callable[[dict], str]] | None = None, note: str = "", foot: int = 0) -> dict:
    """A table of ``frame``: per column to show, its (header, format string); ``css`` colours a column's
    cells from their row.
    """
    paint = css or {}
    rows = [[cell("–" if missing(row[c]) else fmt.format(row[c]), row[c], paint[c](row) if c in paint else "")
             for c, (_, fmt) in columns.items()] for row in frame.to_dict("records")]
    return grid(table_id, title, [header for header, _ in columns.values()], rows, note, foot)


def columns(frame: pd.DataFrame, number: str = "{:,.4g}", shares: tuple[str, ...] = ()) -> dict:
    """Every column of ``frame``, headed by its name: text as it is, ``shares`` as percentages, other
    numbers with ``number``.
    """
    return {c: (c.replace("_", " "), "{}" if not pd.api.types.is_numeric_dtype(frame[c])
                else "{:.1%}" if c in shares else number) for c in frame}


def section(title: str, tables=(), plots=(), note: str = "") -> dict:
    return {"title": title, "note": note, "tables": list(tables), "plots": list(plots)}


def plots(directory: Path, pattern: str, title: Callable[[str], str]) -> list[dict]:
    """The PNGs of ``directory`` matching ``pattern``, as base64, each titled from its file's stem."""
    return [{"title": title(path.stem), "data": base64.b64encode(path.read_bytes()).decode("ascii")}
            for path in sorted(directory.glob(pattern))]


def met(value_column: str, target_column: str) -> Callable[[dict], str]:
    """Colour: ``good`` at or above the target, ``bad`` below it."""
    return lambda r: "" if pd.isna(r[value_column]) else "good" if r[value_column] >= r[target_column] else "bad"
