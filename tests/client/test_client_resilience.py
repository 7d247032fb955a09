"""lava_client against a server that fails transiently: it retries, never duplicates, raises typed errors.

Every test serves the reference server over loopback HTTP with `TransientFailures` switched on (429 with
Retry-After, 503, dropped connections, stalls; see contract_tests/reference_server/transient.py) and calls
it through the generated client, sync and async alike. Waits between retries are made short through the
client's own settings; where the length of a wait is the point, the sleep is recorded instead of slept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

import attrs
import httpx
import httpx_retries.retry
import pytest
from lava_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticatedClient,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)
from lava_client.v0.api.spend_keys import create_spend_key, get_spend_key, list_spend_keys
from lava_client.v0.models import SpendKeyCreate, SpendKeyWithSecret

from contract_tests.reference_server import DEFAULT_DEV_TOKEN
from contract_tests.reference_server.app import create_app
from contract_tests.reference_server.runner import listening_socket, running_server
from contract_tests.reference_server.transient import TransientFailures
from lava_spec import load_spec

SPEC = load_spec()
MODES = ["sync", "async"]
T = TypeVar("T")


class Recorder:
    """Every request the client sent (one per attempt), through an httpx event hook."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def sync_hooks(self) -> dict[str, list[Callable[[httpx.Request], None]]]:
        return {"request": [self.requests.append]}

    def async_hooks(self) -> dict[str, list[Callable[[httpx.Request], Any]]]:
        async def record(request: httpx.Request) -> None:
            self.requests.append(request)

        return {"request": [record]}

    def idempotency_keys(self) -> list[str | None]:
        return [request.headers.get("idempotency-key") for request in self.requests]


@contextmanager
def serving(*sequence: str, **options: Any) -> Iterator[str]:
    with running_server(create_app(transient=TransientFailures(tuple(sequence), **options))) as base_url:
        yield base_url


