"""The spec's response schemas, for checking every answer the generated client receives.

Schemathesis checks response shapes for the requests it makes; the generated client does not check them
at all (its models take `0` where the spec says the string `"0"`). `ResponseSchemas` reads
openapi/lava.yaml itself and validates a decoded body against the schema the spec declares for that
operation and status, so that a shape fault is named by the first test that meets it.

It does not decide which statuses are allowed (a status the spec does not declare is the caller's to
report) and knows nothing of the reference server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi" / "lava.yaml"
_METHODS = ("get", "put", "post", "delete", "patch")


class ResponseSchemas:
    """Validators for each (operationId, status) the spec declares a JSON body for."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        spec: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        self._components = spec.get("components", {})
        self._schemas: dict[tuple[str, int], dict[str, Any]] = {}
        # operationId -> "METHOD /path", the label schemathesis uses too.
        self.labels: dict[str, str] = {}
        for path, path_item in spec.get("paths", {}).items():
            for method in _METHODS:
                operation = path_item.get(method)
                if not operation:
                    continue
                self.labels[operation["operationId"]] = f"{method.upper()} {path}"
                for status, response in operation.get("responses", {}).items():
                    resolved = self._resolve(response)
                    schema = resolved.get("content", {}).get("application/json", {}).get("schema")
                    if schema is not None and status.isdigit():
                        self._schemas[operation["operationId"], int(status)] = schema
        self._validators: dict[tuple[str, int], jsonschema_rs.Validator] = {}

    def __repr__(self) -> str:
        return f"ResponseSchemas(<{len(self._schemas)} responses>)"

    def spend_key_fields(self) -> frozenset[str]:
        """Every property the spec declares for a spend key, the raw `key` included."""
        fields: set[str] = set()

        def collect(schema: dict[str, Any]) -> None:
            schema = self._resolve(schema)
            fields.update(schema.get("properties", {}))
            for part in schema.get("allOf", []):
                collect(part)

        schemas = self._components.get("schemas", {})
        for name in ("SpendKey", "SpendKeyWithSecret"):
            if name in schemas:
                collect(schemas[name])
        return frozenset(fields)

    def declares(self, operation_id: str, status: int) -> bool:
        """Whether the spec declares a JSON body for this operation and status."""
        return (operation_id, status) in self._schemas

    def problems(self, operation_id: str, status: int, body: object) -> list[str]:
        """What is wrong with `body` as the answer `status` of `operation_id` (empty: nothing)."""
        key = (operation_id, status)
        if key not in self._schemas:
            return []
        validator = self._validators.get(key)
        if validator is None:
            root = {**self._schemas[key], "components": self._components}
            validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
            self._validators[key] = validator
        return [f"{error.instance_path or '/'}: {error.message}" for error in validator.iter_errors(body)][:5]

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        reference = node.get("$ref")
        if not isinstance(reference, str):
            return node
        target: Any = {"components": self._components}
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
        return self._resolve(target)


@cache
def spec_response_schemas() -> ResponseSchemas:
    """The repository's spec, loaded once per process."""
    return ResponseSchemas()
