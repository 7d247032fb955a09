"""A migration page: the comparison of two versions' specs, written for users of this project's client.

`render_migration` takes the changes `compare_documents` finds from an old version's spec ("ours") to a
new one's ("upstream"), so that "breaking" reads as "code written for the old version must change", and
writes them as Markdown: one item per change a user meets (a field declared once and returned by five
operations is one item, naming the five), each with what the code must change, in the terms of
`lava_client.<version>`. Every sentence comes either from the specs (through the changes: field names,
values, descriptions, defaults, servers, operations) or from a template keyed on the change's kind and
side; none is written for one particular change, so the page follows the specs as they change.

The client's names it uses are the generator's rules, restated here and checked against the generated
client by tests/tooling/test_migration_report.py: a resource method is named after its operationId less
the tag ("create_spend_key" on the tag "Spend Keys" is `client.spend_keys.create`), `get` is `retrieve`
(openapi/templates/endpoint_init.py.jinja), and a model is named after its schema.

What it does not do: compare (`compare.py`), choose which documents to compare, or write files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from spec_drift.compare import Change
from spec_drift.normalise import Operation

_MODEL_FIELD = re.compile(r"^/components/schemas/(?P<model>[^/]+)/properties/(?P<field>[^/]+)(?:/|$)")
# The generator's renames of an operation's verb (openapi/templates/endpoint_init.py.jinja).
_RENAMED_METHODS = {"get": "retrieve"}


@dataclass(frozen=True)
class Edition:
    """One side of the migration: its version's name ("v0") and its spec's path, as the page shows it."""

    version: str
    spec: str


@dataclass(frozen=True)
class _Item:
    """Changes that are one change to a user: the same declaration, kind and side, in several operations."""

    changes: tuple[Change, ...]

    @property
    def first(self) -> Change:
        return self.changes[0]

    @property
    def breaking(self) -> bool:
        return any(change.severity == "breaking" for change in self.changes)

    @property
    def name(self) -> str:
        """The field or parameter as a user writes it: its last name, without the list's `data[].`."""
        return self.first.subject.replace("[]", "").split(".")[-1]

    @property
    def model(self) -> str | None:
        match = _MODEL_FIELD.match(self.first.location)
        return match["model"] if match and match["field"] == self.name else None

    @property
    def annotations(self) -> dict[str, Any]:
        return dict(self.first.annotations)


class _Client:
    """Names the new version's client gives to the old version's operations."""

    def __init__(self, new: Edition, operations: dict[str, Operation], tags: dict[str, str]) -> None:
        self.package = f"lava_client.{new.version}"
        self._operations = operations
        self._tags = tags

    def method(self, label: str | None) -> str:
        """`client.spend_keys.create` for the operation labelled "POST /manage/spend_keys"."""
        operation = self._operations.get(label or "")
        if operation is None or operation.operation_id is None:
            return f"the call to `{label}`"
        resource = self._tags.get(label or "", "")
        singular = resource.removesuffix("s")
        name = operation.operation_id
        for suffix in (f"_{resource}", f"_{singular}"):
            if resource and name.endswith(suffix) and len(name) > len(suffix):
                name = name.removesuffix(suffix)
                break
        name = _RENAMED_METHODS.get(name, name)
        return f"client.{resource}.{name}" if resource else f"client.{name}"

    def methods(self, item: _Item) -> str:
        return _series(f"`{self.method(change.operation)}(...)`" for change in item.changes)


def client_names(operations: dict[tuple[str, str], Operation]) -> tuple[dict[str, Operation], dict[str, str]]:
    """Operations by label, and the client resource (a snake_case tag) each belongs to."""
    by_label = {operation.label: operation for operation in operations.values()}
    tags = {operation.label: _snake(operation.tag) for operation in operations.values() if operation.tag}
    return by_label, tags


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def render_migration(
    changes: Sequence[Change],
    *,
    old: Edition,
    new: Edition,
    operations: dict[tuple[str, str], Operation],
    command: str,
) -> str:
    """The page, from the changes of `old`'s spec to `new`'s and `old`'s operations."""
    by_label, tags = client_names(operations)
    client = _Client(new, by_label, tags)
    items = _items(changes)
    breaking = sum(item.breaking for item in items)
    lines = [
        f"<!-- Generated by `{command}` from {old.spec} and {new.spec}: do not edit by hand. -->",
        "",
        f"# Migrating from {old.version} to {new.version}",
        "",
        (
            f"What changed from Lava's API {old.version} (`{old.spec}`) to {new.version} (`{new.spec}`), "
            f"as `python -m spec_drift` compares the two specs, and what code written for "
            f"`lava_client.{old.version}` must change to use `lava_client.{new.version}`. "
            f"{len(items)} change{_s(len(items))}; {breaking} of them need{'s' if breaking == 1 else ''} "
            "a change to your code (**breaking**)."
        ),
        "",
        "## Imports",
        "",
        (
            f"Import from `lava_client.{new.version}` where you imported from `lava_client.{old.version}`: "
            f"`from lava_client.{new.version} import LavaClient, AsyncLavaClient`, and the models from "
            f"`lava_client.{new.version}.models`, under the same names. The error classes are shared by "
            "every version and stay in `lava_client` (`from lava_client import NotFoundError`)."
        ),
    ]
    for title, keep, write in _SECTIONS:
        chosen = [item for item in items if keep(item)]
        if chosen:
            lines += ["", f"## {title}", ""]
            lines += write(chosen, client)
    return "\n".join(lines) + "\n"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _items(changes: Sequence[Change]) -> list[_Item]:
    groups: dict[tuple[Any, ...], list[Change]] = {}
    for change in changes:
        tail = change.message.split(": ", 1)[1] if ": " in change.message else ""
        tail = re.sub(r" of \d\d\d\.$", ".", tail)
        leaf = change.subject.replace("[]", "").split(".")[-1]
        key = (change.kind, change.side, change.location, leaf, tail)
        groups.setdefault(key, []).append(change)
    items = [_Item(tuple(group)) for group in groups.values()]
    return sorted(
        items, key=lambda item: (not item.breaking, item.first.kind or "", item.name, item.first.location)
    )


