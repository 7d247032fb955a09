"""Every operation needs a valid bearer token, and a token sees only its own wallet's keys.

A missing or unknown token is a 401 with the error envelope. A key of another wallet is a 404 for every
operation and absent from the list, so ids do not leak across wallets. The isolation tests need a second
wallet's key (`LAVA_API_KEY_2`); the embedded server has one. Every operation of the spec is tried,
at the path the spec gives it.
"""

from __future__ import annotations

import httpx
import pytest

from contract_tests.bounds import bounds
from contract_tests.run import named
from contract_tests.spend_key_api import SpendKeyApi, expect
from contract_tests.target import Target
from contract_tests.typed_client import SpendKeyWithSecret

SPEC = bounds().spec
# Every operation of the spec, by operationId; the ones on one key are the ones with path parameters.
OPERATIONS = sorted(SPEC.operations)
ON_ONE_KEY = sorted(
    operation_id for operation_id, operation in SPEC.operations.items() if operation.path_parameters
)


def _request(operation_id: str, spend_key_id: str) -> tuple[str, str, dict[str, str] | None]:
    """The method, path and JSON body (a valid one, where the operation takes one) of a call on the key."""
    operation = SPEC.operation(operation_id)
    path = operation.path_for(**dict.fromkeys(operation.path_parameters, spend_key_id))
    return operation.method, path, {"name": named("auth-check")} if operation.request_schema else None


CREDENTIALS = {
    "no Authorization header": {},
    "an unknown token": {"Authorization": "Bearer lava_contract_unknown_token_0000"},
    "a malformed header": {"Authorization": "Token abc"},
    # Where the spec states its credential's prefixes (v2's aks_live_, aks_test_): the form is not enough.
    **{
        f"an unknown {kind} key": {"Authorization": f"Bearer {prefix}contract_unknown_key_0000"}
        for kind, prefix in SPEC.key_prefixes.items()
    },
}


@pytest.fixture(scope="module")
def own_key(spend_key_api: SpendKeyApi) -> str:
    return expect(spend_key_api.create({"name": named("auth-target")}), 201, SpendKeyWithSecret).spend_key_id


@pytest.mark.parametrize("credentials", CREDENTIALS.values(), ids=CREDENTIALS.keys())
@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_operation_without_a_valid_token_is_a_401_and_changes_nothing(
    target: Target,
    spend_key_api: SpendKeyApi,
    own_key: str,
    operation: str,
    credentials: dict[str, str],
) -> None:
    method, path, body = _request(operation, own_key)
    before = spend_key_api.count()
    response = httpx.request(method, target.base_url + path, json=body, headers=credentials, timeout=30)
    assert response.status_code == 401, (
        f"{operation} with {credentials or 'no token'}: {response.status_code}"
    )
    assert response.json()["error"]["status"] == 401
    assert spend_key_api.count() == before
    assert spend_key_api.get(own_key).status_code == 200, "a rejected call still revoked the key"


@pytest.mark.parametrize("operation", ON_ONE_KEY)
def test_another_wallets_key_is_a_404_for_every_operation(
    spend_key_api: SpendKeyApi, other_wallet_api: SpendKeyApi, operation: str
) -> None:
    foreign = expect(other_wallet_api.create({"name": named("foreign")}), 201, SpendKeyWithSecret)
    method, path, body = _request(operation, foreign.spend_key_id)
    parts = {"json": body} if body is not None else {}
    response = spend_key_api.send(method, path, **parts)
    assert response.status_code == 404, f"{operation} of another wallet's key answered {response.status_code}"
    still = other_wallet_api.get(foreign.spend_key_id)
    assert still.status_code == 200, "another wallet's call changed the key"
    assert still.parsed is not None
    assert still.parsed.to_dict()["name"] == named("foreign")


def test_the_list_shows_only_the_callers_wallet(
    spend_key_api: SpendKeyApi, other_wallet_api: SpendKeyApi
) -> None:
    foreign = expect(other_wallet_api.create({"name": named("foreign-listed")}), 201, SpendKeyWithSecret)
    own = expect(spend_key_api.create({"name": named("own-listed")}), 201, SpendKeyWithSecret)
    listed = {item.spend_key_id: item.wallet_id for item in spend_key_api.iter_all()}
    assert own.spend_key_id in listed
    assert foreign.spend_key_id not in listed, "the list shows another wallet's key"
    assert set(listed.values()) == {own.wallet_id}, "the list shows keys of more than one wallet"
