"""One lava-client, a package per version of the API (lava_client.v0, lava_client.v2), one shared runtime.

What each version's client does is the other test modules' business (they test v0); this one pins what
the versions share and where they differ on the client side: both are generated and importable with the
same layout, every error is one class whichever version raised it, redaction covers v2's raw `key`, v2
calls reach a reference server serving the v2 spec, and the 0.1.0 top-level names still work, warning.

The reference server's v2 semantics (the totals, `request_shape` in every answer) are built elsewhere, so
the round trips here use only what a v2 server answers already: v2's paths, a list, a 404 and a 422.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import lava_client
import pytest
from lava_client import (
    APIResponseValidationError,
    AuthenticatedClient,
    NotFoundError,
    UnprocessableEntityError,
)
from lava_client.v0 import LavaClient as LavaClientV0
from lava_client.v2 import LavaClient as LavaClientV2
from lava_client.v2.models import RequestShape

from contract_tests.reference_server import create_app, running_server
from lava_spec import load_spec
from lava_spec.versions import API_VERSIONS, DEFAULT_API_VERSION, spec_path

CANARY_KEY = "lava_sk_canary_key_5d0e21"
CANARY_TOKEN = "aks_test_canary_token_77c2"  # noqa: S105 (a canary to search for, not a credential)
WALLET = "wallet_1"


def version_package(version: str) -> ModuleType:
    return importlib.import_module(f"lava_client.{version}")


def modules_of(package: ModuleType) -> set[str]:
    """Every module under the package, relative to it ("api.spend_keys.get_spend_key", "models.cycle")."""
    return {
        info.name.removeprefix(f"{package.__name__}.")
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    }


def token_for(version: str) -> str:
    """A token the version's reference server takes: with its spec's test prefix, when it states one."""
    return load_spec(spec_path(version)).key_prefixes.get("test", "") + "versions_token_not_a_secret"


@pytest.fixture(params=API_VERSIONS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(version, base URL) of a reference server serving that version's spec."""
    version: str = request.param
    app = create_app({token_for(version): WALLET}, spec_path=spec_path(version))
    with running_server(app) as base_url:
        yield version, base_url


def test_every_version_is_generated_with_the_same_layout_and_imports() -> None:
    layouts = {version: modules_of(version_package(version)) for version in API_VERSIONS}

    for version, modules in layouts.items():
        for module in modules:
            importlib.import_module(f"lava_client.{version}.{module}")
        # The operations and the models every spec shares keep the same module names.
        assert {"api", "api.spend_keys", "models", "types"} <= modules, version
    operations = [{name for name in modules if name.startswith("api.")} for modules in layouts.values()]
    assert all(names == operations[0] for names in operations)
    v0_models = {name for name in layouts["v0"] if name.startswith("models.")}
    assert v0_models <= layouts["v2"], "v2 keeps the schema names of v0"


def test_the_versions_share_one_runtime_one_client_class_and_one_error_tree() -> None:
    for version in API_VERSIONS:
        package = version_package(version)
        operation = importlib.import_module(f"lava_client.{version}.api.spend_keys.get_spend_key")
        assert issubclass(package.LavaClient, AuthenticatedClient)
        assert operation.errors is lava_client.errors
        assert operation.AuthenticatedClient is lava_client.AuthenticatedClient
        # The version's `types` is the shared one under another name, not a copy.
        assert version_package(version).types.Response is lava_client.types.Response
        assert version_package(version).types.UNSET is lava_client.types.UNSET
    assert LavaClientV0.__module__ != LavaClientV2.__module__


def test_a_404_is_the_one_not_found_error_class_in_every_version(served: tuple[str, str]) -> None:
    version, base_url = served
    client_class = version_package(version).LavaClient

    with client_class(token=token_for(version), base_url=base_url, max_retries=0) as client:
        with pytest.raises(NotFoundError) as raised:
            client.spend_keys.retrieve("sk_no_such_key")
        with pytest.raises(lava_client.UnprocessableEntityError):
            client.spend_keys.create(name="x" * 256)

    assert type(raised.value) is lava_client.NotFoundError
    assert raised.value.code == "not_found"
    assert raised.value.error is not None
    # The envelope is read with the model of the version called.
    assert type(raised.value.error).__module__ == f"lava_client.{version}.models.error"


