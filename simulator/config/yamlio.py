"""Safe YAML loading that keeps the line and column of every key and value.

Only plain YAML is accepted: mappings, sequences, strings, numbers, booleans, dates and
null. Tags (``!!python/object`` and the like) are refused, so a config file can never
build objects or import code. Duplicate keys and tab indentation are errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

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
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(p, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
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
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise ConfigError.single(
            p, f"duplicate key {key!r}: each key may appear once per mapping", line=line, column=col
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise ConfigError.single(p, f"YAML syntax error: {what}", line=line, column=col) from None
    doc = Document(path=p, data=None)
    doc.data = _plain(root, (), doc)
    return doc


def _duplicate_key_name(exc: DuplicateKeyError) -> str:
    text = str(exc.problem or "")
    # ruamel says: found duplicate key "x" with value "..." (original value: "...")
    if '"' in text:
        return text.split('"')[1]
    return text


def _check_tag(node: Any, path: KeyPath, doc: Document) -> None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag) if tag is not None else None
    if value and not str(value).startswith("tag:yaml.org,2002:"):
        raise doc.error(path, f"YAML tag {value!r} is not allowed: config files hold plain data")
    if value and str(value) not in _PLAIN_TAGS:
        raise doc.error(path, f"YAML tag {value!r} is not allowed: config files hold plain data")


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


def _plain(node: Any, path: KeyPath, doc: Document) -> Any:
    """Convert a ruamel round-trip tree to plain Python, recording positions."""
    _check_tag(node, path, doc)
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            kp = (*path, _plain_key(key))
            kl, kc = node.lc.key(key)
            vl, vc = node.lc.value(key)
            doc.key_pos[kp] = (kl + 1, kc + 1)
            doc.value_pos[kp] = (vl + 1, vc + 1)
            out[_plain_key(key)] = _plain(node[key], kp, doc)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            kp = (*path, i)
            il, ic = node.lc.item(i)
            doc.key_pos[kp] = (il + 1, ic + 1)
            doc.value_pos[kp] = (il + 1, ic + 1)
            doc.seq_items.add(kp)
            items.append(_plain(item, kp, doc))
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
    raise doc.error(path, f"unsupported YAML value of type {type(node).__name__}")


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
