"""Compare our spend-key operations with upstream's and classify each difference for our users.

"Breaking" means: a client generated from OUR spec (generated/lava_client) would send something
upstream now refuses, or fail on something upstream now answers. What that client tolerates decides
the severity of a response change (tests/client/test_client_tolerance.py holds the two together): it raises
APIResponseValidationError on a missing required field, a field of another JSON type (null included)
and a date that is not one; it keeps an undeclared field (`additional_properties`) and an enum value
its spec does not list (a member whose `is_known` is False); an optional field that is missing reads
as UNSET; and it does not check response constraints. So an enum value added to a response, a
response field no longer limited to an enum, and an optional response field gone are not breaking,
and neither is a response `maxLength` that grew; a required response field gone is. A header
parameter upstream no longer declares is not breaking either: a server ignores a header field it
does not know (RFC 9110, section 5.1), so nothing is refused, though what the header asked for may
no longer happen.

Besides the operations, it compares the servers (a changed first server, the generated client's default
base URL, is breaking) and, when upstream declares them, the credentials' prefixes.

Each change carries a `kind` (what sort of change, e.g. "field-gone", named by `Kind`), the `side` it is on
(request or response, for a parameter or schema change), its `subject` (the field, parameter, status or
server it is about) and, for a constraint, its `keyword`, so that a renderer can say what to do about it,
and a record of accepted drift can name it, without reading the sentence.

What it does not do: read files (`load.py`), resolve references (`normalise.py`), or print
(`render.py`). It does not compare headers, links, callbacks, examples or descriptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from spec_drift.normalise import (
    Operation,
    Parameter,
    Schema,
    key_prefixes,
    servers,
    spend_key_operations,
)

Severity = Literal["breaking", "non-breaking"]
Side = Literal["request", "response"]
Kind = Literal[
    "operation-gone",
    "operation-moved",
    "operation-new",
    "security",
    "parameter-gone",
    "parameter-now-required",
    "parameter-no-longer-required",
    "parameter-new",
    "body-gone",
    "body-new",
    "body-now-required",
    "body-no-longer-required",
    "body-schema",
    "success-status",
    "error-status-gone",
    "error-status-new",
    "response-body",
    "type",
    "nullable",
    "not-nullable",
    "enum-limited",
    "enum-unlimited",
    "enum-values-new",
    "enum-values-gone",
    "format",
    "constraint",
    "field-gone",
    "field-now-required",
    "field-no-longer-required",
    "field-new",
    "items",
    "alternatives",
    "base-url",
    "server-new",
    "server-gone",
    "credential",
]

_UPPER_BOUNDS = frozenset({"maxLength", "maximum", "exclusiveMaximum", "maxItems"})
_LOWER_BOUNDS = frozenset({"minLength", "minimum", "exclusiveMinimum", "minItems"})


@dataclass(frozen=True)
class Change:
    """One difference: `location` is a JSON pointer into the upstream spec, or into ours if it says so."""

    severity: Severity
    operation: str | None
    location: str
    message: str
    kind: Kind | None = None
    side: Side | None = None
    subject: str = ""
    # What the spec says of the schema a field change is about (`description`, `default`), for a reader.
    annotations: tuple[tuple[str, Any], ...] = ()
    # The keyword a "constraint" change is about (`pattern`, `minLength`...): a field may carry several.
    keyword: str = ""

    def as_json(self) -> dict[str, str | None]:
        """The change as the `--format json` output writes it."""
        return {
            "severity": self.severity,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
        }


def compare_documents(
    ours: dict[str, Any], upstream: dict[str, Any], same_prefix: str | None = None
) -> list[Change]:
    """Return the changes from `ours` to `upstream` in their spend-key operations, breaking first."""
    our_operations = spend_key_operations(ours, same_prefix)
    their_operations = spend_key_operations(upstream, same_prefix)
    changes: list[Change] = []
    unmatched_theirs = {key: op for key, op in their_operations.items() if key not in our_operations}
    for key, our_op in our_operations.items():
        their_op = their_operations.get(key)
        if their_op is None:
            their_op = _find_moved(our_op, unmatched_theirs)
            if their_op is None:
                changes.append(
                    Change(
                        "breaking",
                        our_op.label,
                        our_op.pointer,
                        f"Operation {our_op.label} is gone upstream (location is in our spec).",
                        "operation-gone",
                        subject=our_op.operation_id or our_op.label,
                    )
                )
                continue
            del unmatched_theirs[their_op.method, their_op.key_path]
            changes.append(
                Change(
                    "breaking",
                    our_op.label,
                    their_op.pointer,
                    f"Operation `{our_op.operation_id}` moved from {our_op.label} to {their_op.label}.",
                    "operation-moved",
                    subject=their_op.label,
                )
            )
        changes.extend(_compare_operation(our_op, their_op))
    changes.extend(
        Change(
            "non-breaking",
            op.label,
            op.pointer,
            f"New operation {op.label} upstream.",
            "operation-new",
            subject=op.operation_id or op.label,
        )
        for op in unmatched_theirs.values()
    )
    changes.extend(_compare_servers(ours, upstream))
    changes.extend(_compare_key_prefixes(ours, upstream))
    return sorted(
        changes, key=lambda change: (change.severity != "breaking", change.operation or "", change.location)
    )


def _compare_servers(ours: dict[str, Any], upstream: dict[str, Any]) -> list[Change]:
    """The first server is a generated client's default base URL; the others are choices a user makes."""
    our_servers, their_servers = servers(ours), servers(upstream)
    if not our_servers or not their_servers:
        # A document that names no server says nothing about where the API is.
        return []
    changes = []
    if our_servers[0].url != their_servers[0].url:
        changes.append(
            Change(
                "breaking",
                None,
                their_servers[0].pointer,
                f"The first server (the default base URL) changed from {our_servers[0].url} "
                f"to {their_servers[0].url}.",
                "base-url",
                subject=their_servers[0].url,
            )
        )
    our_urls, their_urls = {s.url for s in our_servers}, {s.url for s in their_servers}
    changes.extend(
        Change(
            "non-breaking",
            None,
            server.pointer,
            f"New server {server.url}"
            + (f": {server.description.rstrip('.')}." if server.description else "."),
            "server-new",
            subject=server.url,
            annotations=(("description", server.description),),
        )
        for server in their_servers[1:]
        if server.url not in our_urls
    )
    changes.extend(
        Change(
            "non-breaking",
            None,
            server.pointer,
            f"Server {server.url} is gone upstream (location is in our spec).",
            "server-gone",
            subject=server.url,
        )
        for server in our_servers[1:]
        if server.url not in their_urls
    )
    return changes


