"""What a schema allows: `Constraints`, and how the constraints of combined schemas add up.

`lava_spec.document.Spec.constraints` walks a schema (its `$ref`, `allOf`, `anyOf` and `oneOf`) and
gathers each node's own keywords with `own_constraints`; parts that must all hold `meet` (the tightest
bound wins), alternatives `join` (a bound holds only if every branch has it; enums add up).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a schema allows, gathered through `$ref`, `allOf` and the branches of `anyOf`/`oneOf`.

    Every bound is None where the spec states none. `nullable` says whether `null` is allowed too.
    """

    types: tuple[str, ...] = ()
    nullable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    enum: tuple[object, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    default: object = field(default=_MISSING, repr=False)

    @property
    def has_default(self) -> bool:
        """Whether the spec states a default."""
        return self.default is not _MISSING

    @property
    def lowest(self) -> int | None:
        """The smallest integer allowed, where the spec bounds it from below."""
        if self.minimum is not None:
            return math.ceil(self.minimum)
        if self.exclusive_minimum is not None:
            return math.floor(self.exclusive_minimum) + 1
        return None

    @property
    def highest(self) -> int | None:
        """The largest integer allowed, where the spec bounds it from above."""
        if self.maximum is not None:
            return math.floor(self.maximum)
        if self.exclusive_maximum is not None:
            return math.ceil(self.exclusive_maximum) - 1
        return None


CONSTRAINT_KEYWORDS: Final = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "minItems": "min_items",
    "maxItems": "max_items",
    "pattern": "pattern",
    "format": "format",
}


_LOWER_BOUNDS: Final = ("min_length", "minimum", "exclusive_minimum", "min_items")
_UPPER_BOUNDS: Final = ("max_length", "maximum", "exclusive_maximum", "max_items")
_FIRST_WINS: Final = ("pattern", "format", "default")


def own_constraints(node: Mapping[str, Any]) -> dict[str, Any]:
    """The constraints a node states itself, not through `$ref` or a combinator."""
    gathered: dict[str, Any] = {
        attribute: node[keyword] for keyword, attribute in CONSTRAINT_KEYWORDS.items() if keyword in node
    }
    if "default" in node:
        gathered["default"] = node["default"]
    declared = node.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    if "enum" in node:
        gathered["enum"] = [option for option in node["enum"] if option is not None]
        gathered["nullable"] = None in node["enum"]
    if names:
        gathered["types"] = [name for name in names if name != "null"]
        gathered["nullable"] = gathered.get("nullable", False) or "null" in names
        gathered["null_only"] = names == ["null"]
    elif node.get("enum") == [None]:
        gathered["null_only"] = True
    return gathered


def meet(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Constraints that must all hold (a node, its `$ref` target, its `allOf` parts): the tightest wins."""
    met: dict[str, Any] = {}
    for part in parts:
        for attribute, value in part.items():
            if attribute not in met:
                met[attribute] = value
            elif attribute in _LOWER_BOUNDS:
                met[attribute] = max(met[attribute], value)
            elif attribute in _UPPER_BOUNDS:
                met[attribute] = min(met[attribute], value)
            elif attribute == "enum":
                met[attribute] = [option for option in met[attribute] if option in value]
            elif attribute == "types" and met[attribute]:
                met[attribute] = [name for name in met[attribute] if name in value]
            elif attribute == "types":
                met[attribute] = value
            elif attribute in ("nullable", "null_only"):
                met[attribute] = met[attribute] or value
    return met


def join(options: list[dict[str, Any]]) -> dict[str, Any]:
    """Constraints of alternatives (`anyOf`/`oneOf` branches): a bound holds only if every branch has it."""
    joined: dict[str, Any] = {}
    for attribute in {attribute for option in options for attribute in option}:
        values = [option[attribute] for option in options if attribute in option]
        if attribute in _FIRST_WINS:
            joined[attribute] = values[0]
        elif len(values) < len(options):
            continue
        elif attribute in _LOWER_BOUNDS:
            joined[attribute] = min(values)
        elif attribute in _UPPER_BOUNDS:
            joined[attribute] = max(values)
        elif attribute in ("enum", "types"):
            joined[attribute] = list(dict.fromkeys(item for value in values for item in value))
        elif attribute == "nullable":
            joined[attribute] = any(values)
    return joined
