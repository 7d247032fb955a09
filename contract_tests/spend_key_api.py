"""The generated client as the contract suite drives it: every call observed, every key cleaned up.

`SpendKeyApi` calls the six operations through `lava_client` (so the suite exercises the client our users
import) and checks, on every response it sees, the invariants the docs promise for *all* responses:
`current_requests` is never negative, and a raw key never appears outside the create and rotate responses
that reveal it. It remembers the ids it created so that a test run can revoke them at the end.

It does not decide what a test expects of a particular call: tests assert on the responses it returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from lava_client import APIResponseValidationError, AuthenticatedClient
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

from contract_tests.response_schemas import spec_response_schemas
from contract_tests.run import NOT_OURS_ID, RunContext
from contract_tests.spend_key_json import spend_key_objects
from contract_tests.target import Target
from contract_tests.traffic import SLOW_OK, TrafficTransport

PAGE_SIZE = 100
# Far more pages than any wallet under test holds; a list still going after this many does not end.
MAX_LIST_PAGES = 1000
REQUEST_TIMEOUT_SECONDS = 30.0
Parsed = TypeVar("Parsed")


@dataclass(frozen=True)
class Cleanup:
    """What cleanup left: the ids of this run's keys that may still exist, and what went wrong."""

    left: tuple[str, ...]
    problems: tuple[str, ...]
    # Whether a list after the revokes confirmed `left` (False: `left` is what the run could not rule out).
    verified: bool


class ContractViolation(AssertionError):  # noqa: N818 - reads as what it is in a test report
    """A response broke an invariant that holds for every response."""


def expect(response: Response[Any], status: int, model: type[Parsed]) -> Parsed:
    """The parsed body of `response`, which must have `status` and parse as `model`."""
    if response.status_code != status:
        raise ContractViolation(f"expected {status} with a {model.__name__}, got {int(response.status_code)}")
    if not isinstance(response.parsed, model):
        raise ContractViolation(f"a {status} answer did not parse as a {model.__name__}")
    return response.parsed