def _compare_key_prefixes(ours: dict[str, Any], upstream: dict[str, Any]) -> list[Change]:
    """Only a document that declares its credentials' prefixes says which tokens it takes."""
    their_prefixes, at = key_prefixes(upstream)
    our_prefixes, _ = key_prefixes(ours)
    if not their_prefixes or their_prefixes == our_prefixes:
        return []
    described = " or ".join(f"`{prefix}` ({kind})" for kind, prefix in sorted(their_prefixes.items()))
    was = (
        " instead of " + " or ".join(f"`{prefix}` ({kind})" for kind, prefix in sorted(our_prefixes.items()))
        if our_prefixes
        else ""
    )
    return [
        Change(
            "breaking",
            None,
            at,
            f"The credential is a bearer token starting with {described}{was}.",
            "credential",
            subject=", ".join(prefix for _, prefix in sorted(their_prefixes.items())),
            annotations=tuple(sorted(their_prefixes.items())),
        )
    ]


def _find_moved(our_op: Operation, candidates: dict[tuple[str, str], Operation]) -> Operation | None:
    if our_op.operation_id is None:
        return None
    return next((op for op in candidates.values() if op.operation_id == our_op.operation_id), None)


@dataclass
class _Report:
    operation: str
    changes: list[Change] = field(default_factory=list)

    def add(  # noqa: PLR0913 - a change and what a renderer needs to know about it
        self,
        severity: Severity,
        location: str,
        message: str,
        kind: Kind,
        *,
        side: Side | None = None,
        subject: str = "",
        annotations: dict[str, Any] | None = None,
        keyword: str = "",
    ) -> None:
        self.changes.append(
            Change(
                severity,
                self.operation,
                location,
                message,
                kind,
                side,
                subject,
                tuple(sorted((annotations or {}).items())),
                keyword,
            )
        )


