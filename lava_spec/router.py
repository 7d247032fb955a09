"""The one router: which operation of the spec a method and a raw path are.

Built from the spec's path templates, it serves the reference server's dispatcher, its staging conditions,
its faults and its transient failures, and the suite. It routes the *raw* path (percent-encoded, as it
came over the wire): the path is split on `/` first and each segment decoded on its own, so an encoded
`/` (`%2F`) stays inside an id. A segment that does not decode as UTF-8 matches nothing.

A parameter takes one whole, non-empty segment. A path that matches templates none of which has the
method is `MethodNotAllowed` (with every method they have, for `Allow`); a path that matches no template
is `NotFound`. Where two templates match, the one with more literal segments wins
(`/spend_keys/{id}/rotate` over a hypothetical `/spend_keys/{id}/{action}`). A `str` path is taken as
UTF-8 before its percent-escapes are decoded, as a client would send it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias
from urllib.parse import unquote_to_bytes

from lava_spec.document import Operation


@dataclass(frozen=True, slots=True)
class Found:
    """The path and method name an operation; `path_parameters` holds each parameter's decoded value."""

    operation: Operation
    path_parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """The path names a resource of the spec, but not with this method; `allow` lists the methods it has."""

    allow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotFound:
    """The path names nothing the spec declares."""


RouteResult: TypeAlias = Found | MethodNotAllowed | NotFound
_NOT_FOUND = NotFound()


@dataclass(frozen=True, slots=True)
class _Template:
    # Each segment of the path; None stands for a parameter, named in `names` at the same index.
    segments: tuple[str | None, ...]
    names: tuple[str | None, ...]
    operations: Mapping[str, Operation]

    @property
    def literals(self) -> int:
        return sum(segment is not None for segment in self.segments)


class Router:
    """Routes (method, raw path) to an operation of the spec; see the module docstring."""

    def __init__(self, operations: Iterable[Operation], *, prefix: str = "") -> None:
        """Route the paths of `operations`, each under `prefix` (e.g. "/v1", or "" for relative paths)."""
        self.prefix = prefix
        by_path: dict[str, dict[str, Operation]] = {}
        for operation in operations:
            by_path.setdefault(operation.path, {})[operation.method] = operation
        templates = []
        for path, methods in by_path.items():
            parts = (prefix + path).split("/")
            templates.append(
                _Template(
                    segments=tuple(None if part.startswith("{") else part for part in parts),
                    names=tuple(part[1:-1] if part.startswith("{") else None for part in parts),
                    operations=MappingProxyType(methods),
                )
            )
        self._templates = tuple(sorted(templates, key=lambda template: -template.literals))

    def __repr__(self) -> str:
        return f"Router(prefix={self.prefix!r}, {len(self._templates)} paths)"

    def match(self, method: str, raw_path: bytes | str) -> RouteResult:
        """Route a request: `raw_path` is its path as sent, percent-encoded, without the query."""
        raw = raw_path.encode("utf-8") if isinstance(raw_path, str) else raw_path
        try:
            segments = [unquote_to_bytes(segment).decode("utf-8") for segment in raw.split(b"/")]
        except UnicodeDecodeError:
            return _NOT_FOUND
        allowed: list[str] = []
        for template in self._templates:
            if len(template.segments) != len(segments) or any(
                # A parameter takes one whole, non-empty segment: `/spend_keys/` names no key.
                segment != expected if expected is not None else not segment
                for expected, segment in zip(template.segments, segments, strict=True)
            ):
                continue
            operation = template.operations.get(method.upper())
            if operation is None:
                allowed.extend(name for name in template.operations if name not in allowed)
                continue
            pairs = zip(template.names, segments, strict=True)
            values = {name: segment for name, segment in pairs if name is not None}
            return Found(operation, MappingProxyType(values))
        return MethodNotAllowed(tuple(allowed)) if allowed else _NOT_FOUND

    def operation_of(self, method: str, raw_path: bytes | str) -> Operation | None:
        """The operation a request goes to, or None if it routes nowhere (unknown path or method)."""
        result = self.match(method, raw_path)
        return result.operation if isinstance(result, Found) else None

    def owns(self, raw_path: bytes | str) -> bool:
        """Whether the path names a resource of the spec (with any method)."""
        # Any method will do: a path of the spec answers Found or MethodNotAllowed, never NotFound.
        return not isinstance(self.match("GET", raw_path), NotFound)