def _series(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(parts))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _badge(item: _Item) -> str:
    return "**Breaking.** " if item.breaking else ""


def _value(value: object) -> str:
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f'`"{value}"`'


def _description(item: _Item) -> str:
    """What the spec says the field is (its description, and its values when it has an enum)."""
    description = " ".join(str(item.annotations.get("description", "")).split()).rstrip(".")
    values = item.annotations.get("enum")
    if values:
        description += f"{'; ' if description else ''}one of {', '.join(f'`{value}`' for value in values)}"
    return description[:1].lower() + description[1:]


def _described(item: _Item) -> str:
    """The description as the clause that ends a sentence: ": what it is."."""
    description = _description(item)
    return f": {description}." if description else "."


def _note(item: _Item) -> str:
    """The description in parentheses, for a sentence that goes on."""
    description = _description(item)
    return f" ({description})" if description else ""


# --- sections ---------------------------------------------------------------------------------------


def _connection(items: list[_Item], client: _Client) -> list[str]:
    lines = []
    for item in items:
        change = item.first
        if change.kind == "credential":
            advice = (
                f"Give `{client.package}` such a key: `LAVA_API_KEY` for `LavaClient.from_env()`, or "
                "`LavaClient(token=...)`. A key of another kind is refused."
            )
        elif change.kind == "server-new":
            advice = (
                f'To use it, pass `base_url="{change.subject}"` to `LavaClient(...)`, or set '
                f"`LAVA_BASE_URL={change.subject}` for `LavaClient.from_env()`."
            )
        elif change.kind == "server-gone":
            advice = "Stop pointing `base_url` or `LAVA_BASE_URL` at it."
        else:
            advice = (
                f"`{client.package}` uses the new URL by default; a `base_url` or `LAVA_BASE_URL` you set "
                "yourself must change."
            )
        lines.append(f"- {_badge(item)}{change.message} {advice}")
    return lines


def _operations(items: list[_Item], client: _Client) -> list[str]:
    lines = []
    moved = [item for item in items if item.first.kind == "operation-moved"]
    if moved:
        lines += [
            (
                f"**Breaking** for code that writes the URLs itself; nothing to change for calls through "
                f"`{client.package}`, whose methods call the new paths."
            ),
            "",
            "| Call | Before | Now |",
            "| --- | --- | --- |",
        ]
        for item in moved:
            call = f"`{client.method(item.first.operation)}(...)`"
            lines.append(f"| {call} | `{item.first.operation}` | `{item.first.subject}` |")
    for item in items:
        change = item.first
        if change.kind == "operation-gone":
            lines.append(
                f"- {_badge(item)}{change.message} Remove the calls to `{client.method(change.operation)}`."
            )
        elif change.kind == "operation-new":
            lines.append(f"- {change.message} Nothing to change.")
        elif change.kind == "security":
            lines.append(f"- {_badge(item)}{change.message} Give the client a credential of the new kind.")
    return lines


def _request(items: list[_Item], client: _Client) -> list[str]:
    return [_request_line(item, client) for item in items]


def _request_line(item: _Item, client: _Client) -> str:
    kind, name = item.first.kind, item.name
    parameter = (item.first.kind or "").startswith("parameter") or "/parameters/" in item.first.location
    part = "parameters" if parameter else "request"
    model = f" (`{item.model}`)" if item.model else ""
    where = f"the {part} of {client.methods(item)}{model}"
    relaxed = kind == "constraint" and not item.breaking
    template = _REQUEST.get(f"{kind}-relaxed" if relaxed else kind or "")
    if template is None:
        return f"- {_badge(item)}`{name}` in {where}: {_tail(item)}. Check what you pass as `{name}=`."
    return (
        "- "
        + _badge(item)
        + template.format(
            name=name,
            where=where,
            tail=_tail(item),
            described=_described(item),
            note=_note(item),
            package=client.package,
            required="required" if item.breaking else "optional",
            verb="Pass" if item.breaking else "You may pass",
            left_out=_left_out(item),
            relaxed="Nothing to change: Lava accepts more." if not item.breaking else "",
        )
        .replace("  ", " ")
        .rstrip()
    )