def _compare_operation(ours: Operation, theirs: Operation) -> list[Change]:
    report = _Report(ours.label)
    if ours.security != theirs.security:
        report.add(
            "breaking",
            f"{theirs.pointer}/security",
            f"Security changed from {_describe_security(ours.security)} "
            f"to {_describe_security(theirs.security)}.",
            "security",
        )
    _compare_parameters(ours, theirs, report)
    _compare_request_body(ours, theirs, report)
    _compare_responses(ours, theirs, report)
    return report.changes


def _describe_security(security: frozenset[frozenset[str]]) -> str:
    if not security:
        return "none"
    return " or ".join(sorted(" and ".join(sorted(entry)) or "anonymous" for entry in security))


def _parameter_label(parameter: Parameter) -> str:
    return f"Parameter `{parameter.name}` (in {parameter.location})"


def _compare_parameters(ours: Operation, theirs: Operation, report: _Report) -> None:
    for key, our_param in ours.parameters.items():
        their_param = theirs.parameters.get(key)
        label = _parameter_label(our_param)
        if their_param is None:
            # An unknown header is ignored, not refused (RFC 9110, 5.1); an unknown query parameter may be.
            gone: Severity = "non-breaking" if our_param.location == "header" else "breaking"
            ignored = " A server ignores a header it does not know." if our_param.location == "header" else ""
            report.add(
                gone,
                our_param.pointer,
                f"{label} is gone upstream (location is in our spec).{ignored}",
                "parameter-gone",
                side="request",
                subject=our_param.name,
            )
            continue
        if their_param.required and not our_param.required:
            report.add(
                "breaking",
                their_param.pointer,
                f"{label} is now required.",
                "parameter-now-required",
                side="request",
                subject=our_param.name,
            )
        elif our_param.required and not their_param.required:
            report.add(
                "non-breaking",
                their_param.pointer,
                f"{label} is no longer required.",
                "parameter-no-longer-required",
                side="request",
                subject=our_param.name,
            )
        if our_param.schema is not None and their_param.schema is not None:
            where = _Where("request", label, subject=our_param.name)
            _compare_schema(our_param.schema, their_param.schema, where, report)
    for key, their_param in theirs.parameters.items():
        if key not in ours.parameters:
            label = _parameter_label(their_param)
            severity: Severity = "breaking" if their_param.required else "non-breaking"
            kind = "required" if their_param.required else "optional"
            report.add(
                severity,
                their_param.pointer,
                f"New {kind} {_lower_first(label)}.",
                "parameter-new",
                side="request",
                subject=their_param.name,
                annotations=their_param.schema.annotations if their_param.schema else None,
            )


def _compare_request_body(ours: Operation, theirs: Operation, report: _Report) -> None:
    our_body, their_body = ours.request_body, theirs.request_body
    if our_body is None and their_body is None:
        return
    if their_body is None:
        assert our_body is not None
        report.add(
            "breaking",
            our_body.pointer,
            "The request body is gone upstream (location is in our spec).",
            "body-gone",
            side="request",
        )
        return
    if our_body is None:
        severity: Severity = "breaking" if their_body.required else "non-breaking"
        kind = "required" if their_body.required else "optional"
        report.add(severity, their_body.pointer, f"New {kind} request body.", "body-new", side="request")
        return
    if their_body.required and not our_body.required:
        report.add(
            "breaking",
            their_body.pointer,
            "The request body is now required.",
            "body-now-required",
            side="request",
        )
    elif our_body.required and not their_body.required:
        report.add(
            "non-breaking",
            their_body.pointer,
            "The request body is no longer required.",
            "body-no-longer-required",
            side="request",
        )
    if our_body.schema is not None and their_body.schema is None:
        report.add(
            "breaking",
            their_body.pointer,
            "The request body no longer has a JSON schema.",
            "body-schema",
            side="request",
        )
    elif our_body.schema is None and their_body.schema is not None:
        report.add(
            "breaking",
            their_body.pointer,
            "The request body now has a JSON schema.",
            "body-schema",
            side="request",
        )
    elif our_body.schema is not None and their_body.schema is not None:
        _compare_schema(our_body.schema, their_body.schema, _Where("request", "Request body"), report)


