"""Safe YAML loading that keeps the line and column of every key and value.

Only plain YAML is accepted: mappings, sequences, strings, numbers, booleans, dates and
null. Tags (``!!python/object`` and the like) are refused, so a config file can never
build objects or import code. Duplicate keys and tab indentation are errors.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from simulator.config.errors import ConfigError, Problem

KeyPath = tuple[str | int, ...]


@dataclass
class Document:
    """A loaded YAML document: plain Python data plus the position of every node."""

    path: Path
    data: Any
    # key path -> (line, column) of the key (for mapping entries) or item, 1-based
    key_pos: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    # key path -> (line, column) of the value, 1-based
    value_pos: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    # key paths that are sequence items (rendered as [i])
    seq_items: set[KeyPath] = field(default_factory=set)

    def position(self, path: KeyPath, *, of_value: bool = True) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that has one; (1, 1) at worst."""
        probe = tuple(path)
        while probe:
            table = self.value_pos if of_value else self.key_pos
            if probe in table:
                return table[probe]
            if probe in self.key_pos:
                return self.key_pos[probe]
            probe = probe[:-1]
        return (1, 1)

    def key_path_str(self, path: KeyPath) -> str:
        """Human key path: mapping keys joined by dots, sequence items as ``[i]``."""
        out = ""
        for i, part in enumerate(path):
            if tuple(path[: i + 1]) in self.seq_items:
                out += f"[{part}]"
            else:
                text = part.isoformat() if isinstance(part, dt.date) else str(part)
                out += f".{text}" if out else text
        return out

    def problem(self, path: KeyPath, message: str, *, of_value: bool = True) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        line, col = self.position(path, of_value=of_value)
        return Problem(str(self.path), line, col, self.key_path_str(path), message)

    def error(self, path: KeyPath, message: str, *, of_value: bool = True) -> ConfigError:
        """A :class:`ConfigError` located at ``path`` in this document."""
        return ConfigError([self.problem(path, message, of_value=of_value)])


def load_yaml(path: str | Path) -> Document:
    """Load one YAML file safely, keeping positions.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    Document
        Plain data (dict, list, str, int, float, bool, date, None) and positions.

    Raises
    ------
    ConfigError
        Missing file, tab indentation, syntax error, duplicate key or a tag.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError.single(p, "file not found" if not p.exists() else "not a file")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError.single(
            p,
            f"not UTF-8 text ({exc.reason} at byte {exc.start}): save the file as UTF-8",
            line=line,
            column=column,
        ) from None
    for lineno, row in enumerate(text.splitlines(), start=1):
        indent = row[: len(row) - len(row.lstrip(" \t"))]
        if "\t" in indent:
            col = indent.index("\t") + 1
            raise ConfigError.single(
                p,
                "tab character in indentation: YAML indents with spaces only",
                line=lineno,
                column=col,
            )
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = _duplicate_key_name(exc)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        start = exc.context_mark.line + 1 if exc.context_mark is not None else 1
        first = _first_occurrence(text, key, start, line, col)
        where = f" (first at line {first})" if first else ""
        raise ConfigError.single(
            p,
            f"duplicate key {key!r}{where}: each key may appear once per mapping",
            line=line,
            column=col,
        ) from None
    except MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(p, exc)]) from None
    except ReaderError as exc:
        # a control character: ruamel gives its offset in the text
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise ConfigError.single(
            p,
            f"YAML syntax error: control character U+{exc.character:04X} is not allowed "
            "in YAML text",
            line=line,
            column=column,
        ) from None
    except YAMLError as exc:  # anything else ruamel refuses, without a position
        raise ConfigError.single(p, f"YAML error: {exc}", line=1, column=1) from None
    doc = Document(path=p, data=None)
    doc.data = _plain(root, (), doc)
    return doc


# ruamel's parser wording -> what to look at, for someone who edits YAML by hand
_SYNTAX_HINTS = (
    (
        "mapping values are not allowed",
        "put text that contains ': ' in quotes, or fix the indentation",
    ),
    ("<block end>", "check the indentation of this line against the lines above"),
    ("could not find expected ':'", "a key needs ': ' after it"),
    ("end of stream", "a quote or bracket is not closed"),
    ("expected ',' or '}'", "is the '{' closed with '}'?"),
    ("expected ',' or ']'", "is the '[' closed with ']'?"),
    ("undefined alias", "'*' starts an alias: put the value in quotes"),
    ("cannot start any token", "put the value in quotes"),
)


_CONTEXTS = {
    "while parsing a flow mapping": "in the {...} mapping",
    "while parsing a flow sequence": "in the [...] list",
    "while scanning a quoted scalar": "in the quoted text",
    "while parsing a block mapping": "in the mapping",
    "while parsing a block collection": "in the list",
}


def _syntax_problem(path: Path, exc: MarkedYAMLError) -> Problem:
    """One located problem for a YAML syntax error, with where the broken construct starts."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = (exc.problem or exc.context or "invalid YAML").strip()
    message = f"YAML syntax error: {what}"
    ctx, cmark = exc.context, exc.context_mark
    if "another document" in what:
        message = "YAML syntax error: a second document starts here; a config file holds one"
    elif ctx and cmark is not None and exc.problem_mark is not None and cmark.line + 1 != line:
        inside = _CONTEXTS.get(ctx.strip(), ctx.strip())
        message += f" ({inside} that starts at line {cmark.line + 1}, column {cmark.column + 1})"
    for needle, hint in _SYNTAX_HINTS:
        if needle in what:
            message += f"; {hint}"
            break
    return Problem(str(path), max(line, 1), max(col, 1), "", message)


