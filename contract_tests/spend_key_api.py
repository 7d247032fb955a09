"""The generated client as the contract suite drives it: the six operations, and raw requests, observed.

`SpendKeyApi` calls the six operations through `lava_client` (so the suite exercises the client our users
import), and `send` makes the requests the typed client cannot (a malformed body, a wrong content type).
Both ways go through one httpx client, and every answer of it passes one response hook, `_on_response`:
it routes the request with the spec's router (`Spec.router("")`) to learn its operation, keeps the run's
account of the keys it created or revoked, and has `Observer` check the answer (observation.py), so a
typed call and a raw one are checked alike. Before a typed or raw request that would change a key is
sent, `Ownership.require` (run.py) refuses it unless this run created the key.

Elsewhere: walking the list's pages (pages.py), revoking the run's keys at the end (cleanup.py), spending a
raw key (proxy.py). It does not decide what a test expects of a particular call: tests assert on the
responses it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from lava_client import APIResponseValidationError

from contract_tests.bounds import CREATE_OPERATION, REVOKE_OPERATION, Bounds, bounds, path_arguments
from contract_tests.cleanup import Cleanup, clean_up
from contract_tests.cycles import SuiteClock
from contract_tests.observation import ContractViolation, Observer, decoded, expect
from contract_tests.pages import walk_pages
from contract_tests.proxy import Proxy
from contract_tests.run import RunContext
from contract_tests.target import Target
from contract_tests.traffic import TrafficTransport
from contract_tests.typed_client import (
    UNSET,
    AuthenticatedClient,
    Error,
    Response,
    RevokeResult,
    SpendKey,
    SpendKeyCreate,
    SpendKeyList,
    SpendKeyUpdate,
    SpendKeyWithSecret,
    create_spend_key,
    get_spend_key,
    list_spend_keys,
    revoke_spend_key,
    rotate_spend_key,
    update_spend_key,
)
from lava_spec import Found

REQUEST_TIMEOUT_SECONDS = 30.0
Parsed = TypeVar("Parsed")
# The names tests import from here, whichever module defines them.
__all__ = ["Cleanup", "ContractViolation", "SpendKeyApi", "expect"]


class SpendKeyApi:
    """The six spend-key operations and raw requests through the generated client, every answer observed."""

    def __init__(self, target: Target, run: RunContext, spec_bounds: Bounds | None = None) -> None:
        self._bounds = spec_bounds or bounds()
        self._client = AuthenticatedClient(
            base_url=target.base_url,
            token=target.token,
            timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS),
            # The suite judges every answer the server gives, so the client must not retry one away;
            # pacing and waiting out 429s is the traffic layer's job (traffic.py), also for schemathesis.
            max_retries=0,
            httpx_args={
                "transport": TrafficTransport(run.traffic),
                "event_hooks": {"response": [self._on_response]},
            },
        )
        self._base = httpx.URL(target.base_url)
        self._router = self._bounds.spec.router("")
        self._run = run
        self._observer = Observer(self._bounds, run)
        # The suite's clock, and how far the server's `Date` strays from it (cycles.py).
        self.clock = SuiteClock()
        self._proxy = Proxy(self._client.get_httpx_client(), target.proxy_url)
        self.created_ids: list[str] = []

    def __repr__(self) -> str:
        return f"SpendKeyApi(<{len(self.created_ids)} keys created>)"

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._client.get_httpx_client().close()

    def watch(self, hook: Callable[[httpx.Response], None]) -> None:
        """Call `hook` with every answer, before it is observed (so it sees one that breaks the contract)."""
        self._client.get_httpx_client().event_hooks["response"].insert(0, hook)

    # The operations -----------------------------------------------------------------------------------

    def _call(self, operation_id: str, call: Callable[[], Response[Parsed]], *path: str) -> Response[Parsed]:
        """`call()`, after the ownership guard has seen its path's values (in the path's order)."""
        operation = self._bounds.operation(operation_id)
        self._run.ownership.require(operation, path_arguments(operation, *path))
        try:
            return call()
        except APIResponseValidationError as error:
            # The client could not read a success body that the observer let through (it checks the
            # spec's schema first): name it as the contract it breaks.
            raise ContractViolation(
                f"{operation_id} answered a body the spec's schema does not allow ({error})"
            ) from None

    def create(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """Create a key with `body` sent as the client serialises it."""
        request = SpendKeyCreate.from_dict(body)
        return self._call(
            "create_spend_key",
            lambda: create_spend_key.sync_detailed(
                client=self._client,
                body=request,
                idempotency_key=UNSET if idempotency_key is None else idempotency_key,
            ),
        )

    def get(self, spend_key_id: str) -> Response[Error | SpendKey]:
        """Read one key."""
        return self._call(
            "get_spend_key",
            lambda: get_spend_key.sync_detailed(spend_key_id, client=self._client),
            spend_key_id,
        )

    def update(self, spend_key_id: str, body: dict[str, Any]) -> Response[Error | SpendKey]:
        """Update a key of this run with the fields in `body` (a `None` limit removes it)."""
        request = SpendKeyUpdate.from_dict(body)
        return self._call(
            "update_spend_key",
            lambda: update_spend_key.sync_detailed(spend_key_id, client=self._client, body=request),
            spend_key_id,
        )

    def rotate(
        self, spend_key_id: str, idempotency_key: str | None = None
    ) -> Response[Error | SpendKeyWithSecret]:
        """Rotate a key of this run."""
        return self._call(
            "rotate_spend_key",
            lambda: rotate_spend_key.sync_detailed(
                spend_key_id,
                client=self._client,
                idempotency_key=UNSET if idempotency_key is None else idempotency_key,
            ),
            spend_key_id,
        )

    def revoke(self, spend_key_id: str) -> Response[Error | RevokeResult]:
        """Revoke a key of this run."""
        return self._call(
            "revoke_spend_key",
            lambda: revoke_spend_key.sync_detailed(spend_key_id, client=self._client),
            spend_key_id,
        )

    def list_page(
        self, cursor: str | None = None, limit: int | None = None
    ) -> Response[Error | SpendKeyList]:
        """One page of the list; `limit` defaults to the most the spec allows."""
        size = self._bounds.limit_highest if limit is None else limit
        return self._call(
            "list_spend_keys",
            lambda: list_spend_keys.sync_detailed(
                client=self._client, cursor=UNSET if cursor is None else cursor, limit=size
            ),
        )

    def pages(self, cursor: str | None = None, limit: int | None = None) -> Iterator[SpendKeyList]:
        """The list's pages, from the one after `cursor` (None: the first) to the last (see pages.py)."""
        return walk_pages(self.list_page, cursor, limit or self._bounds.limit_highest)

    def iter_all(self) -> Iterator[SpendKey]:
        """Every spend key visible to the token, across all pages."""
        for page in self.pages():
            yield from page.data

    def count(self) -> int:
        """How many spend keys the token can see."""
        return sum(1 for _ in self.iter_all())

    def send(self, method: str, path: str, **request: Any) -> httpx.Response:  # noqa: ANN401
        """A request the typed client cannot make (a malformed body, a wrong content type), with auth.

        `path` is relative to the base URL, as the spec writes it filled in (`Operation.path_for`). A
        request that would change a key is refused unless this run created it (or it is
        `run.not_ours_id()`), and the answer is observed like any other.
        """
        found = self._router.match(method, path.split("?", 1)[0])
        if isinstance(found, Found):
            self._run.ownership.require(found.operation, found.path_parameters)
        return self._client.get_httpx_client().request(method, path, **request)

    # Keys of this run ----------------------------------------------------------------------------------

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
        """Revoke every key this run created or named, then list to verify; never raises (cleanup.py)."""
        return clean_up(self, self._run.ownership, self._run.redactor, name_prefix)

    # The proxy -----------------------------------------------------------------------------------------

    @property
    def can_spend(self) -> bool:
        """Whether the target has a proxy where raw keys can be spent (see `Target.proxy_url`)."""
        return self._proxy.available

    def spend(self, raw_key: str) -> httpx.Response:
        """One proxied chat completion paid by `raw_key` (proxy.py)."""
        return self._proxy.spend(raw_key)

    # Every answer ----------------------------------------------------------------------------------------

    def _on_response(self, response: httpx.Response) -> None:
        """Route the request to its operation, account for the keys it made or revoked, and observe it."""
        self.clock.saw(response)
        url = response.request.url
        if (url.scheme, url.host, url.port) != (self._base.scheme, self._base.host, self._base.port):
            return  # the proxy, on a host of its own
        raw_path = url.raw_path.split(b"?", 1)[0]
        base_path = self._base.raw_path.rstrip(b"/")
        if not raw_path.startswith(base_path + b"/"):
            return
        found = self._router.match(response.request.method, raw_path.removeprefix(base_path))
        if not isinstance(found, Found):
            return  # not an operation of the spec (the proxy, under the base URL), so no contract to check
        response.read()
        operation, status = found.operation, response.status_code
        # The account first: a key that exists is the run's to revoke even when its answer breaks the spec.
        if operation.operation_id == CREATE_OPERATION and 200 <= status < 300:
            payload = decoded(response.content)
            spend_key_id = payload.get("spend_key_id") if isinstance(payload, dict) else None
            if isinstance(spend_key_id, str):
                self.created_ids.append(spend_key_id)
                self._run.ownership.add(spend_key_id)
        if operation.operation_id == REVOKE_OPERATION and status in (200, 404):
            for spend_key_id in found.path_parameters.values():
                self._run.ownership.retire(spend_key_id)
        self._observer.observe(operation, response)
