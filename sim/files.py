"""Reading users' input files (scenario YAML, profile and roster CSV) with limits, so none hangs or crashes.

A scenario is a small file: at most ``MAX_YAML_BYTES``, expanding to at most ``MAX_VALUES`` values
(YAML anchors and aliases repeat their content, so a few lines can stand for millions of values) nested
at most ``MAX_DEPTH`` deep. Duplicate keys are refused rather than silently keeping the last one, and a
date that does not exist (2026-02-30) stays a string, so the schema names its key. Every failure is a
``ScenarioError`` naming the file.
"""

from __future__ import annotations

import csv
import reprlib
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError

MAX_YAML_BYTES = 4 * 2**20      # PyYAML reads about 1 MB/s: a bigger scenario is a mistake, not a roster
MAX_CSV_BYTES = 32 * 2**20      # profiles and rosters
MAX_VALUES = 1_000_000          # values a YAML document may expand to, aliases included
MAX_DEPTH = 64                  # nesting of mappings and lists

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)      # libyaml's parser is about five times faster


class _Loader(_Base):
    """A safe YAML loader that refuses duplicate and unhashable keys and keeps impossible dates as text."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a name, got a {type(key).__name__}", key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A date or date-time, or its text when no such date exists (the schema then reports it by key)."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


# What a Chinese input method types in place of YAML's punctuation: its name and what to type instead.
FULL_WIDTH = {"：": ("a full-width colon", ":"), "，": ("a full-width comma", ","), "、": ("an enumeration comma", ","),
              "\u3000": ("an ideographic (full-width) space", "a plain space"), "\t": ("a tab", "spaces"),
              "［": ("a full-width bracket", "["), "］": ("a full-width bracket", "]"),
              "｛": ("a full-width brace", "{"), "｝": ("a full-width brace", "}"), "－": ("a full-width hyphen", "-"),
              "＃": ("a full-width number sign", "#"), "．": ("a full-width full stop", "."),
              "“": ("a curly quote", '"'), "”": ("a curly quote", '"'), "‘": ("a curly quote", "'"),
              "’": ("a curly quote", "'"), "＂": ("a full-width quote", '"'), "＇": ("a full-width quote", "'")}
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
SHOWN_SLIPS = 10


def _outside_comments_and_quotes(line: str):
    """(column, character) of a YAML line, leaving out what is quoted and what follows a comment's '#'."""
    quote = None
    for column, ch in enumerate(line):
        if quote is not None:
            quote = None if ch == quote else quote
        elif ch in "'\"" and (column == 0 or line[column - 1] in " \t:[{,-"):
            quote = ch
        elif ch == "#" and (column == 0 or line[column - 1] in " \t"):
            return
        else:
            yield column, ch


def input_method_slips(text: str, characters: str | dict = FULL_WIDTH,
                       leading_only: bool = False) -> list[tuple[int, str]]:
    """(line, 'line L, column C: ...') for each of ``characters`` outside comments and quotes
    (``leading_only``: in a line's indentation only), saying what to type instead.
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        previous = None
        for column, ch in _outside_comments_and_quotes(line):
            if leading_only and line[:column].strip(" \t\u3000"):
                break
            repeated, previous = previous == (column - 1, ch), (column, ch)
            if ch in characters and not repeated:            # a run of the same slip is named once
                if ch == "\t":
                    found.append((number, f"line {number}, column {column + 1}: a tab; YAML indents with spaces: "
                                          "type spaces instead"))
                else:
                    name, instead = FULL_WIDTH[ch]
                    found.append((number, f"line {number}, column {column + 1}: '{ch}' is {name}, as a Chinese "
                                          f"input method types it; type "
                                          f"{instead if instead == 'a plain space' else repr(instead)} instead"))
    return found


def parse_yaml(text: str, label: str) -> Any:
    """Parse YAML ``text`` (from ``label``, for messages) within the module's limits. Punctuation a Chinese
    input method types (a full-width colon, comma or space; a tab) is named with its line and column.
    """
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "syntax"
        problem = f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"
        slips = input_method_slips(text)
        near = mark is not None and any(abs(line - 1 - mark.line) <= 1 for line, _ in slips)
        lines = [*_first([said for _, said in slips]), *([] if near else [problem])]
        raise ScenarioError([f"{label}: {line}" for line in lines]) from None
    except RecursionError:
        raise ScenarioError([f"{label}: nested more than {MAX_DEPTH} levels deep"]) from None
    indented = input_method_slips(text, "\u3000", leading_only=True)      # valid YAML, but not the key meant
    if indented:
        raise ScenarioError([f"{label}: {line}" for line in _first([said for _, said in indented])])
    check_size(data, label)
    return data


def _first(lines: list[str]) -> list[str]:
    return lines[:SHOWN_SLIPS] + ([f"and {len(lines) - SHOWN_SLIPS} more"] if len(lines) > SHOWN_SLIPS else [])


def check_size(data: Any, label: str) -> None:
    """Raise ``ScenarioError`` if ``data`` holds more than ``MAX_VALUES`` values or nests deeper than ``MAX_DEPTH``.

    Walks at most ``MAX_VALUES`` items, so a document whose aliases expand to billions is refused at once.
    """
    count, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ScenarioError([f"{label}: expands to more than {MAX_VALUES:,} values (YAML anchors and aliases "
                                 "repeat their content); a scenario needs far fewer"])
        if depth > MAX_DEPTH:
            raise ScenarioError([f"{label}: nested more than {MAX_DEPTH} levels deep"])
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((value, depth + 1) for value in node)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; raise ``ScenarioError`` naming the file (and the line) on failure."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ScenarioError([f"{path}: {size / 2**20:.1f} MB is too large for a scenario (at most "
                                 f"{MAX_YAML_BYTES // 2**20} MB); put long lists in CSV files"])
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"]) from None
    return parse_yaml(text, str(path))


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a small UTF-8 CSV file as stripped strings; ``ValueError`` (for the schema) on failure."""
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise ValueError(f"{path} is larger than {MAX_CSV_BYTES // 2**20} MB")
        with open(path, newline="", encoding="utf-8-sig") as f:
            return [{k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                    for row in csv.DictReader(f)]
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{path} is not a readable CSV file: {exc}") from None


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 6, 6, 4, 60, 60


def show(value: Any) -> str:
    """A value as a message shows it: short, whatever its size (``reprlib``, at most about 80 characters)."""
    text = value.isoformat() if hasattr(value, "isoformat") else _SHORT.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