def _first_occurrence(text: str, key: str, start: int, line: int, col: int) -> int:
    """Line of the first block-style ``key:`` at column ``col`` in lines start..line-1, or 0."""
    rows = text.splitlines()
    for lineno in range(max(start, 1), line):
        row = rows[lineno - 1]
        indent = len(row) - len(row.lstrip(" "))
        name = row[col - 1 :].split(":", 1)[0].strip().strip("'\"")
        if indent == col - 1 and ":" in row[col - 1 :] and name == key:
            return lineno
    return 0


def _duplicate_key_name(exc: DuplicateKeyError) -> str:
    text = str(exc.problem or "")
    # ruamel says: found duplicate key "x" with value "..." (original value: "...")
    if '"' in text:
        return text.split('"')[1]
    return text


def _check_tag(node: Any, path: KeyPath, doc: Document) -> None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag) if tag is not None else None
    if value and str(value) not in _PLAIN_TAGS:
        shown = str(value)
        if shown.startswith("tag:yaml.org,2002:"):
            shown = "!!" + shown.removeprefix("tag:yaml.org,2002:")
        raise doc.error(
            path,
            f"YAML tag {shown!r} is not allowed: config files hold plain data "
            "(numbers, text, dates, lists and mappings)",
        )


_PLAIN_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


# Aliases may repeat a node many times; a config file never needs this many values.
MAX_VALUES = 100_000


def _plain(node: Any, path: KeyPath, doc: Document, budget: list[int] | None = None) -> Any:
    """Convert a ruamel round-trip tree to plain Python, recording positions."""
    _check_tag(node, path, doc)
    budget = [MAX_VALUES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise doc.error(
            path, f"more than {MAX_VALUES} values (after expanding aliases): not a config file"
        )
    if type(node) is CommentedMap:
        out: dict[Any, Any] = {}
        here = doc.position(path, of_value=True) if path else (1, 1)
        for key in node:
            kp = (*path, _plain_key(key))
            # keys brought in by a merge (<<: *anchor) have no position of their own
            kl, kc, vl, vc = _positions(node, key, here)
            doc.key_pos[kp] = (kl, kc)
            doc.value_pos[kp] = (vl, vc)
            out[_plain_key(key)] = _plain(node[key], kp, doc, budget)
        return out
    if type(node) is CommentedSeq:
        items = []
        for i, item in enumerate(node):
            kp = (*path, i)
            il, ic = node.lc.item(i)
            doc.key_pos[kp] = (il + 1, ic + 1)
            doc.value_pos[kp] = (il + 1, ic + 1)
            doc.seq_items.add(kp)
            items.append(_plain(item, kp, doc, budget))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return node.date() if node.time() == dt.time(0) and node.tzinfo is None else node
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    what = {"CommentedSet": "a set (!!set)", "CommentedOrderedMap": "an ordered map (!!omap)"}
    name = type(node).__name__
    raise doc.error(
        path,
        f"{what.get(name, f'a YAML value of type {name}')} is not allowed: config files hold "
        "plain data (numbers, text, dates, lists and mappings)",
    )


def _positions(node: CommentedMap, key: Any, here: tuple[int, int]) -> tuple[int, int, int, int]:
    """1-based (key line, key column, value line, value column) of ``key`` in ``node``."""
    data = getattr(node.lc, "data", None) or {}
    pos = data.get(key)
    if pos is None or len(pos) < 4:
        return (*here, *here)
    kl, kc, vl, vc = pos[:4]
    return kl + 1, kc + 1, vl + 1, vc + 1


def _plain_key(key: Any) -> Any:
    if isinstance(key, bool) or key is None:
        return key
    if isinstance(key, int):
        return int(key)
    if isinstance(key, float):
        return float(key)
    if isinstance(key, dt.date):
        return dt.date(key.year, key.month, key.day)
    return str(key)


def _round_trip_yaml() -> YAML:
    """A ruamel round-trip dumper with the shipped files' indentation."""
    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def block_text(key: str, block: dict[str, Any]) -> str:
    """``key:`` and its block as YAML text (block style, keys in the given order).

    Examples
    --------
    >>> print(block_text("market", {"cut_count": {0: 0.4, 1: 0.6}}), end="")
    market:
      cut_count:
        0: 0.4
        1: 0.6
    """
    out = io.StringIO()
    _round_trip_yaml().dump({key: _commented(block)}, out)
    return out.getvalue()


def _commented(value: Any) -> Any:
    """Nested dicts as CommentedMaps, so ruamel writes block style."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _commented(v)
        return out
    return value


def write_with_block(
    source: str | Path,
    target: str | Path,
    key: str,
    block: dict[str, Any],
    *,
    comment: str,
    updates: dict[str, Any] | None = None,
) -> None:
    """Write a copy of a YAML file with one top-level block replaced, comments kept.

    Parameters
    ----------
    source, target : str or Path
        The file to copy and where to write the copy (must not exist yet).
    key : str
        Top-level key whose block is replaced (added at the end if absent).
    block : dict
        The new block.
    comment : str
        A comment line written above the block.
    updates : dict, optional
        Other top-level keys to set (e.g. a ``priors`` path made relative to ``target``).
    """
    yaml = _round_trip_yaml()
    root = yaml.load(Path(source).read_text(encoding="utf-8"))
    for name, value in (updates or {}).items():
        root[name] = value
    root[key] = _commented(block)
    root.yaml_set_comment_before_after_key(key, before=comment)
    out = io.StringIO()
    yaml.dump(root, out)
    with Path(target).open("x", encoding="utf-8") as fh:
        fh.write(out.getvalue())
