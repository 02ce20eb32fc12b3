"""Generate the YAML reference (docs/yaml-reference.md) from the pydantic schema.

Run ``python -m simulator.config.reference > docs/yaml-reference.md``; a test regenerates
the file and fails if the committed copy drifts from the schema.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo, PydanticUndefined

from simulator.config.schema import (
    DIST_NAMES,
    PARAMETERS,
    DynamicsPriors,
    Hedging,
    PriorsFile,
    Scenario,
    _default_currencies,
    _Dist,
)

INTRO = """\
# macrosim YAML reference

Generated from the pydantic schema by `python -m simulator.config.reference >
docs/yaml-reference.md`; do not edit by hand (a test fails if this file drifts from the
schema). `macrosim check FILE...` validates files against the same schema and names the
file, line and column of every problem.

## How the files relate

- A **priors file** (`kind: priors`, in `priors/`) holds one prior per *dynamics*
  parameter: what a fit to month-end history starts from (inflation persistence, neutral
  rate, term-premium mean, ...). `priors/default.yaml` is weakly informative; files
  written by `macrosim fit --export-priors` also carry a `calibrated` block and a `joint`
  block, and a fit refuses them as its prior.
- A **scenario file** (`kind: scenario`, in `scenarios/`) holds *beliefs about the
  window* that history cannot inform: the view of Fed cuts and their timing, what the
  market prices, term-premium shock events, seasonal drift, hedging inputs. It names its
  priors file in `priors:`, resolved relative to the scenario file. `adjustments` shift
  fitted dynamics explicitly after the fit.
- A `mixture` in a scenario draws, per path, one weighted sub-scenario whose blocks
  replace the scenario's (a component without a block uses the scenario's).

## Units

Rates and yields in percent (keys ending `_pp`: 4.30 means 4.30%); shock and event sizes
and seasonal drift in basis points (`_bp`, drift per calendar month); half-lives in
business days (`_bdays`); kappa per year; persistences (rho, phi) per month;
probabilities as fractions in [0, 1] (0.35, not 35). Dates are `YYYY-MM-DD`, months of a
monthly path `YYYY-MM`. Cut counts are net 25bp cuts over the window (negative =
hikes).

## Editor support

Start every file with

```yaml
# yaml-language-server: $schema=../docs/schema.json
```

