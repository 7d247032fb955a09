"""A test client for the reference server that checks every answer against the spec.

Shared by the reference server's tests (`tests/reference_server/test_*.py`): the paths (built by
lava_spec from the spec, never written by hand), the throwaway tokens, and `Api`, whose every
answer `checked` validates against the spec's schema for its operation and status (as lava_spec
reads them), so that a behaviour test doubles as a conformance test. `checked` is for the
management API only; the simulated proxy is not in the spec. An `Api` over a changed spec checks
against that spec (`Api(client, headers, spec=load_spec(copy))`).
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import jsonschema_rs
from starlette.exceptions import StarletteDeprecationWarning

from contract_tests.reference_server import DEFAULT_DEV_TOKEN
from lava_spec import Spec, load_spec

# Starlette warns once, on import, that its test client prefers httpx2; httpx is what the project has.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = [
    "AUTH",
    "AUTH_A",
    "AUTH_B",
    "COLLECTION",
    "JSON",
    "PROXY",
    "RELATIVE_COLLECTION",
    "SPEC",
    "TOKEN_A",
    "TOKEN_A2",
    "TOKEN_B",
    "Api",
    "Paths",
    "TestClient",
    "bearer",
    "checked",
    "error_of",
    "item",
    "rotate_path",
    "spec_problems",
]

SPEC = load_spec()
# Tokens of throwaway in-process apps; they open nothing.
TOKEN_A = "token_for_wallet_a"  # noqa: S105
TOKEN_A2 = "second_token_for_wallet_a"  # noqa: S105
TOKEN_B = "token_for_wallet_b"  # noqa: S105
AUTH = {"Authorization": f"Bearer {DEFAULT_DEV_TOKEN}"}
AUTH_A = {"Authorization": f"Bearer {TOKEN_A}"}
AUTH_B = {"Authorization": f"Bearer {TOKEN_B}"}
JSON = {"Content-Type": "application/json"}


class Paths:
    """The full paths of a spec's operations (the server path, `/v1`, included), built by lava_spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.collection = self.of("list_spend_keys")
        # Outside the spec: the simulated proxy, under the spec's server path.
        self.proxy = f"{spec.base_path}/chat/completions"

    def of(self, operation_id: str, **parameters: str) -> str:
        operation = self.spec.operation(operation_id)
        return f"{self.spec.base_path}{operation.path_for(**parameters)}"

    def item(self, spend_key_id: str) -> str:
        return self._of_key("get_spend_key", spend_key_id)

    def rotate(self, spend_key_id: str) -> str:
        return self._of_key("rotate_spend_key", spend_key_id)

    def _of_key(self, operation_id: str, spend_key_id: str) -> str:
        # The path's one parameter is the key's id, whatever the spec calls it.
        names = self.spec.operation(operation_id).path_parameters
        return self.of(operation_id, **dict.fromkeys(names, spend_key_id))


PATHS = Paths(SPEC)
COLLECTION = PATHS.collection
# The collection's path relative to the server URL (`http://host:port/v1`), for clients built on one.
RELATIVE_COLLECTION = SPEC.operation("list_spend_keys").path
PROXY = PATHS.proxy


def item(spend_key_id: str) -> str:
    return PATHS.item(spend_key_id)


def rotate_path(spend_key_id: str) -> str:
    return PATHS.rotate(spend_key_id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]  # type: ignore[no-any-return]


# --- the spec's response schemas, to check every body against --------------------------------------

_ERROR_VALIDATORS: dict[Spec, jsonschema_rs.Validator] = {}


def _error_validator(spec: Spec) -> jsonschema_rs.Validator:
    # An answer no operation documents (a 404 for an unknown path, a 405) is still the error envelope.
    if spec not in _ERROR_VALIDATORS:
        _ERROR_VALIDATORS[spec] = spec.validator("Error")
    return _ERROR_VALIDATORS[spec]


def spec_problems(response: httpx.Response, spec: Spec = SPEC) -> list[str]:
    """Return how the response breaks the spec for its operation and status (empty if it does not)."""
    if response.headers.get("content-type") != "application/json":
        return [f"content-type is {response.headers.get('content-type')!r}"]
    method, path, status = response.request.method, response.request.url.raw_path, response.status_code
    where = f"{method} {response.request.url.path}"
    try:
        body = response.json()
    except ValueError:
        return ["the body is not JSON"]
    operation = spec.router().operation_of(method, path.split(b"?", maxsplit=1)[0])
    if operation is not None and status in operation.responses:
        problems = spec.response_problems(operation.operation_id, status, body, limit=100)
    elif status >= 400:
        problems = [error.message for error in _error_validator(spec).iter_errors(body)]
    else:
        return [f"{where} answered {status}, which the spec does not document"]
    if status >= 400 and not problems and body["error"]["status"] != status:
        problems.append("error.status differs from the status code")
    return problems


def checked(response: httpx.Response, spec: Spec = SPEC) -> httpx.Response:
    """Assert that the response is JSON and valid against the spec's schema for its status."""
    problems = spec_problems(response, spec)
    assert not problems, problems
    return response


class Api:
    """A test client that checks every answer against the spec (unless `check` is False)."""

    def __init__(
        self, client: TestClient, headers: dict[str, str], *, check: bool = True, spec: Spec = SPEC
    ) -> None:
        self.client = client
        self.headers = headers
        self.check = check
        self.spec = spec
        self.paths = PATHS if spec is SPEC else Paths(spec)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        return checked(response, self.spec) if self.check else response

    def create(self, body: object = None, **kwargs: Any) -> httpx.Response:
        return self.request(
            "POST", self.paths.collection, json={"name": "key"} if body is None else body, **kwargs
        )

    def created(self, body: object = None, **kwargs: Any) -> dict[str, Any]:
        response = self.create(body, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def list_page(self, **params: str) -> httpx.Response:
        return self.request("GET", self.paths.collection, params=params)

    def ids(self, **params: str) -> list[str]:
        response = self.list_page(**params)
        assert response.status_code == 200, response.text
        return [spend_key["spend_key_id"] for spend_key in response.json()["data"]]

    def all_ids(self) -> list[str]:
        # The largest page the spec allows (100 in ours).
        return self.ids(
            limit=str(self.spec.operation("list_spend_keys").parameter("limit").constraints.highest)
        )

    def get(self, spend_key_id: str) -> httpx.Response:
        return self.request("GET", self.paths.item(spend_key_id))

    def update(self, spend_key_id: str, body: object, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", self.paths.item(spend_key_id), json=body, **kwargs)

    def revoke(self, spend_key_id: str) -> httpx.Response:
        return self.request("DELETE", self.paths.item(spend_key_id))

    def rotate(self, spend_key_id: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", self.paths.rotate(spend_key_id), **kwargs)

    def proxy(self, raw_key: str | None, **kwargs: Any) -> httpx.Response:
        """Call the simulated proxy with a raw spend key (not checked: the proxy is not in the spec)."""
        headers = {} if raw_key is None else bearer(raw_key)
        response: httpx.Response = self.client.post(
            self.paths.proxy, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
        )
        return response