def test_a_v2_call_goes_to_the_v2_paths_of_a_v2_server_and_back() -> None:
    spec = load_spec(spec_path("v2"))
    app = create_app({token_for("v2"): WALLET}, spec_path=spec_path("v2"))
    seen: list[str] = []

    with running_server(app) as base_url:
        hooks = {"event_hooks": {"request": [lambda request: seen.append(request.url.path)]}}
        options: dict[str, Any] = {"token": token_for("v2"), "base_url": base_url, "max_retries": 0}
        with LavaClientV2(**options, httpx_args=hooks) as client:
            assert list(client.spend_keys.list(limit=5)) == []
            with pytest.raises(UnprocessableEntityError):
                client.spend_keys.create(name="x" * 256, request_shape=RequestShape.ANTHROPIC)
        # v0's paths are not the v2 server's: the version is chosen by the import, not guessed.
        with LavaClientV0(**options) as v0_client, pytest.raises(NotFoundError):
            list(v0_client.spend_keys.list())

    list_path = spec.base_path + spec.operation("list_spend_keys").path
    create_path = spec.base_path + spec.operation("create_spend_key").path
    assert seen == [list_path, create_path]


def answering(status: int, body: dict[str, Any], sent: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


def v2_spend_key(**extra: Any) -> dict[str, Any]:
    return {
        "spend_key_id": "sk_1",
        "key_preview": "lava_sk_canary_k****",
        "name": "team-a",
        "status": "active",
        "request_shape": "anthropic",
        "wallet_id": WALLET,
        "current_spend": "0",
        "total_spend": "1.5",
        "current_requests": 0,
        "total_requests": 3,
        "created_at": "2026-01-02T03:04:05Z",
        **extra,
    }


def test_v2_create_sends_request_shape_takes_no_wallet_id_and_reads_the_totals() -> None:
    sent: list[httpx.Request] = []
    transport = answering(201, v2_spend_key(key=CANARY_KEY), sent)

    with LavaClientV2(
        token=token_for("v2"), base_url="http://lava.test/v1", httpx_args={"transport": transport}
    ) as client:
        created = client.spend_keys.create(name="team-a", request_shape=RequestShape.ANTHROPIC)

    assert json.loads(sent[0].content) == {"name": "team-a", "request_shape": "anthropic"}
    assert created.request_shape is RequestShape.ANTHROPIC
    assert (created.total_spend, created.total_requests) == ("1.5", 3)
    assert "wallet_id" not in inspect.signature(LavaClientV2(token=CANARY_TOKEN).spend_keys.create).parameters
    assert "wallet_id" in inspect.signature(LavaClientV0(token=CANARY_TOKEN).spend_keys.create).parameters


def test_redaction_covers_the_raw_key_of_v2_in_reprs_and_error_messages() -> None:
    sent: list[httpx.Request] = []
    created_answer = answering(201, v2_spend_key(key=CANARY_KEY), sent)
    broken_answer = answering(201, {"key": CANARY_KEY, "name": "team-a"}, sent)

    with LavaClientV2(token=CANARY_TOKEN, httpx_args={"transport": created_answer}) as client:
        created = client.spend_keys.create(name="team-a")
    with (
        LavaClientV2(token=CANARY_TOKEN, httpx_args={"transport": broken_answer}) as broken,
        pytest.raises(APIResponseValidationError) as raised,
    ):
        broken.spend_keys.create(name="team-a")

    assert created.key == CANARY_KEY
    assert CANARY_KEY not in repr(created)
    assert "key='<redacted>'" in repr(created)
    assert CANARY_TOKEN not in repr(client)
    for shown in (str(raised.value), repr(raised.value), raised.value.excerpt):
        assert CANARY_KEY not in shown
        assert "<redacted>" in raised.value.excerpt


def test_the_0_1_0_top_level_client_names_still_work_as_the_default_versions_and_warn() -> None:
    with pytest.warns(DeprecationWarning, match="lava_client.LavaClient is deprecated") as warned:
        moved = lava_client.LavaClient
    with pytest.warns(DeprecationWarning, match="lava_client.AsyncLavaClient is deprecated"):
        moved_async = lava_client.AsyncLavaClient

    assert moved is version_package(DEFAULT_API_VERSION).LavaClient
    assert moved_async is version_package(DEFAULT_API_VERSION).AsyncLavaClient
    message = str(warned[0].message)
    assert f"from lava_client.{DEFAULT_API_VERSION} import LavaClient" in message
    assert f"from lava_client.{API_VERSIONS[-1]} import LavaClient" in message
    assert "LavaClient" not in lava_client.__all__
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = lava_client.NoSuchThing  # type: ignore[attr-defined]


def test_the_shared_names_are_plain_top_level_names_with_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = [getattr(lava_client, name) for name in lava_client.__all__]

    assert lava_client.NotFoundError in names
    assert lava_client.__version__ == lava_client.client.__version__
    assert lava_client.API_VERSIONS == API_VERSIONS
