"""The generated client as the contract suite drives it: every call observed, every key cleaned up.

`SpendKeyApi` calls the six operations through `lava_client` (so the suite exercises the client our users
import) and checks, on every response it sees, the invariants the docs promise for *all* responses:
`current_requests` is never negative, and a raw key never appears outside the create and rotate responses
that reveal it. It remembers the ids it created so that a test run can revoke them at the end.

It does not decide what a test expects of a particular call: tests assert on the responses it returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
from lava_client import AuthenticatedClient
from lava_client.api.spend_keys import (
    create_spend_key,
    get_spend_key,
    list_spend_keys,
    revoke_spend_key,
    rotate_spend_key,
    update_spend_key,
)
from lava_client.models import (
    Error,
    RevokeResult,
    SpendKey,
    SpendKeyCreate,
    SpendKeyList,
    SpendKeyUpdate,
    SpendKeyWithSecret,
)
from lava_client.types import UNSET, Response

from contract_tests.redaction import Redactor
from contract_tests.spend_key_json import spend_key_objects
from contract_tests.target import Target

PAGE_SIZE = 100
REQUEST_TIMEOUT_SECONDS = 30.0
Parsed = TypeVar("Parsed")


class ContractViolation(AssertionError):  # noqa: N818 - reads as what it is in a test report
    """A response broke an invariant that holds for every response."""


def expect(response: Response[Any], status: int, model: type[Parsed]) -> Parsed:
    """The parsed body of `response`, which must have `status` and parse as `model`."""
    if response.status_code != status:
        raise ContractViolation(
            f"expected {status} with a {model.__name__}, got {response.status_code.value}"
        )
    if not isinstance(response.parsed, model):
        raise ContractViolation(f"a {status} answer did not parse as a {model.__name__}")
    return response.parsed


class SpendKeyApi:
    """The six spend-key operations through the generated client, with invariant checks on every answer."""

    def __init__(self, target: Target, redactor: Redactor) -> None:
        self._client = AuthenticatedClient(
            base_url=target.base_url, token=target.token, timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS)
        )
        self._redactor = redactor
        self._raw_keys: set[str] = set()
        self.created_ids: list[str] = []

    def __repr__(self) -> str:
        return f"SpendKeyApi(<{len(self.created_ids)} keys created>)"

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._client.get_httpx_client().close()

    # The operations -----------------------------------------------------------------------------------

    def create(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """POST /manage/spend_keys with `body` sent as the client serialises it."""
        response = create_spend_key.sync_detailed(
            client=self._client,
            body=SpendKeyCreate.from_dict(body),
            idempotency_key=UNSET if idempotency_key is None else idempotency_key,
        )
        payload = self._observe("create_spend_key", response, reveals_key=True)
        if response.status_code // 100 == 2 and isinstance(payload, dict):
            self.created_ids.append(str(payload["spend_key_id"]))
        return response

    def get(self, spend_key_id: str) -> Response[Error | SpendKey]:
        """GET /manage/spend_keys/{id}."""
        response = get_spend_key.sync_detailed(spend_key_id, client=self._client)
        self._observe("get_spend_key", response, reveals_key=False)
        return response

    def update(self, spend_key_id: str, body: dict[str, Any]) -> Response[Error | SpendKey]:
        """PUT /manage/spend_keys/{id} with the fields in `body` (a `None` limit removes it)."""
        response = update_spend_key.sync_detailed(
            spend_key_id, client=self._client, body=SpendKeyUpdate.from_dict(body)
        )
        self._observe("update_spend_key", response, reveals_key=False)
        return response

    def rotate(
        self, spend_key_id: str, idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """POST /manage/spend_keys/{id}/rotate."""
        response = rotate_spend_key.sync_detailed(
            spend_key_id,
            client=self._client,
            idempotency_key=UNSET if idempotency_key is None else idempotency_key,
        )
        self._observe("rotate_spend_key", response, reveals_key=True)
        return response

    def revoke(self, spend_key_id: str) -> Response[Error | RevokeResult]:
        """DELETE /manage/spend_keys/{id}."""
        response = revoke_spend_key.sync_detailed(spend_key_id, client=self._client)
        self._observe("revoke_spend_key", response, reveals_key=False)
        return response

    def list_page(self, cursor: str | None = None, limit: int = PAGE_SIZE) -> Response[Error | SpendKeyList]:
        """GET /manage/spend_keys, one page."""
        response = list_spend_keys.sync_detailed(
            client=self._client, cursor=UNSET if cursor is None else cursor, limit=limit
        )
        self._observe("list_spend_keys", response, reveals_key=False)
        return response

    def iter_all(self) -> Iterator[SpendKey]:
        """Every spend key visible to the token, across all pages."""
        cursor: str | None = None
        while True:
            page = expect(self.list_page(cursor), 200, SpendKeyList)
            yield from page.data
            if not page.has_more:
                return
            if not isinstance(page.next_cursor, str) or page.next_cursor == cursor:
                raise ContractViolation("list_spend_keys has_more=true without a new next_cursor")
            cursor = page.next_cursor

    def count(self) -> int:
        """How many spend keys the token can see."""
        return sum(1 for _ in self.iter_all())

    def cleanup(self) -> list[str]:
        """Revoke every key this session created; return the ids that could not be revoked."""
        failed = []
        for spend_key_id in self.created_ids:
            status = self.revoke(spend_key_id).status_code
            if status not in (200, 404):
                failed.append(spend_key_id)
        self.created_ids.clear()
        return failed

    # The invariants -----------------------------------------------------------------------------------

    def _observe(self, operation: str, response: Response[Any], *, reveals_key: bool) -> object:
        try:
            payload: object = json.loads(response.content)
        except ValueError:
            return None
        self._check_counters(operation, payload)
        if reveals_key and response.status_code // 100 == 2 and isinstance(payload, dict):
            raw_key = payload.get("key")
            if isinstance(raw_key, str):
                self._raw_keys.add(raw_key)
                self._redactor.add(raw_key)
        elif not reveals_key:
            self._check_no_raw_key(operation, response.content, payload)
        return payload

    def _check_counters(self, operation: str, payload: object) -> None:
        for spend_key in spend_key_objects(payload):
            requests = spend_key.get("current_requests")
            if isinstance(requests, int) and requests < 0:
                raise ContractViolation(f"{operation} returned current_requests={requests}, below 0")

    def _check_no_raw_key(self, operation: str, content: bytes, payload: object) -> None:
        for spend_key in spend_key_objects(payload):
            if "key" in spend_key:
                raise ContractViolation(f"{operation} returned a `key` field; only create and rotate may")
        text = content.decode("utf-8", errors="replace")
        if any(raw_key in text for raw_key in self._raw_keys):
            raise ContractViolation(f"{operation} returned a raw key that an earlier response revealed")