class SpendKeyApi:
    """The six spend-key operations through the generated client, with invariant checks on every answer."""

    def __init__(self, target: Target, run: RunContext) -> None:
        self._client = AuthenticatedClient(
            base_url=target.base_url,
            token=target.token,
            timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS),
            # The suite judges every answer the server gives, so the client must not retry one away;
            # pacing and waiting out 429s is the traffic layer's job (traffic.py), also for schemathesis.
            max_retries=0,
            httpx_args={"transport": TrafficTransport(run.traffic)},
        )
        self._redactor = run.redactor
        self._ownership = run.ownership
        self._drift = run.drift
        self._report = run.report
        self._proxy_url = target.proxy_url
        self._schemas = spec_response_schemas()
        self._raw_keys: set[str] = set()
        self.created_ids: list[str] = []

    def __repr__(self) -> str:
        return f"SpendKeyApi(<{len(self.created_ids)} keys created>)"

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._client.get_httpx_client().close()

    # The operations -----------------------------------------------------------------------------------

    @staticmethod
    def _call(operation: str, call: Callable[[], Response[Parsed]]) -> Response[Parsed]:
        try:
            return call()
        except APIResponseValidationError as error:
            # The client could not read a success body (not JSON, a required field missing, a wrong type):
            # the answer broke the response schema. An enum value outside the spec is read (the client
            # keeps it), so _observe's schema validation is what flags that one.
            raise ContractViolation(
                f"{operation} answered a body the spec's schema does not allow ({error})"
            ) from None

    def create(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """POST /manage/spend_keys with `body` sent as the client serialises it."""
        request = SpendKeyCreate.from_dict(body)
        response = self._call(
            "create_spend_key",
            lambda: create_spend_key.sync_detailed(
                client=self._client,
                body=request,
                idempotency_key=UNSET if idempotency_key is None else idempotency_key,
            ),
        )
        payload = self._observe("create_spend_key", response, reveals_key=True)
        if response.status_code // 100 == 2 and isinstance(payload, dict):
            self._created(str(payload["spend_key_id"]))
        return response

    def _created(self, spend_key_id: str) -> None:
        self.created_ids.append(spend_key_id)
        self._ownership.add(spend_key_id)

    def _owned(self, spend_key_id: str, action: str) -> str:
        if not self._ownership.owns(spend_key_id):
            # Only keys this run created are ever changed: on a shared wallet, others are not ours.
            raise RuntimeError(
                f"refusing to {action}: this run did not create spend key {spend_key_id!r}, and a run only "
                "changes keys it created (create one first, or use run.NOT_OURS_ID for an unknown id)"
            )
        return spend_key_id

    def get(self, spend_key_id: str) -> Response[Error | SpendKey]:
        """GET /manage/spend_keys/{id}."""
        response = self._call(
            "get_spend_key", lambda: get_spend_key.sync_detailed(spend_key_id, client=self._client)
        )
        self._observe("get_spend_key", response, reveals_key=False)
        return response

    def update(self, spend_key_id: str, body: dict[str, Any]) -> Response[Error | SpendKey]:
        """PUT /manage/spend_keys/{id} with the fields in `body` (a `None` limit removes it)."""
        spend_key_id = self._owned(spend_key_id, "update")
        request = SpendKeyUpdate.from_dict(body)
        response = self._call(
            "update_spend_key",
            lambda: update_spend_key.sync_detailed(spend_key_id, client=self._client, body=request),
        )
        self._observe("update_spend_key", response, reveals_key=False)
        return response

    def rotate(
        self, spend_key_id: str, idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """POST /manage/spend_keys/{id}/rotate."""
        spend_key_id = self._owned(spend_key_id, "rotate")
        response = self._call(
            "rotate_spend_key",
            lambda: rotate_spend_key.sync_detailed(
                spend_key_id,
                client=self._client,
                idempotency_key=UNSET if idempotency_key is None else idempotency_key,
            ),
        )
        self._observe("rotate_spend_key", response, reveals_key=True)
        return response

    def revoke(self, spend_key_id: str) -> Response[Error | RevokeResult]:
        """DELETE /manage/spend_keys/{id}."""
        spend_key_id = self._owned(spend_key_id, "revoke")
        response = self._call(
            "revoke_spend_key", lambda: revoke_spend_key.sync_detailed(spend_key_id, client=self._client)
        )
        if response.status_code in (200, 404):
            self._ownership.retire(spend_key_id)
        self._observe("revoke_spend_key", response, reveals_key=False)
        return response

    def list_page(self, cursor: str | None = None, limit: int = PAGE_SIZE) -> Response[Error | SpendKeyList]:
        """GET /manage/spend_keys, one page."""
        response = self._call(
            "list_spend_keys",
            lambda: list_spend_keys.sync_detailed(
                client=self._client, cursor=UNSET if cursor is None else cursor, limit=limit
            ),
        )
        self._observe("list_spend_keys", response, reveals_key=False)
        return response

    def pages(self, cursor: str | None = None, limit: int = PAGE_SIZE) -> Iterator[SpendKeyList]:
        """The list's pages, from the one after `cursor` (None: the first) to the last.

        A list that cannot end is named at once: a `next_cursor` that is missing or seen before (the walk
        would go round in circles), `has_more` on a page that brings no key not listed before, or more
        than `MAX_LIST_PAGES` pages.
        """
        cursors: set[str] = set()
        seen: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            page = expect(self.list_page(cursor, limit=limit), 200, SpendKeyList)
            yield page
            if not page.has_more:
                return
            fresh = {item.spend_key_id for item in page.data} - seen
            seen |= fresh
            if not isinstance(page.next_cursor, str):
                raise ContractViolation("list_spend_keys answered has_more=true without a next_cursor")
            if page.next_cursor in cursors or page.next_cursor == cursor:
                raise ContractViolation(
                    "list_spend_keys answered a next_cursor that leads back to a page already listed: the "
                    "list would never end"
                )
            if not fresh:
                raise ContractViolation(
                    "list_spend_keys answered has_more=true on a page with no key not listed before: the "
                    "list would never end"
                )
            cursors.add(page.next_cursor)
            cursor = page.next_cursor
        raise ContractViolation(
            f"list_spend_keys still answered has_more=true after {MAX_LIST_PAGES} pages: it does not end"
        )

    def iter_all(self) -> Iterator[SpendKey]:
        """Every spend key visible to the token, across all pages (see `pages`)."""
        for page in self.pages():
            yield from page.data

    def count(self) -> int:
        """How many spend keys the token can see."""
        return sum(1 for _ in self.iter_all())

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """Revoke, on leaving the block, every key created inside it: one Hypothesis example's keys.

        Keeps the target as small as it was, so that later tests that list every key stay fast.
        """
        mark = len(self.created_ids)
        try:
            yield
        finally:
            for spend_key_id in self.created_ids[mark:]:
                self.revoke(spend_key_id)
            del self.created_ids[mark:]

    def cleanup(self, name_prefix: str) -> Cleanup:
        """Revoke every key this run created or named, then list to verify. Never raises.

        Revokes by id (every id the run's `Ownership` holds) and by name (every listed key whose name
        starts with `name_prefix`, which also catches a key whose create answer was lost). When the target
        fails along the way (a revoke that is refused, a list that breaks or never ends), the result says
        what failed and holds every id that may still be there.
        """
        problems: list[str] = []
        for spend_key_id in self._ownership.live_ids():
            problem = self._revoke_quietly(spend_key_id)
            if problem:
                problems.append(problem)
        try:
            for spend_key in list(self.iter_all()):
                if spend_key.name.startswith(name_prefix):
                    self._ownership.add(spend_key.spend_key_id)
                    problem = self._revoke_quietly(spend_key.spend_key_id)
                    if problem:
                        problems.append(problem)
            left = [key.spend_key_id for key in self.iter_all() if key.name.startswith(name_prefix)]
        except Exception as error:  # noqa: BLE001 - cleanup must end with an account, whatever the target did
            problems.append(f"could not list the keys to verify: {self._redactor.redact(str(error))[:300]}")
            left = self._ownership.live_ids()
        self.created_ids.clear()
        return Cleanup(left=tuple(sorted(set(left))), problems=tuple(problems), verified=len(problems) == 0)

    def _revoke_quietly(self, spend_key_id: str) -> str | None:
        """Revoke one key of this run; say why not instead of raising."""
        try:
            response = self.revoke(spend_key_id)
        except Exception as error:  # noqa: BLE001 - see `cleanup`
            return f"revoking {spend_key_id} failed: {self._redactor.redact(str(error))[:300]}"
        if response.status_code not in (200, 404):
            return f"revoking {spend_key_id} answered {int(response.status_code)}"
        return None

    def send(self, method: str, path: str, **request: Any) -> httpx.Response:  # noqa: ANN401
        """A request the typed client cannot make (a malformed body, a wrong content type), with auth.

        `path` is relative to the base URL, e.g. "/manage/spend_keys". The answer is observed like any other.
        """
        segments = path.strip("/").split("/")
        destructive = method in ("PUT", "DELETE") or (method == "POST" and segments[-1] == "rotate")
        if destructive and len(segments) >= 3 and segments[2] != NOT_OURS_ID:
            self._owned(segments[2], f"send {method} {path}")
        response = self._client.get_httpx_client().request(method, path, **request)
        self._observe_raw(f"{method} {path}", response.content, reveals_key=method == "POST")
        if method == "POST" and path.rstrip("/").endswith("/spend_keys") and response.status_code // 100 == 2:
            self._created(str(response.json()["spend_key_id"]))
        return response

    @property
    def can_spend(self) -> bool:
        """Whether the target has a proxy where raw keys can be spent (see `Target.proxy_url`)."""
        return self._proxy_url is not None

    def spend(self, raw_key: str) -> httpx.Response:
        """One proxied chat completion paid by `raw_key`: the only way to give a key usage."""
        if self._proxy_url is None:
            raise RuntimeError("this target has no proxy URL (LAVA_PROXY_URL)")
        return self._client.get_httpx_client().post(
            self._proxy_url,
            headers={"Authorization": f"Bearer {raw_key}"},
            json={"model": "contract-test", "messages": [{"role": "user", "content": "ping"}]},
            # A real proxy calls a model, which may take a while: no answer of it counts as slow.
            extensions={SLOW_OK: True},
        )

    # The invariants -----------------------------------------------------------------------------------

    def _observe_raw(self, operation: str, content: bytes, *, reveals_key: bool) -> None:
        try:
            payload: object = json.loads(content)
        except ValueError:
            return
        self._check_counters(operation, payload)
        if not reveals_key:
            self._check_no_raw_key(operation, content, payload)

    def _observe(self, operation: str, response: Response[Any], *, reveals_key: bool) -> object:
        status = int(response.status_code)
        content_type = response.headers.get("content-type", "")
        if self._schemas.declares(operation, status) and not content_type.startswith("application/json"):
            raise ContractViolation(
                f"{operation} answered {status} as {content_type!r}, not application/json"
            )
        try:
            payload: object = json.loads(response.content)
        except ValueError:
            if self._schemas.declares(operation, status):
                raise ContractViolation(
                    f"{operation} answered {status} with a body that is not JSON"
                ) from None
            return None
        label = self._schemas.labels.get(operation, operation)
        self._report.client_call(label)
        self._drift.observe(label, payload)
        problems = self._schemas.problems(operation, status, payload)
        if problems:
            raise ContractViolation(
                f"{operation} answered {status} with a body the spec does not allow: " + "; ".join(problems)
            )
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
