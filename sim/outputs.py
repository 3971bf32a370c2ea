"""Where a command's results go, written whole or not at all, in files a spreadsheet opens.

A command writes into a hidden temporary folder beside its target and moves the finished files into
place at the end, so a failure or an interrupt leaves nothing half-written, and an output folder that
cannot be written is found before any simulation runs. Results never replace earlier ones unless
asked: a default folder that is taken becomes ``<name>_2``, ``<name>_3``...; an explicit one that holds
files needs ``overwrite``; two commands that finish into the same folder keep both (the second moves to
the next free name). Temporary folders carry their process's id, so that what a killed command left is
removed by the next. CSV files carry a UTF-8 byte-order mark, so Excel on a Chinese Windows laptop reads
their queue names right.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

CSV_ENCODING = "utf-8-sig"     # UTF-8 with a byte-order mark: Excel then reads Chinese text right
WARNINGS = "warnings.txt"      # a results folder's caveats, one per line: its page shows them first
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # text a spreadsheet would run as a formula begins so


class OutputError(Exception):
    """An output that cannot be written where asked: one line for the user."""


def write_csv(frame: pd.DataFrame, path: str | Path, append: bool = False) -> None:
    """``frame`` as CSV without its index; the byte-order mark only at the start of the file; text a
    spreadsheet would run as a formula (a queue named ``=HYPERLINK(...)``) written as text, behind an
    apostrophe (``read_csv`` takes it off again).
    """
    _as_text(frame).to_csv(path, index=False, mode="a" if append else "w", header=not append,
                           encoding="utf-8" if append else CSV_ENCODING)


def read_csv(path: str | Path, **options) -> pd.DataFrame:
    """A CSV ``write_csv`` wrote, as it was before (the apostrophes guarding formulas taken off)."""
    frame = pd.read_csv(path, encoding=CSV_ENCODING, **options)
    guarded = tuple(f"'{start}" for start in FORMULA_START)
    for column in [c for c in frame.columns if _textual(frame[c].dtype)]:
        text = frame[column].astype(str)
        if text.str.startswith(guarded).any():
            frame[column] = frame[column].where(~text.str.startswith(guarded), text.str[1:])
    return frame


def _textual(dtype) -> bool:
    """Whether a column of this dtype may hold text (object, string or categorical)."""
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text cell that begins like a formula behind an apostrophe."""
    risky = {}
    for column in [c for c in frame.columns if _textual(frame[c].dtype)]:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype) and not any(
                isinstance(c, str) and c.startswith(FORMULA_START) for c in values.cat.categories):
            continue                                     # names of queues and groups: checked once each
        text = values.astype(str)
        starts = text.str.startswith(FORMULA_START)
        if starts.any():
            starts &= values.map(lambda v: isinstance(v, str)).astype(bool)
            risky[column] = values.astype(object).where(~starts, "'" + text)
    return frame.assign(**risky) if risky else frame


