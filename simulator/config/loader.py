"""Load priors and scenario files into the schema, with errors a researcher can act on.

Every problem names file:line:column, the key path, what was expected and what was
found; an unknown key gets the closest valid name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from simulator.config.errors import ConfigError, Problem
from simulator.config.schema import (
    DIST_NAMES,
    FileKind,
    LocatedValueError,
    PriorsFile,
    Scenario,
)
from simulator.config.yamlio import Document, KeyPath, load_yaml

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Loaded(typing.Generic[M]):
    """A validated config and the document it came from (for located errors later)."""

    config: M
    doc: Document

    @property
    def path(self) -> Path:
        """The file the config was read from."""
        return self.doc.path

    def error(self, key_path: tuple[Any, ...], message: str) -> ConfigError:
        """A located error about this file, for checks made by higher layers."""
        return self.doc.error(key_path, message)


def file_kind(doc: Document) -> FileKind:
    """Tell a priors file from a scenario file by its ``kind`` key."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), f"expected a mapping at the top level, found {_found(data)}")
    kind = data.get("kind")
    if kind not in ("priors", "scenario"):
        found = "no 'kind' key" if "kind" not in data else f"{kind!r}"
        message = f"expected kind: priors or kind: scenario, found {found}"
        if "kind" in data:
            hint = _did_you_mean(str(kind), ("priors", "scenario"), quote="'kind: {}'")
            message += "." + hint if hint else ""
            raise doc.error(("kind",), message)
        misspelt = [k for k in data if _suggest(str(k), ("kind",))]
        if misspelt:
            message += f"; unknown key {misspelt[0]!r}. Did you mean 'kind'?"
            raise doc.error((misspelt[0],), message)
        raise doc.error(("kind",), message)
    return typing.cast(FileKind, kind)


def load_priors(path: str | Path) -> Loaded[PriorsFile]:
    """Load and validate a priors file.

    Parameters
    ----------
    path : str or Path
        A YAML file with ``kind: priors``.

    Returns
    -------
    Loaded[PriorsFile]

    Raises
    ------
    ConfigError
        With one located problem per defect.

    Examples
    --------
    >>> from simulator.config import load_priors
    >>> load_priors("priors/default.yaml").config.parameters.inflation_persistence.dist
    'Beta'
    """
    doc = load_yaml(path)
    if file_kind(doc) != "priors":
        raise doc.error(("kind",), "expected kind: priors, found kind: scenario")
    return Loaded(_validate(PriorsFile, doc), doc)


def load_scenario_file(path: str | Path) -> tuple[Loaded[Scenario], Loaded[PriorsFile]]:
    """Load a scenario and the priors file it names (relative to the scenario file)."""
    doc = load_yaml(path)
    if file_kind(doc) != "scenario":
        raise doc.error(("kind",), "expected kind: scenario, found kind: priors")
    scenario = _validate(Scenario, doc, context={"base_dir": doc.path.parent})
    priors = load_priors(doc.path.parent / scenario.priors)
    return Loaded(scenario, doc), priors


def check_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Validate any mix of priors and scenario files; returns every problem found."""
    problems: list[Problem] = []
    for path in paths:
        try:
            doc = load_yaml(path)
            if file_kind(doc) == "priors":
                _validate(PriorsFile, doc)
            else:
                _validate(Scenario, doc, context={"base_dir": doc.path.parent})
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of both file kinds (``oneOf`` on ``kind``), for editors."""
    priors = PriorsFile.model_json_schema(mode="validation")
    scenario = Scenario.model_json_schema(mode="validation")
    defs: dict[str, Any] = {}
    for sub in (priors, scenario):
        defs.update(sub.pop("$defs", {}))
    defs["PriorsFile"] = priors
    defs["Scenario"] = scenario
    _close_pattern_maps(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://macrosim.invalid/schema.json",
        "title": "macrosim priors or scenario file",
        "oneOf": [{"$ref": "#/$defs/PriorsFile"}, {"$ref": "#/$defs/Scenario"}],
        "$defs": defs,
    }


def _close_pattern_maps(node: Any) -> None:
    """Maps keyed by a pattern (YYYY-MM paths) admit no other keys, as the loader."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_maps(value)


def json_schema_text() -> str:
    """The JSON Schema as stable, indented text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, default=str) + "\n"


# ---------------------------------------------------------------------------------------
# pydantic error -> located problem
# ---------------------------------------------------------------------------------------


def _validate(model: type[M], doc: Document, context: dict[str, Any] | None = None) -> M:
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ConfigError(_problems(model, doc, exc)) from None