so editors using the YAML language server (VS Code's YAML extension, and others) complete
keys and flag errors as you type. `docs/schema.json` is the output of `macrosim schema`.

## Reading the tables

`a.b` is key `b` inside mapping `a`; `a[].b` is key `b` in each item of list `a`;
`a.<date>` stands for keys you choose (here dates). *Default* "required" means the key
must be given; other keys may be left out. In *bounds*, x is the value: `≤` includes
the limit, `<` excludes it. A prior's *bounds* give the support its distribution must
stay within.
"""


@dataclass(frozen=True)
class Row:
    """One documented key."""

    path: str
    type: str
    unit: str
    default: str
    bounds: str
    description: str


# ---------------------------------------------------------------------------------------
# type, bounds, unit and default rendering
# ---------------------------------------------------------------------------------------


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """Strip Annotated layers, collecting their constraint metadata."""
    meta: list[Any] = []
    while get_origin(tp) is typing.Annotated:
        args = get_args(tp)
        tp = args[0]
        for extra in args[1:]:
            meta.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return tp, meta


def _members(tp: Any) -> list[Any]:
    if get_origin(tp) in (Union, types.UnionType):
        return list(get_args(tp))
    return [tp]


def _optional(tp: Any) -> tuple[Any, bool]:
    members = _members(tp)
    if type(None) in members and len(members) > 1:
        rest = [m for m in members if m is not type(None)]
        return (rest[0] if len(rest) == 1 else Union[tuple(rest)]), True  # noqa: UP007
    return tp, False


def _type_text(tp: Any, field_meta: list[Any] | None = None) -> str:
    text, optional = _type_core(tp, field_meta or [])
    if not optional:
        return text
    return f"{text}, or null" if " " in text else f"{text} or null"


def _type_core(tp: Any, field_meta: list[Any]) -> tuple[str, bool]:
    tp, meta = _unwrap(tp)
    tp, optional = _optional(tp)
    meta = [*field_meta, *meta]
    if any(_is_dist(m) for m in _members(tp)):
        return "prior: a mapping with `dist`", optional
    if len(_members(tp)) > 1:
        return " or ".join(_type_text(m) for m in _members(tp)), optional
    return _type_one(tp, meta), optional


def _type_one(tp: Any, meta: list[Any]) -> str:
    tail = ""
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(tp)) + tail
    if origin is list:
        return f"list of {_plural(_type_text(get_args(tp)[0]))}" + tail
    if origin is dict:
        key, value = get_args(tp)
        return f"mapping {_key_text(key)} → {_type_text(value)}" + tail
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mapping" + tail
    pattern = _pattern(meta)
    if tp is str and pattern == r"^\d{4}-(0[1-9]|1[0-2])$":
        return "month YYYY-MM" + tail
    names = {float: "number", int: "integer", str: "text", bool: "true/false", dt.date: "date"}
    return names.get(tp, getattr(tp, "__name__", str(tp))) + tail


def _plural(text: str) -> str:
    return {"number": "numbers", "mapping": "mappings", "text": "texts", "date": "dates"}.get(
        text, text
    )


def _key_text(tp: Any) -> str:
    tp, meta = _unwrap(tp)
    if get_origin(tp) is Literal:
        return "(" + "/".join(str(v) for v in get_args(tp)) + ")"
    if tp is str and _pattern(meta):
        return "YYYY-MM"
    return {int: "integer", dt.date: "date", str: "text"}.get(tp, str(tp))


def _pattern(meta: list[Any]) -> str | None:
    for m in meta:
        pattern = getattr(m, "pattern", None)
        if pattern is not None:
            return str(pattern)
    return None


def _g(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and abs(value) >= 10**6:
        exact = {2**63 - 1: "2^63 - 1"}
        if value in exact:
            return exact[value]
        power = len(str(value)) - 1
        if value == 10**power:
            return f"10^{power}"
    return str(value)


def _bounds_text(meta: list[Any]) -> str:
    lo = hi = ""
    parts: list[str] = []
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            lo = f"{_g(m.ge)} ≤"
        elif isinstance(m, annotated_types.Gt):
            lo = f"{_g(m.gt)} <"
        elif isinstance(m, annotated_types.Le):
            hi = f"≤ {_g(m.le)}"
        elif isinstance(m, annotated_types.Lt):
            hi = f"< {_g(m.lt)}"
        elif isinstance(m, annotated_types.MinLen):
            parts.append("non-empty" if m.min_length == 1 else f"at least {m.min_length} items")
        elif getattr(m, "pattern", None) and m.pattern != r"^\d{4}-(0[1-9]|1[0-2])$":
            parts.append(f"matches `{m.pattern}`")
    if lo or hi:
        parts.insert(0, " ".join(p for p in (lo, "x", hi) if p))
    return "; ".join(parts)


def _inner_bounds(tp: Any) -> str:
    """Bounds of list items and of mapping keys/values."""
    tp, _ = _optional(_unwrap(tp)[0])
    origin = get_origin(tp)
    out = []
    if origin is list:
        text = _bounds_text(_unwrap(get_args(tp)[0])[1])
        if text:
            out.append(f"each {text}")
    elif origin is dict:
        key, value = get_args(tp)
        ktext = _bounds_text(_unwrap(key)[1])
        vtext = _bounds_text(_unwrap(value)[1])
        if ktext:
            out.append(f"keys {ktext}")
        if vtext:
            out.append(f"values {vtext}")
    return "; ".join(out)


_UNITS_BY_KEY = {
    "seasonal_drift_bp": "bp per month",
    "probability": "probability",
    "weight": "probability",
    "cut_count": "net 25bp cuts → probability",
    "meeting_weights": "relative weight",
    "move_bp": "bp",
    "roll_months": "months",
    "paths": "paths",
    "inflation_persistence": "per month",
    "term_premium_persistence": "per month",
    "inflation_loading": "pp of 10y per pp of gap",
    "mean_reversion_per_year": "per year",
}


def _unit(name: str, parent: str) -> str:
    if name in _UNITS_BY_KEY:
        return _UNITS_BY_KEY[name]
    if name == "value" and parent.endswith("_pp"):
        return "%"
    if name.endswith("_pp") and any(
        word in name for word in ("shift", "noise", "shock", "spread", "basis")
    ):
        return "pp"
    if name.endswith("_pp"):
        return "%"
    if name.endswith("_bp"):
        return "bp"
    if name.endswith("_bdays"):
        return "business days"
    return ""


def _default_text(info: FieldInfo) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    else:
        value = info.default
    return _value_text(value)


def _value_text(value: Any) -> str:
    if value is None:
        return "null (none)"
    if isinstance(value, BaseModel) and getattr(value, "dist", None) == "Fixed":
        return f"`{{dist: Fixed, value: {value.value:g}}}`"  # type: ignore[attr-defined]
    if isinstance(value, BaseModel):
        return "its keys' defaults"
    if isinstance(value, dict):
        if not value:
            return "{} (none)"
        if all(isinstance(v, BaseModel) for v in value.values()):
            return ", ".join(str(k) for k in value) + " (see below)"
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f"`{value}`"
    return _g(value)


# ---------------------------------------------------------------------------------------
# walking the models
# ---------------------------------------------------------------------------------------


def _is_dist(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, _Dist)


def _sub_models(tp: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """(path suffix, model) for the models nested in a field's type."""
    tp, _ = _unwrap(tp)
    tp, _ = _optional(tp)
    origin = get_origin(tp)
    if origin is list:
        for suffix, model in _sub_models(get_args(tp)[0]):
            yield "[]" + suffix, model
        return
    if origin is dict:
        key, value = get_args(tp)
        for suffix, model in _sub_models(value):
            yield ".<" + _placeholder(key) + ">" + suffix, model
        return
    for member in _members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel) and not _is_dist(member):
            yield "", member