def _is_success(status: str) -> bool:
    return status.startswith("2")


def _compare_responses(ours: Operation, theirs: Operation, report: _Report) -> None:
    _compare_success_statuses(ours, theirs, report)
    for status, response in ours.responses.items():
        if not _is_success(status) and status not in theirs.responses:
            report.add(
                "non-breaking",
                response.pointer,
                f"Error status {status} is no longer documented upstream (location is in our spec).",
                "error-status-gone",
                side="response",
                subject=status,
            )
    for status, response in theirs.responses.items():
        if not _is_success(status) and status not in ours.responses:
            report.add(
                "non-breaking",
                response.pointer,
                f"New error status {status}.",
                "error-status-new",
                side="response",
                subject=status,
            )
    for status, our_response in ours.responses.items():
        their_response = theirs.responses.get(status)
        if their_response is None:
            continue
        if our_response.schema is not None and their_response.schema is None:
            report.add(
                "breaking",
                their_response.pointer,
                f"Response {status} no longer has a JSON body.",
                "response-body",
                side="response",
                subject=status,
            )
        elif our_response.schema is None and their_response.schema is not None:
            report.add(
                "non-breaking",
                their_response.pointer,
                f"Response {status} now has a JSON body.",
                "response-body",
                side="response",
                subject=status,
            )
        elif our_response.schema is not None and their_response.schema is not None:
            where = _Where("response", "Response body", f" of {status}")
            _compare_schema(our_response.schema, their_response.schema, where, report)


def _compare_success_statuses(ours: Operation, theirs: Operation, report: _Report) -> None:
    """A client generated from our spec parses only the success statuses it knows."""
    our_success = sorted(status for status in ours.responses if _is_success(status))
    their_success = sorted(status for status in theirs.responses if _is_success(status))
    gone = [status for status in our_success if status not in theirs.responses]
    new = [status for status in their_success if status not in ours.responses]
    if len(gone) == 1 and len(new) == 1:
        report.add(
            "breaking",
            theirs.responses[new[0]].pointer,
            f"Success status {gone[0]} changed to {new[0]}.",
            "success-status",
            side="response",
            subject=new[0],
        )
    else:
        for status in gone:
            report.add(
                "breaking",
                ours.responses[status].pointer,
                f"Success status {status} is gone upstream (location is in our spec).",
                "success-status",
                side="response",
                subject=status,
            )
        for status in new:
            report.add(
                "breaking",
                theirs.responses[status].pointer,
                f"New success status {status}.",
                "success-status",
                side="response",
                subject=status,
            )


@dataclass(frozen=True)
class _Where:
    """Where in an operation a schema sits, to name it in a sentence."""

    side: Side
    root: str
    suffix: str = ""
    field: str = ""
    # What a change here is about when it is about no field: the parameter's name, or "" for a body.
    subject: str = ""

    def child(self, name: str) -> _Where:
        joined = f"{self.field}{name}" if name == "[]" else f"{self.field}.{name}" if self.field else name
        return _Where(self.side, self.root, self.suffix, joined, self.subject)

    def add(  # noqa: PLR0913, PLR0917 - a change, and the schema it is about
        self,
        report: _Report,
        severity: Severity,
        location: str,
        message: str,
        kind: Kind,
        schema: Schema,
        keyword: str = "",
    ) -> None:
        """Add a change about the schema here: its field (or parameter), side and annotations."""
        report.add(
            severity,
            location,
            message,
            kind,
            side=self.side,
            subject=self.field or self.subject,
            annotations={**schema.annotations, **({"enum": schema.enum} if schema.enum else {})},
            keyword=keyword,
        )

    @property
    def label(self) -> str:
        if not self.field:
            return f"{self.root}{self.suffix}"
        word = "Request" if self.side == "request" else "Response"
        if self.root.startswith("Parameter"):
            return f"{self.root}, field `{self.field}`"
        return f"{word} field `{self.field}`{self.suffix}"


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:]