def _problems(model: type[BaseModel], doc: Document, exc: ValidationError) -> list[Problem]:
    by_path: dict[KeyPath, list[dict[str, Any]]] = {}
    order: list[KeyPath] = []
    for err in exc.errors(include_url=False):
        path, extra = _data_path(doc.data, err["loc"])
        if err["type"] == "value_error":
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, LocatedValueError):
                path = (*path, *cause.path)
        key = (*path, *extra)
        if key not in by_path:
            by_path[key] = []
            order.append(key)
        by_path[key].append(dict(err))
    # A misspelt required key shows up twice: as unknown and as missing. Keep the unknown
    # one, whose message names the intended key.
    renamed = set()
    for key in order:
        if any(e["type"] == "extra_forbidden" for e in by_path[key]):
            hint = _suggest(str(key[-1]), _valid_keys(model, doc, key[:-1]))
            if hint:
                renamed.add((*key[:-1], hint))
    problems = []
    for key in order:
        errs = by_path[key]
        if key in renamed and all(e["type"] == "missing" for e in errs):
            continue
        problems.append(_one_problem(model, doc, key, errs))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[KeyPath, tuple[str, ...]]:
    """Map a pydantic loc onto keys present in the data; union tags are skipped."""
    path: list[Any] = []
    node = data
    extra: list[str] = []
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, dict):
            match = _dict_key(node, part)
            if match is not _MISSING:
                path.append(match)
                node = node[match]
                continue
            if isinstance(part, str) and (part in DIST_NAMES or not _looks_like_key(part)):
                continue  # a union member's tag, not a key
            extra.append(str(part))  # a missing key
            break
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
            continue
        # union member names (e.g. 'float', 'dict[str,float]') and the like
        continue
    return tuple(path), tuple(extra)


_MISSING = object()


def _dict_key(node: dict[Any, Any], part: Any) -> Any:
    if part in node:
        return part
    for key in node:
        if isinstance(key, dt.date) and str(part) == key.isoformat():
            return key
        if str(key) == str(part):
            return key
    return _MISSING


def _looks_like_key(part: str) -> bool:
    return part.replace("_", "").isalnum() and part == part.lower()


def _one_problem(
    model: type[BaseModel], doc: Document, key: KeyPath, errs: list[dict[str, Any]]
) -> Problem:
    types_ = {e["type"] for e in errs}
    first = errs[0]
    found = first.get("input")
    if "missing" in types_:
        parent, name = key[:-1], key[-1]
        if parent:
            line, col = doc.position(parent, of_value=False)
        else:  # the top-level mapping: where its first key is
            top = [pos for kp, pos in doc.key_pos.items() if len(kp) == 1]
            line, col = min(top) if top else (1, 1)
        where = doc.key_path_str(parent) if parent else ""
        msg = f"missing required key {name!r}"
        owner = _model_at(model, doc, parent)
        info = owner.model_fields.get(str(name)) if owner is not None else None
        if info is not None and info.description:
            msg += f" ({info.description})"
        return Problem(str(doc.path), line, col, where, msg)
    if "extra_forbidden" in types_:
        name = key[-1]
        valid = _valid_keys(model, doc, key[:-1])
        hint = _did_you_mean(str(name), valid)
        msg = f"unknown key {name!r}." + hint
        if not hint and valid:
            msg += " Valid keys: " + ", ".join(sorted(valid))
        return doc.problem(key, msg, of_value=False)
    if "union_tag_invalid" in types_ or "union_tag_not_found" in types_:
        tag = (first.get("ctx") or {}).get("tag", found)
        if "union_tag_not_found" in types_:
            return _missing_dist(doc, key)
        msg = f"unknown distribution {tag!r}." + _did_you_mean(str(tag), DIST_NAMES)
        msg += " Choose from " + ", ".join(DIST_NAMES)
        return doc.problem((*key, "dist"), msg)
    if "literal_error" in types_:
        expected = (first.get("ctx") or {}).get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ",").split(",")]
        options = [o for o in options if o]
        msg = f"expected {expected}, found {_found(found)}." + _did_you_mean(str(found), options)
        return doc.problem(key, msg)
    if "value_error" in types_ or "assertion_error" in types_:
        cause = (first.get("ctx") or {}).get("error")
        text = str(cause) if cause is not None else first["msg"]
        return doc.problem(key, text)
    if len(errs) > 1:
        expectations = sorted({_expectation(e) for e in errs})
        msg = "expected " + " or ".join(expectations) + f", found {_found(found)}"
        return doc.problem(key, msg)
    return doc.problem(key, f"expected {_expectation(first)}, found {_found(found)}")


