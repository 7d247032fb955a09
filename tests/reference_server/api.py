"""A test client for the reference server that checks every answer against the spec.

Shared by the reference server's tests (`tests/reference_server/test_*.py`): the paths, the throwaway
tokens, and `Api`, whose every answer `checked` validates against the spec's schema for its
operation and status, so that a behaviour test doubles as a conformance test. `checked` is for
the management API only; the simulated proxy is not in the spec.
"""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema_rs
import yaml
from starlette.exceptions import StarletteDeprecationWarning

from contract_tests.reference_server import DEFAULT_DEV_TOKEN
from lava_spec import SPEC_PATH as DEFAULT_SPEC_PATH

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
    "SPEC",
    "TOKEN_A",
    "TOKEN_A2",
    "TOKEN_B",
    "Api",
    "TestClient",
    "bearer",
    "checked",
    "error_of",
    "item",
    "rotate_path",
    "spec_problems",
]

COLLECTION = "/v1/manage/spend_keys"
PROXY = "/v1/chat/completions"
# Tokens of throwaway in-process apps; they open nothing.
TOKEN_A = "token_for_wallet_a"  # noqa: S105
TOKEN_A2 = "second_token_for_wallet_a"  # noqa: S105
TOKEN_B = "token_for_wallet_b"  # noqa: S105
AUTH = {"Authorization": f"Bearer {DEFAULT_DEV_TOKEN}"}
AUTH_A = {"Authorization": f"Bearer {TOKEN_A}"}
AUTH_B = {"Authorization": f"Bearer {TOKEN_B}"}
JSON = {"Content-Type": "application/json"}


def item(spend_key_id: str) -> str:
    return f"{COLLECTION}/{quote(spend_key_id, safe='')}"


def rotate_path(spend_key_id: str) -> str:
    return f"{item(spend_key_id)}/rotate"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]  # type: ignore[no-any-return]


# --- the spec's response schemas, to check every body against --------------------------------------

SPEC = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))


def _validator(name: str) -> jsonschema_rs.Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


RESPONSE_SCHEMAS = {
    name: _validator(name)
    for name in ("SpendKey", "SpendKeyWithSecret", "SpendKeyList", "RevokeResult", "Error")
}
# (method, path template) -> status -> schema name, as the spec declares them.
OPERATIONS = {
    ("POST", "collection"): {201: "SpendKeyWithSecret"},
    ("GET", "collection"): {200: "SpendKeyList"},
    ("GET", "item"): {200: "SpendKey"},
    ("PUT", "item"): {200: "SpendKey"},
    ("DELETE", "item"): {200: "RevokeResult"},
    ("POST", "rotate"): {200: "SpendKeyWithSecret"},
}


def _template(path: str) -> str:
    parts = path.split("?", maxsplit=1)[0].split("/")
    if len(parts) == 4:
        return "collection"
    return "rotate" if len(parts) == 6 and parts[5] == "rotate" else "item"


def spec_problems(response: httpx.Response) -> list[str]:
    """Return how the response breaks the spec for its operation and status (empty if it does not)."""
    if response.headers.get("content-type") != "application/json":
        return [f"content-type is {response.headers.get('content-type')!r}"]
    method = response.request.method
    schema = OPERATIONS.get((method, _template(response.request.url.path)), {}).get(response.status_code)
    if response.status_code >= 400:
        schema = "Error"
    if schema is None:
        return [f"{method} {response.request.url.path} answered {response.status_code}"]
    try:
        body = response.json()
    except ValueError:
        return ["the body is not JSON"]
    problems = [error.message for error in RESPONSE_SCHEMAS[schema].iter_errors(body)]
    if schema == "Error" and not problems and body["error"]["status"] != response.status_code:
        problems.append("error.status differs from the status code")
    return problems


def checked(response: httpx.Response) -> httpx.Response:
    """Assert that the response is JSON and valid against the spec's schema for its status."""
    problems = spec_problems(response)
    assert not problems, problems
    return response


class Api:
    """A test client that checks every answer against the spec (unless `check` is False)."""

    def __init__(self, client: TestClient, headers: dict[str, str], *, check: bool = True) -> None:
        self.client = client
        self.headers = headers
        self.check = check

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        return checked(response) if self.check else response

    def create(self, body: object = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", COLLECTION, json={"name": "key"} if body is None else body, **kwargs)

    def created(self, body: object = None, **kwargs: Any) -> dict[str, Any]:
        response = self.create(body, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def list_page(self, **params: str) -> httpx.Response:
        return self.request("GET", COLLECTION, params=params)

    def ids(self, **params: str) -> list[str]:
        response = self.list_page(**params)
        assert response.status_code == 200, response.text
        return [spend_key["spend_key_id"] for spend_key in response.json()["data"]]

    def all_ids(self) -> list[str]:
        return self.ids(limit="100")

    def get(self, spend_key_id: str) -> httpx.Response:
        return self.request("GET", item(spend_key_id))

    def update(self, spend_key_id: str, body: object, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", item(spend_key_id), json=body, **kwargs)

    def revoke(self, spend_key_id: str) -> httpx.Response:
        return self.request("DELETE", item(spend_key_id))

    def rotate(self, spend_key_id: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", rotate_path(spend_key_id), **kwargs)

    def proxy(self, raw_key: str | None, **kwargs: Any) -> httpx.Response:
        """Call the simulated proxy with a raw spend key (not checked: the proxy is not in the spec)."""
        headers = {} if raw_key is None else bearer(raw_key)
        response: httpx.Response = self.client.post(
            PROXY, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
        )
        return response