def _compare_schema(ours: Schema, theirs: Schema, where: _Where, report: _Report) -> None:  # noqa: C901, PLR0912
    if ours.cycle or theirs.cycle:
        return
    if not _compare_types(ours, theirs, where, report):
        return
    _compare_nullable(ours, theirs, where, report)
    _compare_enum(ours, theirs, where, report)
    side, label = where.side, where.label
    if ours.format != theirs.format:
        loosened = theirs.format is None if side == "request" else ours.format is None
        where.add(
            report,
            "non-breaking" if loosened else "breaking",
            theirs.origins.get("format", theirs.pointer),
            f"{label}: format changed from {ours.format or 'none'} to {theirs.format or 'none'}.",
            "format",
            theirs,
        )
    _compare_constraints(ours, theirs, where, report)
    for name, our_child in ours.properties.items():
        child = where.child(name)
        if name not in theirs.properties:
            # A response field our client reads as optional is UNSET when it is missing; a required one
            # raises. A request field upstream no longer knows may be refused.
            gone_is_breaking = side == "request" or name in ours.required
            child.add(
                report,
                "breaking" if gone_is_breaking else "non-breaking",
                ours.property_at[name],
                f"{child.label} is gone upstream (location is in our spec).",
                "field-gone",
                our_child,
            )
            continue
        our_required, their_required = name in ours.required, name in theirs.required
        at = theirs.property_at[name]
        their_child = theirs.properties[name]
        if our_required and not their_required:
            severity: Severity = "breaking" if side == "response" else "non-breaking"
            child.add(
                report,
                severity,
                at,
                f"{child.label} is no longer required.",
                "field-no-longer-required",
                their_child,
            )
        elif their_required and not our_required:
            severity = "breaking" if side == "request" else "non-breaking"
            child.add(
                report, severity, at, f"{child.label} is now required.", "field-now-required", their_child
            )
        _compare_schema(our_child, their_child, child, report)
    for name, their_child in theirs.properties.items():
        if name not in ours.properties:
            child = where.child(name)
            required = name in theirs.required
            severity = "breaking" if side == "request" and required else "non-breaking"
            kind = "required" if required else "optional"
            child.add(
                report,
                severity,
                theirs.property_at[name],
                f"New {kind} {_lower_first(child.label)}.",
                "field-new",
                their_child,
            )
    if ours.items is not None and theirs.items is not None:
        _compare_schema(ours.items, theirs.items, where.child("[]") if where.field else where, report)
    elif (ours.items is None) != (theirs.items is None):
        where.add(
            report, "breaking", theirs.pointer, f"{label}: the schema of its items changed.", "items", theirs
        )
    if len(ours.variants) != len(theirs.variants):
        where.add(
            report,
            "breaking",
            theirs.pointer,
            f"{label}: the number of alternatives (anyOf/oneOf) changed from "
            f"{len(ours.variants)} to {len(theirs.variants)}.",
            "alternatives",
            theirs,
        )
    else:
        for index, (our_variant, their_variant) in enumerate(
            zip(ours.variants, theirs.variants, strict=True)
        ):
            _compare_schema(our_variant, their_variant, where.child(f"(alternative {index + 1})"), report)


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(name in wide or (name == "integer" and "number" in wide) for name in narrow)