def _missing_dist(doc: Document, key: KeyPath) -> Problem:
    """No 'dist' key: name a misspelt one if there is one, else ask for it."""
    node: Any = doc.data
    for part in key:
        node = _child(node, part)
    names = DIST_NAMES
    for k in node if isinstance(node, dict) else ():
        if _suggest(str(k), ("dist",)):
            msg = f"unknown key {k!r}. Did you mean 'dist'? (name the distribution: "
            return doc.problem((*key, k), msg + ", ".join(names) + ")", of_value=False)
    return doc.problem(key, "missing 'dist': name the distribution (" + ", ".join(names) + ")")


def _expectation(err: dict[str, Any]) -> str:
    t = err["type"]
    ctx = err.get("ctx") or {}
    bounds = {
        "greater_than": ("a number >", "gt"),
        "greater_than_equal": ("a number >=", "ge"),
        "less_than": ("a number <", "lt"),
        "less_than_equal": ("a number <=", "le"),
    }
    if t == "less_than_equal" and ctx.get("le") == 1:
        return "a probability between 0 and 1"
    if t in bounds:
        text, k = bounds[t]
        limit = ctx.get(k)
        return f"{text} {limit:g}" if isinstance(limit, int | float) else f"{text} {limit}"
    simple = {
        "float_parsing": "a number",
        "float_type": "a number",
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "text",
        "date_parsing": "a date YYYY-MM-DD",
        "date_type": "a date YYYY-MM-DD",
        "date_from_datetime_parsing": "a date YYYY-MM-DD",
        "date_from_datetime_inexact": "a date YYYY-MM-DD",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "list_type": "a list",
        "string_pattern_mismatch": f"text matching {ctx.get('pattern')}",
        "string_too_short": "non-empty text",
        "string_too_long": f"text of at most {ctx.get('max_length')} characters",
        "too_short": f"at least {ctx.get('min_length')} item(s)",
        "finite_number": "a finite number",
    }
    return simple.get(t, err["msg"].lower())


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"{value!r} (text)"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


def _suggest(name: str, valid: Iterable[str]) -> str | None:
    """The intended name: one typo away (ties: the most similar), else difflib's closest."""
    names = _suggestions(name, valid)
    return names[0] if names else None


def _suggestions(name: str, valid: Iterable[str]) -> list[str]:
    """Every name one typo away from ``name``; else difflib's closest (or none).

    One typo (a letter changed, added, dropped, or two swapped) catches what difflib's
    ratio misses in short keys ('mx' for 'mu' scores 0.5).
    """
    options = [v for v in valid if v != name]
    near = [v for v in options if _one_typo(name, v)]
    if near:
        return sorted(near, key=lambda v: -difflib.SequenceMatcher(None, name, v).ratio())
    return difflib.get_close_matches(name, options, n=1, cutoff=0.6)


def _one_typo(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one changed, added or dropped letter, or one swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swap = len(diff) == 2 and diff[1] == diff[0] + 1
        return len(diff) == 1 or (swap and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _did_you_mean(name: str, valid: Iterable[str], quote: str = "{!r}") -> str:
    """`` Did you mean 'x'?`` (or ``'x' or 'y'`` when typos tie), or ''."""
    names = _suggestions(name, valid)
    if not names:
        return ""
    best = difflib.SequenceMatcher(None, name, names[0]).ratio()
    tied = [n for n in names if difflib.SequenceMatcher(None, name, n).ratio() == best]
    return " Did you mean " + " or ".join(quote.format(n) for n in tied) + "?"


def _valid_keys(model: type[BaseModel], doc: Document, parent: KeyPath) -> list[str]:
    """Field names of the model found at ``parent`` in the document."""
    owner = _model_at(model, doc, parent)
    return list(owner.model_fields) if owner is not None else []


def _model_at(model: type[BaseModel], doc: Document, parent: KeyPath) -> type[BaseModel] | None:
    """The model found at ``parent`` in the document, or None (a plain value or mapping)."""
    tp: Any = model
    node: Any = doc.data
    for part in parent:
        tp = _strip(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        else:
            origin = get_origin(tp)
            args = get_args(tp)
            if origin in (list, tuple) and args:
                tp = args[0]
            elif origin is dict and len(args) == 2:
                tp = args[1]
            else:
                return None
        node = _child(node, part)
    tp = _strip(tp, node)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _strip(tp: Any, node: Any) -> Any:
    """Unwrap Annotated/Optional/unions, choosing the member that fits the data."""
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if models and isinstance(node, dict):
                tag = node.get("dist")
                for m in models:
                    lit = m.model_fields.get("dist")
                    if lit is not None and tag in get_args(lit.annotation):
                        tp = m
                        break
                else:
                    tp = models[0]
                continue
            others = [m for m in members if get_origin(m) in (dict, list)]
            tp = others[0] if others else members[0]
            continue
        if origin is Literal:
            return tp
        return tp
