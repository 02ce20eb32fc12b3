"""Overrides: set values in a scenario's plain data by schema key path, then re-validate.

Shared by sweep files (:mod:`simulator.sweep`) and the Python API
(``api.run(..., overrides=...)``, :func:`simulator.api.with_overrides`). A key path is
the scenario schema's: mapping keys joined by dots, list items as ``[i]``
(``events[0].size_bp``); a segment of digits is an integer mapping key
(``view.cut_count.2``), one like ``2026-03-18`` a date key
(``view.meeting_weights.2026-03-18``), as the YAML loader reads them.

Each caller locates the problems its own way (a sweep at the key in the sweep file, the
API at the ``overrides`` argument): :func:`scenario_with_overrides` raises an
:class:`OverrideError` holding each problem and the override that caused it.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from simulator.config.loader import Loaded, _problems
from simulator.config.schema import Scenario
from simulator.config.yamlio import Document, KeyPath

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|\d{4}-\d{2}-\d{2}|\d+)((?:\[\d+\])*)")


class Index(int):
    """A list index in a key path (kept apart from an integer mapping key)."""


def parse_key_path(text: str) -> KeyPath:
    """``"events[0].size_bp"`` -> ``("events", 0, "size_bp")``; ValueError if malformed.

    A segment of digits is an integer mapping key (``view.cut_count.2``), one like
    ``2026-03-18`` a date key (``view.meeting_weights.2026-03-18``), as the YAML loader
    reads them.

    Examples
    --------
    >>> parse_key_path("events[0].size_bp")
    ('events', 0, 'size_bp')
    """
    out: list[Any] = []
    for i, seg in enumerate(text.split(".")):
        m = _SEGMENT.fullmatch(seg)
        if m is None or (i == 0 and not re.fullmatch(_NAME, m.group(1))):
            raise ValueError(
                f"malformed key path {text!r}: use schema keys joined by dots and [i] for "
                "list items, e.g. events[0].size_bp"
            )
        key = m.group(1)
        if key.isdigit():
            out.append(int(key))  # an integer mapping key, e.g. a cut count
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
            try:
                out.append(dt.date.fromisoformat(key))
            except ValueError as exc:
                raise ValueError(
                    f"malformed key path {text!r}: {key} is not a date ({exc})"
                ) from None
        else:
            out.append(key)
        out.extend(Index(int(x)) for x in re.findall(r"\[(\d+)\]", m.group(2)))
    return tuple(out)


@dataclass(frozen=True)
class Override:
    """One override: its key path in the scenario and where the caller wrote it.

    ``where`` is the key path of the value in the caller's document (a sweep file), or
    ``()`` when there is none (the Python API).
    """

    text: str  # as written, e.g. "events[0].size_bp"
    path: KeyPath  # ("events", 0, "size_bp")
    value: Any
    where: KeyPath = ()


def apply_overrides(data: dict[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    """A deep copy of ``data`` with the overrides set (missing mappings are created).

    Raises
    ------
    KeyError
        A list index out of range, or a path through a value that is not a container;
        the message is ``"<key path>: <why>"``.
    """
    out = copy.deepcopy(data)
    for ov in overrides:
        node: Any = out
        for i, part in enumerate(ov.path):
            last = i == len(ov.path) - 1
            if isinstance(part, Index):
                if not isinstance(node, list):
                    raise KeyError(f"{ov.text}: {key_path_text(ov.path[:i])} is not a list")
                if not 0 <= part < len(node):
                    raise KeyError(
                        f"{ov.text}: {key_path_text(ov.path[:i])} has {len(node)} item(s); "
                        f"index {part} is out of range"
                    )
            elif not isinstance(node, dict):
                raise KeyError(f"{ov.text}: {key_path_text(ov.path[:i])} is not a mapping")
            if last:
                node[part] = copy.deepcopy(ov.value)
            else:
                if isinstance(node, dict) and part not in node:
                    node[part] = [] if isinstance(ov.path[i + 1], Index) else {}
                node = node[part]
    return out


def key_path_text(path: KeyPath) -> str:
    """A parsed key path written back (``"the scenario"`` for the empty path)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, Index) else (f".{p}" if out else str(p))
    return out or "the scenario"


def related(a: str, b: str) -> bool:
    """One key path is the other or lies below it."""
    return a == b or any(x.startswith(y + sep) for x, y in ((a, b), (b, a)) for sep in ".[")


@dataclass(frozen=True)
class OverrideProblem:
    """One problem of an overridden scenario and the override it comes from.

    ``kind``: ``"path"`` (the key path does not lead anywhere: an index out of range, a
    path through a number; ``key_path`` is the override's), ``"unknown"`` (a key the
    schema does not have) or ``"value"`` (the schema refused a value). ``override`` is
    None for a cross-field check elsewhere in the scenario that the overrides broke.
    """

    override: Override | None
    key_path: str  # in the scenario
    message: str
    kind: str


class OverrideError(Exception):
    """The overrides do not give a valid scenario; ``problems`` says why and where."""

    def __init__(self, problems: list[OverrideProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.key_path}: {p.message}" for p in problems))


def scenario_with_overrides(
    base: Loaded[Scenario], overrides: Sequence[Override]
) -> Loaded[Scenario]:
    """The base scenario's plain data with the overrides set, validated again.

    The result's positions point into the base file (so later checks stay located).

    Raises
    ------
    OverrideError
        An override's key path leads nowhere, or the schema refuses the result.
    """
    try:
        data = apply_overrides(base.doc.data, overrides)
    except KeyError as exc:
        text, _, why = str(exc.args[0]).partition(": ")
        ov = next((o for o in overrides if o.text == text), None)
        raise OverrideError([OverrideProblem(ov, text, why or text, "path")]) from None
    vdoc = Document(
        path=base.doc.path,
        data=data,
        key_pos=dict(base.doc.key_pos),
        value_pos=dict(base.doc.value_pos),
        seq_items=set(base.doc.seq_items),
    )
    for ov in overrides:
        for i in range(1, len(ov.path) + 1):
            if isinstance(ov.path[i - 1], Index):
                vdoc.seq_items.add(ov.path[:i])
    try:
        cfg = Scenario.model_validate(data, context={"base_dir": base.doc.path.parent})
    except ValidationError as exc:
        out = []
        for p in _problems(Scenario, vdoc, exc):
            ov = next(
                (o for o in overrides if related(vdoc.key_path_str(o.path), p.key_path)), None
            )
            kind = "unknown" if p.message.startswith("unknown key") else "value"
            out.append(OverrideProblem(ov, p.key_path, p.message, kind))
        raise OverrideError(out) from None
    return Loaded(cfg, vdoc)


__all__ = [
    "Index",
    "Override",
    "OverrideError",
    "OverrideProblem",
    "apply_overrides",
    "key_path_text",
    "parse_key_path",
    "related",
    "scenario_with_overrides",
]