# What changed and what to do, per kind of request change: {where} names the calls and the model.
_REQUEST = {
    "field-gone": (
        "`{name}` is gone from {where}. Stop passing `{name}=`: `{package}` takes no such argument "
        "(a `TypeError`, which mypy reports before you run)."
    ),
    "parameter-gone": (
        "`{name}` is gone from {where}. Stop passing `{name}=`: `{package}` takes no such argument "
        "(a `TypeError`, which mypy reports before you run)."
    ),
    "field-new": "`{name}` is new, {required}, in {where}{described} {verb} `{name}=`{left_out}.",
    "parameter-new": "`{name}` is new, {required}, in {where}{described} {verb} `{name}=`{left_out}.",
    "field-now-required": "`{name}` is now required in {where}. Always pass `{name}=`.",
    "parameter-now-required": "`{name}` is now required in {where}. Always pass `{name}=`.",
    "field-no-longer-required": "`{name}` is no longer required in {where}. {relaxed}",
    "parameter-no-longer-required": "`{name}` is no longer required in {where}. {relaxed}",
    "nullable": "`{name}` may now be `None` in {where}. {relaxed}",
    "not-nullable": "`{name}` may no longer be `None` in {where}. Stop passing `{name}=None`.",
    "enum-values-new": "`{name}` in {where}: {tail}. {relaxed}",
    "enum-values-gone": "`{name}` in {where}: {tail}. Stop passing those values.",
    "constraint": (
        "`{name}` in {where}: {tail}{note}. Lava refuses a request that breaks it: check what you pass "
        "as `{name}=`."
    ),
    "constraint-relaxed": "`{name}` in {where}: {tail}. {relaxed}",
}


def _tail(item: _Item) -> str:
    """The sentence of the change less the field's label and the full stop: "new minItems 1"."""
    message = item.first.message.rstrip(".")
    tail = message.split(": ", 1)[1] if ": " in message else message
    return tail[:1].lower() + tail[1:]


def _left_out(item: _Item) -> str:
    default = item.annotations.get("default")
    return f"; left out, it is {_value(default)}" if default is not None else ""


def _response(items: list[_Item], client: _Client) -> list[str]:
    return [_response_line(item, client) for item in items]


def _response_line(item: _Item, client: _Client) -> str:
    kind, name = item.first.kind, item.name
    field = f"`{item.model}.{name}`" if item.model else f"`{name}`"
    where = f"in what {client.methods(item)} return{'s' if len(item.changes) == 1 else ''}"
    template = _RESPONSE.get(kind or "")
    if template is None:
        advice = "Check the code that reads it." if item.breaking else "Nothing to change."
        return f"- {_badge(item)}{field} {where}: {_tail(item)}. {advice}"
    return (
        "- "
        + _badge(item)
        + template.format(
            field=field,
            name=name,
            where=where,
            tail=_tail(item),
            described=_described(item),
            package=client.package,
            presence="always there" if "required" in item.first.message else "there when Lava sends it",
            status=item.first.subject,
        )
    )


# What changed and what to do, per kind of response change.
_RESPONSE = {
    "field-new": (
        "{field} is new, {presence}, {where}{described} Nothing to change; read it where you need it."
    ),
    "field-gone": (
        "{field} is gone {where}, and from `{package}.models`. Remove the code that reads `.{name}`."
    ),
    "nullable": "{field} may now be `None` {where}. Check for `None` before you use it.",
    "not-nullable": "{field} is never `None` any more {where}. Nothing to change.",
    "field-no-longer-required": (
        "{field} may now be missing (`UNSET`) {where}. Check `isinstance(value, Unset)` before you use it."
    ),
    "field-now-required": "{field} is now always there {where}. Nothing to change.",
    "enum-values-new": "{field} {where}: {tail}. A `match` on it needs a case for them.",
    "error-status-new": (
        "Status {status} is new {where}. Nothing to change: every error status raises a `lava_client` error."
    ),
    "error-status-gone": "Status {status} is no longer documented {where}. Nothing to change.",
    "success-status": "The success status is {status} {where}. Nothing to change through the client.",
}


def _is(*kinds: str) -> Callable[[_Item], bool]:
    return lambda item: item.first.kind in kinds


def _on(side: str) -> Callable[[_Item], bool]:
    connection = _is(
        "credential", "server-new", "server-gone", "base-url", "operation-moved", "operation-gone"
    )
    return lambda item: item.first.side == side and not connection(item)


_SECTIONS: tuple[tuple[str, Callable[[_Item], bool], Callable[[list[_Item], _Client], list[str]]], ...] = (
    ("Credential and servers", _is("credential", "server-new", "server-gone", "base-url"), _connection),
    ("Paths", _is("operation-moved", "operation-gone", "operation-new", "security"), _operations),
    ("What your code sends", _on("request"), _request),
    ("What your code receives", _on("response"), _response),
)