def _compare_types(ours: Schema, theirs: Schema, where: _Where, report: _Report) -> bool:
    """Report a type change; return whether the rest of the schema is worth comparing."""
    if ours.types == theirs.types:
        return True
    side = where.side
    widened = _covers(theirs.types, ours.types) if side == "request" else _covers(ours.types, theirs.types)
    where.add(
        report,
        "non-breaking" if widened else "breaking",
        theirs.origins.get("type", theirs.pointer),
        f"{where.label} changed type from {_describe_types(ours)} to {_describe_types(theirs)}.",
        "type",
        theirs,
    )
    return False


def _describe_types(schema: Schema) -> str:
    if schema.types is not None:
        return " or ".join(sorted(schema.types))
    if schema.variants:
        return "one of " + ", ".join(_describe_types(variant) for variant in schema.variants)
    return "any"


def _compare_nullable(ours: Schema, theirs: Schema, where: _Where, report: _Report) -> None:
    if ours.nullable == theirs.nullable:
        return
    location = theirs.origins.get("nullable", theirs.pointer)
    side, label = where.side, where.label
    if theirs.nullable:
        severity: Severity = "breaking" if side == "response" else "non-breaking"
        where.add(report, severity, location, f"{label} can now be null.", "nullable", theirs)
    else:
        severity = "breaking" if side == "request" else "non-breaking"
        where.add(report, severity, location, f"{label} can no longer be null.", "not-nullable", theirs)


def _compare_enum(ours: Schema, theirs: Schema, where: _Where, report: _Report) -> None:
    if ours.enum == theirs.enum:
        return
    location = theirs.origins.get("enum", theirs.pointer)
    side, label = where.side, where.label
    if ours.enum is None:
        severity: Severity = "breaking" if side == "request" else "non-breaking"
        where.add(
            report,
            severity,
            location,
            f"{label} is now limited to the values {_values(theirs.enum)}.",
            "enum-limited",
            theirs,
        )
        return
    # A response value outside our enum is kept by the client (is_known False), not refused: no longer
    # limited, or new values, break nothing a user's code can call; a user's match may want a new case.
    if theirs.enum is None:
        where.add(
            report,
            "non-breaking",
            location,
            f"{label} is no longer limited to the values {_values(ours.enum)}.",
            "enum-unlimited",
            theirs,
        )
        return
    added = tuple(value for value in theirs.enum if value not in ours.enum)
    removed = tuple(value for value in ours.enum if value not in theirs.enum)
    if added:
        where.add(
            report,
            "non-breaking",
            location,
            f"{label} has new enum values {_values(added)}.",
            "enum-values-new",
            theirs,
        )
    if removed:
        severity = "breaking" if side == "request" else "non-breaking"
        where.add(
            report,
            severity,
            location,
            f"{label} lost the enum values {_values(removed)}.",
            "enum-values-gone",
            theirs,
        )


def _values(values: tuple[str, ...] | None) -> str:
    return ", ".join(f"`{value}`" for value in values or ())


def _compare_constraints(ours: Schema, theirs: Schema, where: _Where, report: _Report) -> None:
    side, label = where.side, where.label
    for keyword in sorted(set(ours.constraints) | set(theirs.constraints)):
        old, new = ours.constraints.get(keyword), theirs.constraints.get(keyword)
        if old == new:
            continue
        tightened = _tightens(keyword, old, new)
        severity: Severity = "breaking" if side == "request" and tightened else "non-breaking"
        location = theirs.origins.get(keyword, theirs.pointer)
        if new is None:
            message = f"{label}: {keyword} {json.dumps(old)} is gone upstream."
        elif old is None:
            message = f"{label}: new {keyword} {json.dumps(new)}."
        else:
            message = f"{label}: {keyword} changed from {json.dumps(old)} to {json.dumps(new)}."
        where.add(report, severity, location, message, "constraint", theirs, keyword)


def _tightens(keyword: str, old: object, new: object) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if isinstance(old, int | float) and isinstance(new, int | float):
        if keyword in _UPPER_BOUNDS:
            return new < old
        if keyword in _LOWER_BOUNDS:
            return new > old
    # pattern, multipleOf, uniqueItems: any other value may refuse what the old one accepted.
    return True