def _placeholder(key: Any) -> str:
    tp, meta = _unwrap(key)
    if get_origin(tp) is Literal:
        return "|".join(str(v) for v in get_args(tp))
    if tp is str and _pattern(meta):
        return "YYYY-MM"
    return {int: "count", dt.date: "date"}.get(tp, "key")


def rows(model: type[BaseModel], prefix: str = "") -> list[Row]:
    """Every key of ``model`` and of the models below it, depth first, in field order."""
    out: list[Row] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        annotation = info.annotation
        bounds = "; ".join(b for b in (_bounds_text(info.metadata), _inner_bounds(annotation)) if b)
        if model is DynamicsPriors:
            _, domain, _ = PARAMETERS[name]
            bounds = {
                "real": "",
                "positive": "support in (0, inf)",
                "nonnegative": "support in [0, inf)",
                "unit": "support in [0, 1]",
                "correlation": "support in [-1, 1]",
            }[domain]
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        out.append(
            Row(
                path=path,
                type=_type_text(annotation, list(info.metadata)),
                unit=_unit(name, prefix.rsplit(".", 1)[-1]),
                default=_default_text(info),
                bounds=bounds,
                description=description,
            )
        )
        for suffix, sub in _sub_models(annotation):
            out.extend(rows(sub, path + suffix))
    return out


def _table(items: list[Row]) -> str:
    lines = [
        "| key | type | unit | default | bounds | description |",
        "|---|---|---|---|---|---|",
    ]
    for r in items:
        cells = [f"`{r.path}`", r.type, r.unit, r.default, r.bounds, r.description]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _distributions() -> str:
    from simulator.config import schema

    parts = [
        "Each `parameters.<name>` value is a mapping with `dist:` naming the distribution "
        "and its parameters, e.g. `{dist: Beta, alpha: 30, beta: 1.5}`. A prior must put "
        "all its mass inside its parameter's support (a Normal on a persistence is refused).",
        "",
    ]
    for dist in DIST_NAMES:
        model = getattr(schema, dist)
        doc = (model.__doc__ or "").strip().splitlines()[0]
        parts.append(f"### `{dist}`\n\n{doc}\n")
        items = [r for r in rows(model) if r.path != "dist"]
        parts.append(_table(items))
        parts.append("")
    return "\n".join(parts)


def _currency_defaults() -> str:
    lines = [
        "Legs of `hedging.currencies` that a scenario leaves out take these values "
        "(each leg names its source; hedge cost = USD short rate + `usd_bill_spread_pp` "
        "- `short_rate_pp` - `basis_pp`):",
        "",
        "| currency | short_rate_pp | basis_pp | source |",
        "|---|---|---|---|",
    ]
    for cur, leg in _default_currencies().items():
        lines.append(
            f"| {cur} | {_value_text(leg.short_rate_pp)} | {_value_text(leg.basis_pp)} "
            f"| {leg.source} |"
        )
    return "\n".join(lines)


def render() -> str:
    """The whole reference as Markdown."""
    assert Hedging.model_fields["currencies"].default_factory is _default_currencies
    sections = [
        INTRO,
        "## Priors file (`kind: priors`)\n",
        (PriorsFile.__doc__ or "").strip() + "\n",
        _table(rows(PriorsFile)),
        "",
        "## Prior distributions\n",
        _distributions(),
        "## Scenario file (`kind: scenario`)\n",
        (Scenario.__doc__ or "").strip() + "\n",
        _table(rows(Scenario)),
        "",
        "## Default hedging legs\n",
        _currency_defaults(),
        "",
    ]
    return "\n".join(sections)


def main() -> None:
    """Write the reference to standard output."""
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