def write_warnings(folder: str | Path, lines: list[str]) -> None:
    """The caveats of a results folder (the scenario's warnings, a search that stopped short), if any."""
    if lines:
        (Path(folder) / WARNINGS).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _taken(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def _numbered(path: Path) -> Path:
    """The first ``<path>_2``, ``<path>_3``... not taken."""
    number = 2
    while _taken(candidate := path.with_name(f"{path.stem}_{number}{path.suffix}")):
        number += 1
    return candidate


def choose(requested: str | Path | None, default: str | Path, overwrite: bool = False,
           option: str = "--out", folder: bool = True) -> Path:
    """The path to write: ``requested`` (refused if it holds results, unless ``overwrite``), else ``default``,
    else the first free ``<default>_2``, ``<default>_3``... (``default`` itself when ``overwrite``).
    ``folder``: the output is a folder, so an existing file there is a mistake whatever ``overwrite`` says;
    an empty path, or the folder one is in (or one holding it), is always refused. ``~`` is the home folder.
    """
    if requested is not None:
        if not str(requested).strip():
            raise OutputError(f"{option}: an empty path; give a file or folder name")
        path = Path(requested).expanduser()
        if folder and (path.resolve() == Path.cwd().resolve() or path.resolve() in Path.cwd().resolve().parents):
            raise OutputError(f"{option} {requested}: is the folder you are in (or holds it); give a new folder")
        if folder and path.is_file():
            raise OutputError(f"{option} {path}: is a file; give a folder")
        if not folder and path.is_dir():
            raise OutputError(f"{option} {path}: is a folder; give a file name")
        if _taken(path) and not overwrite:
            raise OutputError(f"{option} {path}: already holds results; choose another {option}, or add "
                              f"--overwrite to replace them")
        return path
    path = Path(default)
    if overwrite or not _taken(path):
        return path
    return _numbered(path)


STALE_UNOWNED_S = 86400.0        # a folder of ours naming no process, untouched this long, is stale


def private_folder(parent: Path, prefix: str) -> Path:
    """A new folder ``<prefix><pid>-XXXX`` in ``parent``: this process's, so that one a killed process left
    behind is known as stale (``remove_stale``).
    """
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def remove_stale(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders ``<prefix><pid>-...`` in ``parent`` whose process is gone (a ``kill -9`` leaves
    them; a finished or interrupted command removes its own), and ``<prefix>...`` naming no process untouched
    for a day (earlier versions'); the ones removed.
    """
    removed = []
    for path in parent.glob(f"{glob.escape(prefix)}*"):
        owner = path.name.removeprefix(prefix).split("-")[0]
        try:
            if not path.is_dir() or (_alive(int(owner)) if owner.isdigit()
                                     else time.time() - path.stat().st_mtime < STALE_UNOWNED_S):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


class Staged:
    """What ``staged`` hands out: the stand-in ``paths`` (iterating gives them) and, once the block is done,
    where each result ended up (``final``).
    """

    def __init__(self, targets: tuple[Path, ...], tmp: Path):
        self.final = list(targets)
        self.paths = [tmp / target.name for target in targets]

    def __iter__(self):
        return iter(self.paths)


@contextmanager
def staged(*targets: Path, option: str = "--out", replace: bool = False) -> Iterator[Staged]:
    """Stand-in paths for ``targets`` (same names, in a hidden folder beside the first target); when the
    block succeeds, move each into place; when it fails, remove them. A target that another command
    filled meanwhile (two runs into the same folder) is replaced only with ``replace``; otherwise the
    result goes to the first free ``<target>_2``, ``_3``... (``Staged.final`` says where).

    The folder is made at once, so an unwritable place is reported (as ``OutputError``) before the work.
    """
    first = targets[0]
    try:
        first.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(first.parent, f".{first.name}.")
        tmp = private_folder(first.parent, f".{first.name}.")
    except OSError as exc:
        raise OutputError(f"{option} {first}: cannot write there: {exc.strerror or exc}") from None
    stage = Staged(targets, tmp)
    try:
        yield stage
        for k, target in enumerate(targets):
            stage.final[k] = _place(tmp / target.name, target, replace)
    except OSError as exc:
        raise OutputError(f"{option} {first}: cannot write results: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _place(new: Path, target: Path, replace: bool) -> Path:
    """Move ``new`` to ``target`` (with ``replace``, removing what is there only once ``new`` is ready to take
    its place; without, atomically, or else to the first free numbered name); where it went.
    """
    if not new.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if replace:
        if target.is_dir() and not target.is_symlink():
            old = private_folder(target.parent, f".{target.name}.")
            os.replace(target, old / target.name)
            os.replace(new, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(new, target)
        return target
    while True:
        try:
            if new.is_dir():
                os.rename(new, target)          # fails if another command filled the folder meanwhile
            else:
                os.link(new, target)            # fails if the file exists
                new.unlink()
            return target
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            target = _numbered(target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            target = _numbered(target)