_OPEN_CLIENTS: list[AuthenticatedClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN_CLIENTS:
        _OPEN_CLIENTS.pop().get_httpx_client().close()


def make_client(base_url: str, recorder: Recorder, mode: str, **options: Any) -> AuthenticatedClient:
    settings: dict[str, Any] = {"retry_backoff": 0.01, "max_retries": 3, **options}
    hooks = recorder.sync_hooks() if mode == "sync" else recorder.async_hooks()
    client = AuthenticatedClient(
        base_url=base_url, token=DEFAULT_DEV_TOKEN, httpx_args={"event_hooks": hooks}, **settings
    )
    _OPEN_CLIENTS.append(client)
    return client


def run_async(client: AuthenticatedClient, call: Callable[[AuthenticatedClient], Awaitable[T]]) -> T:
    """Run `call` on a copy of `client` whose httpx.AsyncClient lives and is closed within one event loop."""

    async def main() -> T:
        async with attrs.evolve(client) as fresh:
            return await call(fresh)

    return asyncio.run(main())


def create(client: AuthenticatedClient, mode: str, name: str, **call: Any) -> SpendKeyWithSecret:
    body = SpendKeyCreate(name=name)
    if mode == "sync":
        return create_spend_key.sync(client=client, body=body, **call)
    return run_async(client, lambda fresh: create_spend_key.asyncio(client=fresh, body=body, **call))


def get(client: AuthenticatedClient, mode: str, spend_key_id: str, **call: Any) -> Any:
    if mode == "sync":
        return get_spend_key.sync(spend_key_id, client=client, **call)
    return run_async(client, lambda fresh: get_spend_key.asyncio(spend_key_id, client=fresh, **call))


def names_on_server(base_url: str) -> list[str]:
    """Every key's name, read with a client of its own that does not retry (the store, seen over HTTP)."""
    plain = AuthenticatedClient(base_url=base_url, token=DEFAULT_DEV_TOKEN, max_retries=0)
    _OPEN_CLIENTS.append(plain)
    # Past the transient failures of the list request itself: its first attempts may meet them too.
    for _ in range(10):
        try:
            return [key.name for key in list_spend_keys.sync_iter(client=plain, limit=100)]
        except (APIStatusError, APIConnectionError):
            continue
    raise AssertionError("the list never got through the transient failures")


@pytest.mark.parametrize("mode", MODES)
def test_a_create_retried_past_429_503_and_a_lost_answer_makes_exactly_one_key(mode: str) -> None:
    recorder = Recorder()
    with serving("429", "503", "drop_after", retry_after_seconds=0) as base_url:
        client = make_client(base_url, recorder, mode)

        created = create(client, mode, "retried-create")

        assert created.name == "retried-create"
        assert created.key.startswith("lava_sk_")
        assert len(recorder.requests) == 4
        keys = recorder.idempotency_keys()
        assert keys[0] is not None
        assert keys == [keys[0]] * 4, "every attempt of one call must carry the same Idempotency-Key"
        assert names_on_server(base_url) == ["retried-create"]


@pytest.mark.parametrize("mode", MODES)
def test_a_get_recovers_from_a_dropped_connection_and_a_503(mode: str) -> None:
    recorder = Recorder()
    with serving("drop", "503") as base_url:
        client = make_client(base_url, recorder, mode)
        created = create(client, mode, "to-read")
        recorder.requests.clear()

        fetched = get(client, mode, created.spend_key_id)

        assert fetched.spend_key_id == created.spend_key_id
        assert len(recorder.requests) == 3


def test_each_call_gets_its_own_idempotency_key_and_a_key_the_caller_passes_is_kept() -> None:
    recorder = Recorder()
    with serving() as base_url:
        client = make_client(base_url, recorder, "sync")
        create(client, "sync", "first")
        create(client, "sync", "second")
        create(client, "sync", "third", idempotency_key="caller-chosen-key-1")

    first, second, third = recorder.idempotency_keys()
    assert first is not None
    assert second is not None
    assert first != second
    assert third == "caller-chosen-key-1"


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_in_seconds_is_waited_before_the_next_attempt(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = record_waits(monkeypatch)
    recorder = Recorder()
    with serving("429", retry_after_seconds=7) as base_url:
        client = make_client(base_url, recorder, mode)

        create(client, mode, "after-a-429")

    assert waits == [7.0]
    assert len(recorder.requests) == 2


def test_retry_after_as_an_http_date_is_waited_until_that_time(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = record_waits(monkeypatch)
    recorder = Recorder()
    with serving("429", retry_after="http-date", retry_after_seconds=30) as base_url:
        client = make_client(base_url, recorder, "sync")

        create(client, "sync", "after-a-dated-429")

    # An HTTP date has whole seconds, so the wait is up to one second short of 30.
    assert len(waits) == 1
    assert 28.0 <= waits[0] <= 30.0


def test_a_retry_after_longer_than_the_cap_is_cut_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = record_waits(monkeypatch)
    recorder = Recorder()
    with serving("429", retry_after_seconds=3600) as base_url:
        client = make_client(base_url, recorder, "sync", max_retry_wait=2.5)

        create(client, "sync", "capped-wait")

    assert waits == [2.5]


def test_without_retry_after_the_waits_grow_exponentially_with_jitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = record_waits(monkeypatch)
    recorder = Recorder()
    with serving("503", "503", "503") as base_url:
        client = make_client(base_url, recorder, "sync", retry_backoff=1.0)

        create(client, "sync", "backed-off")

    # Retry n waits retry_backoff * 2**n seconds, times a random factor from 0.75 to 1.
    assert len(waits) == 3
    for n, wait in enumerate(waits, start=1):
        assert 0.75 * 2**n <= wait <= 2**n


@pytest.mark.parametrize(
    ("sequence", "error_class", "code"),
    [
        (("503",) * 4, InternalServerError, "service_unavailable"),
        (("429",) * 4, RateLimitError, "rate_limited"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_when_every_retry_fails_the_typed_error_carries_status_envelope_and_request_id(
    mode: str, sequence: tuple[str, ...], error_class: type[APIStatusError], code: str
) -> None:
    recorder = Recorder()
    with serving(*sequence, retry_after_seconds=0) as base_url:
        client = make_client(base_url, recorder, mode, max_retries=2)

        with pytest.raises(error_class) as raised:
            create(client, mode, "never-made")

        assert len(recorder.requests) == 3
        assert raised.value.status_code == int(sequence[0])
        assert raised.value.code == code
        assert raised.value.error is not None
        assert raised.value.request_id is not None
        assert raised.value.request_id.startswith("req_transient_")
        assert names_on_server(base_url) == []


@pytest.mark.parametrize("mode", MODES)
def test_max_retries_of_one_call_overrides_the_clients(mode: str) -> None:
    recorder = Recorder()
    with serving("503", "503") as base_url:
        client = make_client(base_url, recorder, mode, max_retries=5)

        with pytest.raises(InternalServerError):
            create(client, mode, "no-retries-this-time", max_retries=0)

        assert len(recorder.requests) == 1


FOUR_XX_CASES = [
    ("not_found", NotFoundError, 404),
    ("name_too_long", UnprocessableEntityError, 422),
    ("wrong_token", AuthenticationError, 401),
    ("limit_out_of_range", BadRequestError, 400),
]


@pytest.mark.parametrize(("case", "error_class", "status"), FOUR_XX_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_a_4xx_other_than_408_and_429_is_raised_at_once_as_its_typed_error(
    mode: str, case: str, error_class: type[APIStatusError], status: int
) -> None:
    recorder = Recorder()
    with serving() as base_url:
        client = make_client(base_url, recorder, mode, max_retries=5)

        with pytest.raises(error_class) as raised:
            call_for(case, client, mode)

        assert type(raised.value) is error_class
        assert raised.value.status_code == status
        assert raised.value.error is not None
        assert raised.value.error.error.status == status
        assert len(recorder.requests) == 1, "a 4xx other than 408 and 429 must not be retried"
        assert names_on_server(base_url) == []


def call_for(case: str, client: AuthenticatedClient, mode: str) -> object:
    if case == "not_found":
        return get(client, mode, "sk_does_not_exist")
    if case == "name_too_long":
        return create(client, mode, "n" * 256)
    if case == "wrong_token":
        return get(wrong_token(client), mode, "sk_any")
    if mode == "sync":
        return list_spend_keys.sync(client=client, limit=0)
    return run_async(client, lambda fresh: list_spend_keys.asyncio(client=fresh, limit=0))


def wrong_token(client: AuthenticatedClient) -> AuthenticatedClient:
    stranger = attrs.evolve(client, token="lava_not_a_token_of_this_server")  # noqa: S106 (wrong on purpose)
    _OPEN_CLIENTS.append(stranger)
    return stranger


@pytest.mark.parametrize("mode", MODES)
def test_a_timeout_fires_when_the_server_stalls(mode: str) -> None:
    recorder = Recorder()
    with serving("stall", stall_seconds=3.0) as base_url:
        client = make_client(base_url, recorder, mode, max_retries=0, timeout=httpx.Timeout(0.3))

        with pytest.raises(APITimeoutError) as raised:
            create(client, mode, "stalled")

        assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
        assert "POST" in str(raised.value)
        assert len(recorder.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_stalled_create_is_retried_and_the_late_first_attempt_makes_no_second_key(mode: str) -> None:
    recorder = Recorder()
    with serving("stall", stall_seconds=0.6) as base_url:
        client = make_client(base_url, recorder, mode, max_retries=2, timeout=httpx.Timeout(0.2))

        created = create(client, mode, "stalled-then-retried")

        assert created.name == "stalled-then-retried"
        assert len(recorder.requests) == 2
        # Let the stalled first attempt finish on the server: it must replay, not create.
        time.sleep(0.8)
        assert names_on_server(base_url) == ["stalled-then-retried"]


@pytest.mark.parametrize("mode", MODES)
def test_no_server_at_all_raises_a_connection_error_after_the_retries(mode: str) -> None:
    with listening_socket("127.0.0.1", 0) as sock:
        port = sock.getsockname()[1]
    recorder = Recorder()
    client = make_client(f"http://127.0.0.1:{port}{SPEC.base_path}", recorder, mode, max_retries=2)

    with pytest.raises(APIConnectionError) as raised:
        get(client, mode, "sk_1")

    assert type(raised.value) is APIConnectionError
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    get_key = SPEC.operation("get_spend_key")
    path = get_key.path_for(**dict.fromkeys(get_key.path_parameters, "sk_1"))
    url = f"http://127.0.0.1:{port}{SPEC.base_path}{path}"
    assert f"{get_key.method} {url}" in str(raised.value)
    assert len(recorder.requests) == 3


@pytest.mark.parametrize("mode", MODES)
def test_iterating_the_list_fetches_every_page_lazily(mode: str) -> None:
    recorder = Recorder()
    with serving() as base_url:
        setup = make_client(base_url, Recorder(), "sync")
        names = [f"page-item-{n:02}" for n in range(25)]
        for name in names:
            create(setup, "sync", name)
        client = make_client(base_url, recorder, mode)

        if mode == "sync":
            taken = len(list(zip(range(3), list_spend_keys.sync_iter(client=client, limit=10), strict=False)))
            requests_for_three = len(recorder.requests)
            every = [key.name for key in list_spend_keys.sync_iter(client=client, limit=10)]
        else:

            async def collect(fresh: AuthenticatedClient) -> tuple[int, int, list[str]]:
                taken = 0
                async for _key in list_spend_keys.asyncio_iter(client=fresh, limit=10):
                    taken += 1
                    if taken == 3:
                        break
                requests = len(recorder.requests)
                every = [key.name async for key in list_spend_keys.asyncio_iter(client=fresh, limit=10)]
                return taken, requests, every

            taken, requests_for_three, every = run_async(client, collect)

    assert taken == 3
    assert requests_for_three == 1, "three items of a ten-item page need one request"
    assert every == names
    assert len(recorder.requests) == 1 + 3


def test_the_pages_of_an_iteration_are_retried_like_any_call() -> None:
    recorder = Recorder()
    with serving("503") as base_url:
        client = make_client(base_url, recorder, "sync")
        for n in range(3):
            create(client, "sync", f"key-{n}")
        recorder.requests.clear()

        every = [key.name for key in list_spend_keys.sync_iter(client=client, limit=2)]

    assert every == ["key-0", "key-1", "key-2"]
    # Each distinct page request meets one 503 first.
    assert len(recorder.requests) == 4


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make the retry policy record each wait (sync and async) instead of sleeping it.

    Only httpx-retries' own references to `time` and `asyncio` are replaced, not the modules: the server's
    event loop, in another thread, keeps sleeping for real.
    """
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))

    async def asleep(seconds: float) -> None:
        waits.append(round(seconds, 3))

    monkeypatch.setattr(httpx_retries.retry, "time", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(httpx_retries.retry, "asyncio", SimpleNamespace(sleep=asleep))
    return waits
